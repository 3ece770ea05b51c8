"""Construction schedules from CSV and Microsoft Project XML, linked to scene features (io).

Planners keep their programme in a scheduling tool, not in the twin; this module brings
that plan in and says honestly how much of it found a place in the city:

- :func:`read_schedule` reads a schedule file into an :class:`ImportedSchedule`: every
  task as :class:`~alatau_twin.core.schedule.TaskInfo` metadata, as-built progress as
  dated reports, calendars, and every problem with its file and place (CSV line, task
  UID). A bad row or task is reported and the rest still imports, because one typo in
  a 2,000-row programme must not cost the planner the other 1,999.
- CSV: one row per task or per progress report (rows repeating an id are its history);
  dates ISO or day-first (``31.12.2030``, ``31/12/2030``); delimiter sniffed from the
  header; UTF-8 with or without BOM.
- Microsoft Project XML (MSPDI, Project 2002 and later, and exporters such as MPXJ
  and ProjectLibre): read namespace-aware with the standard library. Durations and
  lags are converted with the file's own ``MinutesPerDay``. Progress becomes reports:
  0 % at ``ActualStart``, ``PercentComplete`` at the status date (``StatusDate``, else
  ``CurrentDate``), 100 % at ``ActualFinish``.
- :func:`link_schedule` matches task values (name, WBS, a custom field such as a
  building id in ``Text1``) to feature attribute values and returns a
  :class:`~alatau_twin.core.schedule.Schedule` over feature ids plus a
  :class:`LinkReport`; :func:`apply_schedule` lays it over a scene's schedule.

Summary tasks and the UID 0 project summary are kept as metadata but are not linked by
default: their dates are roll-ups of their children, and a district-wide summary
linked to every building would hide the real per-building plan.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from alatau_twin.core.attributes import AttributeTable
from alatau_twin.core.construction import apply_construction
from alatau_twin.core.scene import Scene
from alatau_twin.core.schedule import (
    LINK_TYPES,
    Schedule,
    TaskInfo,
    TaskLink,
    merge_schedules,
    phase_of,
    to_day,
)

MSPDI_NAMESPACE = "http://schemas.microsoft.com/project"
CSV_SUFFIXES = {".csv", ".tsv"}
XML_SUFFIXES = {".xml", ".mspdi"}

# The schedule model packs days since 1900 into a key with a 200-year span
# (core.schedule._DAY_SPAN); dates outside it are refused here with a message.
_YEAR_MIN, _YEAR_MAX = 1900, 2099


class ScheduleError(ValueError):
    """A schedule file that cannot be read at all; the message names the file."""


@dataclass(frozen=True)
class ScheduleProblem:
    """One problem in a schedule file: ``location`` is ``line 12`` or ``task UID 5``."""

    severity: str  # "error" (the row or task was left out or is inconsistent) | "warning"
    file: str
    message: str
    location: str = ""

    def describe(self) -> str:
        where = f" [{self.location}]" if self.location else ""
        return f"{self.severity.upper()}: {self.file}{where}: {self.message}"


@dataclass
class CalendarInfo:
    """A working calendar: which weekdays work and for how many minutes."""

    uid: str
    name: str
    base: bool
    base_calendar: str | None = None
    minutes_by_day: dict[str, int] = field(default_factory=dict)  # "Mon" -> minutes
    exceptions: int = 0

    @property
    def working_days(self) -> tuple[str, ...]:
        return tuple(d for d in _WEEKDAYS if self.minutes_by_day.get(d, 0) > 0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "uid": self.uid,
            "name": self.name,
            "base": self.base,
            "base_calendar": self.base_calendar,
            "working_days": list(self.working_days),
            "minutes_by_day": dict(self.minutes_by_day),
            "exceptions": self.exceptions,
        }


@dataclass
class ImportedSchedule:
    """Everything read from one schedule file, before it is linked to features.

    ``reports`` maps a task UID to ``(dates datetime64[D] ascending, percent)``, the
    same shape :class:`Schedule` uses, so linking only has to re-key them.
    """

    path: Path
    format: str  # "csv" | "mspdi"
    title: str = ""
    tasks: list[TaskInfo] = field(default_factory=list)
    reports: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    calendars: list[CalendarInfo] = field(default_factory=list)
    minutes_per_day: int = 480
    minutes_per_week: int = 2400
    days_per_month: int = 20
    status_date: dt.datetime | None = None
    save_version: str | None = None
    problems: list[ScheduleProblem] = field(default_factory=list)

    def task(self, uid: str) -> TaskInfo:
        for t in self.tasks:
            if t.uid == str(uid):
                return t
        raise KeyError(f"{self.path}: no task with UID {uid!r}")

    @property
    def errors(self) -> list[ScheduleProblem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def default_task_field(self) -> str:
        """What a task is matched on when the caller does not say: a CSV's ``id``
        column names the feature by definition; in Microsoft Project the UID is the
        tool's own number, so the task name is the better guess."""
        return "uid" if self.format == "csv" else "name"

    def schedulable(self, include_summary: bool = False) -> list[TaskInfo]:
        """Tasks with usable dates; summary tasks and the project summary only on request."""
        out = []
        for t in self.tasks:
            if (t.summary or t.project_summary) and not include_summary:
                continue
            if t.start is None or t.finish is None or t.finish < t.start:
                continue
            out.append(t)
        return out

    def to_schedule(self, include_summary: bool = False) -> Schedule:
        """The plan keyed by task UID (not linked to any feature)."""
        tasks = self.schedulable(include_summary)
        return _schedule_for([(t.uid, t) for t in tasks], self.reports)

    def summary(self, date: Any = None) -> dict[str, Any]:
        """What ``info`` says about the file (JSON-ready)."""
        return schedule_summary(self, date)


def read_schedule(path: str | Path) -> ImportedSchedule:
    """A CSV or Microsoft Project XML schedule (by suffix, else by a sniff)."""
    p = Path(path)
    if not p.exists():
        raise ScheduleError(f"{p}: no such file")
    suffix = p.suffix.lower()
    if suffix in XML_SUFFIXES or (suffix not in CSV_SUFFIXES and _sniff_mspdi(p)):
        return read_mspdi(p)
    if suffix in CSV_SUFFIXES or suffix == ".txt":
        return read_schedule_csv(p)
    raise ScheduleError(f"{p}: not a schedule file (CSV or Microsoft Project XML expected)")


