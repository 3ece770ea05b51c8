"""Screen overlays for presentations: title, caption, date, KPI strip, north arrow and
scale bar (render: VTK 2D actors, no Qt).

They are VTK actors rather than Qt widgets so the very same overlay appears in the app's
presentation mode, in a headless ``render`` and in every frame of an exported tour.
Everything is laid out in pixels relative to the viewport's height (a 4K still gets
the same composition as a 720p video frame) and re-laid out before each render from the
camera: the north arrow turns with the view and the scale bar measures the ground at
the focal point.
"""

from __future__ import annotations

import functools
import importlib.util
import math
import textwrap
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from vtkmodules.vtkCommonCore import vtkPoints, vtkUnsignedCharArray
from vtkmodules.vtkCommonDataModel import vtkCellArray, vtkPolyData
from vtkmodules.vtkRenderingCore import (
    vtkActor2D,
    vtkPolyDataMapper2D,
    vtkTextActor,
    vtkTextProperty,
)

from alatau_twin.render.theme import RenderTheme


@functools.lru_cache(maxsize=4)
def ui_font(bold: bool = False) -> str | None:
    """A TrueType font with Cyrillic (Russian and Kazakh captions), or None.

    VTK's built-in fonts cover Latin-1 only. DejaVu Sans ships with matplotlib (which
    pyvista installs) and with most Linux systems; we look there without importing it.
    """
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    places: list[Path] = []
    spec = importlib.util.find_spec("matplotlib")
    if spec is not None and spec.submodule_search_locations:
        for loc in spec.submodule_search_locations:
            places.append(Path(loc) / "mpl-data" / "fonts" / "ttf")
    places.append(Path("/usr/share/fonts/truetype/dejavu"))
    for place in places:
        if (place / name).is_file():
            return str(place / name)
    return None


def style_text(
    prop: vtkTextProperty,
    size: float,
    color: tuple[float, float, float] = (1.0, 1.0, 1.0),
    *,
    bold: bool = False,
    shadow: bool = True,
) -> None:
    font = ui_font(bold)
    if font is not None:
        prop.SetFontFamily(4)  # VTK_FONT_FILE
        prop.SetFontFile(font)
    else:
        prop.SetBold(bold)
    prop.SetFontSize(max(6, round(size)))
    prop.SetColor(*color)
    prop.SetShadow(shadow)
    prop.SetShadowOffset(1, -1)


class _Polys2D:
    """Filled 2D polygons in pixels with per-vertex RGBA (gradients for free)."""

    def __init__(self, renderer: Any) -> None:
        self.data = vtkPolyData()
        self.mapper = vtkPolyDataMapper2D()
        self.mapper.SetInputData(self.data)
        self.mapper.SetScalarModeToUsePointData()
        self.mapper.SetColorModeToDirectScalars()
        self.actor = vtkActor2D()
        self.actor.SetMapper(self.mapper)
        self.renderer = renderer
        renderer.AddViewProp(self.actor)

    def set(self, polygons: list[tuple[np.ndarray, np.ndarray]]) -> None:
        """``polygons``: (points (n, 2) in pixels, colours (n, 4) uint8) each."""
        pts = vtkPoints()
        cells = vtkCellArray()
        colors = vtkUnsignedCharArray()
        colors.SetNumberOfComponents(4)
        k = 0
        for xy, rgba in polygons:
            cells.InsertNextCell(len(xy))
            for (x, y), c in zip(xy, rgba, strict=True):
                pts.InsertNextPoint(float(x), float(y), 0.0)
                colors.InsertNextTuple4(*(int(v) for v in c))
                cells.InsertCellPoint(k)
                k += 1
        self.data.SetPoints(pts)
        self.data.SetPolys(cells)
        self.data.GetPointData().SetScalars(colors)
        self.data.Modified()

    def remove(self) -> None:
        self.renderer.RemoveViewProp(self.actor)


def _rect(x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], float)


def nice_length(max_metres: float) -> float:
    """The largest 1, 2 or 5 x 10^n metres not above ``max_metres``."""
    if max_metres <= 0 or not math.isfinite(max_metres):
        return 0.0
    exp = math.floor(math.log10(max_metres))
    for m in (5.0, 2.0, 1.0):
        if m * 10**exp <= max_metres:
            return m * 10**exp
    return 10.0 ** (exp - 1) * 5.0


