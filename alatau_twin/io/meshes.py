"""3D model files (glTF/GLB, OBJ, PLY, STL) into mesh layers (io: no Qt, no VTK).

A model file becomes one :class:`~alatau_twin.core.layers.MeshLayer`: every scene-graph
node that carries geometry is one feature (one row of the attribute table), and all
features are merged into one :class:`~alatau_twin.core.mesh.TriangleMesh` with a
``feature_index`` cell array, because thousands of VTK actors are slow.

glTF/GLB is read by :mod:`alatau_twin.io.gltf`, not trimesh, whose import alone (~1.2 s)
costs more than reading a city model; trimesh reads OBJ/PLY/STL/OFF and the glTF files
that reader does not support (Draco/meshopt compression, specular-glossiness).

Placing a model in the scene is the hard part, because model files rarely say where
they are. The rules, in order:

1. Axes: glTF is Y-up by its specification (OBJ by convention); STL and PLY are taken
   as Z-up. A Y-up file whose x/y look like projected coordinates and whose z range is
   the smallest (the CityJSON2glTF city models) is really Z-up: that is inferred and
   reported. ``Georef.up`` overrides the guess.
2. An explicit :class:`Georef` (scale, rotation, origin in a CRS) is applied as given.
3. Coordinates that look projected (far from 0 compared with the model's size) are
   placed where they are, given a CRS (``Georef.crs`` or the scene frame's).
   Without any CRS that is an error: guessing would put the model on the wrong continent.
4. Anything else is "not georeferenced": centred on the scene origin, standing on z = 0.

Real files are broken in known ways; the loader says so instead of hiding the model far
away. The Den Haag glTF made by CityJSON2glTF holds the raw quantised CityJSON integers
(the ``transform`` was never applied): it is flagged, centred and warned about, and loads
correctly given ``Georef(scale=0.001, origin=...)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from alatau_twin.core.attributes import AttributeTable
from alatau_twin.core.frame import SceneFrame
from alatau_twin.core.layers import Layer, LayerReport, MeshLayer
from alatau_twin.core.mesh import TriangleMesh, column_range
from alatau_twin.io.gltf import GltfError, GltfUnsupported, read_gltf

MESH_SUFFIXES = {".gltf", ".glb", ".obj", ".ply", ".stl", ".off"}
DEFAULT_COLOR = "#d9d9d9"
# Projected coordinates (UTM, RD New, ...) are tens of kilometres or more from 0.
_PROJECTED_MIN = 1e4
# A model spanning more than this in one axis while holding only integers is a
# quantised CityJSON dump (Den Haag spans ~790 km "metres"), not a real place.
_QUANTISED_MIN_SPREAD = 1e5
# Formats whose convention is Y up; the rest are taken as Z up (CAD, scanners, printers).
_Y_UP_SUFFIXES = {".gltf", ".glb", ".obj"}
# trimesh names the per-primitive child frames of a multi-primitive glTF mesh
# "<node>_<6 random hex>" (trimesh/exchange/gltf/__init__.py, util.unique_id), which
# changes on every load; such ids are replaced by "<node>#<k>" to stay stable.
_PRIMITIVE_FRAME_RE = re.compile(r"^(?P<node>.*)_[0-9a-f]{6}$")
# glTF (x, y, z) with +Y up -> scene (x, y, z) with +Z up: a proper rotation of
# +90 degrees about x, so handedness and triangle winding are kept.
_Y_UP_TO_Z_UP = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
_EYE4 = np.eye(4)


class MeshError(ValueError):
    """A 3D model file that cannot be used, with the file named in the message."""


@dataclass(frozen=True)
class Georef:
    """Where a model sits in the world, for files that do not say so themselves.

    Model coordinates ``p`` (after conversion to Z up) map to world coordinates
    ``origin + Rz(rotation_deg) @ (scale * p)`` in ``crs``.

    - ``crs``: the CRS of ``origin`` (or of the file's own projected coordinates), as
      ``"EPSG:28992"`` or an EPSG number; None means the scene frame's CRS.
    - ``origin``: (easting, northing, height) of the model's origin in ``crs``; None
      means "not given" (a projected model stays where it is, others are centred).
    - ``rotation_deg``: counter-clockwise about +z seen from above (maths convention,
      from +x/east towards +y/north), *not* a compass bearing.
    - ``scale``: model units to metres (0.001 for millimetres or quantised CityJSON).
    - ``up``: the file's up axis; None infers it (see the module docstring).
    """

    crs: str | int | None = None
    origin: tuple[float, float, float] | None = None
    rotation_deg: float = 0.0
    scale: float = 1.0
    up: Literal["y", "z"] | None = None

    @property
    def is_explicit(self) -> bool:
        """True when the user gave a placement (not only a CRS or an axis)."""
        return self.origin is not None or self.scale != 1.0 or self.rotation_deg != 0.0


@dataclass
class _Part:
    """One feature before merging: geometry in model space plus its world matrix."""

    node: str
    label: str
    matrix: np.ndarray
    vertices: np.ndarray
    faces: np.ndarray
    color: tuple[int, int, int] | None
    material: str
    textured: bool


def read_mesh_file(
    path: str | Path, frame: SceneFrame | None = None, georef: Georef | None = None
) -> tuple[list[Layer], SceneFrame]:
    """One :class:`MeshLayer` from a model file, placed in ``frame``.

    ``frame`` None picks one: the CRS of a georeferenced model with the origin at its
    rounded centre, else the default scene frame. Raises :class:`MeshError` naming the
    file when it cannot be read, holds no triangles, or looks projected with no CRS.
    """
    path = Path(path)
    georef = georef or Georef()
    if georef.scale <= 0 or not np.isfinite(georef.scale):
        raise MeshError(f"{path}: scale must be a positive number, got {georef.scale}")
    if not path.exists():
        raise MeshError(f"{path}: no such file")
    parts = _read_parts(path)
    if not parts:
        raise MeshError(f"{path}: the model holds no triangle meshes")
    report = LayerReport(source=str(path))
    mesh, table, colors = _merge(parts, path, report)
    if mesh.n_triangles == 0:
        raise MeshError(f"{path}: the model holds no triangles")
    pts = mesh.points
    if not np.all(np.isfinite(pts)):
        raise MeshError(f"{path}: the model has NaN or infinite vertex coordinates")

    quantised = _looks_quantised(pts)
    pts = _to_z_up(pts, path, georef, report)
    pts = _apply_scale_rotation(pts, georef)
    mesh.points, frame = _place(pts, path, frame, georef, quantised, report)

    layer = MeshLayer(path.name.split(".")[0], mesh, table, report=report)
    layer.colors = colors
    return [layer], frame


# --- reading -------------------------------------------------------------------------


def _read_parts(path: Path) -> list[_Part]:
    """Features of a file: glTF read directly (trimesh if it must), the rest by trimesh."""
    try:
        if path.suffix.lower() in (".gltf", ".glb"):
            try:
                return _gltf_parts(path)
            except GltfUnsupported:
                return _gltf_parts_trimesh(path)
        return _scene_parts(path)
    except MeshError:
        raise
    except GltfError as exc:
        raise MeshError(f"{path}: {exc}") from None
    except Exception as exc:  # trimesh/json/struct raise many types; name the file
        raise MeshError(
            f"{path}: cannot read as a 3D model ({type(exc).__name__}: {exc})"
        ) from None


def _gltf_parts(path: Path) -> list[_Part]:
    """glTF/GLB features from the direct reader: one per node and triangle primitive."""
    return [
        _Part(
            node=p.node,
            label=p.label,
            matrix=p.matrix,
            vertices=p.vertices,
            faces=p.faces,
            color=_rgb(p.base_color),
            material=p.material,
            textured=p.textured,
        )
        for p in read_gltf(path)
    ]


def _gltf_parts_trimesh(path: Path) -> list[_Part]:
    """glTF/GLB features through trimesh, for files :func:`read_gltf` cannot read.

    Used only for Draco/meshopt compression and specular-glossiness materials. It
    avoids ``trimesh.load``, which wraps every primitive in a Trimesh, copying its vertex
    buffer to float64. City glTFs (Delft, Den Haag) share one POSITION accessor among all
    their meshes, so that copies the whole city once per node: Den Haag (1,991 nodes)
    takes 1.2-5 s and ~1 GB. trimesh's glTF parser returns the same arrays as plain
    kwargs in ~0.2 s; the scene graph is then built from its edge list as trimesh does.
    """
    from trimesh.exchange import gltf
    from trimesh.resolvers import FilePathResolver
    from trimesh.scene.transforms import SceneGraph

    loader = gltf.load_glb if path.suffix.lower() == ".glb" else gltf.load_gltf
    with open(path, "rb") as fh:
        kw = loader(fh, resolver=FilePathResolver(str(path)), merge_primitives=False)
    graph = SceneGraph(base_frame=kw.get("base_frame", "world"))
    for edge in kw["graph"]:
        graph.update(**edge)
    geometry: dict[str, dict[str, Any]] = kw["geometry"]
    parts: list[_Part] = []
    for node in graph.nodes_geometry:
        matrix, name = graph[node]
        g = geometry.get(name)
        if g is None or "faces" not in g or "vertices" not in g:
            continue  # points or lines primitives: not drawable as a surface
        color, material, textured = _visual_color(g.get("visual"))
        parts.append(
            _Part(
                node=str(node),
                label=str(name),
                matrix=np.asarray(matrix, float),
                vertices=np.asarray(g["vertices"]),
                faces=np.asarray(g["faces"], dtype=np.int64).reshape(-1, 3),
                color=color,
                material=material,
                textured=textured,
            )
        )
    _stable_primitive_ids(parts, graph)
    return parts


def _scene_parts(path: Path) -> list[_Part]:
    """OBJ/PLY/STL/OFF features through ``trimesh.load(force="scene")``."""
    import trimesh

    scene = trimesh.load(str(path), force="scene")
    parts: list[_Part] = []
    for node in scene.graph.nodes_geometry:
        matrix, name = scene.graph[node]
        geom = scene.geometry.get(name)
        if not isinstance(geom, trimesh.Trimesh) or len(geom.faces) == 0:
            continue
        color, material, textured = _visual_color(getattr(geom, "visual", None))
        parts.append(
            _Part(
                node=str(node),
                label=str(name),
                matrix=np.asarray(matrix, float),
                vertices=np.asarray(geom.vertices),
                faces=np.asarray(geom.faces, dtype=np.int64),
                color=color,
                material=material,
                textured=textured,
            )
        )
    return parts


def _stable_primitive_ids(parts: list[_Part], graph: Any) -> None:
    """Rename trimesh's random per-primitive frames to ``<node>#<k>`` (see the regex)."""
    parents: dict[str, str] = getattr(graph.transforms, "parents", {})
    counter: dict[str, int] = {}
    for p in parts:
        parent = parents.get(p.node)
        m = _PRIMITIVE_FRAME_RE.match(p.node)
        if parent is not None and m is not None and m.group("node") == parent:
            k = counter.get(parent, 0)
            counter[parent] = k + 1
            p.node = f"{parent}#{k}"


def _visual_color(visual: Any) -> tuple[tuple[int, int, int] | None, str, bool]:
    """(RGB of the material base colour or main colour, material name, has texture)."""
    if visual is None:
        return None, "", False
    material = getattr(visual, "material", None)
    if material is not None:
        name = str(getattr(material, "name", None) or "")
        textured = (
            getattr(material, "baseColorTexture", None) is not None
            or getattr(material, "image", None) is not None
        )
        rgba = getattr(material, "baseColorFactor", None)
        if rgba is None and not hasattr(material, "baseColorFactor"):
            rgba = getattr(material, "diffuse", None)  # SimpleMaterial (OBJ .mtl Kd)
        return _rgb(rgba), name, textured
    if getattr(visual, "kind", None) in ("face", "vertex"):
        return _rgb(getattr(visual, "main_color", None)), "", False
    return None, "", False


def _rgb(rgba: Any) -> tuple[int, int, int] | None:
    if rgba is None:
        return None
    c = np.asarray(rgba, dtype=float).ravel()
    if c.size < 3 or not np.all(np.isfinite(c[:3])):
        return None
    if c[:3].max() <= 1.0 and np.asarray(rgba).dtype.kind == "f":
        c = c * 255.0
    r, g, b = np.clip(np.rint(c[:3]), 0, 255).astype(int).tolist()
    return r, g, b


# --- merging -------------------------------------------------------------------------


def _merge(
    parts: list[_Part], path: Path, report: LayerReport
) -> tuple[TriangleMesh, AttributeTable, np.ndarray]:
    """One mesh of all parts, world matrices applied; only referenced vertices kept.

    Parts of city glTFs index into one shared vertex buffer, so each part keeps just
    the vertices its faces use (one small ``np.unique`` per part, no trimesh objects).
    """
    points: list[np.ndarray] = []
    tris: list[np.ndarray] = []
    fidx: list[np.ndarray] = []
    offset = 0
    counts = np.zeros(len(parts), dtype=np.int64)
    for i, p in enumerate(parts):
        faces = p.faces
        if len(faces) == 0:
            continue
        if faces.min() < 0 or faces.max() >= len(p.vertices):
            raise MeshError(f"{path}: node {p.node!r} has face indices past its vertex list")
        used, inverse = np.unique(faces, return_inverse=True)
        v = np.asarray(p.vertices[used], dtype=np.float64)
        f = inverse.reshape(-1, 3).astype(np.int64)
        m = p.matrix
        if not np.array_equal(m, _EYE4):
            v = v @ m[:3, :3].T + m[:3, 3]
            if np.linalg.det(m[:3, :3]) < 0:
                f = f[:, ::-1]  # a mirroring transform flips winding; keep normals outward
        points.append(v)
        tris.append(f + offset)
        fidx.append(np.full(len(f), i, dtype=np.int64))
        counts[i] = len(f)
        offset += len(v)
    if not tris:
        return TriangleMesh.empty(), AttributeTable(), np.zeros((0, 3), np.uint8)
    mesh = TriangleMesh(
        np.concatenate(points), np.concatenate(tris), {"feature_index": np.concatenate(fidx)}
    )
    default = tuple(int(DEFAULT_COLOR[k : k + 2], 16) for k in (1, 3, 5))
    colors = np.array([p.color or default for p in parts], dtype=np.uint8).reshape(-1, 3)
    table = AttributeTable(
        {
            "id": np.array(_unique_names([p.node for p in parts]), dtype=object),
            "name": np.array([p.label for p in parts], dtype=object),
            "triangles": counts,
            "material": np.array([p.material for p in parts], dtype=object),
            "color": np.array(["#{:02x}{:02x}{:02x}".format(*c) for c in colors], dtype=object),
        }
    )
    report.add("features", len(parts))
    report.add("triangles", int(counts.sum()))
    report.add("default_color", sum(p.color is None for p in parts))
    textured = sum(p.textured for p in parts)
    if textured:
        report.add("textured", textured)
        report.warnings.append(
            f"{textured} features have textures, which are not drawn: "
            "they are shown in their material's base colour"
        )
    return mesh, table, colors


def _unique_names(names: list[str]) -> list[str]:
    """Node names made unique ("a", "a (2)", ...) so ``id`` is a usable key."""
    seen: dict[str, int] = {}
    taken = set(names)
    out = []
    for n in names:
        n = n or "node"
        if n not in seen:
            seen[n] = 1
            out.append(n)
            continue
        k = seen[n] + 1
        while f"{n} ({k})" in taken:
            k += 1
        seen[n] = k
        taken.add(f"{n} ({k})")
        out.append(f"{n} ({k})")
    return out


# --- placing -------------------------------------------------------------------------


def _looks_quantised(pts: np.ndarray) -> bool:
    """All coordinates integers and an absurd spread: raw quantised CityJSON vertices."""
    lo, hi = column_range(pts)
    spread = hi - lo
    if spread[:2].max() < _QUANTISED_MIN_SPREAD:
        return False
    return bool(np.all(pts == np.round(pts)))


def _to_z_up(pts: np.ndarray, path: Path, georef: Georef, report: LayerReport) -> np.ndarray:
    """Rotate a Y-up model to Z-up; infer the axis when ``georef.up`` is None."""
    up = georef.up
    if up is None:
        up = "y" if path.suffix.lower() in _Y_UP_SUFFIXES else "z"
        if up == "y":
            lo, hi = column_range(pts)
            spread = hi - lo
            big = np.maximum(np.abs(lo), np.abs(hi))
            if spread[2] < spread[0] and spread[2] < spread[1] and min(big[0], big[1]) > 1e4:
                up = "z"
                report.add("up_axis_inferred")
                report.warnings.append(
                    "up axis inferred as Z: the format says Y up, but x/y look like "
                    "projected coordinates and z has the smallest range"
                )
    elif up not in ("y", "z"):
        raise MeshError(f"{path}: up axis must be 'y' or 'z', got {up!r}")
    return pts @ _Y_UP_TO_Z_UP.T if up == "y" else pts


def _apply_scale_rotation(pts: np.ndarray, georef: Georef) -> np.ndarray:
    out = pts * float(georef.scale) if georef.scale != 1.0 else pts
    if georef.rotation_deg:
        a = np.deg2rad(georef.rotation_deg)
        c, s = np.cos(a), np.sin(a)
        out = out @ np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]]).T
    return out


