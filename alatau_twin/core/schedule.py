"""Construction schedule and progress at a date (core: no Qt, no VTK).

Each scheduled feature has a planned start and finish and, optionally, as-built
progress reports (percent complete at a date). Progress at any date is well defined:
planned progress is linear between start and finish; actual progress interpolates
between reports, is 0 before the first, clamped to [0, 100], and never ahead of a
later report (a report that goes down caps everything before it).

A schedule imported from a planning tool also carries, per feature, the task that
scheduled it (:class:`TaskInfo`: name, WBS, summary/milestone flags, predecessors,
calendar, actual dates, where in the file it came from), so the app can say *which*
task of *which* plan a building follows without going back to the file.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np

PHASES = (
    "planned",
    "site preparation",
    "foundation",
    "structure",
    "envelope",
    "fit-out",
    "complete",
)
# Upper bounds (fraction complete) of each phase after "planned".
_PHASE_EDGES = np.array([0.0, 0.05, 0.15, 0.60, 0.80, 0.9999])
# Day numbers are packed with the feature row into one sortable key.
_DAY_MIN = np.datetime64("1900-01-01", "D").astype("int64")
_DAY_SPAN = np.int64(200 * 366)


def to_day(value: Any) -> np.datetime64:
    """A date-like value (str, date, datetime64) as numpy ``datetime64[D]``."""
    if isinstance(value, dt.datetime):
        value = value.date()
    return np.datetime64(value, "D")


@dataclass
class Schedule:
    """Planned dates and as-built reports for features keyed by id.

    ``feature_ids``, ``planned_start`` and ``planned_finish`` are parallel arrays.
    ``reports`` maps a feature id to ``(dates datetime64[D] ascending, percent float)``.
    ``tasks`` (optional) maps a feature id to the imported task that schedules it.
    """

    feature_ids: np.ndarray
    planned_start: np.ndarray
    planned_finish: np.ndarray
    reports: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    tasks: dict[str, TaskInfo] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.feature_ids = np.asarray(self.feature_ids, dtype=object)
        self.planned_start = np.asarray(self.planned_start, dtype="datetime64[D]")
        self.planned_finish = np.asarray(self.planned_finish, dtype="datetime64[D]")
        bad = self.planned_finish < self.planned_start
        if bad.any():
            first = self.feature_ids[np.argmax(bad)]
            raise ValueError(f"{int(bad.sum())} tasks finish before they start (e.g. {first})")
        self._row = {str(f): i for i, f in enumerate(self.feature_ids)}
        self._flat: tuple[np.ndarray, ...] | None = None

    def __len__(self) -> int:
        return len(self.feature_ids)

    def row_of(self, feature_id: str) -> int:
        return self._row[feature_id]

    def task(self, feature_id: str) -> TaskInfo | None:
        """The imported task that schedules a feature (None for generated schedules)."""
        return self.tasks.get(str(feature_id))

    def planned_progress(self, date: Any) -> np.ndarray:
        """Fraction 0..1 per feature if work follows the plan linearly."""
        d = to_day(date)
        span = (self.planned_finish - self.planned_start).astype(float)
        done = (d - self.planned_start).astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            frac = np.where(span > 0, done / np.maximum(span, 1), (done >= 0).astype(float))
        return np.clip(frac, 0.0, 1.0)

    def actual_progress(self, date: Any) -> np.ndarray:
        """Fraction 0..1 per feature from as-built reports (0 where none yet).

        Vectorised over all reports at once (see :meth:`_flat_reports`): the time cursor
        calls this on every move, and a Python loop over 15k reports took 0.4 s.
        """
        rows, days, pct, first, last = self._flat_reports()
        out = np.zeros(len(self))
        if len(rows) == 0:
            return out
        d = to_day(date).astype("int64")
        # Index of the first report after `d` within each feature's run of reports.
        # The sort keys do not depend on the date: computed once per set of reports.
        key = self.__dict__.get("_keys")
        if key is None or len(key) != len(rows):
            key = self.__dict__["_keys"] = rows.astype(np.int64) * _DAY_SPAN + (days - _DAY_MIN)
            self.__dict__["_probe0"] = rows[first].astype(np.int64) * _DAY_SPAN - _DAY_MIN
        feature_rows = rows[first]
        probe = self.__dict__["_probe0"] + d
        hi = np.searchsorted(key, probe, side="right")
        hi = np.clip(hi, first, last + 1)
        before = hi == first  # date before the first report: no progress yet
        after = hi == last + 1  # after the last report: hold its value
        i1 = np.minimum(hi, last)
        i0 = np.maximum(hi - 1, first)
        span = (days[i1] - days[i0]).astype(float)
        t = np.where(span > 0, (d - days[i0]) / np.where(span > 0, span, 1.0), 0.0)
        val = pct[i0] + np.clip(t, 0.0, 1.0) * (pct[i1] - pct[i0])
        val = np.where(before, 0.0, np.where(after, pct[last], val))
        out[feature_rows] = val / 100.0
        return out

    def _flat_reports(self) -> tuple[np.ndarray, ...]:
        """All reports as flat arrays sorted by (row, day), capped so that no value runs
        ahead of a later one, plus each feature's first and last index. Cached; call
        :meth:`invalidate` after editing ``reports``."""
        cached = getattr(self, "_flat", None)
        if cached is not None:
            return cached
        rows_l, days_l, pct_l = [], [], []
        for fid, (dates, pct) in self.reports.items():
            i = self._row.get(str(fid))
            if i is None or len(dates) == 0:
                continue
            d = np.asarray(dates, dtype="datetime64[D]").astype("int64")
            order = np.argsort(d, kind="stable")
            p = np.clip(np.asarray(pct, float)[order], 0.0, 100.0)
            rows_l.append(np.full(len(d), i))
            days_l.append(d[order])
            pct_l.append(np.minimum.accumulate(p[::-1])[::-1])
        if not rows_l:
            empty = np.zeros(0, np.int64)
            self._flat = (empty, empty, np.zeros(0), empty, empty)
            return self._flat
        rows = np.concatenate(rows_l)
        days = np.concatenate(days_l)
        pct_all = np.concatenate(pct_l)
        order = np.lexsort((days, rows))
        rows, days, pct_all = rows[order], days[order], pct_all[order]
        starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
        ends = np.r_[starts[1:] - 1, len(rows) - 1]
        self._flat = (rows, days, pct_all, starts, ends)
        return self._flat

    def invalidate(self) -> None:
        """Forget cached report arrays after ``reports`` changed."""
        self._flat = None
        self.__dict__.pop("_keys", None)

    def progress(self, date: Any, mode: str = "actual") -> np.ndarray:
        if mode == "planned":
            return self.planned_progress(date)
        if mode != "actual":
            raise ValueError(f"progress mode must be 'planned' or 'actual', not {mode!r}")
        return self.actual_progress(date)

    def aligned(self, ids: np.ndarray, date: Any, mode: str = "actual") -> np.ndarray:
        """Progress for a layer's ids (1.0 for features the schedule does not know)."""
        idx = self.rows_for(ids)
        p = self.progress(date, mode)
        out = np.ones(len(idx))
        known = idx >= 0
        out[known] = p[idx[known]]
        return out

    def rows_for(self, ids: np.ndarray) -> np.ndarray:
        """Schedule row per id (-1 when unknown), cached per id array: the time cursor
        asks for the same layer's ids on every move."""
        cache = self.__dict__.setdefault("_rows_cache", {})
        key = id(ids)
        hit = cache.get(key)
        if hit is not None and hit[0] is ids:
            return hit[1]
        rows = np.array([self._row.get(str(f), -1) for f in ids], dtype=np.int64)
        cache[key] = (ids, rows)
        return rows

    def date_range(self) -> tuple[np.datetime64, np.datetime64]:
        return self.planned_start.min(), self.planned_finish.max()


