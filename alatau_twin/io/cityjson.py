"""CityJSON and CityJSONSeq city models into layers (io: json, numpy, pyproj; no Qt, no VTK).

Reads CityJSON 1.0, 1.1 and 2.0 (``.json``, ``.city.json``), the legacy 0.x files
that share its structure, and CityJSONSeq (``.city.jsonl``: a header line with the
``transform`` and CRS, then one ``CityJSONFeature`` per line).

City objects are already 3-D (LoD1/LoD2 solids and surfaces), so nothing is extruded:
every surface polygon (exterior ring plus holes) is triangulated with earcut in the
plane it lies in, oriented like its ring (CityJSON exteriors run counter-clockwise
seen from outside, so normals point out), and merged into ONE triangle mesh per output
layer, as the architecture asks (thousands of actors are slow in VTK):

- ``"<stem> buildings"``: a :class:`BuildingLayer` of Building and BuildingPart (parts
  inherit their parent's attributes and name it in ``parent``), with per-cell
  ``surface`` (ground, wall, roof from the semantic surfaces) and ``cell_colors``;
- ``"<stem> roads"``, ``"<stem> land use"``, ``"<stem> vegetation"``, ``"<stem> water"``,
  ``"<stem> bridges"``, ``"<stem> other"``: :class:`MeshLayer` per kind of object;
- ``"<stem> terrain"``: a :class:`MeshLayer` of TINRelief.

Geometry is stored in the scene frame's local coordinates (x, y minus the origin; z as
in the file). Python loops run per object and per polygon; everything per vertex or
per triangle (transform, normals, orientation, reprojection, welding) is vectorised.
What was chosen or dropped (LoD per object, skipped objects and surfaces, inferred
surface kinds) is counted in each layer's :class:`LayerReport`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from alatau_twin.core.attributes import AttributeTable
from alatau_twin.core.frame import SceneFrame
from alatau_twin.core.layers import BuildingLayer, Layer, LayerReport, MeshLayer
from alatau_twin.core.mesh import SURFACE_GROUND, SURFACE_ROOF, SURFACE_WALL, TriangleMesh
from alatau_twin.core.style import ROAD_COLORS, USE_COLORS, WATER_COLOR, hex_to_rgb

SURFACE_OTHER = 3
# Marks a surface with no semantic object, so buildings can infer roof/wall/ground
# from its normal (the renderer draws roofs for its coarse LoD and casts shadows from
# walls, which would be empty for LoD1 data without semantics).
_NO_SEMANTIC = 255
_SEMANTIC_CODES = {
    "GroundSurface": SURFACE_GROUND,
    "WallSurface": SURFACE_WALL,
    "RoofSurface": SURFACE_ROOF,
}
SEMANTIC_COLORS: dict[int, tuple[int, int, int]] = {
    SURFACE_ROOF: hex_to_rgb("#c0504d"),
    SURFACE_WALL: hex_to_rgb("#ebe6dc"),
    SURFACE_GROUND: hex_to_rgb("#8c8c8c"),
}
# A vertex counts as "top" (moved when a building grows) when it stands this far
# above the feature's lowest point; see _building_layer for why not only the maximum.
TOP_TOLERANCE_M = 0.05

_MESH_TYPES = {"MultiSurface", "CompositeSurface", "Solid", "MultiSolid", "CompositeSolid"}

# Output layers, in the order they are returned: key -> (name suffix, feature colour).
_GROUPS: dict[str, tuple[str, tuple[int, int, int]]] = {
    "buildings": ("buildings", USE_COLORS["residential"]),
    "roads": ("roads", ROAD_COLORS["street"]),
    "landuse": ("land use", hex_to_rgb("#cfe0b0")),
    "vegetation": ("vegetation", hex_to_rgb("#5f9e4f")),
    "water": ("water", WATER_COLOR),
    "bridges": ("bridges", hex_to_rgb("#a0a0a0")),
    "other": ("other", hex_to_rgb("#b4b4b4")),
    "terrain": ("terrain", hex_to_rgb("#b8b09a")),
}
_GROUP_KEYS = list(_GROUPS)
_TYPE_GROUPS = {
    "Road": "roads",
    "Railway": "roads",
    "TransportSquare": "roads",
    "TransportationComplex": "roads",
    "LandUse": "landuse",
    "PlantCover": "vegetation",
    "SolitaryVegetationObject": "vegetation",
    "WaterBody": "water",
    "Waterway": "water",
    "TINRelief": "terrain",
}
_RESERVED = ("id", "type", "parent", "lod", "height", "height_source")
_SNIFF_RE = re.compile(rb'"type"\s*:\s*"CityJSON(Feature)?"|"CityObjects"\s*:')


class CityJSONError(ValueError):
    """A CityJSON file that cannot be used, with the file named in the message."""


def is_cityjson(path: str | Path) -> bool:
    """True when the file looks like CityJSON or CityJSONSeq, from its first bytes.

    ``.json`` is shared with GeoJSON, so the loader asks this before choosing a reader.
    Some writers put ``"type"`` after the (large) ``CityObjects`` member, so the
    ``CityObjects`` key alone is accepted too; GeoJSON never has it.
    """
    try:
        with open(path, "rb") as f:
            head = f.read(65536)
    except OSError:
        return False
    return _SNIFF_RE.search(head) is not None


@dataclass
class _Chunk:
    """City objects with the vertex array their indices point into (one per file/line)."""

    objects: dict[str, Any]
    vertices: np.ndarray  # (n, 3) float64, transform applied
    base: int = 0  # index of vertices[0] in the merged vertex array


@dataclass
class _Model:
    """A whole file: its chunks, header (CRS, templates) and what was skipped reading it."""

    header: dict[str, Any]
    chunks: list[_Chunk]
    skipped_lines: int = 0
    warnings: list[str] = field(default_factory=list)


class _BadGeometry(Exception):
    """An object's geometry cannot be used (indices out of range, broken nesting)."""


