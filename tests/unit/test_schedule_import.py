"""Schedule import: real Microsoft Project XML files, schedule CSVs, and linking tasks to
the features of the sample twin (io.schedule_import)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from alatau_twin.core.scene import Scene
from alatau_twin.io.schedule_import import (
    ImportedSchedule,
    ScheduleError,
    apply_schedule,
    link_schedule,
    parse_date,
    parse_duration_minutes,
    read_schedule,
    write_schedule_csv,
)

SCHEDULES = Path(__file__).resolve().parents[1] / "data" / "schedules"
KV_SOLSIDAN = SCHEDULES / "quarkus-mpxj" / "example-project.xml"
TIMEPHASED = SCHEDULES / "mpxj" / "mspditimephased.xml"
PROJECT_2002 = SCHEDULES / "mpxj" / "sample.xml"


@pytest.fixture(scope="module")
def kv() -> ImportedSchedule:
    return read_schedule(KV_SOLSIDAN)


@pytest.fixture(scope="module")
def timephased() -> ImportedSchedule:
    return read_schedule(TIMEPHASED)


@pytest.fixture(scope="module")
def p2002() -> ImportedSchedule:
    return read_schedule(PROJECT_2002)


# -- Microsoft Project XML: the three real files ----------------------------------------


def test_kv_solsidan_reads_as_the_swedish_building_schedule_it_is(kv: ImportedSchedule) -> None:
    s = kv.summary()
    assert kv.format == "mspdi" and kv.title == "Kv Solsidan" and kv.save_version == "14"
    assert s["tasks"] == 100 and s["summary_tasks"] == 18 and s["milestones"] == 0
    assert s["project_summary"] is False  # this exporter writes no UID 0 task
    assert s["max_outline_level"] == 6
    assert s["tasks_with_progress"] == 0 and kv.reports == {}
    assert s["links"] == {
        "total": 75,
        "by_type": {"FF": 0, "FS": 75, "SF": 0, "SS": 0},
        "with_lag": 0,
        "lags_days": [],
    }
    assert s["constraints"] == {"SNET": 29}
    assert s["estimated_durations"] == 14
    assert s["calendars"] == {
        "total": 3,
        "base": 3,
        "base_names": ["Standard", "24 Hours", "Night Shift"],
    }
    assert (s["planned_start"], s["planned_finish"]) == (
        "2021-01-11T08:00:00",
        "2021-07-26T17:00:00",
    )
    assert kv.problems == []
    # Every WBS is empty in this file: the WBS falls back to the outline number.
    roof = next(t for t in kv.tasks if t.name == "Takläggning")
    assert roof.wbs == "" and roof.value("wbs") == roof.outline_number == "3.6.2"
    assert roof.calendar == "Standard" and roof.duration_days == 10.0
    # Summary tasks are metadata: the plan over tasks leaves them out.
    assert len(kv.to_schedule()) == 82


def test_project_2007_file_keeps_its_progress_and_its_450_minute_day(
    timephased: ImportedSchedule,
) -> None:
    s = timephased.summary()
    assert s["tasks"] == 41 and s["summary_tasks"] == 1 and s["milestones"] == 0
    assert s["minutes_per_day"] == 450
    assert s["links"]["total"] == 0
    assert s["calendars"]["total"] == 44 and s["calendars"]["base"] == 3
    # 21 tasks (the project summary among them) have progress, 10 of them finished.
    assert s["tasks_with_progress"] == 21
    assert s["percent_complete"] == {"33": 1, "50": 6, "60": 4, "100": 10}
    assert sum(t.actual_finish is not None for t in timephased.tasks) == 10
    assert s["status_date"] == "2009-05-01T08:00:00"  # no StatusDate: CurrentDate
    # The UID 0 project summary has no Name: it takes the project's.
    top = timephased.task("0")
    assert top.project_summary and top.summary and top.name == "mspditimephased.xml"
    assert top.percent_complete == 33
    # Durations in days of 7.5 hours, seconds included.
    assert timephased.task("4").duration_days == pytest.approx(75 * 60 / 450)
    odd = timephased.task("34")  # "Task 2 - 150%": PT138H53M18S
    assert odd.duration_days == pytest.approx((138 * 60 + 53 + 18 / 60) / 450)
    # The night shift runs 23:00-08:00 across midnight with a break at 03:00.
    night = next(c for c in timephased.calendars if c.name == "Night Shift")
    assert night.minutes_by_day["Mon"] == 60 and night.minutes_by_day["Tue"] == 480
    assert night.minutes_by_day["Sat"] == 420 and night.minutes_by_day["Sun"] == 0
    day24 = next(c for c in timephased.calendars if c.name == "24 Hours")
    assert set(day24.minutes_by_day.values()) == {1440}
    assert timephased.errors == []


def test_progress_at_dates_follows_actual_start_status_date_and_actual_finish(
    timephased: ImportedSchedule,
) -> None:
    sched = timephased.to_schedule()
    half = sched.row_of("4")  # "Task 4": started 2008-11-20, 50 % at the status date
    done = sched.row_of("7")  # "Task 7": 2008-11-20 .. 2008-12-03, 100 %
    night = sched.row_of("15")  # night shift: actually finished at 02:00 on 2008-12-04

    def at(day: str) -> np.ndarray:
        return sched.actual_progress(day)

    assert at("2008-11-19")[[half, done, night]].tolist() == [0.0, 0.0, 0.0]
    assert at("2008-11-20")[half] == 0.0  # ActualStart is 0 %
    assert 0.0 < at("2009-02-01")[half] < 0.5  # on its way to the reported 50 %
    assert at("2009-05-01")[half] == 0.5  # the percent at the status date
    assert at("2010-01-01")[half] == 0.5  # held after the last report
    assert 0.0 < at("2008-11-27")[done] < 1.0
    assert at("2008-12-03")[done] == 1.0 and at("2009-06-01")[done] == 1.0
    assert at("2008-12-03")[night] < 1.0 and at("2008-12-04")[night] == 1.0
    # The plan alone says Task 4 should have been done by its finish.
    assert sched.planned_progress("2008-12-03")[half] == 1.0


def test_project_2002_one_line_file_with_all_four_link_types(p2002: ImportedSchedule) -> None:
    raw = PROJECT_2002.read_bytes()
    assert raw.startswith(b'<?xml version="1.0"?>') and raw.count(b"\n") <= 2
    s = p2002.summary()
    assert s["tasks"] == 20 and s["summary_tasks"] == 4 and s["milestones"] == 1
    assert s["recurring"] == 2  # the two occurrences of one recurring summary task
    assert s["links"]["by_type"] == {"FF": 1, "FS": 3, "SF": 1, "SS": 1}
    assert s["links"]["with_lag"] == 2 and s["links"]["lags_days"] == [-1.0, 1.0]
    assert s["calendars"]["total"] == 4 and s["calendars"]["base"] == 2
    assert s["constraints"] == {"SNET": 4}
    assert s["uid_differs_from_id"] == 16 and s["save_version"] is None
    uids = [int(t.uid) for t in p2002.tasks]
    assert uids != list(range(len(uids)))  # not contiguous
    # Links name the predecessor's UID, not its row ID, with lag in tenths of a minute.
    lag = p2002.task("12")
    assert (lag.name, lag.task_id) == ("Related Task 2b", "11")
    (link,) = lag.predecessors
    assert (link.predecessor, link.type, link.lag_minutes, link.lag_days) == ("11", "FS", 480, 1)
    lead = p2002.task("14").predecessors[0]
    assert lead.lag_minutes == -480 and lead.lag_days == -1
    kinds = {p2002.task(u).predecessors[0].type for u in ("16", "18", "21")}
    assert kinds == {"SS", "FF", "SF"}
    # The milestone has no duration and is a valid, schedulable task.
    ms = next(t for t in p2002.tasks if t.milestone)
    assert ms.name == "Third task" and ms.start == ms.finish and ms.duration_days == 0
    sched = p2002.to_schedule()
    row = sched.row_of(ms.uid)
    assert sched.planned_progress("2003-01-06")[row] == 0
    assert sched.planned_progress("2003-01-07")[row] == 1
    # Summary tasks (and UID 0) are kept as metadata but not scheduled by default.
    assert {"0", "1", "6", "19"} == {t.uid for t in p2002.tasks if t.summary}
    assert "0" not in sched.tasks and len(sched) == 16
    assert len(p2002.to_schedule(include_summary=True)) == 20
    assert p2002.problems == []


# -- Problems in Microsoft Project XML --------------------------------------------------

_MSPDI = """<?xml version="1.0" encoding="UTF-8"?>
<Project xmlns="http://schemas.microsoft.com/project">
  <Name>plan</Name><MinutesPerDay>480</MinutesPerDay><StatusDate>2030-06-01T17:00:00</StatusDate>
  <ExtendedAttributes><ExtendedAttribute>
    <FieldID>188743731</FieldID><FieldName>Text1</FieldName><Alias>Building</Alias>
  </ExtendedAttribute></ExtendedAttributes>
  <Tasks>{tasks}</Tasks>
