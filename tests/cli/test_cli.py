"""The commands a user types, end to end, in a subprocess with no display."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]


def run(
    *args: str, display: bool = False, timeout: int = 240, python: tuple[str, ...] = ()
) -> subprocess.CompletedProcess:
    """``python [python flags] -m alatau_twin args...`` in the repository."""
    env = dict(os.environ)
    if not display:
        env.pop("DISPLAY", None)  # headless means no X server at all
    return subprocess.run(
        [sys.executable, *python, "-m", "alatau_twin", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_render_sample_without_display_writes_png_of_asked_size(tmp_path) -> None:
    from PIL import Image

    out = tmp_path / "city.png"
    proc = run("render", "--output", str(out), "--size", "640x360")
    assert proc.returncode == 0, proc.stderr
    assert "wrote" in proc.stdout
    img = np.asarray(Image.open(out).convert("RGB"))
    assert img.shape == (360, 640, 3)
    assert img.std() > 15  # a picture, not a blank frame
    assert not list(tmp_path.glob(".city.png.*")), "temporary file left behind"


def test_render_district_view_at_a_date(tmp_path) -> None:
    out = tmp_path / "gate.png"
    proc = run(
        "render",
        "--view",
        "gate",
        "--date",
        "2030-06-01",
        "--output",
        str(out),
        "--size",
        "480x270",
    )
    assert proc.returncode == 0, proc.stderr
    assert out.stat().st_size > 10_000


def test_headless_render_never_imports_pyvista_plotting_or_matplotlib(tmp_path, data_dir) -> None:
    """Importing them costs 0.7-0.9 s, a fifth of a big render's budget: the headless
    path draws with its own plotter (render/headless.py) and VTK actors (vtkkit.py)."""
    from PIL import Image

    out = tmp_path / "city.png"
    source = data_dir / "vector" / "overture_buildings.parquet"
    proc = run(
        "render",
        str(source),
        "--output",
        str(out),
        "--size",
        "320x180",
        python=("-X", "importtime"),
    )
    assert proc.returncode == 0, proc.stderr
    # -X importtime logs every module imported, in any thread, as "... | module".
    modules = {
        line.rsplit("|", 1)[1].strip()
        for line in proc.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    assert "alatau_twin.render.headless" in modules  # the log is the one we think
    heavy = sorted(
        m for m in modules if m.split(".")[0] == "matplotlib" or m.startswith("pyvista.plotting")
    )
    assert not heavy, heavy
    assert np.asarray(Image.open(out).convert("RGB")).shape == (180, 320, 3)


def test_headless_render_of_a_geopackage_never_imports_pyogrio_or_pandas(tmp_path) -> None:
    """``import pyogrio`` imports geopandas and pandas (0.6-1.0 s): a plain GeoPackage
    is read from SQLite instead (io/gpkg.py), with the same result."""
    import geopandas as gpd
    from shapely.geometry import box

    source = tmp_path / "city.gpkg"
    gpd.GeoDataFrame(
        {"id": ["a", "b"], "height": [12.0, 30.0]},
        geometry=[
            box(668_000, 4_830_000, 668_020, 4_830_015),
            box(668_050, 4_830_000, 668_070, 4_830_030),
        ],
        crs="EPSG:32643",
    ).to_file(source, driver="GPKG")
    out = tmp_path / "city.png"
    proc = run(
        "render", str(source), "--output", str(out), "--size", "320x180",
        python=("-X", "importtime"),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    modules = {
        line.rsplit("|", 1)[1].strip()
        for line in proc.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    assert "alatau_twin.io.gpkg" in modules
    heavy = sorted(m for m in modules if m.split(".")[0] in ("pyogrio", "pandas", "geopandas"))
    assert not heavy, heavy
    assert out.stat().st_size > 1000


def test_batch_commands_run_without_gc_blas_threads_or_huge_pages() -> None:
    """render, info and validate load once and exit: no cyclic collector walking a
    million live objects, no spinning BLAS threads, no 2 MB page zeroing (cli/main.py),
    unless the user set those variables."""
    code = (
        "import gc, os\n"
        "from alatau_twin.cli.main import _batch_process_settings\n"
        "_batch_process_settings()\n"
        "import numpy as np\n"
        "print(gc.isenabled(), os.environ['OPENBLAS_NUM_THREADS'],"
        " np._core.multiarray._get_madvise_hugepage())\n"
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("OPENBLAS_NUM_THREADS", "NUMPY_MADVISE_HUGEPAGE")
    }
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "1", "False"]
    env["OPENBLAS_NUM_THREADS"] = "2"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.stdout.split()[1] == "2"


def test_render_rejects_unknown_view_naming_the_choices(tmp_path) -> None:
    proc = run("render", "--view", "moon", "--output", str(tmp_path / "x.png"))
    assert proc.returncode == 2
    assert "unknown view 'moon'" in proc.stderr and "gate" in proc.stderr
    assert not (tmp_path / "x.png").exists()


def test_bad_size_and_date_are_explained() -> None:
    proc = run("render", "--output", "x.png", "--size", "12")
    assert proc.returncode == 2 and "size must look like" in proc.stderr
    proc = run("render", "--output", "x.png", "--date", "2030-13-01")
    assert proc.returncode == 2 and "YYYY-MM-DD" in proc.stderr


def test_info_json_summarises_the_sample() -> None:
    proc = run("info", "--json")
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    assert info["crs"]["epsg"] == 32643
    names = [layer["name"] for layer in info["layers"]]
    for name in ("Terrain", "Districts", "Buildings", "Roads", "Power lines", "Water mains"):
        assert name in names
    buildings = next(x for x in info["layers"] if x["name"] == "Buildings")
    assert buildings["features"] > 10_000
    assert set(buildings["basis"]) <= {"fact", "derived", "illustrative"}
    ll = info["bounds_lonlat"]
    assert 43.2 < ll["south"] < ll["north"] < 44.0 and 76.8 < ll["west"] < ll["east"] < 77.4
    assert {"power", "water"} <= set(info["networks"])
    assert {"overview", "gate", "golden", "growing", "green"} <= set(info["views"])


def test_info_text_and_date(tmp_path) -> None:
    proc = run("info", "--date", "2030-06-01")
    assert proc.returncode == 0, proc.stderr
    assert "EPSG:32643" in proc.stdout and "at 2030-06-01" in proc.stdout


def test_info_on_real_geoparquet_reports_measured_and_defaulted(data_dir) -> None:
    proc = run("info", str(data_dir / "vector" / "overture_buildings.parquet"), "--json")
    assert proc.returncode == 0, proc.stderr
    layer = json.loads(proc.stdout)["layers"][0]
    assert layer["features"] == 100
    # SOURCES.md: height is set on 39 of the 100 Overture buildings.
    assert layer["report"]["counts"] == {"measured": 39, "defaulted": 61}


def test_broken_file_is_named_and_other_files_still_load(tmp_path, data_dir) -> None:
    bad = tmp_path / "broken.geojson"
    bad.write_text('{"type": "FeatureCollection", "features": [')
    good = data_dir / "vector" / "overture_buildings.parquet"
    proc = run("info", str(bad), str(good), "--json")
    assert proc.returncode == 0, proc.stderr
    assert "broken.geojson" in proc.stderr
    assert json.loads(proc.stdout)["layers"][0]["features"] == 100
    proc = run("info", str(bad))
    assert proc.returncode == 2 and "broken.geojson" in proc.stderr


def test_help_lists_the_commands() -> None:
    proc = run("--help")
    assert proc.returncode == 0
    for word in ("render", "info", "bench", "view"):
        assert word in proc.stdout


@pytest.mark.qt
def test_viewer_opens_and_reports_first_frame(has_display) -> None:
    if not has_display:
        pytest.fail("needs Xvfb: run through tests/run.sh")
    proc = run("view", "--quit-after-first-frame", display=True)
    assert proc.returncode == 0, proc.stderr
    assert "first frame after" in proc.stdout


def test_file_without_crs_gets_one_from_the_command_line(tmp_path) -> None:
    csv = tmp_path / "plots.csv"
    csv.write_text('WKT,id,height\n"POLYGON ((0 0, 30 0, 30 30, 0 30, 0 0))",a,12\n')
    proc = run("info", str(csv))
    assert proc.returncode == 2
    assert "plots.csv: the file has no CRS; give one with --crs" in proc.stderr
    proc = run("info", str(csv), "--crs", "EPSG:32643", "--json")
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    assert info["crs"]["epsg"] == 32643 and info["layers"][0]["features"] == 1


def test_validate_lists_every_problem_with_file_and_place(tmp_path, data_dir) -> None:
    bad = tmp_path / "broken.geojson"
    bad.write_text('{"type": "FeatureCollection", "features": [')
    lines = tmp_path / "mixed.geojson"
    lines.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {},
                        "geometry": {
                            "type": "LineString",
                            "coordinates": [[77.0, 43.6], [77.01, 43.6]],
                        },
                    },
                    {"type": "Feature", "properties": {}, "geometry": None},
                ],
            }
        )
    )
    project = tmp_path / "p.toml"
    project.write_text(
        'version = 1\n[[layers]]\npath = "mixed.geojson"\nkind = "buildings"\n'
        '[[layers]]\npath = "nothere.gpkg"\n'
    )
    good = data_dir / "vector" / "overture_buildings.parquet"
    proc = run("validate", str(bad), str(good), str(project), "--json")
    assert proc.returncode == 1
    problems = json.loads(proc.stdout)
    errors = {(p["file"].split("/")[-1], p["severity"]) for p in problems}
    assert ("broken.geojson", "error") in errors and ("nothere.gpkg", "error") in errors
    assert ("overture_buildings.parquet", "warning") in errors
    mixed = next(p for p in problems if p["file"].endswith("mixed.geojson"))
    assert "building layer needs polygons" in mixed["message"] and "features 0" in mixed["message"]
    proc = run("validate", str(good))
    assert proc.returncode == 0 and "0 error(s)" in proc.stdout


def test_sample_writes_a_project_with_geopackage_data(tmp_path) -> None:
    out = tmp_path / "alatau"
    proc = run("sample", "--output", str(out))
    assert proc.returncode == 0, proc.stderr
    project = out / "project.toml"
    text = project.read_text()
    assert 'kind = "buildings"' in text and "data/terrain.tif" in text
    assert (out / "data" / "buildings.gpkg").stat().st_size > 100_000
    import geopandas as gpd

    buildings = gpd.read_file(out / "data" / "buildings.gpkg")
    assert len(buildings) > 10_000 and buildings.crs.to_epsg() == 32643
    assert {"id", "height", "use", "basis"} <= set(buildings.columns)
    assert not list(out.rglob(".*tmp*")), "temporary files left behind"


def test_cli_renders_cityjson_gltf_and_terrain_files(tmp_path, data_dir) -> None:
    from PIL import Image

    out = tmp_path / "mixed.png"
    proc = run(
        "render",
        str(data_dir / "cityjson" / "delft.json"),
        "--output",
        str(out),
        "--size",
        "640x360",
    )
    assert proc.returncode == 0, proc.stderr
    img = np.asarray(Image.open(out).convert("RGB"))
    # CityJSON roofs are drawn in their semantic colour (brick red).
    roof = np.abs(img.astype(int) - [192, 80, 77]).max(axis=2) < 45
    assert roof.sum() > 300
    proc = run("info", str(data_dir / "meshes" / "delft.gltf"), "--json")
    assert proc.returncode == 2 and "no CRS is given; pass --crs" in proc.stderr
    proc = run("info", str(data_dir / "meshes" / "delft.gltf"), "--crs", "EPSG:28992", "--json")
    assert proc.returncode == 0, proc.stderr
    layer = json.loads(proc.stdout)["layers"][0]
    assert layer["features"] == 570 and layer["triangles"] == 21_801
    proc = run("info", str(data_dir / "meshes" / "DenHaag_01.gltf"))
    assert proc.returncode == 0 and "quantised" in proc.stderr


def test_footprints_are_draped_on_a_terrain_file(tmp_path, data_dir) -> None:
    plots = tmp_path / "plots.geojson"
    # Two buildings near Almaty airport (lon/lat), 20 m high.
    ring = [[77.04, 43.36], [77.041, 43.36], [77.041, 43.361], [77.04, 43.361], [77.04, 43.36]]
    plots.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"height": 20},
                        "geometry": {"type": "Polygon", "coordinates": [ring]},
                    }
                ],
            }
        )
    )
    srtm = data_dir / "srtm" / "N43E077.hgt.zip"
    proc = run("info", str(plots), str(srtm), "--json")
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    plots_layer = next(x for x in info["layers"] if x["name"] == "plots")
    assert plots_layer["report"]["counts"]["draped_on_terrain"] == 1
    zmin, zmax = plots_layer["bounds_local"][4:6]
    assert 600 < zmin < 760 and zmax == pytest.approx(zmin + 20, abs=1.0)  # ~681 m airport