def _looks_projected(pts: np.ndarray) -> bool:
    """Far from 0 compared with the model's own size, as projected coordinates are."""
    lo, hi = column_range(pts[:, :2])
    cx, cy = (lo + hi) / 2.0
    size = float((hi - lo).max())
    return max(abs(cx), abs(cy)) > _PROJECTED_MIN and float(np.hypot(cx, cy)) > size


def _place(
    pts: np.ndarray,
    path: Path,
    frame: SceneFrame | None,
    georef: Georef,
    quantised: bool,
    report: LayerReport,
) -> tuple[np.ndarray, SceneFrame]:
    """Model-space points (Z up, scaled, rotated) to local scene coordinates."""
    crs = georef.crs if georef.crs is not None else (frame.epsg if frame is not None else None)
    if quantised:
        report.add("quantised")
        if georef.scale == 1.0:
            report.warnings.append(
                "vertex coordinates look like raw quantised CityJSON integers (transform "
                "never applied): the model is scaled x1000 and offset; fix the file or give "
                "a scale of 0.001 and an origin in the project. Shown unscaled, centred on "
                "the scene origin."
            )
            return _centre(pts, report, quiet=True), frame or SceneFrame()
    if georef.origin is not None:
        if crs is None:
            raise MeshError(f"{path}: an origin is given but no CRS; pass --crs")
        world = pts + np.asarray(georef.origin, dtype=float)
        report.add("georeferenced")
        return _to_frame(world, path, crs, frame)
    if _looks_projected(pts):
        if crs is None:
            lo, hi = column_range(pts[:, :2])
            cx, cy = (lo + hi) / 2.0
            raise MeshError(
                f"{path}: coordinates look projected (x≈{cx:,.0f}, y≈{cy:,.0f}) "
                "but no CRS is given; pass --crs"
            )
        report.add("georeferenced")
        return _to_frame(pts, path, crs, frame)
    return _centre(pts, report), frame or SceneFrame()


