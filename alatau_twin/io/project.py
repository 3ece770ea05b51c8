"""Project files (TOML): what to load and the views a user saved (io: no Qt, no VTK).

A project names its data sources (paths relative to the project file; none means the
embedded Alatau sample) and stores saved views. Saving is atomic. This is the minimal
format the viewer needs for saved views; the real-data issue extends it with per-layer
kinds, styles, CRS overrides and mesh georeferencing, keeping ``version`` for upgrades.

    version = 1
    title = "Alatau City — sample twin"
    sources = []                     # empty (and no [[layers]]): the embedded sample
    crs = "EPSG:32643"               # optional: for sources that carry none

    [[layers]]                       # a source with options
    path = "models/tower.glb"
    kind = "mesh"                    # vector | cityjson | mesh | terrain (default: by type)
    crs = "EPSG:32643"
    georef = { origin = [664700, 4812200, 610], rotation_deg = 0, scale = 1, up = "y" }
    style = { color_by = "height" }  # optional: colour by an attribute (legend on screen)

    [[layers]]                       # an infrastructure network (GIS layers or EPANET)
    path = "water/Net3.inp"          # or a GeoPackage; two entries naming one network
    kind = "network"                 #   (lines in one file, nodes in the other) join
    network = "water"
    crs = "EPSG:32643"; origin = [668000, 4830000]   # EPANET: where model (0, 0) lies
    snap = 0.5                       # GIS lines without from/to: snap ends within (m)

    [[views]]
    name = "CBD at dusk"
    visible = { Buildings = true, "Power lines" = false }
    filters = { Buildings = "height > 100" }
    [views.camera]
    position = [..]; focal_point = [..]; view_up = [..]; view_angle = 30.0

    deck_title = "Alatau City 2025-2035"
    [[slides]]                       # the presentation deck, in order
    title = "Gate district"; caption = "..."; date = "2030-06-01"   # no date: all built
    mode = "actual"                  # or "planned"
    overlay = ""                     # an overlay id ("status", "style:height", ...)
    out_of_service = ["P-F10-GATE-5-01"]   # what-if: network elements cut
    transition_s = 2.5
    visible = { ... }; filters = { ... }
    [slides.camera]                  # as in views

    [schedule]                       # optional: a construction schedule to lay over
    path = "plan.xml"                # Microsoft Project XML (MSPDI) or a schedule CSV
    link_by = "name"                 # feature attribute to match (default "id")
    task_field = "name"              # task field: name | wbs | uid | a custom field
    replace = false                  # true: instead of the scene's schedule, not over it
    include_summary = false          # true: summary tasks link too

    [tour]                           # a camera tour: slides plus timing
    title = "..."
    [[tour.keyframes]]               # the slide keys, plus:
    duration_s = 4.0; hold_s = 2.0; easing = "ease-in-out"

    [[feeds]]                        # live status feeds the viewer starts with the project
    url = "mqtt://broker.example:1883/alatau/#"   # or "sim:", "file:logs/day.jsonl?speed=10"

Floats are written with ``repr`` precision, so a deck reloads value for value.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

import tomli_w

from alatau_twin.core.presentation import Deck, Slide, Tour
from alatau_twin.core.scene import Scene
from alatau_twin.core.views import SavedView
from alatau_twin.io.atomic import atomic_write
from alatau_twin.io.loader import SourceOptions

PROJECT_VERSION = 1
_LAYER_KEYS = {
    "path", "kind", "crs", "name", "lod", "georef", "exaggeration", "style",
    "network", "origin", "snap",
}  # fmt: skip
_GEOREF_KEYS = {"origin", "rotation_deg", "scale", "up"}
_SCHEDULE_KEYS = {"path", "link_by", "task_field", "replace", "include_summary"}


class ProjectError(ValueError):
    """A project file that cannot be used; the message names the file and the place."""


def save_project(scene: Scene, path: str | os.PathLike[str], crs: str | None = None) -> Path:
    """Write the scene's sources and saved views to ``path`` (atomically)."""
    target = Path(path).resolve()
    base = target.parent
    sources = [_relative(Path(s).resolve(), base) for s in scene.sources]
    doc: dict[str, Any] = {
        "version": PROJECT_VERSION,
        "title": scene.info.title,
        "sources": sources,
    }
    if crs:
        doc["crs"] = crs
    doc["views"] = [v.to_dict() for v in scene.saved_views.values()]
    if scene.deck.title:
        doc["deck_title"] = scene.deck.title
    if scene.deck.slides:
        doc["slides"] = scene.deck.to_dicts()
    if scene.tour.keyframes:
        doc["tour"] = scene.tour.to_dict()
    feeds = scene.metadata.get("feeds")
    if feeds:  # live status feeds the project starts with
        doc["feeds"] = [{"url": str(u)} for u in feeds]
    schedule = scene.metadata.get("schedule_source")
    if schedule is not None:  # the plan a project named travels with it
        doc["schedule"] = schedule.to_project(base)
    data = tomli_w.dumps(doc).encode("utf-8")
    return atomic_write(target, lambda fh: fh.write(data))