def is_schedule_file(path: str | Path) -> bool:
    """Whether a path is a schedule rather than map data, from a cheap look at its head.

    ``.xml`` must be Microsoft Project XML; a ``.csv`` must have id, start and finish
    columns and no geometry column (a CSV with WKT and planned dates is a map layer).
    """
    p = Path(path)
    if not p.is_file():
        return False
    suffix = p.suffix.lower()
    if suffix in XML_SUFFIXES:
        # Loose on purpose: a <Project> without the namespace still reads (with a warning).
        return _sniff_mspdi(p) or re.search(rb"<Project[\s>]", _head(p)) is not None
    if suffix in CSV_SUFFIXES:
        try:
            with p.open("r", encoding="utf-8-sig", errors="replace", newline="") as fh:
                header = ""
                for line in fh:
                    if line.strip():
                        header = line
                        break
        except OSError:
            return False
        names = {_canonical(c) for c in _split_header(header)}
        geometry = {"wkt", "geometry", "geom", "the_geom", "x", "y", "lon", "lat"}
        geometry |= {"longitude", "latitude", "easting", "northing"}
        raw = {_norm_header(c) for c in _split_header(header)}
        return {"id", "start", "finish"} <= names and not (raw & geometry)
    return False


def _head(path: Path, size: int = 4096) -> bytes:
    try:
        with path.open("rb") as fh:
            return fh.read(size)
    except OSError:
        return b""


def _sniff_mspdi(path: Path) -> bool:
    head = _head(path)
    return b"<Project" in head and b"schemas.microsoft.com/project" in head


# ---------------------------------------------------------------------------------------
# Dates and durations
# ---------------------------------------------------------------------------------------

_DAY_FIRST_FORMATS = (
    "%d.%m.%Y",
    "%d/%m/%Y",
    "%d-%m-%Y",
    "%d.%m.%Y %H:%M",
    "%d/%m/%Y %H:%M",
    "%d-%m-%Y %H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%d/%m/%Y %H:%M:%S",
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%d %b %Y",
    "%d-%b-%Y",
    "%d %B %Y",
)


def parse_date(text: str) -> dt.datetime:
    """ISO 8601 or a common day-first form, as a naive local datetime.

    Month-first (US) dates are not guessed: ``03/04/2030`` is 3 April. Offsets are
    dropped, not converted: planning tools write site-local times. Two-digit years are
    refused rather than guessed.
    """
    s = text.strip()
    if not s:
        raise ValueError("empty date")
    value: dt.datetime | None = None
    try:
        value = dt.datetime.fromisoformat(s)
    except ValueError:
        for fmt in _DAY_FIRST_FORMATS:
            try:
                value = dt.datetime.strptime(s, fmt)
                break
            except ValueError:
                continue
    if value is None:
        raise ValueError(f"unrecognised date {s!r} (use YYYY-MM-DD or DD.MM.YYYY)")
    if not _YEAR_MIN <= value.year <= _YEAR_MAX:
        raise ValueError(f"date {s!r} outside {_YEAR_MIN}..{_YEAR_MAX}")
    return value.replace(tzinfo=None)


_DURATION = re.compile(
    r"^(?P<neg>-)?P(?:(?P<Y>\d+(?:\.\d+)?)Y)?(?:(?P<Mo>\d+(?:\.\d+)?)M)?(?:(?P<W>\d+(?:\.\d+)?)W)?"
    r"(?:(?P<D>\d+(?:\.\d+)?)D)?(?:T(?:(?P<H>\d+(?:\.\d+)?)H)?(?:(?P<Mi>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<S>\d+(?:\.\d+)?)S)?)?$"
)


def parse_duration_minutes(
    text: str,
    minutes_per_day: float = 480,
    minutes_per_week: float = 2400,
    days_per_month: float = 20,
) -> float:
    """An MSPDI duration (``PT752H0M0S``, ``PT138H53M18S``) in working minutes.

    Hours may pass 24 and seconds may be non-zero. Day, week, month and year parts are
    working units, converted with the file's own day length.
    """
    m = _DURATION.match(text.strip())
    if not m or text.strip() in ("P", "PT", "-P", "-PT"):
        raise ValueError(f"unrecognised duration {text!r}")
    g = {k: float(v) if v else 0.0 for k, v in m.groupdict().items() if k != "neg"}
    minutes = (
        g["Y"] * 12 * days_per_month * minutes_per_day
        + g["Mo"] * days_per_month * minutes_per_day
        + g["W"] * minutes_per_week
        + g["D"] * minutes_per_day
        + g["H"] * 60
        + g["Mi"]
        + g["S"] / 60
    )
    return -minutes if m.group("neg") else minutes


def _day(value: dt.datetime) -> np.datetime64:
    return np.datetime64(value.date(), "D")


def _reports_from_points(points: Iterable[tuple[dt.datetime, float]]) -> tuple[np.ndarray, ...]:
    """Dated percents as ascending day arrays; one value per day (the highest: a task
    started and finished on one day is 100 % that day, not 0 %)."""
    by_day: dict[np.datetime64, float] = {}
    for when, pct in points:
        d = _day(when)
        by_day[d] = max(by_day.get(d, 0.0), float(pct))
    days = sorted(by_day)
    return np.array(days, dtype="datetime64[D]"), np.array([by_day[d] for d in days], float)


# ---------------------------------------------------------------------------------------
# Microsoft Project XML (MSPDI)
# ---------------------------------------------------------------------------------------

_WEEKDAYS = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")  # MSPDI DayType 1..7
_CONSTRAINTS = ("ASAP", "ALAP", "MSO", "MFO", "SNET", "SNLT", "FNET", "FNLT")
# Duration/lag formats that count elapsed (calendar) rather than working time.
_ELAPSED_FORMATS = {4, 6, 8, 10, 12, 20, 36, 38, 40, 42, 44, 52}
_PERCENT_FORMATS = {19, 20, 51, 52}
_ESTIMATED_FORMATS = set(range(35, 45)) | {51, 52, 53}
# Task custom text fields by MSPDI FieldID, for files that use them without defining
# them in the project's <ExtendedAttributes> (Text1..Text10, then Text11..Text30).
_TEXT_FIELD_IDS = {
    188743731: "Text1",
    188743734: "Text2",
    188743737: "Text3",
    188743740: "Text4",
    188743743: "Text5",
    188743746: "Text6",
    188743747: "Text7",
    188743748: "Text8",
    188743749: "Text9",
    188743750: "Text10",
    **{188743997 + i: f"Text{11 + i}" for i in range(20)},
}
_DIRECT_CUSTOM = re.compile(r"^(Text|Number|Flag|Date|OutlineCode)\d+$")


