"""``alatau-twin watch`` and ``alatau-twin feed ...``: live status without a window (cli).

``watch`` applies a feed to the scene model exactly as the viewer does (the same
queue, the same :class:`~alatau_twin.core.live.LiveStatus` pump, once per 0.1 s
"frame") and prints what happened: messages accepted and rejected by reason, elements
by status, buildings and residents without power or water. ``feed simulate`` publishes
the simulator to a broker, so one machine can drive viewers on others; ``feed record``
writes any feed to a JSON Lines log that ``file:LOG`` replays.
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from alatau_twin.cli.main import CliError

FRAME_S = 0.1  # how often the owner thread drains the queue (the viewer: once a frame)


@contextmanager
def _stop_signals() -> Iterator[threading.Event]:
    """Ctrl-C (SIGINT) and SIGTERM set an event instead of raising, so a run always
    ends between two frames (never half-way through applying a batch) and prints
    its summary. A second Ctrl-C while stopping interrupts as usual."""
    stop = threading.Event()

    def handler(signum: int, frame: Any) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    try:
        old = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    except ValueError:  # not the main thread (main() called from a thread): no handlers
        yield stop
        return
    try:
        yield stop
    finally:
        for sig, previous in old.items():
            signal.signal(sig, previous)


def _scene(sources: list[str], crs: str | None) -> Any:
    if not sources:
        from alatau_twin.io.sample import build_sample_scene

        return build_sample_scene()
    from alatau_twin.cli.commands import _load

    return _load(sources, crs=crs)


def _open(url: str, scene: Any, **options: Any) -> Any:
    from alatau_twin.io.feeds import FeedError, open_feed

    networks = scene.networks if scene is not None else None
    schedule = scene.schedule if scene is not None else None
    try:
        return open_feed(url, networks, schedule, **options)
    except FeedError as exc:
        raise CliError(str(exc)) from None


def _start(feed: Any, sink: Any) -> None:
    """Start a feed; a set-up problem (a TLS file missing) is a user error, exit 2."""
    from alatau_twin.io.feeds import FeedError

    try:
        feed.start(sink)
    except FeedError as exc:
        raise CliError(str(exc)) from None


def _announce(url: str, until: str) -> None:
    """One line on stderr when the feed runs (stdout stays the summary alone, for
    --json), so a person or a script knows ``watch`` is listening."""
    print(f"watching {_public_url(url)}{until}", file=sys.stderr, flush=True)


def _check_url(url: str) -> str:
    from alatau_twin.io.feeds import FeedError, feed_kind

    try:
        return feed_kind(url)
    except FeedError as exc:
        raise CliError(str(exc)) from None


def _duration(value: float | None) -> float | None:
    if value is not None and value <= 0:
        raise CliError(f"--for must be a positive number of seconds, not {value:g}")
    return value


# -- watch ---------------------------------------------------------------------------
def cmd_watch(args: argparse.Namespace) -> int:
    from alatau_twin.core.live import LiveStatus
    from alatau_twin.core.status import MessageQueue

    kind = _check_url(args.feed)
    limit = _duration(args.seconds)
    until = f" for {limit:g} s" if limit else " until the end or Ctrl-C"
    queue = MessageQueue()
    feed: Any = None
    progress = 0
    with _stop_signals() as stop:
        try:
            if kind != "sim":
                # Listen at once: what a broker sends while the scene loads waits in
                # the queue instead of being lost.
                feed = _open(args.feed, None, record=args.record)
                _start(feed, queue)
                _announce(args.feed, until)
            scene = _scene(args.sources, args.crs)
            live = LiveStatus(scene)
            if feed is None:  # the simulator needs the scene's networks
                feed = _open(args.feed, scene, record=args.record)
                _start(feed, queue)
                _announce(args.feed, until)
            stats = live.store.source(feed.name)
            t0 = time.monotonic()
            while not stop.wait(FRAME_S):
                feed.report_to(stats)
                progress += live.pump(queue).progress
                if limit is not None and time.monotonic() - t0 >= limit:
                    break
                if feed.finished and not len(queue):
                    break
        finally:
            if feed is not None:
                feed.stop()
                feed.join(5.0)
        interrupted = stop.is_set()
    progress += live.pump(queue).progress  # what arrived while stopping
    feed.report_to(stats)
    seconds = max(time.monotonic() - t0, 1e-6)
    summary = live.summary()
    summary["feed"] = {
        "url": _public_url(args.feed),
        "name": feed.name,
        "kind": feed.kind,
        "state": feed.state,
        "detail": feed.detail,
        "states_seen": feed.states_seen(),
    }
    summary["seconds"] = round(seconds, 2)
    summary["interrupted"] = interrupted
    summary["messages"]["progress_reports"] = progress
    summary["messages"]["per_second"] = round(summary["messages"]["accepted"] / seconds, 1)
    if args.record:
        summary["recorded_to"] = args.record
    if args.json:
        json.dump(summary, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(format_watch_summary(summary))
    sys.stdout.flush()
    return 0


def _public_url(url: str) -> str:
    """The feed URL without a password (summaries get pasted into tickets)."""
    url = re.sub(r"([?&]password=)[^&#]*", r"\1***", url)
    if "://" in url and "@" in url.split("://", 1)[1].split("/", 1)[0]:
        scheme, rest = url.split("://", 1)
        cred, host = rest.split("@", 1)
        user = cred.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}" if ":" in cred else url
    return url


def format_watch_summary(s: dict[str, Any]) -> str:
    """The summary as text: what a person reads after ``watch``."""
    m = s["messages"]
    lines = [
        f"watched {s['feed']['url']} for {s['seconds']:.1f} s"
        + (" (interrupted)" if s.get("interrupted") else ""),
        f"messages: {m['accepted']:,} accepted ({m['per_second']:,.0f}/s), "
        f"{m['rejected']:,} rejected, {m.get('progress_reports', 0):,} construction progress",
    ]
    for reason, n in m["rejected_by_reason"].items():
        lines.append(f"  rejected {reason}: {n:,}")
    lines.append("sources:")
    for src in s["sources"].values():
        state = src["state"] + (f" ({src['detail']})" if src["detail"] else "")
        lines.append(
            f"  {src['name']}: {state}; {src['accepted']:,} accepted, "
            f"{src['rejected_total']:,} rejected"
        )
        for reason, example in src.get("examples", {}).items():
            lines.append(f"    e.g. {reason}: {example}")
    by = s["elements_by_status"]
    lines.append(f"elements ({s['elements']:,}): " + ", ".join(f"{k} {v:,}" for k, v in by.items()))
    for net, counts in s["elements_by_network"].items():
        lines.append(f"  {net}: " + ", ".join(f"{k} {v:,}" for k, v in counts.items() if v))
    from alatau_twin.core.live import LOSS_LABELS

    for net, w in s["without_service"].items():
        label = LOSS_LABELS.get(net, f"without {net}")
        lines.append(f"{label}: {w['buildings']:,} buildings ({w['residents']:,} residents)")
    if s.get("alarms"):
        lines.append("alarms: " + ", ".join(f"{k} {v}" for k, v in s["alarms"].items()))
    if s.get("recorded_to"):
        lines.append(f"recorded to {s['recorded_to']}")
    return "\n".join(lines) + "\n"


# -- feed simulate / record ----------------------------------------------------------
class _CountingSink:
    """Counts what a feed hands on, by kind, and forwards it."""

    def __init__(self, forward: Any) -> None:
        self.forward = forward
        self.status = 0
        self.progress = 0

    def put(self, raw: Any) -> bool:
        return self.put_many([raw]) == 1

    def put_many(self, raws: Any) -> int:
        raws = list(raws)
        n_prog = sum(1 for r in raws if r.topic.endswith("/progress"))
        self.progress += n_prog
        self.status += len(raws) - n_prog
        return int(self.forward.put_many(raws))


def _run_until(feed: Any, limit: float | None, tick: float = 0.2) -> tuple[float, bool]:
    """Let a started feed run until ``limit`` seconds, its end, or Ctrl-C."""
    t0 = time.monotonic()
    with _stop_signals() as stop:
        try:
            while not feed.finished and not stop.wait(tick):
                if limit is not None and time.monotonic() - t0 >= limit:
                    break
        finally:
            feed.stop()
            feed.join(5.0)
        return time.monotonic() - t0, stop.is_set()


def cmd_feed(args: argparse.Namespace) -> int:
    if args.feed_command == "simulate":
        return _feed_simulate(args)
    if args.feed_command == "record":
        return _feed_record(args)
    raise CliError("say what to do: alatau-twin feed simulate ... or feed record ...")


def _feed_simulate(args: argparse.Namespace) -> int:
    from alatau_twin.io.feeds import FeedError
    from alatau_twin.io.feeds.mqtt import MqttPublisher
    from alatau_twin.io.feeds.simulator import SimulatorSource
    from alatau_twin.io.feeds.urls import parse_mqtt_url

    if _check_url(args.mqtt) != "mqtt":
        raise CliError(f"--mqtt takes mqtt://HOST:PORT or mqtts://HOST:PORT, not {args.mqtt!r}")
    limit = _duration(args.seconds)
    if args.rate < 0 or args.speedup <= 0:
        raise CliError("--rate must be >= 0 and --speedup > 0")
    try:
        opts = parse_mqtt_url(args.mqtt, username=args.username, password=args.password)
        publisher = MqttPublisher(opts)
        publisher.connect()  # fail fast, before building the scene
    except FeedError as exc:
        raise CliError(str(exc)) from None
    try:
        scene = _scene(args.sources, args.crs)
        sink = _CountingSink(publisher)
        feed = SimulatorSource(
            scene.networks,
            schedule=scene.schedule,
            seed=args.seed,
            rate=args.rate,
            speedup=args.speedup,
            duration=limit,
        )
        print(
            f"publishing the simulator (seed {args.seed}, {args.rate:g} msg/s, time "
            f"x{args.speedup:g}) to {opts.url()}"
            + (f" for {limit:g} s" if limit else " until Ctrl-C"),
            flush=True,
        )
        feed.start(sink)
        seconds, interrupted = _run_until(feed, limit)
    finally:
        publisher.close()
    rate = publisher.published / seconds if seconds > 0 else 0.0
    text = (
        f"published {publisher.published:,} messages ({sink.status:,} status, "
        f"{sink.progress:,} construction progress) to {opts.url()} in {seconds:.1f} s "
        f"({rate:,.0f}/s)"
    )
    if publisher.dropped:
        text += f"; {publisher.dropped:,} dropped while the broker was unreachable"
    print(text + (" (interrupted)" if interrupted else ""))
    return 0


def _feed_record(args: argparse.Namespace) -> int:
    from alatau_twin.io.feeds.record import Recorder

    kind = _check_url(args.feed)
    limit = _duration(args.seconds)
    scene = _scene(args.sources, args.crs) if kind == "sim" else None
    feed = _open(args.feed, scene)
    recorder = Recorder(args.output)
    try:
        _start(feed, recorder)
        seconds, interrupted = _run_until(feed, limit)
    finally:
        recorder.close()
    print(
        f"recorded {recorder.count:,} messages from {_public_url(args.feed)} to "
        f"{args.output} in {seconds:.1f} s (replay it with --feed file:{args.output})"
        + (" (interrupted)" if interrupted else "")
    )
    return 0


# -- argument parsing (called by main.build_parser) ----------------------------------
def add_live_parsers(sub: Any, sources_help: str) -> None:
    """``watch`` and ``feed simulate|record``; parsing imports nothing heavy."""
    feed_help = "sim: (simulator), file:LOG (replay), mqtt://HOST:PORT[/topic] (broker)"
    w = sub.add_parser(
        "watch",
        help="apply a live feed to the scene without a window and print a summary",
        description="Apply a feed (simulator, replayed log, MQTT broker) to the scene model "
        "headless and print messages accepted and rejected by reason, elements by status and "
        "buildings without power or water. Ends after --for seconds, at the end of a replay, "
        "or on Ctrl-C (the summary is printed in every case). See docs/FEEDS.md.",
    )
    w.add_argument("sources", nargs="*", metavar="PROJECT_OR_FILES", help=sources_help)
    w.add_argument("--crs", default=None, help="CRS for files that have none, e.g. EPSG:32643")
    w.add_argument("--feed", default="sim:", metavar="URL", help=f"{feed_help}; default sim:")
    w.add_argument(
        "--for",
        dest="seconds",
        type=float,
        default=None,
        metavar="SECONDS",
        help="stop after this many seconds (default: until Ctrl-C or end of log)",
    )
    w.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    w.add_argument(
        "--record",
        default=None,
        metavar="FILE",
        help="also record every message to a JSON Lines log (replay: file:FILE)",
    )

    f = sub.add_parser("feed", help="publish the simulator to MQTT, or record a feed to a log")
    fsub = f.add_subparsers(dest="feed_command", metavar="ACTION")
    s = fsub.add_parser(
        "simulate",
        help="publish the network simulator to an MQTT broker",
        description="Publish the seeded network simulator to a broker, so one machine can "
        "drive viewers and `watch` on others. Exit 2 when the broker is unreachable.",
    )
    s.add_argument("sources", nargs="*", metavar="PROJECT_OR_FILES", help=sources_help)
    s.add_argument("--crs", default=None, help="CRS for files that have none, e.g. EPSG:32643")
    s.add_argument("--mqtt", required=True, metavar="URL", help="mqtt://HOST:PORT or mqtts://...")
    s.add_argument("--rate", type=float, default=50.0, help="messages per second (default 50)")
    s.add_argument(
        "--for",
        dest="seconds",
        type=float,
        default=None,
        metavar="SECONDS",
        help="stop after this many seconds (default: until Ctrl-C)",
    )
    s.add_argument("--seed", type=int, default=0, help="random seed (same seed, same events)")
    s.add_argument(
        "--speedup",
        type=float,
        default=60.0,
        help="simulated time per wall-clock time (default 60: an hour a minute)",
    )
    s.add_argument("--username", default=None, help="broker user name")
    s.add_argument("--password", default=None, help="broker password")

    r = fsub.add_parser("record", help="record any feed to a JSON Lines log")
    r.add_argument("sources", nargs="*", metavar="PROJECT_OR_FILES", help=sources_help)
    r.add_argument("--crs", default=None, help="CRS for files that have none, e.g. EPSG:32643")
    r.add_argument("--feed", required=True, metavar="URL", help=feed_help)
    r.add_argument("--output", "-o", required=True, help="JSON Lines file to write")
    r.add_argument(
        "--for",
        dest="seconds",
        type=float,
        default=None,
        metavar="SECONDS",
        help="stop after this many seconds (default: until Ctrl-C or end of log)",
    )