def read_project(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Parse and check a project file; sources come back as absolute paths."""
    p = Path(path)
    try:
        doc = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProjectError(f"{p}: no such project file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ProjectError(f"{p}: not a valid TOML project file ({exc})") from None
    version = doc.get("version", PROJECT_VERSION)
    if not isinstance(version, int) or version > PROJECT_VERSION:
        raise ProjectError(f"{p}: project version {version!r} is newer than this app reads")
    sources = doc.get("sources", [])
    if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
        raise ProjectError(f"{p}: 'sources' must be a list of file paths")
    doc["sources"] = [str((p.parent / s).resolve()) for s in sources]
    doc["options"] = {}
    for i, entry in enumerate(doc.get("layers", [])):
        where = f"{p}: layers[{i}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
            raise ProjectError(f"{where} needs a 'path' (a file relative to the project)")
        unknown = set(entry) - _LAYER_KEYS
        if unknown:
            raise ProjectError(
                f"{where}: unknown keys {sorted(unknown)}; known: {sorted(_LAYER_KEYS)}"
            )
        source = str((p.parent / entry["path"]).resolve())
        georef = entry.get("georef", {})
        if not isinstance(georef, dict) or set(georef) - _GEOREF_KEYS:
            raise ProjectError(f"{where}: georef takes {sorted(_GEOREF_KEYS)}")
        origin = entry.get("origin")
        if origin is not None and not (
            isinstance(origin, list)
            and len(origin) == 2
            and all(isinstance(v, int | float) for v in origin)
        ):
            raise ProjectError(f"{where}: origin must be [x, y] in the layer's crs")
        snap = entry.get("snap")
        if snap is not None and not (isinstance(snap, int | float) and snap >= 0):
            raise ProjectError(f"{where}: snap must be a distance in metres (>= 0)")
        doc["sources"].append(source)
        doc["options"][source] = SourceOptions(
            crs=entry.get("crs"),
            kind=entry.get("kind"),
            name=entry.get("name"),
            lod=None if entry.get("lod") is None else str(entry["lod"]),
            georef=dict(georef),
            exaggeration=float(entry.get("exaggeration", 1.0)),
            style=dict(entry.get("style", {})),
            network=None if entry.get("network") is None else str(entry["network"]),
            snap=None if snap is None else float(snap),
            origin=None if origin is None else (float(origin[0]), float(origin[1])),
        )
    views = []
    for i, v in enumerate(doc.get("views", [])):
        try:
            views.append(SavedView.from_dict(v))
        except (KeyError, TypeError, ValueError) as exc:
            raise ProjectError(f"{p}: views[{i}] is incomplete or malformed ({exc})") from None
    doc["views"] = views
    slides = []
    for i, d in enumerate(doc.get("slides", [])):
        try:
            slides.append(Slide.from_dict(d))
        except (KeyError, TypeError, ValueError) as exc:
            raise ProjectError(f"{p}: slides[{i}] is incomplete or malformed ({exc})") from None
    doc["deck"] = Deck(slides, str(doc.get("deck_title", "")))
    try:
        doc["tour"] = Tour.from_dict(doc.get("tour", {}))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ProjectError(f"{p}: [tour] is incomplete or malformed ({exc})") from None
    doc["schedule"] = _read_schedule_table(p, doc.get("schedule"))
    doc["feeds"] = _read_feeds(p, doc.get("feeds", []))
    return doc


def _read_feeds(p: Path, tables: Any) -> list[str]:
    """``[[feeds]]`` as feed URLs; a relative ``file:`` log is relative to the project."""
    if not isinstance(tables, list):
        raise ProjectError(f"{p}: 'feeds' must be [[feeds]] tables with a 'url'")
    urls = []
    for i, t in enumerate(tables):
        if not isinstance(t, dict) or not isinstance(t.get("url"), str) or not t["url"].strip():
            raise ProjectError(f'{p}: feeds[{i}] needs a url, e.g. url = "mqtt://host:1883"')
        if set(t) - {"url"}:
            raise ProjectError(f"{p}: feeds[{i}]: unknown keys {sorted(set(t) - {'url'})}")
        url = t["url"].strip()
        if url.startswith("file:") and not url.startswith("file://"):
            path, sep, query = url[5:].partition("?")
            if path and not Path(path).is_absolute():
                url = f"file:{(p.parent / path).resolve()}{sep}{query}"
        urls.append(url)
    return urls


def _read_schedule_table(p: Path, table: Any) -> Any:
    """The ``[schedule]`` table as a ScheduleSource with an absolute path (or None)."""
    if table is None:
        return None
    from alatau_twin.io.schedule_import import ScheduleSource

    if not isinstance(table, dict) or not isinstance(table.get("path"), str):
        raise ProjectError(f"{p}: [schedule] needs a 'path' (a file relative to the project)")
    unknown = set(table) - _SCHEDULE_KEYS
    if unknown:
        raise ProjectError(
            f"{p}: [schedule]: unknown keys {sorted(unknown)}; known: {sorted(_SCHEDULE_KEYS)}"
        )
    for key in ("link_by", "task_field"):
        if key in table and not (isinstance(table[key], str) and table[key].strip()):
            raise ProjectError(f"{p}: [schedule] {key} must be an attribute or field name")
    for key in ("replace", "include_summary"):
        if key in table and not isinstance(table[key], bool):
            raise ProjectError(f"{p}: [schedule] {key} must be true or false")
    return ScheduleSource(
        path=str((p.parent / table["path"]).resolve()),
        link_by=table.get("link_by", "id"),
        task_field=table.get("task_field"),
        replace=table.get("replace", False),
        include_summary=table.get("include_summary", False),
    )


def apply_project_views(scene: Scene, doc: dict[str, Any]) -> None:
    """Put a project's saved views into a loaded scene."""
    for view in doc["views"]:
        scene.saved_views[view.name] = view
    if doc.get("deck") is not None and (doc["deck"].slides or doc["deck"].title):
        scene.deck = doc["deck"]
    if doc.get("tour") is not None and doc["tour"].keyframes:
        scene.tour = doc["tour"]
    if doc.get("feeds"):
        scene.metadata["feeds"] = list(doc["feeds"])


def _relative(path: Path, base: Path) -> str:
    try:
        return os.path.relpath(path, base)
    except ValueError:  # another drive on Windows
        return str(path)
