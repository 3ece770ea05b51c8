"""``export-tour`` and 4K ``render``: headless, in a subprocess, checked as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("DISPLAY", None)  # headless: no X server at all
    return subprocess.run(
        [sys.executable, "-m", "alatau_twin", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _short_tour_project(path: Path) -> Path:
    """A project on the sample (no sources) whose tour lasts 1.5 s."""
    from alatau_twin.core.presentation import Keyframe, Slide, Tour
    from alatau_twin.core.scene import Scene
    from alatau_twin.core.views import CameraView
    from alatau_twin.io.project import save_project

    scene = Scene()
    scene.info.title = "Short tour"
    a = CameraView.orbit("a", (-2741.74, -16292.24, 612.39), 9000.0, azimuth=0, elevation=40)
    b = CameraView.orbit("b", (-745.88, -3826.63, 566.84), 9000.0, azimuth=30, elevation=35)
    scene.tour = Tour(
        [
            Keyframe(Slide("Gate", a, caption="Start", date="2026-01-01"), 0.0, 0.25),
            Keyframe(Slide("Golden", b, date="2034-01-01"), 1.0, 0.25),
        ],
        "Short tour",
    )
    return save_project(scene, path)


def test_export_tour_writes_an_mp4_of_the_right_length_size_and_frames(tmp_path) -> None:
    from alatau_twin.io.video import video_info

    project = _short_tour_project(tmp_path / "short.toml")
    out = tmp_path / "tour.mp4"
    proc = run("export-tour", str(project), "--output", str(out), "--size", "320x180",
               "--fps", "10")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "wrote" in proc.stdout
    # A progress bar on stderr (not a terminal here: one line per 10%, ending at 100%).
    assert "15/15 frames" in proc.stderr and "100%" in proc.stderr
    info = video_info(out)
    assert info["size"] == (320, 180)
    assert info["frames"] == 15
    assert info["fps"] == 10.0
    assert abs(info["duration"] - 1.5) < 0.05
    assert not list(tmp_path.glob(".tour*partial*")), "temporary video left behind"
    # The frames are pictures of the city, and they move.
    frames = _frames_ffmpeg(out)
    assert len(frames) == 15
    assert frames[0].std() > 15
    assert np.abs(frames[0].astype(int) - frames[-1].astype(int)).mean() > 5


def _frames_ffmpeg(path: Path) -> list[np.ndarray]:
    import imageio_ffmpeg

    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    w, h = meta["size"]
    return [np.frombuffer(f, np.uint8).reshape(h, w, 3) for f in reader]


def test_export_tour_rejects_odd_sizes_and_bad_rates(tmp_path) -> None:
    proc = run("export-tour", "--output", str(tmp_path / "x.mp4"), "--size", "321x180")
    assert proc.returncode == 2 and "must be even" in proc.stderr
    proc = run("export-tour", "--output", str(tmp_path / "x.mp4"), "--fps", "0")
    assert proc.returncode == 2 and "frame rate" in proc.stderr
    assert not (tmp_path / "x.mp4").exists()


def test_render_4k_still_with_caption_north_arrow_and_scale_bar(tmp_path) -> None:
    from PIL import Image

    out = tmp_path / "gate-4k.png"
    proc = run("render", "--view", "gate", "--size", "3840x2160", "--output", str(out),
               "--caption", "Gate district: the CBD and the Iconic Towers")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    img = np.asarray(Image.open(out).convert("RGB"))
    assert img.shape == (2160, 3840, 3)
    # The large title's white letters in the top-left, the north arrow's in the top-right.
    white = (img > 235).all(axis=2)
    assert white[:250, :1600].sum() > 5000
    assert white[:500, -400:].sum() > 500