class _Xml:
    """Namespace-aware lookups, with the namespace taken from the root element: every
    MSPDI element sits in the default namespace, and a file without it still reads."""

    def __init__(self, root: ET.Element) -> None:
        tag = root.tag
        self.ns = tag[1 : tag.index("}")] if tag.startswith("{") else ""
        self.local = tag.split("}", 1)[-1]

    def q(self, name: str) -> str:
        return "/".join(f"{{{self.ns}}}{n}" if self.ns else n for n in name.split("/"))

    def text(self, el: ET.Element, name: str) -> str | None:
        child = el.find(self.q(name))
        if child is None or child.text is None:
            return None
        value = child.text.strip()
        return value or None

    def all(self, el: ET.Element, name: str) -> list[ET.Element]:
        return el.findall(self.q(name))

    def tag(self, el: ET.Element) -> str:
        return el.tag.split("}", 1)[-1]


def _parse_xml(path: Path) -> ET.Element:
    data = path.read_bytes()
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        first = exc
    # Old exporters wrote Windows-1252 without saying so; UTF-8 is XML's default, so a
    # file that is not UTF-8 and has no declaration gets one more try as cp1252.
    head = data[:200].lstrip()
    if b"encoding=" not in head.split(b"?>", 1)[0]:
        try:
            text = data.decode("cp1252")
            text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)
            return ET.fromstring(text)
        except (UnicodeDecodeError, ET.ParseError):
            pass
    line, col = getattr(first, "position", (0, 0))
    raise ScheduleError(f"{path}: not well-formed XML at line {line}, column {col} ({first})")


def read_mspdi(path: str | Path) -> ImportedSchedule:
    """A Microsoft Project XML (MSPDI) file; problems per task, not per file."""
    p = Path(path)
    root = _parse_xml(p)
    x = _Xml(root)
    if x.local != "Project":
        raise ScheduleError(f"{p}: not Microsoft Project XML (root element is <{x.local}>)")
    out = ImportedSchedule(path=p, format="mspdi")
    problems = out.problems
    fname = str(p)
    if x.ns != MSPDI_NAMESPACE:
        problems.append(
            ScheduleProblem(
                "warning", fname, f"namespace {x.ns or '(none)'!r}, expected {MSPDI_NAMESPACE}"
            )
        )
    out.title = x.text(root, "Title") or x.text(root, "Name") or p.stem
    out.save_version = x.text(root, "SaveVersion")
    mpd = _positive_int(x.text(root, "MinutesPerDay"), 480)
    mpw = _positive_int(x.text(root, "MinutesPerWeek"), 5 * mpd)
    dpm = _positive_int(x.text(root, "DaysPerMonth"), 20)
    out.minutes_per_day, out.minutes_per_week, out.days_per_month = mpd, mpw, dpm
    for key in ("StatusDate", "CurrentDate"):
        raw = x.text(root, key)
        if raw and raw.upper() != "NA":
            try:
                out.status_date = parse_date(raw)
                break
            except ValueError as exc:
                problems.append(ScheduleProblem("warning", fname, f"{key}: {exc}"))

    field_names: dict[int, list[str]] = {}
    for ea in x.all(root, "ExtendedAttributes/ExtendedAttribute"):
        fid = _int(x.text(ea, "FieldID"))
        if fid is None:
            continue
        names = [n for n in (x.text(ea, "FieldName"), x.text(ea, "Alias")) if n]
        if names:
            field_names[fid] = names

    out.calendars = _read_calendars(x, root)
    cal_names = {c.uid: c.name for c in out.calendars}
    project_calendar = cal_names.get(x.text(root, "CalendarUID") or "")

    seen: set[str] = set()
    for i, el in enumerate(x.all(root, "Tasks/Task")):
        task = _read_task(x, el, i, fname, out, field_names, cal_names, project_calendar)
        if task is None:
            continue
        if task.uid in seen:
            problems.append(
                ScheduleProblem("error", fname, "duplicate UID; task left out", task.source)
            )
            continue
        seen.add(task.uid)
        out.tasks.append(task)
        points = _progress_points(task, out.status_date, problems, fname)
        if points:
            out.reports[task.uid] = _reports_from_points(points)

    for task in out.tasks:
        for link in task.predecessors:
            if link.external:
                continue
            if link.predecessor not in seen:
                problems.append(
                    ScheduleProblem(
                        "error",
                        fname,
                        f"unknown predecessor UID {link.predecessor}",
                        task.source,
                    )
                )
            elif link.predecessor == task.uid:
                problems.append(
                    ScheduleProblem("warning", fname, "task is its own predecessor", task.source)
                )
    if not out.tasks:
        problems.append(ScheduleProblem("warning", fname, "the file has no tasks"))
    return out


def _read_calendars(x: _Xml, root: ET.Element) -> list[CalendarInfo]:
    cals: list[CalendarInfo] = []
    raw_base: dict[str, str | None] = {}
    for c in x.all(root, "Calendars/Calendar"):
        uid = x.text(c, "UID") or ""
        info = CalendarInfo(
            uid=uid,
            name=x.text(c, "Name") or f"calendar {uid}",
            base=x.text(c, "IsBaseCalendar") == "1",
        )
        raw_base[uid] = x.text(c, "BaseCalendarUID")
        for wd in x.all(c, "WeekDays/WeekDay"):
            day_type = _int(x.text(wd, "DayType"))
            if day_type == 0 or day_type is None:
                # Project 2003 and earlier keep exceptions as WeekDay DayType 0.
                info.exceptions += 1
                continue
            if not 1 <= day_type <= 7:
                continue
            minutes = 0
            if x.text(wd, "DayWorking") == "1":
                for wt in x.all(wd, "WorkingTimes/WorkingTime"):
                    minutes += _span_minutes(x.text(wt, "FromTime"), x.text(wt, "ToTime"))
            info.minutes_by_day[_WEEKDAYS[day_type - 1]] = minutes
        info.exceptions += len(x.all(c, "Exceptions/Exception"))
        cals.append(info)
    names = {c.uid: c.name for c in cals}
    by_uid = {c.uid: c for c in cals}
    for c in cals:
        base_uid = raw_base.get(c.uid)
        if base_uid and base_uid in names and base_uid != c.uid:
            c.base_calendar = names[base_uid]
            # A resource calendar without its own week works its base calendar's week.
            for day, minutes in by_uid[base_uid].minutes_by_day.items():
                c.minutes_by_day.setdefault(day, minutes)
    return cals


def _span_minutes(start: str | None, end: str | None) -> int:
    """Minutes in a working time; ``00:00`` as the end is midnight at the end of the day
    (so 23:00-00:00 is an hour and 00:00-00:00 is the whole 24 hours)."""
    if not start or not end:
        return 0
    try:
        a = dt.time.fromisoformat(start)
        b = dt.time.fromisoformat(end)
    except ValueError:
        return 0
    m0 = a.hour * 60 + a.minute
    m1 = b.hour * 60 + b.minute
    if m1 <= m0:
        m1 += 24 * 60
    return m1 - m0


