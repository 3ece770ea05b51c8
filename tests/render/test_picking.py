"""Picking with locators: the feature under a pixel, fast, honouring filters."""

from __future__ import annotations

import time

import numpy as np
import pytest

pytestmark = pytest.mark.render


@pytest.fixture()
def gate_view(fresh_sample_scene):
    from alatau_twin.render.offscreen import offscreen_plotter
    from alatau_twin.render.scene_view import SceneView

    plotter = offscreen_plotter((800, 450))
    view = SceneView(plotter, fresh_sample_scene, labels=False, legend=False)
    view.apply_view("gate")
    view.screenshot()
    yield view
    view.close()
    plotter.close()


def _roof_pixel(view, name: str) -> tuple[float, float, int]:
    layer = view.scene.layers["Buildings"]
    row = int(np.nonzero(layer.table["name"] == name)[0][0])
    pts = layer.mesh.points[layer.mesh.point_data["feature_index"] == row]
    top = pts.mean(axis=0)
    top[2] = pts[:, 2].max()
    x, y, _ = view.picker.to_display(top[None, :])[0]
    return x, y, row


def test_click_on_the_iconic_tower_picks_it_in_well_under_a_millisecond(gate_view) -> None:
    x, y, row = _roof_pixel(gate_view, "Iconic Tower")
    gate_view.picker.build_all()
    hit = gate_view.picker.pick(x, y)
    assert hit is not None and hit.layer == "Buildings" and hit.row == row
    assert gate_view.scene.layers["Buildings"].table["id"][hit.row] == "GATE-ICONIC-1"
    t0 = time.perf_counter()
    for _ in range(50):
        gate_view.picker.pick(x, y, networks=False)
    per_pick = (time.perf_counter() - t0) / 50
    # The locator ray tests of every mesh layer (buildings, areas, terrain).
    assert per_pick < 0.001, f"{per_pick * 1000:.2f} ms per locator pick"
    t0 = time.perf_counter()
    for _ in range(50):
        gate_view.picker.pick(x, y)
    per_pick = (time.perf_counter() - t0) / 50
    # Plus the screen-space test of all line and point layers: still fine for hover.
    assert per_pick < 0.005, f"{per_pick * 1000:.2f} ms per full pick"


def test_filtered_out_building_is_not_picked(gate_view) -> None:
    x, y, row = _roof_pixel(gate_view, "Iconic Tower")
    layer = gate_view.scene.layers["Buildings"]
    mask = np.ones(layer.n_features, bool)
    mask[row] = False
    layer.set_filter(mask, "id != 'GATE-ICONIC-1'")
    hit = gate_view.picker.pick(x, y)
    assert hit is None or hit.row != row or hit.layer != "Buildings"
    ghost = gate_view.adapters["Buildings"].mesh.cell_data["vtkGhostType"]
    assert ghost[gate_view.adapters["Buildings"]._feature == row].min() > 0


def test_station_is_picked_within_a_few_pixels(gate_view) -> None:
    layer = gate_view.scene.layers["Power stations"]
    disp = gate_view.picker.to_display(layer.points)
    h = gate_view.plotter.window_size[1]
    w = gate_view.plotter.window_size[0]
    inside = np.nonzero(
        (disp[:, 0] > 20) & (disp[:, 0] < w - 20) & (disp[:, 1] > 20) & (disp[:, 1] < h - 20)
    )[0]
    assert len(inside)
    i = int(inside[0])
    hit = gate_view.picker.pick(disp[i, 0] + 2, disp[i, 1] - 2)
    assert hit is not None
    assert hit.layer in ("Power stations", "Power lines", "Water facilities", "Water mains")


def test_selection_highlights_in_place(gate_view) -> None:
    adapter = gate_view.adapters["Buildings"]
    layer = gate_view.scene.layers["Buildings"]
    arr = adapter.mesh.cell_data["rgb"]
    gate_view.scene.select("Buildings", [5])
    cells = adapter._feature == 5
    assert (arr[cells] == [255, 40, 160]).all()
    gate_view.scene.select(None)
    assert (arr[cells] == layer.colors[5]).all()


def test_lod_draws_roofs_only_and_follows_colours_and_filters(gate_view) -> None:
    adapter = gate_view.adapters["Buildings"]
    layer = gate_view.scene.layers["Buildings"]
    full_cells = adapter.mesh.n_cells
    gate_view.set_lod(True)
    assert adapter.lod_actor.GetVisibility() and not adapter.actors[0].GetVisibility()
    assert adapter.lod_mesh.n_cells < full_cells / 3
    # Shared points: a growing building moves in the coarse mesh too.
    assert adapter.lod_mesh.GetPoints() is adapter.mesh.GetPoints() or (
        adapter.lod_mesh.GetPoints().GetData() is adapter.mesh.GetPoints().GetData()
    )
    gate_view.scene.select("Buildings", [3])
    lod_rows = adapter._feature[adapter._lod_cells]
    assert (adapter.lod_mesh.cell_data["rgb"][lod_rows == 3] == [255, 40, 160]).all()
    mask = np.ones(layer.n_features, bool)
    mask[3] = False
    layer.set_filter(mask)
    assert adapter.lod_mesh.cell_data["vtkGhostType"][lod_rows == 3].min() > 0
    image = gate_view.screenshot()
    assert image.std() > 10
    gate_view.set_lod(False)
    assert adapter.actors[0].GetVisibility() and not adapter.lod_actor.GetVisibility()


def test_shadows_fall_away_from_the_sun_and_follow_it(gate_view) -> None:
    import datetime as dt

    tz = dt.timezone(dt.timedelta(hours=5), "Asia/Almaty")
    adapter = gate_view.adapters["Buildings"]
    layer = gate_view.scene.layers["Buildings"]
    row = int(np.nonzero(layer.table["name"] == "Iconic Tower")[0][0])
    tower = layer.mesh.points[layer.mesh.point_data["feature_index"] == row]
    centre = tower[:, :2].mean(axis=0)

    def shadow_tip() -> np.ndarray:
        src = adapter._shadow_src
        mine = layer.mesh.point_data["feature_index"][src] == row
        pts = np.asarray(adapter.shadow_mesh.points)[mine, :2]
        return pts[np.argmax(np.linalg.norm(pts - centre, axis=1))] - centre

    noon = gate_view.set_sun(dt.datetime(2026, 12, 21, 11, 50, tzinfo=tz), shadows=True)
    tip = shadow_tip()
    # Winter noon: the sun is low in the south, so the tower's shadow points north,
    # 272 m / tan(22.9 deg) ~ 645 m long.
    assert tip[1] > 0 and abs(tip[0]) < 0.2 * tip[1]
    assert np.linalg.norm(tip) == pytest.approx(
        272.0 / np.tan(np.radians(noon.elevation_deg)), rel=0.1
    )
    gate_view.set_sun(dt.datetime(2026, 12, 21, 15, 0, tzinfo=tz), shadows=True)
    afternoon = shadow_tip()
    assert afternoon[0] > 0 and np.linalg.norm(afternoon) > np.linalg.norm(tip)  # NE, longer
    gate_view.set_sun(None)
    assert not adapter.shadow_actor.GetVisibility()
