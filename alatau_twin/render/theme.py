"""Render themes: background, lights, line widths, anti-aliasing (render: VTK, no Qt).

One theme object feeds both the off-screen plotter (CLI, tests) and the Qt widget, so
a headless PNG looks like the app. MSAA is always off: on software GL (llvmpipe) it
costs 3-4x per frame; FXAA gives most of the smoothing for a fraction of that.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RenderTheme:
    """Colours are hex strings; sizes are screen pixels."""

    name: str
    sky_top: str
    sky_bottom: str
    text: str
    label_text: str
    label_shape: str
    road_width_px: float = 2.0
    highway_width_px: float = 4.0
    network_width_px: float = 3.0
    station_size_px: float = 6.0
    fxaa: bool = True
    # The colour of the air at the horizon: distant land fades into it and the sky
    # meets it at the horizon line (render/stage.py).
    haze: str = "#dfe6ec"
    # Roads and rail are blended this far towards ``road_tint`` (0 = model colours).
    road_tint: str = "#f6f3ec"
    road_tint_amount: float = 0.5


LIGHT = RenderTheme(
    name="light",
    sky_top="#6f9fd1",
    sky_bottom="#e9eef3",
    text="#1d2733",
    label_text="#ffffff",
    label_shape="#1d2733",
)

DARK = RenderTheme(
    name="dark",
    sky_top="#05080f",
    sky_bottom="#27384f",
    text="#e8edf3",
    label_text="#0d1520",
    label_shape="#e8edf3",
    haze="#2b3a50",
    road_tint="#c9d2dc",
    road_tint_amount=0.35,
)

THEMES = {"light": LIGHT, "dark": DARK}


def get_theme(name: str) -> RenderTheme:
    try:
        return THEMES[name]
    except KeyError:
        raise ValueError(f"unknown theme {name!r}; choose from {sorted(THEMES)}") from None
