"""Vectorised extrusion of building footprints into one merged mesh (core: no Qt, no VTK).

A city layer has ~10^5 footprints; extruding them one by one (a Python loop with a
per-building mesh and a final merge) costs seconds per 10k buildings. Here the whole
layer is processed in a handful of array passes instead:

* shapely's vectorised accessors pull every ring's coordinates into one flat array;
* ring orientation is normalised with a vectorised shoelace sum (exteriors CCW, holes
  CW), so the output faces outward whatever the input orientation;
* walls are generated for all edges of all rings at once with numpy;
* roofs of simple convex parts (the vast majority) are fan-triangulated with index
  arithmetic; only holed or non-convex parts go through ``mapbox_earcut`` in a loop;
* bottoms reuse the roof triangles, reversed, at the bottom elevation.

Vertex layout (documented because renderers rely on it): the points array is
``[roof ring vertices | bottom ring vertices | wall vertices]`` and the triangles are
``[roof | bottom | walls]`` (vertices and walls in feature order; roof and bottom
triangles list fan-triangulated parts first, then earcut ones). Roof and bottom caps
share vertices within their own cap only; every wall quad owns four vertices
(bottom-start, bottom-end, top-end, top-start) so per-vertex normals are the face
normal and walls shade crisply without a normals filter splitting corners. Caps and
walls never share vertices, so the mesh is closed geometrically (coincident positions)
rather than topologically; merge by position if a topological check is needed.
``point_data["is_top"]`` flags every vertex at roof level (cap and wall tops), which
lets a renderer raise or lower whole buildings by moving those points in place.
"""

from __future__ import annotations

from collections.abc import Sequence

import mapbox_earcut
import numpy as np
import shapely
from numpy.typing import ArrayLike

from alatau_twin.core.mesh import SURFACE_GROUND, SURFACE_ROOF, SURFACE_WALL, TriangleMesh

__all__ = ["extrude_footprints", "extrude_parts", "footprint_parts"]

_POLYGON_TYPE_ID = 3
_MULTIPOLYGON_TYPE_ID = 6
# Relative tolerance of the convexity test: a turn counts as concave only when the
# cross product is clearly negative, so collinear vertices (common in surveyed
# footprints) and floating-point noise keep the fast fan path.
_CONVEX_RTOL = 1e-10


def _per_feature(value: ArrayLike | None, n: int, name: str) -> np.ndarray:
    """Broadcast a scalar or (n,) argument to a float64 (n,) array, with a clear error."""
    if value is None:
        return np.zeros(n, dtype=np.float64)
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        return np.full(n, float(arr))
    if arr.shape != (n,):
        raise ValueError(f"{name} must be a scalar or have shape ({n},), got {arr.shape}")
    return arr


