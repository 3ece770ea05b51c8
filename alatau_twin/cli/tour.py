"""``alatau-twin export-tour``: a project's camera tour as an MP4, headless (cli layer).

Renders off-screen (EGL/OSMesa, no display), shows a progress bar on stderr and writes
the video atomically. With no project, the sample twin's default tour is exported.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any, TextIO

from alatau_twin.cli.main import CliError, positive_number


def add_export_tour_parser(sub: Any, sources_help: str, parse_size: Any) -> None:
    """The ``export-tour`` subcommand's arguments (called from ``build_parser``)."""
    t = sub.add_parser(
        "export-tour",
        help="render the project's camera tour to an MP4 video, headless",
        description="Render a camera tour to MP4 with no display. The tour comes from the "
        "project's [tour] (or its slides, or its views); with no project, the sample "
        "twin's default tour.",
    )
    t.add_argument("sources", nargs="*", metavar="PROJECT", help=sources_help)
    t.add_argument("--output", "-o", required=True, help="MP4 file to write")
    t.add_argument(
        "--size", type=parse_size, default=(1920, 1080), help="WxH (even), default 1920x1080"
    )
    t.add_argument("--fps", type=_positive_float, default=30.0, help="frames per second (30)")
    t.add_argument("--theme", choices=["light", "dark"], default="light")
    t.add_argument("--no-caption", action="store_true", help="no title, caption or KPI strip")
    t.add_argument("--crs", default=None, help=argparse.SUPPRESS)


_positive_float = positive_number(240, "frame rate")


class ProgressBar:
    """A one-line progress bar with frame rate and time left, redrawn in place on a
    terminal and printed every 10% when stderr is a file or a pipe (CI logs)."""

    def __init__(self, total: int, stream: TextIO | None = None, width: int = 30) -> None:
        self.total = max(1, total)
        self.stream = stream or sys.stderr
        self.width = width
        self.t0 = time.perf_counter()
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last_decile = -1

    def __call__(self, done: int, total: int) -> None:
        elapsed = time.perf_counter() - self.t0
        rate = done / elapsed if elapsed > 0 else 0.0
        left = (total - done) / rate if rate > 0 else 0.0
        frac = done / max(1, total)
        filled = round(frac * self.width)
        bar = "#" * filled + "-" * (self.width - filled)
        line = (
            f"[{bar}] {done}/{total} frames {frac:4.0%}  {rate:4.1f} frames/s  "
            f"{int(left) // 60}:{int(left) % 60:02d} left"
        )
        if self.tty:
            self.stream.write("\r" + line + ("\n" if done >= total else ""))
            self.stream.flush()
        else:
            decile = int(frac * 10)
            if decile != self._last_decile or done >= total:
                self._last_decile = decile
                self.stream.write(line + "\n")
                self.stream.flush()


def tour_for(scene: Any) -> Any:
    """The tour to export: the project's, else one through its slides, else its views."""
    from alatau_twin.core.presentation import Deck, Slide, Tour

    if scene.tour.keyframes:
        return scene.tour
    if scene.deck.slides:
        return Tour.from_deck(scene.deck)
    views = [v for name, v in scene.views.items() if name != "top"]
    if not views:
        raise CliError("this project has no tour, slides or views to export")
    deck = Deck([Slide(v.title or v.name, v, transition_s=3.0) for v in views])
    return Tour.from_deck(deck)


def cmd_export_tour(args: argparse.Namespace) -> int:
    from alatau_twin.cli.commands import _load

    t0 = time.perf_counter()
    if args.size[0] % 2 or args.size[1] % 2:
        raise CliError(f"video size {args.size[0]}x{args.size[1]} must be even (H.264)")
    scene = _load(args.sources, crs=args.crs)
    tour = tour_for(scene)
    from alatau_twin.render.tour import export_tour

    total = tour.frame_count(args.fps)
    print(
        f"exporting {tour.title or 'tour'}: {len(tour.keyframes)} keyframes, "
        f"{tour.duration:.1f} s, {total} frames at {args.fps:g} fps, "
        f"{args.size[0]}x{args.size[1]}",
        file=sys.stderr,
    )
    result = export_tour(
        scene,
        tour,
        args.output,
        size=args.size,
        fps=args.fps,
        theme=args.theme,
        progress=ProgressBar(total),
        captions=not args.no_caption,
    )
    print(
        f"wrote {result.output} ({result.size[0]}x{result.size[1]}, {result.frames} frames, "
        f"{result.duration:.2f} s) in {time.perf_counter() - t0:.1f} s "
        f"({result.frames_per_second:.2f} frames/s rendered and encoded)"
    )
    return 0