def read_cityjson(
    path: str | Path,
    frame: SceneFrame | None = None,
    crs: str | None = None,
    lod: str | None = None,
) -> tuple[list[Layer], SceneFrame]:
    """Layers from a CityJSON or CityJSONSeq file, in ``frame`` (chosen from data if None).

    ``crs`` (e.g. ``"EPSG:7415"``) overrides the file's ``metadata.referenceSystem``;
    compound CRSs (RD New + NAP) use their horizontal part. ``lod`` (``"2.2"``, ``"1"``,
    ``"2"``) picks that LoD where an object has it (``"2"`` matches the highest 2.x);
    by default each object's highest LoD is used.
    """
    path = Path(path)
    model = _load(path)
    src_epsg, src_projected, note = _source_crs(path, model.header, crs)
    if note:
        model.warnings.append(note)
    lod_want = _lod_str(lod) if lod is not None else None

    # Objects of every chunk by id, for parent look-ups across CityJSONSeq lines.
    all_objects: dict[str, Any] = {}
    for chunk in model.chunks:
        all_objects.update(chunk.objects)

    vertices = [c.vertices for c in model.chunks]
    n_base = sum(len(v) for v in vertices)
    templates = _templates(model.header)
    extra: list[np.ndarray] = []  # instanced template vertices, appended after the chunks

    reports = {g: LayerReport(source=str(path)) for g in _GROUP_KEYS}
    rows: dict[str, list[dict[str, Any]]] = {g: [] for g in _GROUP_KEYS}
    measured: dict[str, list[float]] = {g: [] for g in _GROUP_KEYS}
    flat = _Flat()
    skipped: dict[str, dict[str, list[str]]] = {g: {} for g in _GROUP_KEYS}
    n_extra = 0

    for chunk in model.chunks:
        nloc = len(chunk.vertices)
        for oid, obj in chunk.objects.items():
            if not isinstance(obj, dict):
                skipped["other"].setdefault("not an object", []).append(str(oid))
                continue
            otype = str(obj.get("type", "?"))
            group = _group_of(otype)
            geoms = [
                g
                for g in (obj.get("geometry") or [])
                if isinstance(g, dict) and g.get("type") in _MESH_TYPES | {"GeometryInstance"}
            ]
            chosen_lod = None
            row = len(rows[group])
            mark = flat.mark()
            try:
                geoms = [_resolve_instance(g, templates, chunk) for g in geoms]
                lods = [_lod_str(g.get("lod")) for g in geoms]
                chosen_lod, fallback = _choose_lod(lods, lod_want)
                if fallback:
                    reports[group].add("lod_fallback")
                for g, glod in zip(geoms, lods, strict=True):
                    if glod != chosen_lod:
                        continue
                    if "_instance_vertices" in g:
                        inst = g["_instance_vertices"]
                        offset, limit = n_base + n_extra, len(inst)
                        extra.append(inst)
                        n_extra += len(inst)
                    else:
                        offset, limit = chunk.base, nloc
                    flat.add_geometry(g, offset, limit, _GROUP_KEYS.index(group), row)
            except (_BadGeometry, TypeError, IndexError, KeyError, ValueError) as exc:
                flat.rollback(mark)
                reason = str(exc) if isinstance(exc, _BadGeometry) else "malformed geometry"
                skipped[group].setdefault(reason, []).append(str(oid))
                continue
            has_geometry = flat.mark()[1] > mark[1]
            if not has_geometry and not obj.get("children"):
                skipped[group].setdefault("no usable geometry", []).append(str(oid))
                continue
            if chosen_lod is not None and has_geometry:
                reports[group].add(f"lod {chosen_lod or '?'}")
            attrs = _merged_attributes(obj, all_objects)
            parents = _parents(obj)
            rows[group].append(
                {
                    "id": str(oid),
                    "type": otype,
                    "parent": parents[0] if parents else None,
                    "lod": chosen_lod if has_geometry else None,
                    "attributes": attrs,
                }
            )
            mh = attrs.get("measuredHeight")
            measured[group].append(
                float(mh) if isinstance(mh, int | float) and not isinstance(mh, bool) else np.nan
            )

    for g in _GROUP_KEYS:
        for reason, ids in skipped[g].items():
            reports[g].add("skipped", len(ids))
            examples = ", ".join(ids[:3]) + (", ..." if len(ids) > 3 else "")
            reports[g].warnings.append(f"{len(ids)} objects skipped ({reason}): {examples}")

    all_vertices = np.concatenate(vertices + extra) if (vertices or extra) else np.zeros((0, 3))
    tri = flat.triangulate(all_vertices)
    first = next((g for g in _GROUP_KEYS if rows[g]), None)
    if first is None:
        raise CityJSONError(f"{path}: no city object with usable geometry")
    if model.skipped_lines:
        reports[first].add("skipped", model.skipped_lines)
    reports[first].warnings.extend(model.warnings)
    for g in _GROUP_KEYS:
        if not rows[g] and reports[g].counts:
            # Every object of this kind was dropped: tell the user on a layer that exists.
            reports[first].add("skipped", reports[g].counts.get("skipped", 0))
            reports[first].warnings.extend(reports[g].warnings)
    # Zero-area surfaces (repeated or collinear vertices) have no plane to triangulate in.
    for gi, n in tri.skipped_surfaces.items():
        reports[_GROUP_KEYS[gi]].add("skipped_surfaces", n)

    used = np.unique(tri.vertex_ids) if len(tri.vertex_ids) else np.zeros(0, dtype=np.int64)
    if frame is None:
        frame = _frame_for(
            all_vertices[used] if len(used) else all_vertices, src_epsg, src_projected
        )
    local = _to_local(all_vertices, used, src_epsg, frame, path)

    stem = path.name.split(".")[0]
    layers: list[Layer] = []
    for gi, g in enumerate(_GROUP_KEYS):
        if not rows[g]:
            continue
        sel = tri.group == gi
        layer = _make_layer(
            g,
            f"{stem} {_GROUPS[g][0]}",
            rows[g],
            np.asarray(measured[g]),
            local,
            tri.vertex_ids[sel],
            tri.rows[sel],
            tri.codes[sel],
            reports[g],
        )
        layer.group = path.name
        layers.append(layer)
    return layers, frame