def merge_schedules(base: Schedule | None, over: Schedule) -> Schedule:
    """``over`` laid on ``base``: a feature in both follows ``over`` entirely.

    Entirely means dates, reports *and* task: an imported plan that names a building
    replaces what the base said about it, including progress the base had reported,
    because mixing two plans' reports for one building would draw a history neither has.
    """
    if base is None:
        return over
    taken = over._row
    keep = np.array([str(f) not in taken for f in base.feature_ids.tolist()], dtype=bool)
    reports = {k: v for k, v in base.reports.items() if str(k) not in taken}
    reports.update(over.reports)
    tasks = {k: v for k, v in base.tasks.items() if str(k) not in taken}
    tasks.update(over.tasks)
    return Schedule(
        np.concatenate([base.feature_ids[keep], over.feature_ids]),
        np.concatenate([base.planned_start[keep], over.planned_start]),
        np.concatenate([base.planned_finish[keep], over.planned_finish]),
        reports,
        tasks,
    )


# MSPDI PredecessorLink/Type 0..3, in that order.
LINK_TYPES = ("FF", "FS", "SF", "SS")


@dataclass(frozen=True)
class TaskLink:
    """A predecessor of a task: ``predecessor`` is the other task's key (UID or CSV id).

    Lag is kept in working minutes as the file gives it and in working days at the
    file's own minutes per day (450 is as real as 480); negative lag is a lead.
    """

    predecessor: str
    type: str = "FS"
    lag_minutes: float = 0.0
    lag_days: float = 0.0
    external: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "predecessor": self.predecessor,
            "type": self.type,
            "lag_minutes": self.lag_minutes,
            "lag_days": round(self.lag_days, 4),
            "external": self.external,
        }