def format_length(metres: float) -> str:
    if metres >= 1000.0:
        km = metres / 1000.0
        return f"{km:g} km"
    return f"{metres:g} m"


class MapDecorations:
    """North arrow and scale bar, computed from the camera before every render."""

    def __init__(self, plotter: Any, theme: RenderTheme, *, corner: str = "lower_left") -> None:
        self.plotter = plotter
        self.renderer = plotter.renderer
        self.theme = theme
        self.corner = corner
        self.arrow = _Polys2D(self.renderer)
        self.bar = _Polys2D(self.renderer)
        self.north_label = vtkTextActor()
        self.bar_labels = [vtkTextActor(), vtkTextActor()]
        for t in (self.north_label, *self.bar_labels):
            self.renderer.AddViewProp(t)
        # Figures the tests read back: where north points (screen degrees, 0 = right,
        # 90 = up) and the length the bar stands for.
        self.north_angle_deg = 90.0
        self.bar_metres = 0.0
        self.bar_pixels = 0.0
        self.visible = True
        self.bottom_offset = 0.0  # pixels kept free below (e.g. a KPI strip)
        self.top_offset = 0.0  # pixels kept free above the arrow (e.g. a date)
        self._tag = self.renderer.AddObserver("StartEvent", lambda *_: self.update())

    def set_visible(self, on: bool) -> None:
        self.visible = bool(on)
        for a in (self.arrow.actor, self.bar.actor, self.north_label, *self.bar_labels):
            a.SetVisibility(self.visible)

    def _project(self, p: np.ndarray) -> np.ndarray:
        r = self.renderer
        r.SetWorldPoint(float(p[0]), float(p[1]), float(p[2]), 1.0)
        r.WorldToDisplay()
        x, y, _ = r.GetDisplayPoint()
        return np.array([x, y])

    def update(self) -> None:
        if not self.visible:
            return
        w, h = self.renderer.GetSize()
        if w <= 0 or h <= 0:
            return
        s = h / 1080.0
        cam = self.renderer.GetActiveCamera()
        focal = np.array(cam.GetFocalPoint(), float)
        pos = np.array(cam.GetPosition(), float)
        dist = max(float(np.linalg.norm(pos - focal)), 1.0)
        # North on screen: project a short step north from the focal point.
        a = self._project(focal)
        b = self._project(focal + np.array([0.0, 0.02 * dist, 0.0]))
        d = b - a
        if float(np.hypot(*d)) < 1e-6:  # looking straight along north: any is fine
            d = np.array([0.0, 1.0])
        angle = math.atan2(float(d[1]), float(d[0]))
        self.north_angle_deg = math.degrees(angle)
        # Ground metres per pixel at the focal point, across the screen.
        forward = focal - pos
        right = np.cross(forward, np.array(cam.GetViewUp(), float))
        right[2] = 0.0
        norm = float(np.linalg.norm(right))
        right = right / norm if norm > 1e-9 else np.array([1.0, 0.0, 0.0])
        step = 0.02 * dist
        px = float(np.linalg.norm(self._project(focal + right * step) - a))
        px_per_m = px / step if step > 0 else 0.0
        margin = 44.0 * s
        base_y = margin + self.bottom_offset
        self._draw_arrow(w, h, s, angle)
        self._draw_bar(s, px_per_m, margin, base_y, w)

    def _draw_arrow(self, w: int, h: int, s: float, angle: float) -> None:
        r = 30.0 * s
        cx = w - 48.0 * s - 1.25 * r
        cy = h - 48.0 * s - self.top_offset - 2.3 * r
        ux, uy = math.cos(angle), math.sin(angle)
        vx, vy = -uy, ux  # perpendicular
        tip = (cx + ux * r * 0.95, cy + uy * r * 0.95)
        tail = (cx - ux * r * 0.7, cy - uy * r * 0.7)
        left = (cx + vx * r * 0.42 - ux * r * 0.55, cy + vy * r * 0.42 - uy * r * 0.55)
        right = (cx - vx * r * 0.42 - ux * r * 0.55, cy - vy * r * 0.42 - uy * r * 0.55)
        circle = np.array(
            [
                (cx + r * 1.25 * math.cos(t), cy + r * 1.25 * math.sin(t))
                for t in np.linspace(0, 2 * math.pi, 48, endpoint=False)
            ]
        )
        disc = np.tile(np.array([12, 18, 28, 120], np.uint8), (len(circle), 1))
        white = np.tile(np.array([255, 255, 255, 240], np.uint8), (3, 1))
        grey = np.tile(np.array([150, 160, 172, 240], np.uint8), (3, 1))
        self.arrow.set(
            [
                (circle, disc),
                (np.array([tip, left, tail]), white),
                (np.array([tip, tail, right]), grey),
            ]
        )
        style_text(self.north_label.GetTextProperty(), 20 * s, bold=True)
        tp = self.north_label.GetTextProperty()
        tp.SetJustificationToCentered()
        tp.SetVerticalJustificationToCentered()
        self.north_label.SetInput("N")
        # The letter sits beyond the tip, so it reads upright whatever the heading.
        self.north_label.SetPosition(cx + ux * r * 1.9, cy + uy * r * 1.9)

    def _draw_bar(self, s: float, px_per_m: float, margin: float, y: float, w: int) -> None:
        if px_per_m <= 0:
            self.bar.set([])
            for t in self.bar_labels:
                t.SetInput("")
            return
        metres = nice_length(0.16 * w / px_per_m)
        length = metres * px_per_m
        self.bar_metres, self.bar_pixels = metres, length
        x0 = margin
        hgt = 8.0 * s
        half = x0 + length / 2
        dark = np.tile(np.array([20, 26, 34, 230], np.uint8), (4, 1))
        light = np.tile(np.array([250, 250, 250, 235], np.uint8), (4, 1))
        frame = np.tile(np.array([20, 26, 34, 200], np.uint8), (4, 1))
        pad = 1.5 * s
        self.bar.set(
            [
                (_rect(x0 - pad, y - pad, x0 + length + pad, y + hgt + pad), frame),
                (_rect(x0, y, half, y + hgt), light),
                (_rect(half, y, x0 + length, y + hgt), dark),
            ]
        )
        zero, full = self.bar_labels
        for t, x, text in ((zero, x0, "0"), (full, x0 + length, format_length(metres))):
            style_text(t.GetTextProperty(), 17 * s)
            t.GetTextProperty().SetJustificationToCentered()
            t.GetTextProperty().SetVerticalJustificationToBottom()
            t.SetInput(text)
            t.SetPosition(x, y + hgt + 5 * s)

    def close(self) -> None:
        self.renderer.RemoveObserver(self._tag)
        self.arrow.remove()
        self.bar.remove()
        for t in (self.north_label, *self.bar_labels):
            self.renderer.RemoveViewProp(t)


