"""Deterministic synthetic cities for benchmarks and scale tests (io: no Qt, no VTK).

Real data big enough to stress the viewer (100k buildings) does not ship with the app,
so benchmarks build a seeded synthetic city instead: footprints on a grid over 30 x 30 km
with the shapes real cities have (rectangles, L-shapes, courtyards, multipolygons).
"""

from __future__ import annotations

import numpy as np
import shapely

from alatau_twin.core.attributes import AttributeTable
from alatau_twin.core.extrude import extrude_footprints
from alatau_twin.core.frame import SceneFrame
from alatau_twin.core.layers import BuildingLayer
from alatau_twin.core.scene import Scene, SceneInfo
from alatau_twin.core.schedule import Schedule
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


def synthetic_schedule(ids: np.ndarray, height: np.ndarray, seed: int = 20240601) -> Schedule:
    """A 2025-2035 programme for synthetic buildings, with as-built reports.

    Like the sample's: planned starts spread over the decade, durations growing with
    height, as-built reports every 91 days on an S-curve that runs a little ahead of or
    behind plan. Generated for all buildings in flat arrays (100k buildings in ~0.3 s),
    so the time-cursor benchmark can scale to cities the sample cannot.
    """
    rng = np.random.default_rng(seed + 2)
    n = len(ids)
    first = np.datetime64("2025-01-01", "D")
    start = first + rng.integers(0, 3470, n)
    duration = (150 + 6.0 * np.asarray(height, float) * rng.uniform(0.8, 1.2, n)).astype(int)
    finish = start + duration
    delay = rng.integers(-30, 120, n)
    actual = np.maximum(30, (duration * rng.uniform(0.9, 1.25, n)).astype(int))
    step = 91
    n_reg = (actual - 1) // step + 1  # regular reports strictly before the actual finish
    counts = n_reg + 1
    owner = np.repeat(np.arange(n), counts)
    k = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    last = k == counts[owner] - 1
    offset = np.where(last, actual[owner], k * step)
    t = offset / actual[owner]
    pct = np.where(last, 100.0, np.round(np.clip(100.0 * (3 * t**2 - 2 * t**3), 0, 99), 1))
    days = (start[owner] + delay[owner] + offset).astype("datetime64[D]")
    cut = np.cumsum(counts)[:-1]
    reports = dict(
        zip(
            (str(i) for i in ids),
            zip(np.split(days, cut), np.split(pct, cut), strict=True),
            strict=True,
        )
    )
    return Schedule(np.asarray(ids, dtype=object), start, finish, reports)


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
    # Quadrants as districts, so per-district charts have something to group by.
    cx, cy = shapely.get_coordinates(shapely.centroid(geoms)).T
    table["district"] = np.where(
        cy >= 0,
        np.where(cx >= 0, "North-east", "North-west"),
        np.where(cx >= 0, "South-east", "South-west"),
    ).astype(object)
    layer = BuildingLayer("Buildings", mesh, table, footprints=geoms, base=base)
    layer.colors = categorical_colors(use, USE_COLORS)
    scene = Scene(SceneFrame(), SceneInfo(title=f"Synthetic city of {n:,} buildings"))
    scene.layers.append(layer)
    scene.schedule = synthetic_schedule(table["id"], height, seed)
    target = (0.0, 0.0, 650.0)
    scene.views["overview"] = CameraView.orbit(
        "overview", target, 26_000.0, azimuth=20, elevation=35
    )
    scene.views["street"] = CameraView.orbit("street", target, 3_000.0, azimuth=30, elevation=25)
    return scene


