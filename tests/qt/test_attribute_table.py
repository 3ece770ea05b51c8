"""The attribute table dock and the search bar under Xvfb: sort, filter, select, fly, scale."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from alatau_twin.core.attributes import AttributeTable
from alatau_twin.core.layers import PointLayer
from alatau_twin.core.scene import Scene
from alatau_twin.ui.attribute_table import (
    AttributeTableDock,
    AttributeTableModel,
    FeatureFilterProxy,
)
from alatau_twin.ui.search import SearchBar, search_features

pytestmark = pytest.mark.qt


def _model_connections(scene: Scene) -> int:
    """Slots connected to the scene's signals (each widget must give its own back)."""
    return len(scene.selection_changed) + len(scene.layers.inserted) + len(scene.layers.removed)


@pytest.fixture()
def make_dock(qtbot):
    """Docks that are shown, then closed and disconnected from the model at teardown."""
    made: list[tuple[AttributeTableDock, Scene, int]] = []

    def factory(scene: Scene) -> AttributeTableDock:
        before = _model_connections(scene)
        dock = AttributeTableDock(scene)
        qtbot.addWidget(dock)
        dock.resize(900, 500)
        dock.show()
        qtbot.waitExposed(dock)
        made.append((dock, scene, before))
        return dock

    yield factory
    for dock, scene, before in made:
        dock.close_model()
        dock.close()
        assert _model_connections(scene) == before, "close_model() left slots connected"


@pytest.fixture()
def make_search_bar(qtbot):
    made: list[SearchBar] = []

    def factory(scene: Scene) -> SearchBar:
        bar = SearchBar(scene)
        qtbot.addWidget(bar)
        bar.resize(420, 30)
        bar.show()
        qtbot.waitExposed(bar)
        made.append(bar)
        return bar

    yield factory
    for bar in made:
        bar.close_model()
        bar.close()
        assert not bar.results.isVisible()


def _column(dock: AttributeTableDock, name: str) -> int:
    return dock.model.column_names.index(name)


def _shown_ids(dock: AttributeTableDock) -> list[str]:
    ids = dock.model.layer.table["id"]
    return [str(x) for x in ids[dock.proxy.rows]]


def _synthetic_layer(n: int = 100_000, name: str = "Sensors") -> PointLayer:
    rng = np.random.default_rng(7)
    table = AttributeTable(
        {
            "id": np.array([f"S-{i:06d}" for i in range(n)], dtype=object),
            "name": np.array([f"Sensor {i}" for i in range(n)], dtype=object),
            "kind": rng.choice(np.array(["air", "noise", "water", "traffic"], dtype=object), n),
            "value": rng.normal(50, 20, n),
            "count": rng.integers(0, 10_000, n),
        }
    )
    points = rng.uniform(0, 10_000, (n, 3))
    return PointLayer(name, points, table)


