"""Command-line entry point ``alatau-twin`` (cli: the top layer).

Only the standard library is imported at module level: every subcommand imports its
heavy dependencies (VTK, Qt, geopandas) when it runs, so ``--help`` stays instant and
light. With no subcommand the viewer opens the embedded Alatau sample twin.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence

from alatau_twin import __version__

T_START = time.perf_counter()

EPILOG = """\
examples:
  alatau-twin                                   open the Alatau sample twin in the viewer
  alatau-twin render --output city.png          render the sample headless (no display needed)
  alatau-twin render --view gate --date 2030-06-01 --size 1920x1080 --output gate.png
  alatau-twin info --json                       summary of layers, CRS, bounds, networks
  alatau-twin validate city.gpkg model.glb      list every problem, exit 1 on errors
  alatau-twin info water.inp --crs EPSG:32643 --origin 668000,4830000 --json
                                                a network: counts, components, dangling ends
  alatau-twin info plan.xml --json              a schedule: tasks, links, calendars, progress
  alatau-twin render plan.csv --date 2030-06-01 -o c.png   the sample with a schedule CSV
  alatau-twin sample --output alatau/           the sample as a project with GeoPackage data
  alatau-twin export-tour --output tour.mp4     the sample's camera tour as a video, headless
  alatau-twin export-video --from 2025-01-01 --to 2035-12-31 --output city.mp4
                                                the city growing over time, as an MP4, headless
  alatau-twin bench extrusion                   run a benchmark against its same-run baseline
  alatau-twin watch --feed sim: --for 30        live status headless: a summary by reason/status
  alatau-twin feed simulate --mqtt mqtt://localhost:1883 --rate 50   drive viewers over MQTT
"""


class CliError(Exception):
    """A user-facing error: printed without a traceback, exit status 2."""


def parse_size(text: str) -> tuple[int, int]:
    """``WxH`` -> (w, h), with a message a user understands."""
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 1600x900, not {text!r}") from None
    if not (16 <= w <= 16384 and 16 <= h <= 16384):
        raise argparse.ArgumentTypeError(f"size {text} out of range (16..16384 per side)")
    return w, h


def positive_number(upper: float, what: str = "") -> Callable[[str], float]:
    """An argparse type for a number in (0, upper], e.g. a frame rate or a duration;
    ``what`` names it in the error ("frame rate 500 out of range (0..240]")."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, not {text!r}") from None
        if not 0 < value <= upper:
            label = f"{what} {text}" if what else text
            raise argparse.ArgumentTypeError(f"{label} out of range (0..{upper:g}]")
        return value

    return parse


def parse_date(text: str) -> str:
    import datetime as dt

    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"date must be YYYY-MM-DD, not {text!r}") from None


def parse_origin(text: str) -> tuple[float, float]:
    """``X,Y`` -> (x, y): where an EPANET model's (0, 0) lies in ``--crs``."""
    try:
        x, y = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"origin must look like 668000,4830000, not {text!r}"
        ) from None
    return x, y


def _add_source_options(p: argparse.ArgumentParser) -> None:
    """How to read the data files (every file named gets them)."""
    p.add_argument(
        "--kind",
        choices=["vector", "buildings", "areas", "cityjson", "mesh", "terrain", "network"],
        default=None,
        help="read the files as this kind; 'network': GIS lines + points as one network",
    )
    p.add_argument(
        "--origin",
        type=parse_origin,
        default=None,
        metavar="X,Y",
        help="EPANET model: where its (0, 0) lies in --crs (else model coordinates)",
    )
    p.add_argument("--network", default=None, metavar="NAME", help="network name, e.g. water")
    p.add_argument(
        "--snap",
        type=float,
        default=None,
        metavar="M",
        help="network lines without from/to columns: join ends within M metres (0.5)",
    )


