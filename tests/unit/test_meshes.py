"""3D model files into mesh layers: real city glTFs, real GLB houses, trimesh round trips."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from alatau_twin.core.frame import SceneFrame
from alatau_twin.core.layers import MeshLayer
from alatau_twin.io.meshes import DEFAULT_COLOR, Georef, MeshError, read_mesh_file

MESHES = Path(__file__).resolve().parents[1] / "data" / "meshes"
DELFT = MESHES / "delft.gltf"
DEN_HAAG = MESHES / "DenHaag_01.gltf"
HOUSE1 = MESHES / "house1-1.glb"
HOUSE3 = MESHES / "house-3-0.glb"
# Den Haag's CityJSON transform, which CityJSON2glTF never applied (SOURCES.md).
DEN_HAAG_FIX = Georef(scale=0.001, origin=(78248.66, 457604.591, 2.463), crs="EPSG:28992")


def _extent(layer: MeshLayer) -> np.ndarray:
    b = layer.bounds()
    return np.array([b[1] - b[0], b[3] - b[2], b[5] - b[4]])


def _area(layer: MeshLayer) -> float:
    return float(np.linalg.norm(layer.mesh.triangle_normals(), axis=1).sum() / 2.0)


def test_delft_gltf_loads_as_one_merged_mesh_of_570_named_features() -> None:
    layers, _frame = read_mesh_file(DELFT, georef=Georef(crs="EPSG:28992"))
    assert len(layers) == 1
    layer = layers[0]
    assert isinstance(layer, MeshLayer)
    assert layer.name == "delft"
    assert layer.n_features == 570
    assert layer.mesh.n_triangles == 21_801
    fi = layer.mesh.cell_data["feature_index"]
    assert fi.shape == (21_801,)
    assert set(np.unique(fi)) == set(range(570))
    assert int(layer.table["triangles"].sum()) == 21_801
    node_names = [n["name"] for n in json.loads(DELFT.read_text())["nodes"]]
    assert sorted(layer.table["id"]) == sorted(node_names)
    assert len(set(layer.table["id"])) == 570
    # Colours come from the glTF materials' base colours.
    assert layer.colors.shape == (570, 3)
    assert len({tuple(c) for c in layer.colors}) > 1
    assert all(c.startswith("#") and len(c) == 7 for c in layer.table["color"])


def test_delft_gltf_is_inferred_z_up_and_placed_in_rd_new_near_the_frame_origin() -> None:
    layers, frame = read_mesh_file(DELFT, georef=Georef(crs="EPSG:28992"))
    layer = layers[0]
    assert layer.report.counts.get("up_axis_inferred") == 1
    assert any("up axis inferred" in w for w in layer.report.warnings)
    # A frame made from the data: RD New, origin at the data centre (to 100 m).
    assert frame.epsg == 28992
    assert abs(frame.origin_e - 84_878) < 100 and abs(frame.origin_n - 447_586) < 100
    xmin, xmax, ymin, ymax, zmin, zmax = layer.bounds()
    assert max(abs(xmin), abs(xmax), abs(ymin), abs(ymax)) < 1_000
    ext = _extent(layer)
    assert 400 < ext[0] < 700 and 250 < ext[1] < 450  # Delft block, ~525 x 328 m
    assert -1 < zmin < 1 and 10 < zmax < 20  # NAP heights, not a 500 m tall Y-up slab


def test_delft_takes_the_crs_of_a_given_frame_and_reprojects_to_it() -> None:
    from pyproj import Transformer

    rd = SceneFrame(28992, 84_900.0, 447_600.0)
    local_rd = read_mesh_file(DELFT, rd)[0][0]
    e, n = Transformer.from_crs(28992, 32631, always_xy=True).transform(84_878.0, 447_586.0)
    utm = SceneFrame(32631, round(e, -2), round(n, -2))
    layers, frame = read_mesh_file(DELFT, utm, Georef(crs="EPSG:7415"))
    assert frame is utm
    b = layers[0].bounds()
    assert max(abs(v) for v in b[:4]) < 1_000
    # RD New is rotated ~1-2 degrees against UTM 31N, so compare shape, not boxes:
    # the surface area agrees to well under 0.1 % (the two scale factors differ slightly).
    assert _area(layers[0]) == pytest.approx(_area(local_rd), rel=1e-3)


def test_projected_coordinates_without_a_crs_are_an_error_naming_the_file() -> None:
    with pytest.raises(MeshError, match=r"delft\.gltf.*look projected.*84,8\d\d.*--crs"):
        read_mesh_file(DELFT)


def test_cesium_house_is_y_up_and_stands_on_the_scene_origin() -> None:
    layers, frame = read_mesh_file(HOUSE1)
    layer = layers[0]
    assert frame == SceneFrame()
    assert layer.n_features == 5
    assert layer.mesh.n_triangles == 340
    # SOURCES.md gives "10.6 x 6.0 x 7.5 m, Y up" in glTF axes: x, y (up), z. The house's
    # node puts its lowest vertex exactly on glTF y = 0, so the 6.0 m is its height.
    ext = _extent(layer)
    assert ext[2] == pytest.approx(6.0, abs=0.05)
    assert sorted(ext[:2]) == pytest.approx([7.45, 10.57], abs=0.05)
    xmin, xmax, ymin, ymax, zmin, _ = layer.bounds()
    assert zmin == pytest.approx(0.0, abs=1e-6)
    assert xmin == pytest.approx(-xmax) and ymin == pytest.approx(-ymax)
    assert any("not georeferenced" in w for w in layer.report.warnings)
    assert "up_axis_inferred" not in layer.report.counts
    # One feature per glTF primitive, ids stable across loads (trimesh names them randomly).
    assert list(layer.table["id"]) == [f"house_type01#{k}" for k in range(5)]
    assert list(read_mesh_file(HOUSE1)[0][0].table["id"]) == list(layer.table["id"])
    assert len({tuple(c) for c in layer.colors}) > 1


def test_second_cesium_house_has_its_documented_size() -> None:
    layer = read_mesh_file(HOUSE3)[0][0]
    assert layer.n_features == 5 and layer.mesh.n_triangles == 580
    ext = _extent(layer)
    # glTF x, y (up), z = 12.0 x 8.0 x 6.4 m
    assert ext == pytest.approx([12.0, 6.4, 8.0], abs=0.1)


def test_georef_origin_and_rotation_place_a_house_in_the_frame() -> None:
    frame = SceneFrame()
    georef = Georef(
        crs="EPSG:32643",
        origin=(frame.origin_e + 100.0, frame.origin_n + 50.0, 800.0),
        rotation_deg=90.0,
    )
    plain = read_mesh_file(HOUSE3)[0][0]
    layers, out = read_mesh_file(HOUSE3, frame, georef)
    layer = layers[0]
    assert out is frame
    # The model's own origin lands at local (100, 50, 800); the house stands on its base.
    xmin, xmax, ymin, ymax, zmin, _zmax = layer.bounds()
    assert 80 < xmin < xmax < 120 and 30 < ymin < ymax < 70
    assert zmin == pytest.approx(800.0, abs=0.01)
    # 90 degrees counter-clockwise swaps the footprint's x and y extents.
    assert _extent(layer) == pytest.approx(_extent(plain)[[1, 0, 2]], abs=0.01)
    assert layer.report.counts.get("georeferenced") == 1


def test_den_haag_raw_quantised_gltf_loads_centred_with_a_loud_warning() -> None:
    layers, _frame = read_mesh_file(DEN_HAAG)
    layer = layers[0]
    assert layer.n_features == 1_991
    assert layer.mesh.n_triangles == 41_183
    assert layer.report.counts.get("quantised") == 1
    assert any("quantised" in w for w in layer.report.warnings)
    b = layer.bounds()
    # Kept as-is (no invented transform) but centred on the origin, not ~500 km away.
    assert b[0] == pytest.approx(-b[1]) and b[2] == pytest.approx(-b[3])
    assert _extent(layer)[0] > 500_000


def test_den_haag_with_its_cityjson_transform_lands_in_the_hague() -> None:
    layers, frame = read_mesh_file(DEN_HAAG, georef=DEN_HAAG_FIX)
    layer = layers[0]
    assert not any("quantised" in w for w in layer.report.warnings)
    assert frame.epsg == 28992
    ext = _extent(layer)
    assert 200 < ext[0] < 1_500 and 200 < ext[1] < 1_500  # a city tile, not ~1000 km
    assert 10 < ext[2] < 100
    b = layer.bounds()
    e = (b[0] + b[1]) / 2 + frame.origin_e
    n = (b[2] + b[3]) / 2 + frame.origin_n
    # Den Haag in RD New: E ~78-82 km, N ~454-460 km.
    assert 77_000 < e < 83_000 and 453_000 < n < 461_000


@pytest.mark.parametrize("path", [DELFT, DEN_HAAG])
def test_city_gltf_loads_fast(path: Path) -> None:
    read_mesh_file(HOUSE1)  # import trimesh/pyproj outside the timing
    t0 = time.perf_counter()
    read_mesh_file(path, georef=DEN_HAAG_FIX if path == DEN_HAAG else Georef(crs="EPSG:28992"))
    assert time.perf_counter() - t0 < 3.0


@pytest.mark.parametrize("suffix", [".obj", ".ply", ".stl"])
def test_model_written_by_trimesh_round_trips(tmp_path: Path, suffix: str) -> None:
    import trimesh

    box = trimesh.creation.box(extents=(2.0, 3.0, 4.0))
    path = tmp_path / f"box{suffix}"
    box.export(path)
    layer = read_mesh_file(path, georef=Georef(up="z"))[0][0]
    assert layer.mesh.n_triangles == 12
    assert _extent(layer) == pytest.approx([2.0, 3.0, 4.0])
    assert layer.mesh.volume() == pytest.approx(24.0)
    assert layer.n_features >= 1
    assert len(layer.table["id"]) == layer.n_features


def test_obj_defaults_to_y_up_and_stl_to_z_up(tmp_path: Path) -> None:
    import trimesh

    box = trimesh.creation.box(extents=(2.0, 3.0, 4.0))
    box.export(tmp_path / "box.obj")
    box.export(tmp_path / "box.stl")
    obj = read_mesh_file(tmp_path / "box.obj")[0][0]
    stl = read_mesh_file(tmp_path / "box.stl")[0][0]
    assert _extent(obj) == pytest.approx([2.0, 4.0, 3.0])  # file y is up
    assert _extent(stl) == pytest.approx([2.0, 3.0, 4.0])
    assert obj.mesh.volume() == pytest.approx(24.0)  # rotation keeps the winding outward


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("broken.glb", b"glTF\x02\x00\x00\x00garbage that is not a glb"),
        ("broken.gltf", b"{ this is not json"),
        ("broken.stl", b"\x00\x01\x02 not an stl"),
    ],
)
def test_corrupt_file_raises_mesh_error_naming_the_file(
    tmp_path: Path, name: str, content: bytes
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(MeshError, match=rf"{name}: "):
        read_mesh_file(path)


def test_empty_scene_raises_mesh_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.gltf"
    path.write_text(
        json.dumps({"asset": {"version": "2.0"}, "scenes": [{"nodes": [0]}], "nodes": [{}]})
    )
    with pytest.raises(MeshError, match=r"empty\.gltf: .*no triangle"):
        read_mesh_file(path)


def test_missing_file_raises_mesh_error(tmp_path: Path) -> None:
    with pytest.raises(MeshError, match=r"nope\.glb: no such file"):
        read_mesh_file(tmp_path / "nope.glb")


# --- the direct glTF reader (alatau_twin.io.gltf) against trimesh and synthetic files ---


@pytest.mark.parametrize("path", [DELFT, DEN_HAAG, HOUSE1, HOUSE3], ids=lambda p: p.name)
def test_direct_gltf_reader_matches_the_trimesh_reader(path: Path) -> None:
    from alatau_twin.core.layers import LayerReport
    from alatau_twin.io.meshes import _gltf_parts, _gltf_parts_trimesh, _merge

    direct, reference = _gltf_parts(path), _gltf_parts_trimesh(path)
    assert len(direct) == len(reference)
    assert [p.node for p in direct] == [p.node for p in reference]
    assert [p.label for p in direct] == [p.label for p in reference]
    assert [(p.color, p.material, p.textured) for p in direct] == [
        (p.color, p.material, p.textured) for p in reference
    ]
    mesh, table, colors = _merge(direct, path, LayerReport())
    ref_mesh, ref_table, ref_colors = _merge(reference, path, LayerReport())
    assert np.allclose(mesh.points, ref_mesh.points)
    assert np.array_equal(mesh.triangles, ref_mesh.triangles)
    assert np.array_equal(colors, ref_colors)
    assert list(table["id"]) == list(ref_table["id"])


def _quad_gltf(path: Path, *, embed: bool = False, **doc: object) -> Path:
    """A glTF of one 2 x 1 quad, POSITION interleaved with NORMAL (byteStride 24).

    The vertex view starts 16 bytes into the buffer and POSITION/NORMAL sit at accessor
    byteOffsets 0 and 12, so every offset the reader adds up is exercised. ``doc``
    overrides or adds top-level keys (nodes, meshes, ...).
    """
    positions = np.array([[0, 0, 0], [2, 0, 0], [2, 1, 0], [0, 1, 0]], np.float32)
    normals = np.tile(np.array([0, 0, 1], np.float32), (4, 1))
    interleaved = np.hstack([positions, normals]).tobytes()
    indices = np.array([0, 1, 2, 0, 2, 3], np.uint16).tobytes()
    blob = b"\xff" * 16 + interleaved + indices
    uri = (
        "data:application/octet-stream;base64," + base64.b64encode(blob).decode()
        if embed
        else f"{path.stem}.bin"
    )
    if not embed:
        path.with_name(uri).write_bytes(blob)
    gltf = {
        "asset": {"version": "2.0"},
        "scenes": [{"nodes": [0]}],
        "nodes": [{"name": "quad", "mesh": 0}],
        "meshes": [{"name": "quad mesh", "primitives": [{"attributes": {"POSITION": 0}}]}],
        "buffers": [{"uri": uri, "byteLength": len(blob)}],
        "bufferViews": [
            {"buffer": 0, "byteOffset": 16, "byteLength": 96, "byteStride": 24},
            {"buffer": 0, "byteOffset": 112, "byteLength": 12},
        ],
        "accessors": [
            {"bufferView": 0, "byteOffset": 0, "componentType": 5126, "count": 4, "type": "VEC3"},
            {"bufferView": 0, "byteOffset": 12, "componentType": 5126, "count": 4, "type": "VEC3"},
            {"bufferView": 1, "componentType": 5123, "count": 6, "type": "SCALAR"},
        ],
        **doc,
    }
    gltf["meshes"][0]["primitives"][0].setdefault("indices", 2)
    path.write_text(json.dumps(gltf))
    return path


def test_interleaved_vertex_buffer_is_read_through_its_byte_stride(tmp_path: Path) -> None:
    from alatau_twin.io.gltf import read_gltf

    (part,) = read_gltf(_quad_gltf(tmp_path / "quad.gltf"))
    assert (part.node, part.label) == ("quad", "quad mesh")
    assert (part.material, part.base_color, part.textured) == ("", None, False)
    assert part.vertices.tolist() == [[0, 0, 0], [2, 0, 0], [2, 1, 0], [0, 1, 0]]
    assert part.faces.dtype == np.int64
    assert part.faces.tolist() == [[0, 1, 2], [0, 2, 3]]
    layer = read_mesh_file(tmp_path / "quad.gltf", georef=Georef(up="z"))[0][0]
    assert _extent(layer) == pytest.approx([2.0, 1.0, 0.0])
    assert list(layer.table["id"]) == ["quad"]


def test_base64_data_uri_buffer_is_decoded(tmp_path: Path) -> None:
    path = _quad_gltf(tmp_path / "embedded.gltf", embed=True)
    assert [p.name for p in tmp_path.iterdir()] == ["embedded.gltf"]
    layer = read_mesh_file(path, georef=Georef(up="z"))[0][0]
    assert layer.mesh.n_triangles == 2
    assert _extent(layer) == pytest.approx([2.0, 1.0, 0.0])


def test_node_hierarchy_composes_parent_translation_and_child_rotation(tmp_path: Path) -> None:
    from alatau_twin.io.gltf import read_gltf
    from alatau_twin.io.meshes import _gltf_parts_trimesh

    s = float(np.sqrt(0.5))  # +90 degrees about +y: glTF x -> -z
    path = _quad_gltf(
        tmp_path / "tree.gltf",
        nodes=[
            {"name": "parent", "translation": [10.0, 0.0, 0.0], "children": [1]},
            {"rotation": [0.0, s, 0.0, s], "mesh": 0},
        ],
    )
    (part,) = read_gltf(path)
    assert part.node == "node1"  # unnamed nodes get their index
    world = part.vertices @ part.matrix[:3, :3].T + part.matrix[:3, 3]
    assert world == pytest.approx(np.array([[10, 0, 0], [10, 0, -2], [10, 1, -2], [10, 1, 0]]))
    assert part.matrix == pytest.approx(_gltf_parts_trimesh(path)[0].matrix)


def _canonical(faces: np.ndarray) -> list[list[int]]:
    """Triangles rotated to start at their smallest index: same winding, same list."""
    return [np.roll(f, -int(np.argmin(f))).tolist() for f in faces]


def test_multi_primitive_mesh_gives_one_feature_per_triangle_primitive(tmp_path: Path) -> None:
    from alatau_twin.io.gltf import read_gltf
    from alatau_twin.io.meshes import _gltf_parts_trimesh

    path = _quad_gltf(
        tmp_path / "house.gltf",
        nodes=[{"name": "house", "mesh": 0}],
        meshes=[
            {
                "name": "walls",
                "primitives": [
                    {"attributes": {"POSITION": 0}, "indices": 2, "material": 0},
                    {"attributes": {"POSITION": 0}, "mode": 0},  # POINTS: not a surface
                    {"attributes": {"POSITION": 0}, "mode": 5, "material": 1},  # a strip
                ],
            }
        ],
        materials=[
            {"name": "brick", "pbrMetallicRoughness": {"baseColorFactor": [1, 0, 0, 1]}},
            {"name": "roof", "pbrMetallicRoughness": {"baseColorTexture": {"index": 0}}},
        ],
    )
    parts = read_gltf(path)
    assert [p.node for p in parts] == ["house#0", "house#1"]
    assert [p.label for p in parts] == ["walls", "walls_2"]
    assert [(p.material, p.textured) for p in parts] == [("brick", False), ("roof", True)]
    assert parts[0].base_color == (1.0, 0.0, 0.0, 1.0)  # JSON ints are still 0-1 floats
    assert parts[1].faces.tolist() == [[0, 1, 2], [1, 3, 2]]  # odd strip triangles flipped
    reference = _gltf_parts_trimesh(path)
    assert [p.node for p in reference] == [p.node for p in parts]
    assert [p.label for p in reference] == [p.label for p in parts]
    assert [_canonical(p.faces) for p in reference] == [_canonical(p.faces) for p in parts]
    layer = read_mesh_file(path)[0][0]
    assert list(layer.table["color"]) == ["#ff0000", DEFAULT_COLOR]
    assert layer.report.counts.get("textured") == 1


def test_sparse_accessor_replaces_its_rows(tmp_path: Path) -> None:
    from alatau_twin.io.gltf import read_gltf

    path = _quad_gltf(tmp_path / "sparse.gltf")
    gltf = json.loads(path.read_text())
    extra = np.array([3], np.uint16).tobytes() + b"\0\0" + np.float32([0, 5, 0]).tobytes()
    bin_path = tmp_path / "sparse.bin"
    blob = bin_path.read_bytes() + extra
    bin_path.write_bytes(blob)
    gltf["buffers"][0]["byteLength"] = len(blob)
    gltf["bufferViews"] += [
        {"buffer": 0, "byteOffset": 124, "byteLength": 2},
        {"buffer": 0, "byteOffset": 128, "byteLength": 12},
    ]
    gltf["accessors"][0]["sparse"] = {
        "count": 1,
        "indices": {"bufferView": 2, "componentType": 5123},
        "values": {"bufferView": 3},
    }
    path.write_text(json.dumps(gltf))
    (part,) = read_gltf(path)
    assert part.vertices.tolist() == [[0, 0, 0], [2, 0, 0], [2, 1, 0], [0, 5, 0]]


def test_missing_buffer_file_is_a_mesh_error_naming_both_files(tmp_path: Path) -> None:
    path = _quad_gltf(tmp_path / "lonely.gltf")
    (tmp_path / "lonely.bin").unlink()
    with pytest.raises(MeshError, match=r"lonely\.gltf: buffer 0 'lonely\.bin' not found"):
        read_mesh_file(path)


def test_truncated_buffer_file_is_a_mesh_error(tmp_path: Path) -> None:
    path = _quad_gltf(tmp_path / "short.gltf")
    bin_path = tmp_path / "short.bin"
    bin_path.write_bytes(bin_path.read_bytes()[:50])
    with pytest.raises(MeshError, match=r"short\.gltf: buffer 0 is truncated.* 50 of 124 bytes"):
        read_mesh_file(path)


def test_draco_compressed_gltf_falls_back_to_trimesh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alatau_twin.io import meshes

    path = _quad_gltf(tmp_path / "draco.gltf")
    gltf = json.loads(path.read_text())
    gltf["meshes"][0]["primitives"][0]["extensions"] = {"KHR_draco_mesh_compression": {}}
    path.write_text(json.dumps(gltf))
    calls: list[Path] = []

    def spy(p: Path) -> list:
        calls.append(p)
        return meshes._gltf_parts(_quad_gltf(tmp_path / "plain.gltf"))

    monkeypatch.setattr(meshes, "_gltf_parts_trimesh", spy)
    layer = read_mesh_file(path)[0][0]
    assert calls == [path]
    assert layer.mesh.n_triangles == 2


def test_reading_a_gltf_does_not_import_trimesh() -> None:
    code = (
        "import sys\n"
        "from alatau_twin.io.meshes import Georef, read_mesh_file\n"
        f"read_mesh_file({str(DELFT)!r}, georef=Georef(crs='EPSG:28992'))\n"
        "print('trimesh' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "False"
