"""glTF 2.0 / GLB geometry read directly (io: numpy and the standard library, no trimesh).

Importing trimesh costs ~1.2 s (it pulls in scipy.spatial, scipy.optimize and networkx),
more than reading a whole city glTF, and a mesh layer needs only positions, triangles,
the node hierarchy and a base colour per primitive. This module reads exactly that:
the JSON (or the GLB container's JSON and BIN chunks), external or base64 ``data:``
buffers, accessors (any component type, ``normalized``, interleaved ``byteStride``) and
the node tree of the default scene.

Files using what this reader does not implement raise :class:`GltfUnsupported`, so the
caller can fall back to trimesh: Draco or meshopt compression, and the
specular-glossiness material model (trimesh converts it to a base colour). Broken
files raise :class:`GltfError`, whose message leaves naming the file to the caller.
"""

from __future__ import annotations

import base64
import binascii
import json
import struct
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

_GLB_MAGIC = b"glTF"
_CHUNK_JSON = 0x4E4F534A
_CHUNK_BIN = 0x004E4942
# glTF componentType -> little-endian numpy dtype.
_COMPONENT_DTYPES = {
    5120: np.dtype("i1"),
    5121: np.dtype("u1"),
    5122: np.dtype("<i2"),
    5123: np.dtype("<u2"),
    5125: np.dtype("<u4"),
    5126: np.dtype("<f4"),
}
_INDEX_COMPONENTS = {5121, 5123, 5125}
# The accessor types geometry reads: indices and positions.
_TYPE_WIDTHS = {"SCALAR": 1, "VEC3": 3}
_TRIANGLES, _TRIANGLE_STRIP, _TRIANGLE_FAN = 4, 5, 6
_COMPRESSED_VIEWS = ("EXT_meshopt_compression", "KHR_meshopt_compression")
_DRACO = "KHR_draco_mesh_compression"
_SPEC_GLOSS = "KHR_materials_pbrSpecularGlossiness"

_Rgba = tuple[float, float, float, float]
# (base colour RGBA 0-1 or None, material name, has a base colour texture)
_Material = tuple[_Rgba | None, str, bool]


class GltfError(ValueError):
    """A broken glTF file; the message says what is wrong, the caller names the file."""


class GltfUnsupported(GltfError):
    """A valid glTF using a feature this reader does not implement (see the module)."""


@dataclass
class GltfPart:
    """One triangle primitive of one node, in model space plus its world matrix.

    ``node`` is the node's name (``node<index>`` when unnamed), with ``#<k>`` appended
    per triangle primitive when its mesh has several, so ids are stable across loads.
    ``label`` is the mesh name (``mesh<index>`` when unnamed), with ``_<j>`` appended
    for the mesh's j-th primitive (j > 0): the names trimesh gave the same geometry.
    """

    node: str
    label: str
    matrix: np.ndarray
    vertices: np.ndarray
    faces: np.ndarray
    base_color: _Rgba | None
    material: str
    textured: bool


@dataclass
class _Primitive:
    """A triangle primitive of a mesh, decoded once however many nodes use the mesh."""

    label: str
    vertices: np.ndarray
    faces: np.ndarray
    material: int | None


def read_gltf(path: str | Path) -> list[GltfPart]:
    """Triangle primitives of every node of the file's default scene.

    Parts come in the order trimesh's glTF loader put them (a depth-first walk with a
    stack, so siblings come last to first), to keep the feature rows and
    ``feature_index`` values of models loaded before unchanged.
    """
    return _Document(Path(path)).parts()


