"""Deterministic synthetic cities for benchmarks and scale tests (io: no Qt, no VTK).

Real data big enough to stress the viewer (100k buildings) does not ship with the app,
so benchmarks build a seeded synthetic city instead: footprints on a grid over 30 x 30 km
with the shapes real cities have (rectangles, L-shapes, courtyards, multipolygons).
"""

from __future__ import annotations

import numpy as np

from alatau_twin.core.attributes import AttributeTable
from alatau_twin.core.extrude import extrude_footprints
from alatau_twin.core.frame import SceneFrame
from alatau_twin.core.layers import BuildingLayer
from alatau_twin.core.scene import Scene, SceneInfo
from alatau_twin.core.style import USE_COLORS, categorical_colors
from alatau_twin.core.views import CameraView


def synthetic_city(n: int, seed: int = 20240601) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Deterministic footprints, heights and base elevations for ``n`` buildings.

    Geometries are built with shapely's vectorised constructors so setup stays cheap.
    Returns ``(geoms object array, height (n,), base (n,))``.
    """
    import shapely

    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(n)))
    spacing = 30_000.0 / side  # ~95 m cells for 100k footprints
    cell = np.arange(n)
    centre = np.stack([(cell % side + 0.5) * spacing, (cell // side + 0.5) * spacing], axis=1)
    centre -= 15_000.0  # local frame centred on the city
    centre += rng.uniform(-0.1, 0.1, size=(n, 2)) * spacing
    angle = rng.uniform(0.0, np.pi, size=n)
    width = rng.uniform(10.0, 60.0, size=n)
    depth = rng.uniform(10.0, 40.0, size=n)
    kind = rng.random(n)
    is_l = kind < 0.10
    is_court = (kind >= 0.10) & (kind < 0.13)
    is_multi = (kind >= 0.13) & (kind < 0.14)
    is_rect = ~(is_l | is_court | is_multi)

    def place(local: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """Rotate (k, m, 2) local outlines by each building's angle and move to its cell."""
        c, s = np.cos(angle[idx])[:, None], np.sin(angle[idx])[:, None]
        x, y = local[..., 0], local[..., 1]
        return np.stack([c * x - s * y, s * x + c * y], axis=-1) + centre[idx][:, None, :]

    def rect(w: np.ndarray, d: np.ndarray, x0: float | np.ndarray = 0.0) -> np.ndarray:
        """Closed (k, 5, 2) rectangle outlines centred on the origin (shifted by x0)."""
        hx, hy = w[:, None] / 2, d[:, None] / 2
        xs = np.array([-1, 1, 1, -1, -1]) * hx + np.asarray(x0).reshape(-1, 1)
        ys = np.array([-1, -1, 1, 1, -1]) * hy
        return np.stack([xs, ys], axis=-1)

    geoms = np.empty(n, dtype=object)
    idx = np.flatnonzero(is_rect)
    geoms[idx] = shapely.polygons(place(rect(width[idx], depth[idx]), idx))

    idx = np.flatnonzero(is_l)
    w, d = width[idx][:, None], depth[idx][:, None] + 15.0
    t = np.minimum(w, d) * rng.uniform(0.3, 0.6, size=(idx.size, 1))
    lx = np.concatenate([0 * w, w, w, t, t, 0 * w, 0 * w], axis=1) - w / 2
    ly = np.concatenate([0 * d, 0 * d, t, t, d, d, 0 * d], axis=1) - d / 2
    geoms[idx] = shapely.polygons(place(np.stack([lx, ly], axis=-1), idx))

    idx = np.flatnonzero(is_court)
    w, d = width[idx] + 20.0, depth[idx] + 30.0
    outer = shapely.linearrings(place(rect(w, d), idx))
    inner = shapely.linearrings(place(rect(w * 0.5, d * 0.5), idx))
    geoms[idx] = shapely.polygons(outer, holes=inner[:, None])

    idx = np.flatnonzero(is_multi)
    w, d = width[idx] * 0.4, depth[idx]
    left = shapely.polygons(place(rect(w, d, -w * 0.7), idx))
    right = shapely.polygons(place(rect(w, d, w * 0.7), idx))
    geoms[idx] = shapely.multipolygons(np.stack([left, right], axis=1))

    height = np.clip(rng.lognormal(np.log(20.0), 0.7, size=n), 5.0, 200.0)
    base = 650.0 + 0.01 * centre[:, 0] + 0.02 * centre[:, 1]  # gentle slope, metres
    return geoms, height, base


def synthetic_city_scene(n: int = 100_000, seed: int = 20240601) -> Scene:
    """A scene holding one ``BuildingLayer`` of ``n`` synthetic buildings."""
    geoms, height, base = synthetic_city(n, seed)
    rng = np.random.default_rng(seed + 1)
    uses = np.array(["residential", "office", "retail", "industrial", "education"], dtype=object)
    use = uses[rng.integers(0, len(uses), size=n)]
    table = AttributeTable(
        {
            "id": np.array([f"S{i:06d}" for i in range(n)], dtype=object),
            "use": use,
            "height": height,
            "basis": np.full(n, "illustrative", dtype=object),
        }
    )
    mesh = extrude_footprints(geoms, height, base)
    layer = BuildingLayer("Buildings", mesh, table, footprints=geoms, base=base)
    layer.colors = categorical_colors(use, USE_COLORS)
    scene = Scene(SceneFrame(), SceneInfo(title=f"Synthetic city of {n:,} buildings"))
    scene.layers.append(layer)
    target = (0.0, 0.0, 650.0)
    scene.views["overview"] = CameraView.orbit(
        "overview", target, 26_000.0, azimuth=20, elevation=35
    )
    scene.views["street"] = CameraView.orbit("street", target, 3_000.0, azimuth=30, elevation=25)
    return scene
