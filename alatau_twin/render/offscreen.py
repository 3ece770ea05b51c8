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

    def write(fh: BinaryIO) -> None:
        fh.write(png_bytes(image))

    out = atomic_write(output, write)
    return out


def png_bytes(image: np.ndarray) -> bytes:
    """An (h, w, 3) or (h, w, 4) uint8 image as PNG file contents.

    Written here rather than by Pillow for speed: Pillow filters every row (0.10-0.11 s
    for a 1600x900 frame at zlib level 1, 1.5 MB), while our frames (flat sky, ground
    and facades) compress better unfiltered: 0.04 s and 1.1 MB at the same level. The
    pixels are the same; only the encoding differs (zlib level 6 would cost ~0.5 s).
    """
    import struct
    import zlib

    img = np.ascontiguousarray(image, dtype=np.uint8)
    if img.ndim != 3 or img.shape[2] not in (3, 4):
        raise ValueError(f"expected an (h, w, 3|4) image, got shape {img.shape}")
    h, w, c = img.shape
    rows = np.empty((h, 1 + w * c), dtype=np.uint8)
    rows[:, 0] = 0  # filter type None on every row
    rows[:, 1:] = img.reshape(h, w * c)

    def chunk(tag: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(data, zlib.crc32(tag))
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)

    colour_type = 2 if c == 3 else 6  # truecolour, truecolour with alpha
    header = struct.pack(">IIBBBBB", w, h, 8, colour_type, 0, 0, 0)
    return b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            chunk(b"IHDR", header),
            chunk(b"IDAT", zlib.compress(rows.tobytes(), 1)),
            chunk(b"IEND", b""),
        ]
    )