</Project>"""


def _task(uid: int, name: str, start: str, finish: str, extra: str = "") -> str:
    return (
        f"<Task><UID>{uid}</UID><ID>{uid}</ID><Name>{name}</Name><Start>{start}</Start>"
        f"<Finish>{finish}</Finish><Summary>0</Summary><Milestone>0</Milestone>{extra}</Task>"
    )


def _building(value: str) -> str:
    return (
        f"<ExtendedAttribute><FieldID>188743731</FieldID><Value>{value}</Value></ExtendedAttribute>"
    )


def test_bad_tasks_are_reported_by_uid_and_the_rest_import(tmp_path: Path) -> None:
    tasks = "".join(
        [
            _task(1, "Good", "2030-01-01T08:00:00", "2030-03-01T17:00:00"),
            _task(2, "Backwards", "2030-05-01T08:00:00", "2030-04-01T17:00:00"),
            _task(3, "Bad date", "2030-13-45T08:00:00", "2030-04-01T17:00:00"),
            _task(
                4,
                "Orphan link",
                "2030-02-01T08:00:00",
                "2030-04-01T17:00:00",
                "<PredecessorLink><PredecessorUID>99</PredecessorUID><Type>1</Type></PredecessorLink>",
            ),
        ]
    )
    path = tmp_path / "plan.xml"
    path.write_text(_MSPDI.format(tasks=tasks), encoding="utf-8")
    imp = read_schedule(path)
    errors = {(p.location, p.message.split(" (")[0].split(":")[0]) for p in imp.errors}
    assert ("task UID 2 'Backwards'", "finishes") in errors
    assert ("task UID 3 'Bad date'", "Start") in errors
    assert ("task UID 4 'Orphan link'", "unknown predecessor UID 99") in errors
    assert all(p.file == str(path) for p in imp.problems)
    assert [t.uid for t in imp.schedulable()] == ["1", "4"]


def test_broken_and_foreign_xml_are_named(tmp_path: Path) -> None:
    broken = tmp_path / "broken.xml"
    broken.write_text('<Project xmlns="http://schemas.microsoft.com/project">\n<Tasks>\n')
    with pytest.raises(ScheduleError, match=r"broken\.xml: not well-formed XML at line 3"):
        read_schedule(broken)
    other = tmp_path / "other.xml"
    other.write_text("<gpx><trk/></gpx>")
    with pytest.raises(ScheduleError, match=r"not Microsoft Project XML \(root element is <gpx>\)"):
        read_schedule(other)


# -- CSV --------------------------------------------------------------------------------


def test_csv_with_progress_history_round_trips(tmp_path: Path) -> None:
    src = tmp_path / "plan.csv"
    # Semicolons, a BOM, day-first dates and a decimal comma, as a spreadsheet writes them.
    src.write_bytes(
        "\ufeffid;name;start;finish;percent;status_date;phase;predecessors\n"
        "B1;Tower A;01.03.2030;31.12.2031;0;01.03.2030;P2;\n"
        "B1;;;;35,5;01/09/2030;;\n"
        "B1;;;;80%;2031-06-30;;\n"
        "B2;Podium;2030-06-01;2031-06-01;;;P2;B1:SS+20d\n"
        "M1;Topping out;2031-06-30;2031-06-30;;;P2;B1\n".encode()
    )
    imp = read_schedule(src)
    assert imp.format == "csv" and imp.problems == []
    dates, pct = imp.reports["B1"]
    assert dates.astype(str).tolist() == ["2030-03-01", "2030-09-01", "2031-06-30"]
    assert pct.tolist() == [0.0, 35.5, 80.0]
    b1 = imp.task("B1")
    assert (b1.name, b1.phase, b1.percent_complete) == ("Tower A", "P2", 80.0)
    (link,) = imp.task("B2").predecessors
    assert (link.predecessor, link.type, link.lag_days) == ("B1", "SS", 20.0)
    assert imp.task("M1").milestone
    sched = imp.to_schedule()
    assert sched.actual_progress("2030-09-01")[sched.row_of("B1")] == pytest.approx(0.355)

    out = write_schedule_csv(imp, tmp_path / "again.csv")
    again = read_schedule(out)
    assert again.problems == []
    assert [t.uid for t in again.tasks] == ["B1", "B2", "M1"]
    for a, b in zip(imp.tasks, again.tasks, strict=True):
        assert (a.name, a.start, a.finish, a.phase, a.predecessors, a.milestone) == (
            b.name,
            b.start,
            b.finish,
            b.phase,
            b.predecessors,
            b.milestone,
        )
    for key, (d, p) in imp.reports.items():
        assert again.reports[key][0].tolist() == d.tolist()
        assert again.reports[key][1].tolist() == p.tolist()


def test_bad_csv_rows_are_reported_by_line_and_the_rest_imports(tmp_path: Path) -> None:
    src = tmp_path / "plan.csv"
    src.write_text(
        "feature_id,name,planned_start,planned_finish,percent_complete,report_date\n"  # 1
        "A,ok,2030-01-01,2030-06-01,,\n"  # 2
        "B,backwards,2030-06-01,2030-01-01,,\n"  # 3
        "C,bad date,2030-02-30,2030-06-01,,\n"  # 4
        "D,too much,2030-01-01,2030-06-01,150,2030-03-01\n"  # 5
        "E,no date,2030-01-01,2030-06-01,40,\n"  # 6
        ",no id,2030-01-01,2030-06-01,,\n"  # 7
        "F,extra,2030-01-01,2030-06-01,,,surplus\n"  # 8
        "\n"  # 9: blank, skipped
        "A,,,,50,2030-03-01\n"  # 10: progress for A
        "G,two-digit year,01.01.30,01.06.30,,\n"  # 11
        "H,ok too,2030-01-01,2030-06-01,,\n",  # 12
        encoding="utf-8",
    )
    imp = read_schedule(src)
    by_line = {p.location: p.message for p in imp.errors}
    assert set(by_line) == {f"line {n}" for n in (3, 4, 5, 6, 7, 8, 11)}
    assert "before start" in by_line["line 3"]
    assert "2030-02-30" in by_line["line 4"]
    assert "outside 0..100" in by_line["line 5"]
    assert "without a status_date" in by_line["line 6"]
    assert "no id" in by_line["line 7"]
    assert "7 values but the header has 6" in by_line["line 8"]
    assert "01.01.30" in by_line["line 11"]
    assert all(p.file == str(src) for p in imp.problems)
    assert [t.uid for t in imp.tasks] == ["A", "H"]
    assert imp.reports["A"][1].tolist() == [50.0]


def test_csv_without_the_needed_columns_says_which(tmp_path: Path) -> None:
    src = tmp_path / "plan.csv"
    src.write_text("id,name,when\nA,x,2030-01-01\n")
    with pytest.raises(ScheduleError, match=r"line 1: no start, finish column"):
        read_schedule(src)


def test_dates_and_durations_in_the_forms_planners_write() -> None:
    assert parse_date("2030-06-01").isoformat() == "2030-06-01T00:00:00"
    assert parse_date("2030-06-01T08:30:00").hour == 8
    assert parse_date("01.06.2030") == parse_date("01/06/2030") == parse_date("1-6-2030")
    assert parse_date("03/04/2030").month == 4  # day first, never guessed as US
    for bad in ("06/31/2030", "01.06.30", "1850-01-01", "soon"):
        with pytest.raises(ValueError):
            parse_date(bad)
    assert parse_duration_minutes("PT752H0M0S") == 752 * 60
    assert parse_duration_minutes("PT138H53M18S") == pytest.approx(138 * 60 + 53.3)
    assert parse_duration_minutes("P2D", minutes_per_day=450) == 900
    assert parse_duration_minutes("-PT8H0M0S") == -480


# -- Linking to the sample twin ---------------------------------------------------------


def _sample_ids(scene: Scene, n: int) -> list[str]:
    ids = scene.layers["Buildings"].table["id"]
    return [str(x) for x in ids[[0, 3, 100, 2000, 9000][:n]]]


def test_csv_linked_by_id_to_the_sample_reports_linked_and_unlinked(
    tmp_path: Path, fresh_sample_scene: Scene
) -> None:
    scene = fresh_sample_scene
    known = _sample_ids(scene, 3)
    before = len(scene.schedule)
    untouched = _sample_ids(scene, 5)[4]
    old_start = scene.schedule.planned_start[scene.schedule.row_of(untouched)]
    src = tmp_path / "plan.csv"
    rows = [f"{fid},Build {fid},2031-01-01,2032-01-01,40,2031-07-01" for fid in known]
    rows += ["NOPE-1,Ghost tower,2031-01-01,2032-01-01,,", "NOPE-2,,2031-01-01,2032-01-01,,"]
    src.write_text("id,name,start,finish,percent,status_date\n" + "\n".join(rows) + "\n")
    imp = read_schedule(src)

    report = apply_schedule(scene, imp)  # by id, task field uid (the CSV's id column)
    assert (report.by, report.task_field) == ("id", "uid")
    assert report.linked_tasks == 3 and report.linked_features == 3
    assert report.unlinked_tasks == [
        {"uid": "NOPE-1", "name": "Ghost tower"},
        {"uid": "NOPE-2", "name": ""},
    ]
    with_id = sum(layer.n_features for layer in scene.layers if "id" in layer.table)
    assert report.unscheduled_features == with_id - 3
    assert report.unscheduled_by_layer["Buildings"] == scene.layers["Buildings"].n_features - 3
    assert len(report.unscheduled_examples) == 10
    assert "NOPE-1" in report.messages()[0] and "Ghost tower" in report.messages()[0]
    # Merged over the sample's plan: the three follow the CSV, the rest are unchanged.
    sched = scene.schedule
    assert len(sched) == before
    row = sched.row_of(known[0])
    assert str(sched.planned_start[row]) == "2031-01-01"
    assert sched.task(known[0]).name == f"Build {known[0]}"
    assert sched.planned_start[sched.row_of(untouched)] == old_start
    # The time cursor shows it: 40 % built in mid-2031, none in 2030.
    layer = scene.layers["Buildings"]
    r = layer.table.index_of(known[0])
    scene.set_date("2031-07-01")
    assert layer.progress[r] == pytest.approx(0.4)
    scene.set_date("2030-06-01")
    assert layer.progress[r] == 0.0
    assert scene.metadata["schedule_imports"][0]["link"]["linked_features"] == 3


def test_mspdi_linked_by_name_and_by_a_custom_building_field(
    tmp_path: Path, sample_scene: Scene
) -> None:
    table = sample_scene.layers["Buildings"].table
    ids = [str(x) for x in table["id"][:2]]
    names = [str(x) for x in table["name"][:2]]
    tasks = "".join(
        [
            _task(1, names[0], "2031-01-01T08:00:00", "2032-01-01T17:00:00", _building(ids[1])),
            _task(2, names[1], "2031-02-01T08:00:00", "2032-02-01T17:00:00", _building(ids[0])),
            _task(3, "Landscaping", "2031-03-01T08:00:00", "2031-04-01T17:00:00"),
            "<Task><UID>4</UID><ID>4</ID><Name>Summary of all</Name><Summary>1</Summary>"
            "<Start>2031-01-01T08:00:00</Start><Finish>2032-02-01T17:00:00</Finish></Task>",
        ]
    )
    path = tmp_path / "plan.xml"
    path.write_text(_MSPDI.format(tasks=tasks), encoding="utf-8")
    imp = read_schedule(path)
    assert imp.task("1").fields == {"Text1": ids[1], "Building": ids[1]}

    by_name, rep = link_schedule(imp, sample_scene, by="name")  # task field: name
    assert rep.linked_tasks == 2 and rep.skipped_summary_tasks == 1
    assert rep.unlinked_tasks == [{"uid": "3", "name": "Landscaping"}]
    assert str(by_name.planned_start[by_name.row_of(ids[0])]) == "2031-01-01"

    by_field, rep = link_schedule(imp, [sample_scene.layers["Buildings"]], task_field="Building")
    assert rep.linked_tasks == 2 and rep.task_field == "Building"
    # The custom field swaps them: task 1 carries the second building's id.
    assert str(by_field.planned_start[by_field.row_of(ids[1])]) == "2031-01-01"
    assert by_field.task(ids[0]).uid == "2"
    assert rep.unscheduled_features == len(table) - 2
    same, _ = link_schedule(imp, sample_scene, task_field="text1")  # any case, by FieldName
    assert set(same.feature_ids.tolist()) == set(ids)

    with pytest.raises(ValueError, match="no layer has both an 'id' and a 'storeys'"):
        link_schedule(imp, sample_scene, by="storeys")


def test_one_task_can_schedule_a_whole_district(sample_scene: Scene) -> None:
    imp = read_schedule(PROJECT_2002)
    buildings = sample_scene.layers["Buildings"]
    # Rename the tasks after districts, as a programme-level plan would.
    for t, district in zip(imp.schedulable()[:2], ("GATE", "nowhere"), strict=True):
        t.name = district
    sched, rep = link_schedule(imp, buildings, by="district")
    gate = int(Counter(buildings.table["district"].astype(str).tolist())["Gate"])
    assert gate > 100 and rep.linked_features == gate and len(sched) == gate
    assert rep.linked_tasks == 1 and rep.unlinked_tasks[0]["name"] == "nowhere"


def test_project_file_schedule_is_applied_when_the_project_loads(tmp_path: Path) -> None:
    from alatau_twin.io.loader import load_scene
    from alatau_twin.io.project import save_project

    (tmp_path / "plans").mkdir()
    (tmp_path / "plans" / "plan.csv").write_text(
        "id,start,finish,percent,status_date\n"
        "GATE-ICONIC-1,2026-05-01,2031-12-31,10,2027-01-01\n"
        "NOT-A-BUILDING,2026-05-01,2031-12-31,,\n"
    )
    project = tmp_path / "alatau.toml"
    project.write_text('version = 1\nsources = []\n[schedule]\npath = "plans/plan.csv"\n')
    scene = load_scene([str(project)])
    sched = scene.schedule
    assert str(sched.planned_finish[sched.row_of("GATE-ICONIC-1")]) == "2031-12-31"
    assert sched.reports["GATE-ICONIC-1"][1].tolist() == [10.0]
    assert len(sched) > 10_000  # the sample's plan is still there for the rest
    (entry,) = scene.metadata["schedule_imports"]
    assert entry["link"]["linked_features"] == 1
    assert entry["link"]["unlinked_tasks"] == [{"uid": "NOT-A-BUILDING", "name": ""}]
    assert any("NOT-A-BUILDING" in m for m in scene.metadata["messages"])

    # Saving the project keeps the schedule, relative to the project file.
    saved = save_project(scene, tmp_path / "again.toml")
    assert '[schedule]\npath = "plans/plan.csv"\nlink_by = "id"' in saved.read_text()

    # Bad keys are named; a missing schedule file costs the plan, not the city.
    project.write_text('version = 1\n[schedule]\npath = "plan.csv"\nlinkby = "name"\n')
    from alatau_twin.io.loader import LoadError

    with pytest.raises(LoadError, match=r"\[schedule\]: unknown keys \['linkby'\]"):
        load_scene([str(project)])
    project.write_text('version = 1\n[schedule]\npath = "gone.xml"\n')
    scene = load_scene([str(project)])
    assert scene.schedule is not None and len(scene.layers["Buildings"].table) > 0
    assert any("gone.xml: no such file" in m for m in scene.metadata["messages"])


def test_replace_drops_the_scenes_own_schedule(tmp_path: Path, fresh_sample_scene: Scene) -> None:
    scene = fresh_sample_scene
    fid = _sample_ids(scene, 1)[0]
    src = tmp_path / "plan.csv"
    src.write_text(f"id,start,finish\n{fid},2040-01-01,2041-01-01\n")
    scene.set_date("2035-01-01")
    layer = scene.layers["Buildings"]
    assert 0 < layer.progress.sum() < layer.n_features - 1  # the sample, part-built
    apply_schedule(scene, read_schedule(src), replace=True)
    assert scene.schedule is not None and scene.schedule.feature_ids.tolist() == [fid]
    # Shown at once, at the same cursor: features no plan mentions stand complete, the
    # planned one is not started in 2035.
    assert layer.progress[layer.table.index_of(fid)] == 0.0
    assert layer.progress.sum() == layer.n_features - 1