class PresentationOverlay:
    """Title, caption, date and a KPI strip over the 3D view, plus map decorations.

    ``tr`` translates the fixed words (KPI names, "as built"/"planned"); the app passes
    Qt's translator, the headless export leaves English.
    """

    def __init__(
        self,
        plotter: Any,
        theme: RenderTheme,
        *,
        tr: Callable[[str], str] | None = None,
        kpis: bool = True,
    ) -> None:
        self.plotter = plotter
        self.renderer = plotter.renderer
        self.theme = theme
        self.tr = tr or (lambda s: s)
        self.show_kpis = kpis
        self.scrims = _Polys2D(self.renderer)
        self.title = vtkTextActor()
        self.caption = vtkTextActor()
        self.date = vtkTextActor()
        self.date_note = vtkTextActor()
        self.kpi_values: list[vtkTextActor] = []
        self.kpi_labels: list[vtkTextActor] = []
        for t in (self.title, self.caption, self.date, self.date_note):
            self.renderer.AddViewProp(t)
        self.map = MapDecorations(plotter, theme)
        self._content: dict[str, Any] = {
            "title": "",
            "caption": "",
            "date": None,
            "mode": "actual",
            "kpis": {},
        }
        self._tag = self.renderer.AddObserver("StartEvent", lambda *_: self.layout())

    def set_content(
        self,
        title: str = "",
        caption: str = "",
        date: str | None = None,
        mode: str = "actual",
        kpis: Mapping[str, str] | None = None,
    ) -> None:
        self._content = {
            "title": title,
            "caption": caption,
            "date": date,
            "mode": mode,
            "kpis": dict(kpis or {}),
        }
        self.layout()

    @property
    def content(self) -> dict[str, Any]:
        return dict(self._content)

    def set_visible(self, on: bool) -> None:
        for a in (self.scrims.actor, self.title, self.caption, self.date, self.date_note):
            a.SetVisibility(on)
        for a in (*self.kpi_values, *self.kpi_labels):
            a.SetVisibility(on)
        self.map.set_visible(on)

    def _kpi_actors(self, n: int) -> None:
        while len(self.kpi_values) < n:
            for group in (self.kpi_values, self.kpi_labels):
                t = vtkTextActor()
                self.renderer.AddViewProp(t)
                group.append(t)
        while len(self.kpi_values) > n:
            for group in (self.kpi_values, self.kpi_labels):
                self.renderer.RemoveViewProp(group.pop())

    def layout(self) -> None:
        w, h = self.renderer.GetSize()
        if w <= 0 or h <= 0:
            return
        s = h / 1080.0
        m = 48.0 * s
        c = self._content
        # Title and caption, top left, on a soft dark scrim that fades into the view.
        style_text(self.title.GetTextProperty(), 50 * s, bold=True)
        self.title.GetTextProperty().SetVerticalJustificationToTop()
        self.title.SetInput(c["title"])
        self.title.SetPosition(m, h - m)
        width_chars = max(30, int(0.55 * w / (12.5 * s)))
        caption = "\n".join(textwrap.wrap(c["caption"], width_chars)[:3])
        style_text(self.caption.GetTextProperty(), 25 * s)
        self.caption.GetTextProperty().SetVerticalJustificationToTop()
        self.caption.GetTextProperty().SetLineSpacing(1.15)
        self.caption.SetInput(caption)
        self.caption.SetPosition(m, h - m - 72 * s)
        # Date, top right, with what it means (as built or planned).
        style_text(self.date.GetTextProperty(), 46 * s, bold=True)
        self.date.GetTextProperty().SetJustificationToRight()
        self.date.GetTextProperty().SetVerticalJustificationToTop()
        self.date.SetInput(c["date"] or "")
        self.date.SetPosition(w - m, h - m)
        style_text(self.date_note.GetTextProperty(), 20 * s)
        self.date_note.GetTextProperty().SetJustificationToRight()
        self.date_note.GetTextProperty().SetVerticalJustificationToTop()
        note = "" if not c["date"] else self.tr("planned" if c["mode"] == "planned" else "as built")
        self.date_note.SetInput(note)
        self.date_note.SetPosition(w - m, h - m - 58 * s)
        top_h = (m + 72 * s + 34 * s * max(1, caption.count("\n") + 1)) if c["title"] else 0.0
        polys: list[tuple[np.ndarray, np.ndarray]] = []
        if top_h:
            y0 = h - top_h - 60 * s
            polys.append(
                (
                    _rect(0, y0, w, h),
                    np.array([[8, 14, 24, 0], [8, 14, 24, 0], [8, 14, 24, 120], [8, 14, 24, 120]],
                             np.uint8),
                )
            )  # fmt: skip
        kpis = c["kpis"] if self.show_kpis else {}
        self._kpi_actors(len(kpis))
        strip = 0.0
        if kpis:
            strip = 92.0 * s
            polys.append(
                (
                    _rect(0, 0, w, strip + 40 * s),
                    np.array([[8, 14, 24, 175], [8, 14, 24, 175], [8, 14, 24, 0], [8, 14, 24, 0]],
                             np.uint8),
                )
            )  # fmt: skip
            cell = min(0.2 * w, 360 * s)
            for i, (label, value) in enumerate(kpis.items()):
                x = m + i * cell
                tv, tl = self.kpi_values[i], self.kpi_labels[i]
                style_text(tv.GetTextProperty(), 34 * s, bold=True)
                tv.SetInput(str(value))
                tv.SetPosition(x, 46 * s)
                style_text(tl.GetTextProperty(), 18 * s, color=(0.80, 0.86, 0.92))
                tl.SetInput(self.tr(label).upper())
                tl.SetPosition(x, 20 * s)
        self.scrims.set(polys)
        self.map.top_offset = (100.0 * s) if c["date"] else 0.0
        self.map.bottom_offset = strip + (8 * s if strip else 0.0)

    def close(self) -> None:
        self.renderer.RemoveObserver(self._tag)
        self.map.close()
        self.scrims.remove()
        self._kpi_actors(0)
        for t in (self.title, self.caption, self.date, self.date_note):
            self.renderer.RemoveViewProp(t)
