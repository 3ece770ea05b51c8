"""Check project and data files without opening the app (io: no Qt, no VTK).

``alatau-twin validate`` reads every source with the same readers the app uses and lists
every problem with its file and, where known, its place in the file (project key,
feature rows), so a planner can fix the data before a meeting instead of during it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from alatau_twin.io.loader import SourceError, SourceOptions, read_source

# Report counts that mean the data needed mending, for readers that count them without a
# sentence of their own (readers that write a warning are not repeated).
_MENDED = {"skipped": "objects skipped"}


@dataclass(frozen=True)
class Problem:
    severity: str  # "error" | "warning"
    file: str
    message: str
    location: str = ""

    def describe(self) -> str:
        where = f" [{self.location}]" if self.location else ""
        return f"{self.severity.upper()}: {self.file}{where}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def validate_sources(sources: Sequence[str], crs: str | None = None) -> list[Problem]:
    """Every problem in the given projects and data files (empty list: all good)."""
    problems: list[Problem] = []
    for src in sources:
        path = Path(src)
        if path.suffix.lower() == ".toml":
            problems.extend(_validate_project(path, crs))
        elif _is_schedule(path):
            problems.extend(_validate_schedule(path))
        else:
            problems.extend(_validate_file(path, SourceOptions(), crs))
    return problems


def _is_schedule(path: Path) -> bool:
    from alatau_twin.io.schedule_import import is_schedule_file

    return path.suffix.lower() in {".xml", ".mspdi"} or is_schedule_file(path)


def _validate_schedule(path: Path) -> list[Problem]:
    """A schedule's problems: bad dates, finish before start, unknown predecessors,
    each with its file and task (UID) or CSV line."""
    from alatau_twin.io.schedule_import import ScheduleError, read_schedule

    try:
        imported = read_schedule(path)
    except (ScheduleError, OSError) as exc:
        return [Problem("error", str(path), _strip(str(exc), path))]
    return [Problem(p.severity, p.file, p.message, p.location) for p in imported.problems]


def _validate_project(path: Path, crs: str | None) -> list[Problem]:
    from alatau_twin.io.project import ProjectError, read_project

    try:
        doc = read_project(path)
    except ProjectError as exc:
        return [Problem("error", str(path), _strip(str(exc), path))]
    out: list[Problem] = []
    for src in doc["sources"]:
        opts = doc["options"].get(src, SourceOptions())
        out.extend(_validate_file(Path(src), opts, crs or doc.get("crs")))
    if doc.get("schedule") is not None:
        out.extend(_validate_schedule(Path(doc["schedule"].path)))
    return out


def _validate_file(path: Path, opts: SourceOptions, crs: str | None) -> list[Problem]:
    try:
        layers, _frame = read_source(path, None, opts, crs)
    except SourceError as exc:
        return [Problem("error", str(path), _strip(str(exc), path))]
    out: list[Problem] = []
    for layer in layers:
        for key, text in _MENDED.items():
            n = layer.report.counts.get(key, 0)
            if n and not layer.report.warnings:
                out.append(Problem("warning", str(path), f"{n} {text}", f"layer {layer.name}"))
        for w in layer.report.warnings:
            out.append(Problem("warning", str(path), w, f"layer {layer.name}"))
    return out


def _strip(message: str, path: Path) -> str:
    """Messages start with the file name; the Problem has it already."""
    prefix = f"{path}: "
    return message[len(prefix) :] if message.startswith(prefix) else message
