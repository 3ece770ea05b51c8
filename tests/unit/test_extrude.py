"""Unit tests of the vectorised footprint extrusion (core: no Qt, no VTK).

They check the properties the renderer and picking rely on: exact volumes, outward
normals per surface, watertight closed solids, feature indices, and ``is_top``.
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely
import trimesh
from shapely import affinity
from shapely.geometry import MultiPolygon, Polygon, box

from alatau_twin.core.extrude import extrude_footprints, extrude_parts, footprint_parts
from alatau_twin.core.mesh import SURFACE_GROUND, SURFACE_ROOF, SURFACE_WALL, TriangleMesh

L_SHAPE = Polygon([(0, 0), (30, 0), (30, 10), (10, 10), (10, 25), (0, 25)])
U_SHAPE = Polygon([(0, 0), (30, 0), (30, 20), (22, 20), (22, 6), (8, 6), (8, 20), (0, 20)])
COURTYARD = box(0, 0, 40, 30).difference(box(10, 8, 30, 22))


def _as_trimesh(mesh: TriangleMesh, mask: np.ndarray | None = None) -> trimesh.Trimesh:
    """Trimesh with vertices merged by position: caps and walls only touch geometrically."""
    tris = mesh.triangles if mask is None else mesh.triangles[mask]
    return trimesh.Trimesh(mesh.points, tris, process=True)


def _assert_closed_outward(mesh: TriangleMesh) -> None:
    t = _as_trimesh(mesh)
    assert t.is_watertight
    assert t.is_winding_consistent
    assert t.volume > 0


def _normals(mesh: TriangleMesh, surface: int) -> np.ndarray:
    return mesh.triangle_normals()[mesh.cell_data["surface"] == surface]


def test_unit_square_volume_normals_and_watertight() -> None:
    mesh = extrude_footprints([box(0, 0, 1, 1)], [10.0])
    assert mesh.volume() == pytest.approx(10.0)
    _assert_closed_outward(mesh)
    roof = _normals(mesh, SURFACE_ROOF)
    bottom = _normals(mesh, SURFACE_GROUND)
    assert len(roof) == 2 and len(bottom) == 2
    assert np.all(roof[:, 2] > 0) and np.allclose(roof[:, :2], 0)
    assert np.all(bottom[:, 2] < 0) and np.allclose(bottom[:, :2], 0)


def test_ten_metre_square_volume() -> None:
    mesh = extrude_footprints([box(0, 0, 10, 10)], [10.0])
    assert mesh.volume() == pytest.approx(1000.0)


def test_wall_normals_point_away_from_centroid_of_convex_polygon() -> None:
    hexagon = shapely.Point(5, 7).buffer(4, quad_segs=2)  # convex octagon
    mesh = extrude_footprints([hexagon], [12.0], base=3.0)
    walls = mesh.cell_data["surface"] == SURFACE_WALL
    normals = mesh.triangle_normals()[walls]
    centres = mesh.points[mesh.triangles[walls]].mean(axis=1)
    outward = centres[:, :2] - np.array([5.0, 7.0])
    assert np.all(np.einsum("ij,ij->i", normals[:, :2], outward) > 0)
    assert np.allclose(normals[:, 2], 0)
    _assert_closed_outward(mesh)


def test_courtyard_hole() -> None:
    h = 15.0
    mesh = extrude_footprints([COURTYARD], [h])
    assert mesh.volume() == pytest.approx((40 * 30 - 20 * 14) * h)
    _assert_closed_outward(mesh)
    # Walls of the courtyard face into the hole, i.e. towards its centre.
    walls = mesh.cell_data["surface"] == SURFACE_WALL
    centres = mesh.points[mesh.triangles[walls]].mean(axis=1)
    inner = (centres[:, 0] > 9) & (centres[:, 0] < 31) & (centres[:, 1] > 7) & (centres[:, 1] < 23)
    normals = mesh.triangle_normals()[walls][inner]
    to_centre = np.array([20.0, 15.0]) - centres[inner, :2]
    assert inner.sum() == 8
    assert np.all(np.einsum("ij,ij->i", normals[:, :2], to_centre) > 0)
    # No roof triangle covers the hole.
    roof = mesh.cell_data["surface"] == SURFACE_ROOF
    roof_centres = mesh.points[mesh.triangles[roof]].mean(axis=1)
    assert np.all(shapely.contains_xy(COURTYARD, roof_centres[:, 0], roof_centres[:, 1]))


def test_multipolygon_gives_two_solids_with_same_feature_index() -> None:
    mp = MultiPolygon([box(0, 0, 5, 5), box(10, 0, 14, 3)])
    mesh = extrude_footprints([mp], [4.0])
    assert mesh.volume() == pytest.approx((25 + 12) * 4.0)
    assert np.all(mesh.cell_data["feature_index"] == 0)
    assert np.all(mesh.point_data["feature_index"] == 0)
    t = _as_trimesh(mesh)
    bodies = t.split(only_watertight=True)
    assert len(bodies) == 2
    assert sorted(round(b.volume, 6) for b in bodies) == [48.0, 100.0]


@pytest.mark.parametrize("shape", [L_SHAPE, U_SHAPE], ids=["L", "U"])
def test_non_convex_shapes(shape: Polygon) -> None:
    h = 9.0
    mesh = extrude_footprints([shape], [h])
    assert mesh.volume() == pytest.approx(shape.area * h)
    _assert_closed_outward(mesh)
    roof = mesh.cell_data["surface"] == SURFACE_ROOF
    centres = mesh.points[mesh.triangles[roof]].mean(axis=1)
    assert np.all(shapely.contains_xy(shape, centres[:, 0], centres[:, 1]))
    assert np.all(_normals(mesh, SURFACE_ROOF)[:, 2] > 0)
    assert np.all(_normals(mesh, SURFACE_GROUND)[:, 2] < 0)


@pytest.mark.parametrize("shape", [box(0, 0, 10, 10), L_SHAPE, U_SHAPE, COURTYARD])
def test_clockwise_input_matches_counter_clockwise(shape: Polygon) -> None:
    ccw = shapely.orient_polygons(shape, exterior_cw=False)
    cw = shapely.orient_polygons(shape, exterior_cw=True)
    m_ccw = extrude_footprints([ccw], [7.0])
    m_cw = extrude_footprints([cw], [7.0])
    assert m_cw.volume() == pytest.approx(m_ccw.volume())
    assert m_cw.volume() == pytest.approx(shape.area * 7.0)
    _assert_closed_outward(m_cw)
    for surface in (SURFACE_ROOF, SURFACE_GROUND):
        assert (
            np.sign(_normals(m_cw, surface)[:, 2]).tolist()
            == np.sign(_normals(m_ccw, surface)[:, 2]).tolist()
        )


def test_base_array_and_min_height() -> None:
    geoms = [box(0, 0, 10, 10), box(20, 0, 30, 10)]
    mesh = extrude_footprints(
        geoms, height=[30.0, 12.0], base=[100.0, 200.0], min_height=[10.0, 0.0]
    )
    assert mesh.volume() == pytest.approx(100 * 20 + 100 * 12)
    for fi, (zlo, zhi) in enumerate([(110.0, 130.0), (200.0, 212.0)]):
        z = mesh.points[mesh.point_data["feature_index"] == fi, 2]
        assert z.min() == pytest.approx(zlo) and z.max() == pytest.approx(zhi)
    _assert_closed_outward(mesh)


def test_scalar_base_and_z_coordinates_ignored() -> None:
    poly3d = Polygon([(0, 0, 50), (4, 0, 50), (4, 4, 50), (0, 4, 50)])
    mesh = extrude_footprints([poly3d], [5.0], base=600.0)
    assert mesh.bounds()[4:] == pytest.approx((600.0, 605.0))


def test_none_and_empty_geometries_skipped_indices_preserved() -> None:
    geoms = np.array(
        [None, box(0, 0, 1, 1), Polygon(), box(5, 5, 7, 7), Polygon([(0, 0), (1, 1), (2, 2)])],
        dtype=object,
    )
    mesh = extrude_footprints(geoms, [1.0, 2.0, 3.0, 4.0, 5.0])
    assert set(np.unique(mesh.cell_data["feature_index"]).tolist()) == {1, 3}
    assert set(np.unique(mesh.point_data["feature_index"]).tolist()) == {1, 3}
    assert mesh.volume() == pytest.approx(1 * 2.0 + 4 * 4.0)
    assert mesh.cell_data["feature_index"].dtype == np.int32
    assert mesh.cell_data["surface"].dtype == np.uint8


def test_all_empty_gives_empty_mesh_with_arrays() -> None:
    mesh = extrude_footprints([None, Polygon()], [1.0, 2.0])
    assert mesh.n_triangles == 0 and mesh.n_points == 0
    assert set(mesh.cell_data) == {"feature_index", "surface"}
    assert set(mesh.point_data) == {"feature_index", "is_top"}


def test_is_top_marks_exactly_the_top_vertices() -> None:
    geoms = [L_SHAPE, COURTYARD, box(100, 0, 110, 10)]
    heights = np.array([20.0, 35.0, 8.0])
    base = np.array([1.0, 2.0, 3.0])
    mesh = extrude_footprints(geoms, heights, base=base, min_height=[0.0, 5.0, 0.0])
    top_z = (base + heights)[mesh.point_data["feature_index"]]
    at_top = np.isclose(mesh.points[:, 2], top_z)
    assert np.array_equal(mesh.point_data["is_top"], at_top)
    assert mesh.point_data["is_top"].dtype == np.bool_
    # Every roof vertex is a top vertex; no bottom vertex is.
    surf = mesh.cell_data["surface"]
    assert mesh.point_data["is_top"][mesh.triangles[surf == SURFACE_ROOF]].all()
    assert not mesh.point_data["is_top"][mesh.triangles[surf == SURFACE_GROUND]].any()


def test_walls_have_own_vertices() -> None:
    mesh = extrude_footprints([box(0, 0, 10, 10)], [5.0])
    surf = mesh.cell_data["surface"]
    wall_v = np.unique(mesh.triangles[surf == SURFACE_WALL])
    cap_v = np.unique(mesh.triangles[surf != SURFACE_WALL])
    assert np.intersect1d(wall_v, cap_v).size == 0
    assert wall_v.size == 4 * 4  # four vertices per wall quad


def test_duplicate_vertices_and_collinear_points() -> None:
    poly = Polygon([(0, 0), (5, 0), (5, 0), (10, 0), (10, 10), (0, 10), (0, 0)])
    mesh = extrude_footprints([poly], [3.0])
    assert mesh.volume() == pytest.approx(300.0)
    _assert_closed_outward(mesh)


def test_large_local_coordinates_keep_orientation() -> None:
    far = affinity.translate(L_SHAPE, 28_000.0, 29_500.0)
    mesh = extrude_footprints([shapely.orient_polygons(far, exterior_cw=True)], [10.0])
    assert mesh.volume() == pytest.approx(L_SHAPE.area * 10.0, rel=1e-6)


def test_matches_trimesh_reference_volume_on_mixed_layer() -> None:
    rng = np.random.default_rng(3)
    geoms = [
        affinity.rotate(box(100 * i, 0, 100 * i + w, d), a, origin="centroid")
        for i, (w, d, a) in enumerate(rng.uniform([5, 5, 0], [40, 40, 180], size=(20, 3)))
    ]
    # Disjoint from the boxes so the merged-by-position mesh stays 2-manifold.
    geoms += [
        affinity.translate(g, 0, 100 * (k + 1)) for k, g in enumerate([L_SHAPE, U_SHAPE, COURTYARD])
    ]
    heights = rng.uniform(5, 100, size=len(geoms))
    mesh = extrude_footprints(geoms, heights)
    expected = sum(g.area * h for g, h in zip(geoms, heights, strict=True))
    assert mesh.volume() == pytest.approx(expected)
    _assert_closed_outward(mesh)


def test_bad_argument_shape_raises() -> None:
    with pytest.raises(ValueError, match="height"):
        extrude_footprints([box(0, 0, 1, 1)], [1.0, 2.0])


def _assert_same_mesh(a: TriangleMesh, b: TriangleMesh) -> None:
    """Bit-for-bit the same mesh: points, triangles and every array."""
    assert np.array_equal(a.points, b.points)
    assert np.array_equal(a.triangles, b.triangles)
    for data_a, data_b in ((a.cell_data, b.cell_data), (a.point_data, b.point_data)):
        assert list(data_a) == list(data_b)
        for name in data_a:
            assert data_a[name].dtype == data_b[name].dtype
            assert np.array_equal(data_a[name], data_b[name])


def _city_in_file_coordinates() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Footprints as a UTM file holds them (holes, multipolygons, L and U shapes,
    duplicate vertices, None), heights and the frame origin at their centre."""
    shapes = [
        box(0, 0, 12, 9),
        COURTYARD,
        MultiPolygon([box(0, 0, 5, 5), box(10, 0, 14, 3)]),
        MultiPolygon([L_SHAPE]),
        U_SHAPE,
        Polygon([(0, 0), (10, 0), (10, 0), (10, 10), (0, 10)]),
        None,
        shapely.orient_polygons(L_SHAPE, exterior_cw=True),
    ]
    rng = np.random.default_rng(5)
    geoms = np.empty(40, dtype=object)
    for i in range(40):
        shape = shapes[i % len(shapes)]
        x, y = 668_000.0 + 60 * i + rng.random(), 4_830_000.0 + 45 * (i % 7) + rng.random()
        geoms[i] = None if shape is None else affinity.translate(shape, x, y)
    heights = rng.uniform(3.0, 60.0, 40)
    return geoms, heights, np.array([669_200.0, 4_830_100.0])