class _Document:
    """A parsed glTF with lazily loaded buffers and caches shared by all nodes.

    City glTFs (CityJSON2glTF) point every mesh at one POSITION accessor, so accessors
    and meshes are decoded once and shared, never copied per node.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        data = path.read_bytes()
        self.bin: memoryview | None = None
        if data[:4] == _GLB_MAGIC:
            json_bytes, self.bin = _glb_chunks(data)
        else:
            json_bytes = data
        try:
            doc = json.loads(json_bytes)
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
            raise GltfError(f"invalid glTF JSON ({exc})") from None
        if not isinstance(doc, dict):
            raise GltfError("not a glTF document: the JSON is not an object")
        version = str(doc.get("asset", {}).get("version", "2.0"))
        if not version.startswith("2."):
            raise GltfError(f"glTF version {version} is not supported (only 2.x)")
        self.doc: dict[str, Any] = doc
        self._buffers: dict[int, memoryview] = {}
        self._accessors: dict[tuple[int, str], np.ndarray] = {}
        self._meshes: dict[int, list[_Primitive]] = {}
        self._materials: dict[int, _Material] = {}

    def parts(self) -> list[GltfPart]:
        """Walk the default scene's node trees, world matrices accumulated on the way."""
        parts: list[GltfPart] = []
        stack = [(root, np.eye(4)) for root in self._roots()]
        seen: set[int] = set()
        while stack:
            index, parent = stack.pop()
            if index in seen:
                continue  # not a tree (a cycle or a shared child): visit each node once
            seen.add(index)
            node = self._item("nodes", index)
            world = parent @ _local_matrix(node, index)
            stack.extend((child, world) for child in node.get("children", []))
            if "mesh" not in node:
                continue
            name = str(node.get("name") or f"node{index}")
            prims = self._mesh(node["mesh"])
            for k, prim in enumerate(prims):
                color, material, textured = self._material(prim.material)
                parts.append(
                    GltfPart(
                        node=name if len(prims) == 1 else f"{name}#{k}",
                        label=prim.label,
                        matrix=world,
                        vertices=prim.vertices,
                        faces=prim.faces,
                        base_color=color,
                        material=material,
                        textured=textured,
                    )
                )
        return parts

    def _roots(self) -> list[int]:
        """Root nodes of the default scene; without scenes, every node nobody parents."""
        scenes = self.doc.get("scenes")
        if scenes:
            return list(self._item("scenes", self.doc.get("scene", 0)).get("nodes", []))
        nodes = self.doc.get("nodes", [])
        children = {c for n in nodes for c in n.get("children", [])}
        return [i for i in range(len(nodes)) if i not in children]

    def _item(self, kind: str, index: Any) -> dict[str, Any]:
        """``doc[kind][index]``, refusing the negative or dangling indices Python allows."""
        items = self.doc.get(kind, [])
        if not isinstance(index, int) or not 0 <= index < len(items):
            raise GltfError(f"{kind} {index!r} does not exist ({len(items)} defined)")
        return items[index]

    def _mesh(self, index: int) -> list[_Primitive]:
        """The mesh's triangle primitives (points and lines are not surfaces)."""
        if index in self._meshes:
            return self._meshes[index]
        mesh = self._item("meshes", index)
        name = str(mesh.get("name") or f"mesh{index}")
        prims: list[_Primitive] = []
        for j, p in enumerate(mesh.get("primitives", [])):
            if _DRACO in p.get("extensions", {}):
                raise GltfUnsupported(f"mesh {index} is Draco compressed")
            mode = p.get("mode", _TRIANGLES)
            attributes = p.get("attributes", {})
            if mode not in (_TRIANGLES, _TRIANGLE_STRIP, _TRIANGLE_FAN):
                continue
            if "POSITION" not in attributes:
                continue
            vertices = self._accessor(attributes["POSITION"], "VEC3")
            if "indices" in p:
                indices = self._accessor(p["indices"], "SCALAR", indices=True)
                indices = indices.ravel().astype(np.int64)
            else:
                indices = np.arange(len(vertices), dtype=np.int64)
            faces = _faces(indices, mode, f"mesh {index} primitive {j}")
            if len(faces):
                label = name if j == 0 else f"{name}_{j}"
                prims.append(_Primitive(label, vertices, faces, p.get("material")))
        self._meshes[index] = prims
        return prims

    def _material(self, index: int | None) -> _Material:
        """(base colour RGBA 0-1 or None, material name, has a base colour texture)."""
        if index is None:
            return None, "", False
        if index not in self._materials:
            mat = self._item("materials", index)
            if _SPEC_GLOSS in mat.get("extensions", {}):
                raise GltfUnsupported(f"material {index} uses {_SPEC_GLOSS}")
            pbr = mat.get("pbrMetallicRoughness", {})
            factor = pbr.get("baseColorFactor")
            color = None
            if factor is not None and len(factor) == 4:
                r, g, b, a = (float(c) for c in factor)  # JSON may hold ints (1, not 1.0)
                color = (r, g, b, a)
            self._materials[index] = (
                color,
                str(mat.get("name") or ""),
                "baseColorTexture" in pbr,
            )
        return self._materials[index]

    def _accessor(self, index: int, kind: str, indices: bool = False) -> np.ndarray:
        """An accessor as an (count, width) array: a view into the buffer when possible.

        Interleaved views are read through strides, not copied. Sparse substitutions
        and ``normalized`` integer scaling are applied as the specification says (the
        trimesh glTF loader ignores both).
        """
        if (index, kind) in self._accessors:
            return self._accessors[index, kind]
        acc = self._item("accessors", index)
        if acc.get("type") != kind:
            raise GltfError(f"accessor {index} is {acc.get('type')}, expected {kind}")
        ctype = acc.get("componentType")
        if ctype not in _COMPONENT_DTYPES or (indices and ctype not in _INDEX_COMPONENTS):
            raise GltfError(f"accessor {index} has invalid componentType {ctype!r}")
        dtype = _COMPONENT_DTYPES[ctype]
        width = _TYPE_WIDTHS[kind]
        count = int(acc["count"])
        where = f"accessor {index}"
        if "bufferView" in acc:
            arr = self._read(
                acc["bufferView"], acc.get("byteOffset", 0), dtype, width, count, where
            )
        else:
            arr = np.zeros((count, width), dtype)  # the specification says: all zeros
        if "sparse" in acc:
            arr = self._sparse(acc["sparse"], arr, where)
        if acc.get("normalized") and dtype.kind in "iu":
            arr = arr.astype(np.float32) / np.iinfo(dtype).max
            if dtype.kind == "i":
                arr = np.maximum(arr, -1.0)
        self._accessors[index, kind] = arr
        return arr

    def _sparse(self, sparse: dict[str, Any], base: np.ndarray, where: str) -> np.ndarray:
        """``base`` with the sparse rows replaced (glTF's way to store a few edits)."""
        count = int(sparse["count"])
        spec_i, spec_v = sparse["indices"], sparse["values"]
        ctype = spec_i.get("componentType")
        if ctype not in _INDEX_COMPONENTS:
            raise GltfError(f"{where}: invalid sparse index componentType {ctype!r}")
        rows = self._read(
            spec_i["bufferView"],
            spec_i.get("byteOffset", 0),
            _COMPONENT_DTYPES[ctype],
            1,
            count,
            f"{where} sparse indices",
        ).ravel()
        values = self._read(
            spec_v["bufferView"],
            spec_v.get("byteOffset", 0),
            base.dtype,
            base.shape[1],
            count,
            f"{where} sparse values",
        )
        if count and int(rows.max()) >= len(base):
            raise GltfError(f"{where}: sparse index {int(rows.max())} past its {len(base)} rows")
        out = base.copy()
        out[rows.astype(np.int64)] = values
        return out

    def _read(
        self, view_index: int, offset: int, dtype: np.dtype, width: int, count: int, where: str
    ) -> np.ndarray:
        """``count`` elements of ``width`` components from a buffer view, without a copy."""
        data, start, length, stride = self._view(view_index)
        element = dtype.itemsize * width
        stride = stride or element
        offset = int(offset)
        end = offset + (count - 1) * stride + element if count else offset
        if offset < 0 or end > length:
            raise GltfError(
                f"{where} ({count:,} x {width} x {dtype.itemsize} bytes) runs past the end "
                f"of buffer view {view_index} ({length:,} bytes)"
            )
        return np.ndarray((count, width), dtype, data, start + offset, (stride, dtype.itemsize))

    def _view(self, index: int) -> tuple[memoryview, int, int, int | None]:
        """(buffer, byte offset, byte length, byte stride or None) of a buffer view."""
        view = self._item("bufferViews", index)
        for ext in _COMPRESSED_VIEWS:
            if ext in view.get("extensions", {}):
                raise GltfUnsupported(f"buffer view {index} uses {ext}")
        buffer_index = view.get("buffer")
        data = self._buffer(buffer_index)
        start = int(view.get("byteOffset", 0))
        length = int(view["byteLength"])
        if start < 0 or start + length > len(data):
            raise GltfError(
                f"buffer view {index} (bytes {start:,}-{start + length:,}) runs past the "
                f"end of buffer {buffer_index} ({len(data):,} bytes)"
            )
        stride = view.get("byteStride")
        return data, start, length, int(stride) if stride else None

    def _buffer(self, index: int) -> memoryview:
        """A buffer's bytes: the GLB BIN chunk, a base64 data URI, or a file beside us."""
        if index in self._buffers:
            return self._buffers[index]
        buf = self._item("buffers", index)
        uri = buf.get("uri")
        length = int(buf.get("byteLength", 0))
        if uri is None:
            if self.bin is None or index != 0:
                raise GltfError(f"buffer {index} has no uri and the file has no BIN chunk")
            data, where = self.bin, "the GLB BIN chunk"
        elif uri.startswith("data:"):
            data, where = memoryview(_data_uri(uri, index)), "its data URI"
        else:
            file = self.path.parent / urllib.parse.unquote(uri)
            try:
                data = memoryview(file.read_bytes())
            except FileNotFoundError:
                raise GltfError(f"buffer {index} {uri!r} not found") from None
            except OSError as exc:
                raise GltfError(f"buffer {index} {uri!r} cannot be read ({exc})") from None
            where = repr(uri)
        if len(data) < length:
            raise GltfError(
                f"buffer {index} is truncated: {where} holds {len(data):,} of {length:,} bytes"
            )
        self._buffers[index] = data
        return data