# -- the model ------------------------------------------------------------------------
def test_model_lists_every_building_with_formatted_and_raw_values(sample_scene) -> None:
    layer = sample_scene.layers["Buildings"]
    model = AttributeTableModel(layer)
    assert model.rowCount() == 14_490
    assert model.column_names == layer.table.columns
    col = {name: i for i, name in enumerate(model.column_names)}
    row = layer.table.index_of("GATE-ICONIC-1")
    height = model.index(row, col["height"])
    assert model.data(height) == "272.00"
    assert model.data(height, Qt.ItemDataRole.UserRole) == 272.0
    assert model.data(model.index(row, col["floors"])) == "56"
    assert model.data(model.index(row, col["name"])) == "Iconic Tower"
    tip = model.headerData(col["height"], Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
    assert "height" in tip and "number" in tip
    assert model.headerData(col["id"], Qt.Orientation.Horizontal) == "id"


def test_dock_opens_on_buildings_and_counts_them(make_dock, sample_scene) -> None:
    dock = make_dock(sample_scene)
    assert dock.objectName() == "attributeTableDock"
    assert dock.windowTitle() == "Attributes"
    assert dock.layer_name == "Buildings"
    assert dock.proxy.rowCount() == 14_490
    assert dock.count_label.text() == "14,490 of 14,490 features"
    names = [dock.layer_combo.itemData(i) for i in range(dock.layer_combo.count())]
    assert "Terrain" not in names  # no attribute table
    assert names == [x.name for x in sample_scene.layers if x.n_features]
    assert dock.view.verticalHeader().isHidden()
    assert dock.view.isSortingEnabled()
    assert dock.proxy.sort_column == -1  # feature order until a header is clicked
    assert _shown_ids(dock)[:2] == ["GATE-ICONIC-1", "GATE-ICONIC-2"]


def test_dock_on_an_empty_scene_waits_for_a_layer(make_dock) -> None:
    scene = Scene()
    dock = make_dock(scene)
    assert dock.layer_name is None
    assert dock.count_label.text() == "0 of 0 features"
    scene.layers.append(_synthetic_layer(50))
    assert dock.layer_name == "Sensors"
    assert dock.count_label.text() == "50 of 50 features"


# -- sorting and filtering ------------------------------------------------------------
def test_sorting_by_height_descending_puts_the_iconic_tower_first(make_dock, sample_scene) -> None:
    dock = make_dock(sample_scene)
    col = _column(dock, "height")
    dock.view.sortByColumn(col, Qt.SortOrder.DescendingOrder)
    assert _shown_ids(dock)[0] == "GATE-ICONIC-1"
    assert dock.proxy.data(dock.proxy.index(0, col)) == "272.00"
    heights = sample_scene.layers["Buildings"].table["height"][dock.proxy.rows]
    assert np.all(np.diff(heights) <= 0), "numeric sort, not text sort"
    header = dock.view.horizontalHeader()
    assert header.sortIndicatorSection() == col
    assert header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder

    dock.view.sortByColumn(col, Qt.SortOrder.AscendingOrder)
    heights = sample_scene.layers["Buildings"].table["height"][dock.proxy.rows]
    assert np.all(np.diff(heights) >= 0)


def test_clicking_a_header_sorts_by_that_column(make_dock, qtbot, sample_scene) -> None:
    dock = make_dock(sample_scene)
    col = _column(dock, "floors")
    header = dock.view.horizontalHeader()
    x = header.sectionViewportPosition(col) + header.sectionSize(col) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))
    floors = sample_scene.layers["Buildings"].table["floors"][dock.proxy.rows]
    assert dock.proxy.sort_column == col
    assert np.all(np.diff(floors) >= 0) or np.all(np.diff(floors) <= 0)
    assert len(floors) == 14_490


def test_text_filter_keeps_rows_containing_the_text(make_dock, qtbot, sample_scene) -> None:
    dock = make_dock(sample_scene)
    qtbot.keyClicks(dock.search, "Iconic")
    # Filtering waits for a pause in typing.
    qtbot.waitUntil(lambda: dock.proxy.rowCount() < 14_490, timeout=2000)
    # Three buildings say "Iconic" (two towers and their podium), by name and by id.
    assert sorted(_shown_ids(dock)) == ["GATE-ICONIC-1", "GATE-ICONIC-2", "GATE-ICONIC-PODIUM"]
    assert dock.count_label.text() == "3 of 14,490 features"

    dock.search.setText("iconic tower")  # case-insensitive substring, not word-wise
    dock.apply_text_filter()
    assert sorted(_shown_ids(dock)) == ["GATE-ICONIC-1", "GATE-ICONIC-PODIUM"]
    assert dock.count_label.text().startswith("2 of 14,490")

    dock.search.setText("272.00")  # numbers match as shown
    dock.apply_text_filter()
    assert "GATE-ICONIC-1" in _shown_ids(dock)

    dock.search.clear()
    dock.apply_text_filter()
    assert dock.proxy.rowCount() == 14_490


def test_layer_filter_mask_hides_rows_and_is_followed(make_dock, fresh_sample_scene) -> None:
    layer = fresh_sample_scene.layers["Buildings"]
    dock = make_dock(fresh_sample_scene)
    mask = layer.table["height"] > 100
    layer.set_filter(mask, "height > 100")
    assert dock.proxy.rowCount() == int(mask.sum()) > 0
    assert dock.count_label.text() == f"{int(mask.sum()):,} of 14,490 features"
    assert np.all(layer.table["height"][dock.proxy.rows] > 100)

    dock.search.setText("ICONIC")  # both filters apply
    dock.apply_text_filter()
    assert sorted(_shown_ids(dock)) == ["GATE-ICONIC-1"]

    layer.set_filter(None)
    assert dock.proxy.rowCount() == 3
    dock.search.clear()
    dock.apply_text_filter()
    assert dock.proxy.rowCount() == 14_490


