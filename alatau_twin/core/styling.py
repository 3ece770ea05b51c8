"""Style a layer by one attribute, with the legend that explains it (core: no Qt, no VTK).

Colours are computed here, in the model, together with a :class:`Legend` whose entries
count the features they stand for, so the Qt legend, the headless render and ``info``
all tell the same story. Categorical styles give the most frequent classes their own
colour and fold the long tail into "other" (a legend of 80 swatches explains nothing);
graduated styles bin numbers into a few classes, so each legend swatch is exactly the
colour drawn on screen.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from alatau_twin.core import style
from alatau_twin.core.layers import Layer
from alatau_twin.core.style import RGB, hex_to_rgb

OTHER_LABEL = "other"
NO_DATA_LABEL = "no data"
OTHER_COLOR: RGB = hex_to_rgb("#9e9e9e")
NO_DATA_COLOR: RGB = hex_to_rgb("#dcdcdc")

# Columns whose vocabulary already has agreed colours (style.py), used by style_layer.
KNOWN_MAPPINGS: dict[str, dict[str, RGB]] = {
    "use": style.USE_COLORS,
    "status": style.STATUS_COLORS,
    "network": style.NETWORK_COLORS,
    "district": style.DISTRICT_COLORS,
    "road_class": style.ROAD_COLORS,
}

# At most this many distinct integers still read as categories (floors, zone codes).
CATEGORICAL_INT_LIMIT = 12

LegendKind = Literal["categorical", "graduated"]
Ramp = Callable[[np.ndarray, float, float], np.ndarray] | Sequence[RGB]


@dataclass(frozen=True)
class LegendEntry:
    """One swatch: what it means, its colour, and how many features wear it."""

    label: str
    color: RGB
    count: int


@dataclass
class Legend:
    """What the colours of a styled layer mean; ``edges`` are class breaks (graduated)."""

    title: str
    entries: list[LegendEntry] = field(default_factory=list)
    kind: LegendKind = "categorical"
    edges: list[float] | None = None

    @property
    def total(self) -> int:
        """Features counted over all entries (equals the layer's feature count)."""
        return sum(e.count for e in self.entries)

    def labels(self) -> list[str]:
        return [e.label for e in self.entries]

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "kind": self.kind,
            "entries": [
                {"label": e.label, "color": list(e.color), "count": e.count} for e in self.entries
            ],
            **({"edges": list(self.edges)} if self.edges is not None else {}),
        }


def categorical_style(
    values: Sequence[Any] | np.ndarray,
    mapping: dict[str, RGB] | None = None,
    max_classes: int = 12,
    *,
    title: str = "",
) -> tuple[np.ndarray, Legend]:
    """Colour by class: the ``max_classes`` most frequent get a colour, the rest "other".

    A class takes its colour from ``mapping`` when listed there, otherwise the next
    unused palette colour in order of frequency (ties broken by label, so the result
    never depends on row order). Missing values (None, NaN, "") form a "no data" entry.
    Returns ``(colors (n, 3) uint8, legend)``.
    """
    if max_classes < 1:
        raise ValueError("max_classes must be at least 1")
    arr = np.asarray(values)
    if arr.ndim != 1:
        arr = arr.reshape(-1)
    n = arr.shape[0]
    missing = _missing(arr)
    labels = _labels(arr[~missing])
    uniques, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    order = sorted(range(len(uniques)), key=lambda i: (-int(counts[i]), str(uniques[i])))
    kept, rest = order[:max_classes], order[max_classes:]

    palette = _palette(max_classes)
    class_colors = np.empty((len(uniques), 3), dtype=np.uint8)
    class_colors[:] = OTHER_COLOR
    entries: list[LegendEntry] = []
    spare = 0
    for i in kept:
        label = str(uniques[i])
        if mapping is not None and label in mapping:
            color = tuple(int(c) for c in mapping[label])
        else:
            color = palette[spare % len(palette)]
            spare += 1
        class_colors[i] = color
        entries.append(LegendEntry(label, (color[0], color[1], color[2]), int(counts[i])))
    if rest:
        entries.append(LegendEntry(OTHER_LABEL, OTHER_COLOR, int(counts[rest].sum())))

    colors = np.empty((n, 3), dtype=np.uint8)
    colors[~missing] = class_colors[inverse.reshape(-1)]
    colors[missing] = NO_DATA_COLOR
    if missing.any():
        entries.append(LegendEntry(NO_DATA_LABEL, NO_DATA_COLOR, int(missing.sum())))
    return colors, Legend(title, entries, "categorical")