def _glb_chunks(data: bytes) -> tuple[bytes, memoryview | None]:
    """(JSON chunk, BIN chunk or None) of a GLB container, checked against its lengths."""
    if len(data) < 20:
        raise GltfError(f"truncated GLB: {len(data)} bytes, not even a header")
    _magic, version, total = struct.unpack_from("<4sII", data, 0)
    if version != 2:
        raise GltfError(f"GLB version {version} is not supported (only 2)")
    if total > len(data):
        raise GltfError(f"truncated GLB: header says {total:,} bytes, file has {len(data):,}")
    chunks: list[tuple[int, memoryview]] = []
    pos = 12
    view = memoryview(data)
    while pos + 8 <= total:
        length, kind = struct.unpack_from("<II", data, pos)
        if pos + 8 + length > total:
            raise GltfError(f"truncated GLB: chunk at byte {pos:,} runs past the end")
        chunks.append((kind, view[pos + 8 : pos + 8 + length]))
        pos += 8 + length
    if not chunks or chunks[0][0] != _CHUNK_JSON:
        raise GltfError("invalid GLB: the first chunk is not JSON")
    binary = next((c for kind, c in chunks[1:] if kind == _CHUNK_BIN), None)
    return bytes(chunks[0][1]), binary


def _data_uri(uri: str, index: int) -> bytes:
    """Bytes of a ``data:`` URI, base64 (as glTF writers use) or percent-encoded."""
    header, _, payload = uri.partition(",")
    if header.endswith(";base64"):
        try:
            return base64.b64decode(payload, validate=True)
        except binascii.Error as exc:
            raise GltfError(f"buffer {index}: invalid base64 data URI ({exc})") from None
    return urllib.parse.unquote_to_bytes(payload)