# -- selection both ways --------------------------------------------------------------
def test_clicking_a_row_selects_that_feature_in_the_scene(
    make_dock, qtbot, fresh_sample_scene
) -> None:
    dock = make_dock(fresh_sample_scene)
    dock.view.sortByColumn(_column(dock, "height"), Qt.SortOrder.DescendingOrder)
    proxy_row = 2
    expected_id = dock.proxy.data(dock.proxy.index(proxy_row, _column(dock, "id")))
    rect = dock.view.visualRect(dock.proxy.index(proxy_row, 1))
    qtbot.mouseClick(dock.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())

    sel = fresh_sample_scene.selection
    assert sel.layer == "Buildings"
    assert len(sel.rows) == 1
    table = fresh_sample_scene.layers["Buildings"].table
    assert table["id"][sel.rows[0]] == expected_id
    assert sel.rows[0] != proxy_row  # a model row, not the sorted view's row

    # Shift-click extends: three rows, all in the scene.
    rect = dock.view.visualRect(dock.proxy.index(proxy_row + 2, 1))
    qtbot.mouseClick(
        dock.view.viewport(),
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.ShiftModifier,
        rect.center(),
    )
    assert sorted(fresh_sample_scene.selection.rows) == sorted(
        int(r) for r in dock.proxy.rows[proxy_row : proxy_row + 3]
    )


def test_selecting_in_the_scene_selects_and_scrolls_the_view(make_dock, fresh_sample_scene) -> None:
    dock = make_dock(fresh_sample_scene)
    events: list[object] = []

    def record(new: object, _old: object) -> None:
        events.append(new)

    fresh_sample_scene.selection_changed.connect(record)
    row = fresh_sample_scene.layers["Buildings"].n_features - 5
    fresh_sample_scene.select("Buildings", [row])

    assert dock.selected_rows() == [row]
    assert len(events) == 1, "the view fed the selection back into scene.select"
    index = dock.proxy.index(int(dock.proxy.proxy_rows([row])[0]), 0)
    assert dock.view.viewport().rect().intersects(dock.view.visualRect(index)), "not scrolled"

    # A sort keeps showing the scene's selection.
    dock.view.sortByColumn(_column(dock, "height"), Qt.SortOrder.DescendingOrder)
    assert dock.selected_rows() == [row]

    fresh_sample_scene.select(None)
    assert dock.selected_rows() == []
    assert len(events) == 2
    fresh_sample_scene.selection_changed.disconnect(record)


def test_selection_in_another_layer_switches_the_table(make_dock, fresh_sample_scene) -> None:
    dock = make_dock(fresh_sample_scene)
    fresh_sample_scene.select("Roads", [3, 4])
    assert dock.layer_name == "Roads"
    assert dock.layer_combo.currentData() == "Roads"
    assert dock.selected_rows() == [3, 4]
    n = fresh_sample_scene.layers["Roads"].n_features
    assert dock.count_label.text() == f"{n:,} of {n:,} features · 2 selected"
    # Switching the combo back shows Buildings without touching the selection.
    dock.show_layer("Buildings")
    assert dock.selected_rows() == []
    assert fresh_sample_scene.selection.layer == "Roads"