def _add_feed_options(p: argparse.ArgumentParser) -> None:
    """Live status feeds for the viewer (``view`` and ``open``)."""
    p.add_argument(
        "--feed",
        action="append",
        default=[],
        metavar="URL",
        help="live status feed, repeatable: sim:, file:LOG?speed=10, mqtt://host:1883/alatau/#",
    )
    p.add_argument(
        "--no-sim",
        action="store_true",
        help="do not start the simulator that the sample twin runs by default",
    )


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="alatau-twin",
        description="Alatau Twin: desktop digital twin of Alatau City. "
        "With no command, opens the embedded Alatau sample twin.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"alatau-twin {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    sources_help = "project file or data files (none: the embedded Alatau sample)"

    v = sub.add_parser("view", help="open the viewer window (the default command)")
    v.add_argument("sources", nargs="*", metavar="PROJECT_OR_FILES", help=sources_help)
    v.add_argument("--crs", default=None, help="CRS for files that have none, e.g. EPSG:32643")
    v.add_argument("--view", default=None, help="camera preset to start from")
    v.add_argument("--date", type=parse_date, default=None, help="time cursor, YYYY-MM-DD")
    v.add_argument("--theme", choices=["light", "dark"], default=None)
    v.add_argument(
        "--quit-after-first-frame",
        action="store_true",
        help="print the time to first frame and exit (for benchmarks and smoke tests)",
    )
    _add_feed_options(v)

    r = sub.add_parser("render", help="render to PNG with no display (EGL/OSMesa)")
    r.add_argument("sources", nargs="*", metavar="PROJECT_OR_FILES", help=sources_help)
    r.add_argument("--crs", default=None, help="CRS for files that have none, e.g. EPSG:32643")
    r.add_argument("--output", "-o", required=True, help="PNG file to write")
    r.add_argument("--size", type=parse_size, default=(1600, 900), help="WxH, default 1600x900")
    r.add_argument("--view", default="overview", help="camera preset (see `info`)")
    r.add_argument("--date", type=parse_date, default=None, help="show the city at YYYY-MM-DD")
    r.add_argument("--plan", action="store_true", help="with --date: planned, not as-built")
    r.add_argument(
        "--color-by",
        choices=["phase", "status"],
        default=None,
        help="with --date: colour buildings by construction phase or schedule status",
    )
    r.add_argument("--theme", choices=["light", "dark"], default="light")
    r.add_argument("--no-caption", action="store_true", help="omit title and basis text")
    r.add_argument(
        "--caption", default=None, help="presentation layout: large title, this caption, date"
    )
    _add_source_options(r)

    i = sub.add_parser("info", help="summary: layers, counts, CRS, bounds, what was inferred")
    i.add_argument("sources", nargs="*", metavar="PROJECT_OR_FILES", help=sources_help)
    i.add_argument("--crs", default=None, help="CRS for files that have none, e.g. EPSG:32643")
    i.add_argument("--json", action="store_true", help="machine-readable output")
    i.add_argument("--date", type=parse_date, default=None, help="progress at YYYY-MM-DD")
    _add_source_options(i)

    o = sub.add_parser("open", help="open a project (or data files) in the viewer")
    o.add_argument("sources", nargs="+", metavar="PROJECT_OR_FILES", help="project or data files")
    o.add_argument("--crs", default=None, help="CRS for files that have none, e.g. EPSG:32643")
    o.add_argument("--view", default=None, help="camera preset to start from")
    o.add_argument("--date", type=parse_date, default=None, help="time cursor, YYYY-MM-DD")
    o.add_argument("--theme", choices=["light", "dark"], default=None)
    o.add_argument("--quit-after-first-frame", action="store_true", help=argparse.SUPPRESS)
    _add_feed_options(o)

    val = sub.add_parser("validate", help="check project or data files; list every problem")
    val.add_argument("sources", nargs="+", metavar="PROJECT_OR_FILES", help="files to check")
    val.add_argument("--crs", default=None, help="CRS for files that have none, e.g. EPSG:32643")
    val.add_argument("--json", action="store_true", help="machine-readable output")

    smp = sub.add_parser("sample", help="write the Alatau sample twin as a project with its data")
    smp.add_argument("--output", "-o", required=True, help="folder to write (created)")
    smp.add_argument(
        "--format", choices=["gpkg", "parquet"], default="gpkg", help="vector data format"
    )

    from alatau_twin.cli.tour import add_export_tour_parser
    from alatau_twin.cli.video import add_export_video_parser

    add_export_tour_parser(sub, sources_help, parse_size)
    add_export_video_parser(sub, sources_help, parse_size, parse_date)

    from alatau_twin.cli.live import add_live_parsers

    add_live_parsers(sub, sources_help)

    b = sub.add_parser("bench", help="run benchmarks under benchmarks/ against same-run baselines")
    b.add_argument("names", nargs="*", metavar="NAME", help="benchmark names (default: all)")
    b.add_argument("--json", action="store_true", help="print results as JSON")
    b.add_argument("--quick", action="store_true", help="smaller sizes, for smoke tests")
    b.add_argument("--list", action="store_true", help="list benchmarks and exit")
    return p


# Commands that are finished once their output file or report is written. Their
# process skips the interpreter's teardown (see ``run``).
ONE_SHOT_COMMANDS = frozenset(
    {"render", "info", "validate", "sample", "export-video", "export-tour"}
)
# One-shot commands that read their data, draw or report once, and exit: their process
# runs without cyclic garbage collection, one BLAS thread or huge pages (see ``run``).
BATCH_COMMANDS = frozenset({"render", "info", "validate"})


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command and return its exit status (tests call this in process)."""
    return dispatch(build_parser().parse_args(argv))


def run() -> None:
    """The ``alatau-twin`` console script and ``python -m alatau_twin``.

    After a one-shot command has written its output, the process leaves with
    ``os._exit`` instead of a normal interpreter shutdown: tearing down VTK, the GL
    context and a 100k-building scene's arrays took 0.4-0.5 s after the PNG was
    already on disk (an eighth of ``alatau-twin render``'s budget). Nothing is lost:
    outputs are written atomically and closed before the command returns, and the
    standard streams and logging are flushed here first.
    """
    args = build_parser().parse_args()
    if args.command in BATCH_COMMANDS:
        _batch_process_settings()
    status = dispatch(args)
    if args.command in ONE_SHOT_COMMANDS:
        import logging

        logging.shutdown()
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):  # a closed pipe: nothing more to say
                pass
        os._exit(status)
    sys.exit(status)


def _batch_process_settings() -> None:
    """Process settings for a command that loads data once, writes and exits.

    - No cyclic garbage collection: reading a 100k-building file creates about a million
      objects that all live until the process ends, and the collector walked them again
      and again (0.13 s of ``alatau-twin render`` for a GeoParquet, 0.3 s and five full
      collections for a GeoPackage). Nothing here runs long enough to pile up cycles,
      and the process ends with ``os._exit``.
    - One OpenBLAS thread: numpy's BLAS threads spin after start-up (~0.05 s of CPU
      under ``perf``) on the two cores that reading and drawing need; nothing on these
      paths multiplies matrices large enough to use them.
    - No transparent huge pages for numpy's arrays: each first touch of a huge page
      zeroes 2 MB, and a render writes its big arrays once or twice; ``perf`` put
      12% of a GeoPackage render in that zeroing, and without it the kernel time fell
      from 1.0 to 0.7 s (median of 10 interleaved runs; wall 3.66 -> 3.42 s).

    Both variables are read when numpy is imported, which has not happened yet (this
    module imports only the standard library); a value the user set wins.
    """
    import gc

    gc.disable()
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")


def dispatch(args: argparse.Namespace) -> int:
    """Run the parsed command; heavy modules are imported by the command itself."""
    command = args.command or "view"
    if args.command is None:
        args.sources, args.view, args.date, args.theme, args.crs = [], None, None, None, None
        args.quit_after_first_frame = False
        args.feed, args.no_sim = [], False
    try:
        if command in ("view", "open"):
            from alatau_twin.cli.commands import cmd_view

            return cmd_view(args)
        if command == "validate":
            from alatau_twin.cli.commands import cmd_validate

            return cmd_validate(args)
        if command == "sample":
            from alatau_twin.cli.commands import cmd_sample

            return cmd_sample(args)
        if command == "render":
            from alatau_twin.cli.commands import cmd_render

            return cmd_render(args)
        if command == "info":
            from alatau_twin.cli.commands import cmd_info

            return cmd_info(args)
        if command == "export-video":
            from alatau_twin.cli.video import cmd_export_video

            return cmd_export_video(args)
        if command == "export-tour":
            from alatau_twin.cli.tour import cmd_export_tour

            return cmd_export_tour(args)
        if command == "watch":
            from alatau_twin.cli.live import cmd_watch

            return cmd_watch(args)
        if command == "feed":
            from alatau_twin.cli.live import cmd_feed

            return cmd_feed(args)
        if command == "bench":
            from alatau_twin.cli.bench import cmd_bench

            return cmd_bench(args)
    except CliError as exc:
        print(f"alatau-twin {command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    raise AssertionError(command)
