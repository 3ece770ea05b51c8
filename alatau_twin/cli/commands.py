"""Implementations of ``view``, ``render`` and ``info`` (cli layer).

Kept apart from ``main.py`` so that parsing arguments imports nothing heavy; each
function imports the layer it drives when called.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from alatau_twin.cli.main import T_START, CliError


def _source_options(args: argparse.Namespace) -> dict[str, Any] | None:
    """``--kind``, ``--origin``, ``--network``, ``--snap`` as options for every source."""
    given = {k: getattr(args, k, None) for k in ("kind", "origin", "network", "snap")}
    if all(v is None for v in given.values()):
        return None
    from alatau_twin.io.loader import SourceOptions

    return {str(src): SourceOptions(crs=args.crs, **given) for src in args.sources}


def _load(
    sources: list[str],
    date: str | None = None,
    mode: str = "actual",
    crs: str | None = None,
    options: dict[str, Any] | None = None,
) -> Any:
    from alatau_twin.io.loader import LoadError, load_scene

    try:
        scene = load_scene(sources, crs=crs, options=options)
    except LoadError as exc:
        raise CliError(str(exc)) from None
    for message in scene.metadata.get("messages", []):
        print(f"warning: {message}", file=sys.stderr)
    if date is not None:
        scene.set_date(date, mode)
    return scene


def cmd_render(args: argparse.Namespace) -> int:
    t0 = time.perf_counter()
    # The render stack is imported after loading, in this thread. Importing it in a
    # background thread during loading was measured (A/B on GeoPackage, GeoParquet,
    # glTF and the sample) to cost 0.1-0.3 s more CPU and to save no wall time: both
    # are mostly Python holding the GIL, and so is reading a GeoPackage from SQLite.
    color_by = getattr(args, "color_by", None)
    if color_by and args.date is None:
        raise CliError("--color-by shows construction at a date: add --date YYYY-MM-DD")
    scene = _load(
        args.sources,
        args.date,
        "planned" if args.plan else "actual",
        args.crs,
        _source_options(args),
    )
    if color_by:
        scene.color_by = color_by
    t_load = time.perf_counter() - t0
    if args.view not in scene.views and args.view != "overview":
        names = ", ".join(sorted(scene.views)) or "none"
        raise CliError(f"unknown view {args.view!r}; this scene has: {names}")
    t1 = time.perf_counter()  # "render" includes importing the render stack (VTK)
    from alatau_twin.render.offscreen import render_scene, write_png_atomic

    image = render_scene(
        scene,
        size=args.size,
        view=args.view,
        theme=args.theme,
        overlays=not args.no_caption,
        caption=getattr(args, "caption", None),
    )
    out = write_png_atomic(image, args.output)
    t_render = time.perf_counter() - t1
    h, w = image.shape[:2]
    print(
        f"wrote {out} ({w}x{h}) in {time.perf_counter() - t0:.2f} s "
        f"(load {t_load:.2f} s, render {t_render:.2f} s)"
    )
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    if args.sources and all(_is_schedule_file(s) for s in args.sources):
        return _info_schedules(args)
    scene = _load(args.sources, args.date, crs=args.crs, options=_source_options(args))
    from alatau_twin.io.summary import format_summary, scene_summary

    summary = scene_summary(scene)
    if args.json:
        json.dump(summary, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(format_summary(summary))
    return 0


def _is_schedule_file(source: str) -> bool:
    from alatau_twin.io.schedule_import import is_schedule_file

    return is_schedule_file(source)


def _info_schedules(args: argparse.Namespace) -> int:
    """``info PLAN.xml``: the plan itself (tasks, links, calendars, progress), no scene."""
    from alatau_twin.io.schedule_import import (
        ScheduleError,
        format_schedule_summary,
        read_schedule,
    )

    summaries = []
    for source in args.sources:
        try:
            summaries.append(read_schedule(source).summary(args.date))
        except ScheduleError as exc:
            raise CliError(str(exc)) from None
    if args.json:
        doc = summaries[0] if len(summaries) == 1 else summaries
        json.dump(doc, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write("\n".join(format_schedule_summary(s) for s in summaries))
    return 0


def cmd_view(args: argparse.Namespace) -> int:
    from alatau_twin.ui.app import run_viewer

    return run_viewer(
        args.sources,
        view=args.view,
        date=args.date,
        theme=args.theme,
        quit_after_first_frame=args.quit_after_first_frame,
        t_start=T_START,
        crs=args.crs,
        feeds=getattr(args, "feed", None) or [],
        sample_sim=not getattr(args, "no_sim", False),
    )


def cmd_validate(args: argparse.Namespace) -> int:
    from alatau_twin.io.validate import validate_sources

    problems = validate_sources(args.sources, crs=args.crs)
    errors = [p for p in problems if p.severity == "error"]
    if args.json:
        json.dump([p.to_dict() for p in problems], sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        for p in problems:
            print(p.describe())
        n_warn = len(problems) - len(errors)
        print(f"{len(errors)} error(s), {n_warn} warning(s) in {len(args.sources)} source(s)")
    return 1 if errors else 0


def cmd_sample(args: argparse.Namespace) -> int:
    from alatau_twin.io.export import export_scene_project
    from alatau_twin.io.sample import build_sample_scene

    project = export_scene_project(build_sample_scene(), args.output, fmt=args.format)
    print(f"wrote {project} (open it with: alatau-twin open {project})")
    return 0
