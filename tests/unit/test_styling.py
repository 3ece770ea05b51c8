"""Styling layers by attribute: colours per feature and a legend that counts them."""

from __future__ import annotations

import numpy as np
import pytest
from shapely.geometry import box

from alatau_twin.core import style
from alatau_twin.core.attributes import AttributeTable
from alatau_twin.core.extrude import extrude_footprints
from alatau_twin.core.layers import BuildingLayer, Layer
from alatau_twin.core.styling import (
    NO_DATA_COLOR,
    NO_DATA_LABEL,
    OTHER_COLOR,
    OTHER_LABEL,
    Legend,
    categorical_style,
    graduated_style,
    style_layer,
)


def building_layer(n: int = 40) -> BuildingLayer:
    rng = np.random.default_rng(7)
    geoms = [box(i * 30.0, 0.0, i * 30.0 + 20.0, 25.0) for i in range(n)]
    height = rng.uniform(6.0, 120.0, n)
    uses = np.array(["residential", "office", "retail", "school", None], dtype=object)
    table = AttributeTable(
        {
            "id": [f"b{i}" for i in range(n)],
            "height": height,
            "floors": rng.integers(1, 30, n),
            "levels_band": rng.integers(1, 4, n),
            "use": uses[rng.integers(0, 5, n)],
            "heritage": rng.integers(0, 2, n).astype(bool),
        }
    )
    mesh = extrude_footprints(geoms, height)
    return BuildingLayer("buildings", mesh, table)


def test_categorical_counts_add_up_and_follow_frequency() -> None:
    values = ["b", "a", "b", "c", "b", "a", None, ""]
    colors, legend = categorical_style(values, title="kind")
    assert colors.shape == (8, 3) and colors.dtype == np.uint8
    assert legend.kind == "categorical" and legend.title == "kind"
    assert legend.labels() == ["b", "a", "c", NO_DATA_LABEL]
    assert [e.count for e in legend.entries] == [3, 2, 1, 2]
    assert legend.total == len(values)
    # Most frequent class takes the first palette colour; each row wears its entry's colour.
    assert legend.entries[0].color == style.CATEGORY_PALETTE[0]
    by_label = {e.label: e.color for e in legend.entries}
    assert tuple(colors[0]) == by_label["b"] and tuple(colors[1]) == by_label["a"]
    assert tuple(colors[6]) == NO_DATA_COLOR == tuple(colors[7])


def test_categorical_colours_do_not_depend_on_row_order() -> None:
    rng = np.random.default_rng(1)
    values = np.array(list("aabbccdde"), dtype=object)
    _, legend = categorical_style(values)
    shuffled = rng.permutation(values)
    colors, legend2 = categorical_style(shuffled)
    assert legend == legend2  # ties broken by label, not by first appearance
    lookup = {e.label: e.color for e in legend.entries}
    assert all(tuple(c) == lookup[v] for c, v in zip(colors, shuffled, strict=True))


def test_rare_classes_fold_into_other() -> None:
    values = ["x"] * 10 + ["y"] * 5 + ["z"] * 2 + ["w", "v"]
    colors, legend = categorical_style(values, max_classes=2)
    assert legend.labels() == ["x", "y", OTHER_LABEL]
    assert legend.entries[-1].count == 4 and legend.entries[-1].color == OTHER_COLOR
    assert legend.total == len(values)
    assert (colors[15:] == OTHER_COLOR).all()


def test_mapping_colours_win_and_others_take_the_palette() -> None:
    values = ["office", "office", "spaceport", "residential"]
    colors, legend = categorical_style(values, mapping=style.USE_COLORS)
    lookup = {e.label: e.color for e in legend.entries}
    assert lookup["office"] == style.USE_COLORS["office"]
    assert lookup["residential"] == style.USE_COLORS["residential"]
    assert lookup["spaceport"] == style.CATEGORY_PALETTE[0]
    assert tuple(colors[2]) == style.CATEGORY_PALETTE[0]


def test_more_classes_than_palette_colours_stay_distinct() -> None:
    values = [f"c{i:02d}" for i in range(12) for _ in range(20 - i)]
    _, legend = categorical_style(values, max_classes=12)
    assert len(legend.entries) == 12
    assert len({e.color for e in legend.entries}) == 12


def test_numeric_categories_are_labelled_plainly() -> None:
    _, legend = categorical_style(np.array([3.0, 3.0, 1.0, np.nan]))
    assert legend.labels() == ["3", "1", NO_DATA_LABEL]
    _, legend = categorical_style(np.array([True, False, True]))
    assert legend.labels() == ["True", "False"]


def test_quantile_classes_hold_equal_shares() -> None:
    values = np.arange(1.0, 101.0)
    colors, legend = graduated_style(values, classes=4, method="quantile", title="height")
    assert legend.kind == "graduated"
    assert legend.edges == pytest.approx([1.0, 25.75, 50.5, 75.25, 100.0])
    assert [e.count for e in legend.entries] == [25, 25, 25, 25]
    assert legend.entries[0].label == "1.0 – 25.8"
    assert legend.entries[0].color == tuple(style.graduated_colors(np.array([0.0]), 0, 1)[0])
    assert legend.entries[-1].color == tuple(style.graduated_colors(np.array([1.0]), 0, 1)[0])
    # Each feature wears its class colour: the legend swatch is what the screen shows.
    assert tuple(colors[0]) == legend.entries[0].color
    assert tuple(colors[-1]) == legend.entries[-1].color


