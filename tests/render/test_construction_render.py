"""Construction in 4D on screen: growth, ghosts and construction colours, off-screen."""

from __future__ import annotations

import numpy as np
import pytest

from alatau_twin.core.style import PHASE_COLORS
from alatau_twin.core.views import CameraView
from tests.render.conftest import compare_with_baseline

pytestmark = pytest.mark.render
SIZE = (800, 450)


@pytest.fixture()
def gate_view(fresh_sample_scene):
    """One plotter on the sample, looking at Gate's CBD from close by."""
    from alatau_twin.render.offscreen import offscreen_plotter
    from alatau_twin.render.scene_view import SceneView

    scene = fresh_sample_scene
    tower = _tower_points(scene)
    c = tower.mean(axis=0)
    scene.views["cbd"] = CameraView.orbit(
        "cbd", (c[0], c[1], c[2] - 100.0), 2000.0, azimuth=25, elevation=28
    )
    plotter = offscreen_plotter(SIZE)
    view = SceneView(plotter, scene, labels=False, legend=False)
    view.apply_view("cbd")
    yield scene, view, plotter
    view.close()
    plotter.close()


def _tower_points(scene) -> np.ndarray:
    """The Iconic Tower's points at its full planned height."""
    layer = scene.layers["Buildings"]
    row = int(np.nonzero(layer.table["name"] == "Iconic Tower")[0][0])
    pf = layer.mesh.point_data["feature_index"]
    pts = layer.mesh.points[pf == row].copy()
    pts[:, 2] = layer._full_z[pf == row]
    return pts


def _to_pixel(plotter, point) -> tuple[int, int]:
    from vtkmodules.vtkRenderingCore import vtkCoordinate

    coord = vtkCoordinate()
    coord.SetCoordinateSystemToWorld()
    coord.SetValue(*point)
    x, y = coord.GetComputedDisplayValue(plotter.renderer)
    return int(x), SIZE[1] - int(y)  # image row from the top


def _building_pixels(view, scene) -> int:
    """Pixels that change when the buildings (and their ghosts) are hidden."""
    layer = scene.layers["Buildings"]
    with_buildings = view.screenshot()
    layer.visible = False
    without = view.screenshot()
    layer.visible = True
    return int((np.abs(with_buildings.astype(int) - without).max(axis=2) > 30).sum())


def test_a_later_date_shows_more_built_volume_and_more_building_pixels(gate_view) -> None:
    from alatau_twin.render.construction import set_ghosts

    scene, view, _ = gate_view
    set_ghosts(view, False)  # solid buildings only: what is built
    layer = scene.layers["Buildings"]
    scene.set_date("2027-01-01")
    early_volume = layer.mesh.volume()
    early = _building_pixels(view, scene)
    scene.set_date("2032-01-01")
    late_volume = layer.mesh.volume()
    late = _building_pixels(view, scene)
    assert late_volume > 1.5 * early_volume
    assert late > 2 * early, (early, late)


def test_planned_buildings_are_translucent_ghosts_at_full_height(gate_view) -> None:
    """Before excavation (2026-05) the Iconic Tower is a ghost: at two thirds of its
    planned height the pixel shows it (it differs from the empty view) but the ground
    and buildings behind still show through (it differs from the finished tower)."""
    from alatau_twin.render.construction import set_ghosts

    scene, view, plotter = gate_view
    tower = _tower_points(scene)
    target = tower.mean(axis=0)
    target[2] = tower[:, 2].min() + 0.66 * (tower[:, 2].max() - tower[:, 2].min())
    x, y = _to_pixel(plotter, target)

    def patch(image: np.ndarray) -> np.ndarray:
        return image[y - 1 : y + 2, x - 1 : x + 2].reshape(-1, 3).astype(float).mean(axis=0)

    scene.set_date(None)
    finished = patch(view.screenshot())
    scene.set_date("2025-06-01")
    ghost_image = view.screenshot()
    ghost = patch(ghost_image)
    set_ghosts(view, False)
    empty = patch(view.screenshot())
    set_ghosts(view, True)
    assert np.abs(ghost - empty).max() > 8, (ghost, empty)  # visible
    assert np.abs(ghost - finished).max() > 20, (ghost, finished)  # but not solid
    # Ghosts cover a good part of the view: Gate's towers are mostly still planned.
    adapter = view.adapters["Buildings"]
    assert adapter.ghosts.mask.sum() > 500
    assert all(a.GetVisibility() for a in adapter.ghosts.actors)
    compare_with_baseline(
        ghost_image, "construction_ghosts_2025", tolerance=3.0, changed_fraction=0.01
    )


def test_ghosts_follow_lod_filters_and_completion(gate_view) -> None:
    scene, view, _ = gate_view
    layer = scene.layers["Buildings"]
    ghosts = view.adapters["Buildings"].ghosts
    scene.set_date("2028-01-01")
    n = int(ghosts.mask.sum())
    assert n == int((layer.progress <= 0).sum()) > 0
    # While the camera moves (roofs-only LOD) the ghosts hide, and come back after.
    view.set_lod(True)
    assert not any(a.GetVisibility() for a in ghosts.actors)
    view.set_lod(False)
    assert all(a.GetVisibility() for a in ghosts.actors)
    # A filter hides the ghosts of filtered-out buildings too.
    layer.set_filter(np.asarray(layer.table["district"]) == "Gate")
    assert 0 < ghosts.mask.sum() < n
    layer.set_filter(None)
    # When everything is built (the plan in 2051), no ghost is drawn.
    scene.set_date("2051-01-01", "planned")
    assert ghosts.mask.sum() == 0
    assert not any(a.GetVisibility() for a in ghosts.actors)


def test_phase_colours_show_on_screen_and_in_the_legend(fresh_sample_scene) -> None:
    from alatau_twin.render.offscreen import offscreen_plotter
    from alatau_twin.render.scene_view import SceneView

    scene = fresh_sample_scene
    scene.set_date("2030-06-01")
    scene.color_by = "phase"
    plotter = offscreen_plotter(SIZE)
    view = SceneView(plotter, scene)
    view.apply_view("gate")
    image = view.screenshot()
    entries = view.legend_entries()
    assert entries[0][0] == "Buildings: construction phase"
    labels = [label.split(" (")[0] for label, _ in entries[1:]]
    assert "structure" in labels and "complete" in labels
    # The legend recounts when the cursor moves.
    before = dict(entries)
    scene.set_date("2033-06-01")
    assert dict(view.legend_entries()) != before
    view.close()
    plotter.close()
    structure = np.array(PHASE_COLORS["structure"])
    near = np.abs(image.astype(int) - structure).max(axis=2) <= 40
    assert near.sum() > 50, "no building drawn in the 'structure' colour"