def test_offset_extrusion_is_the_extrusion_of_translated_footprints() -> None:
    """Extruding file coordinates with the origin as ``offset`` gives the very mesh the
    translated footprints give (the reader skips making 100k translated copies)."""
    geoms, heights, origin = _city_in_file_coordinates()
    local = shapely.transform(geoms, lambda xy: xy - origin)
    min_height = np.where(np.arange(40) % 9 == 0, 2.0, 0.0)
    reference = extrude_footprints(local, heights, 0.0, min_height)
    _assert_same_mesh(extrude_footprints(geoms, heights, 0.0, min_height, offset=origin), reference)
    per_feature = np.tile(origin, (40, 1))
    _assert_same_mesh(
        extrude_footprints(geoms, heights, 0.0, min_height, offset=per_feature), reference
    )


def test_parts_patched_with_repaired_footprints_give_the_same_mesh() -> None:
    """The reader's path for invalid footprints: parts of the file's footprints with the
    repaired (already local) ones spliced in, per-feature offsets zero for those."""
    geoms, heights, origin = _city_in_file_coordinates()
    bowtie = Polygon([(0, 0), (20, 20), (20, 0), (0, 20)])
    bad = np.array([3, 17, 30])
    for i in bad:
        geoms[i] = affinity.translate(bowtie, 668_000.0 + 60 * i, 4_830_000.0)
    local = shapely.transform(geoms, lambda xy: xy - origin)
    repaired = shapely.make_valid(local[bad])
    fixed_local = local.copy()
    fixed_local[bad] = repaired
    reference = extrude_footprints(fixed_local, heights)

    parts, part_feat = footprint_parts(geoms)
    keep = ~np.isin(part_feat, bad)
    fixed_parts, fixed_row = footprint_parts(repaired)
    parts = np.concatenate([parts[keep], fixed_parts])
    part_feat = np.concatenate([part_feat[keep], bad[fixed_row]])
    order = np.argsort(part_feat, kind="stable")
    offset = np.tile(origin, (40, 1))
    offset[bad] = 0.0
    mesh = extrude_parts(parts[order], part_feat[order], 40, heights, offset=offset)
    _assert_same_mesh(mesh, reference)