def test_equal_interval_classes_split_the_range() -> None:
    values = np.array([0.0, 1.0, 2.0, 9.0, 10.0, 100.0])
    _, legend = graduated_style(values, classes=4, method="equal")
    assert legend.edges == pytest.approx([0.0, 25.0, 50.0, 75.0, 100.0])
    assert [e.count for e in legend.entries] == [5, 0, 0, 1]
    assert legend.labels()[0] == "0.0 – 25.0"


def test_repeated_quantile_breaks_merge_classes() -> None:
    values = np.r_[np.zeros(80), np.arange(1.0, 21.0)]
    _, legend = graduated_style(values, classes=5)
    assert len(legend.entries) < 5
    assert legend.total == 100
    _, legend = graduated_style(np.full(10, 7.0))
    assert legend.labels() == ["7.0 – 7.0"] and legend.total == 10


def test_nan_values_get_a_no_data_entry() -> None:
    values = np.array([1.0, np.nan, 3.0, np.inf, 5.0])
    colors, legend = graduated_style(values, classes=2)
    assert legend.labels()[-1] == NO_DATA_LABEL
    assert legend.entries[-1].count == 2 and legend.total == 5
    assert tuple(colors[1]) == NO_DATA_COLOR
    colors, legend = graduated_style(np.full(3, np.nan))
    assert legend.labels() == [NO_DATA_LABEL] and (colors == NO_DATA_COLOR).all()


def test_custom_ramp_stops() -> None:
    _, legend = graduated_style(np.arange(10.0), classes=3, ramp=[(0, 0, 0), (255, 255, 255)])
    assert [e.color for e in legend.entries] == [(0, 0, 0), (128, 128, 128), (255, 255, 255)]


def test_style_layer_picks_a_kind_and_announces_new_colours() -> None:
    layer = building_layer()
    events: list[object] = []
    layer.colors_changed.connect(events.append)

    legend = style_layer(layer, "height")
    assert isinstance(legend, Legend) and legend.kind == "graduated"
    assert events == [None]  # one event, for all rows
    assert layer.style_column == "height"  # type: ignore[attr-defined]
    assert layer.legend is legend  # type: ignore[attr-defined]
    assert legend.total == layer.n_features == 40
    assert layer.colors.shape == (40, 3)

    legend = style_layer(layer, "use")
    assert legend.kind == "categorical" and legend.title == "use"
    lookup = {e.label: e.color for e in legend.entries}
    assert lookup["office"] == style.USE_COLORS["office"]
    assert NO_DATA_LABEL in lookup
    rows = np.flatnonzero(layer.table["use"] == "office")
    assert (layer.colors[rows] == style.USE_COLORS["office"]).all()

    assert style_layer(layer, "levels_band").kind == "categorical"  # few integers
    assert style_layer(layer, "floors").kind == "graduated"  # many integers
    assert style_layer(layer, "heritage").kind == "categorical"
    assert style_layer(layer, "floors", kind="categorical").kind == "categorical"
    assert len(events) == 6


def test_style_layer_is_deterministic() -> None:
    a, b = building_layer(), building_layer()
    style_layer(a, "use")
    style_layer(b, "use")
    assert np.array_equal(a.colors, b.colors)


def test_style_layer_unknown_column_lists_the_columns() -> None:
    layer = Layer("zones", AttributeTable({"id": [1, 2], "zone": ["a", "b"]}))
    with pytest.raises(KeyError, match=r"no column 'hieght'.*\['id', 'zone'\]"):
        style_layer(layer, "hieght")
    with pytest.raises(ValueError, match="not numeric"):
        style_layer(layer, "zone", kind="graduated")


def test_unique_text_is_numpy_unique_of_the_text() -> None:
    """The dict-based fast path gives exactly np.unique(values.astype(str)), and the
    columns it cannot mirror (None beside "None", trailing NULs, other types) take
    numpy's own path."""
    from alatau_twin.core.style import unique_text

    rng = np.random.default_rng(2)
    big = np.empty(5000, dtype=object)
    big[:] = list(rng.choice(["residential", "office", "Офис", "retail", "é", "", None], 5000))
    unhashable = np.empty(2, dtype=object)
    unhashable[0], unhashable[1] = ["x"], "x"
    cases = [
        big,
        np.array(["b", "a", None, "Z", "a"], dtype=object),
        np.array(["a", None, "None"], dtype=object),
        np.array(["a\x00", "a", "b"], dtype=object),
        np.array([1, "a", 2.5, None], dtype=object),
        ["q", "r", "q"],
        np.array(["b", "a"]),
        np.array([], dtype=object),
    ]
    for values in cases:
        uniques, inverse = unique_text(values)
        ref_uniques, ref_inverse = np.unique(np.asarray(values).astype(str), return_inverse=True)
        assert uniques.dtype == ref_uniques.dtype
        assert uniques.tolist() == ref_uniques.tolist()
        assert np.array_equal(inverse, ref_inverse)
    with pytest.raises(ValueError):  # as numpy itself refuses a list among the values
        unique_text(unhashable)
