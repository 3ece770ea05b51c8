"""``alatau-twin export-video``: the city growing between two dates as an MP4 (cli layer).

Renders off-screen (EGL/OSMesa, no display), draws a progress bar on stderr and
writes the video atomically through ffmpeg (imageio-ffmpeg). The frame rule is stated
in ``--help`` so a user can predict the length of what they export.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import textwrap
import time
from typing import Any

from alatau_twin.cli.main import CliError, positive_number

DEFAULT_DURATION_S = 12.0
MAX_FRAMES = 100_000

FRAMES_RULE = (
    "Frames: --frames N if given, else round(--duration x --fps) (default 12 s, so 360 "
    "frames at 30 fps). Frame i shows the city at FROM + i/(N-1) x (TO - FROM): the "
    "first frame is FROM, the last is TO, and the range is spread evenly over the "
    "video whatever its length in days."
)


def add_export_video_parser(sub: Any, sources_help: str, parse_size: Any, parse_date: Any) -> None:
    """The ``export-video`` subcommand's arguments (called from ``build_parser``)."""
    v = sub.add_parser(
        "export-video",
        help="render the city growing between two dates to an MP4 video, headless",
        description=textwrap.fill(
            "Render construction progress over time to an H.264 MP4 with no display: "
            "buildings grow as built (or as planned with --plan), planned buildings are "
            "ghosts, each frame carries the date and the programme's progress.",
            88,
        )
        + "\n\n"
        + textwrap.fill(FRAMES_RULE, 88),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    v.add_argument("sources", nargs="*", metavar="PROJECT_OR_FILES", help=sources_help)
    v.add_argument(
        "--from", dest="date_from", metavar="YYYY-MM-DD", type=parse_date, required=True,
        help="first date",
    )  # fmt: skip
    v.add_argument(
        "--to", dest="date_to", metavar="YYYY-MM-DD", type=parse_date, required=True,
        help="last date",
    )  # fmt: skip
    v.add_argument("--output", "-o", required=True, help="MP4 file to write")
    v.add_argument(
        "--size", type=parse_size, default=(1280, 720), help="WxH (even), default 1280x720"
    )
    v.add_argument("--fps", type=_positive_float, default=30.0, help="frames per second (30)")
    length = v.add_mutually_exclusive_group()
    length.add_argument("--frames", type=_frame_count, default=None, help="number of frames")
    length.add_argument(
        "--duration",
        type=_positive_float,
        default=None,
        help=f"video length in seconds (default {DEFAULT_DURATION_S:g})",
    )
    v.add_argument(
        "--view",
        default=None,
        help="camera preset (see `info`); default: the scene's construction view "
        "(metadata 'construction_view'), else 'gate' (the sample's CBD), else 'overview'",
    )
    v.add_argument(
        "--color-by",
        choices=["phase", "status"],
        default=None,
        help="colour buildings by construction phase or schedule status",
    )
    v.add_argument("--plan", action="store_true", help="show the plan instead of as built")
    v.add_argument(
        "--orbit", type=float, default=0.0, metavar="DEG", help="turn the camera DEG over the video"
    )
    v.add_argument("--theme", choices=["light", "dark"], default="light")
    v.add_argument("--no-caption", action="store_true", help="no title, date or figures")
    v.add_argument("--crs", default=None, help="CRS for files that have none, e.g. EPSG:32643")


_positive_float = positive_number(3600)


def _frame_count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}") from None
    if not 2 <= value <= MAX_FRAMES:
        raise argparse.ArgumentTypeError(f"frames {text} out of range (2..{MAX_FRAMES})")
    return value


def frame_count(args: argparse.Namespace) -> int:
    """The number of frames, by the rule in ``--help``."""
    if args.frames is not None:
        return int(args.frames)
    duration = DEFAULT_DURATION_S if args.duration is None else float(args.duration)
    return max(2, min(MAX_FRAMES, round(duration * args.fps)))


def cmd_export_video(args: argparse.Namespace) -> int:
    from alatau_twin.cli.commands import _load
    from alatau_twin.cli.tour import ProgressBar

    t0 = time.perf_counter()
    w, h = args.size
    if w % 2 or h % 2:
        raise CliError(f"video size {w}x{h} must be even (H.264)")
    if dt.date.fromisoformat(args.date_to) <= dt.date.fromisoformat(args.date_from):
        raise CliError(f"--to {args.date_to} must be after --from {args.date_from}")
    scene = _load(args.sources, crs=args.crs)
    if scene.schedule is None:
        raise CliError("this scene has no construction schedule to show over time")
    if args.view is None:
        # A whole city 66 km long hides its construction: open on where it happens.
        wanted = scene.metadata.get("construction_view")
        args.view = next(
            (v for v in (wanted, "gate") if v is not None and v in scene.views), "overview"
        )
    if args.view not in scene.views and args.view != "overview":
        names = ", ".join(sorted(scene.views)) or "none"
        raise CliError(f"unknown view {args.view!r}; this scene has: {names}")
    scene.set_date(args.date_from, "planned" if args.plan else "actual")
    scene.color_by = args.color_by
    from alatau_twin.render.growth_video import export_growth_video, frame_times

    n = frame_count(args)
    times = frame_times(args.date_from, args.date_to, n)
    print(
        f"exporting {args.date_from} .. {args.date_to}: {n} frames at {args.fps:g} fps "
        f"({n / args.fps:.1f} s), {w}x{h}",
        file=sys.stderr,
    )
    result = export_growth_video(
        scene,
        args.output,
        times,
        size=args.size,
        fps=args.fps,
        view=args.view,
        theme=args.theme,
        captions=not args.no_caption,
        orbit_deg=args.orbit,
        progress=ProgressBar(n),
    )
    print(
        f"wrote {result.output} ({w}x{h}, {result.frames} frames, {result.duration:.2f} s) "
        f"in {time.perf_counter() - t0:.1f} s ({result.frames / result.seconds:.2f} frames/s)"
    )
    return 0