def test_bad_offset_shape_raises() -> None:
    with pytest.raises(ValueError, match="offset"):
        extrude_footprints([box(0, 0, 1, 1)], [1.0], offset=[1.0, 2.0, 3.0])


def test_one_ring_multipolygons_extrude_unsplit_to_the_same_mesh() -> None:
    """MultiPolygons of one hole-free polygon, marked as such, are their own part: the
    mesh is the one splitting them gives."""
    geoms, heights, _ = _city_in_file_coordinates()
    geoms = np.array(
        [g if g is None or g.geom_type != "Polygon" else MultiPolygon([g]) for g in geoms],
        dtype=object,
    )
    parts = shapely.get_num_geometries(geoms)
    holes = np.array(
        [g is not None and any(p.interiors for p in shapely.get_parts(g)) for g in geoms]
    )
    one_ring = (shapely.get_type_id(geoms) == 6) & (parts == 1) & ~holes
    assert one_ring.sum() > 10 and (~one_ring & (parts == 1) & holes).any()
    reference = extrude_footprints(geoms, heights)
    whole_parts, whole_feat = footprint_parts(geoms, one_ring)
    assert (shapely.get_type_id(whole_parts) == 6).sum() == one_ring.sum()
    _assert_same_mesh(extrude_parts(whole_parts, whole_feat, len(geoms), heights), reference)
