"""Construction in 4D: phase, schedule status, colours and S-curves at a date (core).

The time cursor (:meth:`Scene.set_date`) moves every building to its progress at a day;
this module says what that progress *means* and draws the numbers a planner asks for:

* the construction **phase** of each building (``schedule.PHASES``) at the cursor;
* its **schedule status**: as built against the plan, with a tolerance so that a few
  days or points of drift do not paint half the city red (:data:`TOLERANCE_PP`,
  :data:`TOLERANCE_DAYS`);
* the **colour modes** ("phase", "status") applied through ``Layer.set_colors`` with a
  legend that counts each class, so the 3D view, the headless render and ``info`` agree;
* **series over time** (S-curves of planned vs actual progress for the city and each
  district, counts by phase) for the charts, computed for all features at once per date.

No Qt, no VTK: pure numpy on the schedule's arrays, testable in milliseconds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from alatau_twin.core import style
from alatau_twin.core.schedule import PHASES, Schedule

if TYPE_CHECKING:  # construction is imported by scene.py; only type hints go the other way
    from alatau_twin.core.layers import BuildingLayer
    from alatau_twin.core.scene import Scene
    from alatau_twin.core.styling import Legend

# Schedule statuses, in legend order. Codes are indices into this tuple.
STATUSES: tuple[str, ...] = ("not started", "on time", "ahead", "late", "complete")
NOT_STARTED, ON_TIME, AHEAD, LATE, COMPLETE = range(len(STATUSES))
# Work within 5 percentage points *or* 14 days of the plan is on time: a building
# 3 points behind on a 4-year tower is not late, nor is one that started a week late.
TOLERANCE_PP = 5.0
TOLERANCE_DAYS = 14.0

PROGRESS_MODES: tuple[str, ...] = ("actual", "planned")
# Colour modes for buildings: None keeps the layer's own style.
COLOR_MODES: tuple[str, ...] = ("phase", "status")
COLOR_MODE_TITLES = {
    "phase": "construction phase",
    "status": "schedule status",
}
STYLE_PREFIX = "construction:"
UNSCHEDULED_LABEL = "not scheduled"

# Phase thresholds as in ``schedule.phase_of`` (tests check that both agree): a phase
# after "planned" is reached once progress is *above* the previous edge.
_PHASE_EDGES = np.array([0.0, 0.05, 0.15, 0.60, 0.80, 0.9999])
_PHASE_LUT = np.array([style.PHASE_COLORS[p] for p in PHASES], dtype=np.uint8)
_STATUS_LUT = np.array([style.SCHEDULE_STATUS_COLORS[s] for s in STATUSES], dtype=np.uint8)


# -- time --------------------------------------------------------------------------


def to_time(value: Any) -> np.datetime64:
    """A date or date-time (str, date, datetime, datetime64) as ``datetime64[s]``.

    Times are wall-clock time at the city (Asia/Almaty for the sample); an aware
    datetime is converted to UTC+5 first, so a cursor set from a UTC feed message and
    one set from the timeline agree.
    """
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(CITY_TZ).replace(tzinfo=None)
        return np.datetime64(value.replace(microsecond=0), "s")
    if isinstance(value, dt.date):
        return np.datetime64(value, "D").astype("datetime64[s]")
    if isinstance(value, np.datetime64):
        return value.astype("datetime64[s]")
    return np.datetime64(str(value), "s")


CITY_TZ = dt.timezone(dt.timedelta(hours=5), "Asia/Almaty")


def time_to_epoch(time: np.datetime64) -> float:
    """Seconds since 1970 (UTC) of a city wall-clock time: what feeds and logs use."""
    local = np.datetime64(time, "s").astype("int64")
    return float(local - 5 * 3600)


def format_time(time: np.datetime64 | None, *, with_time: bool = True) -> str:
    """``2030-06-01 14:00`` (or the day alone); an em dash when there is no cursor."""
    if time is None:
        return "—"
    text = np.datetime_as_string(np.datetime64(time, "m"), unit="m").replace("T", " ")
    return text if with_time else text[:10]


# -- per building ------------------------------------------------------------------


def phase_codes(fraction: np.ndarray) -> np.ndarray:
    """Index into ``PHASES`` per feature (int8), the same classes as ``phase_of``."""
    f = np.asarray(fraction, float)
    idx = np.searchsorted(_PHASE_EDGES, f, side="left")
    idx[f <= 0.0] = 0
    idx[f >= 1.0] = len(PHASES) - 1
    return np.clip(idx, 0, len(PHASES) - 1).astype(np.int8)


def status_codes(
    actual: np.ndarray,
    planned: np.ndarray,
    start: np.ndarray,
    finish: np.ndarray,
    day: Any,
    tol_pp: float = TOLERANCE_PP,
    tol_days: float = TOLERANCE_DAYS,
) -> np.ndarray:
    """Schedule status per feature (int8 index into :data:`STATUSES`).

    ``actual`` and ``planned`` are fractions at ``day``; ``start``/``finish`` the planned
    dates. The slip in days is how far ``day`` is past the date on which the (linear)
    plan reaches the actual progress; work is late only when it is behind by more than
    ``tol_pp`` points *and* more than ``tol_days`` days, ahead symmetrically.
    """
    a = np.asarray(actual, float)
    p = np.asarray(planned, float)
    d = np.datetime64(day, "D").astype("int64")
    s, f = _days(start), _days(finish)
    span = (f - s).astype(float)
    slip = d - (s + a * span)
    diff_pp = (a - p) * 100.0
    out = np.full(a.shape, ON_TIME, dtype=np.int8)
    out[(diff_pp > tol_pp) & (slip < -tol_days)] = AHEAD
    out[(diff_pp < -tol_pp) & (slip > tol_days)] = LATE
    out[(a <= 0.0) & (p <= 0.0)] = NOT_STARTED
    out[a >= 1.0] = COMPLETE
    return out


def _days(dates: np.ndarray) -> np.ndarray:
    """Days since 1970 (int64) of datetime64 dates; integer arrays pass through."""
    a = np.asarray(dates)
    return (
        a.astype(np.int64) if a.dtype.kind in "iu" else a.astype("datetime64[D]").astype(np.int64)
    )


def _schedule_days(schedule: Schedule) -> tuple[np.ndarray, np.ndarray]:
    """Planned start and finish as int64 days, cached per schedule (the status colours
    ask on every cursor move; converting 100k dates each time cost ~3 ms)."""
    key = (id(schedule.planned_start), id(schedule.planned_finish))
    hit = getattr(schedule, "_days_cache", None)
    if hit is None or hit[0] != key:
        hit = (key, _days(schedule.planned_start), _days(schedule.planned_finish))
        schedule._days_cache = hit  # type: ignore[attr-defined]
    return hit[1], hit[2]


@dataclass
class LayerProgress:
    """One building layer's construction state at a day.

    ``rows`` are schedule rows per feature (-1: not in the schedule, drawn complete).
    ``shown`` is the progress drawn (``actual`` or ``planned`` per the scene's mode).
    """

    day: np.datetime64 | None
    mode: str
    rows: np.ndarray
    actual: np.ndarray
    planned: np.ndarray
    shown: np.ndarray

    @property
    def scheduled(self) -> np.ndarray:
        return self.rows >= 0

    def phases(self) -> np.ndarray:
        """Phase code of the drawn progress (int8)."""
        return phase_codes(self.shown)

    def statuses(self, schedule: Schedule) -> np.ndarray:
        """Schedule status code (int8); unscheduled features count as complete."""
        known = self.scheduled
        out = np.full(len(self.rows), COMPLETE, dtype=np.int8)
        if self.day is None or not known.any():
            return out
        r = self.rows[known]
        start, finish = _schedule_days(schedule)
        out[known] = status_codes(
            self.actual[known], self.planned[known], start[r], finish[r], self.day
        )
        return out


def layer_progress(
    schedule: Schedule | None,
    layer: BuildingLayer,
    day: Any,
    mode: str = "actual",
    *,
    need_both: bool = False,
) -> LayerProgress:
    """Progress of a layer's buildings at ``day`` (None: everything complete).

    Only the drawn mode is computed unless ``need_both`` (the status colours compare
    actual with planned): the cursor pays for what it shows.
    """
    if mode not in PROGRESS_MODES:
        raise ValueError(f"progress mode must be 'actual' or 'planned', not {mode!r}")
    n = layer.n_features
    if schedule is None or "id" not in layer.table:
        ones = np.ones(n)
        return LayerProgress(None, mode, np.full(n, -1, np.int64), ones, ones, ones)
    rows = schedule.rows_for(layer.table["id"])
    if day is None:
        ones = np.ones(n)
        return LayerProgress(None, mode, rows, ones, ones, ones)
    d = np.datetime64(day, "D")
    known = rows >= 0
    both = need_both or mode == "actual"
    actual = _aligned(schedule.actual_progress(d), rows, known) if both else None
    planned = (
        _aligned(schedule.planned_progress(d), rows, known)
        if need_both or mode == "planned"
        else None
    )
    shown = actual if mode == "actual" else planned
    assert shown is not None
    return LayerProgress(
        d,
        mode,
        rows,
        actual if actual is not None else shown,
        planned if planned is not None else shown,
        shown,
    )


def _aligned(values: np.ndarray, rows: np.ndarray, known: np.ndarray) -> np.ndarray:
    out = np.ones(len(rows))
    out[known] = values[rows[known]]
    return out


# -- colours -----------------------------------------------------------------------


def construction_style(
    state: LayerProgress, color_by: str, schedule: Schedule | None
) -> tuple[np.ndarray, np.ndarray, Legend]:
    """Colours, class codes and a counted legend for a colour mode at the cursor.

    Returns ``(colors (n, 3) uint8, codes (n,) int8, legend)``; code -1 marks buildings
    the schedule does not know (grey, "not scheduled").
    """
    from alatau_twin.core.styling import Legend, LegendEntry

    if color_by == "phase":
        codes, lut, names = state.phases(), _PHASE_LUT, PHASES
    elif color_by == "status":
        if schedule is None:
            raise ValueError("colour by schedule status needs a schedule")
        codes, lut, names = state.statuses(schedule), _STATUS_LUT, STATUSES
    else:
        raise ValueError(f"colour mode must be one of {COLOR_MODES}, not {color_by!r}")
    codes = codes.astype(np.int8, copy=True)
    codes[~state.scheduled] = -1
    colors = lut[np.maximum(codes, 0)]
    colors[codes < 0] = style.UNSCHEDULED_COLOR
    counts = np.bincount(codes.astype(np.int64) + 1, minlength=len(names) + 1)
    entries = [
        LegendEntry(name, tuple(int(c) for c in lut[i]), int(counts[i + 1]))  # type: ignore[arg-type]
        for i, name in enumerate(names)
        if counts[i + 1]
    ]
    if counts[0]:
        entries.append(LegendEntry(UNSCHEDULED_LABEL, style.UNSCHEDULED_COLOR, int(counts[0])))
    title = COLOR_MODE_TITLES[color_by]
    if color_by == "phase" and state.mode == "planned":
        title += " (plan)"
    return colors, codes, Legend(title, entries, "categorical")


def apply_construction(scene: Scene, *, force: bool = False) -> None:
    """Grow and colour every building layer for the scene's cursor, mode and colours.

    Called by :meth:`Scene.set_date`. A layer is left alone when its day, mode and
    colour mode are what it already shows (an hourly status replay moves the cursor
    within a day), and colours are reassigned only when some building changed class,
    so scrubbing through quiet months costs almost nothing.
    """
    schedule = scene.schedule
    color_by = scene.color_by
    for layer in scene.building_layers():
        key = (scene.date, scene.progress_mode, color_by, schedule is not None)
        state_key = getattr(layer, "_construction_key", None)
        if not force and state_key == key:
            continue
        if schedule is None and color_by is None and state_key is None:
            continue
        state = layer_progress(
            schedule, layer, scene.date, scene.progress_mode, need_both=color_by == "status"
        )
        if schedule is not None:
            layer.set_progress(state.shown)
        layer._construction_key = key  # type: ignore[attr-defined]
        _apply_colors(layer, state, color_by, schedule, force)


def _apply_colors(
    layer: BuildingLayer,
    state: LayerProgress,
    color_by: str | None,
    schedule: Schedule | None,
    force: bool,
) -> None:
    previous = getattr(layer, "style_column", None)
    was_construction = isinstance(previous, str) and previous.startswith(STYLE_PREFIX)
    if color_by is None:
        if was_construction:
            original = getattr(layer, "_loaded_colors", None)
            if original is not None:
                layer.set_colors(original)
            layer.style_column = None  # type: ignore[attr-defined]
            layer.legend = None  # type: ignore[attr-defined]
            layer._construction_codes = None  # type: ignore[attr-defined]
        return
    if not hasattr(layer, "_loaded_colors"):
        # The same slot MainWindow.style_by keeps: "as loaded" restores these colours.
        layer._loaded_colors = layer.colors.copy()  # type: ignore[attr-defined]
    colors, codes, legend = construction_style(state, color_by, schedule)
    old = getattr(layer, "_construction_codes", None)
    column = STYLE_PREFIX + color_by
    layer.legend = legend  # type: ignore[attr-defined]
    same_style = not force and previous == column and old is not None and old.shape == codes.shape
    layer._construction_codes = codes  # type: ignore[attr-defined]
    layer.style_column = column  # type: ignore[attr-defined]
    if same_style:
        # Only buildings that changed class: the adapters rewrite just their cells.
        changed = np.flatnonzero(old != codes)
        if len(changed):
            layer.set_colors(colors[changed], changed)
        return
    layer.set_colors(colors)


# -- the time range and the buildings the charts follow ------------------------------


def timeline_range(scene: Scene) -> tuple[np.datetime64, np.datetime64] | None:
    """Whole years covering the construction programme (None without a schedule).

    ``scene.metadata["timeline"] = (start, end)`` wins. Otherwise the range starts with
    the earliest planned start among tasks that are not existing assets (a task whose
    only as-built report says 100 % is a recorded existing building, such as the
    sample's village houses from 1965-2022) and ends with the last planned finish.
    """
    if "timeline" in scene.metadata:
        a, b = scene.metadata["timeline"]
        return np.datetime64(a, "D"), np.datetime64(b, "D")
    sched = scene.schedule
    if sched is None or len(sched) == 0:
        return None
    existing = np.zeros(len(sched), dtype=bool)
    for fid, (dates, pct) in sched.reports.items():
        if len(dates) == 1 and float(np.asarray(pct)[0]) >= 100.0:
            row = sched._row.get(str(fid))
            if row is not None:
                existing[row] = True
    starts = sched.planned_start[~existing] if (~existing).any() else sched.planned_start
    start = starts.min()
    end = sched.planned_finish.max()
    y0 = start.astype("datetime64[Y]").astype("datetime64[D]")
    y1 = (end.astype("datetime64[Y]") + 1).astype("datetime64[D]") - 1
    return y0, y1


def programme_buildings(
    scene: Scene, group_column: str = "district"
) -> tuple[np.ndarray, np.ndarray]:
    """Schedule rows of the buildings the programme builds, and each one's group.

    Existing buildings (planned to finish before the timeline starts) are left out, so
    the S-curve measures the programme instead of sitting at 80 % because 12,000 village
    houses were already there. Groups come from ``group_column`` (districts).
    """
    sched = scene.schedule
    rng = timeline_range(scene)
    if sched is None or rng is None:
        return np.zeros(0, np.int64), np.zeros(0, dtype=object)
    rows_l, groups_l = [], []
    for layer in scene.building_layers():
        if "id" not in layer.table:
            continue
        rows = sched.rows_for(layer.table["id"])
        keep = rows >= 0
        keep[keep] = sched.planned_finish[rows[keep]] >= rng[0]
        rows_l.append(rows[keep])
        col = layer.table.get(group_column)
        g = np.asarray(col, dtype=object)[keep] if col is not None else None
        groups_l.append(g if g is not None else np.full(int(keep.sum()), "", dtype=object))
    if not rows_l:
        return np.zeros(0, np.int64), np.zeros(0, dtype=object)
    return np.concatenate(rows_l), np.concatenate(groups_l).astype(str).astype(object)


# -- series over time (charts) ---------------------------------------------------------

CITY = "City"


@dataclass
class ConstructionSeries:
    """Planned and actual progress and phase counts at ``dates`` for the city and groups.

    ``planned``/``actual`` are percent complete (0-100), shape ``(groups, dates)``;
    ``phases`` counts buildings per as-built phase, shape ``(groups, dates, PHASES)``.
    Group 0 is the whole city.
    """

    dates: np.ndarray
    groups: tuple[str, ...]
    planned: np.ndarray
    actual: np.ndarray
    phases: np.ndarray
    sizes: np.ndarray

    def index(self, group: str) -> int:
        return self.groups.index(group)

    def days(self) -> np.ndarray:
        """Dates as float days since 1970 (chart x values)."""
        return self.dates.astype("datetime64[D]").astype("int64").astype(float)

    def at(self, group: str, day: Any) -> tuple[float, float]:
        """(planned %, actual %) interpolated at ``day``."""
        g = self.index(group)
        x = float(np.datetime64(day, "D").astype("int64"))
        return (
            float(np.interp(x, self.days(), self.planned[g])),
            float(np.interp(x, self.days(), self.actual[g])),
        )


def series_dates(start: Any, end: Any, n: int = 240) -> np.ndarray:
    """About ``n`` distinct days from ``start`` to ``end`` inclusive (datetime64[D])."""
    a = np.datetime64(start, "D").astype("int64")
    b = np.datetime64(end, "D").astype("int64")
    if b < a:
        raise ValueError(f"end {end} is before start {start}")
    days = np.unique(np.round(np.linspace(a, b, max(2, n))).astype(np.int64))
    return days.astype("datetime64[D]")


def construction_series(
    schedule: Schedule,
    rows: np.ndarray,
    groups: np.ndarray | None,
    dates: np.ndarray,
    weights: np.ndarray | None = None,
) -> ConstructionSeries:
    """Mean planned and actual progress and phase counts for ``rows`` at every date.

    Each date costs one vectorised progress evaluation of the whole schedule (about
    1 ms for the sample's 15k tasks), and grouping is one ``bincount``, so the city and
    all districts come together: 240 dates for the sample take a quarter of a second.
    With ``weights`` (e.g. floor area) the means are weighted; counts never are.
    """
    rows = np.asarray(rows, dtype=np.int64)
    if groups is None:
        names: list[str] = []
        gidx = np.zeros(len(rows), dtype=np.int64)
    else:
        names = sorted({str(g) for g in groups if str(g)})
        lookup = {n: i + 1 for i, n in enumerate(names)}
        gidx = np.array([lookup.get(str(g), 0) for g in groups], dtype=np.int64)
    labels = (CITY, *names)
    n_groups = len(labels)
    w = np.ones(len(rows)) if weights is None else np.asarray(weights, float)
    dates = np.asarray(dates, dtype="datetime64[D]")
    planned = np.zeros((n_groups, len(dates)))
    actual = np.zeros((n_groups, len(dates)))
    phases = np.zeros((n_groups, len(dates), len(PHASES)), dtype=np.int64)
    wsum = np.bincount(gidx, weights=w, minlength=n_groups)
    wsum[0] = w.sum()
    sizes = np.bincount(gidx, minlength=n_groups)
    sizes[0] = len(rows)
    n_ph = len(PHASES)
    for j, d in enumerate(dates):
        a = schedule.actual_progress(d)[rows]
        p = schedule.planned_progress(d)[rows]
        for out, v in ((actual, a), (planned, p)):
            sums = np.bincount(gidx, weights=v * w, minlength=n_groups)
            sums[0] = float((v * w).sum())
            with np.errstate(invalid="ignore", divide="ignore"):
                out[:, j] = np.where(wsum > 0, 100.0 * sums / np.where(wsum > 0, wsum, 1), 0.0)
        codes = phase_codes(a).astype(np.int64)
        c = np.bincount(gidx * n_ph + codes, minlength=n_groups * n_ph).reshape(n_groups, n_ph)
        c[0] = np.bincount(codes, minlength=n_ph)
        phases[:, j] = c
    return ConstructionSeries(dates, labels, planned, actual, phases, sizes)


def scene_series(scene: Scene, n_dates: int = 240) -> ConstructionSeries | None:
    """The charts' series for a scene: programme buildings by district over its range."""
    rng = timeline_range(scene)
    if scene.schedule is None or rng is None:
        return None
    rows, groups = programme_buildings(scene)
    has_groups = len(groups) and any(str(g) for g in groups)
    return construction_series(
        scene.schedule, rows, groups if has_groups else None, series_dates(*rng, n_dates)
    )


# -- counts at one date (info) ------------------------------------------------------------


def counts_at(scene: Scene, day: Any) -> dict[str, Any]:
    """Buildings by phase (as built and as planned) and by schedule status at ``day``."""
    sched = scene.schedule
    out: dict[str, Any] = {"buildings": 0}
    if sched is None:
        return out
    by_actual = np.zeros(len(PHASES), np.int64)
    by_planned = np.zeros(len(PHASES), np.int64)
    by_status = np.zeros(len(STATUSES), np.int64)
    unscheduled = 0
    for layer in scene.building_layers():
        st = layer_progress(sched, layer, day, "actual", need_both=True)
        known = st.scheduled
        unscheduled += int((~known).sum())
        by_actual += np.bincount(phase_codes(st.actual[known]), minlength=len(PHASES))
        by_planned += np.bincount(phase_codes(st.planned[known]), minlength=len(PHASES))
        by_status += np.bincount(st.statuses(sched)[known], minlength=len(STATUSES))
        out["buildings"] += int(known.sum())
    out["by_phase_actual"] = {p: int(c) for p, c in zip(PHASES, by_actual, strict=True)}
    out["by_phase_planned"] = {p: int(c) for p, c in zip(PHASES, by_planned, strict=True)}
    out["by_status"] = {s: int(c) for s, c in zip(STATUSES, by_status, strict=True)}
    out["not_scheduled"] = unscheduled
    out["tolerance"] = {"percentage_points": TOLERANCE_PP, "days": TOLERANCE_DAYS}
    return out