def _faces(indices: np.ndarray, mode: int, where: str) -> np.ndarray:
    """(m, 3) triangles of a TRIANGLES, TRIANGLE_STRIP or TRIANGLE_FAN index list."""
    n = len(indices)
    if mode == _TRIANGLES:
        if n % 3:
            raise GltfError(f"{where}: {n:,} indices is not a whole number of triangles")
        return indices.reshape(-1, 3)
    if n < 3:
        return np.zeros((0, 3), np.int64)
    i = np.arange(n - 2)
    if mode == _TRIANGLE_STRIP:
        # Every other strip triangle is reversed to keep one winding (as the spec says).
        odd = i % 2
        return np.stack([indices[i], indices[i + 1 + odd], indices[i + 2 - odd]], axis=1)
    return np.stack([indices[i + 1], indices[i + 2], np.full(n - 2, indices[0])], axis=1)


def _local_matrix(node: dict[str, Any], index: int) -> np.ndarray:
    """A node's transform: ``matrix`` (column-major), then T @ R @ S as trimesh does."""
    m = np.eye(4)
    if "matrix" in node:
        values = np.asarray(node["matrix"], dtype=np.float64)
        if values.size != 16:
            raise GltfError(f"node {index}: matrix has {values.size} values, not 16")
        m = values.reshape(4, 4).T
    if "translation" in node:
        t = np.eye(4)
        t[:3, 3] = np.asarray(node["translation"], dtype=np.float64)
        m = m @ t
    if "rotation" in node:
        r = np.eye(4)
        r[:3, :3] = _quaternion_matrix(np.asarray(node["rotation"], dtype=np.float64))
        m = m @ r
    if "scale" in node:
        m = m @ np.diag([*np.asarray(node["scale"], dtype=np.float64), 1.0])
    return m


def _quaternion_matrix(q: np.ndarray) -> np.ndarray:
    """3x3 rotation of a glTF (x, y, z, w) quaternion, normalised as writers round it."""
    norm = float(q @ q)
    if norm < 1e-12:
        return np.eye(3)
    x, y, z, w = q * np.sqrt(2.0 / norm)
    return np.array(
        [
            [1.0 - y * y - z * z, x * y - z * w, x * z + y * w],
            [x * y + z * w, 1.0 - x * x - z * z, y * z - x * w],
            [x * z - y * w, y * z + x * w, 1.0 - x * x - y * y],
        ]
    )