def graduated_style(
    values: Sequence[float] | np.ndarray,
    classes: int = 5,
    method: Literal["quantile", "equal"] = "quantile",
    ramp: Ramp | None = None,
    *,
    title: str = "",
) -> tuple[np.ndarray, Legend]:
    """Colour numbers in ``classes`` bins along a ramp; NaN gets a "no data" entry.

    ``quantile`` puts about as many features in each class (robust to the few towers
    that would otherwise squash everything into the first bin); ``equal`` splits the
    range evenly. Repeated quantile breaks (many equal values) merge into fewer classes.
    ``ramp`` is a function ``(values, vmin, vmax) -> uint8 RGB`` such as
    :func:`style.graduated_colors` (the default) or a sequence of RGB stops.
    Class ``i`` holds ``edges[i] <= v < edges[i + 1]``; the last class includes its top.
    """
    if classes < 1:
        raise ValueError("classes must be at least 1")
    if method not in ("quantile", "equal"):
        raise ValueError(f"method must be 'quantile' or 'equal', not {method!r}")
    v = np.asarray(values, dtype=float).reshape(-1)
    finite = np.isfinite(v)
    colors = np.empty((v.shape[0], 3), dtype=np.uint8)
    colors[:] = NO_DATA_COLOR
    entries: list[LegendEntry] = []
    edges: list[float] = []
    if finite.any():
        data = v[finite]
        lo, hi = float(data.min()), float(data.max())
        if method == "quantile":
            raw = np.quantile(data, np.linspace(0.0, 1.0, classes + 1))
        else:
            raw = np.linspace(lo, hi, classes + 1)
        breaks = np.unique(raw)
        if len(breaks) == 1:
            breaks = np.array([lo, hi])
        k = len(breaks) - 1
        # Inner breaks only: values on a break go up, the maximum stays in the last class.
        idx = np.searchsorted(breaks[1:-1], data, side="right")
        class_rgb = _ramp_colors(ramp, k)
        colors[finite] = class_rgb[idx]
        counts = np.bincount(idx, minlength=k)
        fmt = _number_format(breaks)
        for i in range(k):
            label = f"{fmt(breaks[i])} – {fmt(breaks[i + 1])}"
            rgb = (int(class_rgb[i, 0]), int(class_rgb[i, 1]), int(class_rgb[i, 2]))
            entries.append(LegendEntry(label, rgb, int(counts[i])))
        edges = [float(b) for b in breaks]
    n_missing = int((~finite).sum())
    if n_missing:
        entries.append(LegendEntry(NO_DATA_LABEL, NO_DATA_COLOR, n_missing))
    return colors, Legend(title, entries, "graduated", edges)