def _read_task(
    x: _Xml,
    el: ET.Element,
    index: int,
    fname: str,
    imp: ImportedSchedule,
    field_names: dict[int, list[str]],
    cal_names: dict[str, str],
    project_calendar: str | None,
) -> TaskInfo | None:
    problems = imp.problems
    if x.text(el, "IsNull") == "1":
        return None  # a blank row in Project's grid
    uid = x.text(el, "UID")
    if uid is None:
        problems.append(
            ScheduleProblem("error", fname, "task without a UID; left out", f"task #{index + 1}")
        )
        return None
    task_id = x.text(el, "ID") or ""
    name = x.text(el, "Name") or ""
    where = f"task UID {uid}" + (f" (ID {task_id})" if task_id and task_id != uid else "")
    if name:
        where += f" {name!r}"
    level = _int(x.text(el, "OutlineLevel"))
    project_summary = uid == "0" or level == 0
    if project_summary and not name:
        name = imp.title
    t = TaskInfo(
        uid=uid,
        name=name,
        task_id=task_id,
        wbs=x.text(el, "WBS") or "",
        outline_number=x.text(el, "OutlineNumber") or "",
        outline_level=level,
        summary=x.text(el, "Summary") == "1",
        project_summary=project_summary,
        milestone=x.text(el, "Milestone") == "1",
        recurring=x.text(el, "Recurring") == "1",
        source=where,
    )

    def date(key: str) -> dt.datetime | None:
        raw = x.text(el, key)
        if raw is None:
            return None
        try:
            return parse_date(raw)
        except ValueError as exc:
            problems.append(ScheduleProblem("error", fname, f"{key}: {exc}", where))
            return None

    t.start, t.finish = date("Start"), date("Finish")
    t.actual_start, t.actual_finish = date("ActualStart"), date("ActualFinish")
    if t.start is None or t.finish is None:
        missing = [k for k, v in (("Start", t.start), ("Finish", t.finish)) if v is None]
        problems.append(
            ScheduleProblem(
                "error", fname, f"no usable {' or '.join(missing)}; not scheduled", where
            )
        )
    elif t.finish < t.start:
        problems.append(
            ScheduleProblem(
                "error",
                fname,
                f"finishes ({t.finish.isoformat()}) before it starts ({t.start.isoformat()})",
                where,
            )
        )
    if t.actual_start and t.actual_finish and t.actual_finish < t.actual_start:
        problems.append(ScheduleProblem("error", fname, "ActualFinish before ActualStart", where))
        t.actual_finish = None

    pct_raw = x.text(el, "PercentComplete")
    if pct_raw is not None:
        try:
            pct = float(pct_raw)
        except ValueError:
            problems.append(
                ScheduleProblem("warning", fname, f"PercentComplete {pct_raw!r} ignored", where)
            )
        else:
            if not 0 <= pct <= 100:
                problems.append(
                    ScheduleProblem(
                        "warning", fname, f"PercentComplete {pct:g} clamped to 0..100", where
                    )
                )
            t.percent_complete = min(max(pct, 0.0), 100.0)

    duration = x.text(el, "Duration")
    if duration:
        try:
            minutes = parse_duration_minutes(
                duration, imp.minutes_per_day, imp.minutes_per_week, imp.days_per_month
            )
            t.duration_days = minutes / imp.minutes_per_day
        except ValueError as exc:
            problems.append(ScheduleProblem("warning", fname, str(exc), where))
    fmt = _int(x.text(el, "DurationFormat"))
    t.estimated = x.text(el, "Estimated") == "1" or fmt in _ESTIMATED_FORMATS

    ctype = _int(x.text(el, "ConstraintType"))
    if ctype and 0 < ctype < len(_CONSTRAINTS):
        t.constraint = _CONSTRAINTS[ctype]
        raw = x.text(el, "ConstraintDate")
        # 1970-01-01T00:00:00 is how MSPDI writes "no constraint date".
        if raw and not raw.startswith("1970-01-01"):
            t.constraint_date = date("ConstraintDate")

    cal_uid = x.text(el, "CalendarUID")
    if cal_uid is None or cal_uid == "-1":
        t.calendar = project_calendar
    else:
        t.calendar = cal_names.get(cal_uid)
        if t.calendar is None:
            problems.append(
                ScheduleProblem("warning", fname, f"unknown calendar UID {cal_uid}", where)
            )

    links = []
    for pl in x.all(el, "PredecessorLink"):
        pred = x.text(pl, "PredecessorUID")
        if pred is None:
            problems.append(
                ScheduleProblem("warning", fname, "predecessor link without a UID", where)
            )
            continue
        ltype = _int(x.text(pl, "Type"))
        if ltype is None:
            ltype = 1  # the schema's default: finish-to-start
        if not 0 <= ltype < len(LINK_TYPES):
            problems.append(
                ScheduleProblem(
                    "warning", fname, f"link type {ltype} from UID {pred} read as FS", where
                )
            )
            ltype = 1
        lag_tenths = _float(x.text(pl, "LinkLag")) or 0.0
        lag_format = _int(x.text(pl, "LagFormat")) or 7
        lag_minutes = lag_tenths / 10.0  # LinkLag is in tenths of a minute
        if lag_format in _PERCENT_FORMATS and lag_tenths:
            problems.append(
                ScheduleProblem(
                    "warning",
                    fname,
                    f"percentage lag from UID {pred} not converted to time",
                    where,
                )
            )
        per_day = 24 * 60 if lag_format in _ELAPSED_FORMATS else imp.minutes_per_day
        links.append(
            TaskLink(
                predecessor=pred,
                type=LINK_TYPES[ltype],
                lag_minutes=lag_minutes,
                lag_days=lag_minutes / per_day,
                external=x.text(pl, "CrossProject") == "1",
            )
        )
    t.predecessors = tuple(links)

    for ea in x.all(el, "ExtendedAttribute"):
        fid = _int(x.text(ea, "FieldID"))
        value = x.text(ea, "Value")
        if fid is None or value is None:
            continue
        names = field_names.get(fid) or [_TEXT_FIELD_IDS.get(fid, f"Field{fid}")]
        if fid in _TEXT_FIELD_IDS and _TEXT_FIELD_IDS[fid] not in names:
            names = [_TEXT_FIELD_IDS[fid], *names]
        for n in names:
            t.fields[n] = value
    for child in el:
        tag = x.tag(child)
        if _DIRECT_CUSTOM.match(tag) and child.text and child.text.strip():
            t.fields.setdefault(tag, child.text.strip())
    return t


