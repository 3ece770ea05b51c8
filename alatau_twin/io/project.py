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

    [[views]]
    name = "CBD at dusk"
    visible = { Buildings = true, "Power lines" = false }
    filters = { Buildings = "height > 100" }
    [views.camera]
    position = [..]; focal_point = [..]; view_up = [..]; view_angle = 30.0
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

import tomli_w

from alatau_twin.core.scene import Scene
from alatau_twin.core.views import SavedView
from alatau_twin.io.atomic import atomic_write
from alatau_twin.io.loader import SourceOptions

PROJECT_VERSION = 1
_LAYER_KEYS = {"path", "kind", "crs", "name", "lod", "georef", "exaggeration", "style"}
_GEOREF_KEYS = {"origin", "rotation_deg", "scale", "up"}


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
        doc["sources"].append(source)
        doc["options"][source] = SourceOptions(
            crs=entry.get("crs"),
            kind=entry.get("kind"),
            name=entry.get("name"),
            lod=None if entry.get("lod") is None else str(entry["lod"]),
            georef=dict(georef),
            exaggeration=float(entry.get("exaggeration", 1.0)),
            style=dict(entry.get("style", {})),
        )
    views = []
    for i, v in enumerate(doc.get("views", [])):
        try:
            views.append(SavedView.from_dict(v))
        except (KeyError, TypeError, ValueError) as exc:
            raise ProjectError(f"{p}: views[{i}] is incomplete or malformed ({exc})") from None
    doc["views"] = views
    return doc


def apply_project_views(scene: Scene, doc: dict[str, Any]) -> None:
    """Put a project's saved views into a loaded scene."""
    for view in doc["views"]:
        scene.saved_views[view.name] = view


def _relative(path: Path, base: Path) -> str:
    try:
        return os.path.relpath(path, base)
    except ValueError:  # another drive on Windows
        return str(path)