def style_layer(layer: Layer, column: str, kind: LegendKind | None = None) -> Legend:
    """Colour ``layer`` by ``column`` and remember how (``style_column``, ``legend``).

    With ``kind=None`` text, booleans and integers with few distinct values are styled
    as categories, other numbers as graduated classes. Known vocabularies (``use``,
    ``status``, ...) keep their agreed colours. Emits ``layer.colors_changed`` once.
    """
    table = layer.table
    if column not in table:
        raise KeyError(f"layer {layer.name!r} has no column {column!r}; columns: {table.columns}")
    values = table[column]
    chosen = kind or _auto_kind(values)
    if chosen == "categorical":
        colors, legend = categorical_style(values, KNOWN_MAPPINGS.get(column), title=column)
    elif chosen == "graduated":
        if values.dtype.kind not in "fiub":
            numeric = _as_numbers(values)
            if numeric is None:
                raise ValueError(f"column {column!r} of {layer.name!r} is not numeric")
            values = numeric
        colors, legend = graduated_style(values, title=column)
    else:
        raise ValueError(f"kind must be 'categorical', 'graduated' or None, not {kind!r}")
    layer.set_colors(colors)
    # Set dynamically: Layer has no such fields yet; views and saved projects read them.
    layer.style_column = column  # type: ignore[attr-defined]
    layer.legend = legend  # type: ignore[attr-defined]
    return legend


# -- helpers -------------------------------------------------------------------------


def _auto_kind(values: np.ndarray) -> LegendKind:
    k = values.dtype.kind
    if k == "f":
        return "graduated"
    if k in "iu":
        return "categorical" if len(np.unique(values)) <= CATEGORICAL_INT_LIMIT else "graduated"
    if k == "O":
        numeric = _as_numbers(values)
        if numeric is not None:
            return _auto_kind(numeric)
    return "categorical"


def _as_numbers(values: np.ndarray) -> np.ndarray | None:
    """Float view of an object column of numbers (None -> NaN), or None for text."""
    if any(isinstance(v, str | bool | np.bool_) for v in values[:100]):
        return None
    try:
        return values.astype(float)
    except (TypeError, ValueError):
        return None


def _missing(arr: np.ndarray) -> np.ndarray:
    k = arr.dtype.kind
    if k == "f":
        return np.isnan(arr)
    if k in "OUS":
        obj = arr.astype(object)
        return np.asarray((obj == None) | (obj != obj) | (obj == ""), dtype=bool)  # noqa: E711
    return np.zeros(arr.shape[0], dtype=bool)


def _labels(arr: np.ndarray) -> np.ndarray:
    """Legend labels: ``3`` not ``3.0`` for whole floats, ``True`` for booleans."""
    if arr.dtype.kind == "f":
        return np.array([f"{x:g}" for x in arr.tolist()], dtype=str)
    return arr.astype(str)


def _palette(n: int) -> list[RGB]:
    """The category palette, extended with lighter then darker variants past its end."""
    base = list(style.CATEGORY_PALETTE)
    out = list(base)
    for mix, target in ((0.45, 255), (0.35, 0)):
        if len(out) >= n:
            break
        for c in base:
            out.append(tuple(round(x + (target - x) * mix) for x in c))  # type: ignore[arg-type]
    return out


def _ramp_colors(ramp: Ramp | None, k: int) -> np.ndarray:
    """``k`` class colours spread over the whole ramp (ends included)."""
    t = np.linspace(0.0, 1.0, k) if k > 1 else np.array([0.5])
    if ramp is None:
        return style.graduated_colors(t, 0.0, 1.0)
    if callable(ramp):
        return np.asarray(ramp(t, 0.0, 1.0), dtype=np.uint8).reshape(k, 3)
    stops = np.asarray(ramp, dtype=float).reshape(-1, 3)
    if len(stops) == 1:
        return np.repeat(stops.astype(np.uint8), k, axis=0)
    pos = np.linspace(0.0, 1.0, len(stops))
    return (
        np.stack([np.interp(t, pos, stops[:, c]) for c in range(3)], axis=1)
        .round()
        .astype(np.uint8)
    )


def _number_format(breaks: np.ndarray) -> Callable[[float], str]:
    """Enough decimals to tell breaks apart (3.25 – 5.50, 12.5 – 30.0, 0.125 – 0.175)."""
    steps = np.diff(breaks)
    step = float(steps[steps > 0].min()) if (steps > 0).any() else 10.0
    decimals = int(min(4, max(1, 2 - np.floor(np.log10(step)))))
    return lambda x: f"{x:.{decimals}f}"
