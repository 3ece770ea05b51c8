"""The city growing over time, rendered headless frame by frame (render: VTK, no Qt).

One off-screen plotter and one :class:`SceneView` serve every frame: a frame moves the
time cursor (buildings grow in place, ghosts and colours follow), updates the caption
and renders. Nothing is rebuilt between frames, so a frame costs one render plus a few
milliseconds of model updates. Frames are a pure function of the frame's time, so the
same export twice gives the same pictures.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from alatau_twin.core.construction import (
    format_time,
    programme_buildings,
)
from alatau_twin.core.scene import Scene
from alatau_twin.render.offscreen import offscreen_plotter
from alatau_twin.render.scene_view import SceneView
from alatau_twin.render.theme import RenderTheme, get_theme

ProgressCallback = Callable[[int, int], None]
# The timeline bar along the bottom edge of every frame.
BAR_RGB = np.array([255, 179, 0], dtype=np.uint8)
BAR_TRACK_RGB = np.array([40, 48, 60], dtype=np.uint8)


def frame_times(start: Any, end: Any, frames: int) -> np.ndarray:
    """``frames`` cursor times evenly from ``start`` to ``end`` inclusive (datetime64[s])."""
    a = np.datetime64(start, "s").astype("int64")
    b = np.datetime64(end, "s").astype("int64")
    if b <= a:
        raise ValueError(f"the end {end} must be after the start {start}")
    if frames < 2:
        raise ValueError("a video needs at least 2 frames")
    t = np.round(np.linspace(a, b, frames)).astype(np.int64)
    return t.astype("datetime64[s]")


@dataclass
class GrowthVideoResult:
    output: Path
    frames: int
    size: tuple[int, int]
    fps: float
    seconds: float

    @property
    def duration(self) -> float:
        return self.frames / self.fps


class GrowthRenderer:
    """Renders the scene at successive cursor times with captions and a timeline bar."""

    def __init__(
        self,
        scene: Scene,
        size: tuple[int, int] = (1280, 720),
        theme: str | RenderTheme = "light",
        *,
        view: str | None = "overview",
        captions: bool = True,
        orbit_deg: float = 0.0,
    ) -> None:
        from alatau_twin.render.overlays import PresentationOverlay

        self.scene = scene
        self.size = size
        self.theme = get_theme(theme) if isinstance(theme, str) else theme
        self.plotter = offscreen_plotter(size)
        self.view = SceneView(self.plotter, scene, self.theme)
        if view is not None and (view in scene.views or view != "overview"):
            self.view.apply_view(view)
        self.orbit_deg = float(orbit_deg)
        self.overlay = PresentationOverlay(self.plotter, self.theme) if captions else None
        self._rows, _ = programme_buildings(scene)
        self._start: np.datetime64 | None = None
        self._end: np.datetime64 | None = None

    def kpis(self) -> dict[str, str]:
        """City programme progress at the cursor: built, planned, under way, late."""
        from alatau_twin.core.construction import LATE, layer_progress

        sched = self.scene.schedule
        if sched is None or self.scene.date is None or len(self._rows) == 0:
            return {}
        day = self.scene.date
        built = float(sched.actual_progress(day)[self._rows].mean() * 100)
        plan = float(sched.planned_progress(day)[self._rows].mean() * 100)
        out = {"built": f"{built:.1f} %", "plan": f"{plan:.1f} %"}
        under_way = 0
        late = 0
        for layer in self.scene.building_layers():
            st = layer_progress(sched, layer, day, "actual", need_both=True)
            under_way += int(((st.actual > 0) & (st.actual < 1) & st.scheduled).sum())
            late += int((st.statuses(sched)[st.scheduled] == LATE).sum())
        out["under construction"] = f"{under_way:,}"
        out["late"] = f"{late:,}"
        return out

    def render_at(self, time: Any, index: int = 0, total: int = 1) -> np.ndarray:
        """Move the cursor to ``time`` and return the frame (h, w, 3) uint8."""
        self.scene.set_date(time)
        if self.orbit_deg and total > 1 and index > 0:
            self.plotter.renderer.GetActiveCamera().Azimuth(self.orbit_deg / (total - 1))
        if self.overlay is not None:
            caption = ""
            if self.scene.color_by == "phase":
                caption = "Buildings coloured by construction phase; ghosts are planned"
            elif self.scene.color_by == "status":
                caption = "Buildings coloured by schedule status, as built against the plan"
            else:
                caption = "Construction in 4D: ghosts are planned, solid is built"
            self.overlay.set_content(
                title=self.scene.info.title,
                caption=caption,
                date=format_time(self.scene.time, with_time=False),
                mode=self.scene.progress_mode,
                kpis=self.kpis(),
            )
        image = self.view.screenshot()
        return self._timeline_bar(image, index, total)

    def _timeline_bar(self, image: np.ndarray, index: int, total: int) -> np.ndarray:
        """A thin bar along the bottom edge: how far through the range this frame is."""
        h, w = image.shape[:2]
        bar = max(3, h // 120)
        out = np.array(image, copy=True)
        out[h - bar :, :] = BAR_TRACK_RGB
        filled = round(w * (index / max(1, total - 1)))
        out[h - bar :, :filled] = BAR_RGB
        return out

    def frames(self, times: np.ndarray) -> Iterator[np.ndarray]:
        for i, t in enumerate(times):
            yield self.render_at(t, i, len(times))

    def close(self) -> None:
        if self.overlay is not None:
            self.overlay.close()
        self.view.close()
        self.plotter.close()


def export_growth_video(
    scene: Scene,
    output: str | os.PathLike[str],
    times: np.ndarray,
    *,
    size: tuple[int, int] = (1280, 720),
    fps: float = 30.0,
    view: str | None = "overview",
    theme: str | RenderTheme = "light",
    captions: bool = True,
    orbit_deg: float = 0.0,
    progress: ProgressCallback | None = None,
) -> GrowthVideoResult:
    """Render one frame per cursor time into an H.264 MP4 written atomically."""
    import time as _time

    from alatau_twin.io.video import VideoWriter

    t0 = _time.perf_counter()
    renderer = GrowthRenderer(scene, size, theme, view=view, captions=captions, orbit_deg=orbit_deg)
    total = len(times)
    try:
        with VideoWriter(output, size, fps) as writer:
            for i, frame in enumerate(renderer.frames(times)):
                writer.append(frame)
                if progress is not None:
                    progress(i + 1, total)
        out = writer.output
    finally:
        renderer.close()
    return GrowthVideoResult(out, total, size, fps, _time.perf_counter() - t0)