def _ring_slices(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start offsets and, per vertex, the owning ring of rings laid out back to back."""
    starts = np.zeros(counts.shape[0], dtype=np.int64)
    np.cumsum(counts[:-1], out=starts[1:])
    owner = np.repeat(np.arange(counts.shape[0], dtype=np.int64), counts)
    return starts, owner


def _fan_triangles(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Fan triangles (s, s+j, s+j+1) for convex rings, all rings in one numpy pass.

    A CCW convex ring gives CCW (upward-facing) triangles.
    """
    n_tri = counts - 2
    total = int(n_tri.sum())
    if total == 0:
        return np.zeros((0, 3), dtype=np.int64)
    tri_start = np.cumsum(n_tri) - n_tri
    apex = np.repeat(starts, n_tri)
    j = np.arange(total, dtype=np.int64) - np.repeat(tri_start, n_tri) + 1
    return np.stack([apex, apex + j, apex + j + 1], axis=1)


def _earcut_triangles(
    xy: np.ndarray,
    parts: np.ndarray,
    part_start: np.ndarray,
    part_nverts: np.ndarray,
    part_first_ring: np.ndarray,
    part_nrings: np.ndarray,
    ring_end_local: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Earcut the given parts; returns (triangles with global indices, owning part).

    This is the only per-polygon Python loop, kept for holed or non-convex parts where
    a fan would be wrong. Triangles are re-oriented CCW afterwards in one pass, so the
    result does not depend on earcut's output winding convention.
    """
    if parts.shape[0] == 0:
        return np.zeros((0, 3), dtype=np.int64), np.zeros(0, dtype=np.int64)
    chunks: list[np.ndarray] = []
    tri_counts = np.empty(parts.shape[0], dtype=np.int64)
    starts = part_start[parts].tolist()
    stops = (part_start[parts] + part_nverts[parts]).tolist()
    r0s = part_first_ring[parts].tolist()
    r1s = (part_first_ring[parts] + part_nrings[parts]).tolist()
    triangulate = mapbox_earcut.triangulate_float64
    for k, (s, e, r0, r1) in enumerate(zip(starts, stops, r0s, r1s, strict=True)):
        idx = triangulate(xy[s:e], ring_end_local[r0:r1])
        chunks.append(idx)
        tri_counts[k] = idx.shape[0] // 3
    local = np.concatenate(chunks).astype(np.int64).reshape(-1, 3)
    owner = np.repeat(parts, tri_counts)
    tris = local + part_start[owner][:, None]
    # Flip any clockwise triangle so every roof triangle faces +z.
    a, b, c = xy[tris[:, 0]], xy[tris[:, 1]], xy[tris[:, 2]]
    cross = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])
    flip = cross < 0
    tris[flip] = tris[flip][:, [0, 2, 1]]
    return tris, owner


def footprint_parts(
    geoms: Sequence[shapely.Geometry | None] | np.ndarray,
    one_ring: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(polygon parts, feature row of each part) of footprints, in feature order.

    Polygons are their own part; MultiPolygons are split (their parts in order); other
    types, ``None`` and empty geometries give none. This is the step a reader can run
    while the validity of the same footprints is checked in another thread, and patch
    afterwards for the few it repairs (see :func:`extrude_parts`).

    ``one_ring`` (optional, per feature) marks MultiPolygons known to hold a single
    polygon without holes, as a reader can tell from their WKB: they are their own
    part, not split. Splitting clones every part (0.08-0.15 s for the 100k single-part
    MultiPolygons of a GeoPackage written by GDAL), and a one-ring MultiPolygon extrudes
    exactly as its polygon (same coordinates, same area, no interior rings). Marking a
    MultiPolygon that has several parts or holes would extrude it wrongly.
    """
    geoms_arr = np.asarray(geoms, dtype=object).reshape(-1)
    # Only MultiPolygons go through get_parts: it clones every part it returns, which
    # would be the single most expensive step if applied to the ~99% plain Polygons.
    type_id = shapely.get_type_id(geoms_arr)
    own = type_id == _POLYGON_TYPE_ID
    multi = type_id == _MULTIPOLYGON_TYPE_ID
    if one_ring is not None:
        whole = multi & np.asarray(one_ring, dtype=bool)
        own |= whole
        multi &= ~whole
    poly_idx = np.flatnonzero(own)
    multi_idx = np.flatnonzero(multi)
    parts = geoms_arr[poly_idx]
    part_feat = poly_idx.astype(np.int64)
    if multi_idx.size:
        sub, sub_idx = shapely.get_parts(geoms_arr[multi_idx], return_index=True)
        parts = np.concatenate([parts, sub])
        part_feat = np.concatenate([part_feat, multi_idx[sub_idx].astype(np.int64)])
        order = np.argsort(part_feat, kind="stable")  # vertices/walls in feature order
        parts, part_feat = parts[order], part_feat[order]
    return parts, part_feat


def extrude_footprints(
    geoms: Sequence[shapely.Geometry | None] | np.ndarray,
    height: ArrayLike,
    base: ArrayLike = 0.0,
    min_height: ArrayLike | None = None,
    offset: ArrayLike | None = None,
) -> TriangleMesh:
    """Extrude every footprint into a closed, outward-facing solid, merged into one mesh.

    Parameters
    ----------
    geoms:
        ``n`` shapely Polygons / MultiPolygons in local metric coordinates (z ignored).
        ``None``, empty, non-polygonal and zero-area geometries produce no triangles,
        but feature indices of the others still refer to positions in ``geoms``.
        Geometries are assumed valid (the caller repairs them); ring orientation may be
        anything.
    height:
        ``(n,)`` top of each building above its base (metres).
    base:
        Scalar or ``(n,)`` ground elevation under each building (from terrain).
    min_height:
        Optional scalar or ``(n,)`` height above base where the solid starts (raised
        parts such as bridges). The solid spans ``base + min_height .. base + height``;
        features whose top is not above their bottom (or non-finite) are skipped.
    offset:
        Optional ``(2,)`` or ``(n, 2)`` (x, y) subtracted from each feature's coordinates
        first: footprints read in their file's CRS are extruded in the scene frame
        (minus its origin) without building translated copies of them (0.1-0.25 s for
        100k footprints). The mesh is the one the translated geometries would give when
        the subtraction is exact (e.g. every coordinate within a factor of two of its
        offset); otherwise only the zero-area test of degenerate parts, made on the
        untranslated parts, could round differently.

    Returns
    -------
    TriangleMesh
        ``cell_data``: ``feature_index`` (int32, row in ``geoms``) and ``surface``
        (uint8: ``SURFACE_GROUND`` bottom, ``SURFACE_WALL``, ``SURFACE_ROOF``).
        ``point_data``: ``feature_index`` (int32) and ``is_top`` (bool, roof-level
        vertices). See the module docstring for the vertex layout.
    """
    n = np.asarray(geoms, dtype=object).reshape(-1).shape[0]
    parts, part_feat = footprint_parts(geoms)
    return extrude_parts(parts, part_feat, n, height, base, min_height, offset)


def extrude_parts(
    parts: np.ndarray,
    part_feat: np.ndarray,
    n: int,
    height: ArrayLike,
    base: ArrayLike = 0.0,
    min_height: ArrayLike | None = None,
    offset: ArrayLike | None = None,
) -> TriangleMesh:
    """:func:`extrude_footprints` of the parts :func:`footprint_parts` gave for ``n``
    features (``part_feat`` in non-decreasing order); arguments as there."""
    height_arr = _per_feature(height, n, "height")
    z_bottom = _per_feature(base, n, "base") + _per_feature(min_height, n, "min_height")
    z_top = _per_feature(base, n, "base") + height_arr
    shift = None if offset is None else np.asarray(offset, dtype=np.float64)
    if shift is not None and shift.shape not in ((2,), (n, 2)):
        raise ValueError(f"offset must have shape (2,) or ({n}, 2), got {shift.shape}")

    # --- polygon parts of drawable features, filtered in one pass ---------------------
    ok_feat = np.isfinite(z_top) & np.isfinite(z_bottom) & (z_top > z_bottom)
    part_feat = np.asarray(part_feat, dtype=np.int64)
    if not ok_feat[part_feat].all():
        parts, part_feat = parts[ok_feat[part_feat]], part_feat[ok_feat[part_feat]]
    if parts.shape[0] == 0:
        return _empty_mesh()
    keep = shapely.area(parts) > 0.0  # also drops empty parts
    if not keep.all():
        parts, part_feat = parts[keep], part_feat[keep]
    if parts.shape[0] == 0:
        return _empty_mesh()

    # --- rings and coordinates: exterior first, then holes, for every part -----------
    # get_coordinates reads all parts without cloning; ring boundaries are only needed
    # (and get_rings, which clones rings, only called) for parts that have holes.
    coords, coord_part = shapely.get_coordinates(parts, return_index=True)
    if shift is not None:
        # The same subtraction shapely.transform(g, lambda xy: xy - origin) would do.
        coords -= shift if shift.ndim == 1 else shift[part_feat[coord_part]]
    n_holes = shapely.get_num_interior_rings(parts).astype(np.int64)
    part_nrings = n_holes + 1
    part_first_ring = np.cumsum(part_nrings) - part_nrings
    ring_counts = np.empty(int(part_nrings.sum()), dtype=np.int64)
    simple = n_holes == 0
    ring_counts[part_first_ring[simple]] = np.bincount(coord_part, minlength=parts.shape[0])[simple]
    holed = np.flatnonzero(~simple)
    if holed.size:
        h_rings, h_part = shapely.get_rings(parts[holed], return_index=True)
        h_first = np.cumsum(part_nrings[holed]) - part_nrings[holed]
        local = np.arange(h_rings.shape[0]) - h_first[h_part]
        ring_counts[part_first_ring[holed][h_part] + local] = shapely.get_num_coordinates(h_rings)
    ring_part = np.repeat(np.arange(parts.shape[0], dtype=np.int64), part_nrings)
    ring_is_ext = np.zeros(ring_counts.shape[0], dtype=bool)
    ring_is_ext[part_first_ring] = True
    coord_ring = np.repeat(np.arange(ring_counts.shape[0], dtype=np.int64), ring_counts)
    n_rings = ring_counts.shape[0]
    # Drop each ring's closing vertex and consecutive duplicates (zero-length edges
    # would become degenerate walls): keep a vertex when it differs from its successor
    # in the closed ring, which also handles a duplicate at the seam.
    vkeep = np.zeros(coords.shape[0], dtype=bool)
    same_ring = coord_ring[:-1] == coord_ring[1:]
    vkeep[:-1] = same_ring & np.any(coords[:-1] != coords[1:], axis=1)
    counts = np.bincount(coord_ring[vkeep], minlength=n_rings).astype(np.int64)

    # Rings with < 3 distinct vertices have no area: drop degenerate holes, and whole
    # parts whose exterior degenerated (cannot happen for valid non-zero-area input).
    ring_ok = counts >= 3
    part_ok = np.ones(parts.shape[0], dtype=bool)
    part_ok[ring_part[ring_is_ext]] = ring_ok[ring_is_ext]
    ring_ok &= part_ok[ring_part]
    if not ring_ok.all():
        vkeep &= ring_ok[coord_ring]
        ring_part, ring_is_ext = ring_part[ring_ok], ring_is_ext[ring_ok]
        counts = counts[ring_ok]
    xy = np.ascontiguousarray(coords[vkeep])
    if xy.shape[0] == 0:
        return _empty_mesh()
    n_rings = counts.shape[0]
    ring_start, vring = _ring_slices(counts)

    # --- orientation: exterior CCW, holes CW (vectorised shoelace) -------------------
    idx = np.arange(xy.shape[0], dtype=np.int64)
    nxt = idx + 1
    ring_last = ring_start + counts - 1
    nxt[ring_last] = ring_start
    x, y = xy[:, 0], xy[:, 1]
    # Centre each ring on its first vertex before the shoelace sum: large local
    # coordinates (tens of km) would otherwise cancel catastrophically.
    x0 = x - x[ring_start][vring]
    y0 = y - y[ring_start][vring]
    twice_area = np.bincount(vring, weights=x0 * y0[nxt] - x0[nxt] * y0, minlength=n_rings)
    flip_ring = (twice_area > 0) != ring_is_ext
    if flip_ring.any():
        flip_v = flip_ring[vring]
        rev = ring_start[vring] + ring_last[vring] - idx
        xy = xy[np.where(flip_v, rev, idx)]
        x, y = xy[:, 0], xy[:, 1]

    # --- per-vertex attributes ---------------------------------------------------------
    vpart = ring_part[vring]
    vfeat = part_feat[vpart]
    zt = z_top[vfeat]
    zb = z_bottom[vfeat]
    nv = xy.shape[0]

    # --- roofs: fan for simple convex parts, earcut for the rest ---------------------
    n_parts = parts.shape[0]
    part_nrings = np.bincount(ring_part, minlength=n_parts).astype(np.int64)
    part_nverts = np.bincount(vpart, minlength=n_parts).astype(np.int64)
    part_first_ring = np.cumsum(part_nrings) - part_nrings
    part_start = np.cumsum(part_nverts) - part_nverts
    prev = np.roll(idx, 1)
    prev[ring_start] = ring_last
    ax, ay = x - x[prev], y - y[prev]
    bx, by = x[nxt] - x, y[nxt] - y
    turn = ax * by - ay * bx
    concave = turn < -_CONVEX_RTOL * (ax * ax + ay * ay + bx * bx + by * by)
    part_concave = np.bincount(vpart[concave], minlength=n_parts) > 0
    use_earcut = part_concave | (part_nrings > 1)
    fan_parts = np.flatnonzero(~use_earcut & (part_nverts >= 3))  # 0: part dropped above
    fan_tris = _fan_triangles(part_start[fan_parts], part_nverts[fan_parts])
    fan_feat = np.repeat(part_feat[fan_parts], part_nverts[fan_parts] - 2)
    ring_end_local = (ring_start + counts - part_start[ring_part]).astype(np.uint32)
    ear_tris, ear_part = _earcut_triangles(
        xy,
        np.flatnonzero(use_earcut),
        part_start,
        part_nverts,
        part_first_ring,
        part_nrings,
        ring_end_local,
    )
    roof_tris = np.concatenate([fan_tris, ear_tris])
    roof_feat = np.concatenate([fan_feat, part_feat[ear_part]])

    # --- assemble: [roof | bottom | walls], arrays written in place --------------------
    # Walls: one quad per ring edge p->q with 4 own vertices (b_p, b_q, t_q, t_p). For a
    # CCW exterior the solid lies left of p->q, so (b_p, b_q, t_q) and (b_p, t_q, t_p)
    # face right, i.e. outward; CW holes face into the courtyard.
    points = np.empty((6 * nv, 3), dtype=np.float64)
    points[:nv, :2] = xy
    points[:nv, 2] = zt
    points[nv : 2 * nv, :2] = xy
    points[nv : 2 * nv, 2] = zb
    wall_pts = points[2 * nv :].reshape(nv, 4, 3)  # a view: written in place
    xy_next = xy[nxt]
    wall_pts[:, 0, :2] = xy
    wall_pts[:, 1, :2] = xy_next
    wall_pts[:, 2, :2] = xy_next
    wall_pts[:, 3, :2] = xy
    wall_pts[:, 0, 2] = zb
    wall_pts[:, 1, 2] = zb
    wall_pts[:, 2, 2] = zt
    wall_pts[:, 3, 2] = zt

    n_roof = roof_tris.shape[0]
    n_wall = 2 * nv
    triangles = np.empty((2 * n_roof + n_wall, 3), dtype=np.int64)
    triangles[:n_roof] = roof_tris
    triangles[n_roof : 2 * n_roof] = roof_tris[:, [0, 2, 1]] + nv  # bottom faces down
    np.add(
        (4 * idx + 2 * nv)[:, None, None],
        np.array([[[0, 1, 2], [0, 2, 3]]], dtype=np.int64),
        out=triangles[2 * n_roof :].reshape(nv, 2, 3),
    )

    cell_feat = np.empty(triangles.shape[0], dtype=np.int32)
    cell_feat[:n_roof] = roof_feat
    cell_feat[n_roof : 2 * n_roof] = roof_feat
    cell_feat[2 * n_roof :] = np.repeat(vfeat, 2)
    surface = np.empty(triangles.shape[0], dtype=np.uint8)
    surface[:n_roof] = SURFACE_ROOF
    surface[n_roof : 2 * n_roof] = SURFACE_GROUND
    surface[2 * n_roof :] = SURFACE_WALL

    point_feat = np.empty(6 * nv, dtype=np.int32)
    point_feat[:nv] = vfeat
    point_feat[nv : 2 * nv] = vfeat
    point_feat[2 * nv :] = np.repeat(vfeat, 4)
    is_top = np.zeros(6 * nv, dtype=bool)
    is_top[:nv] = True
    is_top[2 * nv :].reshape(nv, 4)[:, 2:] = True

    return TriangleMesh(
        points,
        triangles,
        cell_data={"feature_index": cell_feat, "surface": surface},
        point_data={"feature_index": point_feat, "is_top": is_top},
    )


def _empty_mesh() -> TriangleMesh:
    """An empty mesh that still carries the arrays callers expect."""
    mesh = TriangleMesh.empty()
    mesh.cell_data = {
        "feature_index": np.zeros(0, dtype=np.int32),
        "surface": np.zeros(0, dtype=np.uint8),
    }
    mesh.point_data = {
        "feature_index": np.zeros(0, dtype=np.int32),
        "is_top": np.zeros(0, dtype=bool),
    }
    return mesh