def _progress_points(
    t: TaskInfo, status: dt.datetime | None, problems: list[ScheduleProblem], fname: str
) -> list[tuple[dt.datetime, float]]:
    """ActualStart -> 0 %, PercentComplete at the status date, ActualFinish -> 100 %."""
    points: list[tuple[dt.datetime, float]] = []
    pct = t.percent_complete or 0.0
    if t.actual_start is not None:
        points.append((t.actual_start, 0.0))
    if t.actual_finish is not None:
        points.append((t.actual_finish, 100.0))
        if pct < 100:
            problems.append(
                ScheduleProblem(
                    "warning",
                    fname,
                    f"has an ActualFinish but is {pct:g} % complete; read as finished",
                    t.source,
                )
            )
    elif pct > 0:
        if status is None:
            problems.append(
                ScheduleProblem(
                    "warning",
                    fname,
                    f"{pct:g} % complete but the file has no status or current date",
                    t.source,
                )
            )
        elif t.actual_start is not None and status < t.actual_start:
            problems.append(
                ScheduleProblem(
                    "warning",
                    fname,
                    f"status date {status.date()} is before its ActualStart; "
                    f"{pct:g} % not placed in time",
                    t.source,
                )
            )
        else:
            points.append((status, pct))
    return points


def _int(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return int(float(text))
    except ValueError:
        return None


def _float(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        return None


def _positive_int(text: str | None, default: int) -> int:
    value = _int(text)
    return value if value is not None and value > 0 else default


# ---------------------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------------------

_ALIASES = {
    "id": ("id", "feature_id", "task_id", "uid", "building_id"),
    "name": ("name", "task_name", "task"),
    "start": ("start", "planned_start", "start_date", "begin"),
    "finish": ("finish", "planned_finish", "finish_date", "end", "end_date"),
    "percent": ("percent", "percent_complete", "pct", "progress", "complete"),
    "status_date": ("status_date", "report_date", "as_of", "date"),
    "phase": ("phase",),
    "actual_start": ("actual_start",),
    "actual_finish": ("actual_finish",),
    "wbs": ("wbs", "outline_number"),
    "predecessors": ("predecessors", "predecessor"),
    "milestone": ("milestone",),
}
_CANONICAL = {alias: key for key, aliases in _ALIASES.items() for alias in aliases}
_PRED_SPEC = re.compile(
    r"^(?P<id>.+?)(?:[:\s]+(?P<type>FS|SS|FF|SF)(?P<lag>[+-]\d+(?:\.\d+)?)?d?)?$", re.I
)
_TRUE = {"1", "true", "yes", "y", "x"}


def _norm_header(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().strip('"').lstrip("\ufeff").lower())


def _canonical(name: str) -> str:
    n = _norm_header(name)
    return _CANONICAL.get(n, n)


def _sniff_delimiter(header: str) -> str:
    """The header's most frequent candidate delimiter: a header line is plain names, so
    counting is reliable where csv.Sniffer guesses wrong on short files."""
    counts = {d: header.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _split_header(header: str) -> list[str]:
    return next(csv.reader([header], delimiter=_sniff_delimiter(header)), [])


@dataclass
class _CsvTask:
    task: TaskInfo
    line: int
    plan_line: int | None = None
    points: list[tuple[dt.datetime, float]] = field(default_factory=list)


def read_schedule_csv(path: str | Path) -> ImportedSchedule:
    """A schedule CSV; every bad row is a problem with its line and the rest imports."""
    p = Path(path)
    fname = str(p)
    raw = p.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ScheduleError(
            f"{p}: line {line}: not UTF-8 text (byte {exc.start}); save the file as UTF-8"
        ) from None
    out = ImportedSchedule(path=p, format="csv", title=p.stem)
    problems = out.problems
    header_line = next((ln for ln in text.splitlines() if ln.strip()), "")
    delimiter = _sniff_delimiter(header_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    columns: dict[str, int] = {}
    custom: dict[str, int] = {}
    tasks: dict[str, _CsvTask] = {}
    for cells in reader:
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if header is None:
            header = cells
            for i, name in enumerate(cells):
                key = _canonical(name)
                if key in _ALIASES:
                    if key in columns:
                        problems.append(
                            ScheduleProblem(
                                "warning",
                                fname,
                                f"column {name!r} repeats {key!r}; the first is used",
                                f"line {line}",
                            )
                        )
                        continue
                    columns[key] = i
                elif name.strip():
                    custom[name.strip().lstrip("\ufeff")] = i
            missing = [k for k in ("id", "start", "finish") if k not in columns]
            if missing:
                raise ScheduleError(
                    f"{p}: line {line}: no {', '.join(missing)} column "
                    f"(header: {', '.join(c.strip() for c in cells)}); a schedule CSV needs "
                    "id (or feature_id, task_id), start (or planned_start) and finish "
                    "(or planned_finish)"
                )
            continue
        if cells[0].lstrip().startswith("#"):
            continue
        if len(cells) > len(header):
            problems.append(
                ScheduleProblem(
                    "error",
                    fname,
                    f"{len(cells)} values but the header has {len(header)} columns; row left out",
                    f"line {line}",
                )
            )
            continue
        cells = cells + [""] * (len(header) - len(cells))
        try:
            _csv_row(cells, line, columns, custom, tasks, problems, fname)
        except ValueError as exc:
            problems.append(ScheduleProblem("error", fname, f"{exc}; row left out", f"line {line}"))
    if header is None:
        raise ScheduleError(f"{p}: empty file (no header line)")
    for key, entry in tasks.items():
        t = entry.task
        if t.start is None or t.finish is None:
            problems.append(
                ScheduleProblem(
                    "error",
                    fname,
                    f"task {key!r} has no planned start and finish on any row; not scheduled",
                    f"line {entry.line}",
                )
            )
        if t.actual_start is not None:
            entry.points.append((t.actual_start, 0.0))
        if t.actual_finish is not None:
            entry.points.append((t.actual_finish, 100.0))
        if entry.points:
            days, pct = _reports_from_points(entry.points)
            out.reports[key] = (days, pct)
            latest = max(entry.points, key=lambda pt: pt[0])
            t.percent_complete = latest[1]
        out.tasks.append(t)
    known = set(tasks)
    for t in out.tasks:
        for link in t.predecessors:
            if link.predecessor not in known:
                problems.append(
                    ScheduleProblem(
                        "error", fname, f"unknown predecessor {link.predecessor!r}", t.source
                    )
                )
    if not out.tasks:
        problems.append(ScheduleProblem("warning", fname, "the file has no tasks"))
    return out


def _csv_row(
    cells: list[str],
    line: int,
    columns: dict[str, int],
    custom: dict[str, int],
    tasks: dict[str, _CsvTask],
    problems: list[ScheduleProblem],
    fname: str,
) -> None:
    """One data row into ``tasks``; raises ValueError with the reason for a bad row
    (nothing of a bad row is kept, so a half-read row cannot skew a task)."""

    def get(key: str) -> str:
        i = columns.get(key)
        return cells[i].strip() if i is not None else ""

    def date(key: str) -> dt.datetime | None:
        raw = get(key)
        if not raw:
            return None
        try:
            return parse_date(raw)
        except ValueError as exc:
            raise ValueError(f"{key}: {exc}") from None

    key = get("id")
    if not key:
        raise ValueError("no id")
    start, finish = date("start"), date("finish")
    if (start is None) != (finish is None):
        raise ValueError("start and finish must be given together")
    if start is not None and finish is not None and finish < start:
        raise ValueError(f"finish {finish.date()} is before start {start.date()}")
    actual_start, actual_finish = date("actual_start"), date("actual_finish")
    if actual_start and actual_finish and actual_finish < actual_start:
        raise ValueError("actual_finish is before actual_start")
    status = date("status_date")
    pct_raw = get("percent")
    point: tuple[dt.datetime, float] | None = None
    if pct_raw:
        pct = _parse_percent(pct_raw)
        when = status or (actual_finish if pct == 100 else None)
        if when is None:
            raise ValueError(f"percent {pct_raw} without a status_date")
        point = (when, pct)
    elif status is not None:
        raise ValueError("status_date without a percent")
    links = tuple(_parse_predecessors(get("predecessors")))

    entry = tasks.get(key)
    if entry is None:
        entry = tasks[key] = _CsvTask(TaskInfo(uid=key, source=f"line {line}"), line)
    t = entry.task
    if start is not None and finish is not None:
        if entry.plan_line is None:
            t.start, t.finish, entry.plan_line = start, finish, line
        elif (start, finish) != (t.start, t.finish):
            problems.append(
                ScheduleProblem(
                    "warning",
                    fname,
                    f"planned dates of {key!r} differ from line {entry.plan_line}; "
                    f"keeping line {entry.plan_line}'s",
                    f"line {line}",
                )
            )
    for attr, value in (("actual_start", actual_start), ("actual_finish", actual_finish)):
        if value is not None:
            setattr(t, attr, value)
    t.name = t.name or get("name")
    t.wbs = t.wbs or get("wbs")
    t.phase = t.phase or get("phase") or None
    if get("milestone").lower() in _TRUE:
        t.milestone = True
    if links:
        t.predecessors = t.predecessors + tuple(x for x in links if x not in t.predecessors)
    for name, i in custom.items():
        value = cells[i].strip()
        if value:
            t.fields.setdefault(name, value)
    if point is not None:
        entry.points.append(point)
    if t.start is not None and t.finish is not None and t.start == t.finish:
        t.milestone = True


def _parse_percent(text: str) -> float:
    s = text.strip().rstrip("%").strip().replace(",", ".")
    try:
        value = float(s)
    except ValueError:
        raise ValueError(f"percent {text!r} is not a number") from None
    if not 0 <= value <= 100:
        raise ValueError(f"percent {text} outside 0..100")
    return value


def _parse_predecessors(text: str) -> Iterable[TaskLink]:
    """``A; B:SS+2d; C FF-1`` -> links (type defaults to FS, lag in working days)."""
    for part in re.split(r"[;|]", text):
        part = part.strip()
        if not part:
            continue
        m = _PRED_SPEC.match(part)
        if not m:
            raise ValueError(f"predecessor {part!r} not understood")
        lag = float(m.group("lag") or 0.0)
        yield TaskLink(
            predecessor=m.group("id").strip(),
            type=(m.group("type") or "FS").upper(),
            lag_minutes=lag * 480,
            lag_days=lag,
        )


def write_schedule_csv(schedule: ImportedSchedule | Schedule, path: str | Path) -> Path:
    """A schedule as a CSV that :func:`read_schedule_csv` reads back to the same plan
    and reports: one row per report (the first carries the plan), atomically.

    Works for an imported plan and for a scene's schedule alike, so a planner can take
    the sample's programme into a spreadsheet, edit it and bring it back.
    """
    from alatau_twin.io.atomic import atomic_write

    rows: list[list[str]] = []
    header = ["id", "name", "start", "finish", "percent", "status_date", "phase", "wbs"]
    header += ["actual_start", "actual_finish", "predecessors"]
    if isinstance(schedule, Schedule):
        entries = []
        for i, fid in enumerate(schedule.feature_ids.tolist()):
            task = schedule.task(str(fid)) or TaskInfo(uid=str(fid))
            entries.append((str(fid), task, schedule.planned_start[i], schedule.planned_finish[i]))
        reports = schedule.reports
    else:
        entries = [(t.uid, t, t.start, t.finish) for t in schedule.tasks]
        reports = schedule.reports
    for key, t, start, finish in entries:
        plan = [
            key,
            t.name,
            _iso(start),
            _iso(finish),
        ]
        meta = [
            t.phase or "",
            t.wbs,
            _iso(t.actual_start),
            _iso(t.actual_finish),
            "; ".join(_link_spec(x) for x in t.predecessors),
        ]
        rep = reports.get(key)
        if rep is None or len(rep[0]) == 0:
            rows.append([*plan, "", "", *meta])
            continue
        for j, (d, pct) in enumerate(zip(rep[0].tolist(), rep[1].tolist(), strict=True)):
            first = j == 0
            rows.append(
                (plan if first else [key, "", "", ""])
                + [f"{pct:g}", str(d)]
                + (meta if first else ["", "", "", "", ""])
            )
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    data = buf.getvalue().encode("utf-8")
    return atomic_write(path, lambda fh: fh.write(data))


def _iso(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, np.datetime64):
        return "" if np.isnat(value) else str(value.astype("datetime64[D]"))
    return str(value)


def _link_spec(link: TaskLink) -> str:
    lag = f"{link.lag_days:+g}" if link.lag_days else ""
    return f"{link.predecessor}:{link.type}{lag}"


# ---------------------------------------------------------------------------------------
# Summary (for `info`)
# ---------------------------------------------------------------------------------------


def schedule_summary(imp: ImportedSchedule, date: Any = None) -> dict[str, Any]:
    """Counts a planner checks first: tasks, structure, links, calendars, progress."""
    tasks = imp.tasks
    links = [link for t in tasks for link in t.predecessors]
    by_type = {k: 0 for k in LINK_TYPES}
    by_type.update(Counter(link.type for link in links))
    dated = [t for t in tasks if t.start is not None and t.finish is not None]
    with_progress = [t for t in tasks if t.has_progress]
    pct = Counter(f"{t.percent_complete:g}" for t in with_progress if t.percent_complete)
    out: dict[str, Any] = {
        "file": str(imp.path),
        "format": imp.format,
        "title": imp.title,
        "save_version": imp.save_version,
        "tasks": len(tasks),
        "summary_tasks": sum(t.summary or t.project_summary for t in tasks),
        "project_summary": any(t.project_summary for t in tasks),
        "milestones": sum(t.milestone for t in tasks),
        "recurring": sum(t.recurring and not t.summary for t in tasks),
        "estimated_durations": sum(t.estimated for t in tasks),
        "uid_differs_from_id": sum(bool(t.task_id) and t.task_id != t.uid for t in tasks),
        "max_outline_level": max((t.outline_level or 0 for t in tasks), default=0),
        "constraints": dict(Counter(t.constraint for t in tasks if t.constraint)),
        "links": {
            "total": len(links),
            "by_type": by_type,
            "with_lag": sum(1 for link in links if link.lag_minutes),
            "lags_days": sorted({round(link.lag_days, 4) for link in links if link.lag_minutes}),
        },
        "calendars": {
            "total": len(imp.calendars),
            "base": sum(c.base for c in imp.calendars),
            "base_names": [c.name for c in imp.calendars if c.base],
        },
        "minutes_per_day": imp.minutes_per_day,
        "status_date": imp.status_date.isoformat() if imp.status_date else None,
        "tasks_with_progress": len(with_progress),
        "percent_complete": dict(sorted(pct.items(), key=lambda kv: float(kv[0]))),
        "planned_start": min(t.start for t in dated).isoformat() if dated else None,
        "planned_finish": max(t.finish for t in dated).isoformat() if dated else None,  # type: ignore[type-var]
        "problems": {
            "errors": len(imp.errors),
            "warnings": len(imp.problems) - len(imp.errors),
        },
        "messages": [p.describe() for p in imp.problems],
    }
    if date is not None:
        sched = imp.to_schedule()
        if len(sched):
            actual = sched.progress(date, "actual")
            planned = sched.progress(date, "planned")
            phases = Counter(phase_of(actual).astype(str).tolist())
            out["at_date"] = {
                "date": str(to_day(date)),
                "percent_complete_actual": round(float(actual.mean() * 100), 2),
                "percent_complete_planned": round(float(planned.mean() * 100), 2),
                "by_phase": dict(phases),
            }
    return out


def format_schedule_summary(s: dict[str, Any]) -> str:
    """The schedule summary as text for a terminal."""
    links = s["links"]
    lines = [
        f"{s['title']}  ({s['format'].upper()}, {s['file']})",
        f"Tasks      {s['tasks']:,} ({s['summary_tasks']} summary, {s['milestones']} milestones,"
        f" {s['recurring']} recurring), outline depth {s['max_outline_level']}",
        f"Dates      {s['planned_start']} .. {s['planned_finish']}",
        f"Links      {links['total']} ("
        + ", ".join(f"{k} {v}" for k, v in links["by_type"].items())
        + f"), {links['with_lag']} with lag",
        f"Calendars  {s['calendars']['total']} ({s['calendars']['base']} base: "
        + ", ".join(s["calendars"]["base_names"])
        + f"); {s['minutes_per_day']} minutes per day",
        f"Progress   {s['tasks_with_progress']} tasks"
        + (
            " (" + ", ".join(f"{k} %: {v}" for k, v in s["percent_complete"].items()) + ")"
            if s["percent_complete"]
            else ""
        )
        + (f", status date {s['status_date']}" if s["status_date"] else ""),
    ]
    if s.get("constraints"):
        lines.append("Constraints " + ", ".join(f"{k} {v}" for k, v in s["constraints"].items()))
    if "at_date" in s:
        a = s["at_date"]
        lines.append(
            f"At {a['date']}  {a['percent_complete_actual']}% done "
            f"(plan {a['percent_complete_planned']}%)"
        )
    if "link" in s:
        lk = s["link"]
        lines.append(
            f"Linked     {lk['linked_tasks']} tasks to {lk['linked_features']:,} features "
            f"by {lk['task_field']} = {lk['by']}; {len(lk['unlinked_tasks'])} tasks unlinked, "
            f"{lk['unscheduled_features']:,} features unscheduled"
        )
    pr = s["problems"]
    lines.append(f"Problems   {pr['errors']} error(s), {pr['warnings']} warning(s)")
    lines.extend(f"  {m}" for m in s["messages"][:20])
    if len(s["messages"]) > 20:
        lines.append(f"  ... and {len(s['messages']) - 20} more")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------
# Linking tasks to features
# ---------------------------------------------------------------------------------------


@dataclass
class LinkReport:
    """How an imported plan met the scene: what linked, what did not, and why it matters
    (an unlinked task is work the twin will not show; an unscheduled feature stands
    finished at every date)."""

    file: str
    by: str
    task_field: str
    tasks_considered: int = 0
    linked_tasks: int = 0
    linked_features: int = 0
    unlinked_tasks: list[dict[str, str]] = field(default_factory=list)
    skipped_summary_tasks: int = 0
    conflicts: list[dict[str, str]] = field(default_factory=list)
    unscheduled_features: int = 0
    unscheduled_examples: list[str] = field(default_factory=list)
    unscheduled_by_layer: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def messages(self) -> list[str]:
        """Short warnings for the loader's message list."""
        out = []
        if self.unlinked_tasks:
            names = ", ".join(
                f"{u['name'] or '(no name)'} (UID {u['uid']})" for u in self.unlinked_tasks[:5]
            )
            more = len(self.unlinked_tasks) - 5
            out.append(
                f"{self.file}: {len(self.unlinked_tasks)} of {self.tasks_considered} tasks "
                f"match no feature by {self.task_field} = {self.by}: {names}"
                + (f" and {more} more" if more > 0 else "")
            )
        if self.conflicts:
            out.append(
                f"{self.file}: {len(self.conflicts)} features matched by more than one task; "
                "the first task in the file is used"
            )
        return out


def _tables(target: Any) -> list[tuple[str, AttributeTable]]:
    """(name, table) pairs from a scene, a layer, a table, or a collection of them."""
    if isinstance(target, Scene):
        return [(layer.name, layer.table) for layer in target.layers]
    if isinstance(target, AttributeTable):
        return [("table", target)]
    if hasattr(target, "table") and isinstance(target.table, AttributeTable):
        return [(getattr(target, "name", "layer"), target.table)]
    if isinstance(target, Mapping):
        items = list(target.items())
    else:
        items = [(getattr(v, "name", f"table {i}"), v) for i, v in enumerate(target)]
    out = []
    for name, v in items:
        table = v.table if hasattr(v, "table") else v
        if not isinstance(table, AttributeTable):
            raise TypeError(f"{name!r} is not a layer or an attribute table")
        out.append((str(name), table))
    return out


def _norm_value(value: Any) -> str:
    """Values compared as trimmed, case-folded text; 12.0 and "12" are the same id."""
    if value is None:
        return ""
    if isinstance(value, float | np.floating):
        if np.isnan(value):
            return ""
        if float(value).is_integer():
            value = int(value)
    return str(value).strip().casefold()


def link_schedule(
    imported: ImportedSchedule,
    target: Any,
    by: str = "id",
    task_field: str | None = None,
    include_summary: bool = False,
) -> tuple[Schedule, LinkReport]:
    """The plan over feature ids: each task's ``task_field`` value matched to the
    features whose ``by`` attribute has that value (trimmed, any case).

    One task may schedule many features (a task named after a district, linked by
    ``district``); a feature matched by several tasks follows the first in the file and
    is reported as a conflict. ``task_field`` defaults to ``uid`` for CSV (its id column
    names features) and ``name`` for Microsoft Project.
    """
    field_name = task_field or imported.default_task_field
    report = LinkReport(file=str(imported.path), by=by, task_field=field_name)
    tables = [(n, t) for n, t in _tables(target) if "id" in t and by in t]
    if not tables:
        raise ValueError(
            f"no layer has both an 'id' and a {by!r} attribute to link the schedule by"
        )
    index: dict[str, list[str]] = {}
    layer_of: dict[str, str] = {}
    for name, table in tables:
        for fid, value in zip(table["id"].tolist(), table[by].tolist(), strict=True):
            key = _norm_value(value)
            if key:
                index.setdefault(key, []).append(str(fid))
            layer_of.setdefault(str(fid), name)
    report.skipped_summary_tasks = sum(
        (t.summary or t.project_summary) for t in imported.tasks if not include_summary
    )
    tasks = imported.schedulable(include_summary)
    report.tasks_considered = len(tasks)
    owner: dict[str, TaskInfo] = {}
    pairs: list[tuple[str, TaskInfo]] = []
    for t in tasks:
        fids = index.get(_norm_value(t.value(field_name)), [])
        if not fids:
            report.unlinked_tasks.append({"uid": t.uid, "name": t.name})
            continue
        report.linked_tasks += 1
        for fid in fids:
            first = owner.get(fid)
            if first is not None:
                if first is not t:
                    report.conflicts.append({"feature": fid, "kept": first.uid, "dropped": t.uid})
                continue
            owner[fid] = t
            pairs.append((fid, t))
    report.linked_features = len(pairs)
    for fid, layer in layer_of.items():
        if fid not in owner:
            report.unscheduled_features += 1
            report.unscheduled_by_layer[layer] = report.unscheduled_by_layer.get(layer, 0) + 1
            if len(report.unscheduled_examples) < 10:
                report.unscheduled_examples.append(fid)
    reports = {fid: imported.reports[t.uid] for fid, t in pairs if t.uid in imported.reports}
    return _schedule_for(pairs, reports), report


def _schedule_for(
    pairs: list[tuple[str, TaskInfo]], reports: Mapping[str, tuple[np.ndarray, np.ndarray]]
) -> Schedule:
    """A Schedule over ``pairs`` of (key, task); every task has dates (``schedulable``)."""
    ids = np.array([k for k, _ in pairs], dtype=object)
    start = np.array([_day(t.start) for _, t in pairs], dtype="datetime64[D]")  # type: ignore[arg-type]
    finish = np.array([_day(t.finish) for _, t in pairs], dtype="datetime64[D]")  # type: ignore[arg-type]
    keys = set(ids.tolist())
    reps = {k: v for k, v in reports.items() if k in keys}
    return Schedule(ids, start, finish, reps, dict(pairs))


def apply_schedule(
    scene: Scene,
    imported: ImportedSchedule,
    by: str = "id",
    task_field: str | None = None,
    replace: bool = False,
    include_summary: bool = False,
) -> LinkReport:
    """Link ``imported`` to the scene and lay it over (or, with ``replace``, instead of)
    the scene's schedule; the time cursor is re-applied so buildings show the new plan.

    What was imported and how it linked is kept in ``scene.metadata["schedule_imports"]``
    for ``info``.
    """
    linked, report = link_schedule(imported, scene, by, task_field, include_summary)
    had_schedule = scene.schedule is not None
    if replace:
        scene.schedule = linked if len(linked) else None
    elif len(linked):
        scene.schedule = merge_schedules(scene.schedule, linked)
    scene.metadata.setdefault("schedule_imports", []).append(
        {
            "file": str(imported.path),
            "replace": replace,
            "summary": schedule_summary(imported),
            "link": report.to_dict(),
        }
    )
    if had_schedule and scene.schedule is None:
        for layer in scene.building_layers():  # nothing schedules them any more: built
            layer.set_progress(np.ones(layer.n_features))
    # Redraw at the same cursor: set_date would skip layers whose day is unchanged, but
    # the plan under them is new. The signal tells views (charts, legends) to refresh.
    apply_construction(scene, force=True)
    scene.construction_changed.emit()
    return report


@dataclass(frozen=True)
class ScheduleSource:
    """A schedule a project (or the command line) names, with how to link it."""

    path: str
    link_by: str = "id"
    task_field: str | None = None
    replace: bool = False
    include_summary: bool = False

    def to_project(self, base: Path) -> dict[str, Any]:
        """The ``[schedule]`` table of a project file in ``base`` (path relative)."""
        import os

        try:
            rel = os.path.relpath(self.path, base)
        except ValueError:  # another drive on Windows
            rel = self.path
        out: dict[str, Any] = {"path": rel, "link_by": self.link_by}
        if self.task_field:
            out["task_field"] = self.task_field
        if self.replace:
            out["replace"] = True
        if self.include_summary:
            out["include_summary"] = True
        return out


def apply_schedule_source(scene: Scene, source: ScheduleSource) -> list[str]:
    """Read, link and apply a named schedule; returns messages instead of raising, so a
    broken plan costs the user the plan, not the city."""
    try:
        imported = read_schedule(source.path)
    except (ScheduleError, OSError) as exc:
        return [str(exc)]
    try:
        report = apply_schedule(
            scene,
            imported,
            by=source.link_by,
            task_field=source.task_field,
            replace=source.replace,
            include_summary=source.include_summary,
        )
    except ValueError as exc:
        return [f"{source.path}: {exc}"]
    scene.metadata["schedule_source"] = source
    messages = [p.describe() for p in imported.errors[:20]]
    if len(imported.errors) > 20:
        messages.append(f"{source.path}: ... and {len(imported.errors) - 20} more errors")
    return messages + report.messages()
