"""Slides, decks and tours: exact save/reload, easing, camera interpolation, timing."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from alatau_twin.core.presentation import (
    EASINGS,
    Deck,
    Keyframe,
    OverlayRegistry,
    Slide,
    SlideApplier,
    Tour,
    default_kpis,
    ease,
    interpolate_camera,
    interpolate_date,
    slerp,
)
from alatau_twin.core.views import CameraView

# Awkward floats on purpose: a deck must come back bit for bit, not to 6 digits.
CAM_A = CameraView(
    "a", (-5494.656025003132, -23855.814616350883, 6248.352063585378),
    (-2741.74, -16292.24, 612.39), (0.0, 0.0, 1.0), 30.0, "Gate",
)  # fmt: skip
CAM_B = CameraView(
    "b", (0.1 + 0.2, 1e-7, 133341.80000000002), (1 / 3, -2 / 3, 557.8),
    (0.0, 1.0, 0.0), 27.5, "Top",
)  # fmt: skip


def _slides() -> list[Slide]:
    return [
        Slide("Gate", CAM_A, caption="CBD — «Алатау» қаласы", visible={"Buildings": True},
              filters={"Buildings": 'height > 100 and use == "office"'}, transition_s=2.75),
        Slide("Top", CAM_B, date="2030-06-01", mode="planned", overlay="style:height",
              visible={"Power lines": False, "Buildings": True}, transition_s=1 / 3),
        Slide("Fault", CAM_A, date="2035-12-31", overlay="status",
              out_of_service=("P-F10-GATE-6-01", "P-SS-GREEN")),
    ]  # fmt: skip


def test_deck_and_tour_survive_a_project_save_and_reload_exactly(tmp_path) -> None:
    from alatau_twin.core.scene import Scene
    from alatau_twin.io.project import read_project, save_project

    scene = Scene()
    scene.deck = Deck(_slides(), "Board meeting")
    scene.tour = Tour(
        [
            Keyframe(scene.deck[0], 0.0, 1.25, "ease-in-out"),
            Keyframe(scene.deck[1], 3.1, 0.7, "sine"),
            Keyframe(scene.deck[2], 12.000000000000002, 2.0, "linear"),
        ],
        "Board tour",
    )
    path = save_project(scene, tmp_path / "deck.toml")
    text = path.read_text(encoding="utf-8")
    assert "[[slides]]" in text and "[tour]" in text and "[[tour.keyframes]]" in text
    doc = read_project(path)
    assert doc["deck"] == scene.deck  # every slide, every float, in order
    assert doc["tour"] == scene.tour
    assert doc["deck"][0].camera.position == CAM_A.position
    assert doc["deck"][1].transition_s == 1 / 3
    assert doc["deck"][0].caption == "CBD — «Алатау» қаласы"
    assert doc["deck"][1].date == "2030-06-01" and doc["deck"][0].date is None
    # Saving the reloaded deck again writes the same file.
    again = Scene()
    again.deck, again.tour = doc["deck"], doc["tour"]
    assert save_project(again, tmp_path / "again.toml").read_text(encoding="utf-8") == text


def test_a_project_with_slides_replaces_the_sample_deck(tmp_path, fresh_sample_scene) -> None:
    from alatau_twin.io.loader import load_scene
    from alatau_twin.io.project import save_project

    scene = fresh_sample_scene
    scene.deck = Deck(_slides()[:2])
    path = save_project(scene, tmp_path / "p.toml")
    loaded = load_scene([str(path)])
    assert loaded.deck == scene.deck
    assert loaded.tour.keyframes  # no [tour] saved: the sample's default tour remains


def test_malformed_slide_is_named(tmp_path) -> None:
    from alatau_twin.io.project import ProjectError, read_project

    bad = tmp_path / "bad.toml"
    bad.write_text('version = 1\n[[slides]]\ntitle = "x"\n', encoding="utf-8")
    with pytest.raises(ProjectError, match=r"slides\[0\] is incomplete"):
        read_project(bad)


@pytest.mark.parametrize("name", sorted(EASINGS))
def test_easings_start_at_0_end_at_1_and_never_go_back(name: str) -> None:
    ts = np.linspace(0, 1, 101)
    values = [ease(name, float(t)) for t in ts]
    assert values[0] == 0.0 and values[-1] == 1.0
    assert all(b >= a - 1e-12 for a, b in itertools.pairwise(values))
    assert ease(name, -1.0) == 0.0 and ease(name, 2.0) == 1.0


def test_ease_in_out_is_symmetric_and_gentle_at_the_ends() -> None:
    assert ease("ease-in-out", 0.5) == pytest.approx(0.5)
    assert ease("ease-in-out", 0.25) == pytest.approx(1 - ease("ease-in-out", 0.75))
    assert ease("ease-in-out", 0.05) < 0.05 * 0.1  # slow start
    with pytest.raises(ValueError, match="unknown easing"):
        ease("bounce", 0.5)


def test_camera_interpolation_ends_exactly_on_the_keyframes() -> None:
    assert interpolate_camera(CAM_A, CAM_B, 0.0) == CAM_A
    assert interpolate_camera(CAM_A, CAM_B, 1.0) == CAM_B


def test_camera_interpolation_orbits_and_lifts_between_far_apart_places() -> None:
    a = CameraView.orbit("a", (0.0, 0.0, 0.0), 5000.0, azimuth=0.0, elevation=35.0)
    b = CameraView.orbit("b", (20000.0, 0.0, 0.0), 5000.0, azimuth=90.0, elevation=35.0)
    mid = interpolate_camera(a, b, 0.5)
    # The focal point moves in a straight line; the direction turns on the great circle.
    assert mid.focal_point == pytest.approx((10000.0, 0.0, 0.0))
    d = np.subtract(mid.position, mid.focal_point)
    az = math.degrees(math.atan2(-d[0], -d[1]))
    assert az == pytest.approx(45.0, abs=1e-6)
    # 20 km apart at 5 km: the flight rises in the middle instead of skimming the ground.
    assert np.linalg.norm(d) > 5000.0 * 1.3
    # Up stays perpendicular to the view direction, unit length.
    up = np.array(mid.view_up)
    assert abs(np.dot(up, d / np.linalg.norm(d))) < 1e-9 and np.linalg.norm(up) == pytest.approx(1)
    # Without lift the distance is the geometric mean of the ends (here: the same).
    flat = interpolate_camera(a, b, 0.5, lift=False)
    assert np.linalg.norm(np.subtract(flat.position, flat.focal_point)) == pytest.approx(5000.0)


def test_slerp_handles_opposite_directions() -> None:
    v = slerp((1.0, 0.0, 0.0), (-1.0, 0.0, 0.0), 0.5)
    assert np.linalg.norm(v) == pytest.approx(1.0)
    assert abs(v[0]) < 1e-9


def test_dates_interpolate_by_whole_days_and_a_missing_end_switches_at_once() -> None:
    assert interpolate_date("2025-01-01", "2035-01-01", 0.0) == "2025-01-01"
    assert interpolate_date("2025-01-01", "2035-01-01", 1.0) == "2035-01-01"
    assert interpolate_date("2025-01-01", "2025-01-11", 0.5) == "2025-01-06"
    assert interpolate_date(None, "2030-01-01", 0.2) == "2030-01-01"
    assert interpolate_date("2030-01-01", None, 0.2) is None


def test_tour_timeline_holds_flies_and_holds() -> None:
    s = _slides()
    tour = Tour([Keyframe(s[0], 9.0, 1.0), Keyframe(s[1], 2.0, 0.5), Keyframe(s[2], 4.0, 1.5)])
    assert tour.duration == pytest.approx(1.0 + 2.5 + 5.5)
    assert tour.starts() == pytest.approx([0.0, 1.0, 3.5])
    hold = tour.state_at(0.5)
    assert hold.camera == CAM_A and not hold.moving and hold.index == 0
    flying = tour.state_at(2.0)
    assert flying.moving and flying.index == 1 and flying.slide.title == "Top"
    assert tour.state_at(3.2).camera == CAM_B  # arrived, holding
    assert tour.state_at(100.0).camera == CAM_A and tour.state_at(100.0).index == 2
    # Dates run across the flight from 2030-06-01 to 2035-12-31.
    assert "2030-06-01" < tour.state_at(5.5).date < "2035-12-31"
    assert tour.frame_count(10) == 90 and len(tour.frame_times(10)) == 90


def test_deck_becomes_a_tour_with_each_slides_transition() -> None:
    tour = Tour.from_deck(Deck(_slides()), hold_s=1.0)
    assert [k.duration_s for k in tour.keyframes] == [2.75, 1 / 3, 2.0]
    assert tour.duration == pytest.approx(1.0 + (1 / 3 + 1.0) + (2.0 + 1.0))


def test_slide_applier_sets_layers_date_overlay_and_what_if(fresh_sample_scene) -> None:
    scene = fresh_sample_scene
    seen: list[str] = []
    registry = OverlayRegistry()
    registry.register("status", seen.append)
    applier = SlideApplier(scene, registry)
    buildings = scene.layers["Buildings"]
    before = buildings.colors.copy()
    slide = Slide(
        "fault", CAM_A, date="2030-06-01", overlay="status",
        visible={"Water mains": False}, filters={"Buildings": "height > 10"},
        out_of_service=("P-F10-GATE-6-01",),
    )  # fmt: skip
    applier.apply(slide)
    assert str(scene.date) == "2030-06-01" and seen == ["status"]
    assert scene.layers["Water mains"].visible is False
    assert buildings.filter_text == "height > 10"
    lost = scene.networks["power"].buildings_without_supply(["P-F10-GATE-6-01"])
    rows = np.isin(buildings.table["id"].astype(str), list(lost))
    assert rows.sum() == len(lost) > 100
    assert (buildings.colors[rows] == (231, 76, 60)).all()  # the fault colour
    availability = default_kpis(scene, slide.out_of_service)["Network availability"]
    assert 50.0 < float(availability.rstrip("%")) < 100.0
    # An unknown overlay is reported, not raised; the what-if is undone.
    applier.apply(Slide("plain", CAM_B, overlay="no-such-overlay"))
    assert any("no-such-overlay" in p for p in applier.problems)
    assert (buildings.colors == before).all()
    assert scene.date is None
