"""Project files: saved views survive a save and a reload exactly; bad files are named."""

from __future__ import annotations

import pytest

from alatau_twin.core.views import CameraView
from alatau_twin.io.loader import LoadError, load_scene
from alatau_twin.io.project import save_project


def test_saved_view_round_trips_through_a_project_file(tmp_path, fresh_sample_scene) -> None:
    scene = fresh_sample_scene
    scene.layers["Power lines"].visible = False
    from alatau_twin.core.expression import compile_expression

    layer = scene.layers["Buildings"]
    layer.set_filter(compile_expression("height > 100").evaluate(layer.table), "height > 100")
    cam = CameraView("cbd", (1.5, -2.25, 3000.125), (10.0, 20.0, 600.0), (0.0, 0.0, 1.0), 28.0)
    scene.capture_view("CBD towers", cam)
    path = save_project(scene, tmp_path / "alatau.toml")
    assert path.read_text().startswith("version = 1")

    again = load_scene([str(path)])
    view = again.saved_views["CBD towers"]
    assert view.camera == cam  # exactly, float for float
    assert view.visible["Power lines"] is False and view.filters == {"Buildings": "height > 100"}
    problems = again.restore_layers(view)
    assert problems == []
    assert again.layers["Power lines"].visible is False
    shown = again.layers["Buildings"].shown_count()
    assert shown == int((again.layers["Buildings"].table["height"] > 100).sum()) > 0


def test_broken_project_file_is_named(tmp_path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("version = 1\nsources = [\n")
    with pytest.raises(LoadError, match=r"bad\.toml: not a valid TOML project file"):
        load_scene([str(bad)])
    newer = tmp_path / "newer.toml"
    newer.write_text("version = 99\n")
    with pytest.raises(LoadError, match="newer than this app reads"):
        load_scene([str(newer)])


def test_project_layers_carry_crs_kind_name_and_style(tmp_path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "plots.csv").write_text(
        'WKT,id,height\n"POLYGON ((0 0, 30 0, 30 30, 0 30, 0 0))",a,12\n'
        '"POLYGON ((50 0, 80 0, 80 30, 50 30, 50 0))",b,40\n'
    )
    (tmp_path / "zones.csv").write_text(
        'WKT,id,kind\n"POLYGON ((0 0, 300 0, 300 300, 0 300, 0 0))",z1,park\n'
    )
    project = tmp_path / "p.toml"
    project.write_text(
        "version = 1\n"
        '[[layers]]\npath = "data/plots.csv"\ncrs = "EPSG:32643"\nname = "Plots"\n'
        'kind = "buildings"\nstyle = { color_by = "height" }\n'
        '[[layers]]\npath = "zones.csv"\ncrs = "EPSG:32643"\nkind = "areas"\n'
    )
    scene = load_scene([str(project)])
    plots = scene.layers["Plots"]
    assert plots.kind == "buildings" and plots.n_features == 2
    assert plots.legend.kind == "graduated"
    assert not (plots.colors[0] == plots.colors[1]).all()
    zones = scene.layers["zones"]
    assert zones.kind == "areas" and zones.mesh.n_triangles > 0
    bad = tmp_path / "bad.toml"
    bad.write_text('version = 1\n[[layers]]\npath = "zones.csv"\ncolour = "red"\n')
    with pytest.raises(LoadError, match=r"layers\[0\]: unknown keys \['colour'\]"):
        load_scene([str(bad)])
