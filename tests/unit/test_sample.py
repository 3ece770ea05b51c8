"""The embedded Alatau sample twin: content, honesty (basis), networks, schedule, and
byte-for-byte determinism (a checksum pinned in ``sample_checksum.txt``).

The scene is built once per module from the real packaged SRTM asset.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from alatau_twin.core.layers import (
    AreaLayer,
    BuildingLayer,
    LineLayer,
    PointLayer,
    TerrainLayer,
)
from alatau_twin.core.scene import Scene
from alatau_twin.core.style import BASIS_VALUES, USE_COLORS
from alatau_twin.io.sample import build_sample_scene, scene_checksum

CHECKSUM_FILE = Path(__file__).with_name("sample_checksum.txt")
REPO = Path(__file__).resolve().parents[2]

LAYER_NAMES = [
    "Terrain",
    "Reservoir",
    "Districts",
    "Roads",
    "Railway",
    "Buildings",
    "Power lines",
    "Power stations",
    "Water mains",
    "Water facilities",
]
SPEC_COUNTS = {"Gate": 840, "Golden": 480, "Growing": 370, "Green": 800, "Microdistricts": 12_000}
BUILDING_COLUMNS = [
    "id", "name", "district", "use", "floors", "residents", "height", "min_height", "phase",
    "planned_start", "planned_finish", "ground_elev", "basis",
]  # fmt: skip


@pytest.fixture(scope="module")
def built() -> tuple[Scene, float]:
    t0 = time.perf_counter()
    scene = build_sample_scene()
    return scene, time.perf_counter() - t0


@pytest.fixture(scope="module")
def scene(built: tuple[Scene, float]) -> Scene:
    return built[0]


@pytest.fixture(scope="module")
def buildings(scene: Scene) -> BuildingLayer:
    layer = scene.layers["Buildings"]
    assert isinstance(layer, BuildingLayer)
    return layer


def test_generation_is_fast(built: tuple[Scene, float]) -> None:
    assert built[1] < 10.0


def test_sample_has_the_named_layers_of_the_right_kinds(scene: Scene) -> None:
    assert scene.layers.names() == LAYER_NAMES
    kinds = {
        "Terrain": TerrainLayer, "Reservoir": AreaLayer, "Districts": AreaLayer,
        "Roads": LineLayer, "Railway": LineLayer, "Buildings": BuildingLayer,
        "Power lines": LineLayer, "Power stations": PointLayer,
        "Water mains": LineLayer, "Water facilities": PointLayer,
    }  # fmt: skip
    for name, cls in kinds.items():
        assert isinstance(scene.layers[name], cls), name
    assert scene.info.title == "Alatau City — sample twin"
    assert scene.info.sources and "illustrative" in scene.info.basis_note
    assert scene.frame.epsg == 32643


def test_building_counts_per_district_follow_the_spec(buildings: BuildingLayer) -> None:
    counts = Counter(buildings.table["district"].tolist())
    for district, expected in SPEC_COUNTS.items():
        assert abs(counts[district] - expected) <= 0.15 * expected, (district, counts[district])


def test_building_table_schema_and_values(buildings: BuildingLayer) -> None:
    t = buildings.table
    assert t.columns == BUILDING_COLUMNS
    assert len(set(t["id"].tolist())) == len(t)
    assert set(t["use"].tolist()) <= set(USE_COLORS)
    assert set(t["phase"].tolist()) <= {"P0", "P1", "P2", "P3", "P4", "post-2035"}
    assert (t["height"] > t["min_height"]).all()
    assert np.array_equal(buildings.base, t["ground_elev"])
    assert buildings.footprints is not None and len(buildings.footprints) == len(t)
    assert buildings.colors.shape == (len(t), 3)


def test_every_feature_states_its_basis(scene: Scene) -> None:
    for layer in scene.layers:
        if isinstance(layer, TerrainLayer):
            continue
        basis = layer.table["basis"].tolist() if layer.n_features else []
        assert set(basis) <= set(BASIS_VALUES), layer.name


def test_iconic_tower_is_the_sourced_272_m_56_floors(buildings: BuildingLayer) -> None:
    t = buildings.table
    row = t.row(t.index_of("GATE-ICONIC-1"))
    assert row["name"] == "Iconic Tower"
    assert row["height"] == 272.0 and row["floors"] == 56 and row["basis"] == "fact"
    assert row["district"] == "Gate"
    hotel = t.row(t.index_of("GATE-ICONIC-2"))
    assert hotel["height"] == 80.0 and hotel["basis"] == "fact"


def test_buildings_sit_on_the_terrain_inside_the_scene(scene: Scene) -> None:
    grid = scene.terrain.grid
    b = scene.layers["Buildings"]
    xmin, xmax, ymin, ymax, zmin, zmax = b.bounds()
    gx0, gx1, gy0, gy1 = grid.bounds
    assert gx0 <= xmin and xmax <= gx1 and gy0 <= ymin and ymax <= gy1
    assert 430 < zmin and zmax < 1400 + 300
    assert np.all((b.base > 430) & (b.base < 1400))
    for name in ("Roads", "Railway", "Power lines", "Water mains"):
        z = scene.layers[name].points[:, 2]
        assert 430 < z.min() and z.max() < 1450, name


def test_reservoir_is_derived_flat_water_in_the_north(scene: Scene) -> None:
    res = scene.layers["Reservoir"]
    assert res.n_features == 1 and res.table["basis"][0] == "derived"
    z = res.mesh.points[:, 2]
    assert z.min() == z.max() and 470 < z.min() < 490
    assert res.mesh.points[:, 1].min() > 0  # in the northern half
    assert scene.layers["Districts"].table["name"].tolist()[:4] == [
        "Gate", "Golden", "Growing", "Green"
    ]  # fmt: skip


@pytest.mark.parametrize("kind", ["power", "water"])
def test_every_building_is_served_by_exactly_one_element(
    scene: Scene, buildings: BuildingLayer, kind: str
) -> None:
    served = Counter(b for ids in scene.networks[kind].serves.values() for b in ids)
    ids = buildings.table["id"].tolist()
    assert set(served) == set(ids)
    assert set(served.values()) == {1}


@pytest.mark.parametrize(
    ("kind", "lines", "points"),
    [("power", "Power lines", "Power stations"), ("water", "Water mains", "Water facilities")],
)
def test_network_ids_equal_layer_ids(scene: Scene, kind: str, lines: str, points: str) -> None:
    net = scene.networks[kind]
    assert sorted(net.node_ids) == sorted(scene.layers[points].table["id"].tolist())
    assert sorted(net.link_ids) == sorted(scene.layers[lines].table["id"].tolist())
    assert net.buildings_without_supply() == set()


def test_cutting_gate_substation_darkens_gate_not_green(
    scene: Scene, buildings: BuildingLayer
) -> None:
    power = scene.networks["power"]
    dark = power.buildings_without_supply(["P-SS-GATE"])
    t = buildings.table
    district = dict(zip(t["id"].tolist(), t["district"].tolist(), strict=True))
    assert any(district[b] == "Gate" for b in dark)
    assert not any(district[b] == "Green" for b in dark)
    # A single feeder out of Gate darkens only the transformers down that feeder.
    feeder = next(i for i in power.link_ids if i.startswith("P-F10-GATE-"))
    some = power.buildings_without_supply([feeder])
    assert some and some < dark


def test_twin_mains_and_second_source_give_redundancy(scene: Scene) -> None:
    water = scene.networks["water"]
    assert water.buildings_without_supply(["W-TM-A"]) == set()
    assert water.buildings_without_supply(["W-TM-B"]) == set()
    # A district loop is a ring of bidirectional mains: one cut darkens nothing, two
    # cuts darken the junctions between them (J03..J07 lie between A02 and B04).
    assert water.buildings_without_supply(["W-DM-GATE-A02"]) == set()
    between = {b for k in range(3, 8) for b in water.serves[f"W-J-GATE-{k:02d}"]}
    assert between and all(b.startswith("GATE-") for b in between)
    assert water.buildings_without_supply(["W-DM-GATE-A02", "W-DM-GATE-B04"]) == between
    # Losing the reservoir intake leaves Gate on the standby wellfield.
    dry = water.buildings_without_supply(["W-INTAKE"])
    assert dry and not any(b.startswith("GATE-") for b in dry)


def test_schedule_covers_buildings_and_network_elements(
    scene: Scene, buildings: BuildingLayer
) -> None:
    sched = scene.schedule
    assert sched is not None
    ids = set(sched.feature_ids.tolist())
    assert set(buildings.table["id"].tolist()) <= ids
    for name, net in scene.networks.items():
        # Road junctions are not features (the segments between them are): no schedule.
        assert set(net.link_ids if name == "roads" else net.element_ids()) <= ids
    assert len(ids) == len(sched)
    iconic = sched.row_of("GATE-ICONIC-1")
    assert str(sched.planned_start[iconic]) == "2026-05-01"
    # Reports are monotone and end at 100 %; post-2035 work has none.
    for fid, (dates, pct) in sched.reports.items():
        assert np.all(np.diff(dates.astype("int64")) > 0), fid
        assert np.all(np.diff(pct) >= 0) and pct[-1] == 100.0, fid
    t = buildings.table
    late = t["id"][t["phase"] == "post-2035"].tolist()
    assert late and not any(f in sched.reports for f in late)


def test_progress_grows_over_the_programme(scene: Scene) -> None:
    sched = scene.schedule
    assert sched is not None
    early = sched.progress("2027-01-01").sum()
    later = sched.progress("2030-06-01").sum()
    assert later > early
    assert (
        sched.progress("2030-06-01", "planned").sum()
        > sched.progress("2027-01-01", "planned").sum()
    )


def test_views_are_named_presets(scene: Scene) -> None:
    assert {"overview", "top", "gate", "golden", "growing", "green"} <= set(scene.views)
    top = scene.views["top"]
    assert top.view_up == (0.0, 1.0, 0.0)
    ov = scene.views["overview"]
    # From the south, looking north: north is up the screen.
    assert ov.position[1] < ov.focal_point[1]
    assert abs(ov.position[0] - ov.focal_point[0]) < 1.0


def test_checksum_is_pinned_and_independent_of_hash_seed(scene: Scene) -> None:
    checksum = scene_checksum(scene)
    assert checksum == CHECKSUM_FILE.read_text().strip()
    code = (
        "from alatau_twin.io.sample import build_sample_scene, scene_checksum;"
        "print(scene_checksum(build_sample_scene()))"
    )
    env = dict(os.environ, PYTHONHASHSEED="123")
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=REPO, capture_output=True, text=True,
        check=True, timeout=120,
    )  # fmt: skip
    assert out.stdout.strip() == checksum