def _centre(pts: np.ndarray, report: LayerReport, quiet: bool = False) -> np.ndarray:
    """Bounding-box centre to the scene origin, lowest point on z = 0."""
    lo, hi = column_range(pts)
    shift = np.array([(lo[0] + hi[0]) / 2.0, (lo[1] + hi[1]) / 2.0, lo[2]])
    report.add("not_georeferenced")
    if not quiet:
        report.warnings.append(
            "not georeferenced: placed at the scene origin (centred, base at z = 0); "
            "give an origin and CRS to place it"
        )
    return pts - shift


def _to_frame(
    world: np.ndarray, path: Path, crs: str | int, frame: SceneFrame | None
) -> tuple[np.ndarray, SceneFrame]:
    """World coordinates in ``crs`` to local coordinates of ``frame`` (made if None)."""
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    from alatau_twin.io.georef import frame_for_crs, horizontal_crs

    try:
        src = horizontal_crs(CRS.from_user_input(crs))
    except CRSError as exc:
        raise MeshError(f"{path}: cannot use CRS {crs!r} ({exc})") from None
    if frame is None:
        frame = frame_for_crs(src, world[:, 0], world[:, 1])
    out = world.copy()
    if src.to_epsg() != frame.epsg:
        from pyproj import Transformer

        t = Transformer.from_crs(src, frame.epsg, always_xy=True)
        out[:, 0], out[:, 1] = t.transform(world[:, 0], world[:, 1])
    out[:, 0] -= frame.origin_e
    out[:, 1] -= frame.origin_n
    return out, frame
