"""Core model: frame conversions, attribute tables, schedule progress, network traces."""

from __future__ import annotations

import numpy as np
import pytest
from shapely.geometry import box

from alatau_twin.core.attributes import AttributeTable
from alatau_twin.core.extrude import extrude_footprints
from alatau_twin.core.frame import SceneFrame
from alatau_twin.core.layers import BuildingLayer, LineLayer
from alatau_twin.core.network import Network
from alatau_twin.core.scene import Scene
from alatau_twin.core.schedule import Schedule, phase_of, progress_from_reports


def test_frame_round_trips_utm_and_lonlat() -> None:
    f = SceneFrame()
    x, y = f.to_local(668_000.0, 4_830_000.0)
    assert (float(x), float(y)) == (0.0, 0.0)
    lon, lat = f.to_lonlat(0.0, 0.0)
    # The Alatau origin is about 43.604 N, 77.082 E (ALATAU_SAMPLE.md).
    assert float(lat) == pytest.approx(43.604, abs=0.002)
    assert float(lon) == pytest.approx(77.082, abs=0.002)
    bx, by = f.from_lonlat(lon, lat)
    assert abs(float(bx)) < 1e-6 and abs(float(by)) < 1e-6
    assert "UTM 43N" in f.describe_point(100.0, 200.0, 612.3)
    assert "612.3 m" in f.describe_point(100.0, 200.0, 612.3)


def test_local_coordinates_keep_centimetres_in_float32() -> None:
    # The reason for a local origin: UTM northings in float32 lose the centimetres.
    f = SceneFrame()
    n = 4_830_000.37
    assert abs(float(np.float32(n)) - n) > 0.01
    _, y = f.to_local(0.0, n)
    assert abs(float(np.float32(y)) - (n - f.origin_n)) < 0.001


def test_attribute_table_rows_ids_and_errors() -> None:
    t = AttributeTable({"id": ["a", "b", "c"], "height": [10.0, 20.5, 3.0]})
    assert len(t) == 3 and t.columns == ["id", "height"]
    assert t.index_of("b") == 1
    assert t.row(1) == {"id": "b", "height": 20.5}
    assert isinstance(t.row(1)["height"], float)
    with pytest.raises(KeyError, match="no feature with id 'z'"):
        t.index_of("z")
    with pytest.raises(ValueError, match="rows"):
        t["bad"] = [1, 2]
    assert len(t.take(t["height"] > 5)) == 2


def test_planned_progress_is_linear_and_clamped() -> None:
    s = Schedule(["a", "b"], ["2030-01-01", "2030-01-01"], ["2030-01-11", "2030-01-01"])
    assert s.planned_progress("2029-12-01").tolist() == [0.0, 0.0]
    assert s.planned_progress("2030-01-06")[0] == pytest.approx(0.5)
    assert s.planned_progress("2031-01-01").tolist() == [1.0, 1.0]


def test_actual_progress_interpolates_and_never_runs_ahead_of_a_later_report() -> None:
    dates = np.array(["2030-01-01", "2030-01-11", "2030-01-21"], dtype="datetime64[D]")
    pct = np.array([10.0, 60.0, 40.0])  # the last report corrects an over-optimistic one
    day = np.datetime64("2030-01-11").astype("int64")
    assert progress_from_reports(dates, pct, day) == pytest.approx(0.40)
    before = np.datetime64("2029-12-31").astype("int64")
    assert progress_from_reports(dates, pct, before) == 0.0
    after = np.datetime64("2031-01-01").astype("int64")
    assert progress_from_reports(dates, pct, after) == pytest.approx(0.40)


def test_schedule_rejects_finish_before_start() -> None:
    with pytest.raises(ValueError, match="finish before they start"):
        Schedule(["x"], ["2030-02-01"], ["2030-01-01"])


def test_phase_names_follow_progress() -> None:
    got = phase_of(np.array([0.0, 0.03, 0.1, 0.5, 0.7, 0.9, 1.0])).tolist()
    assert got == [
        "planned",
        "site preparation",
        "foundation",
        "structure",
        "envelope",
        "fit-out",
        "complete",
    ]


def _small_grid() -> Network:
    # S -> A -> B -> T1 (serves b1, b2); A -> T2 (serves b3); a second source S2 -> B.
    n = Network("power")
    n.add_node("S", source=True, type="supply")
    n.add_node("S2", source=True, type="supply")
    for node in ("A", "B", "T1", "T2"):
        n.add_node(node, type="substation")
    n.add_link("L1", "S", "A")
    n.add_link("L2", "A", "B")
    n.add_link("L3", "B", "T1")
    n.add_link("L4", "A", "T2")
    n.add_link("L5", "S2", "B")
    n.serves = {"T1": ["b1", "b2"], "T2": ["b3"]}
    return n


def test_trace_finds_buildings_cut_off_and_respects_a_second_source() -> None:
    n = _small_grid()
    assert n.buildings_without_supply() == set()
    assert n.buildings_without_supply(["L4"]) == {"b3"}
    # B is also fed from S2, so losing A cuts only T2's buildings.
    assert n.buildings_without_supply(["A"]) == {"b3"}
    assert n.buildings_without_supply(["A", "S2"]) == {"b1", "b2", "b3"}
    assert n.downstream("L2") == {"B", "T1"}
    assert n.upstream("T1") == {"T1", "B", "A", "S", "S2"}
    assert n.summary()["components"] == 1


def test_network_rejects_duplicate_and_dangling_ids() -> None:
    n = _small_grid()
    with pytest.raises(ValueError, match="duplicate"):
        n.add_node("A")
    with pytest.raises(KeyError, match="unknown node 'Z'"):
        n.add_link("L9", "A", "Z")


def test_building_progress_moves_roofs_in_place_and_back() -> None:
    geoms = [box(0, 0, 10, 10), box(20, 0, 30, 10)]
    mesh = extrude_footprints(geoms, np.array([30.0, 60.0]), base=np.array([500.0, 510.0]))
    table = AttributeTable({"id": ["a", "b"], "height": [30.0, 60.0]})
    layer = BuildingLayer("b", mesh, table, base=np.array([500.0, 510.0]))
    points_id = id(layer.mesh.points)
    events: list[int] = []
    layer.geometry_changed.connect(lambda: events.append(1))
    layer.set_progress(np.array([0.5, 0.0]))
    assert id(layer.mesh.points) == points_id  # in place, no rebuild
    za = layer.mesh.points[layer.mesh.point_data["feature_index"] == 0, 2]
    zb = layer.mesh.points[layer.mesh.point_data["feature_index"] == 1, 2]
    assert za.max() == pytest.approx(515.0)
    assert zb.max() == pytest.approx(510.3)  # a sliver marks a site not yet started
    layer.set_progress(np.ones(2))
    assert layer.mesh.points[:, 2].max() == pytest.approx(570.0)
    assert events == [1, 1]


def test_scene_layer_list_announces_changes_and_rejects_duplicates() -> None:
    scene = Scene()
    seen: list[str] = []
    scene.layers.inserted.connect(lambda layer: seen.append(layer.name))
    line = LineLayer("roads", [np.zeros((2, 3))], AttributeTable({"id": ["r1"]}))
    scene.layers.append(line)
    assert seen == ["roads"] and "roads" in scene.layers
    with pytest.raises(ValueError, match="already exists"):
        scene.layers.append(line)
    with pytest.raises(KeyError, match="no layer named"):
        scene.layers["nope"]
