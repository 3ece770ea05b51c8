"""Importing an engineer's network: a real EPANET model (Net3) and GeoPackages of lines
and points written here, with from/to columns and by snapping, each with a dangling end,
an isolated part and a duplicate id that the report must name."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from alatau_twin.io.loader import SourceOptions, file_kind, load_scene
from alatau_twin.io.network_import import (
    NetworkImport,
    NetworkImportError,
    read_epanet,
    read_network_gis,
    sniff_network,
)

NET3 = Path(__file__).resolve().parents[1] / "data" / "networks" / "Net3.inp"
E0, N0 = 668_000.0, 4_830_000.0  # where the test networks lie (UTM 43N, Alatau)

# A small water network (metres from E0, N0): reservoir R1 feeds J1; J1 feeds J2 and J3,
# J2 feeds J3 too (pipe id P3 again: a duplicate) and J4 (a dangling end); J7 - J8 is an
# isolated part with no source.
NODES = {
    "R1": ((0.0, 0.0), "reservoir"),
    "J1": ((100.0, 0.0), "junction"),
    "J2": ((200.0, 0.0), "junction"),
    "J3": ((150.0, 100.0), "junction"),
    "J4": ((300.0, 0.0), "junction"),
    "J7": ((0.0, 500.0), "junction"),
    "J8": ((100.0, 500.0), "junction"),
}
PIPES = [
    ("P1", "R1", "J1"),
    ("P2", "J1", "J2"),
    ("P3", "J1", "J3"),
    ("P3", "J2", "J3"),
    ("P4", "J2", "J4"),
    ("P9", "J7", "J8"),
]


def _write_gpkg(path: Path, *, from_to: bool, gap: float = 0.0, extra: bool = False) -> Path:
    """Lines (layer "pipes") and points (layer "nodes") with geopandas, as a GIS would.

    ``gap`` pulls every line end that far back from its node, as a drawing that misses
    the node slightly; ``extra`` adds two lines meeting end to end with no node there.
    """
    import geopandas as gpd
    from shapely.geometry import LineString, Point

    nodes = gpd.GeoDataFrame(
        {"id": list(NODES), "type": [t for _, t in NODES.values()]},
        geometry=[Point(E0 + x, N0 + y) for (x, y), _ in NODES.values()],
        crs="EPSG:32643",
    )
    rows, geoms = [], []
    for pid, a, b in PIPES:
        pa, pb = np.array(NODES[a][0]), np.array(NODES[b][0])
        u = (pb - pa) / np.linalg.norm(pb - pa)
        pa, pb = pa + gap * u, pb - gap * u
        geoms.append(LineString([(E0 + pa[0], N0 + pa[1]), (E0 + pb[0], N0 + pb[1])]))
        rows.append({"id": pid, "type": "pipe", "diameter": 300.0, "from_id": a, "to_id": b})
    if extra:
        for pid, line in (
            ("P5", [(200.0, 0.0), (200.0, -100.0)]),
            ("P6", [(200.2, -100.1), (260.0, -100.0)]),
        ):
            geoms.append(LineString([(E0 + x, N0 + y) for x, y in line]))
            rows.append({"id": pid, "type": "pipe", "diameter": 150.0})
    lines = gpd.GeoDataFrame(rows, geometry=geoms, crs="EPSG:32643")
    if not from_to:
        lines = lines.drop(columns=["from_id", "to_id"])
    lines.to_file(path, layer="pipes", driver="GPKG")
    nodes.to_file(path, layer="nodes", driver="GPKG")
    return path


@pytest.fixture(scope="module")
def net3() -> NetworkImport:
    return read_epanet(NET3)


def test_epanet_net3_counts_match_wntr_and_the_epanet_manual(net3: NetworkImport) -> None:
    import wntr

    wn = wntr.network.WaterNetworkModel(str(NET3))
    s = net3.network.summary()
    # EPANET 2 manual, Example Network 3: 92 junctions, 2 reservoirs, 3 tanks,
    # 117 pipes, 2 pumps (and no valves).
    assert s["node_types"] == {"junction": 92, "reservoir": 2, "tank": 3}
    assert s["link_types"] == {"pipe": 117, "pump": 2}
    assert (wn.num_junctions, wn.num_reservoirs, wn.num_tanks) == (92, 2, 3)
    assert (wn.num_pipes, wn.num_pumps, wn.num_valves) == (117, 2, 0)
    assert s["nodes"] == wn.num_nodes and s["links"] == wn.num_links
    assert s["components"] == 1
    assert sorted(net3.network.sources) == sorted(wn.reservoir_name_list + wn.tank_name_list)
    assert s["isolated_parts"] == [] and s["dangling_ends"] == []


def test_epanet_layers_carry_ids_types_and_sizes(net3: NetworkImport) -> None:
    lines, points = net3.lines, net3.points
    assert lines.n_features == 119 and points.n_features == 97
    for col in ("id", "network", "type", "from_id", "to_id", "diameter_mm", "length_m"):
        assert col in lines.table.columns, col
    assert {"id", "network", "type", "source"} <= set(points.table.columns)
    assert set(lines.table["network"].tolist()) == {"water"}
    assert sorted(lines.table["id"].tolist()) == sorted(net3.network.link_ids)
    assert sorted(points.table["id"].tolist()) == sorted(net3.network.node_ids)
    nodes = set(net3.network.node_ids)
    assert set(lines.table["from_id"].tolist()) | set(lines.table["to_id"].tolist()) <= nodes
    # EPANET keeps node and link ids apart; here "20" is the junction, "pipe 20" the pipe.
    row = lines.table.row(lines.table.index_of("pipe 20"))
    assert row["epanet_id"] == "20" and row["type"] == "pipe"
    assert row["diameter_mm"] == pytest.approx(99 * 25.4, abs=0.5)  # 99 in
    assert row["length_m"] == pytest.approx(99 * 0.3048, abs=0.01)  # 99 ft
    pumps = [i for i, t in zip(lines.table["id"], lines.table["type"], strict=True) if t == "pump"]
    assert len(pumps) == 2 and not any(net3.network.is_bidirectional(p) for p in pumps)


def test_epanet_without_a_crs_is_drawn_in_model_coordinates_with_a_warning(
    net3: NetworkImport,
) -> None:
    assert any("no coordinate reference system" in w for w in net3.report.warnings)
    xmin, xmax, ymin, ymax, *_ = net3.points.bounds()
    assert (xmin, xmax, ymin, ymax) == pytest.approx((8.0, 44.86, 0.0, 31.06))


def test_epanet_is_placed_by_crs_and_origin() -> None:
    imp = read_epanet(NET3, crs="EPSG:32643", origin=(E0 + 1000.0, N0 + 2000.0))
    assert not any("no coordinate reference system" in w for w in imp.report.warnings)
    assert imp.frame.epsg == 32643
    x, y = imp.points.points[imp.points.table.index_of("River"), :2]
    e, n = imp.frame.to_projected(x, y)
    assert (float(e), float(n)) == pytest.approx((E0 + 1000.0 + 24.15, N0 + 2000.0 + 31.06))


def test_gis_network_with_from_to_columns_reports_each_problem_by_id(tmp_path: Path) -> None:
    imp = read_network_gis(_write_gpkg(tmp_path / "water.gpkg", from_to=True), name="water")
    net, rep = imp.network, imp.report
    assert sorted(net.node_ids) == sorted(NODES)
    assert sorted(net.link_ids) == ["P1", "P2", "P3", "P3#2", "P4", "P9"]
    assert net.link_endpoints()["P3#2"] == ("J2", "J3")
    assert net.sources == ["R1"]  # a reservoir is a source
    assert rep.duplicate_ids == ["P3"]
    assert rep.dangling_ends == ["J4", "J7", "J8"]
    assert rep.isolated_parts == [["J7", "J8", "P9"]]
    assert rep.components == 2
    text = " ".join(imp.lines.report.warnings)
    assert "P3" in text and "J4" in text and "P9" in text
    # Pipes carry water both ways: J3 keeps supply with either pipe into it cut.
    assert {"J3", "J4"} <= net.supplied_elements(["P3"])
    assert not {"J2", "J3", "J4"} & net.supplied_elements(["P2", "P3"])
    assert imp.frame.epsg == 32643
    assert imp.lines.table["diameter"].tolist()[0] == 300.0


def test_gis_network_by_snapping_finds_the_same_topology(tmp_path: Path) -> None:
    path = _write_gpkg(tmp_path / "drawn.gpkg", from_to=False, gap=0.2, extra=True)
    imp = read_network_gis(path, name="water")
    net, rep = imp.network, imp.report
    ends = net.link_endpoints()
    assert ends["P1"] == ("R1", "J1") and ends["P3#2"] == ("J2", "J3")
    # P5 starts on J2; P6 meets P5's far end 0.22 m away (a new junction) and ends in
    # the open (another new junction, dangling).
    assert ends["P5"][0] == "J2" and ends["P5"][1] == ends["P6"][0] == "junction-1"
    assert ends["P6"][1] == "junction-2"
    assert rep.dangling_ends == ["J4", "J7", "J8", "junction-2"]
    assert rep.isolated_parts == [["J7", "J8", "P9"]]
    assert rep.duplicate_ids == ["P3"]
    assert any("snapping within 0.5 m" in w for w in rep.warnings)


def test_a_tighter_snap_tolerance_leaves_the_lines_loose(tmp_path: Path) -> None:
    path = _write_gpkg(tmp_path / "drawn.gpkg", from_to=False, gap=0.2)
    tight = read_network_gis(path, name="water", snap=0.1).report
    assert len(tight.isolated_parts) >= 7  # every node stands alone now
    assert ["J4"] in tight.isolated_parts


def test_load_scene_reads_lines_and_points_from_two_files_as_one_network(tmp_path: Path) -> None:
    import geopandas as gpd

    both = _write_gpkg(tmp_path / "both.gpkg", from_to=True)
    lines, nodes = tmp_path / "pipes.geojson", tmp_path / "nodes.geojson"
    gpd.read_file(both, layer="pipes").to_file(lines, driver="GeoJSON")
    gpd.read_file(both, layer="nodes").to_file(nodes, driver="GeoJSON")
    opts = SourceOptions(kind="network", network="water")
    scene = load_scene([str(lines), str(nodes)], options={str(lines): opts, str(nodes): opts})
    assert list(scene.networks) == ["water"]
    assert sorted(scene.networks["water"].node_ids) == sorted(NODES)
    assert scene.layers.names() == ["water links", "water nodes"]
    assert scene.metadata["network_reports"]["water"]["duplicate_ids"] == ["P3"]
    assert any("dangling" in m for m in scene.metadata["messages"])


def test_a_geopackage_with_from_to_columns_is_recognised_as_a_network(tmp_path: Path) -> None:
    path = _write_gpkg(tmp_path / "mains.gpkg", from_to=True)
    assert sniff_network(path)
    assert not sniff_network(_write_gpkg(tmp_path / "plain.gpkg", from_to=False))
    scene = load_scene([str(path)])
    assert list(scene.networks) == ["mains"]  # named after the file
    assert {"mains links", "mains nodes"} == set(scene.layers.names())


def test_project_layers_entry_imports_an_epanet_model_where_it_says(tmp_path: Path) -> None:
    project = tmp_path / "project.toml"
    project.write_text(
        "version = 1\n"
        "[[layers]]\n"
        f'path = "{NET3.as_posix()}"\n'
        'kind = "network"\nnetwork = "mains"\ncrs = "EPSG:32643"\n'
        f"origin = [{E0 + 500.0}, {N0}]\n",
        encoding="utf-8",
    )
    scene = load_scene([str(project)])
    net = scene.networks["mains"]
    assert len(net.link_ids) == 119
    pts = scene.layers["mains nodes"]
    x, _ = pts.points[pts.table.index_of("Lake"), :2]
    lake = 8.0  # Lake's x in the model
    assert float(scene.frame.to_projected(x, 0.0)[0]) == pytest.approx(E0 + 500.0 + lake)
    bad = tmp_path / "bad.toml"
    bad.write_text(
        f'version = 1\n[[layers]]\npath = "{NET3.as_posix()}"\norigin = [1]\n', encoding="utf-8"
    )
    from alatau_twin.io.loader import LoadError

    with pytest.raises(LoadError, match=r"origin must be \[x, y\]"):
        load_scene([str(bad)])


def test_file_kinds_and_errors_name_the_file(tmp_path: Path) -> None:
    assert file_kind(NET3) == "network"
    broken = tmp_path / "broken.inp"
    broken.write_text("[JUNCTIONS]\n this is not a model\n", encoding="utf-8")
    with pytest.raises(NetworkImportError, match=r"broken\.inp"):
        read_epanet(broken)
    with pytest.raises(NetworkImportError, match="no such file"):
        read_network_gis(tmp_path / "missing.gpkg")
