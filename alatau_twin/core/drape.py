"""Polygons draped on a terrain surface (core: no Qt, no VTK).

A flat triangulation of a district or a lake outline would cut through hills or float
over valleys; draping cuts the polygon into square cells, puts every vertex on the
ground plus an offset, and so follows the terrain at the cell size.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import mapbox_earcut
import numpy as np
import shapely
from shapely.geometry import Polygon

from alatau_twin.core.mesh import TriangleMesh

ZFunction = Callable[[np.ndarray, np.ndarray], np.ndarray]


def triangulate_polygon(poly: Polygon) -> tuple[np.ndarray, np.ndarray]:
    """(xy vertices, triangles) of a polygon with holes, by ear cutting."""
    rings = [np.asarray(poly.exterior.coords)[:-1, :2]] + [
        np.asarray(h.coords)[:-1, :2] for h in poly.interiors
    ]
    xy = np.concatenate(rings)
    ends = np.cumsum([len(r) for r in rings]).astype(np.uint32)
    tris = mapbox_earcut.triangulate_float64(xy, ends).astype(np.int64).reshape(-1, 3)
    return xy, tris


def drape_polygon(
    poly: Polygon,
    z: ZFunction,
    feature: int,
    offset: float,
    cell: float = 200.0,
    decimals: int | None = None,
) -> TriangleMesh:
    """Triangulate ``poly`` cut into ``cell``-metre squares, each vertex at ``z(x, y)``
    + ``offset``; ``decimals`` rounds coordinates (the sample keeps 0.01 m).

    Squares wholly inside become two triangles in one numpy pass; only the squares the
    outline crosses are clipped and ear-cut.
    """
    xmin, ymin, xmax, ymax = poly.bounds
    i0, i1 = math.floor(xmin / cell), math.ceil(xmax / cell)
    j0, j1 = math.floor(ymin / cell), math.ceil(ymax / cell)
    ii, jj = np.meshgrid(np.arange(i0, i1), np.arange(j0, j1))
    x0, y0 = ii.ravel() * cell, jj.ravel() * cell
    boxes = shapely.box(x0, y0, x0 + cell, y0 + cell)
    shapely.prepare(poly)
    inner = shapely.contains(poly, boxes)
    cross = ~inner & shapely.intersects(poly, boxes)
    xi, yi = x0[inner], y0[inner]
    quad = np.stack(
        [
            np.column_stack([xi, yi]),
            np.column_stack([xi + cell, yi]),
            np.column_stack([xi + cell, yi + cell]),
            np.column_stack([xi, yi + cell]),
        ],
        1,
    )
    pts = [quad.reshape(-1, 2)]
    q = np.arange(len(xi))[:, None] * 4
    tris = [np.concatenate([q + np.array([0, 1, 2]), q + np.array([0, 2, 3])])]
    base = len(pts[0])
    for piece in shapely.get_parts(shapely.intersection(boxes[cross], poly)):
        for part in shapely.get_parts(piece):
            if part.geom_type != "Polygon" or part.area < 1.0:
                continue
            xy, t = triangulate_polygon(part)
            pts.append(xy)
            tris.append(t + base)
            base += len(xy)
    xy = np.concatenate(pts)
    if decimals is not None:
        xy = np.round(xy, decimals)  # round before sampling z, so z belongs to stored xy
    zz = z(xy[:, 0], xy[:, 1]) + offset
    if decimals is not None:
        zz = np.round(zz, decimals)
    tri = np.concatenate(tris).astype(np.int64)
    return TriangleMesh(
        np.column_stack([xy, zz]), tri, {"feature_index": np.full(len(tri), feature, np.int32)}
    )
