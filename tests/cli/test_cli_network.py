"""``alatau-twin info`` on network files, end to end in a subprocess: an EPANET model and
a GeoPackage read with ``--kind network``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NET3 = ROOT / "tests" / "data" / "networks" / "Net3.inp"


def run(*args: str, timeout: int = 240) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("DISPLAY", None)
    return subprocess.run(
        [sys.executable, "-m", "alatau_twin", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_info_json_on_an_epanet_model_reports_counts_components_and_sources() -> None:
    proc = run("info", str(NET3), "--json")
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    water = info["networks"]["water"]
    assert water["node_types"] == {"junction": 92, "reservoir": 2, "tank": 3}
    assert water["link_types"] == {"pipe": 117, "pump": 2}
    assert (water["nodes"], water["links"], water["components"]) == (97, 119, 1)
    assert sorted(water["sources"]) == ["1", "2", "3", "Lake", "River"]
    assert water["dangling_ends"] == [] and water["isolated_parts"] == []
    assert water["duplicate_ids"] == []
    assert [x["name"] for x in info["layers"]] == ["water links", "water nodes"]
    # No CRS in an EPANET model: said on stderr, and how to place it.
    assert "no coordinate reference system" in proc.stderr and "--origin" in proc.stderr


def test_info_text_on_a_placed_epanet_model(tmp_path: Path) -> None:
    proc = run(
        "info", str(NET3), "--crs", "EPSG:32643", "--origin", "668000,4830000",
        "--network", "mains",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "mains    97 nodes, 119 links, 1 component(s)" in out
    assert "junction 92, reservoir 2, tank 3" in out and "pipe 117, pump 2" in out
    assert "no coordinate reference system" not in proc.stderr
    # The model's (0, 0) is at the origin: its bounds are near Alatau.
    assert "43.6" in out and "EPSG:32643" in out
    bad = run("info", str(NET3), "--origin", "668000")
    assert bad.returncode == 2 and "origin must look like" in bad.stderr


def test_info_kind_network_names_dangling_ends_isolated_parts_and_duplicates(
    tmp_path: Path,
) -> None:
    import geopandas as gpd
    from shapely.geometry import LineString, Point

    e, n = 668_000.0, 4_830_000.0
    xy = {"S": (0, 0), "A": (100, 0), "B": (200, 0), "C": (0, 300), "D": (100, 300)}
    nodes = gpd.GeoDataFrame(
        {"asset_id": list(xy), "class": ["substation supply", "bus", "bus", "bus", "bus"]},
        geometry=[Point(e + x, n + y) for x, y in xy.values()],
        crs="EPSG:32643",
    )
    cables = [("K1", "S", "A"), ("K2", "A", "B"), ("K2", "S", "A"), ("K9", "C", "D")]
    lines = gpd.GeoDataFrame(
        {"asset_id": [c[0] for c in cables]},
        geometry=[
            LineString([(e + xy[a][0], n + xy[a][1]), (e + xy[b][0], n + xy[b][1])])
            for _, a, b in cables
        ],
        crs="EPSG:32643",
    )
    path = tmp_path / "grid.gpkg"
    lines.to_file(path, layer="cables", driver="GPKG")
    nodes.to_file(path, layer="buses", driver="GPKG")
    proc = run("info", str(path), "--kind", "network", "--network", "power", "--json")
    assert proc.returncode == 0, proc.stderr
    power = json.loads(proc.stdout)["networks"]["power"]
    assert power["sources"] == ["S"]  # class "substation supply"
    assert power["links"] == 4 and power["components"] == 2
    assert power["duplicate_ids"] == ["K2"]
    assert power["dangling_ends"] == ["B", "C", "D"]
    assert power["isolated_parts"] == [["C", "D", "K9"]]
    text = run("info", str(path), "--kind", "network", "--network", "power")
    assert text.returncode == 0, text.stderr
    assert "! 3 dangling end(s): B, C, D" in text.stdout
    assert "! isolated part without a source: C, D, K9" in text.stdout
    assert "! duplicate ids (renamed id#2 ...): K2" in text.stdout
