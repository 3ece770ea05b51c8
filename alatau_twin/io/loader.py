"""Turn what the user named into a scene (io: no Qt, no VTK).

No sources means the embedded Alatau sample twin; one ``.toml`` is a project; anything
else is data: GIS vectors, CityJSON, 3D models, terrain rasters, each through its
reader into layers of one scene frame. A file that fails is reported by name and the
others still load, because one broken file must not cost the user the rest of the
session. Once everything is in, layers without real heights are draped on the terrain.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from alatau_twin.core.frame import SceneFrame
from alatau_twin.core.layers import (
    AreaLayer,
    BuildingLayer,
    Layer,
    LineLayer,
    PointLayer,
    TerrainLayer,
)
from alatau_twin.core.scene import Scene, SceneInfo
from alatau_twin.core.views import CameraView

VECTOR_SUFFIXES = {
    ".gpkg", ".geojson", ".json", ".shp", ".fgb", ".parquet", ".gml", ".kml", ".csv", ".gpx"
}  # fmt: skip
MESH_SUFFIXES = {".gltf", ".glb", ".obj", ".ply", ".stl"}
RASTER_SUFFIXES = {".tif", ".tiff", ".hgt", ".dem", ".asc", ".vrt"}
CITYJSON_SUFFIXES = {".jsonl"}
NETWORK_SUFFIXES = {".inp"}  # EPANET models


class LoadError(Exception):
    """Nothing usable could be loaded; the message names each file and the reason."""


@dataclass
class SourceOptions:
    """Per-file options a project (or the command line) can give a source."""

    crs: str | None = None
    # vector | buildings | areas | cityjson | mesh | terrain | network (None: by file type)
    kind: str | None = None
    name: str | None = None
    lod: str | None = None
    georef: dict[str, Any] = field(default_factory=dict)
    exaggeration: float = 1.0
    style: dict[str, Any] = field(default_factory=dict)  # {color_by = "height", kind = ...}
    # kind = "network": its name ("water"), the snapping tolerance for GIS lines without
    # from/to columns (m), and where an EPANET model's (0, 0) lies in ``crs``.
    network: str | None = None
    snap: float | None = None
    origin: tuple[float, float] | None = None


def file_kind(path: Path) -> str | None:
    """What reader a file needs, from its name (and a sniff for ``.json``)."""
    name = path.name.lower()
    suffix = path.suffix.lower()
    if name.endswith((".city.json", ".city.jsonl")) or suffix in CITYJSON_SUFFIXES:
        return "cityjson"
    if name.endswith(".hgt.zip"):
        return "terrain"
    if suffix == ".json" and _sniff_cityjson(path):
        return "cityjson"
    if suffix in VECTOR_SUFFIXES:
        return "vector"
    if suffix in MESH_SUFFIXES:
        return "mesh"
    if suffix in RASTER_SUFFIXES:
        return "terrain"
    if suffix in NETWORK_SUFFIXES:
        return "network"
    return None


def _sniff_cityjson(path: Path) -> bool:
    from alatau_twin.io.cityjson import is_cityjson

    return is_cityjson(path)


def load_scene(
    sources: Sequence[str | Path] = (),
    crs: str | None = None,
    options: dict[str, SourceOptions] | None = None,
) -> Scene:
    """The sample when ``sources`` is empty, a project for one ``.toml``, else data files.

    ``crs`` (e.g. ``"EPSG:32643"``) is assigned to files that carry none; ``options``
    maps a source path to per-file options (from a project file). Schedule files among
    the sources (Microsoft Project XML, schedule CSV) are laid over the scene the other
    sources make (the sample when there are none), linked by feature ``id``.
    """
    schedules = [s for s in sources if _is_schedule(Path(s))]
    if schedules:
        return _load_with_schedules(sources, schedules, crs, options)
    if len(sources) == 1 and Path(sources[0]).suffix.lower() == ".toml":
        return load_project_scene(Path(sources[0]), crs)
    if not sources:
        from alatau_twin.io.sample import build_sample_scene
        from alatau_twin.io.sample_deck import attach_sample_presentation

        # The sample comes with its default slide deck and camera tour.
        return attach_sample_presentation(build_sample_scene())
    options = options or {}
    frame: SceneFrame | None = None
    messages: list[str] = []
    layers: list[Layer] = []
    together = _network_groups(sources, options)
    for src in sources:
        path = Path(src)
        opts = options.get(str(src)) or SourceOptions()
        group = together.get(str(src), [str(src)])
        if group[0] != str(src):
            continue  # read with the first file of its network
        try:
            if len(group) > 1:
                new, frame = read_network_files([Path(g) for g in group], frame, opts, crs)
            else:
                new, frame = read_source(path, frame, opts, crs)
        except SourceError as exc:
            messages.append(str(exc))
            continue
        if opts.name and len(new) == 1:
            new[0].name = opts.name
        if opts.style.get("color_by"):
            messages.extend(_apply_style(new, opts.style, path))
        layers.extend(new)
    if frame is None or not layers:
        raise LoadError("nothing could be loaded:\n  " + "\n  ".join(messages))
    scene = Scene(frame, SceneInfo(title=Path(sources[0]).name))
    for layer in layers:
        name, k = layer.name, 2
        while layer.name in scene.layers:
            layer.name = f"{name} ({k})"
            k += 1
        scene.layers.append(layer)
    _add_networks(scene)
    if len(sources) > 1:
        scene.info.title = f"{len(layers)} layers from {len(sources)} files"
    drape_on_terrain(scene)
    for layer in scene.layers:
        messages.extend(f"{layer.name}: {w}" for w in layer.report.warnings)
    scene.metadata["messages"] = messages
    scene.sources = [str(Path(s).resolve()) for s in sources if Path(s).exists()]
    add_fit_views(scene)
    return scene


def _apply_style(layers: list[Layer], style: dict[str, Any], path: Path) -> list[str]:
    """Colour layers by an attribute as a project asks; problems become messages."""
    from alatau_twin.core.styling import style_layer

    problems = []
    for layer in layers:
        try:
            style_layer(layer, str(style["color_by"]), style.get("kind"))
        except (KeyError, ValueError) as exc:
            problems.append(f"{path}: style of {layer.name}: {exc}")
    return problems


class SourceError(Exception):
    """One source could not be used (the message names the file)."""


def read_source(
    path: Path, frame: SceneFrame | None, opts: SourceOptions, default_crs: str | None = None
) -> tuple[list[Layer], SceneFrame]:
    """Layers of one data file, in ``frame`` (chosen from the data when None)."""
    if not path.exists():
        raise SourceError(f"{path}: no such file")
    if path.suffix.lower() == ".toml":
        raise SourceError(f"{path}: a project file must be opened on its own")
    kind = opts.kind or file_kind(path)
    crs = opts.crs or default_crs
    try:
        if opts.kind is None and kind == "vector":
            from alatau_twin.io.network_import import sniff_network

            kind = "network" if sniff_network(path) else kind
        if kind == "network":
            from alatau_twin.io.network_import import read_network_source

            return read_network_source(path, frame, opts, crs)
        if kind in ("vector", "buildings", "areas"):
            from alatau_twin.io.vector import read_vector

            return read_vector(path, frame, crs=crs, expect=kind if kind != "vector" else None)
        if kind == "cityjson":
            from alatau_twin.io.cityjson import read_cityjson

            return read_cityjson(path, frame, crs=crs, lod=opts.lod)
        if kind == "mesh":
            from alatau_twin.io.meshes import Georef, read_mesh_file

            georef = Georef(crs=crs, **opts.georef) if (crs or opts.georef) else None
            return read_mesh_file(path, frame, georef)
        if kind == "terrain":
            from alatau_twin.io.raster import read_terrain

            return read_terrain(path, frame, exaggeration=opts.exaggeration)
    except (ValueError, OSError) as exc:  # every reader's error names the file
        raise SourceError(str(exc) if str(path) in str(exc) else f"{path}: {exc}") from None
    suffix = path.suffix or "(none)"
    raise SourceError(f"{path}: unsupported file type {suffix}")


def read_network_files(
    paths: list[Path], frame: SceneFrame | None, opts: SourceOptions, default_crs: str | None
) -> tuple[list[Layer], SceneFrame]:
    """One network from several GIS files (its links in one, its nodes in another)."""
    from alatau_twin.io.network_import import read_network_source

    for path in paths:
        if not path.exists():
            raise SourceError(f"{path}: no such file")
    try:
        return read_network_source(paths, frame, opts, default_crs)
    except (ValueError, OSError) as exc:
        raise SourceError(str(exc)) from None


def _network_groups(
    sources: Sequence[str | Path], options: dict[str, SourceOptions]
) -> dict[str, list[str]]:
    """GIS files of kind "network" that name the same network are read as one (lines
    in one file, points in another): each such source -> its group, in order."""
    by_name: dict[str | None, list[str]] = {}
    for src in sources:
        opts = options.get(str(src))
        if opts is None or opts.kind != "network" or Path(src).suffix.lower() == ".inp":
            continue
        by_name.setdefault(opts.network, []).append(str(src))
    return {s: group for group in by_name.values() if len(group) > 1 for s in group}


def _add_networks(scene: Scene) -> None:
    """Networks imported with their layers go into ``scene.networks`` (a repeated name
    gets " (2)", in the layers' ``network`` column too, so live status still finds
    them); their reports go into ``scene.metadata["network_reports"]`` for ``info``."""
    for layer in scene.layers:
        net = getattr(layer, "network_model", None)
        if net is None:
            continue
        base = name = str(layer.network_name)  # type: ignore[attr-defined]
        k = 2
        while name in scene.networks:
            name = f"{base} ({k})"
            k += 1
        if name != base:
            for other in (layer, getattr(layer, "network_points", None)):
                if other is not None and "network" in other.table:
                    other.table["network"] = [name] * other.n_features
        scene.networks[name] = net
        report = layer.network_report.to_dict()  # type: ignore[attr-defined]
        scene.metadata.setdefault("network_reports", {})[name] = report


def drape_on_terrain(scene: Scene) -> None:
    """Put layers that came without heights onto the scene's terrain.

    GIS footprints are extruded from their base, which loading set to 0; lines and
    points sit at fixed small heights. With a terrain in the scene they follow the
    ground instead (buildings at the terrain height under their centroid).
    """
    terrain = next((x for x in scene.layers if isinstance(x, TerrainLayer)), None)
    if terrain is None:
        return
    ground = terrain.display_elevation_at
    for layer in scene.layers:
        if getattr(layer, "draped", None) is not False:
            continue
        if isinstance(layer, BuildingLayer) and layer.footprints is not None:
            import shapely

            from alatau_twin.core.extrude import extrude_footprints

            c = shapely.centroid(layer.footprints)
            ok = ~shapely.is_missing(c)
            xy = np.zeros((layer.n_features, 2))
            xy[ok] = shapely.get_coordinates(c[ok])
            base = np.where(ok, ground(xy[:, 0], xy[:, 1]), 0.0)
            mh = layer.table_min_height()
            layer.mesh = extrude_footprints(
                layer.footprints, np.asarray(layer.table["height"], float), base, mh
            )
            layer.base = base
            layer._full_z = layer.mesh.points[:, 2].copy()
        elif isinstance(layer, AreaLayer) and getattr(layer, "polygons", None) is not None:
            from alatau_twin.io.vector import drape_area_layer

            drape_area_layer(layer, ground)
        elif isinstance(layer, LineLayer | PointLayer):
            pts = layer.points
            pts[:, 2] = ground(pts[:, 0], pts[:, 1]) + pts[:, 2]
        else:
            continue
        layer.draped = True  # type: ignore[attr-defined]
        layer.report.add("draped_on_terrain", layer.n_features)


def load_project_scene(path: Path, crs: str | None = None) -> Scene:
    """A scene from a project file: its sources (or the sample) plus its saved views."""
    from alatau_twin.io.project import ProjectError, apply_project_views, read_project

    try:
        doc = read_project(path)
    except ProjectError as exc:
        raise LoadError(str(exc)) from None
    scene = load_scene(doc["sources"], crs=crs or doc.get("crs"), options=doc["options"])
    if doc.get("title"):
        scene.info.title = str(doc["title"])
    apply_project_views(scene, doc)
    scene.metadata["project"] = str(path.resolve())
    if doc.get("schedule") is not None:
        from alatau_twin.io.schedule_import import apply_schedule_source

        problems = apply_schedule_source(scene, doc["schedule"])
        scene.metadata.setdefault("messages", []).extend(problems)
    return scene


def _is_schedule(path: Path) -> bool:
    if path.suffix.lower() not in {".xml", ".csv", ".tsv", ".mspdi"}:
        return False
    from alatau_twin.io.schedule_import import is_schedule_file

    return is_schedule_file(path)


def _load_with_schedules(
    sources: Sequence[str | Path],
    schedules: list[str | Path],
    crs: str | None,
    options: dict[str, SourceOptions] | None,
) -> Scene:
    """The scene of the other sources, then each schedule over it (linked by id)."""
    from alatau_twin.io.schedule_import import ScheduleSource, apply_schedule_source

    data = [s for s in sources if s not in schedules]
    scene = load_scene(data, crs=crs, options=options)
    messages = scene.metadata.setdefault("messages", [])
    for s in schedules:
        messages.extend(apply_schedule_source(scene, ScheduleSource(str(Path(s).resolve()))))
    return scene


def add_fit_views(scene: Scene) -> None:
    """Overview and top views that frame the whole scene (for data without presets)."""
    xmin, xmax, ymin, ymax, zmin, zmax = scene.bounds()
    target = ((xmin + xmax) / 2, (ymin + ymax) / 2, zmin)
    size = max(xmax - xmin, ymax - ymin, zmax - zmin, 50.0)
    scene.views.setdefault(
        "overview", CameraView.orbit("overview", target, 1.25 * size, azimuth=20, elevation=40)
    )
    scene.views.setdefault("top", CameraView.orbit("top", target, 2.2 * size, elevation=90))