@dataclass
class TaskInfo:
    """One task of an imported plan, as metadata: what the planner wrote, not derived.

    ``uid`` is the task's stable key in its file (MSPDI ``UID``, the CSV ``id``);
    ``task_id`` is Microsoft Project's row number, which differs from the UID once rows
    move. Dates keep their time of day (night shifts end after midnight); the schedule
    itself works in days. ``source`` says where the task came from (file and line or
    UID) so a problem found later can be traced back.
    """

    uid: str
    name: str = ""
    task_id: str = ""
    wbs: str = ""
    outline_number: str = ""
    outline_level: int | None = None
    summary: bool = False
    project_summary: bool = False
    milestone: bool = False
    recurring: bool = False
    estimated: bool = False
    start: dt.datetime | None = None
    finish: dt.datetime | None = None
    duration_days: float | None = None
    percent_complete: float | None = None
    actual_start: dt.datetime | None = None
    actual_finish: dt.datetime | None = None
    calendar: str | None = None
    constraint: str | None = None
    constraint_date: dt.datetime | None = None
    phase: str | None = None
    predecessors: tuple[TaskLink, ...] = ()
    fields: dict[str, str] = field(default_factory=dict)
    source: str = ""

    @property
    def has_progress(self) -> bool:
        return bool(self.percent_complete) or self.actual_start is not None

    def value(self, name: str) -> str | None:
        """A field by name for linking: a built-in (``name``, ``wbs``, ``uid``, ``id``,
        ``outline_number``, ``phase``) or a custom field by name or alias, any case.

        ``wbs`` falls back to the outline number: some exporters leave every ``WBS``
        empty and keep the structure only in ``OutlineNumber``.
        """
        key = name.strip().lower()
        builtin = {
            "name": self.name,
            "uid": self.uid,
            "id": self.task_id or self.uid,
            "task_id": self.task_id or self.uid,
            "outline_number": self.outline_number,
            "outline": self.outline_number,
            "phase": self.phase or "",
        }
        if key == "wbs":
            return self.wbs or self.outline_number or None
        if key in builtin:
            return builtin[key] or None
        for k, v in self.fields.items():
            if k.lower() == key:
                return v or None
        return None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, dates as ISO text."""
        out: dict[str, Any] = {}
        for k, v in self.__dict__.items():
            if isinstance(v, dt.datetime):
                v = v.isoformat()
            elif k == "predecessors":
                v = [link.to_dict() for link in v]
            elif k == "fields":
                v = dict(v)
            out[k] = v
        return out


def progress_from_reports(dates: np.ndarray, percent: np.ndarray, day: int) -> float:
    """Interpolated fraction at ``day`` (int days since epoch) from ascending reports."""
    days = np.asarray(dates, dtype="datetime64[D]").astype("int64")
    pct = np.clip(np.asarray(percent, float), 0.0, 100.0)
    # Never ahead of a later report: cap each value by the minimum of those after it.
    capped = np.minimum.accumulate(pct[::-1])[::-1]
    # Work starts at the first report: progress is 0 before it.
    return float(np.interp(day, days, capped, left=0.0, right=capped[-1]) / 100.0)


def phase_of(fraction: np.ndarray) -> np.ndarray:
    """Construction phase name per feature for a progress fraction."""
    f = np.asarray(fraction, float)
    idx = np.searchsorted(_PHASE_EDGES, f, side="left")
    idx = np.where(f <= 0.0, 0, idx)
    idx = np.where(f >= 1.0, len(PHASES) - 1, idx)
    return np.array(PHASES, dtype=object)[np.clip(idx, 0, len(PHASES) - 1)]