# -- reading the file -------------------------------------------------------------------


def _load(path: Path) -> _Model:
    """The file's chunks; a problem with the file as a whole raises CityJSONError."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CityJSONError(f"{path}: cannot read the file ({exc})") from None
    name = path.name.lower()
    if name.endswith(".jsonl"):
        return _load_seq(path, text)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data":
            # Several JSON values, one per line: CityJSONSeq saved under a .json name.
            return _load_seq(path, text)
        raise CityJSONError(f"{path}: not valid JSON ({exc}); is the file truncated?") from None
    if not isinstance(doc, dict):
        raise CityJSONError(f"{path}: not a CityJSON file (the top level is not an object)")
    if doc.get("type") == "CityJSONFeature":
        header: dict[str, Any] = {}
        return _Model(header, [_chunk(path, doc, header, "feature")])
    _check_header(path, doc)
    return _Model(doc, [_chunk(path, doc, doc, "file")])


def _load_seq(path: Path, text: str) -> _Model:
    """CityJSONSeq: the header line, then one CityJSONFeature per line.

    A broken feature line is skipped and counted (the rest of the city still loads);
    a broken header is a whole-file error because every line depends on its transform.
    """
    lines = [(i + 1, s) for i, s in enumerate(text.splitlines()) if s.strip()]
    if not lines:
        raise CityJSONError(f"{path}: the file is empty")
    try:
        header = json.loads(lines[0][1])
    except json.JSONDecodeError as exc:
        raise CityJSONError(
            f"{path}: line {lines[0][0]}: header is not valid JSON ({exc})"
        ) from None
    if not isinstance(header, dict):
        raise CityJSONError(f"{path}: line 1 is not a CityJSON header")
    model = _Model(header, [])
    feature_lines = lines
    if header.get("type") == "CityJSONFeature":
        model.header = {}
        model.warnings.append("no CityJSON header line: vertices are read without a transform")
    else:
        _check_header(path, header, seq=True)
        feature_lines = lines[1:]
        if header.get("CityObjects"):
            model.chunks.append(_chunk(path, header, header, "header"))
    base = sum(len(c.vertices) for c in model.chunks)
    bad: list[str] = []
    for lineno, s in feature_lines:
        try:
            feat = json.loads(s)
            if not isinstance(feat, dict) or feat.get("type") != "CityJSONFeature":
                raise ValueError("not a CityJSONFeature")
            chunk = _chunk(path, feat, model.header, f"line {lineno}")
        except (ValueError, CityJSONError) as exc:
            model.skipped_lines += 1
            if len(bad) < 3:
                bad.append(f"line {lineno}: {str(exc).removeprefix(f'{path}: ')[:120]}")
            continue
        chunk.base = base
        base += len(chunk.vertices)
        model.chunks.append(chunk)
    if model.skipped_lines:
        model.warnings.append(
            f"{model.skipped_lines} lines skipped (not valid CityJSONFeature): " + "; ".join(bad)
        )
    return model


def _check_header(path: Path, doc: dict[str, Any], seq: bool = False) -> None:
    if doc.get("type", "CityJSON") != "CityJSON":
        raise CityJSONError(f"{path}: not a CityJSON file (type {doc.get('type')!r})")
    if "CityObjects" not in doc and not seq:
        raise CityJSONError(f"{path}: no CityObjects member; not a CityJSON file")
    version = str(doc.get("version", ""))
    if version and version.split(".")[0] == "0":
        major_minor = tuple(int(p) for p in re.findall(r"\d+", version)[:2])
        if major_minor < (0, 6):
            raise CityJSONError(
                f"{path}: CityJSON {version} is too old to read; upgrade it with "
                f"`cjio {path.name} upgrade save out.city.json`"
            )


def _chunk(path: Path, doc: dict[str, Any], header: dict[str, Any], where: str) -> _Chunk:
    """Objects and transformed vertices of one document (file, header or feature line)."""
    objects = doc.get("CityObjects")
    if not isinstance(objects, dict):
        raise CityJSONError(f"{path}: {where}: CityObjects is missing or not an object")
    raw = doc.get("vertices") or []
    try:
        v = np.asarray(raw, dtype=np.float64)
    except (ValueError, TypeError):
        v = np.zeros((0, 0))
    if v.size == 0:
        v = v.reshape(0, 3)
    if v.ndim != 2 or v.shape[1] != 3:
        raise CityJSONError(f"{path}: {where}: vertices are not [x, y, z] triples")
    transform = header.get("transform") or doc.get("transform")
    if transform:
        try:
            scale = np.asarray(transform.get("scale", [1, 1, 1]), float).reshape(3)
            translate = np.asarray(transform.get("translate", [0, 0, 0]), float).reshape(3)
        except (ValueError, TypeError, AttributeError):
            raise CityJSONError(f"{path}: {where}: transform is malformed") from None
        v = v * scale + translate
    return _Chunk(objects, v)


def _templates(header: dict[str, Any]) -> tuple[list[Any], np.ndarray]:
    gt = header.get("geometry-templates") or {}
    tv = np.asarray(gt.get("vertices-templates") or np.zeros((0, 3)), float).reshape(-1, 3)
    return list(gt.get("templates") or []), tv


def _resolve_instance(g: dict[str, Any], templates: Any, chunk: _Chunk) -> dict[str, Any]:
    """A GeometryInstance as a plain geometry with its own (instanced) vertices."""
    if g.get("type") != "GeometryInstance":
        return g
    tpls, tverts = templates
    t = tpls[int(g["template"])]
    ref = int(g["boundaries"][0])
    if not 0 <= ref < len(chunk.vertices):
        raise _BadGeometry("template reference point out of range")
    m = np.asarray(g.get("transformationMatrix", np.eye(4).ravel()), float).reshape(4, 4)
    inst = tverts @ m[:3, :3].T + m[:3, 3] + chunk.vertices[ref]
    out = dict(t)
    out["_instance_vertices"] = inst
    return out


# -- CRS and frame ----------------------------------------------------------------------


def _epsg_of_reference(value: Any) -> int | None:
    """EPSG code from ``metadata.referenceSystem`` in any of its spellings."""
    if isinstance(value, dict):  # CityJSON 0.x: {"crs": {"epsg": 7415}}
        value = value.get("epsg")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and "epsg" in value.lower():
        digits = re.findall(r"\d+", value.split("EPSG", 1)[-1] if "EPSG" in value else value)
        if digits:
            return int(digits[-1])
    return None


def _source_crs(path: Path, header: dict[str, Any], crs: str | None) -> tuple[int, bool, str]:
    """(horizontal EPSG of the coordinates, is it projected in metres, a warning or "").

    An explicit ``crs`` wins over the file's, because files do carry wrong CRSs; the
    disagreement is reported so a stray global ``--crs`` does not pass unnoticed.
    """
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    md = header.get("metadata") or {}
    file_epsg = None
    if isinstance(md, dict):
        file_epsg = _epsg_of_reference(md.get("referenceSystem") or md.get("crs"))
    if crs:
        try:
            c = CRS.from_user_input(crs)
        except CRSError as exc:
            raise CityJSONError(f"{path}: cannot use CRS {crs!r} ({exc})") from None
    elif file_epsg:
        try:
            c = CRS.from_epsg(file_epsg)
        except CRSError as exc:
            raise CityJSONError(
                f"{path}: unknown reference system EPSG:{file_epsg} ({exc}); "
                "give one with --crs EPSG:XXXX (or a crs override in the project file)"
            ) from None
    else:
        raise CityJSONError(
            f"{path}: the file names no CRS (metadata.referenceSystem); give one with "
            "--crs EPSG:XXXX, e.g. --crs EPSG:28992 for Dutch RD New data "
            "(or a crs override in the project file)"
        )
    h = _horizontal(c)
    epsg = h.to_epsg()
    if epsg is None:
        raise CityJSONError(f"{path}: CRS {c.name!r} has no EPSG code; give one with --crs")
    projected = bool(h.is_projected and h.axis_info[0].unit_name in ("metre", "meter"))
    note = ""
    if crs and file_epsg and file_epsg != c.to_epsg():
        note = f"the file says EPSG:{file_epsg}; read as {crs} as asked"
    return int(epsg), projected, note


def _horizontal(c: Any) -> Any:
    """The horizontal part of a compound CRS (RD New of RD New + NAP), else the CRS."""
    if c.is_compound:
        for sub in c.sub_crs_list:
            if not sub.is_vertical:
                return sub
    if c.is_geographic and len(c.axis_info) == 3:
        return c.to_2d()
    return c


def _frame_for(xyz: np.ndarray, epsg: int, projected: bool) -> SceneFrame:
    """The scene frame for these vertices (see :func:`alatau_twin.io.georef.frame_for_crs`)."""
    if len(xyz) == 0:
        return SceneFrame(epsg, 0.0, 0.0)
    from alatau_twin.io.georef import frame_for_crs

    return frame_for_crs(f"EPSG:{epsg}", xyz[:, 0], xyz[:, 1])


def _to_local(
    xyz: np.ndarray, used: np.ndarray, src_epsg: int, frame: SceneFrame, path: Path
) -> np.ndarray:
    """Used vertices reprojected into the frame's CRS and shifted to its origin."""
    out = np.zeros_like(xyz)
    if len(used) == 0:
        return out
    p = xyz[used]
    x, y = p[:, 0], p[:, 1]
    if frame.epsg != src_epsg:
        from pyproj import CRS, Transformer

        dst = _horizontal(CRS.from_epsg(frame.epsg))
        x, y = Transformer.from_crs(src_epsg, dst, always_xy=True).transform(x, y)
        x, y = np.asarray(x, float), np.asarray(y, float)
        if not (np.isfinite(x).all() and np.isfinite(y).all()):
            raise CityJSONError(
                f"{path}: cannot reproject EPSG:{src_epsg} into the scene's EPSG:{frame.epsg}"
            )
    out[used, 0] = x - frame.origin_e
    out[used, 1] = y - frame.origin_n
    out[used, 2] = p[:, 2]
    return out


