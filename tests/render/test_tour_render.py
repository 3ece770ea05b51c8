"""Camera tours rendered off-screen: deterministic frames, overlays a viewer can see."""

from __future__ import annotations

import numpy as np
import pytest

from alatau_twin.core.presentation import Deck, Keyframe, Slide, Tour
from alatau_twin.core.views import CameraView

pytestmark = pytest.mark.render
SIZE = (480, 270)


def _tour(scene) -> Tour:
    gate = scene.views["gate"]
    top = CameraView.orbit("north", gate.focal_point, 9000.0, elevation=60.0)
    return Tour(
        [
            Keyframe(Slide("Gate in 2027", gate, caption="Growing", date="2027-01-01"), 0, 0.2),
            Keyframe(Slide("Gate in 2033", top, date="2033-01-01"), 1.0, 0.2),
        ]
    )


def test_a_tour_renders_the_same_frames_twice(fresh_sample_scene) -> None:
    from alatau_twin.render.tour import TourRenderer

    tour = _tour(fresh_sample_scene)
    runs = []
    for _ in range(2):
        with TourRenderer(fresh_sample_scene, SIZE) as r:
            runs.append([r.render_at(tour, t) for t in tour.frame_times(5)])
    assert len(runs[0]) == tour.frame_count(5) == 7
    for a, b in zip(runs[0], runs[1], strict=True):
        assert a.shape == (SIZE[1], SIZE[0], 3)
        assert int(np.abs(a.astype(int) - b.astype(int)).max()) <= 1
    # ... and it is a moving picture, not one frame repeated.
    assert np.abs(runs[0][0].astype(int) - runs[0][3].astype(int)).mean() > 3


def test_map_decorations_show_north_and_a_true_scale(fresh_sample_scene) -> None:
    from alatau_twin.render.offscreen import offscreen_plotter
    from alatau_twin.render.overlays import MapDecorations
    from alatau_twin.render.scene_view import SceneView

    scene = fresh_sample_scene
    plotter = offscreen_plotter(SIZE)
    view = SceneView(plotter, scene, labels=False, legend=False)
    try:
        view.apply_view(CameraView.orbit("n", (0.0, 0.0, 560.0), 20000.0, elevation=89.9))
        bare = view.screenshot()
        deco = MapDecorations(plotter, view.theme)
        image = view.screenshot()
        # North up: the arrow points up the screen; the bar stands for a round length
        # whose drawn size matches the ground scale at the centre.
        assert deco.north_angle_deg == pytest.approx(90.0, abs=1.0)
        assert deco.bar_metres in (500, 1000, 2000, 5000, 10000)
        h = SIZE[1]
        metres_per_px = 2 * 20000.0 * np.tan(np.radians(15.0)) / h
        assert deco.bar_pixels * metres_per_px == pytest.approx(deco.bar_metres, rel=0.03)
        # Both are visible: the top-right and bottom-left corners changed, in white.
        diff = np.abs(image.astype(int) - bare.astype(int)).max(axis=2) > 60
        assert diff[: h // 3, -SIZE[0] // 5 :].sum() > 80  # north arrow
        assert diff[-h // 4 :, : SIZE[0] // 3].sum() > 80  # scale bar
        white = (image > 235).all(axis=2)
        assert white[: h // 3, -SIZE[0] // 5 :].sum() > 20
        # Turned to look west, north points to the right of the screen.
        view.apply_view(
            CameraView.orbit("w", (0.0, 0.0, 560.0), 20000.0, azimuth=-90.0, elevation=60.0)
        )
        view.screenshot()
        assert deco.north_angle_deg == pytest.approx(0.0, abs=2.0)
        deco.close()
    finally:
        view.close()
        plotter.close()


def test_tour_frame_shows_title_kpis_and_a_fault_in_red(fresh_sample_scene) -> None:
    from alatau_twin.core.style import STATUS_COLORS
    from alatau_twin.io.sample_deck import sample_deck
    from alatau_twin.render.tour import TourRenderer

    deck = sample_deck(fresh_sample_scene)
    fault = next(s for s in deck.slides if s.out_of_service)
    plain = Tour([Keyframe(fault, 0, 1.0)])
    with TourRenderer(fresh_sample_scene, SIZE) as r:
        image = r.render_at(plain, 0.0)
        content = r.overlay.content if r.overlay else {}
    assert content["title"] == "Power network under a fault"
    assert content["kpis"]["Buildings complete"].endswith(f"{14490:,}")
    red = np.abs(image.astype(int) - np.array(STATUS_COLORS["fault"])).max(axis=2) < 45
    assert red.sum() > 500  # the buildings that lose supply
    # The top band carries the title in white over a dark scrim.
    assert (image[: SIZE[1] // 6] > 235).all(axis=2).sum() > 100
    # After the renderer closes, the scene's colours are as before (no leftover red).
    b = fresh_sample_scene.layers["Buildings"]
    assert not (b.colors == np.array(STATUS_COLORS["fault"], np.uint8)).all(axis=1).any()


def test_the_sample_deck_covers_city_districts_fault_and_growth(sample_scene) -> None:
    from alatau_twin.io.sample_deck import sample_deck, sample_tour

    deck = sample_deck(sample_scene)
    titles = [s.title for s in deck.slides]
    assert titles[0] == "Alatau City"
    for name in ("Gate", "Golden", "Growing", "Green"):
        assert any(name in t for t in titles)
    fault = next(s for s in deck.slides if s.out_of_service)
    assert fault.out_of_service[0] in sample_scene.networks["power"].element_ids()
    assert [s.date for s in deck.slides if s.date] == ["2025-01-01", "2035-12-31"]
    tour = sample_tour(sample_scene, deck)
    assert len(tour.keyframes) == len(deck) and 30 < tour.duration < 90
    assert sample_deck(sample_scene) == deck  # deterministic
    assert isinstance(deck, Deck)