def add_synthetic_power_network(
    scene: Scene,
    *,
    substations: int = 20,
    feeders_per_substation: int = 10,
    transformers_per_feeder: int = 25,
    seed: int = 20240602,
) -> dict[str, int]:
    """Give a synthetic city a radial power network, its layers and ``residents``.

    The live-status benchmark needs a network of realistic size on the 100k-building
    city: one grid supply point (the source) feeds ``substations`` substations by 110 kV
    lines; each substation has ``feeders_per_substation`` 10 kV feeders, each a chain of
    ``transformers_per_feeder`` transformers (defaults: 5,000 transformers, ~10,000
    elements). Every building is served by the transformer nearest to it, so a fault
    on a feeder segment darkens the buildings of every transformer downstream of it,
    as on a real radial feeder. Adds "Power lines" (LineLayer) and "Power stations"
    (PointLayer) with ``id`` and ``network`` columns, and a ``residents`` column on the
    buildings (so what-if impacts count people). Returns the element counts.
    """
    from alatau_twin.core.layers import LineLayer, PointLayer
    from alatau_twin.core.network import Network
    from alatau_twin.core.style import NETWORK_COLORS

    buildings = scene.building_layers()[0]
    n_b = buildings.n_features
    rng = np.random.default_rng(seed)
    xy = _building_centres(buildings)
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    z0 = float(np.median(buildings.base)) + 5.0 if n_b else 0.0

    net = Network(kind="power")
    node_ids: list[str] = []
    node_xy: list[tuple[float, float]] = []
    node_type: list[str] = []
    link_ids: list[str] = []
    link_ends: list[tuple[int, int]] = []
    link_type: list[str] = []

    def node(nid: str, p: np.ndarray, typ: str, source: bool = False) -> int:
        net.add_node(nid, type=typ, source=source)
        node_ids.append(nid)
        node_xy.append((float(p[0]), float(p[1])))
        node_type.append(typ)
        return len(node_ids) - 1

    def link(lid: str, a: int, b: int, typ: str) -> None:
        net.add_link(lid, node_ids[a], node_ids[b], type=typ)
        link_ids.append(lid)
        link_ends.append((a, b))
        link_type.append(typ)

    centre = (lo + hi) / 2
    gsp = node("SYN-GSP", np.array([centre[0], lo[1] - 500.0]), "supply", source=True)
    # Substations on a grid over the city; feeders fan out from each in a star.
    side = int(np.ceil(np.sqrt(substations)))
    span = (hi - lo) / np.array([side, int(np.ceil(substations / side))])
    t_xy: list[tuple[float, float]] = []
    t_index: list[int] = []
    for s in range(substations):
        sc = lo + span * (np.array([s % side, s // side]) + 0.5)
        sub = node(f"SYN-SUB-{s:02d}", sc, "substation")
        link(f"SYN-L110-{s:02d}", gsp, sub, "110 kV line")
        for f in range(feeders_per_substation):
            angle = 2 * np.pi * (f + rng.uniform(-0.2, 0.2)) / feeders_per_substation
            step = 0.5 * min(span) / transformers_per_feeder
            prev = sub
            for t in range(transformers_per_feeder):
                p = sc + (t + 1) * step * np.array([np.cos(angle), np.sin(angle)])
                tid = node(f"SYN-T-{s:02d}-{f:02d}-{t:02d}", p, "transformer")
                link(f"SYN-F-{s:02d}-{f:02d}-{t:02d}", prev, tid, "10 kV feeder")
                t_xy.append((float(p[0]), float(p[1])))
                t_index.append(tid)
                prev = tid
    # Each building to its nearest transformer (a KD-tree: 100k x 4k pairs is too many).
    from scipy.spatial import cKDTree

    _, nearest = cKDTree(np.asarray(t_xy)).query(xy)
    ids = buildings.table["id"]
    order = np.argsort(nearest, kind="stable")
    bounds = np.searchsorted(nearest[order], np.arange(len(t_index) + 1))
    for k, ti in enumerate(t_index):
        served = order[bounds[k] : bounds[k + 1]]
        if len(served):
            net.serves[node_ids[ti]] = [str(v) for v in ids[served]]
    scene.networks["power"] = net

    # Residents: homes get people by floor area, other uses none.
    use = buildings.table.get("use")
    height = np.asarray(buildings.table["height"], float)
    homes = (use == "residential") if use is not None else np.ones(n_b, bool)
    floors = np.maximum(1, np.round(height / 3.2))
    buildings.table["residents"] = np.where(homes, np.round(floors * rng.uniform(2, 6, n_b)), 0)

    pts = np.asarray(node_xy)
    color = np.array(NETWORK_COLORS["power"], np.uint8)
    lines = [np.array([[*pts[a], z0], [*pts[b], z0]], float) for a, b in link_ends]
    lt = AttributeTable(
        {
            "id": np.array(link_ids, dtype=object),
            "network": np.full(len(link_ids), "power", dtype=object),
            "type": np.array(link_type, dtype=object),
            "from_id": np.array([node_ids[a] for a, _ in link_ends], dtype=object),
            "to_id": np.array([node_ids[b] for _, b in link_ends], dtype=object),
            "basis": np.full(len(link_ids), "illustrative", dtype=object),
        }
    )
    line_layer = LineLayer("Power lines", lines, lt, style="network", group="Power")
    line_layer.colors = np.tile(color, (len(lines), 1))
    pt = AttributeTable(
        {
            "id": np.array(node_ids, dtype=object),
            "network": np.full(len(node_ids), "power", dtype=object),
            "type": np.array(node_type, dtype=object),
            "basis": np.full(len(node_ids), "illustrative", dtype=object),
        }
    )
    point_layer = PointLayer(
        "Power stations", np.column_stack([pts, np.full(len(pts), z0)]), pt, group="Power"
    )
    point_layer.colors = np.tile(color, (len(pts), 1))
    scene.layers.append(line_layer)
    scene.layers.append(point_layer)
    return {
        "nodes": len(node_ids),
        "links": len(link_ids),
        "transformers": len(t_index),
        "buildings_served": int(sum(len(v) for v in net.serves.values())),
    }


def _building_centres(layer: BuildingLayer) -> np.ndarray:
    """(n, 2) footprint centroids (from the mesh when there are no footprints)."""
    if layer.footprints is not None:
        import shapely

        c = shapely.centroid(np.asarray(layer.footprints, dtype=object))
        return np.column_stack([shapely.get_x(c), shapely.get_y(c)])
    fi = layer.mesh.cell_data["feature_index"]
    centres = layer.mesh.points[layer.mesh.triangles].mean(axis=1)[:, :2]
    out = np.zeros((layer.n_features, 2))
    np.add.at(out, fi, centres)
    counts = np.bincount(fi, minlength=layer.n_features)[:, None]
    return out / np.maximum(counts, 1)
