"""Construction in 4D, in the model: progress, phase, schedule status, colours, series."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
import shapely

from alatau_twin.core.attributes import AttributeTable
from alatau_twin.core.construction import (
    AHEAD,
    COMPLETE,
    LATE,
    NOT_STARTED,
    ON_TIME,
    STATUSES,
    construction_series,
    counts_at,
    phase_codes,
    scene_series,
    series_dates,
    status_codes,
    timeline_range,
    to_time,
)
from alatau_twin.core.extrude import extrude_footprints
from alatau_twin.core.layers import BuildingLayer
from alatau_twin.core.scene import Scene
from alatau_twin.core.schedule import PHASES, Schedule, phase_of
from alatau_twin.core.style import PHASE_COLORS, SCHEDULE_STATUS_COLORS

D = np.datetime64


def _schedule() -> Schedule:
    """Four 100-day tasks from 2030-01-01 with hand-written as-built reports.

    A: exactly on plan; B: started 40 days late; C: well ahead; D: never reported.
    """
    ids = np.array(["A", "B", "C", "D"], dtype=object)
    start = np.array(["2030-01-01"] * 4, dtype="datetime64[D]")
    finish = start + 100
    reports = {
        "A": (np.array(["2030-01-01", "2030-04-11"], "datetime64[D]"), np.array([0.0, 100.0])),
        "B": (np.array(["2030-02-10", "2030-05-21"], "datetime64[D]"), np.array([0.0, 100.0])),
        "C": (np.array(["2030-01-01", "2030-02-20"], "datetime64[D]"), np.array([0.0, 100.0])),
    }
    return Schedule(ids, start, finish, reports)


def _scene(schedule: Schedule | None = None) -> Scene:
    """Four 10 x 10 m buildings of 30 m, with a district each, on that schedule."""
    geoms = np.array([shapely.box(i * 20.0, 0.0, i * 20.0 + 10.0, 10.0) for i in range(4)])
    height = np.full(4, 30.0)
    table = AttributeTable(
        {
            "id": np.array(["A", "B", "C", "D"], dtype=object),
            "height": height,
            "district": np.array(["North", "North", "South", "South"], dtype=object),
        }
    )
    layer = BuildingLayer("Buildings", extrude_footprints(geoms, height), table, footprints=geoms)
    layer.colors = np.full((4, 3), 200, np.uint8)
    scene = Scene()
    scene.layers.append(layer)
    scene.schedule = schedule or _schedule()
    return scene


def _heights(layer: BuildingLayer) -> np.ndarray:
    pf = layer.mesh.point_data["feature_index"]
    return np.array([layer.mesh.points[pf == i, 2].max() for i in range(layer.n_features)])


# -- phase and status -------------------------------------------------------------------


def test_phase_codes_agree_with_schedule_phase_of() -> None:
    f = np.concatenate([np.linspace(-0.1, 1.1, 2401), [0.0, 0.05, 0.15, 0.6, 0.8, 0.9999, 1.0]])
    assert np.array_equal(np.array(PHASES, dtype=object)[phase_codes(f)], phase_of(f))


def test_status_has_a_tolerance_of_five_points_or_fourteen_days() -> None:
    start = np.full(6, D("2030-01-01"))
    finish = start + 1000  # 10 days per percentage point
    day = D("2030-07-20")  # 200 days in: the plan says 20 %
    actual = np.array([0.16, 0.10, 0.30, 0.0, 1.0, 0.1795])
    planned = np.full(6, 0.20)
    codes = status_codes(actual, planned, start, finish, day)
    # 4 points behind: on time; 10 behind (100 days): late; 10 ahead: ahead;
    # not started when it should have: late; complete: complete; 2 points behind: on time.
    assert [STATUSES[c] for c in codes] == [
        "on time", "late", "ahead", "late", "complete", "on time",
    ]  # fmt: skip
    # Far behind in points but only a week in days (a short task): still on time.
    short = status_codes(
        np.array([0.5]), np.array([0.7]), np.array([D("2030-01-01")]),
        np.array([D("2030-02-05")]), D("2030-01-25"),
    )  # fmt: skip
    assert short[0] == ON_TIME


def test_status_at_dates_on_a_hand_made_schedule() -> None:
    scene = _scene()
    layer = scene.layers["Buildings"]
    scene.set_date("2029-12-01")
    assert layer.progress.tolist() == [0.0, 0.0, 0.0, 0.0]
    scene.color_by = "status"
    assert layer._construction_codes.tolist() == [NOT_STARTED] * 4
    scene.set_date("2030-01-31")  # 30 % planned
    assert layer.progress == pytest.approx([0.30, 0.0, 0.60, 0.0])
    assert layer._construction_codes.tolist() == [ON_TIME, LATE, AHEAD, LATE]
    scene.set_date("2030-03-01")
    assert layer._construction_codes.tolist() == [ON_TIME, LATE, COMPLETE, LATE]
    # The colours on the layer are the status palette, and the legend counts them.
    assert tuple(layer.colors[1]) == SCHEDULE_STATUS_COLORS["late"]
    assert tuple(layer.colors[2]) == SCHEDULE_STATUS_COLORS["complete"]
    counts = {e.label: e.count for e in layer.legend.entries}
    assert counts == {"on time": 1, "late": 2, "complete": 1}
    assert layer.legend.total == layer.n_features


def test_phase_colours_follow_the_cursor_and_go_back_to_the_own_style() -> None:
    scene = _scene()
    layer = scene.layers["Buildings"]
    own = layer.colors.copy()
    scene.set_date("2030-01-31")
    scene.color_by = "phase"
    expected = phase_of(layer.progress)
    assert [tuple(c) for c in layer.colors] == [PHASE_COLORS[p] for p in expected]
    assert layer.legend.title == "construction phase"
    scene.set_date("2030-06-01")
    assert all(tuple(c) == PHASE_COLORS["complete"] for c in layer.colors[:3])
    assert tuple(layer.colors[3]) == PHASE_COLORS["planned"]
    scene.color_by = None
    assert np.array_equal(layer.colors, own)
    assert layer.legend is None
    with pytest.raises(ValueError, match="colour mode"):
        scene.color_by = "rainbow"


# -- the cursor on the scene ------------------------------------------------------------


def test_cursor_carries_a_date_and_a_time() -> None:
    scene = _scene()
    seen: list[object] = []
    scene.date_changed.connect(seen.append)
    scene.set_date(dt.datetime(2030, 1, 31, 14, 30))
    assert scene.time == D("2030-01-31T14:30:00")
    assert scene.date == D("2030-01-31")
    assert seen == [D("2030-01-31")]
    scene.set_date("2030-02-01T08:15")
    assert scene.time == D("2030-02-01T08:15:00") and scene.date == D("2030-02-01")
    # An aware time (a feed message in UTC) is shown in city time, UTC+5.
    scene.set_date(dt.datetime(2030, 2, 1, 22, 0, tzinfo=dt.UTC))
    assert scene.time == D("2030-02-02T03:00:00")
    assert to_time(dt.date(2030, 5, 1)) == D("2030-05-01T00:00:00")
    scene.set_date(None)
    assert scene.time is None and scene.date is None
    assert scene.layers["Buildings"].progress.tolist() == [1.0] * 4


def test_moving_within_a_day_changes_no_geometry() -> None:
    scene = _scene()
    layer = scene.layers["Buildings"]
    moved: list[int] = []
    layer.geometry_changed.connect(lambda: moved.append(1))
    scene.set_date("2030-01-31T08:00")
    n = len(moved)
    scene.set_date("2030-01-31T17:00")
    assert len(moved) == n
    assert scene.time == D("2030-01-31T17:00:00")


def test_plan_and_as_built_at_the_same_date_draw_different_heights() -> None:
    scene = _scene()
    layer = scene.layers["Buildings"]
    modes: list[str] = []
    scene.construction_changed.connect(lambda: modes.append(scene.progress_mode))
    scene.set_date("2030-01-31")
    built = _heights(layer)
    scene.progress_mode = "planned"
    planned = _heights(layer)
    assert modes == ["planned"]
    assert planned == pytest.approx([9.0, 9.0, 9.0, 9.0])  # 30 % of 30 m, tops cut flat
    assert built == pytest.approx([9.0, 0.3, 18.0, 0.3])  # not started: a 0.3 m sliver
    # The mode sticks: moving the cursor keeps showing the plan.
    scene.set_date("2030-02-20")
    assert _heights(layer) == pytest.approx([15.0] * 4)
    with pytest.raises(ValueError, match="progress mode"):
        scene.progress_mode = "hoped"


def test_growth_in_place_equals_a_full_recompute() -> None:
    """Only changed buildings' roofs are written; the result must be the same as
    rewriting every point from the full heights."""
    from alatau_twin.io.synthetic import synthetic_city_scene

    scene = synthetic_city_scene(2_000)
    layer = scene.layers["Buildings"]
    pf = layer.mesh.point_data["feature_index"]
    top = layer.mesh.point_data["is_top"]
    lo = (layer.base + layer.table_min_height())[pf]
    for day in ("2027-01-01", "2027-01-02", "2031-06-01", "2026-01-01", None, "2033-03-03"):
        scene.set_date(day)
        z = layer._full_z.copy()
        z[top] = lo[top] + np.maximum(layer.progress[pf[top]] * (layer._full_z[top] - lo[top]), 0.3)
        assert np.array_equal(layer.mesh.points[:, 2], z), day


def test_synthetic_city_has_a_programme_with_reports() -> None:
    from alatau_twin.io.synthetic import synthetic_city_scene

    scene = synthetic_city_scene(3_000)
    sched = scene.schedule
    assert sched is not None and len(sched) == 3_000 and len(sched.reports) == 3_000
    rng = timeline_range(scene)
    assert rng == (D("2025-01-01"), D("2035-12-31")) or rng[0] == D("2025-01-01")
    early = sched.actual_progress("2027-01-01").mean()
    late = sched.actual_progress("2034-01-01").mean()
    assert 0.0 < early < late < 1.0


# -- series -----------------------------------------------------------------------------


def test_s_curve_is_monotone_and_equals_the_mean_progress() -> None:
    sched = _schedule()
    rows = np.arange(4)
    groups = np.array(["North", "North", "South", "South"], dtype=object)
    dates = series_dates("2029-12-01", "2030-07-01", 60)
    s = construction_series(sched, rows, groups, dates)
    assert s.groups == ("City", "North", "South")
    assert s.sizes.tolist() == [4, 2, 2]
    for g in range(3):
        assert np.all(np.diff(s.planned[g]) >= -1e-9)
        assert np.all(np.diff(s.actual[g]) >= -1e-9)
    for j, d in enumerate(dates):
        a, p = sched.actual_progress(d), sched.planned_progress(d)
        assert s.actual[0, j] == pytest.approx(100 * a.mean())
        assert s.planned[0, j] == pytest.approx(100 * p.mean())
        assert s.actual[1, j] == pytest.approx(100 * a[:2].mean())
        assert s.actual[2, j] == pytest.approx(100 * a[2:].mean())
        assert s.phases[:, j].sum(axis=1).tolist() == [4, 2, 2]
        assert s.phases[0, j].tolist() == np.bincount(phase_codes(a), minlength=7).tolist()
    plan, built = s.at("City", "2030-01-31")
    assert plan == pytest.approx(30.0, abs=1.0) and built == pytest.approx(22.5, abs=1.0)


def test_sample_series_cover_the_programme_by_district(sample_scene) -> None:
    rng = timeline_range(sample_scene)
    # Existing village houses (1965-2022) do not stretch the timeline back.
    assert rng == (D("2025-01-01"), D("2050-12-31"))
    s = scene_series(sample_scene, n_dates=60)
    assert s is not None
    assert s.groups == ("City", "Gate", "Golden", "Green", "Growing")
    assert s.sizes[0] == s.sizes[1:].sum()
    g = s.index("Gate")
    assert s.planned[g, 0] < 5 and s.planned[g, -1] == pytest.approx(100.0)
    assert np.all(np.diff(s.actual[0]) >= -1e-9)
    # Counts by phase always add up to the buildings of the area.
    assert (s.phases[g].sum(axis=1) == s.sizes[g]).all()


def test_counts_at_a_date_by_phase_and_status(sample_scene) -> None:
    c = counts_at(sample_scene, "2030-06-01")
    n = c["buildings"]
    assert n == sample_scene.layers["Buildings"].n_features
    assert sum(c["by_phase_actual"].values()) == n
    assert sum(c["by_phase_planned"].values()) == n
    assert sum(c["by_status"].values()) == n
    assert set(c["by_status"]) == set(STATUSES)
    # The sample's as-built runs a little behind its plan in 2030.
    assert c["by_status"]["late"] > c["by_status"]["ahead"] > 0