# -- objects, LoDs and attributes -------------------------------------------------------


def _group_of(otype: str) -> str:
    if otype.startswith("Building"):
        return "buildings"
    if otype.startswith("Bridge"):
        return "bridges"
    return _TYPE_GROUPS.get(otype, "other")


def _lod_str(value: Any) -> str:
    """LoD as text: CityJSON 1.0 numbers (2, 2.2) and 1.1+ strings ("2.2") alike."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _lod_key(lod: str) -> tuple[float, str]:
    try:
        return (float(lod), lod)
    except ValueError:
        return (-1.0, lod)


def _choose_lod(lods: list[str], want: str | None) -> tuple[str | None, bool]:
    """(LoD to use, whether ``want`` was missing and the highest was used instead)."""
    if not lods:
        return None, False
    if want is None:
        return max(lods, key=_lod_key), False
    if want in lods:
        return want, False
    major = [x for x in lods if x.split(".")[0] == want.split(".")[0]]
    if major:
        return max(major, key=_lod_key), False
    return max(lods, key=_lod_key), True


def _parents(obj: dict[str, Any]) -> list[str]:
    p = obj.get("parents")
    if p is None and obj.get("parent") is not None:  # CityJSON 0.x
        p = [obj["parent"]]
    return [str(x) for x in p] if isinstance(p, list) else []


def _merged_attributes(obj: dict[str, Any], objects: dict[str, Any]) -> dict[str, Any]:
    """The object's attributes over its ancestors' (a part inherits its building's)."""
    chain = [obj]
    seen: set[int] = {id(obj)}
    cur = obj
    for _ in range(8):
        ps = _parents(cur)
        parent = objects.get(ps[0]) if ps else None
        if not isinstance(parent, dict) or id(parent) in seen:
            break
        chain.append(parent)
        seen.add(id(parent))
        cur = parent
    merged: dict[str, Any] = {}
    for o in reversed(chain):
        a = o.get("attributes")
        if isinstance(a, dict):
            merged.update(a)
    return merged


def _table(rows: list[dict[str, Any]]) -> AttributeTable:
    """id, type, parent, lod, then every attribute key (numbers as float, else text)."""
    cols: dict[str, Any] = {
        "id": np.array([r["id"] for r in rows], dtype=object),
        "type": np.array([r["type"] for r in rows], dtype=object),
        "parent": np.array([r["parent"] for r in rows], dtype=object),
        "lod": np.array([r["lod"] for r in rows], dtype=object),
    }
    keys: dict[str, None] = {}
    for r in rows:
        keys.update(dict.fromkeys(r["attributes"]))
    for k in keys:
        values = [r["attributes"].get(k) for r in rows]
        name = f"attr_{k}" if k in _RESERVED else str(k)
        cols[name] = _column(values)
    return AttributeTable(cols)


def _column(values: list[Any]) -> np.ndarray:
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return np.array([np.nan if v is None else float(v) for v in values], dtype=float)
    out = np.empty(len(values), dtype=object)
    out[:] = [_text(v) for v in values]
    return out


def _text(v: Any) -> str | None:
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, bool | dict | list):
        return json.dumps(v, ensure_ascii=False)
    return str(v)


