"""Construction over time from the command line: export-video, render and info at a date."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.cli.test_cli import run


def _read_video(path) -> tuple[list[np.ndarray], dict]:
    import imageio.v2 as imageio

    reader = imageio.get_reader(str(path), format="FFMPEG")
    meta = reader.get_meta_data()
    frames = [np.asarray(f) for f in reader]
    reader.close()
    return frames, meta


def test_export_video_has_the_asked_frames_size_and_a_changing_city(tmp_path) -> None:
    out = tmp_path / "city.mp4"
    proc = run(
        "export-video", "--from", "2026-01-01", "--to", "2034-12-31", "--frames", "8",
        "--fps", "4", "--size", "320x180", "--view", "gate", "--output", str(out),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "wrote" in proc.stdout and "8 frames" in proc.stdout
    # A progress bar on the terminal (stderr), ending at 8/8.
    assert "8/8 frames" in proc.stderr
    frames, meta = _read_video(out)
    assert len(frames) == 8
    assert frames[0].shape == (180, 320, 3)
    assert meta["fps"] == pytest.approx(4.0)
    # The city changes between the first and the last frame (it grows).
    assert np.abs(frames[-1].astype(int) - frames[0]).mean() > 2.0
    # The timeline bar along the bottom edge fills up: amber at the end, not at the start.
    amber = np.array([255, 179, 0])
    first_bar = np.abs(frames[0][-2, 160:].astype(int) - amber).max(axis=1) < 60
    last_bar = np.abs(frames[-1][-2, 160:].astype(int) - amber).max(axis=1) < 60
    assert last_bar.mean() > 0.9 and first_bar.mean() < 0.1
    assert not list(tmp_path.glob(".*")), "temporary file left behind"


def test_export_video_frame_rule_duration_times_fps(tmp_path) -> None:
    out = tmp_path / "short.mp4"
    proc = run(
        "export-video", "--from", "2030-01-01", "--to", "2030-03-01", "--duration", "1.5",
        "--fps", "4", "--size", "160x96", "--no-caption", "--color-by", "status",
        "--output", str(out),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    frames, _ = _read_video(out)
    assert len(frames) == 6  # round(1.5 s x 4 fps)
    assert frames[0].shape == (96, 160, 3)


def test_export_video_explains_bad_arguments(tmp_path) -> None:
    proc = run("export-video", "--from", "2030-01-01", "--to", "2029-01-01", "-o", "x.mp4")
    assert proc.returncode == 2 and "must be after" in proc.stderr
    proc = run(
        "export-video", "--from", "2030-01-01", "--to", "2031-01-01", "--size", "321x180",
        "-o", str(tmp_path / "x.mp4"),
    )  # fmt: skip
    assert proc.returncode == 2 and "must be even" in proc.stderr
    proc = run("export-video", "--help")
    assert proc.returncode == 0 and "round(--duration x --fps)" in " ".join(proc.stdout.split())
    assert not (tmp_path / "x.mp4").exists()


def test_info_at_a_date_counts_buildings_by_phase_and_status() -> None:
    proc = run("info", "--date", "2030-06-01", "--json")
    assert proc.returncode == 0, proc.stderr
    sched = json.loads(proc.stdout)["schedule"]
    b = sched["buildings"]
    n = b["buildings"]
    assert n > 10_000
    for key in ("by_phase_actual", "by_phase_planned", "by_status"):
        assert sum(b[key].values()) == n, key
    assert set(b["by_status"]) == {"not started", "on time", "ahead", "late", "complete"}
    assert b["by_status"]["late"] > 0 and b["by_status"]["on time"] > 0
    # Plan and as-built differ at the same date (the point of comparing them).
    assert b["by_phase_actual"] != b["by_phase_planned"]
    # The old form is still there.
    assert sched["date"] == "2030-06-01" and "by_phase" in sched
    proc = run("info", "--date", "2030-06-01")
    assert "late" in proc.stdout and "on time" in proc.stdout


def test_render_at_a_date_coloured_by_status(tmp_path) -> None:
    from PIL import Image

    def red_pixels(*extra: str) -> int:
        out = tmp_path / "status.png"
        proc = run(
            "render", "--view", "gate", "--date", "2030-06-01", "--size", "960x540",
            "--output", str(out), *extra,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        img = np.asarray(Image.open(out).convert("RGB")).astype(int)[:, :800]  # no legend
        r, g, b = img[..., 0], img[..., 1], img[..., 2]
        # Shaded red: strong red, weak green and blue (amber power lines have G/R 0.7).
        return int(((r > 110) & (g < 0.6 * r) & (b < 0.6 * r)).sum())

    late = red_pixels("--color-by", "status")
    plain = red_pixels()
    assert late > 100 and late > 5 * plain, (late, plain)
    proc = run("render", "--color-by", "phase", "--output", str(tmp_path / "x.png"))
    assert proc.returncode == 2 and "--date" in proc.stderr
