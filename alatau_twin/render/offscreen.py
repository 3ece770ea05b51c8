"""Headless rendering to PNG with no display at all (render: VTK via EGL/OSMesa, no Qt).

Used by ``alatau-twin render``, the tests and the docs. VTK's wheels pick an EGL (or
OSMesa) render window when there is no X display; we never touch Qt here, so the same
call works on a server, in CI and under Xvfb alike. Nothing on this path imports
``pyvista.plotting`` or matplotlib (0.7-0.9 s): the plotter is
:class:`~alatau_twin.render.headless.HeadlessPlotter`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from alatau_twin.core.scene import Scene
from alatau_twin.io.atomic import atomic_write
from alatau_twin.render.headless import HeadlessPlotter
from alatau_twin.render.scene_view import SceneView
from alatau_twin.render.theme import RenderTheme, get_theme


def ensure_headless_backend() -> str:
    """Pick a render window that needs no X server: EGL if present, else OSMesa.

    VTK's default is an X window when ``DISPLAY`` is set (even to an empty string, which
    prints "bad X server connection" and then falls back). Choosing explicitly keeps
    ``alatau-twin render`` display-free under Xvfb, in CI and on servers alike. A value
    the user set in ``VTK_DEFAULT_OPENGL_WINDOW`` wins.
    """
    import ctypes.util

    if "VTK_DEFAULT_OPENGL_WINDOW" not in os.environ:
        egl = ctypes.util.find_library("EGL")
        os.environ["VTK_DEFAULT_OPENGL_WINDOW"] = (
            "vtkEGLRenderWindow" if egl else "vtkOSOpenGLRenderWindow"
        )
    return os.environ["VTK_DEFAULT_OPENGL_WINDOW"]


def offscreen_plotter(size: tuple[int, int]) -> HeadlessPlotter:
    """An off-screen plotter with the project's render settings (no MSAA)."""
    ensure_headless_backend()
    return HeadlessPlotter(size)


def render_scene(
    scene: Scene,
    size: tuple[int, int] = (1600, 900),
    view: str | None = "overview",
    theme: str | RenderTheme = "light",
    overlays: bool = True,
    caption: str | None = None,
) -> np.ndarray:
    """Render ``scene`` off-screen and return the RGB image as an (h, w, 3) array.

    ``overlays`` adds the title, the basis line, a north arrow and a scale bar; with a
    ``caption`` the presentation layout is used instead (large title, caption, date).
    """
    theme_obj = get_theme(theme) if isinstance(theme, str) else theme
    plotter = offscreen_plotter(size)
    try:
        sv = SceneView(plotter, scene, theme_obj)
        # A scene without an "overview" keeps SceneView's fitted camera; any other
        # unknown name raises a clear error naming the scene's views.
        if view is not None and (view in scene.views or view != "overview"):
            sv.apply_view(view)
        decorations: Any = None
        if overlays and caption is not None:
            from alatau_twin.render.overlays import PresentationOverlay

            decorations = PresentationOverlay(plotter, theme_obj, kpis=False)
            date = None if scene.date is None else str(np.datetime64(scene.date, "D"))
            decorations.set_content(scene.info.title, caption, date)
        elif overlays:
            from alatau_twin.render.overlays import MapDecorations

            add_caption(plotter, scene, theme_obj)
            decorations = MapDecorations(plotter, theme_obj)
        img = sv.screenshot()
        if decorations is not None:
            decorations.close()
        sv.close()
        return img
    finally:
        plotter.close()


def add_caption(plotter: Any, scene: Scene, theme: RenderTheme) -> None:
    """Title, date and an honest basis line, as presenters and engineers need them."""
    from alatau_twin.render.overlays import ui_font
    from alatau_twin.render.vtkkit import add_prop, corner_text

    title = scene.info.title
    if scene.date is not None:
        title += f"  ·  {np.datetime_as_string(scene.date, unit='D')}"
        title += "  ·  plan" if scene.progress_mode == "planned" else "  ·  as built"
    texts = [("title", title, "upper_left", 14)]
    if scene.info.basis_note:
        texts.append(("basis", scene.info.basis_note, "lower_left", 8))
    font = ui_font()  # DejaVu Sans: clean, and it has Cyrillic for titles
    for name, text, corner, size in texts:
        actor = corner_text(text, corner, font_size=size, color=theme.text, font_file=font)
        add_prop(plotter, actor, name, pickable=False)


def write_png_atomic(image: np.ndarray, output: str | os.PathLike[str]) -> Path:
    """Write a PNG so that a reader never sees a half-written file."""
    from PIL import Image  # pillow comes with pyvista

    def write(fh: BinaryIO) -> None:
        # Fast zlib level: level 6 took ~0.5 s for a 1600x900 frame, level 1 ~0.1 s.
        Image.fromarray(np.ascontiguousarray(image)).save(fh, format="PNG", compress_level=1)

    out = atomic_write(output, write)
    return out
