"""Schedules on the command line: `info PLAN`, `info PROJECT` with a [schedule], and
`validate PLAN`, end to end in a subprocess."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.test_cli import ROOT, run

SCHEDULES = ROOT / "tests" / "data" / "schedules"


def test_info_on_a_project_xml_reports_tasks_links_calendars_and_progress() -> None:
    proc = run("info", str(SCHEDULES / "mpxj" / "sample.xml"), "--json")
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    assert (info["format"], info["tasks"], info["summary_tasks"]) == ("mspdi", 20, 4)
    assert info["milestones"] == 1
    assert info["links"]["by_type"] == {"FF": 1, "FS": 3, "SF": 1, "SS": 1}
    assert info["calendars"]["total"] == 4
    assert (info["planned_start"], info["planned_finish"]) == (
        "2003-01-07T08:00:00",
        "2003-03-18T08:00:00",
    )

    proc = run("info", str(SCHEDULES / "mpxj" / "mspditimephased.xml"), "--date", "2008-12-01")
    assert proc.returncode == 0, proc.stderr
    assert "Calendars  44 (3 base: Standard, Night Shift, 24 Hours); 450 minutes per day" in (
        proc.stdout
    )
    assert "Progress   21 tasks (33 %: 1, 50 %: 6, 60 %: 4, 100 %: 10)" in proc.stdout
    assert "At 2008-12-01" in proc.stdout


def test_info_on_a_project_with_a_schedule_reports_what_linked(tmp_path: Path) -> None:
    (tmp_path / "plan.csv").write_text(
        "id,name,start,finish\n"
        "GATE-ICONIC-1,Iconic Tower,2026-05-01,2031-12-31\n"
        "GATE-ICONIC-2,Iconic Hotel Tower,2026-05-01,2030-12-31\n"
        "ELSEWHERE-7,Somewhere else,2026-05-01,2030-12-31\n"
    )
    project = tmp_path / "alatau.toml"
    project.write_text('version = 1\n[schedule]\npath = "plan.csv"\n')
    proc = run("info", str(project), "--json")
    assert proc.returncode == 0, proc.stderr
    (imp,) = json.loads(proc.stdout)["schedule_imports"]
    assert imp["tasks"] == 3 and imp["format"] == "csv"
    link = imp["link"]
    assert (link["linked_tasks"], link["linked_features"]) == (2, 2)
    assert link["unlinked_tasks"] == [{"uid": "ELSEWHERE-7", "name": "Somewhere else"}]
    assert link["unscheduled_by_layer"]["Buildings"] > 10_000
    assert "ELSEWHERE-7" in proc.stderr  # the loader's warning names the unlinked task


def test_validate_lists_schedule_problems_with_file_and_task(tmp_path: Path) -> None:
    good = run("validate", str(SCHEDULES / "quarkus-mpxj" / "example-project.xml"))
    assert good.returncode == 0, good.stdout + good.stderr
    assert "0 error(s), 0 warning(s)" in good.stdout

    bad = tmp_path / "plan.xml"
    bad.write_text(
        '<Project xmlns="http://schemas.microsoft.com/project"><Tasks>'
        "<Task><UID>1</UID><Name>Frame</Name><Start>2030-05-01T08:00:00</Start>"
        "<Finish>2030-04-01T17:00:00</Finish></Task>"
        "<Task><UID>2</UID><Name>Roof</Name><Start>2030-05-01T08:00:00</Start>"
        "<Finish>2030-06-01T17:00:00</Finish>"
        "<PredecessorLink><PredecessorUID>7</PredecessorUID></PredecessorLink></Task>"
        "</Tasks></Project>"
    )
    proc = run("validate", str(bad))
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert any(line.startswith(f"ERROR: {bad} [task UID 1 'Frame']: finishes") for line in lines), (
        proc.stdout
    )
    assert f"ERROR: {bad} [task UID 2 'Roof']: unknown predecessor UID 7" in lines

    csv = tmp_path / "plan.csv"
    csv.write_text("id,start,finish\nA,2030-01-01,2030-02-01\nB,2030-13-01,2030-02-01\n")
    proc = run("validate", str(csv), "--json")
    assert proc.returncode == 1
    (problem,) = json.loads(proc.stdout)
    assert (problem["file"], problem["location"]) == (str(csv), "line 3")
    assert "2030-13-01" in problem["message"]
