"""``alatau-twin watch`` end to end on a replayed log: the summary at the end of the log.
(Over MQTT with ``feed simulate``, and Ctrl-C: tests/live/test_mqtt.py.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "DISPLAY"}


def test_watch_replays_a_log_to_its_end_and_prints_counts_by_reason(tmp_path) -> None:
    now = time.time() - 600
    log = tmp_path / "ops.jsonl"
    rec = tmp_path / "again.jsonl"
    log.write_text(
        "\n".join(
            [
                json.dumps(
                    {
                        "network": "power",
                        "id": "P-SS-GATE",
                        "status": "fault",
                        "time": now,
                        "message": "busbar trip",
                    }
                ),
                json.dumps({"network": "water", "id": "W-BOOST", "status": "ok", "time": now}),
                "not json at all",
                json.dumps(
                    {"network": "power", "id": "P-SS-GATE", "status": "melted", "time": now + 1}
                ),
                json.dumps({"network": "power", "id": "P-NOPE", "status": "ok", "time": now}),
            ]
        )
        + "\n"
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "alatau_twin",
            "watch",
            "--feed",
            f"file:{log}",
            "--json",
            "--record",
            str(rec),
        ],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    s = json.loads(proc.stdout)
    assert s["messages"]["accepted"] == 2
    assert s["messages"]["rejected_by_reason"] == {
        "bad status": 1,
        "malformed json": 1,
        "unknown element": 1,
    }
    assert s["feed"]["state"] == "finished" and not s["interrupted"]
    assert s["elements_by_status"]["fault"] == 1
    # The Gate substation feeds the Gate district: thousands lose power.
    assert s["without_service"]["power"]["buildings"] > 100
    assert s["without_service"]["water"]["buildings"] == 0
    ex = s["sources"][f"file:{log}"]["examples"]
    assert "ops.jsonl/line 3/" in ex["malformed json"]
    assert len(rec.read_text().splitlines()) == 5  # the record replays the same session
