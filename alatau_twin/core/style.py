"""Colours and palettes for layers and overlays (core: no Qt, no VTK).

Colours live in the model, not in the renderer, so the legend (Qt), the headless render
and `info` agree on what "residential" or "fault" looks like. All colours are RGB uint8.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

RGB = tuple[int, int, int]


def hex_to_rgb(value: str) -> RGB:
    v = value.lstrip("#")
    return (int(v[0:2], 16), int(v[2:4], 16), int(v[4:6], 16))


# Building use: muted, distinguishable, readable on terrain in both themes.
USE_COLORS: dict[str, RGB] = {
    "residential": hex_to_rgb("#e8d9b5"),
    "house": hex_to_rgb("#d9c49a"),
    "office": hex_to_rgb("#8fb8de"),
    "commercial": hex_to_rgb("#6fa3d6"),
    "retail": hex_to_rgb("#f2a65a"),
    "hotel": hex_to_rgb("#c38fd8"),
    "education": hex_to_rgb("#f6d55c"),
    "research": hex_to_rgb("#e0b84a"),
    "medical": hex_to_rgb("#ef6f6c"),
    "industrial": hex_to_rgb("#a3a3a3"),
    "warehouse": hex_to_rgb("#b9b09a"),
    "logistics": hex_to_rgb("#9c9486"),
    "leisure": hex_to_rgb("#7cc68d"),
    "civic": hex_to_rgb("#f08aa8"),
    "utility": hex_to_rgb("#5c6b73"),
}
DEFAULT_USE_COLOR: RGB = hex_to_rgb("#cfcfcf")

# Infrastructure status (the overlay vocabulary shared by feeds, alarms and legend).
STATUS_COLORS: dict[str, RGB] = {
    "ok": hex_to_rgb("#2ecc71"),
    "degraded": hex_to_rgb("#f1c40f"),
    "fault": hex_to_rgb("#e74c3c"),
    "maintenance": hex_to_rgb("#3498db"),
    "offline": hex_to_rgb("#7f8c8d"),
    "unknown": hex_to_rgb("#bdc3c7"),
}

# Construction phases (schedule.PHASES) from pale "planned" through warm site work to a
# calm green "complete": mid-luminance colours that read on the light sky and the dark
# theme alike, and none near the magenta selection highlight.
PHASE_COLORS: dict[str, RGB] = {
    "planned": hex_to_rgb("#c3ccd6"),
    "site preparation": hex_to_rgb("#f2cf6b"),
    "foundation": hex_to_rgb("#ee9f4a"),
    "structure": hex_to_rgb("#d9603b"),
    "envelope": hex_to_rgb("#9a72c9"),
    "fit-out": hex_to_rgb("#4b98d6"),
    "complete": hex_to_rgb("#62ad6e"),
}

# Schedule status (as built against the plan): traffic-light colours a planner reads
# at a glance; finished and not-yet-started work stays neutral so exceptions stand out.
SCHEDULE_STATUS_COLORS: dict[str, RGB] = {
    "not started": hex_to_rgb("#d3dae2"),
    "on time": hex_to_rgb("#43a55a"),
    "ahead": hex_to_rgb("#2f7fd8"),
    "late": hex_to_rgb("#e0413a"),
    "complete": hex_to_rgb("#c9bfa8"),
}
UNSCHEDULED_COLOR: RGB = hex_to_rgb("#9ea4aa")

NETWORK_COLORS: dict[str, RGB] = {
    "power": hex_to_rgb("#ffb300"),
    "water": hex_to_rgb("#1e88e5"),
    "sewer": hex_to_rgb("#8d6e63"),
}

ROAD_COLORS: dict[str, RGB] = {
    "highway": hex_to_rgb("#3b3b3b"),
    "ring": hex_to_rgb("#3b3b3b"),
    "arterial": hex_to_rgb("#555555"),
    "boulevard": hex_to_rgb("#606060"),
    "street": hex_to_rgb("#777777"),
    "rail": hex_to_rgb("#6d4c41"),
}

DISTRICT_COLORS: dict[str, RGB] = {
    "Gate": hex_to_rgb("#1565c0"),
    "Golden": hex_to_rgb("#f9a825"),
    "Growing": hex_to_rgb("#6d4c41"),
    "Green": hex_to_rgb("#2e7d32"),
    "Microdistricts": hex_to_rgb("#8e8e8e"),
}

BASIS_VALUES = ("fact", "derived", "illustrative")

# A qualitative palette for categories with no assigned colour (Tableau 10).
CATEGORY_PALETTE: tuple[RGB, ...] = tuple(
    hex_to_rgb(h)
    for h in (
        "#4e79a7 #f28e2b #e15759 #76b7b2 #59a14f #edc948 #b07aa1 #ff9da7 #9c755f #bab0ac".split()
    )
)

WATER_COLOR: RGB = hex_to_rgb("#3d7fb8")

# Hypsometric tints from low plain to foothills, keyed by metres above sea level.
_TERRAIN_STOPS: tuple[tuple[float, RGB], ...] = (
    (400.0, hex_to_rgb("#7fa66a")),
    (520.0, hex_to_rgb("#a9bd7c")),
    (650.0, hex_to_rgb("#d7cc95")),
    (800.0, hex_to_rgb("#c9a877")),
    (1000.0, hex_to_rgb("#a98463")),
    (1300.0, hex_to_rgb("#8e7a6a")),
    (1800.0, hex_to_rgb("#e6e2dc")),
)


def unique_text(values: Sequence[Any] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(np.asarray(values).astype(str), return_inverse=True)``, faster for
    a column of Python strings (and None) as readers give them.

    A text column of 100k values costs ~15 ms to convert to a numpy string array and
    20-40 ms more to sort; counting distinct values in a dict and sorting only those
    costs ~10 ms. The result is the same: the same sorted strings (code point order, as
    numpy sorts them) with the same dtype, and the same inverse.
    """
    arr = np.asarray(values)
    if arr.dtype == object and arr.ndim == 1 and len(arr):
        seen: dict[Any, int] = {}
        try:
            codes = [seen.setdefault(v, len(seen)) for v in arr.tolist()]
        except TypeError:  # unhashable values: numpy's path turns them into text
            seen, codes = {0: 0}, []
        text = ["None" if v is None else v for v in seen]
        plain = set(map(type, seen)) <= {str, type(None)}
        # numpy's strings drop trailing NULs, and None and "None" are one string to it:
        # such (rare) columns take numpy's own path.
        if plain and len(set(text)) == len(text) and not any(t.endswith("\0") for t in text):
            order = sorted(range(len(text)), key=text.__getitem__)
            rank = np.empty(len(order), dtype=np.intp)
            rank[order] = np.arange(len(order))
            uniques = np.array([text[i] for i in order], dtype=str)
            return uniques, rank[np.array(codes, dtype=np.intp)]
    return np.unique(arr.astype(str), return_inverse=True)