def test_double_click_and_enter_ask_to_fly_to_the_rows(
    make_dock, qtbot, fresh_sample_scene
) -> None:
    dock = make_dock(fresh_sample_scene)
    rect = dock.view.visualRect(dock.proxy.index(0, 1))
    with qtbot.waitSignal(dock.flyRequested, timeout=2000) as blocker:
        # A real double-click starts with a press: the view acts only on the pressed row.
        qtbot.mouseClick(dock.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(dock.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert blocker.args == ["Buildings", [0]]

    fresh_sample_scene.select("Buildings", [5, 7])
    dock.view.setFocus()
    with qtbot.waitSignal(dock.flyRequested, timeout=2000) as blocker:
        qtbot.keyClick(dock.view, Qt.Key.Key_Return)
    assert blocker.args == ["Buildings", [5, 7]]


def test_combo_follows_layers_added_and_removed(make_dock, fresh_sample_scene) -> None:
    dock = make_dock(fresh_sample_scene)
    layer = _synthetic_layer(1_000)
    fresh_sample_scene.layers.append(layer)
    assert dock.layer_combo.findData("Sensors") >= 0
    assert dock.layer_name == "Buildings"  # adding a layer does not switch the table
    dock.view.sortByColumn(_column(dock, "height"), Qt.SortOrder.DescendingOrder)
    dock.show_layer("Sensors")
    assert dock.proxy.rowCount() == 1_000
    assert dock.proxy.sort_column == -1  # a new table starts in feature order
    layer.set_filter(layer.table["count"] < 5_000)
    assert dock.proxy.rowCount() == int((layer.table["count"] < 5_000).sum())

    fresh_sample_scene.layers.remove(layer)
    assert dock.layer_combo.findData("Sensors") < 0
    assert dock.layer_name == fresh_sample_scene.layers.names()[1]  # first with a table
    assert len(layer.filter_changed) == 0, "the proxy still follows a removed layer"


def test_close_model_disconnects_from_scene_and_layer(qtbot, fresh_sample_scene) -> None:
    scene = fresh_sample_scene
    layer = scene.layers["Buildings"]
    before = (_model_connections(scene), len(layer.filter_changed))
    dock = AttributeTableDock(scene)
    qtbot.addWidget(dock)
    assert len(layer.filter_changed) == before[1] + 1
    dock.close_model()
    dock.close_model()  # idempotent
    assert (_model_connections(scene), len(layer.filter_changed)) == before
    scene.select("Roads", [1])
    assert dock.layer_name == "Buildings"
    dock.close()


# -- scale ----------------------------------------------------------------------------
def test_a_100k_row_table_builds_and_sorts_fast(make_dock) -> None:
    layer = _synthetic_layer(100_000)
    t0 = time.perf_counter()
    model = AttributeTableModel(layer)
    proxy = FeatureFilterProxy()
    proxy.setSourceModel(model)
    built = time.perf_counter() - t0
    assert proxy.rowCount() == 100_000
    assert built < 0.5, f"model build took {built:.3f} s"

    col = model.column_names.index("value")
    t0 = time.perf_counter()
    proxy.sort(col, Qt.SortOrder.DescendingOrder)
    sorted_s = time.perf_counter() - t0
    assert sorted_s < 1.0, f"sorting 100k rows took {sorted_s:.3f} s"
    values = layer.table["value"][proxy.rows]
    assert np.all(np.diff(values) <= 0)

    name_col = model.column_names.index("kind")
    t0 = time.perf_counter()
    proxy.sort(name_col, Qt.SortOrder.AscendingOrder)
    text_sorted_s = time.perf_counter() - t0
    assert text_sorted_s < 1.0, f"sorting 100k text rows took {text_sorted_s:.3f} s"
    kinds = layer.table["kind"][proxy.rows]
    assert list(kinds[[0, -1]]) == ["air", "water"]

    t0 = time.perf_counter()
    proxy.set_text_filter("sensor 9999")
    filtered_s = time.perf_counter() - t0
    assert proxy.rowCount() == 11  # 9999 and 99990..99999
    assert filtered_s < 1.0, f"filtering 100k rows took {filtered_s:.3f} s"
    proxy.close_model()
    print(
        f"\n100k rows: build {built * 1000:.1f} ms, numeric sort {sorted_s * 1000:.1f} ms, "
        f"text sort {text_sorted_s * 1000:.1f} ms, first text filter {filtered_s * 1000:.1f} ms"
    )

    # And in the dock: a view over 100k rows, selecting the last one from the scene.
    scene = Scene()
    scene.layers.append(layer)
    t0 = time.perf_counter()
    dock = make_dock(scene)
    dock_s = time.perf_counter() - t0
    assert dock.layer_name == "Sensors"
    assert dock.count_label.text() == "100,000 of 100,000 features"
    scene.select("Sensors", [99_999])
    assert dock.selected_rows() == [99_999]
    assert dock_s < 2.0, f"opening the dock on 100k rows took {dock_s:.3f} s"

    # Select All in the view: every row reaches the scene, and repainting stays fast.
    t0 = time.perf_counter()
    dock.view.selectAll()
    dock.view.viewport().repaint()
    dock.view.horizontalHeader().viewport().repaint()
    all_s = time.perf_counter() - t0
    assert len(scene.selection.rows) == 100_000
    assert dock.count_label.text().endswith("100,000 selected")
    assert all_s < 1.0, f"selecting and repainting 100k rows took {all_s:.3f} s"

    # A scattered selection larger than the view mirrors is capped in the view only.
    rows = np.arange(0, 2 * (dock.MAX_VIEW_RUNS + 100), 2)
    t0 = time.perf_counter()
    scene.select("Sensors", rows)
    scattered_s = time.perf_counter() - t0
    assert len(scene.selection.rows) == len(rows)
    assert len(dock.selected_rows()) == dock.MAX_VIEW_RUNS
    assert dock.count_label.text().endswith(f"{len(rows):,} selected")
    assert scattered_s < 2.0, f"showing {len(rows)} scattered rows took {scattered_s:.3f} s"
    print(
        f"100k dock: open {dock_s * 1000:.0f} ms, select all + repaint {all_s * 1000:.0f} ms, "
        f"{len(rows):,} scattered rows {scattered_s * 1000:.0f} ms"
    )


# -- search ---------------------------------------------------------------------------
def test_search_finds_exact_ids_first_then_names_then_values(sample_scene) -> None:
    hits = search_features(sample_scene, "GATE-ICONIC-1")
    assert hits[0].layer == "Buildings"
    assert hits[0].id == "GATE-ICONIC-1"
    assert hits[0].label == "GATE-ICONIC-1 — Iconic Tower (Buildings)"
    assert sample_scene.layers["Buildings"].table["id"][hits[0].row] == "GATE-ICONIC-1"
    assert search_features(sample_scene, "gate-iconic-1")[0].id == "GATE-ICONIC-1"

    # An id beats a name that merely contains the text.
    hits = search_features(sample_scene, "GATE-ICONIC-2")
    assert [h.id for h in hits] == ["GATE-ICONIC-2"]

    hits = search_features(sample_scene, "iconic")
    ids = [h.id for h in hits]
    assert ids[:3] == ["GATE-ICONIC-1", "GATE-ICONIC-2", "GATE-ICONIC-PODIUM"]  # by name
    assert "D-GATE" in ids  # the Gate district's description mentions the Iconic Towers
    assert hits.total == len(hits)

    hits = search_features(sample_scene, "office")
    table = sample_scene.layers["Buildings"].table
    assert hits.total > len(hits) == 200  # capped
    name_hits = [h for h in hits if "office" in str(table["name"][h.row]).lower()]
    assert hits[: len(name_hits)] == name_hits  # names before other values
    value_hits = [h for h in hits if h.match]
    assert value_hits and all(h.match == "use: office" for h in value_hits)

    assert search_features(sample_scene, "no-such-thing-anywhere") == []
    assert search_features(sample_scene, "   ") == []


def test_search_is_vectorised_over_100k_rows() -> None:
    scene = Scene()
    scene.layers.append(_synthetic_layer(100_000))
    t0 = time.perf_counter()
    hits = search_features(scene, "S-099999")
    seconds = time.perf_counter() - t0
    assert hits[0].id == "S-099999" and hits[0].row == 99_999
    assert seconds < 1.0, f"search took {seconds:.3f} s"
    hits = search_features(scene, "noise", limit=10)
    assert len(hits) == 10 and hits.total > 20_000 and hits.more == hits.total - 10


def test_search_bar_lists_hits_and_activating_one_selects_and_flies(
    make_search_bar, qtbot, fresh_sample_scene
) -> None:
    bar = make_search_bar(fresh_sample_scene)
    assert bar.edit.objectName() == "searchBox"
    assert bar.edit.placeholderText() == "Search id, name or value…"
    qtbot.keyClicks(bar.edit, "office")
    qtbot.keyClick(bar.edit, Qt.Key.Key_Return)
    popup = bar.results
    assert popup.objectName() == "searchResults"
    qtbot.waitUntil(popup.isVisible, timeout=2000)
    assert popup.count() == 201
    assert popup.item(200).text() == f"{bar.last_results.total - 200:,} more…"

    hit = bar.last_results[1]
    with qtbot.waitSignal(bar.flyRequested, timeout=2000) as blocker:
        popup.setCurrentRow(1)
        qtbot.keyClick(popup, Qt.Key.Key_Return)
    assert blocker.args == [hit.layer, [hit.row]]
    assert fresh_sample_scene.selection.layer == hit.layer
    assert fresh_sample_scene.selection.rows == (hit.row,)
    assert not popup.isVisible()

    # A click on an exact-id result works the same way.
    bar.run_search("GATE-ICONIC-1")
    qtbot.waitUntil(popup.isVisible, timeout=2000)
    assert popup.item(0).text() == "GATE-ICONIC-1 — Iconic Tower (Buildings)"
    with qtbot.waitSignal(bar.flyRequested, timeout=2000) as blocker:
        rect = popup.visualItemRect(popup.item(0))
        qtbot.mouseClick(popup.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert blocker.args == ["Buildings", [0]]
    assert fresh_sample_scene.selection.rows == (0,)


def test_search_bar_says_when_nothing_matches(make_search_bar, qtbot, sample_scene) -> None:
    bar = make_search_bar(sample_scene)
    bar.run_search("zzz-nothing")
    qtbot.waitUntil(bar.results.isVisible, timeout=2000)
    assert bar.results.count() == 1
    assert "No feature matches" in bar.results.item(0).text()
    qtbot.keyClick(bar.results, Qt.Key.Key_Escape)
    assert not bar.results.isVisible()


def test_search_result_in_the_table_layer_shows_up_in_the_dock(
    make_dock, make_search_bar, qtbot, fresh_sample_scene
) -> None:
    dock = make_dock(fresh_sample_scene)
    bar = make_search_bar(fresh_sample_scene)
    hits = bar.run_search("RD-A3")
    bar.activate(hits[0])
    assert dock.layer_name == "Roads"
    assert dock.selected_rows() == [hits[0].row]
