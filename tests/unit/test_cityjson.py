"""CityJSON and CityJSONSeq reading on real city models (Den Haag, 3DBAG, Rotterdam, Delft)."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from alatau_twin.core.frame import SceneFrame
from alatau_twin.core.layers import BuildingLayer, MeshLayer
from alatau_twin.core.mesh import SURFACE_GROUND, SURFACE_ROOF, SURFACE_WALL, TriangleMesh
from alatau_twin.io.cityjson import SEMANTIC_COLORS, CityJSONError, is_cityjson, read_cityjson

DATA = Path(__file__).resolve().parents[1] / "data" / "cityjson"
SHARED = Path("/work/shared/real-data")
DH = DATA / "DH_01_subs.city.json"
MULTI = DATA / "multi_lod.json"
ROTTERDAM = DATA / "rotterdam_subset.json"
DELFT = DATA / "delft.json"
ZURICH = SHARED / "cjio" / "zurich_subset_lod2.json"
DENHAAG_08 = SHARED / "cityjson2gltf" / "DenHaag_01.json"


@pytest.fixture(scope="module")
def delft() -> tuple[dict[str, Any], SceneFrame]:
    layers, frame = read_cityjson(DELFT)
    return {layer.name: layer for layer in layers}, frame


def _feature_mesh(mesh: TriangleMesh, row: int) -> TriangleMesh:
    cells = mesh.cell_data["feature_index"] == row
    return TriangleMesh(mesh.points, mesh.triangles[cells])


# -- CRS ------------------------------------------------------------------------------


def test_file_without_crs_raises_an_error_that_names_the_file_and_the_fix() -> None:
    with pytest.raises(CityJSONError) as err:
        read_cityjson(DH)
    msg = str(err.value)
    assert str(DH) in msg
    assert "--crs EPSG:28992" in msg and "project file" in msg


def test_compound_crs_uses_its_horizontal_part_for_the_frame() -> None:
    _, frame = read_cityjson(DH, crs="EPSG:7415")
    assert frame.epsg == 28992
    _, frame = read_cityjson(DH, crs="urn:ogc:def:crs:EPSG::7415")
    assert frame.epsg == 28992


def test_crs_argument_overrides_the_file_and_says_so(delft) -> None:
    layers, frame = read_cityjson(DELFT, crs="EPSG:28992")
    assert frame.epsg == 28992
    assert delft[1].epsg == 28992  # from metadata.referenceSystem .../EPSG/0/7415
    layers, frame = read_cityjson(DELFT, crs="EPSG:32631")
    assert frame.epsg == 32631
    assert any("EPSG:7415" in w for w in layers[0].report.warnings)


# -- Den Haag: parts, semantics --------------------------------------------------------


def test_den_haag_loads_buildings_and_parts_with_semantic_surfaces() -> None:
    layers, frame = read_cityjson(DH, crs="EPSG:7415")
    assert len(layers) == 1
    b = layers[0]
    assert isinstance(b, BuildingLayer)
    assert b.name == "DH_01_subs buildings"
    assert b.table.value_counts("type") == {"Building": 4, "BuildingPart": 8}
    surface = b.mesh.cell_data["surface"]
    assert surface.dtype == np.uint8
    for code in (SURFACE_GROUND, SURFACE_WALL, SURFACE_ROOF):
        assert (surface == code).any()
    assert b.mesh.cell_data["feature_index"].dtype == np.int32
    assert b.mesh.cell_data["feature_index"].max() < b.n_features
    # Parts name their parent and inherit its attributes.
    parts = np.flatnonzero(b.table["type"] == "BuildingPart")
    ids = set(b.table["id"])
    assert all(b.table["parent"][i] in ids for i in parts)
    assert np.isfinite(b.table["AbsoluteRidgeHeight"][parts]).all()
    assert set(b.table["height_source"]) == {"derived"}
    # Per-cell colours follow the semantics: brick-red roofs, light walls, grey ground.
    cc = b.cell_colors
    assert cc.shape == (b.mesh.n_triangles, 3) and cc.dtype == np.uint8
    assert tuple(cc[surface == SURFACE_ROOF][0]) == SEMANTIC_COLORS[SURFACE_ROOF]
    assert tuple(cc[surface == SURFACE_WALL][0]) == SEMANTIC_COLORS[SURFACE_WALL]
    # Local coordinates near the origin; z stays NAP metres.
    xmin, xmax, ymin, ymax, zmin, zmax = b.bounds()
    assert max(abs(xmin), abs(xmax), abs(ymin), abs(ymax)) < 1000
    assert 0 < zmin < zmax < 30
    assert frame.origin_e % 100 == 0 and frame.origin_n % 100 == 0


def test_den_haag_solids_are_closed_and_face_outwards() -> None:
    (b,), _ = read_cityjson(DH, crs="EPSG:7415")
    rows = np.unique(b.mesh.cell_data["feature_index"])
    assert len(rows) == 9  # 3 of the 4 buildings are only their parts
    for row in rows:
        assert _feature_mesh(b.mesh, row).volume() > 0


def test_building_base_and_tops_let_buildings_grow() -> None:
    (b,), _ = read_cityjson(DH, crs="EPSG:7415")
    pf = b.mesh.point_data["feature_index"]
    top = b.mesh.point_data["is_top"]
    z = b.mesh.points[:, 2].copy()
    assert top.dtype == bool and top.any() and not top.all()
    # Base is the lowest point of each feature; a top vertex is above it.
    assert np.allclose(b.base[pf[~top]], z[~top], atol=0.05)
    assert (z[top] > b.base[pf[top]]).all()
    b.set_progress(np.full(b.n_features, 0.5))
    assert b.mesh.points[:, 2].max() < z.max()
    b.set_progress(np.ones(b.n_features))
    assert np.allclose(b.mesh.points[:, 2], z)


# -- LoD choice ------------------------------------------------------------------------


def test_multi_lod_uses_the_highest_lod_by_default_and_the_asked_one_otherwise() -> None:
    (hi,), _ = read_cityjson(MULTI, crs="EPSG:7415")
    (lo,), _ = read_cityjson(MULTI, crs="EPSG:7415", lod="1.2")
    assert set(hi.table["lod"]) == {"2.2"} and hi.report.counts["lod 2.2"] == 10
    assert set(lo.table["lod"]) == {"1.2"} and lo.report.counts["lod 1.2"] == 10
    assert hi.mesh.n_triangles != lo.mesh.n_triangles
    assert hi.mesh.n_triangles > lo.mesh.n_triangles
    # "1" picks the highest LoD 1.x the objects have.
    (one,), _ = read_cityjson(MULTI, crs="EPSG:7415", lod="1")
    assert set(one.table["lod"]) == {"1.3"}
    # LoD 1.2 has no semantics: roofs, walls and ground are inferred from normals.
    assert lo.report.counts["surfaces_inferred"] == lo.mesh.n_triangles
    assert set(np.unique(lo.mesh.cell_data["surface"])) == {0, 1, 2}
    for row in range(lo.n_features):
        assert _feature_mesh(lo.mesh, row).volume() > 0


def test_rotterdam_multisurfaces_with_repeated_vertices_load() -> None:
    (b,), _ = read_cityjson(ROTTERDAM, crs="EPSG:28992")
    assert b.n_features == 16
    assert b.report.counts.get("skipped_surfaces", 0) > 0  # zero-area rings in the data
    assert (b.table["height"] > 5).all()


# -- Delft: CityJSON 2.0 with every kind of object ------------------------------------


def test_delft_loads_buildings_with_measured_height_and_other_layers(delft) -> None:
    layers, frame = delft
    assert frame.epsg == 28992
    b = layers["delft buildings"]
    assert isinstance(b, BuildingLayer)
    assert b.n_features == 160
    assert set(b.table["height_source"]) == {"measured"}
    assert np.allclose(b.table["height"], b.table["measuredHeight"])
    assert b.report.counts["measured"] == 160 and b.report.counts["lod 1"] == 160
    for name, n in (
        ("delft roads", 143),
        ("delft land use", 81),
        ("delft vegetation", 126),
        ("delft water", 3),
        ("delft bridges", 3),
        ("delft other", 54),
    ):
        layer = layers[name]
        assert type(layer) is MeshLayer and layer.n_features == n
        assert layer.mesh.n_triangles > 0
    for layer in layers.values():
        xmin, xmax, ymin, ymax, *_ = layer.bounds()
        assert max(abs(xmin), abs(xmax), abs(ymin), abs(ymax)) < 3000
    assert tuple(layers["delft water"].colors[0]) == (0x3D, 0x7F, 0xB8)
    # Attributes keep their types: numbers as float, text as objects.
    assert b.table["measuredHeight"].dtype == float
    assert b.table["bgt_status"].dtype == object


def test_delft_lod1_buildings_face_outwards(delft) -> None:
    b = delft[0]["delft buildings"]
    mesh = b.mesh
    feat = mesh.cell_data["feature_index"]
    normals = mesh.triangle_normals()
    centroids = mesh.points[mesh.triangles].mean(axis=1)
    for row in range(b.n_features):
        cells = feat == row
        # Delft's LoD1 solids have no floor: measure the volume from the base plane,
        # where the missing floor would contribute nothing.
        pts = mesh.points - np.array([0.0, 0.0, b.base[row]])
        assert TriangleMesh(pts, mesh.triangles[cells]).volume() > 0
        centre = centroids[cells].mean(axis=0)
        out = np.einsum("ij,ij->i", normals[cells], centroids[cells] - centre)
        assert out.sum() > 0


def test_delft_and_den_haag_load_fast() -> None:
    read_cityjson(MULTI, crs="EPSG:7415")  # warm up imports (pyproj, earcut)
    t = time.perf_counter()
    read_cityjson(DELFT)
    assert time.perf_counter() - t < 2.0


# -- reprojection ----------------------------------------------------------------------


def test_reprojection_into_another_frame_moves_xy_sensibly(delft) -> None:
    from pyproj import Transformer

    layers, frame = delft
    b = layers["delft buildings"]
    to_utm = Transformer.from_crs(28992, 32631, always_xy=True)
    e, n = to_utm.transform(frame.origin_e, frame.origin_n)
    utm = SceneFrame(32631, round(e, -2), round(n, -2))
    new, got = read_cityjson(DELFT, frame=utm)
    assert got is utm
    nb = {layer.name: layer for layer in new}["delft buildings"]
    assert nb.mesh.n_triangles == b.mesh.n_triangles
    # Same vertex, two frames: it agrees with pyproj and keeps its height.
    p = b.mesh.points[0]
    ee, nn = to_utm.transform(p[0] + frame.origin_e, p[1] + frame.origin_n)
    q = nb.mesh.points[0]
    assert q[0] == pytest.approx(ee - utm.origin_e, abs=1e-6)
    assert q[1] == pytest.approx(nn - utm.origin_n, abs=1e-6)
    assert q[2] == p[2]
    # A small rotation and scale change, not a jump: distances agree within 0.1 %.
    d0 = np.linalg.norm(b.mesh.points[-1, :2] - b.mesh.points[0, :2])
    d1 = np.linalg.norm(nb.mesh.points[-1, :2] - nb.mesh.points[0, :2])
    assert d1 == pytest.approx(d0, rel=1e-3)
    assert np.abs(nb.mesh.points[:, :2]).max() < 1000


# -- CityJSONSeq -----------------------------------------------------------------------


def _feature(doc: dict[str, Any], oid: str) -> dict[str, Any]:
    """A CityJSONFeature for one object of a CityJSON file, vertices renumbered."""
    old = doc["vertices"]
    new: list[list[int]] = []
    seen: dict[int, int] = {}

    def remap(b: Any) -> Any:
        if isinstance(b, list):
            return [remap(x) for x in b]
        if b not in seen:
            seen[b] = len(new)
            new.append(old[b])
        return seen[b]

    obj = json.loads(json.dumps(doc["CityObjects"][oid]))
    for g in obj["geometry"]:
        g["boundaries"] = remap(g["boundaries"])
    return {"type": "CityJSONFeature", "id": oid, "CityObjects": {oid: obj}, "vertices": new}


def _write_seq(path: Path, doc: dict[str, Any], ids: list[str], extra: str = "") -> None:
    header = {
        "type": "CityJSON",
        "version": "2.0",
        "transform": doc["transform"],
        "metadata": {"referenceSystem": "https://www.opengis.net/def/crs/EPSG/0/7415"},
        "CityObjects": {},
        "vertices": [],
    }
    lines = [json.dumps(header)] + [json.dumps(_feature(doc, i)) for i in ids]
    path.write_text("\n".join(lines) + "\n" + extra)


def test_cityjsonseq_header_and_features_load_like_the_file(tmp_path: Path) -> None:
    doc = json.loads(MULTI.read_text())
    ids = list(doc["CityObjects"])[:2]
    seq = tmp_path / "two.city.jsonl"
    _write_seq(seq, doc, ids)
    assert is_cityjson(seq)
    (full,), frame = read_cityjson(MULTI, crs="EPSG:7415")
    (b,), f2 = read_cityjson(seq, frame=frame)
    assert f2.epsg == 28992
    assert list(b.table["id"]) == ids
    for row, oid in enumerate(ids):
        mine = _feature_mesh(b.mesh, row)
        ref = _feature_mesh(full.mesh, full.table.index_of(oid))
        assert mine.n_triangles == ref.n_triangles
        assert mine.volume() == pytest.approx(ref.volume(), rel=1e-9)
    # Without a frame the seq file gets its own, from its header CRS.
    (_,), own = read_cityjson(seq)
    assert own.epsg == 28992


def test_cityjsonseq_skips_a_broken_line_and_reads_the_rest(tmp_path: Path) -> None:
    doc = json.loads(MULTI.read_text())
    seq = tmp_path / "broken.city.jsonl"
    _write_seq(seq, doc, list(doc["CityObjects"])[:3], extra='{"type": "CityJSONFeat\n')
    (b,), _ = read_cityjson(seq)
    assert b.n_features == 3
    assert b.report.counts["skipped"] == 1
    assert any("line 5" in w for w in b.report.warnings)


# -- robustness -----------------------------------------------------------------------


def test_truncated_file_raises_an_error_naming_it(tmp_path: Path) -> None:
    bad = tmp_path / "truncated.city.json"
    bad.write_bytes(DH.read_bytes()[:10000])
    with pytest.raises(CityJSONError, match=re.escape("truncated.city.json")):
        read_cityjson(bad, crs="EPSG:7415")
    assert issubclass(CityJSONError, ValueError)


def test_file_without_city_objects_raises(tmp_path: Path) -> None:
    bad = tmp_path / "empty.city.json"
    bad.write_text(json.dumps({"type": "CityJSON", "version": "2.0", "vertices": []}))
    with pytest.raises(CityJSONError, match=r"empty\.city\.json.*CityObjects"):
        read_cityjson(bad, crs="EPSG:7415")


def test_bad_vertex_index_and_missing_geometry_skip_only_that_object(tmp_path: Path) -> None:
    doc = json.loads(MULTI.read_text())
    ids = list(doc["CityObjects"])
    for g in doc["CityObjects"][ids[0]]["geometry"]:
        g["boundaries"][0][0][0][0] = 10**6
    doc["CityObjects"][ids[1]]["geometry"] = []
    path = tmp_path / "damaged.city.json"
    path.write_text(json.dumps(doc))
    (b,), _ = read_cityjson(path, crs="EPSG:7415")
    assert b.n_features == 8
    assert ids[0] not in set(b.table["id"]) and ids[1] not in set(b.table["id"])
    assert b.report.counts["skipped"] == 2
    assert any("out of range" in w for w in b.report.warnings)
    assert any("no usable geometry" in w for w in b.report.warnings)


def test_very_old_cityjson_asks_for_an_upgrade(tmp_path: Path) -> None:
    old = tmp_path / "old.json"
    old.write_text(json.dumps({"type": "CityJSON", "version": "0.5", "CityObjects": {}}))
    with pytest.raises(CityJSONError, match=re.escape("cjio old.json upgrade save out.city.json")):
        read_cityjson(old, crs="EPSG:7415")


def test_is_cityjson_sniffs_content_not_names(tmp_path: Path) -> None:
    for f in (DH, MULTI, ROTTERDAM, DELFT):  # delft.json puts "type" last
        assert is_cityjson(f)
    geojson = tmp_path / "roads.json"
    geojson.write_text('{"type": "FeatureCollection", "features": []}')
    assert not is_cityjson(geojson)
    assert not is_cityjson(tmp_path / "missing.json")


# -- larger real files from the shared data folder (skipped where it is absent) --------


@pytest.mark.skipif(not ZURICH.exists(), reason="shared Zurich CityJSON not present")
def test_zurich_cityjson_1_1_in_swiss_lv95() -> None:
    t = time.perf_counter()
    (b,), frame = read_cityjson(ZURICH)
    assert time.perf_counter() - t < 2.0
    assert frame.epsg == 2056
    assert b.table.value_counts("type") == {"Building": 49, "BuildingPart": 161}
    _, _, _, _, zmin, zmax = b.bounds()
    assert 395.5 < zmin and zmax < 621.5
    assert (b.mesh.cell_data["surface"] == SURFACE_ROOF).any()


@pytest.mark.skipif(not DENHAAG_08.exists(), reason="shared Den Haag CityJSON 0.8 not present")
def test_legacy_cityjson_0_8_with_terrain() -> None:
    layers, _ = read_cityjson(DENHAAG_08, crs="EPSG:7415")
    by_name = {layer.name: layer for layer in layers}
    assert by_name["DenHaag_01 buildings"].n_features == 844 + 1653
    assert by_name["DenHaag_01 terrain"].mesh.n_triangles == 5595