def categorical_colors(
    values: Sequence[Any] | np.ndarray,
    mapping: dict[str, RGB] | None = None,
    default: RGB = DEFAULT_USE_COLOR,
) -> np.ndarray:
    """RGB uint8 (n, 3) for category values; unknown categories take palette colours.

    Vectorised over unique values, so 100k features cost one dict lookup per category.
    """
    uniques, inverse = unique_text(values)
    out = np.empty((inverse.shape[0], 3), dtype=np.uint8)
    table = np.empty((len(uniques), 3), dtype=np.uint8)
    spare = 0
    for i, u in enumerate(uniques):
        if mapping and u in mapping:
            table[i] = mapping[u]
        elif mapping is None:
            table[i] = CATEGORY_PALETTE[i % len(CATEGORY_PALETTE)]
        else:
            table[i] = default if u in ("", "None", "nan") else CATEGORY_PALETTE[spare % 10]
            spare += 1
    out[:] = table[inverse.reshape(-1)]
    return out


def elevation_colors(z: np.ndarray) -> np.ndarray:
    """Hypsometric RGB (float 0..1, shape z.shape + (3,)) for elevations in metres."""
    levels = np.array([s[0] for s in _TERRAIN_STOPS])
    cols = np.array([s[1] for s in _TERRAIN_STOPS], dtype=float) / 255.0
    flat = np.asarray(z, float).reshape(-1)
    rgb = np.stack([np.interp(flat, levels, cols[:, c]) for c in range(3)], axis=1)
    return rgb.reshape((*np.shape(z), 3))


def graduated_colors(values: np.ndarray, vmin: float, vmax: float) -> np.ndarray:
    """A perceptual blue-to-yellow ramp (viridis-like stops) as uint8 RGB."""
    stops = np.array(
        [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]], float
    )
    t = np.clip((np.asarray(values, float) - vmin) / max(vmax - vmin, 1e-9), 0, 1)
    pos = t * (len(stops) - 1)
    i = np.minimum(pos.astype(int), len(stops) - 2)
    f = (pos - i)[:, None]
    return (stops[i] * (1 - f) + stops[i + 1] * f).astype(np.uint8)