# -- surfaces into triangles ------------------------------------------------------------


@dataclass
class _Triangles:
    """All triangles of the file: global vertex ids and, per triangle, group/row/surface."""

    vertex_ids: np.ndarray  # (m, 3) int64 into the merged vertex array
    group: np.ndarray  # (m,) int index into _GROUP_KEYS
    rows: np.ndarray  # (m,) row in that group's table
    codes: np.ndarray  # (m,) uint8 surface code (_NO_SEMANTIC when none)
    skipped_surfaces: dict[int, int]


class _Flat:
    """Surface polygons flattened into lists while walking the JSON, triangulated at once.

    Walking the nested boundaries is the one unavoidable per-ring Python loop; Newell
    normals, projection, orientation and welding then run over numpy arrays.
    """

    def __init__(self) -> None:
        self.idx: list[int] = []  # vertex ids of all rings, concatenated
        self.ring_len: list[int] = []
        self.surf_nrings: list[int] = []
        self.surf_code: list[int] = []
        self.surf_group: list[int] = []
        self.surf_row: list[int] = []

    def mark(self) -> tuple[int, int, int]:
        return (len(self.idx), len(self.surf_code), len(self.ring_len))

    def rollback(self, mark: tuple[int, int, int]) -> None:
        i, s, r = mark
        del self.idx[i:], self.ring_len[r:]
        for lst in (self.surf_nrings, self.surf_code, self.surf_group, self.surf_row):
            del lst[s:]

    def add_geometry(
        self, g: dict[str, Any], offset: int, limit: int, group: int, row: int
    ) -> None:
        """Append the outer-shell surfaces of one geometry (indices checked, shifted)."""
        t = g["type"]
        b = g.get("boundaries") or []
        sem = g.get("semantics") or {}
        values = sem.get("values") if isinstance(sem, dict) else None
        codes = [
            _SEMANTIC_CODES.get(s.get("type"), SURFACE_OTHER)
            if isinstance(s, dict)
            else SURFACE_OTHER
            for s in (sem.get("surfaces") or [] if isinstance(sem, dict) else [])
        ]
        shells: Iterable[tuple[list[Any], Any]]
        if t in ("MultiSurface", "CompositeSurface"):
            shells = [(b, values)]
        elif t == "Solid":
            # Inner shells are voids inside the building: invisible from outside.
            shells = [(b[0] if b else [], values[0] if values else None)]
        else:  # MultiSolid, CompositeSolid
            shells = [
                (solid[0] if solid else [], values[i][0] if values and values[i] else None)
                for i, solid in enumerate(b)
            ]
        for surfaces, vals in shells:
            for j, surface in enumerate(surfaces):
                n_rings = 0
                for k, ring in enumerate(surface):
                    if len(ring) > 1 and ring[-1] == ring[0]:
                        ring = ring[:-1]  # a closing vertex repeated: not CityJSON, but seen
                    if len(ring) < 3:
                        if k == 0:
                            break  # no exterior: drop the surface
                        continue
                    if max(ring) >= limit or min(ring) < 0:
                        raise _BadGeometry("vertex index out of range")
                    self.idx.extend(ring if offset == 0 else [i + offset for i in ring])
                    self.ring_len.append(len(ring))
                    n_rings += 1
                if n_rings == 0:
                    continue
                v = vals[j] if vals is not None and j < len(vals) else None
                self.surf_nrings.append(n_rings)
                self.surf_code.append(
                    codes[v] if v is not None and v < len(codes) else _NO_SEMANTIC
                )
                self.surf_group.append(group)
                self.surf_row.append(row)

    def triangulate(self, vertices: np.ndarray) -> _Triangles:
        """Earcut every polygon in its best-fit plane; orient triangles like the ring."""
        import mapbox_earcut as earcut

        n_surf = len(self.surf_code)
        empty = np.zeros((0, 3), dtype=np.int64)
        if n_surf == 0:
            z = np.zeros(0, dtype=np.int64)
            return _Triangles(empty, z, z, z.astype(np.uint8), {})
        idx = np.asarray(self.idx, dtype=np.int64)
        ring_len = np.asarray(self.ring_len, dtype=np.int64)
        ring_start = np.cumsum(ring_len) - ring_len
        nrings = np.asarray(self.surf_nrings, dtype=np.int64)
        first_ring = np.cumsum(nrings) - nrings
        ring_surf = np.repeat(np.arange(n_surf), nrings)

        # Newell normals of the exterior rings, on coordinates relative to each ring's
        # first vertex (real coordinates reach 1e6 m: products would lose precision).
        p = vertices[idx]
        rel = p - np.repeat(p[ring_start], ring_len, axis=0)
        nxt = np.arange(len(idx)) + 1
        nxt[ring_start + ring_len - 1] = ring_start
        ring_normal = np.add.reduceat(np.cross(rel, rel[nxt]), ring_start, axis=0)
        normal = ring_normal[first_ring]
        length = np.linalg.norm(normal, axis=1)
        ok = length > 1e-9  # twice the area; a zero-area surface has no plane
        unit = np.zeros_like(normal)
        unit[ok] = normal[ok] / length[ok, None]

        # 2-D coordinates in the plane: drop the axis of the largest normal component.
        keep = np.array([[1, 2], [0, 2], [0, 1]])[np.argmax(np.abs(normal), axis=1)]
        vkeep = np.repeat(keep[ring_surf], ring_len, axis=0)
        surf_start = ring_start[first_ring]
        # Relative to the surface's first vertex, so holes share the exterior's origin.
        rel_surf = p - np.repeat(p[surf_start], _surf_sizes(ring_len, first_ring), axis=0)
        uv = np.take_along_axis(rel_surf, vkeep, axis=1)

        simple = ok & (nrings == 1) & (ring_len[first_ring] == 3)
        tri_parts = [surf_start[simple, None] + np.arange(3)]
        surf_parts = [np.flatnonzero(simple)]
        starts = ring_start.tolist()
        lens = ring_len.tolist()
        firsts = first_ring.tolist()
        nr = nrings.tolist()
        for s in np.flatnonzero(ok & ~simple).tolist():
            r0, r1 = firsts[s], firsts[s] + nr[s]
            a = starts[r0]
            b = starts[r1 - 1] + lens[r1 - 1]
            ends = np.asarray([starts[r] + lens[r] - a for r in range(r0, r1)], dtype=np.uint32)
            t = earcut.triangulate_float64(uv[a:b], ends)
            if len(t):
                tri_parts.append(t.reshape(-1, 3).astype(np.int64) + a)
                surf_parts.append(np.full(len(t) // 3, s))
        pos = np.concatenate(tri_parts)
        tri_surf = np.concatenate(surf_parts).astype(np.int64)
        vid = idx[pos]

        # Orient each triangle like its polygon's ring; drop slivers earcut leaves
        # on collinear vertices.
        q = vertices[vid]
        tn = np.cross(q[:, 1] - q[:, 0], q[:, 2] - q[:, 0])
        flip = np.einsum("ij,ij->i", tn, unit[tri_surf]) < 0
        vid[flip] = vid[flip][:, [0, 2, 1]]
        keep_tri = np.linalg.norm(tn, axis=1) > 1e-10
        vid, tri_surf = vid[keep_tri], tri_surf[keep_tri]

        group = np.asarray(self.surf_group, dtype=np.int64)
        bad_groups, bad_counts = np.unique(group[~ok], return_counts=True)
        return _Triangles(
            vid,
            group[tri_surf],
            np.asarray(self.surf_row, dtype=np.int64)[tri_surf],
            np.asarray(self.surf_code, dtype=np.uint8)[tri_surf],
            dict(zip(bad_groups.tolist(), bad_counts.tolist(), strict=True)),
        )


def _surf_sizes(ring_len: np.ndarray, first_ring: np.ndarray) -> np.ndarray:
    """Number of ring vertices in each surface (exterior plus holes)."""
    return np.add.reduceat(ring_len, first_ring)


# -- layers ------------------------------------------------------------------------------


def _make_layer(
    group: str,
    name: str,
    rows: list[dict[str, Any]],
    measured: np.ndarray,
    local: np.ndarray,
    vertex_ids: np.ndarray,
    tri_rows: np.ndarray,
    codes: np.ndarray,
    report: LayerReport,
) -> Layer:
    """One merged mesh for a layer; each feature gets its own copy of shared vertices.

    Vertices are welded per (feature, vertex), so neighbouring buildings that share
    CityJSON vertices still move independently when they grow.
    """
    n = len(rows)
    nv = max(len(local), 1)
    key = tri_rows[:, None] * nv + vertex_ids
    uniq, inv = np.unique(key.ravel(), return_inverse=True)
    point_row = (uniq // nv).astype(np.int32)
    points = local[uniq % nv].copy()
    mesh = TriangleMesh(
        points,
        inv.reshape(-1, 3).astype(np.int64),
        cell_data={"feature_index": tri_rows.astype(np.int32), "surface": codes.copy()},
        point_data={"feature_index": point_row},
    )
    table = _table(rows)
    zmin = np.full(n, np.inf)
    zmax = np.full(n, -np.inf)
    np.minimum.at(zmin, point_row, points[:, 2])
    np.maximum.at(zmax, point_row, points[:, 2])
    _fill_from_children(table, zmin, zmax)
    color = _GROUPS[group][1]

    if group != "buildings":
        mesh.cell_data["surface"][mesh.cell_data["surface"] == _NO_SEMANTIC] = SURFACE_OTHER
        layer: Layer = MeshLayer(name, mesh, table, report=report)
        layer.colors[:] = color
        return layer

    surface = mesh.cell_data["surface"]
    missing = surface == _NO_SEMANTIC
    if missing.any():
        surface[missing] = _surface_from_normals(mesh.triangle_normals()[missing])
        report.add("surfaces_inferred", int(missing.sum()))
    has = np.isfinite(measured) & (measured > 0)
    height = np.where(has, measured, np.where(np.isfinite(zmax), zmax - zmin, np.nan))
    table["height"] = height
    table["height_source"] = np.where(has, "measured", "derived").astype(object)
    report.add("measured", int(has.sum()))
    report.add("derived", int((~has).sum()))
    base = np.where(np.isfinite(zmin), zmin, 0.0)
    # Every vertex above the feature's base is "top": for flat LoD1 roofs that is the
    # roof, and for LoD2 it scales eaves and ridges alike, so a growing building keeps
    # its roof shape and shadows get each vertex's true height (not only the ridge's).
    mesh.point_data["is_top"] = points[:, 2] > base[point_row] + TOP_TOLERANCE_M
    layer = BuildingLayer(name, mesh, table, base=base, report=report)
    layer.colors[:] = color
    cell_colors = layer.colors[mesh.cell_data["feature_index"]]
    for code, rgb in SEMANTIC_COLORS.items():
        cell_colors[surface == code] = rgb
    layer.cell_colors = cell_colors  # type: ignore[attr-defined]
    return layer


def _fill_from_children(table: AttributeTable, zmin: np.ndarray, zmax: np.ndarray) -> None:
    """A parent without geometry of its own (a Building of parts) spans its children."""
    ids = table["id"]
    parents = table["parent"]
    index = {str(v): i for i, v in enumerate(ids)}
    for i, p in enumerate(parents):
        j = index.get(str(p)) if p is not None else None
        if j is not None and np.isfinite(zmin[i]):
            zmin[j] = min(zmin[j], zmin[i])
            zmax[j] = max(zmax[j], zmax[i])


def _surface_from_normals(normals: np.ndarray) -> np.ndarray:
    """Roof, wall or ground from a triangle's normal, for surfaces without semantics."""
    nz = normals[:, 2] / np.maximum(np.linalg.norm(normals, axis=1), 1e-12)
    out = np.full(len(normals), SURFACE_WALL, dtype=np.uint8)
    out[nz > 0.1] = SURFACE_ROOF
    out[nz < -0.1] = SURFACE_GROUND
    return out
