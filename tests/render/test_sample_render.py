"""Off-screen renders of the sample twin: semantic facts first, then a baseline image."""

from __future__ import annotations

import numpy as np
import pytest

from alatau_twin.core.style import NETWORK_COLORS, USE_COLORS
from tests.render.conftest import compare_with_baseline

pytestmark = pytest.mark.render
SIZE = (800, 450)


@pytest.fixture(scope="module")
def overview(sample_scene):
    from alatau_twin.render.offscreen import offscreen_plotter
    from alatau_twin.render.scene_view import SceneView

    plotter = offscreen_plotter(SIZE)
    view = SceneView(plotter, sample_scene)
    image = view.screenshot()
    yield view, image
    view.close()
    plotter.close()


def _near(image: np.ndarray, rgb: tuple[int, int, int], tol: int = 40) -> np.ndarray:
    return np.abs(image.astype(int) - np.array(rgb)).max(axis=2) <= tol


def test_every_layer_has_an_actor(overview, sample_scene) -> None:
    view, _ = overview
    assert set(view.adapters) == set(sample_scene.layers.names())
    for adapter in view.adapters.values():
        assert adapter.actors and all(a.GetVisibility() for a in adapter.actors)


def test_overview_shows_terrain_sky_and_networks(overview) -> None:
    _, image = overview
    assert image.shape == (SIZE[1], SIZE[0], 3)
    # Land up to the top of the frame (render/stage.py continues the terrain past its
    # edge), hazier with distance: no slab floating in the blue sky background.
    top = image[:10].reshape(-1, 3).mean(axis=0)
    bottom = image[-20:].reshape(-1, 3).mean(axis=0)
    assert not top[2] > top[0] + 20
    assert np.ptp(top) < np.ptp(bottom)
    # The power and water networks are drawn in their colours, visibly.
    assert _near(image, NETWORK_COLORS["power"], 60).sum() > 150
    assert _near(image, NETWORK_COLORS["water"], 60).sum() > 150


def test_overview_matches_baseline(overview) -> None:
    compare_with_baseline(overview[1], "sample_overview")


def test_hidden_layer_disappears_from_the_image(fresh_sample_scene) -> None:
    from alatau_twin.render.offscreen import render_scene

    before = render_scene(fresh_sample_scene, size=SIZE, overlays=False)
    fresh_sample_scene.layers["Power lines"].visible = False
    fresh_sample_scene.layers["Power stations"].visible = False
    after = render_scene(fresh_sample_scene, size=SIZE, overlays=False)
    power = NETWORK_COLORS["power"]
    assert _near(after, power, 60).sum() < 0.2 * _near(before, power, 60).sum()


def test_iconic_tower_is_drawn_where_it_stands(sample_scene) -> None:
    """Project the tower's roof to the screen: the pixel there is office-blue, not ground."""
    import vtk

    from alatau_twin.render.offscreen import offscreen_plotter
    from alatau_twin.render.scene_view import SceneView

    layer = sample_scene.layers["Buildings"]
    row = int(np.nonzero(layer.table["name"] == "Iconic Tower")[0][0])
    pts = layer.mesh.points[layer.mesh.point_data["feature_index"] == row]
    target = pts.mean(axis=0)
    target[2] = pts[:, 2].max() - 15.0
    plotter = offscreen_plotter(SIZE)
    view = SceneView(plotter, sample_scene, labels=False)
    view.apply_view("gate")
    image = view.screenshot()
    coord = vtk.vtkCoordinate()
    coord.SetCoordinateSystemToWorld()
    coord.SetValue(*target)
    x, y = coord.GetComputedDisplayValue(plotter.renderer)
    view.close()
    plotter.close()
    h = image.shape[0]
    patch = image[h - y - 2 : h - y + 3, x - 2 : x + 3].reshape(-1, 3).astype(int)
    colour = patch.mean(axis=0)
    use = sample_scene.layers["Buildings"].table["use"][row]
    expected = np.array(USE_COLORS[use])
    # Shading scales brightness; the hue (channel order) must match the use colour.
    assert np.argmax(colour) == np.argmax(expected), (colour, expected)


def test_later_date_draws_more_built_volume(fresh_sample_scene) -> None:
    from alatau_twin.render.offscreen import render_scene

    layer = fresh_sample_scene.layers["Buildings"]
    fresh_sample_scene.set_date("2027-01-01")
    early_volume = layer.mesh.volume()
    early = render_scene(fresh_sample_scene, size=SIZE, view="gate", overlays=False)
    fresh_sample_scene.set_date("2034-01-01")
    late_volume = layer.mesh.volume()
    late = render_scene(fresh_sample_scene, size=SIZE, view="gate", overlays=False)
    assert late_volume > 1.5 * early_volume
    # Planned buildings are faint ghosts at both dates; what changes is the solid
    # buildings that went up: a clear share of the frame changes colour strongly.
    changed = np.abs(late.astype(int) - early).sum(axis=-1) > 30
    assert changed.mean() > 0.01


def test_terrain_points_and_texture_follow_the_grid(sample_scene) -> None:
    """Points carry their own elevation and texture coordinates (a transposed grid
    paints stripes and puts the reservoir in the wrong corner)."""
    from alatau_twin.render.adapters import VtkTerrainLayer
    from alatau_twin.render.offscreen import offscreen_plotter
    from alatau_twin.render.theme import LIGHT

    plotter = offscreen_plotter((64, 64))
    adapter = VtkTerrainLayer(plotter, sample_scene.terrain, LIGHT, lambda: None)
    grid = sample_scene.terrain.grid
    pts = adapter.mesh.points
    z_true = grid.elevation_at(pts[:, 0], pts[:, 1])
    assert np.allclose(adapter.mesh.point_data["elevation"], z_true, atol=0.05)
    assert np.allclose(adapter.mesh.points[:, 2], z_true, atol=0.05)
    tc = adapter.mesh.active_texture_coordinates
    xmin, xmax, ymin, ymax = grid.bounds
    assert np.allclose(tc[:, 0], (pts[:, 0] - xmin) / (xmax - xmin))
    assert np.allclose(tc[:, 1], (pts[:, 1] - ymin) / (ymax - ymin))
    # The texture's first row is the south edge: its colours are those of the lowest row.
    image = adapter.texture.GetInput()
    assert image is adapter.image
    assert image.dimensions[:2] == (grid.nx, grid.ny)
    adapter.close()
    plotter.close()
