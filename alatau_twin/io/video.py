"""MP4 video files written frame by frame (io: files, no Qt, no VTK).

Frames are RGB arrays handed over one at a time and piped to the ffmpeg binary that
imageio-ffmpeg ships, so a tour of any length never sits in memory. ffmpeg runs in its
own process and encodes on the second core while the renderer draws the next frame.
The video is written to a temporary file beside the target and renamed over it only
when complete: a reader never sees a half-written MP4, and an interrupted export leaves
the previous file as it was.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np


class VideoError(RuntimeError):
    """The video could not be written (no encoder, disk full, bad size)."""


class VideoWriter:
    """H.264 MP4 (yuv420p, plays everywhere) at a fixed size and frame rate."""

    def __init__(
        self,
        output: str | os.PathLike[str],
        size: tuple[int, int],
        fps: float,
        *,
        crf: int = 20,
        preset: str = "fast",
    ) -> None:
        import imageio_ffmpeg

        w, h = size
        if w % 2 or h % 2:
            # yuv420p halves the chroma resolution: odd sizes would be rescaled.
            raise VideoError(f"video size {w}x{h} must be even in both directions")
        self.output = Path(output).resolve()
        self.size = (int(w), int(h))
        self.fps = float(fps)
        self.frames = 0
        self.output.parent.mkdir(parents=True, exist_ok=True)
        self._tmp = self.output.with_name(f".{self.output.stem}.{os.getpid()}.partial.mp4")
        self._gen: Any = imageio_ffmpeg.write_frames(
            str(self._tmp),
            self.size,
            fps=self.fps,
            codec="libx264",
            quality=None,
            macro_block_size=2,
            ffmpeg_log_level="error",
            output_params=["-preset", preset, "-crf", str(crf), "-movflags", "+faststart"],
        )
        self._gen.send(None)  # start ffmpeg
        self._closed = False

    def append(self, frame: np.ndarray) -> None:
        h, w = frame.shape[:2]
        if (w, h) != self.size:
            raise VideoError(f"frame is {w}x{h}, the video {self.size[0]}x{self.size[1]}")
        self._gen.send(np.ascontiguousarray(frame[..., :3], dtype=np.uint8))
        self.frames += 1

    def close(self) -> Path:
        """Finish the file and move it into place; returns the output path."""
        if self._closed:
            return self.output
        self._closed = True
        try:
            self._gen.close()
        except Exception as exc:  # ffmpeg failed while finishing the file
            self._tmp.unlink(missing_ok=True)
            raise VideoError(f"could not write {self.output}: {exc}") from exc
        os.replace(self._tmp, self.output)
        return self.output

    def abort(self) -> None:
        """Stop and delete the partial file (the previous output stays untouched)."""
        if self._closed:
            return
        self._closed = True
        try:
            self._gen.close()
        except Exception:
            pass
        self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def video_info(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Frame count, frame rate, duration and size of a video (decodes it once)."""
    import imageio_ffmpeg

    reader = imageio_ffmpeg.read_frames(str(path))
    meta = reader.__next__()
    frames = sum(1 for _ in reader)
    fps = float(meta.get("fps", 0.0))
    return {
        "frames": frames,
        "fps": fps,
        "duration": float(meta.get("duration", 0.0)),
        "size": tuple(int(v) for v in meta["size"]),
        "codec": str(meta.get("codec", "")),
    }
