"""Turn what the user named on the command line into a scene (io: no Qt, no VTK).

No sources means the embedded Alatau sample twin. Data files become layers of one
scene; a file that fails is reported by name and the others still load, because one
broken file must not cost the user the rest of their session.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from alatau_twin.core.layers import Layer
from alatau_twin.core.scene import Scene, SceneInfo
from alatau_twin.core.views import CameraView

VECTOR_SUFFIXES = {
    ".gpkg",
    ".geojson",
    ".json",
    ".shp",
    ".fgb",
    ".parquet",
    ".gml",
    ".kml",
    ".csv",
    ".gpx",
}


class LoadError(Exception):
    """Nothing usable could be loaded; the message names each file and the reason."""


def load_scene(sources: Sequence[str | Path] = (), crs: str | None = None) -> Scene:
    """The sample when ``sources`` is empty, else a scene of the named files.

    ``crs`` (e.g. ``"EPSG:32643"``) is assigned to files that carry none.
    """
    if len(sources) == 1 and Path(sources[0]).suffix.lower() == ".toml":
        return load_project_scene(Path(sources[0]), crs)
    if not sources:
        from alatau_twin.io.sample import build_sample_scene

        return build_sample_scene()
    from alatau_twin.io.vector import VectorError, read_vector

    scene: Scene | None = None
    messages: list[str] = []
    layers: list[Layer] = []
    for src in sources:
        path = Path(src)
        if not path.exists():
            messages.append(f"{path}: no such file")
            continue
        if path.suffix.lower() == ".toml":
            messages.append(f"{path}: a project file must be opened on its own")
            continue
        if path.suffix.lower() not in VECTOR_SUFFIXES:
            messages.append(f"{path}: unsupported file type {path.suffix or '(none)'}")
            continue
        try:
            new, frame = read_vector(path, scene.frame if scene else None, crs=crs)
        except VectorError as exc:
            messages.append(str(exc))
            continue
        if scene is None:
            scene = Scene(frame, SceneInfo(title=path.name))
        layers.extend(new)
    if scene is None or not layers:
        raise LoadError("nothing could be loaded:\n  " + "\n  ".join(messages))
    for layer in layers:
        name = layer.name
        k = 2
        while layer.name in scene.layers:
            layer.name = f"{name} ({k})"
            k += 1
        scene.layers.append(layer)
    if len(sources) > 1:
        scene.info.title = f"{len(layers)} layers from {len(sources)} files"
    scene.metadata["messages"] = messages
    scene.sources = [str(Path(s).resolve()) for s in sources if Path(s).exists()]
    add_fit_views(scene)
    return scene


def load_project_scene(path: Path, crs: str | None = None) -> Scene:
    """A scene from a project file: its sources (or the sample) plus its saved views."""
    from alatau_twin.io.project import ProjectError, apply_project_views, read_project

    try:
        doc = read_project(path)
    except ProjectError as exc:
        raise LoadError(str(exc)) from None
    scene = load_scene(doc["sources"], crs=crs or doc.get("crs"))
    if doc.get("title"):
        scene.info.title = str(doc["title"])
    apply_project_views(scene, doc)
    scene.metadata["project"] = str(path.resolve())
    return scene


def add_fit_views(scene: Scene) -> None:
    """Overview and top views that frame the whole scene (for data without presets)."""
    xmin, xmax, ymin, ymax, zmin, zmax = scene.bounds()
    target = ((xmin + xmax) / 2, (ymin + ymax) / 2, zmin)
    size = max(xmax - xmin, ymax - ymin, zmax - zmin, 50.0)
    scene.views.setdefault(
        "overview", CameraView.orbit("overview", target, 1.6 * size, azimuth=20, elevation=40)
    )
    scene.views.setdefault("top", CameraView.orbit("top", target, 2.2 * size, elevation=90))
