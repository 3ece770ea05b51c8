"""The embedded Alatau City sample twin, generated deterministically (io: reads the
packaged terrain asset; no Qt, no VTK, no pyvista, no geopandas).

``alatau-twin`` with no argument opens this scene, so a new user sees a believable
Alatau City at once (docs: ``shared/design/ALATAU_SAMPLE.md``). Everything is made by
this module from a few sourced facts, the real SRTM terrain asset and seeded random
numbers, so the same code gives the same twin byte for byte: one
``numpy.random.default_rng`` per district with a fixed seed (a change in one district
does not reshuffle another), fixed iteration orders (no set or dict-hash ordering),
coordinates rounded to 0.01 m. :func:`scene_checksum` hashes a canonical serialisation
and a unit test pins it.

Every feature carries ``basis``: ``fact`` (sourced), ``derived`` (computed from real
data, e.g. the reservoir outline from SRTM) or ``illustrative`` (a believable
placeholder: most positions, all generated buildings, network layouts and schedules).

Known deviation from the spec's district table: the spec's Green centre
(E 672,900 / N 4,854,100) lies on the Kapchagay reservoir's water surface in SRTM, so
Green is moved west onto the shore (see :data:`GREEN_SHIFT_NOTE`); no building is put on
water.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import LineString, Point, Polygon

from alatau_twin.core import style
from alatau_twin.core.attributes import AttributeTable
from alatau_twin.core.drape import drape_polygon, triangulate_polygon
from alatau_twin.core.extrude import extrude_footprints
from alatau_twin.core.frame import SceneFrame
from alatau_twin.core.layers import (
    AreaLayer,
    BuildingLayer,
    Layer,
    LayerReport,
    LineLayer,
    PointLayer,
    TerrainLayer,
)
from alatau_twin.core.mesh import TriangleMesh
from alatau_twin.core.network import Network
from alatau_twin.core.scene import Scene, SceneInfo
from alatau_twin.core.schedule import Schedule
from alatau_twin.core.terrain import HeightGrid
from alatau_twin.core.views import CameraView
from alatau_twin.io.assets import asset_path
from alatau_twin.io.terrain import load_height_grid

__all__ = ["TERRAIN_ASSET", "build_sample_scene", "default_terrain_path", "scene_checksum"]

TERRAIN_ASSET = ("terrain", "alatau_srtm_100m.npz")

# ---------------------------------------------------------------------------------------
# Facts (with sources) and the words shown in the About box
# ---------------------------------------------------------------------------------------

SOURCES = [
    "Alatau City: former village of Zhetygen (Ili district, Almaty Region), city status "
    "2024-01-09; along the A3 Almaty-Konaev highway; ~88,000 ha; population 54,747 "
    "(Dec 2025); General Plan target ~1.87 M by 2050 (Alatau City akimat / General Plan).",
    "Master-plan concept: Surbana Jurong with Caspian Group and the Almaty Region akimat; "
    "four districts Gate, Golden, Growing, Green and their characters.",
    "Gate district: ~4,000 ha, 220,000 residents, 181,000 jobs (master-plan figures).",
    "Twelve existing microdistricts: Arna, Zarechnoye, Zhetygen, Enbek, Zhanaarna, Kuigan, "
    "Zhanadaur, Zhanatalap, Yntymak, Koyankus, Dauilet, Kairat.",
    "Iconic Towers: 272 m / 56 floors plus an 80 m hotel tower; excavation from 2026-05.",
    "Infrastructure roadmap: 2026-2027 21 projects (substations, water intake, gas); "
    "2028-2030 9 projects (two substations, gas distribution station, wastewater plant, "
    "49 km of roads); Gate's first trunk networks (~84.5 km) laid.",
    "BAKAD Big Almaty Ring Road (66 km, 6 lanes) opened 2023-06-16.",
    "Kapshagay dam and hydro plant, 364 MW, 43.9228 N 77.0981 E; reservoir surface ~475-485 m.",
    "Landmarks: Almaty International Airport 43.3553 N 77.0447 E; Zhetygen airfield "
    "43.7330 N 77.1168 E; Konaev 43.883 N 77.083 E.",
    "Terrain: NASA/USGS SRTM 3 arc-second (public domain), tiles N43E076 and N43E077.",
]

BASIS_NOTE = (
    "Positions, networks and schedules are illustrative where marked (basis = "
    "'illustrative'); the terrain is real SRTM elevation; the reservoir outline is derived "
    "from it; district names and characters, the microdistrict names and the landmarks "
    "(Iconic Towers, BAKAD, Kapshagay hydro plant, airport, airfield) are fact."
)

GREEN_SHIFT_NOTE = (
    "Green moved from the spec's estimated centre E 672,900 / N 4,854,100 to "
    "E 665,400 / N 4,854,100: the estimate lies on the reservoir's water in SRTM; the "
    "district keeps its 5.5 x 3.0 km extent on the western shore, by the reservoir and Konaev."
)

HYDRO_LONLAT = (77.0981, 43.9228)
LANDMARKS_LONLAT = {
    "Almaty International Airport": (77.0447, 43.3553),
    "Zhetygen airfield": (77.1168, 43.7330),
    "Konaev": (77.083, 43.883),
    "Kapshagay dam and hydro plant": HYDRO_LONLAT,
}

PHASES = ("P0", "P1", "P2", "P3", "P4", "post-2035")
PHASE_WINDOWS: dict[str, tuple[str, str]] = {
    "P0": ("2025-01-01", "2025-12-31"),
    "P1": ("2026-01-01", "2027-12-31"),
    "P2": ("2028-01-01", "2030-12-31"),
    "P3": ("2031-01-01", "2033-12-31"),
    "P4": ("2034-01-01", "2035-12-31"),
    "post-2035": ("2036-01-01", "2049-12-31"),
}
# Reports are simulated up to the end of the 2025-2035 programme; later work has none.
PROGRAMME_END = np.datetime64("2035-12-31", "D")
REPORT_INTERVAL_DAYS = 91


@dataclass(frozen=True)
class District:
    """A district of the master plan in local metres: centre, extent, grid angle."""

    key: str  # id prefix, e.g. "GATE"
    name: str
    centre: tuple[float, float]
    extent: tuple[float, float]  # (east-west, north-south) metres
    angle_deg: float
    seed: int
    target: int
    character: str
    target_residents: int | None = None


# Centres from the spec's table (UTM minus the local origin E 668,000 / N 4,830,000).
DISTRICTS: tuple[District, ...] = (
    District(
        "GATE",
        "Gate",
        (-3300.0, -17800.0),
        (5000.0, 8000.0),
        4.0,
        1101,
        840,
        "business and finance; 150 m block grid; CBD towers incl. the Iconic Towers",
        220_000,
    ),
    District(
        "GOLD",
        "Golden",
        (-800.0, -3800.0),
        (3200.0, 6000.0),
        10.0,
        2202,
        480,
        "education, medicine, science, food industry; 200 m grid; campus and research",
    ),
    District(
        "GROW",
        "Growing",
        (3700.0, 9600.0),
        (4000.0, 6000.0),
        -6.0,
        3303,
        370,
        "industry and logistics by the Zhetygen logistics centre and railway; 400 m superblocks",
    ),
    District(
        "GREEN",
        "Green",
        (-2600.0, 24100.0),
        (5500.0, 3000.0),
        0.0,
        4404,
        800,
        "tourism and leisure: resort, arena, aquapark, race circuit, golf; by the "
        "Kapchagay reservoir and Konaev; curvilinear",
    ),
)

# (name, centre x, centre y, houses, street-grid angle deg): illustrative positions in
# the gaps between the districts, on both sides of the A3.
MICRODISTRICTS: tuple[tuple[str, float, float, int, float], ...] = (
    ("Arna", 3000.0, -18500.0, 1150, 8.0),
    ("Zarechnoye", 2900.0, -10800.0, 1050, -12.0),
    ("Zhetygen", 5600.0, 17200.0, 1400, 15.0),
    ("Enbek", -3900.0, -10200.0, 950, 5.0),
    ("Zhanaarna", -2400.0, 2800.0, 1000, -8.0),
    ("Kuigan", 4300.0, 2600.0, 900, 20.0),
    ("Zhanadaur", -3800.0, 11200.0, 1050, 0.0),
    ("Zhanatalap", -2600.0, 17800.0, 950, -15.0),
    ("Yntymak", 6800.0, -1500.0, 850, 10.0),
    ("Koyankus", -5200.0, 28300.0, 900, 25.0),
    ("Dauilet", 5200.0, -28600.0, 1000, -5.0),
    ("Kairat", -8200.0, -29400.0, 800, 12.0),
)
MICRO_SEED = 5505
MICRO_TARGET = 12_000

# The A3 Almaty-Konaev highway: it exists (fact); this alignment is illustrative.
A3_POINTS = [
    (600.0, -33000.0),
    (400.0, -26000.0),
    (-200.0, -21000.0),
    (-300.0, -14000.0),
    (200.0, -9000.0),
    (1100.0, -4000.0),
    (1250.0, 2000.0),
    (1150.0, 8000.0),
    (700.0, 12500.0),
    (400.0, 17000.0),
    (450.0, 21000.0),
    (650.0, 23000.0),
    (350.0, 25000.0),
    (-900.0, 26600.0),
    (-1600.0, 28500.0),
    (-1500.0, 30000.0),
    (-700.0, 31000.0),
]
BAKAD_POINTS = [
    (-14000.0, -27200.0),
    (-9000.0, -25400.0),
    (-4000.0, -24500.0),
    (0.0, -24300.0),
    (5000.0, -24800.0),
    (10000.0, -26200.0),
    (14000.0, -27800.0),
]
# Turksib main line: Almaty (south-west) -> Zhetygen station (Growing) -> east.
RAIL_POINTS = [
    (-11000.0, -33000.0),
    (-7800.0, -25000.0),
    (-7000.0, -14000.0),
    (-4300.0, -7200.0),
    (-1200.0, 1500.0),
    (3000.0, 6300.0),
    (5600.0, 9000.0),
    (6600.0, 12500.0),
    (8200.0, 16500.0),
    (10500.0, 19300.0),
    (14000.0, 20100.0),
]
SCENE_SEED = 9909

# ---------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------


def default_terrain_path() -> Path:
    """The packaged SRTM terrain asset of the sample."""
    return asset_path(*TERRAIN_ASSET)


def build_sample_scene(terrain_path: Path | None = None) -> Scene:
    """Generate the Alatau sample twin on the terrain at ``terrain_path`` (default: asset).

    Deterministic: the same code and terrain give the same scene (see
    :func:`scene_checksum`). Takes about a second on a laptop core.
    """
    grid = load_height_grid(terrain_path if terrain_path is not None else default_terrain_path())
    frame = SceneFrame()
    scene = Scene(
        frame,
        SceneInfo(
            title="Alatau City — sample twin",
            description=(
                "Alatau City (Almaty Region, Kazakhstan) along the A3 Almaty-Konaev highway: "
                "the four master-plan districts Gate, Golden, Growing and Green, twelve "
                "existing microdistricts, roads and railway, power and water networks, and "
                "a 2025-2035 construction programme on real SRTM terrain."
            ),
            basis_note=BASIS_NOTE,
            sources=list(SOURCES),
        ),
    )
    ctx = _Context(grid=grid, frame=frame)
    ctx.water = _reservoir_polygon(grid)

    scene.layers.append(_terrain_layer(grid))
    scene.layers.append(_reservoir_layer(ctx))

    roads = _RoadSet()
    _main_roads(ctx, roads)
    ctx.keepout = _keepout(ctx)

    districts = {d.key: d for d in DISTRICTS}
    builds = _BuildingSet()
    _gen_gate(ctx, districts["GATE"], builds, roads)
    _gen_golden(ctx, districts["GOLD"], builds, roads)
    _gen_growing(ctx, districts["GROW"], builds, roads)
    _gen_green(ctx, districts["GREEN"], builds, roads)
    micro_polys = _gen_microdistricts(ctx, builds, roads)
    scene.layers.append(_districts_layer(ctx, micro_polys))

    road_graph = _split_roads(ctx, roads, _connect_roads(roads))
    blayer = _buildings_layer(ctx, builds)
    scene.layers.append(_roads_layer(ctx, road_graph.segs))
    scene.layers.append(_railway_layer(ctx))
    scene.layers.append(blayer)

    sched = _ScheduleBuilder()
    _schedule_buildings(ctx, blayer, builds, sched)
    _schedule_roads(ctx, roads, sched, road_graph.segments)
    power = _power_network(ctx, blayer, builds, sched)
    water = _water_network(ctx, blayer, builds, sched)
    for layer in (*power, *water):
        scene.layers.append(layer)
    scene.networks["power"] = ctx.networks["power"]
    scene.networks["water"] = ctx.networks["water"]
    scene.networks["roads"] = _road_network(ctx, road_graph, builds)
    scene.schedule = sched.build()
    scene.views = _views(ctx, blayer)
    scene.metadata["landmarks"] = _landmarks(frame)
    scene.metadata["generator"] = "alatau_twin.io.sample"
    scene.metadata["notes"] = [GREEN_SHIFT_NOTE, *ctx.notes]
    return scene


# ---------------------------------------------------------------------------------------
# Shared state and small geometry helpers
# ---------------------------------------------------------------------------------------


@dataclass
class _Context:
    grid: HeightGrid
    frame: SceneFrame
    water: Polygon | None = None
    keepout: Any = None
    district_polys: dict[str, Polygon] = field(default_factory=dict)
    networks: dict[str, Network] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def z(self, x: Any, y: Any) -> np.ndarray:
        return np.round(self.grid.elevation_at(x, y), 2)


def _r2(a: Any) -> np.ndarray:
    """Round to the 0.01 m grid every stored coordinate lives on (determinism)."""
    return np.round(np.asarray(a, float), 2)


def _rot(xy: np.ndarray, angle: float) -> np.ndarray:
    c, s = math.cos(angle), math.sin(angle)
    xy = np.asarray(xy, float)
    return np.stack([xy[..., 0] * c - xy[..., 1] * s, xy[..., 0] * s + xy[..., 1] * c], -1)


def _densify(coords: np.ndarray, max_seg: float) -> np.ndarray:
    """Insert vertices so no segment is longer than ``max_seg`` (so lines follow terrain)."""
    coords = np.asarray(coords, float)
    out = [coords[:1]]
    for a, b in itertools.pairwise(coords):
        n = max(1, math.ceil(float(np.hypot(*(b - a))) / max_seg))
        t = (np.arange(1, n + 1) / n)[:, None]
        out.append(a + (b - a) * t)
    return np.concatenate(out)


def _drape(ctx: _Context, coords: np.ndarray, offset: float, max_seg: float) -> np.ndarray:
    xy = _r2(_densify(coords, max_seg))
    return np.column_stack([xy, _r2(ctx.z(xy[:, 0], xy[:, 1]) + offset)])


def _rect(w: float, d: float) -> np.ndarray:
    return np.array([[-w / 2, -d / 2], [w / 2, -d / 2], [w / 2, d / 2], [-w / 2, d / 2]])


def _lshape(w: float, d: float, a: float = 0.55, b: float = 0.5) -> np.ndarray:
    nx, ny = w / 2 - w * a, d / 2 - d * b
    return np.array(
        [[-w / 2, -d / 2], [w / 2, -d / 2], [w / 2, ny], [nx, ny], [nx, d / 2], [-w / 2, d / 2]]
    )


def _ushape(w: float, d: float, t: float) -> np.ndarray:
    return np.array(
        [
            [-w / 2, -d / 2],
            [w / 2, -d / 2],
            [w / 2, d / 2],
            [w / 2 - t, d / 2],
            [w / 2 - t, -d / 2 + t],
            [-w / 2 + t, -d / 2 + t],
            [-w / 2 + t, d / 2],
            [-w / 2, d / 2],
        ]
    )


def _ellipse(w: float, d: float, n: int = 28) -> np.ndarray:
    t = np.linspace(0.0, 2 * np.pi, n, endpoint=False)
    return np.column_stack([np.cos(t) * w / 2, np.sin(t) * d / 2])


Shape = tuple[np.ndarray, list[np.ndarray]]  # shell, holes (local coordinates)


def _court(w: float, d: float, t: float) -> Shape:
    return _rect(w, d), [_rect(w - 2 * t, d - 2 * t)]


def _poly(shape: np.ndarray | Shape, cx: float, cy: float, angle: float) -> Polygon:
    """A footprint: local shape rotated by ``angle`` (rad) and moved to (cx, cy)."""
    shell, holes = shape if isinstance(shape, tuple) else (shape, [])

    def place(r: np.ndarray) -> np.ndarray:
        return _r2(_rot(r, angle) + np.array([cx, cy]))

    return Polygon(place(shell), [place(h) for h in holes])


# ---------------------------------------------------------------------------------------
# Terrain and reservoir
# ---------------------------------------------------------------------------------------


def _terrain_layer(grid: HeightGrid) -> TerrainLayer:
    report = LayerReport(source=grid.source or "SRTM 3 arc-second terrain asset")
    report.add("nodes", grid.nx * grid.ny)
    return TerrainLayer("Terrain", grid, exaggeration=1.0, report=report, group="Base")


def _reservoir_polygon(grid: HeightGrid) -> Polygon | None:
    """The Kapchagay reservoir's surface, derived from SRTM's flat water in the north.

    SRTM flattens water bodies to one level, so the reservoir is the largest connected
    region at (or within 0.5 m of) the most common elevation of the scene's northern
    half. Cells are merged row-run by row-run into boxes and unioned (connected parts
    fall out of the union, so no image-labelling dependency is needed); the largest part
    is simplified and small holes dropped. Returns None if no such water (> 5 km^2) is
    in the scene.
    """
    z = grid.z
    xmin, xmax, ymin, ymax = grid.bounds
    north = grid.y > (ymin + ymax) / 2
    vals, counts = np.unique(np.round(z[north], 1), return_counts=True)
    level = float(vals[np.argmax(counts)])
    mask = z <= level + 0.5
    mask[~north] = False
    # Row runs of water cells -> boxes (vectorised: one box per run).
    padded = np.zeros((mask.shape[0], mask.shape[1] + 2), np.int8)
    padded[:, 1:-1] = mask
    edges = np.diff(padded, axis=1)
    rows, starts = np.nonzero(edges == 1)
    _, stops = np.nonzero(edges == -1)
    if rows.size == 0:
        return None
    xs, ys = grid.x, grid.y
    boxes = shapely.box(
        xs[starts] - grid.dx / 2,
        ys[rows] - grid.dy / 2,
        xs[stops - 1] + grid.dx / 2,
        ys[rows] + grid.dy / 2,
    )
    merged = shapely.union_all(boxes).intersection(shapely.box(xmin, ymin, xmax, ymax))
    parts = sorted(shapely.get_parts(merged), key=lambda p: -p.area)
    if not parts or parts[0].area < 5e6:
        return None
    poly = parts[0].simplify(60.0, preserve_topology=True)
    holes = [h for h in poly.interiors if Polygon(h).area > 1e6]
    poly = Polygon(
        _r2(np.asarray(poly.exterior.coords)), [_r2(np.asarray(h.coords)) for h in holes]
    )
    poly = shapely.make_valid(poly)
    if poly.geom_type != "Polygon":
        poly = max(shapely.get_parts(poly), key=lambda p: p.area)
    return Polygon(poly)


def _water_level(grid: HeightGrid, poly: Polygon) -> float:
    c = poly.representative_point()
    return float(np.round(grid.elevation_at(c.x, c.y), 1))


def _flat_mesh(poly: Polygon, z: float, feature: int) -> TriangleMesh:
    xy, tris = triangulate_polygon(poly)
    pts = np.column_stack([xy, np.full(len(xy), z)])
    return TriangleMesh(pts, tris, {"feature_index": np.full(len(tris), feature, np.int32)})


def _reservoir_layer(ctx: _Context) -> AreaLayer:
    report = LayerReport(source="derived from the SRTM terrain asset (flat water surface)")
    if ctx.water is None:
        report.warnings.append(
            "no flat reservoir surface found in the terrain asset; layer left empty"
        )
        return AreaLayer(
            "Reservoir",
            TriangleMesh.empty(),
            [],
            AttributeTable(
                {
                    "id": np.array([], object),
                    "name": np.array([], object),
                    "basis": np.array([], object),
                }
            ),
            opacity=0.85,
            report=report,
            group="Base",
        )
    level = _water_level(ctx.grid, ctx.water)
    # Drawn 0.5 m above SRTM's flat water so the surface does not z-fight the terrain.
    z = level + 0.5
    mesh = _flat_mesh(ctx.water, z, 0)
    outline = np.asarray(ctx.water.exterior.coords)
    outlines = [np.column_stack([outline, np.full(len(outline), z)])]
    table = AttributeTable(
        {
            "id": ["W-RESERVOIR"],
            "name": ["Kapchagay reservoir"],
            "water_level_m": [level],
            "area_km2": [round(ctx.water.area / 1e6, 2)],
            "basis": ["derived"],
        }
    )
    report.add("derived", 1)
    report.warnings.append(
        f"outline = largest flat SRTM region at {level:.1f} m (+0.5 m drawn); only the "
        "south-western part of the reservoir lies inside the scene"
    )
    layer = AreaLayer("Reservoir", mesh, outlines, table, opacity=0.85, report=report, group="Base")
    layer.colors = np.array([style.WATER_COLOR], np.uint8)
    return layer


# ---------------------------------------------------------------------------------------
# Roads (collected while districts are laid out, drawn as one layer)
# ---------------------------------------------------------------------------------------

ROAD_WIDTH = {"highway": 30.0, "ring": 30.0, "arterial": 20.0, "boulevard": 24.0, "street": 10.0}
ROAD_LANES = {"highway": 6, "ring": 6, "arterial": 4, "boulevard": 4, "street": 2}


@dataclass
class _RoadSet:
    ids: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    classes: list[str] = field(default_factory=list)
    lanes: list[int] = field(default_factory=list)
    basis: list[str] = field(default_factory=list)
    phase: list[str] = field(default_factory=list)
    coords: list[np.ndarray] = field(default_factory=list)
    width: list[float] = field(default_factory=list)
    road: list[str] = field(default_factory=list)  # the whole road a segment belongs to

    def add(
        self,
        rid: str,
        name: str,
        cls: str,
        coords: Any,
        phase: str,
        basis: str = "illustrative",
        width: float | None = None,
        road: str | None = None,
    ) -> None:
        self.ids.append(rid)
        self.road.append(rid if road is None else road)
        self.names.append(name)
        self.classes.append(cls)
        self.lanes.append(ROAD_LANES[cls])
        self.basis.append(basis)
        self.phase.append(phase)
        self.coords.append(_r2(np.asarray(coords, float)))
        self.width.append(ROAD_WIDTH[cls] if width is None else width)


def _main_roads(ctx: _Context, roads: _RoadSet) -> None:
    roads.add("RD-A3", "A3 Almaty–Konaev highway", "highway", A3_POINTS, "P0")
    roads.add("RD-BAKAD", "BAKAD Big Almaty Ring Road (segment)", "ring", BAKAD_POINTS, "P0")


def _keepout(ctx: _Context) -> Any:
    """Where no building may stand: water, highway, ring road, railway, airfields."""
    frame = ctx.frame
    parts = [
        LineString(A3_POINTS).buffer(45.0),
        LineString(BAKAD_POINTS).buffer(40.0),
        LineString(RAIL_POINTS).buffer(30.0),
    ]
    if ctx.water is not None:
        parts.append(ctx.water.buffer(60.0))
    ax, ay = frame.from_lonlat(*LANDMARKS_LONLAT["Almaty International Airport"])
    parts.append(
        shapely.box(float(ax) - 2600, float(ay) - 1200, float(ax) + 2600, float(ay) + 1200)
    )
    zx, zy = frame.from_lonlat(*LANDMARKS_LONLAT["Zhetygen airfield"])
    parts.append(
        shapely.box(float(zx) - 1400, float(zy) - 1400, float(zx) + 1400, float(zy) + 1400)
    )
    keep = shapely.union_all(parts)
    shapely.prepare(keep)
    return keep


def _grid_streets(
    roads: _RoadSet,
    d: District,
    block: float,
    phase: str,
    boulevards: Sequence[tuple[str, float]] = (),
    arterial_every: int = 6,
) -> None:
    """Streets along every block line of a rotated grid district, as single lines.

    ``boulevards`` names block lines (axis "u" or "v", offset) drawn as boulevards;
    every ``arterial_every``-th line and the district edge are arterials.
    """
    hx, hy = d.extent[0] / 2, d.extent[1] / 2
    th = math.radians(d.angle_deg)
    nu = int(hx // block)
    nv = int(hy // block)
    special = {(a, round(o, 2)) for a, o in boulevards}
    k = 0
    for axis, n, half_len in (("u", nu, hy), ("v", nv, hx)):
        for i in range(-n - 1, n + 1):
            off = (i + 0.5) * block
            if abs(off) > (hx if axis == "u" else hy):
                continue
            edge = i in (-n - 1, n)
            if (axis, round(off, 2)) in special:
                cls = "boulevard"
            elif edge or i % arterial_every == 0:
                cls = "arterial"
            else:
                cls = "street"
            line = (
                np.array([[off, -half_len], [off, half_len]])
                if axis == "u"
                else np.array([[-half_len, off], [half_len, off]])
            )
            k += 1
            roads.add(
                f"RD-{d.key}-{axis.upper()}{k:03d}", "", cls, _rot(line, th) + d.centre, phase
            )


def _roads_layer(ctx: _Context, roads: _RoadSet) -> LineLayer:
    # _drape for all segments at once: one terrain lookup instead of thousands.
    xys = [_r2(_densify(c, 150.0)) for c in roads.coords]
    xy = np.concatenate(xys)
    z = _r2(ctx.z(xy[:, 0], xy[:, 1]) + 1.0)
    cut = np.cumsum([len(a) for a in xys])[:-1]
    lines = [np.column_stack([a, za]) for a, za in zip(xys, np.split(z, cut), strict=True)]
    table = AttributeTable(
        {
            "id": roads.ids,
            "road": roads.road,
            "name": roads.names,
            "class": roads.classes,
            "lanes": np.asarray(roads.lanes, np.int64),
            "phase": roads.phase,
            "basis": roads.basis,
        }
    )
    report = LayerReport(
        source="generated (alatau_twin.io.sample): A3 and BAKAD exist; "
        "alignments, district streets and access roads are illustrative; one feature per "
        "segment between junctions (column 'road' names the whole road)"
    )
    for b in style.BASIS_VALUES:
        report.add(b, roads.basis.count(b))
    layer = LineLayer(
        "Roads",
        lines,
        table,
        width=np.asarray(roads.width),
        style="ribbon",
        report=report,
        group="Transport",
    )
    layer.colors = style.categorical_colors(roads.classes, style.ROAD_COLORS)
    return layer


def _railway_layer(ctx: _Context) -> LineLayer:
    growing = next(d for d in DISTRICTS if d.key == "GROW")
    spur = np.array([[5600.0, 9000.0], [growing.centre[0] + 1500, growing.centre[1] - 300]])
    lines = [_drape(ctx, np.array(RAIL_POINTS), 1.5, 150.0), _drape(ctx, spur, 1.5, 150.0)]
    table = AttributeTable(
        {
            "id": ["RL-TURKSIB", "RL-TERMINAL-SPUR"],
            "name": ["Turksib main line (via Zhetygen)", "Container terminal siding"],
            "class": ["rail", "rail"],
            "tracks": np.array([2, 1], np.int64),
            "phase": ["P0", "P1"],
            "basis": ["derived", "illustrative"],
        }
    )
    report = LayerReport(
        source="main line derived from landmarks (Almaty, Zhetygen station by the "
        "logistics centre, eastward to Altynkol/Sary-Ozek); siding illustrative"
    )
    report.add("derived", 1)
    report.add("illustrative", 1)
    layer = LineLayer(
        "Railway", lines, table, width=np.array([8.0, 5.0]), report=report, group="Transport"
    )
    layer.colors = np.array([style.ROAD_COLORS["rail"]] * 2, np.uint8)
    return layer


# ---------------------------------------------------------------------------------------
# Buildings
# ---------------------------------------------------------------------------------------

FLOOR_HEIGHT = {
    "residential": (3.0, 3.3, 1.5),
    "house": (3.0, 3.0, 1.8),
    "office": (3.8, 3.8, 1.7),
    "commercial": (3.8, 3.8, 1.7),
    "hotel": (3.3, 3.3, 2.2),
    "education": (3.8, 3.8, 1.0),
    "research": (4.0, 4.0, 1.2),
    "medical": (3.8, 3.8, 1.2),
    "civic": (4.0, 4.0, 1.5),
    "retail": (4.5, 4.5, 1.0),
    "leisure": (4.5, 4.5, 1.0),
    "industrial": (5.0, 5.0, 1.0),
    "warehouse": (6.0, 6.0, 1.0),
    "logistics": (5.0, 5.0, 1.0),
    "utility": (4.0, 4.0, 1.0),
}


def _height(rng: np.random.Generator, use: str, floors: int) -> float:
    """Floors x floor height (3.0-3.3 m residential, 3.8 m office) + taller ground floor."""
    lo, hi, extra = FLOOR_HEIGHT[use]
    fh = float(rng.uniform(lo, hi)) if hi > lo else lo
    return round(floors * fh + extra, 1)


@dataclass
class _Candidate:
    shape: Polygon
    use: str
    floors: int
    height: float
    phase: str
    name: str = ""
    bid: str = ""
    basis: str = "illustrative"
    essential: bool = False  # never trimmed (landmarks)


@dataclass
class _BuildingSet:
    """All buildings in generation order; ids are given per district after filtering."""

    ids: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    district: list[str] = field(default_factory=list)
    group: list[str] = field(default_factory=list)  # district key or microdistrict name
    use: list[str] = field(default_factory=list)
    floors: list[int] = field(default_factory=list)
    height: list[float] = field(default_factory=list)
    phase: list[str] = field(default_factory=list)
    basis: list[str] = field(default_factory=list)
    geoms: list[Polygon] = field(default_factory=list)
    start: list[np.datetime64] = field(default_factory=list)
    finish: list[np.datetime64] = field(default_factory=list)
    seeds: dict[str, int] = field(default_factory=dict)

    def extend(
        self, key: str, district: str, cands: list[_Candidate], prefix: str, width: int = 4
    ) -> None:
        k = 0
        for c in cands:
            if c.bid:
                bid = c.bid
            else:
                k += 1
                bid = f"{prefix}{k:0{width}d}"
            self.ids.append(bid)
            self.names.append(c.name)
            self.district.append(district)
            self.group.append(key)
            self.use.append(c.use)
            self.floors.append(int(c.floors))
            self.height.append(float(c.height))
            self.phase.append(c.phase)
            self.basis.append(c.basis)
            self.geoms.append(c.shape)


def _select(
    ctx: _Context, cands: list[_Candidate], target: int, inside: Polygon | None = None
) -> list[_Candidate]:
    """Drop candidates on keep-out land, outside ``inside`` or overlapping an earlier
    one (STRtree, in generation order), then keep the first ``target`` (plus landmarks).
    Generation order is priority order, so trimming removes the least important."""
    geoms = np.array([c.shape for c in cands], dtype=object)
    ok = ~shapely.intersects(ctx.keepout, geoms)
    if inside is not None:
        shapely.prepare(inside)
        ok &= shapely.contains(inside, geoms)
    idx = np.flatnonzero(ok)
    tree = shapely.STRtree(geoms[idx])
    a, b = tree.query(geoms[idx], predicate="intersects")
    pairs = np.stack([np.minimum(a, b), np.maximum(a, b)], 1)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    pairs = pairs[np.lexsort((pairs[:, 0], pairs[:, 1]))]
    dropped = np.zeros(len(idx), bool)
    for lo, hi in pairs.tolist():
        if not dropped[lo]:
            dropped[hi] = True
    kept = [cands[i] for i in idx[~dropped]]
    room = target - sum(1 for k in kept if k.essential)
    out: list[_Candidate] = []
    for c in kept:
        if c.essential or room > 0:
            out.append(c)
            room -= 0 if c.essential else 1
    return out


def _block_place(d: District, u: float, v: float) -> tuple[float, float]:
    x, y = _rot(np.array([u, v]), math.radians(d.angle_deg)) + d.centre
    return float(x), float(y)


def _phase_by_rank(frac: float, cuts: Sequence[tuple[float, str]]) -> str:
    for limit, ph in cuts:
        if frac < limit:
            return ph
    return "post-2035"


def _gen_gate(ctx: _Context, d: District, out: _BuildingSet, roads: _RoadSet) -> None:
    """Gate: 150 m block grid, CBD towers incl. the Iconic Towers, quarters spreading out.

    Quarters (3 x 3 blocks) are taken in order of distance from the CBD plus a seeded
    jitter, so development spreads in patches with parks between, until ~840 buildings.
    """
    rng = np.random.default_rng(d.seed)
    th = math.radians(d.angle_deg)
    block, half = 150.0, 60.0
    ni, nj = 16, 26
    cbd = np.array([1200.0, 1500.0])
    quarters: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for i in range(-ni, ni + 1):
        for j in range(-nj, nj + 1):
            quarters.setdefault(((i + ni) // 3, (j + nj) // 3), []).append((i, j))
    keys = []
    for q, blocks in quarters.items():
        c = np.mean([[i * block, j * block] for i, j in blocks], axis=0)
        dist = float(np.hypot(*(c - cbd)))
        jitter = float(rng.uniform(0.0, 3000.0))
        keys.append((dist - 1e5 if dist < 1000 else dist + jitter, q, c))
    keys.sort(key=lambda k: (k[0], k[1]))
    cands: list[_Candidate] = []
    res_rank = 0
    n_res_q = sum(1 for k in keys if k[0] > 0)
    res_quarters_used = 0
    for _, q, qc in keys:
        if len(cands) >= d.target * 1.3:
            break
        industrial = qc[1] < -2700 and qc[0] < -600
        is_res_q = False
        for i, j in quarters[q]:
            u, v = i * block, j * block
            dist = float(np.hypot(u - cbd[0], v - cbd[1]))
            if dist < 60:
                kind = "iconic"
            elif dist <= 480:
                kind = "cbd"
            elif dist <= 1000:
                kind = "civic" if not any(c.use == "civic" for c in cands) else "office"
            elif industrial:
                kind = "industrial"
            else:
                is_res_q = True
                middle = (i + ni) % 3 == 1 and (j + nj) % 3 == 1
                if middle:
                    kind = "social"
                else:
                    kind = str(
                        rng.choice(
                            ["res_towers", "res_slabs", "res_court", "res_u"],
                            p=[0.3, 0.3, 0.2, 0.2] if dist < 2000 else [0.15, 0.35, 0.3, 0.2],
                        )
                    )
            if kind in ("iconic", "cbd"):
                phase = "P2" if dist <= 330 else "P4"
            elif kind in ("office", "civic"):
                phase = "P3" if dist > 700 else "P2"
            elif kind == "industrial":
                phase = "P2" if rng.random() < 0.5 else "P3"
            elif res_quarters_used == 0:
                phase = "P1"  # the first Gate residential quarter
            else:
                phase = _phase_by_rank(
                    res_rank / max(n_res_q * 0.25, 1), [(0.3, "P2"), (0.55, "P3"), (0.8, "P4")]
                )

            for c in _gate_block(rng, kind, half):
                shape, a, b, use, floors, height, name = c
                px, py = _block_place(d, u + a, v + b)
                cand = _Candidate(_poly(shape, px, py, th), use, floors, height, phase, name)
                if kind == "iconic":
                    cand.phase = "P2"
                    if name == "Iconic Tower":
                        cand.bid, cand.basis, cand.essential = "GATE-ICONIC-1", "fact", True
                    elif name == "Iconic Hotel Tower":
                        cand.bid, cand.basis, cand.essential = "GATE-ICONIC-2", "fact", True
                    else:
                        cand.bid, cand.essential = "GATE-ICONIC-PODIUM", True
                cands.append(cand)
        if is_res_q:
            res_quarters_used += 1
            res_rank += 1
    ctx.district_polys[d.key] = _district_rect(d)
    kept = _select(ctx, cands, d.target, ctx.district_polys[d.key])
    # The roadmap's 900-place school (P0, 2025): the first school of the first quarter.
    school = next(
        (c for c in kept if c.use == "education" and c.phase == "P1"),
        next((c for c in kept if c.use == "education"), None),
    )
    if school is not None:
        school.name, school.phase = "900-place school", "P0"
    out.extend(d.key, d.name, kept, "GATE-B")
    _grid_streets(roads, d, block, "P1", boulevards=[("u", 1125.0), ("v", 1425.0)])


BlockItem = tuple[Any, float, float, str, int, float, str]


class _BlockItems(list[BlockItem]):
    """Buildings of one block, as the district block generators collect them.

    ``add`` draws a height from the use and floor count unless one is given (a named
    tower), consuming the block's rng in call order, which keeps the sample byte-stable.
    """

    def __init__(self, rng: np.random.Generator) -> None:
        super().__init__()
        self.rng = rng

    def add(
        self,
        shape: Any,
        a: float,
        b: float,
        use: str,
        floors: int,
        h: float | None = None,
        name: str = "",
    ) -> None:
        height = _height(self.rng, use, floors) if h is None else h
        self.append((shape, a, b, use, floors, height, name))


def _gate_block(rng: np.random.Generator, kind: str, half: float) -> list[BlockItem]:
    """Buildings of one 150 m Gate block in block coordinates (usable +-``half`` m)."""
    items = _BlockItems(rng)
    add = items.add

    if kind == "iconic":
        # The podium wraps both towers (as holes, 1 m clear) so nothing overlaps.
        t1, t2 = _rect(44.0, 44.0), _rect(30.0, 30.0)
        podium = (_rect(118.0, 112.0), [t1 * (46 / 44) + (-28, 18), t2 * (32 / 30) + (36, -32)])
        add(t1, -28.0, 18.0, "office", 56, 272.0, "Iconic Tower")
        add(t2, 36.0, -32.0, "hotel", 20, 80.0, "Iconic Hotel Tower")
        add(podium, 0.0, 0.0, "commercial", 4, 22.0, "Iconic Towers podium")
    elif kind == "cbd":
        for a, b in ((-30.0, -28.0), (30.0, 30.0)):
            use = str(rng.choice(["office", "office", "commercial", "hotel"]))
            floors = int(rng.integers(20, 46))
            w = float(rng.uniform(32, 44))
            round_ = rng.random() < 0.2
            shape = _ellipse(w, w, 20) if round_ else _rect(w, float(rng.uniform(30, 44)))
            add(shape, a, b, use, floors)
        add(_rect(44.0, 38.0), 32.0, -36.0, "retail", int(rng.integers(2, 5)))
    elif kind in ("office", "civic"):
        if kind == "civic":
            add(_court(100.0, 96.0, 18.0), 0.0, 0.0, "civic", 6, name="City administration")
            return items
        for a, b in ((-31.0, -31.0), (31.0, -31.0), (-31.0, 31.0), (31.0, 31.0)):
            if rng.random() < 0.15:
                continue
            floors = int(rng.integers(6, 15))
            use = "office" if rng.random() < 0.75 else "commercial"
            ell = rng.random() < 0.3
            shape = _lshape(52.0, 50.0) if ell else _rect(50.0, float(rng.uniform(24, 48)))
            add(shape, a, b, use, floors)
    elif kind == "res_towers":
        for a, b in ((-32.0, -32.0), (32.0, -32.0), (-32.0, 32.0), (32.0, 32.0)):
            add(
                _rect(float(rng.uniform(22, 28)), float(rng.uniform(22, 28))),
                a,
                b,
                "residential",
                int(rng.integers(17, 26)),
            )
    elif kind == "res_slabs":
        for b in (-42.0, 0.0, 42.0):
            add(
                _rect(float(rng.uniform(90, 116)), 15.0),
                0.0,
                b,
                "residential",
                int(rng.integers(9, 17)),
            )
    elif kind == "res_court":
        add(_court(118.0, 118.0, 16.0), 0.0, 0.0, "residential", int(rng.integers(9, 13)))
    elif kind == "res_u":
        add(_ushape(118.0, 112.0, 16.0), 0.0, 0.0, "residential", int(rng.integers(9, 13)))
        add(_rect(24.0, 24.0), 0.0, 18.0, "residential", int(rng.integers(17, 26)))
    elif kind == "social":
        add(_lshape(72.0, 62.0), -24.0, -26.0, "education", 3)
        add(_rect(40.0, 30.0), 36.0, 36.0, "medical", int(rng.integers(4, 7)))
        add(_rect(42.0, 30.0), 36.0, -42.0, "retail", int(rng.integers(1, 3)))
    elif kind == "industrial":
        add(_rect(110.0, 46.0), 0.0, -32.0, "industrial", 2, round(float(rng.uniform(8, 12)), 1))
        add(_rect(90.0, 40.0), -8.0, 34.0, "warehouse", 1, round(float(rng.uniform(9, 13)), 1))
    return items


def _district_rect(d: District) -> Polygon:
    hx, hy = d.extent[0] / 2, d.extent[1] / 2
    ring = (
        _rot(np.array([[-hx, -hy], [hx, -hy], [hx, hy], [-hx, hy]]), math.radians(d.angle_deg))
        + d.centre
    )
    return Polygon(_r2(ring))


def _grid_district(
    ctx: _Context,
    d: District,
    out: _BuildingSet,
    block: float,
    half: float,
    zone_of: Callable[[float, float], str],
    block_fn: Callable[[np.random.Generator, str, float], list[BlockItem]],
    phase_of: Callable[[str, float, np.random.Generator], str],
    jitter: float,
) -> None:
    """Blocks of a grid district taken in seeded priority order until the target."""
    rng = np.random.default_rng(d.seed)
    th = math.radians(d.angle_deg)
    hx, hy = d.extent[0] / 2, d.extent[1] / 2
    nu, nv = int((hx - half) // block), int((hy - half) // block)
    order = []
    for i in range(-nu, nu + 1):
        for j in range(-nv, nv + 1):
            u, v = i * block, j * block
            order.append((float(np.hypot(u, v * 0.7)) + float(rng.uniform(0, jitter)), i, j))
    order.sort()
    cands: list[_Candidate] = []
    for rank, (_, i, j) in enumerate(order):
        if len(cands) >= d.target * 1.3:
            break
        u, v = i * block, j * block
        zone = zone_of(u, v)
        phase = phase_of(zone, rank / len(order), rng)
        for shape, a, b, use, floors, height, name in block_fn(rng, zone, half):
            px, py = _block_place(d, u + a, v + b)
            cands.append(_Candidate(_poly(shape, px, py, th), use, floors, height, phase, name))
    ctx.district_polys[d.key] = _district_rect(d)
    kept = _select(ctx, cands, d.target, ctx.district_polys[d.key])
    out.extend(d.key, d.name, kept, f"{d.key}-B")


def _gen_golden(ctx: _Context, d: District, out: _BuildingSet, roads: _RoadSet) -> None:
    """Golden: 200 m grid; campus and research north, medical cluster, housing, food plants."""

    def zone_of(u: float, v: float) -> str:
        if -700 <= u <= 700 and 200 <= v <= 1800:
            return "campus"
        if -900 <= u <= 500 and -1700 <= v <= -500:
            return "medical"
        if v <= -2300:
            return "food"
        return "housing"

    def block_fn(rng: np.random.Generator, zone: str, half: float) -> list[BlockItem]:
        items = _BlockItems(rng)
        add = items.add

        if zone == "campus":
            for a, b in ((-45.0, -45.0), (45.0, -45.0), (-45.0, 45.0), (45.0, 45.0)):
                r = rng.random()
                if r < 0.3:
                    add(_court(70.0, 70.0, 14.0), a, b, "education", int(rng.integers(3, 7)))
                elif r < 0.6:
                    add(_lshape(72.0, 64.0), a, b, "research", int(rng.integers(3, 9)))
                elif r < 0.85:
                    add(
                        _rect(72.0, 16.0),
                        a,
                        b,
                        "residential",
                        int(rng.integers(5, 10)),
                        name="Dormitory",
                    )
                else:
                    add(_rect(60.0, 40.0), a, b, "education", int(rng.integers(3, 6)))
        elif zone == "medical":
            if rng.random() < 0.4:
                add(_court(150.0, 120.0, 20.0), 0.0, 0.0, "medical", int(rng.integers(6, 11)))
            else:
                add(_lshape(80.0, 70.0), -40.0, -40.0, "medical", int(rng.integers(4, 8)))
                add(_rect(60.0, 40.0), 45.0, 50.0, "research", int(rng.integers(3, 6)))
                add(_rect(40.0, 30.0), 50.0, -55.0, "medical", 3)
        elif zone == "food":
            add(
                _rect(150.0, 70.0), 0.0, -40.0, "industrial", 1, round(float(rng.uniform(9, 14)), 1)
            )
            add(
                _rect(110.0, 50.0), -10.0, 50.0, "warehouse", 1, round(float(rng.uniform(8, 12)), 1)
            )
        else:
            r = rng.random()
            if r < 0.12:
                add(_ushape(90.0, 70.0, 14.0), -30.0, -20.0, "education", 3)
                add(_rect(40.0, 30.0), 50.0, 50.0, "retail", 1)
            elif r < 0.45:
                for b in (-55.0, 0.0, 55.0):
                    add(
                        _rect(float(rng.uniform(120, 160)), 16.0),
                        0.0,
                        b,
                        "residential",
                        int(rng.integers(5, 13)),
                    )
            elif r < 0.75:
                add(_court(160.0, 160.0, 18.0), 0.0, 0.0, "residential", int(rng.integers(5, 10)))
            else:
                for a, b in ((-45.0, -45.0), (45.0, -45.0), (-45.0, 45.0), (45.0, 45.0)):
                    add(_rect(28.0, 28.0), a, b, "residential", int(rng.integers(9, 13)))
        return items

    def phase_of(zone: str, frac: float, rng: np.random.Generator) -> str:
        if zone in ("campus", "medical"):
            return "P3"
        if zone == "food":
            return "P2"
        return _phase_by_rank(frac, [(0.2, "P2"), (0.45, "P3"), (0.7, "P4")])

    _grid_district(ctx, d, out, 200.0, 85.0, zone_of, block_fn, phase_of, jitter=1500.0)
    _grid_streets(roads, d, 200.0, "P2", boulevards=[("u", 100.0), ("v", 100.0)], arterial_every=5)


def _gen_growing(ctx: _Context, d: District, out: _BuildingSet, roads: _RoadSet) -> None:
    """Growing: 400 m superblocks of huge warehouses, factories, a container terminal
    by the railway, offices and workers' housing."""

    def zone_of(u: float, v: float) -> str:
        if u >= 800 and -400 <= v <= 400:
            return "terminal"
        if u <= -1000 and v >= 1200:
            return "housing"
        if v <= -1600:
            return "factory"
        return "warehouse"

    def block_fn(rng: np.random.Generator, zone: str, half: float) -> list[BlockItem]:
        items = _BlockItems(rng)
        add = items.add

        if zone == "terminal":
            for b in (-120.0, -70.0, -20.0, 30.0, 80.0):
                add(
                    _rect(300.0, 24.0),
                    -10.0,
                    b,
                    "logistics",
                    4,
                    round(float(rng.choice([7.8, 10.4, 13.0])), 1),
                    "Container stacks",
                )
            add(_rect(60.0, 24.0), 0.0, 145.0, "office", 4, name="Terminal office")
        elif zone == "housing":
            for b in (-120.0, -40.0, 40.0, 120.0):
                add(
                    _rect(float(rng.uniform(180, 320)), 16.0),
                    0.0,
                    b,
                    "residential",
                    int(rng.integers(5, 10)),
                )
        elif zone == "factory":
            for a, b in ((-85.0, -85.0), (85.0, -85.0), (0.0, 85.0)):
                w = float(rng.uniform(90, 160))
                add(
                    _rect(w, float(rng.uniform(60, 90)))
                    if rng.random() < 0.7
                    else _lshape(w, 90.0),
                    a,
                    b,
                    "industrial",
                    2,
                    round(float(rng.uniform(8, 15)), 1),
                )
        else:
            r = rng.random()
            if r < 0.35:
                add(
                    _rect(float(rng.uniform(220, 330)), float(rng.uniform(110, 160))),
                    0.0,
                    -40.0,
                    "warehouse",
                    1,
                    round(float(rng.uniform(10, 18)), 1),
                )
                add(_rect(50.0, 20.0), -100.0, 140.0, "office", int(rng.integers(3, 6)))
                add(_rect(40.0, 20.0), 90.0, 140.0, "logistics", 1, 6.0, "Truck service")
            elif r < 0.7:
                for b in (-85.0, 85.0):
                    add(
                        _rect(float(rng.uniform(200, 300)), float(rng.uniform(70, 110))),
                        0.0,
                        b,
                        "warehouse",
                        1,
                        round(float(rng.uniform(10, 18)), 1),
                    )
                add(_rect(36.0, 18.0), 150.0, 0.0, "office", int(rng.integers(2, 4)))
            else:
                for a, b in ((-88.0, -85.0), (88.0, -85.0), (-88.0, 85.0), (88.0, 85.0)):
                    add(
                        _rect(float(rng.uniform(120, 160)), float(rng.uniform(60, 90))),
                        a,
                        b,
                        "warehouse",
                        1,
                        round(float(rng.uniform(9, 14)), 1),
                    )
        return items

    def phase_of(zone: str, frac: float, rng: np.random.Generator) -> str:
        if zone == "terminal":
            return "P1"  # container terminal stage 1
        if zone == "housing":
            return "P2" if frac < 0.5 else "P3"
        return _phase_by_rank(frac, [(0.15, "P1"), (0.4, "P2"), (0.65, "P3"), (0.85, "P4")])

    _grid_district(ctx, d, out, 400.0, 180.0, zone_of, block_fn, phase_of, jitter=3000.0)
    _grid_streets(roads, d, 400.0, "P2", boulevards=[("v", 200.0)], arterial_every=3)


def _arc_points(
    centre: tuple[float, float], radius: float, a0: float, a1: float, spacing: float
) -> tuple[np.ndarray, np.ndarray]:
    """Points every ``spacing`` m along a circular arc and the tangent angle there."""
    n = max(1, int(abs(a1 - a0) * radius / spacing))
    t = np.linspace(a0, a1, n + 1)
    xy = np.column_stack([centre[0] + radius * np.cos(t), centre[1] + radius * np.sin(t)])
    return xy, t + np.pi / 2


def _green_polygon(ctx: _Context, d: District) -> Polygon:
    t = np.linspace(0, 2 * np.pi, 96, endpoint=False)
    c, s = np.cos(t), np.sin(t)
    # A superellipse (exponent 4): a soft-cornered, curvilinear district outline.
    x = np.sign(c) * np.abs(c) ** 0.5 * d.extent[0] / 2
    y = np.sign(s) * np.abs(s) ** 0.5 * d.extent[1] / 2
    poly = Polygon(_r2(np.column_stack([x, y]) + d.centre))
    if ctx.water is not None:
        poly = poly.difference(ctx.water.buffer(80.0))
        if poly.geom_type != "Polygon":
            poly = max(shapely.get_parts(poly), key=lambda p: p.area)
    return Polygon(_r2(np.asarray(poly.exterior.coords)))


def _gen_green(ctx: _Context, d: District, out: _BuildingSet, roads: _RoadSet) -> None:
    """Green: curvilinear resort district: hotels (to ~110 m) and resort by the shore,
    arena, aquapark, race circuit, golf, apartments and villas on crescent streets."""
    rng = np.random.default_rng(d.seed)
    cx, cy = d.centre
    cands: list[_Candidate] = []

    def add(
        shape: Any,
        x: float,
        y: float,
        ang: float,
        use: str,
        floors: int,
        phase: str,
        h: float | None = None,
        name: str = "",
        essential: bool = False,
    ) -> None:
        height = _height(rng, use, floors) if h is None else h
        cands.append(
            _Candidate(
                _poly(shape, cx + x, cy + y, ang),
                use,
                floors,
                height,
                phase,
                name,
                essential=essential,
            )
        )

    # Landmarks of the resort programme (P3).
    add(_ellipse(190.0, 155.0, 32), -350.0, -850.0, 0.0, "leisure", 1, "P3", 38.0, "Arena", True)
    add(_rect(170.0, 110.0), 420.0, -980.0, 0.2, "leisure", 1, "P3", 20.0, "Aquapark", True)
    for k in range(5):
        add(
            _ellipse(32.0, 32.0, 16),
            300.0 + 55.0 * k,
            -1130.0,
            0.0,
            "leisure",
            1,
            "P3",
            9.0,
            "Aquapark pavilion",
            True,
        )
    circ = (-1850.0, 550.0)
    add(
        _rect(280.0, 22.0),
        circ[0],
        circ[1] + 245.0,
        0.0,
        "leisure",
        3,
        "P3",
        14.0,
        "Race circuit pit building",
        True,
    )
    for k, a in enumerate((-150.0, 150.0)):
        add(
            _rect(220.0, 30.0),
            circ[0] + a,
            circ[1] + 350.0,
            0.0,
            "leisure",
            1,
            "P3",
            22.0,
            f"Race circuit grandstand {k + 1}",
            True,
        )
    add(_lshape(60.0, 44.0), -1750.0, -480.0, 0.0, "leisure", 2, "P3", 10.0, "Golf clubhouse", True)
    # Hotel towers along the shore: 22-32 floors (up to ~110 m).
    shore_xy, shore_t = _arc_points((2600.0, 0.0), 900.0, np.pi * 0.62, np.pi * 1.38, 160.0)
    for k, ((x, y), t) in enumerate(zip(shore_xy, shore_t, strict=True)):
        floors = int(rng.integers(22, 33))
        shape = _ellipse(38.0, 38.0, 20) if k % 3 == 0 else _rect(44.0, 30.0)
        add(shape, float(x), float(y), float(t), "hotel", floors, "P3" if k % 2 == 0 else "P4")
    # Low-rise resort hotels on two inner crescents.
    for r in (1060.0, 1160.0):
        xy, tt = _arc_points((2600.0, 0.0), r, np.pi * 0.66, np.pi * 1.34, 70.0)
        for (x, y), t in zip(xy, tt, strict=True):
            add(
                _lshape(46.0, 30.0) if rng.random() < 0.4 else _rect(46.0, 22.0),
                float(x),
                float(y),
                float(t),
                "hotel",
                int(rng.integers(3, 7)),
                "P3",
            )
    # Promenade retail and services.
    for k in range(24):
        x = 1350.0 + 0.0 * k
        y = -1150.0 + 100.0 * k
        add(
            _rect(30.0, 20.0),
            x,
            y,
            0.0,
            "retail" if k % 4 else "commercial",
            int(rng.integers(1, 3)),
            "P4",
        )
    add(_ushape(90.0, 70.0, 14.0), 300.0, 1150.0, 0.0, "education", 3, "P3", name="School")
    add(_ushape(90.0, 70.0, 14.0), -1100.0, -1200.0, 0.0, "education", 3, "P4", name="School")
    add(_rect(50.0, 36.0), 560.0, 1150.0, 0.0, "medical", 4, "P3", name="Clinic")
    add(_court(70.0, 60.0, 14.0), 800.0, 1150.0, 0.0, "civic", 4, "P3", name="Service centre")
    # Apartments (5-12 floors) on curved rows west of the promenade.
    for r in np.arange(300.0, 1100.0, 90.0):
        xy, tt = _arc_points((1900.0, 0.0), float(r) + 800.0, np.pi * 0.8, np.pi * 1.2, 75.0)
        for (x, y), t in zip(xy, tt, strict=True):
            add(
                _rect(58.0, 16.0),
                float(x),
                float(y),
                float(t),
                "residential",
                int(rng.integers(5, 13)),
                "P4" if rng.random() < 0.6 else "post-2035",
            )
    poly = _green_polygon(ctx, d)
    ctx.district_polys[d.key] = poly
    # Keep the circuit's infield, the golf course and the arena/aquapark plaza free of
    # villas; villas and their crescent streets fill the west of the district.
    track = _stadium(circ, 900.0, 320.0)
    golf = shapely.box(cx - 2550, cy - 1350, cx - 1200, cy - 520)
    plaza = shapely.box(cx - 650, cy - 1450, cx + 700, cy - 600)
    free = shapely.union_all([Polygon(track + np.array([cx, cy])).buffer(-30.0), golf, plaza])
    allowed = poly.difference(free)
    villa_zone = allowed.intersection(shapely.box(cx - 3000, cy - 1600, cx - 100, cy + 1600))
    shapely.prepare(villa_zone)
    n_villas = int((d.target - len(cands)) * 1.6)
    villa_centres = ((-400.0, 300.0), (-1700.0, -1100.0), (-900.0, 1200.0), (-2400.0, 1300.0))
    pts, tans, rads = [], [], []
    for vc in villa_centres:
        for r in np.arange(150.0, 1400.0, 85.0):
            for side in (-21.0, 21.0):
                xy, tt = _arc_points(vc, float(r) + side, 0.0, 2 * np.pi, 30.0)
                pts.append(xy)
                tans.append(tt)
                rads.append(np.full(len(xy), r))
    vxy = np.concatenate(pts) + np.array([cx, cy])
    vt = np.concatenate(tans)
    # Inner crescents of every neighbourhood first, so trimming thins them all evenly.
    by_radius = np.argsort(np.concatenate(rads), kind="stable")
    vxy, vt = vxy[by_radius], vt[by_radius]
    inside = shapely.contains_xy(villa_zone.buffer(-12.0), vxy[:, 0], vxy[:, 1])
    r_max = float(np.concatenate(rads)[by_radius][inside][:n_villas].max())
    vxy, vt = vxy[inside][:n_villas], vt[inside][:n_villas]
    vw = rng.uniform(14, 20, len(vxy))
    vd = rng.uniform(12, 16, len(vxy))
    vf = rng.integers(2, 4, len(vxy))
    late = rng.random(len(vxy)) < 0.55
    for k in range(len(vxy)):
        add(
            _rect(float(vw[k]), float(vd[k])),
            float(vxy[k, 0] - cx),
            float(vxy[k, 1] - cy),
            float(vt[k]),
            "house",
            int(vf[k]),
            "post-2035" if late[k] else "P4",
        )
    land = [c for c in cands if c.essential or not c.shape.intersects(free)]
    landmarks = shapely.union_all([c.shape.buffer(1.0) for c in land if c.essential])
    kept = _select(ctx, land, d.target, allowed.union(landmarks))
    out.extend(d.key, d.name, kept, "GREEN-B")
    # Roads: ring boulevard, the circuit track, crescent streets, link to the A3.
    ring = np.asarray(poly.buffer(-120.0).exterior.coords)
    roads.add("RD-GREEN-RING", "Green ring boulevard", "boulevard", ring, "P3")
    roads.add(
        "RD-GREEN-CIRCUIT",
        "Race circuit track",
        "street",
        track + np.array([cx, cy]),
        "P3",
        width=14.0,
    )
    k = 0
    for vc in villa_centres:
        for r in np.arange(150.0, r_max + 1.0, 85.0):
            xy, _ = _arc_points(vc, float(r), 0.0, 2 * np.pi, 60.0)
            line = LineString(xy + np.array([cx, cy])).intersection(villa_zone.buffer(-10.0))
            for part in shapely.get_parts(line):
                if part.geom_type == "LineString" and part.length > 200:
                    k += 1
                    roads.add(f"RD-GREEN-S{k:03d}", "", "street", np.asarray(part.coords), "P4")
    a3 = LineString(A3_POINTS)
    p = a3.interpolate(a3.project(Point(cx, cy)))
    roads.add("RD-GREEN-LINK", "Green link road", "arterial", [(cx + 1800.0, cy), (p.x, p.y)], "P2")


def _stadium(c: tuple[float, float], length: float, radius: float) -> np.ndarray:
    """A closed stadium-shaped loop (race-circuit track) centred at ``c``."""
    half = length / 2
    t1 = np.linspace(-np.pi / 2, np.pi / 2, 13)
    t2 = np.linspace(np.pi / 2, 3 * np.pi / 2, 13)
    right = np.column_stack([half + radius * np.cos(t1), radius * np.sin(t1)])
    left = np.column_stack([-half + radius * np.cos(t2), radius * np.sin(t2)])
    loop = np.concatenate([right, left, right[:1]])
    return _r2(loop + c)


def _gen_microdistricts(ctx: _Context, out: _BuildingSet, roads: _RoadSet) -> list[Polygon]:
    """~12,000 one- and two-storey houses in 12 village clusters (vectorised).

    Each village is an ellipse of plots on its own street grid: streets every 90 m,
    plots 26 m wide on both sides; houses are taken nearest the centre first.
    """
    rng = np.random.default_rng(MICRO_SEED)
    polys: list[Polygon] = []
    for mi, (name, mx, my, n_target, ang_deg) in enumerate(MICRODISTRICTS):
        th = math.radians(ang_deg)
        aspect = float(rng.uniform(0.6, 1.0))
        area = n_target / 0.9 * 26.0 * 45.0
        b = math.sqrt(area / math.pi * aspect)
        a = area / math.pi / b
        nu, nv = int(a // 26) + 1, int(b // 45) + 1
        uu, vv = np.meshgrid(np.arange(-nu, nu + 1) * 26.0 + 13.0, np.arange(-nv, nv + 1) * 45.0)
        u, v = uu.ravel(), vv.ravel() + 22.5  # plots beside streets at multiples of 90 m
        rho = (u / a) ** 2 + (v / b) ** 2
        rho = rho + rng.uniform(0, 0.04, len(rho))
        order = np.argsort(rho, kind="stable")
        u, v, rho = u[order], v[order], rho[order]
        keep = rho <= 1.25
        u, v = u[keep], v[keep]
        n = len(u)
        w = rng.uniform(8.0, 14.0, n)
        dd = rng.uniform(8.0, 12.0, n)
        jit = rng.uniform(-0.04, 0.04, n)
        is_l = rng.random(n) < 0.12
        floors = np.where(rng.random(n) < 0.3, 2, 1)
        roof = rng.uniform(1.0, 2.5, n)
        # Houses sit towards their street: plot rows at v = 90k +- 22.5.
        street_side = np.where(np.mod(v, 90.0) < 45.0, -1.0, 1.0)
        vv2 = v + street_side * (22.5 - dd / 2 - 4.0) * -1.0
        centres = _rot(np.column_stack([u, vv2]), th) + np.array([mx, my])
        rect = np.stack(
            [
                np.column_stack([-w / 2, -dd / 2]),
                np.column_stack([w / 2, -dd / 2]),
                np.column_stack([w / 2, dd / 2]),
                np.column_stack([-w / 2, dd / 2]),
                np.column_stack([-w / 2, -dd / 2]),
            ],
            1,
        )
        lsh = np.stack(
            [
                np.column_stack([-w / 2, -dd / 2]),
                np.column_stack([w / 2, -dd / 2]),
                np.column_stack([w / 2, dd * 0.05]),
                np.column_stack([w * 0.05, dd * 0.05]),
                np.column_stack([w * 0.05, dd / 2]),
                np.column_stack([-w / 2, dd / 2]),
                np.column_stack([-w / 2, -dd / 2]),
            ],
            1,
        )
        ang = th + jit
        c, s = np.cos(ang)[:, None], np.sin(ang)[:, None]

        def place(
            r: np.ndarray, c: np.ndarray = c, s: np.ndarray = s, centres: np.ndarray = centres
        ) -> np.ndarray:
            x = r[..., 0] * c - r[..., 1] * s + centres[:, 0:1]
            y = r[..., 0] * s + r[..., 1] * c + centres[:, 1:2]
            return _r2(np.stack([x, y], -1))

        geoms = np.empty(n, dtype=object)
        geoms[~is_l] = shapely.polygons(place(rect)[~is_l])
        geoms[is_l] = shapely.polygons(place(lsh)[is_l])
        ok = ~shapely.intersects(ctx.keepout, geoms)
        for dpoly in ctx.district_polys.values():
            ok &= ~shapely.intersects(dpoly, geoms)
        sel = np.flatnonzero(ok)[:n_target]
        heights = np.round(floors[sel] * 3.0 + roof[sel], 1)
        # Each village's own seeded finish year in the past: these houses exist (P0).
        key = name.upper()
        cands = [
            _Candidate(geoms[i], "house", int(floors[i]), float(h), "P0")
            for i, h in zip(sel.tolist(), heights.tolist(), strict=True)
        ]
        out.extend(key, "Microdistricts", cands, f"MD-{key}-")
        out.seeds[key] = MICRO_SEED + mi
        hull = shapely.convex_hull(shapely.multipoints(shapely.get_coordinates(geoms[sel]))).buffer(
            40.0
        )
        polys.append(Polygon(_r2(np.asarray(hull.simplify(10.0).exterior.coords))))
        # Village streets at v = 90 k across the ellipse.
        k = 0
        for m in range(-int(b // 90) - 1, int(b // 90) + 2):
            vs = m * 90.0
            if abs(vs) >= b * 1.05:
                continue
            half = a * math.sqrt(max(0.0, 1.1 - (vs / b) ** 2))
            line = _rot(np.array([[-half, vs], [half, vs]]), th) + np.array([mx, my])
            k += 1
            roads.add(f"RD-MD-{key}-{k:02d}", f"{name} street {k}", "street", line, "P0")
    return polys


# ---------------------------------------------------------------------------------------
# Districts layer (draped polygons)
# ---------------------------------------------------------------------------------------


def _drape_polygon(
    ctx: _Context, poly: Polygon, feature: int, offset: float, cell: float = 200.0
) -> TriangleMesh:
    """``poly`` draped on the terrain (see :func:`alatau_twin.core.drape.drape_polygon`),
    on the sample's 0.01 m grid."""
    return drape_polygon(poly, ctx.z, feature, offset, cell, decimals=2)


def _districts_layer(ctx: _Context, micro: list[Polygon]) -> AreaLayer:
    names, kinds, chars, area, resid, basis, ids, polys = [], [], [], [], [], [], [], []
    for d in DISTRICTS:
        p = ctx.district_polys[d.key]
        ids.append(f"D-{d.key}")
        names.append(d.name)
        kinds.append("district")
        chars.append(d.character)
        area.append(round(p.area / 1e4, 1))
        resid.append(d.target_residents)
        basis.append("derived")
        polys.append(p)
    for (name, *_), p in zip(MICRODISTRICTS, micro, strict=True):
        ids.append(f"D-MD-{name.upper()}")
        names.append(name)
        kinds.append("microdistrict")
        chars.append("existing village (microdistrict): one- and two-storey houses")
        area.append(round(p.area / 1e4, 1))
        resid.append(None)
        basis.append("illustrative")
        polys.append(p)
    meshes = [_drape_polygon(ctx, p, k, 2.0) for k, p in enumerate(polys)]
    outlines = [_drape(ctx, np.asarray(p.exterior.coords), 2.5, 200.0) for p in polys]
    table = AttributeTable(
        {
            "id": ids,
            "name": names,
            "kind": kinds,
            "character": chars,
            "area_ha": np.asarray(area, float),
            "target_residents": np.array(resid, dtype=object),
            "basis": basis,
        }
    )
    report = LayerReport(
        source="district names and characters: master plan (fact); outlines: spec centres "
        "(estimates) and sourced sizes (derived); microdistrict outlines illustrative"
    )
    report.add("derived", 4)
    report.add("illustrative", len(micro))
    report.warnings.append(GREEN_SHIFT_NOTE)
    layer = AreaLayer(
        "Districts",
        TriangleMesh.concatenate(meshes),
        outlines,
        table,
        opacity=0.15,
        report=report,
        group="Planning",
    )
    layer.colors = style.categorical_colors(
        [n if k == "district" else "Microdistricts" for n, k in zip(names, kinds, strict=True)],
        style.DISTRICT_COLORS,
    )
    return layer


# ---------------------------------------------------------------------------------------
# Buildings layer
# ---------------------------------------------------------------------------------------


RESIDENTIAL_USES = ("residential", "house")
M2_PER_RESIDENT = 30.0


def _buildings_layer(ctx: _Context, b: _BuildingSet) -> BuildingLayer:
    geoms = np.array(b.geoms, dtype=object)
    cent = shapely.get_coordinates(shapely.centroid(geoms))
    base = _r2(ctx.z(cent[:, 0], cent[:, 1]))
    height = np.asarray(b.height, float)
    mesh = extrude_footprints(geoms, height, base=base)
    n = len(geoms)
    floors = np.asarray(b.floors, np.int64)
    # Estimated residents, so a what-if can say how many people an outage affects:
    # floors x footprint x 0.8 (net of walls, stairs, corridors) / 30 m2 per resident.
    homes = np.isin(np.asarray(b.use, dtype=object), list(RESIDENTIAL_USES))
    residents = np.where(
        homes, np.round(floors * shapely.area(geoms) * 0.8 / M2_PER_RESIDENT), 0
    ).astype(np.int64)
    table = AttributeTable(
        {
            "id": b.ids,
            "name": b.names,
            "district": b.district,
            "use": b.use,
            "floors": floors,
            "residents": residents,
            "height": height,
            "min_height": np.zeros(n),
            "phase": b.phase,
            "planned_start": np.array([""] * n, dtype=object),
            "planned_finish": np.array([""] * n, dtype=object),
            "ground_elev": base,
            "basis": b.basis,
        }
    )
    report = LayerReport(
        source="generated (alatau_twin.io.sample); Iconic Towers' height "
        "and floors are fact, everything else illustrative"
    )
    for v in style.BASIS_VALUES:
        report.add(v, b.basis.count(v))
    layer = BuildingLayer(
        "Buildings", mesh, table, footprints=geoms, base=base, report=report, group="Buildings"
    )
    layer.colors = style.categorical_colors(table["use"], style.USE_COLORS)
    return layer


# ---------------------------------------------------------------------------------------
# Schedule
# ---------------------------------------------------------------------------------------


@dataclass
class _ScheduleBuilder:
    ids: list[str] = field(default_factory=list)
    start: list[np.datetime64] = field(default_factory=list)
    finish: list[np.datetime64] = field(default_factory=list)
    reports: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    def add(
        self, fid: str, start: np.datetime64, finish: np.datetime64, rng: np.random.Generator
    ) -> None:
        self.ids.append(fid)
        self.start.append(start)
        self.finish.append(finish)
        rep = _simulate_reports(rng, start, finish)
        if rep is not None:
            self.reports[fid] = rep

    def add_many(
        self,
        fids: Sequence[str],
        start: np.datetime64,
        finish: np.datetime64,
        rng: np.random.Generator,
    ) -> None:
        """One task built as several features (a road's segments): same dates and
        reports for each, drawn once, so splitting a road does not reshuffle the rest."""
        rep = _simulate_reports(rng, start, finish)
        for fid in fids:
            self.ids.append(fid)
            self.start.append(start)
            self.finish.append(finish)
            if rep is not None:
                self.reports[fid] = rep

    def build(self) -> Schedule:
        return Schedule(
            np.array(self.ids, dtype=object),
            np.array(self.start, "datetime64[D]"),
            np.array(self.finish, "datetime64[D]"),
            self.reports,
        )


def _day(s: str) -> np.datetime64:
    return np.datetime64(s, "D")


def _plan_dates(
    rng: np.random.Generator, phase: str, duration: int, existing_year: int | None = None
) -> tuple[np.datetime64, np.datetime64]:
    """Planned start/finish inside the phase window (existing assets: dates in the past)."""
    if existing_year is not None:
        start = np.datetime64(f"{existing_year}-01-01", "D") + int(rng.integers(0, 180))
        return start, start + duration
    a, b = (_day(s) for s in PHASE_WINDOWS[phase])
    span = int((b - a).astype(int))
    if phase == "P0":
        # The 2025 baseline is finished within 2025.
        duration = min(duration, span - 30)
    slack = max(0, span - int(duration * 0.6)) if phase != "P0" else span - duration
    start = a + int(rng.integers(0, slack + 1))
    return start, start + duration


def _simulate_reports(
    rng: np.random.Generator, start: np.datetime64, finish: np.datetime64
) -> tuple[np.ndarray, np.ndarray] | None:
    """As-built progress every ~91 days, a little ahead of or behind plan (illustrative).

    Existing assets (finished before 2025) get one report of 100 % at their finish; work
    not started by the end of 2035 gets none. Progress is an S-curve, non-decreasing,
    reaching 100 % at the simulated actual finish.
    """
    if start > PROGRAMME_END:
        return None
    if finish < _day("2025-01-01"):
        return np.array([finish]), np.array([100.0])
    delay = int(rng.integers(-30, 120))
    stretch = float(rng.uniform(0.9, 1.25))
    dur = max(30, int(int((finish - start).astype(int)) * stretch))
    a0 = start + delay
    n = (dur - 1) // REPORT_INTERVAL_DAYS  # last regular report strictly before finish
    days = a0 + np.arange(n + 1) * REPORT_INTERVAL_DAYS
    t = (np.arange(n + 1) * REPORT_INTERVAL_DAYS) / dur
    pct = 100.0 * (3 * t**2 - 2 * t**3)
    pct = np.round(np.maximum.accumulate(np.clip(pct, 0.0, 99.0)), 1)
    days = np.append(days, a0 + dur)
    pct = np.append(pct, 100.0)
    return days.astype("datetime64[D]"), pct


def _building_duration(rng: np.random.Generator, use: str, height: float) -> int:
    if use == "house":
        return int(rng.integers(150, 300))
    if use in ("warehouse", "logistics", "industrial"):
        return int(rng.integers(270, 480))
    return int(min(240 + height * 7.0, 1500) * float(rng.uniform(0.85, 1.15)))


def _schedule_buildings(
    ctx: _Context, layer: BuildingLayer, b: _BuildingSet, sched: _ScheduleBuilder
) -> None:
    n = len(b.ids)
    start = np.empty(n, "datetime64[D]")
    finish = np.empty(n, "datetime64[D]")
    rngs: dict[str, np.random.Generator] = {}
    for d in DISTRICTS:
        rngs[d.key] = np.random.default_rng(d.seed + 7)
    for name, *_ in MICRODISTRICTS:
        rngs[name.upper()] = np.random.default_rng(b.seeds[name.upper()] + 7)
    groups = np.array(b.group, dtype=object)
    for g in _building_groups(b):
        rng = rngs[g]
        rows = np.flatnonzero(groups == g)
        if g not in {d.key for d in DISTRICTS}:
            # Existing village houses (P0): built between 1965 and 2022, complete.
            k = len(rows)
            s0 = np.array(rng.integers(1965, 2023, k) - 1970, "datetime64[Y]").astype(
                "datetime64[D]"
            ) + rng.integers(0, 180, k)
            f0 = s0 + rng.integers(150, 300, k)
            start[rows], finish[rows] = s0, f0
            for i, fday in zip(rows.tolist(), f0, strict=True):
                sched.ids.append(b.ids[i])
                sched.start.append(start[i])
                sched.finish.append(fday)
                sched.reports[b.ids[i]] = (np.array([fday]), np.array([100.0]))
            continue
        for i in rows.tolist():
            fid = b.ids[i]
            if fid.startswith("GATE-ICONIC-"):
                # Fact: excavation from 2026-05; done in P2 (completion dates illustrative).
                s, f = (
                    _day("2026-05-01"),
                    _day("2030-09-30" if fid == "GATE-ICONIC-1" else "2029-12-15"),
                )
            else:
                s, f = _plan_dates(rng, b.phase[i], _building_duration(rng, b.use[i], b.height[i]))
            start[i], finish[i] = s, f
            sched.add(fid, s, f, rng)
    layer.table["planned_start"] = np.datetime_as_string(start, unit="D").astype(object)
    layer.table["planned_finish"] = np.datetime_as_string(finish, unit="D").astype(object)


ROAD_DATES = {
    "RD-A3": ("1975-01-01", "1978-12-31"),  # existing highway (dates illustrative)
    "RD-BAKAD": ("2020-03-01", "2023-06-16"),  # opened 2023-06-16 (fact)
}


def _schedule_roads(
    ctx: _Context, roads: _RoadSet, sched: _ScheduleBuilder, segments: dict[str, list[str]]
) -> None:
    """Plan each whole road once; its segments (``segments[road id]``) share the dates."""
    rng = np.random.default_rng(SCENE_SEED + 1)
    for rid, cls, phase in zip(roads.ids, roads.classes, roads.phase, strict=True):
        if rid in ROAD_DATES:
            s, f = (_day(x) for x in ROAD_DATES[rid])
        elif rid.startswith("RD-MD-") or (rid.startswith("RD-LINK-") and phase == "P0"):
            s, f = _plan_dates(rng, "P0", 120, existing_year=int(rng.integers(1965, 2015)))
        else:
            dur = 240 if cls == "street" else 420
            s, f = _plan_dates(rng, phase, dur)
        sched.add_many(segments.get(rid, [rid]), s, f, rng)
    for rid, (s, f) in (
        ("RL-TURKSIB", ("1929-01-01", "1930-12-31")),
        ("RL-TERMINAL-SPUR", ("2026-03-01", "2027-06-30")),
    ):
        sched.add(rid, _day(s), _day(f), rng)


# ---------------------------------------------------------------------------------------
# Networks
# ---------------------------------------------------------------------------------------


@dataclass
class _NetBuilder:
    """Nodes and links of one network, kept in insertion order, plus their layers' rows."""

    kind: str
    net: Network
    node_rows: list[dict[str, Any]] = field(default_factory=list)
    node_xy: list[tuple[float, float]] = field(default_factory=list)
    link_rows: list[dict[str, Any]] = field(default_factory=list)
    link_xy: list[np.ndarray] = field(default_factory=list)
    phase: dict[str, str] = field(default_factory=dict)
    _where: dict[str, int] = field(default_factory=dict)

    def node(
        self, nid: str, xy: Sequence[float], row: dict[str, Any], phase: str, source: bool = False
    ) -> str:
        x, y = float(np.round(xy[0], 2)), float(np.round(xy[1], 2))
        self.net.add_node(nid, type=row["type"], x=x, y=y, source=source)
        self.node_rows.append({"id": nid, **row, "phase": phase})
        self._where[nid] = len(self.node_xy)
        self.node_xy.append((x, y))
        self.phase[nid] = phase
        return nid

    def pos(self, nid: str) -> np.ndarray:
        return np.array(self.node_xy[self._where[nid]])

    def link(
        self,
        lid: str,
        a: str,
        b: str,
        row: dict[str, Any],
        phase: str,
        via: Iterable[Sequence[float]] = (),
        bidirectional: bool = False,
    ) -> str:
        self.net.add_link(lid, a, b, bidirectional=bidirectional, type=row["type"])
        self.link_rows.append({"id": lid, **row, "from_id": a, "to_id": b, "phase": phase})
        self.link_xy.append(np.array([self.pos(a), *[tuple(p) for p in via], self.pos(b)], float))
        self.phase[lid] = phase
        return lid


def _kmeans(xy: np.ndarray, k: int, rng: np.random.Generator, iters: int = 12) -> np.ndarray:
    """Plain Lloyd k-means with a seeded start: where to put k substations/junctions."""
    k = max(1, min(k, len(xy)))
    centres = xy[np.sort(rng.choice(len(xy), k, replace=False))].copy()
    for _ in range(iters):
        lab = np.argmin(((xy[:, None, :] - centres[None]) ** 2).sum(-1), axis=1)
        for c in range(k):
            m = lab == c
            if m.any():
                centres[c] = xy[m].mean(0)
    return _r2(centres)


def _building_groups(b: _BuildingSet) -> list[str]:
    """District keys and village names in first-appearance (generation) order."""
    return list(dict.fromkeys(b.group))


def _nearest(xy: np.ndarray, centres: np.ndarray) -> np.ndarray:
    return np.argmin(((xy[:, None, :] - centres[None]) ** 2).sum(-1), axis=1)


def _net_layers(
    ctx: _Context,
    nb: _NetBuilder,
    line_name: str,
    point_name: str,
    qty: str,
    heights: Callable[[str], float],
    sizes: Callable[[str], float],
    source: str,
) -> tuple[LineLayer, PointLayer]:
    color = style.NETWORK_COLORS[nb.kind]
    lines = [
        _drape(ctx, xy, heights(r["type"]), 150.0)
        for xy, r in zip(nb.link_xy, nb.link_rows, strict=True)
    ]
    cols = ["id", "network", "type", qty, "from_id", "to_id", "phase", "basis"]
    lt = AttributeTable({c: [r[c] for r in nb.link_rows] for c in cols})
    lrep = LayerReport(source=source)
    prep = LayerReport(source=source)
    for v in style.BASIS_VALUES:
        lrep.add(v, sum(r["basis"] == v for r in nb.link_rows))
        prep.add(v, sum(r["basis"] == v for r in nb.node_rows))
    lines_layer = LineLayer(
        line_name,
        lines,
        lt,
        width=np.full(len(lines), 4.0),
        report=lrep,
        group=nb.kind.capitalize(),
    )
    lines_layer.colors = np.tile(np.array(color, np.uint8), (len(lines), 1))
    pcols = list(nb.node_rows[0].keys())
    pt = AttributeTable({c: [r[c] for r in nb.node_rows] for c in pcols})
    xy = np.array(nb.node_xy)
    z = _r2(ctx.z(xy[:, 0], xy[:, 1]) + 10.0)
    pl = PointLayer(
        point_name,
        np.column_stack([xy, z]),
        pt,
        size=np.array([sizes(r["type"]) for r in nb.node_rows]),
        report=prep,
        group=nb.kind.capitalize(),
    )
    pl.colors = np.tile(np.array(color, np.uint8), (len(xy), 1))
    return lines_layer, pl


def _power_network(
    ctx: _Context, layer: BuildingLayer, b: _BuildingSet, sched: _ScheduleBuilder
) -> tuple[LineLayer, PointLayer]:
    """Power: 220 kV supply from the south, 110 kV tie from Kapshagay HPP, five
    substations on a 110 kV ring, 10 kV feeders to transformer substations.

    The five 110 kV ring links (Gate - Golden - Zhetygen - Green - Zhetygen-existing -
    Gate) are bidirectional: supply flows either way round the ring, so any one ring
    link can be lost without cutting a substation (N-1). The 220 kV lines, the hydro and
    solar ties and the 10 kV feeders are radial, directed away from the sources, so a
    feeder fault cuts the transformers beyond it.
    """
    rng = np.random.default_rng(SCENE_SEED + 20)
    nb = _NetBuilder("power", Network(kind="power"))
    frame = ctx.frame

    def st(name: str, typ: str, voltage: str, mw: float | None, basis: str) -> dict[str, Any]:
        return {
            "name": name,
            "network": "power",
            "type": typ,
            "voltage": voltage,
            "capacity_mw": mw,
            "basis": basis,
        }

    def ln(typ: str, kv: float, basis: str = "illustrative") -> dict[str, Any]:
        return {"network": "power", "type": typ, "voltage_kv": kv, "basis": basis}

    hx, hy = (float(v) for v in frame.from_lonlat(*HYDRO_LONLAT))
    xmin, xmax, ymin, ymax = ctx.grid.bounds
    hydro_note = ""
    if not (xmin <= hx <= xmax and ymin <= hy <= ymax):
        # The plant lies north of the scene: the tie enters at the north edge, on land.
        ex = np.linspace(hx - 3000, hx + 3000, 121)
        ey = np.full_like(ex, ymax - 50.0)
        land = (
            ~shapely.contains_xy(ctx.water, ex, ey)
            if ctx.water is not None
            else np.ones(len(ex), bool)
        )
        j = int(np.argmin(np.where(land, np.abs(ex - hx), np.inf)))
        hydro_note = (
            f"Kapshagay HPP (43.9228 N 77.0981 E) is {hy - ymax:.0f} m north of "
            "the scene; its 110 kV tie enters at the north edge"
        )
        ctx.notes.append(hydro_note)
        hx, hy = float(ex[j]), float(ey[j])
    sup = nb.node(
        "P-SUP-220",
        (-8000.0, -32950.0),
        st("External 220 kV supply (Almaty grid)", "supply", "220 kV", None, "illustrative"),
        "P0",
        source=True,
    )
    hyd = nb.node(
        "P-HYDRO-KAPSHAGAY",
        (hx, hy),
        st(
            "Kapshagay HPP tie (plant north of scene)" if hydro_note else "Kapshagay HPP",
            "hydro",
            "110 kV",
            364.0,
            "derived",
        ),
        "P0",
        source=True,
    )
    subs = {
        "GATE": nb.node(
            "P-SS-GATE",
            (-5100.0, -20300.0),
            st("Gate substation", "substation", "220/110/10 kV", None, "illustrative"),
            "P1",
        ),
        "ZHET": nb.node(
            "P-SS-ZHETYGEN",
            (5400.0, 7000.0),
            st("Zhetygen substation", "substation", "220/110/10 kV", None, "illustrative"),
            "P1",
        ),
        "ZHEX": nb.node(
            "P-SS-ZHETYGEN-EX",
            (3600.0, 18600.0),
            st("Zhetygen existing substation", "substation", "110/35/10 kV", None, "illustrative"),
            "P0",
        ),
        "GOLD": nb.node(
            "P-SS-GOLDEN",
            (-2300.0, -6200.0),
            st("Golden substation", "substation", "110/10 kV", None, "illustrative"),
            "P2",
        ),
        "GREEN": nb.node(
            "P-SS-GREEN",
            (-4600.0, 22900.0),
            st("Green substation", "substation", "110/10 kV", None, "illustrative"),
            "P2",
        ),
    }
    solar = nb.node(
        "P-SOLAR-PARK",
        (9800.0, 4800.0),
        st("Solar park", "solar", "110 kV", 100.0, "illustrative"),
        "P3",
        source=True,
    )
    bess = nb.node(
        "P-BESS",
        (9800.0, 4200.0),
        st("Battery storage", "battery", "10 kV", 50.0, "illustrative"),
        "P3",
    )
    nb.link("P-L220-SUP-GATE", sup, subs["GATE"], ln("220 kV line", 220.0), "P1")
    nb.link(
        "P-L220-SUP-ZHETYGEN",
        sup,
        subs["ZHET"],
        ln("220 kV line", 220.0),
        "P1",
        via=[(4000.0, -24000.0), (6000.0, -6000.0)],
    )
    nb.link(
        "P-L110-GATE-GOLDEN",
        subs["GATE"],
        subs["GOLD"],
        ln("110 kV line", 110.0),
        "P2",
        bidirectional=True,
    )
    nb.link(
        "P-L110-ZHETYGEN-GOLDEN",
        subs["ZHET"],
        subs["GOLD"],
        ln("110 kV line", 110.0),
        "P2",
        bidirectional=True,
    )
    nb.link(
        "P-L110-ZHETYGEN-GREEN",
        subs["ZHET"],
        subs["GREEN"],
        ln("110 kV line", 110.0),
        "P2",
        bidirectional=True,
        via=[(2200.0, 19500.0)],
    )
    nb.link(
        "P-L110-GREEN-ZHETYGEN-EX",
        subs["GREEN"],
        subs["ZHEX"],
        ln("110 kV line", 110.0),
        "P2",
        bidirectional=True,
    )
    nb.link(
        "P-L110-GATE-ZHETYGEN-EX",
        subs["GATE"],
        subs["ZHEX"],
        ln("110 kV line", 110.0),
        "P2",
        bidirectional=True,
        via=[(-8500.0, -12000.0), (-7500.0, 12000.0)],
    )
    nb.link("P-L110-HYDRO-GREEN", hyd, subs["GREEN"], ln("110 kV line", 110.0, "derived"), "P0")
    nb.link("P-L110-SOLAR-ZHETYGEN", solar, subs["ZHET"], ln("110 kV line", 110.0), "P3")
    nb.link("P-L10-SOLAR-BESS", solar, bess, ln("service", 10.0), "P3")

    # Transformer substations: k-means per district / village, ~25 buildings each in
    # districts and ~250 houses in villages; every building served by its nearest one.
    geoms = np.array(b.geoms, dtype=object)
    cent = shapely.get_coordinates(shapely.centroid(geoms))
    groups = np.array(b.group, dtype=object)
    ts_xy, ts_ids, ts_group = [], [], []
    for g in _building_groups(b):
        m = groups == g
        per = 250 if g not in {d.key for d in DISTRICTS} else 25
        k = max(1, round(int(m.sum()) / per))
        for c, xy in enumerate(_kmeans(cent[m], k, rng)):
            ts_ids.append(f"P-TS-{g}-{c + 1:02d}")
            ts_xy.append(xy)
            ts_group.append(g)
    ts_xy_arr = np.array(ts_xy)
    serve = _nearest(cent, ts_xy_arr)
    ids = np.array(b.ids, dtype=object)
    phase_rank = {p: i for i, p in enumerate(PHASES)}
    bphase = np.array([phase_rank[p] for p in b.phase])
    sub_keys = list(subs)
    sub_xy = np.array([nb.pos(subs[k]) for k in sub_keys])
    ts_phase: list[str] = []
    for t, tid in enumerate(ts_ids):
        served = serve == t
        ph = PHASES[int(bphase[served].min())] if served.any() else "P4"
        if ts_group[t] == "GATE" and ph != "P0":
            ph = "P0"  # Gate's first trunk networks are laid (2025)
        ts_phase.append(ph)
        nb.node(
            tid,
            ts_xy_arr[t],
            st(
                f"Transformer substation {tid[5:]}",
                "transformer",
                "10/0.4 kV",
                None,
                "illustrative",
            ),
            ph,
        )
        nb.net.serves[tid] = [str(x) for x in ids[served]]
    # Radial 10 kV feeders: transformers grouped by bearing (8 sectors) around their
    # nearest substation and chained outward, so cutting a feeder cuts those beyond it.
    ts_sub = _nearest(ts_xy_arr, sub_xy)
    for s, key in enumerate(sub_keys):
        mine = np.flatnonzero(ts_sub == s)
        if not len(mine):
            continue
        rel = ts_xy_arr[mine] - sub_xy[s]
        sector = np.floor((np.arctan2(rel[:, 1], rel[:, 0]) + np.pi) / (np.pi / 4)).astype(int) % 8
        dist = np.hypot(rel[:, 0], rel[:, 1])
        for sec in range(8):
            chain = mine[sector == sec][np.argsort(dist[sector == sec], kind="stable")]
            prev = subs[key]
            for k, t in enumerate(chain.tolist()):
                lid = f"P-F10-{key}-{sec + 1}-{k + 1:02d}"
                nb.link(lid, prev, ts_ids[t], ln("10 kV feeder", 10.0), ts_phase[t])
                prev = ts_ids[t]
    lines, points = _net_layers(
        ctx,
        nb,
        "Power lines",
        "Power stations",
        "voltage_kv",
        heights=lambda typ: 20.0 if typ in ("220 kV line", "110 kV line") else 8.0,
        sizes=lambda typ: {
            "substation": 160.0,
            "supply": 200.0,
            "hydro": 200.0,
            "solar": 220.0,
            "battery": 100.0,
        }.get(typ, 40.0),
        source="illustrative layout on sourced items (roadmap substations, Kapshagay HPP)",
    )
    if hydro_note:
        points.report.warnings.append(hydro_note)
    ctx.networks["power"] = nb.net
    _schedule_network(
        nb,
        sched,
        rng,
        existing={
            "P-SUP-220": 1985,
            "P-HYDRO-KAPSHAGAY": 1965,
            "P-SS-ZHETYGEN-EX": 1988,
            "P-L110-HYDRO-GREEN": 1988,
        },
    )
    return lines, points


def _water_network(
    ctx: _Context, layer: BuildingLayer, b: _BuildingSet, sched: _ScheduleBuilder
) -> tuple[LineLayer, PointLayer]:
    """Water: reservoir intake -> treatment plant -> twin transmission mains south along
    the A3 -> booster -> district reservoirs -> looped district mains; a standby
    wellfield is a second source for Gate. Buildings are served by the nearest junction
    of their district's loop (village: its own junction).

    Twin main B ends in a valve chamber at the booster (then a short link). Each
    district loop is a true ring of bidirectional mains (water flows either way round
    it) fed from the district reservoir at its first junction: one cut on a loop
    darkens nothing; two cuts darken the junctions between them. Trunk and supply mains
    are directed from the sources.
    """
    rng = np.random.default_rng(SCENE_SEED + 30)
    nb = _NetBuilder("water", Network(kind="water"))

    def fac(name: str, typ: str, cap: float | None, basis: str = "illustrative") -> dict:
        return {
            "name": name,
            "network": "water",
            "type": typ,
            "capacity_m3_day": cap,
            "basis": basis,
        }

    def main(typ: str, dia: int, basis: str = "illustrative") -> dict[str, Any]:
        return {"network": "water", "type": typ, "diameter_mm": dia, "basis": basis}

    # Intake on the reservoir shore nearest Green.
    green = next(d for d in DISTRICTS if d.key == "GREEN")
    if ctx.water is not None:
        shore = ctx.water.exterior
        p = shore.interpolate(shore.project(Point(green.centre[0] + 3500, green.centre[1])))
        intake_xy = (p.x, p.y)
    else:
        intake_xy = (2000.0, 32900.0)
    intake = nb.node(
        "W-INTAKE",
        intake_xy,
        fac("Kapchagay reservoir intake", "intake", 300_000.0),
        "P1",
        source=True,
    )
    wtp = nb.node(
        "W-WTP", (-300.0, 21200.0), fac("Water treatment plant", "treatment plant", 250_000.0), "P2"
    )
    boost = nb.node(
        "W-BOOST",
        (1900.0, -300.0),
        fac("Booster pumping station", "booster station", 200_000.0),
        "P2",
    )
    vc = nb.node(
        "W-VC-BOOST",
        (1950.0, -150.0),
        fac("Valve chamber (twin main B)", "valve chamber", None),
        "P2",
    )
    well = nb.node(
        "W-WELLFIELD",
        (-9000.0, -23000.0),
        fac("Standby wellfield", "wellfield", 40_000.0),
        "P1",
        source=True,
    )
    nb.link("W-L-RAW", intake, wtp, main("raw water main", 1400), "P1")
    a3 = np.array(A3_POINTS)
    between = a3[(a3[:, 1] < 21000) & (a3[:, 1] > 0)][::-1]
    nb.link(
        "W-TM-A",
        wtp,
        boost,
        main("transmission main", 1200),
        "P2",
        via=[(x - 60.0, y) for x, y in between],
    )
    nb.link(
        "W-TM-B",
        wtp,
        vc,
        main("transmission main", 1200),
        "P2",
        via=[(x + 60.0, y) for x, y in between],
    )
    nb.link("W-L-VC-BOOST", vc, boost, main("connection", 1200), "P2")
    res: dict[str, str] = {}
    feeds = {"GATE": boost, "GOLD": boost, "GROW": boost, "GREEN": wtp}
    for d in DISTRICTS:
        poly = ctx.district_polys[d.key]
        rp = poly.representative_point() if d.key == "GREEN" else Point(d.centre)
        off = (-600.0, -400.0)
        res[d.key] = nb.node(
            f"W-RES-{d.key}",
            (rp.x + off[0], rp.y + off[1]),
            fac(f"{d.name} district reservoir", "reservoir", 30_000.0),
            "P0" if d.key == "GATE" else "P2",
        )
        nb.link(
            f"W-SM-{d.key}",
            feeds[d.key],
            res[d.key],
            main("supply main", 800),
            "P2" if d.key != "GATE" else "P1",
        )
    nb.link("W-WM-GATE", well, res["GATE"], main("wellfield main", 600), "P1")

    geoms = np.array(b.geoms, dtype=object)
    cent = shapely.get_coordinates(shapely.centroid(geoms))
    groups = np.array(b.group, dtype=object)
    ids = np.array(b.ids, dtype=object)
    j_ids: list[str] = []
    j_xy: list[np.ndarray] = []
    j_group: list[str] = []
    res_xy = {k: nb.pos(v) for k, v in res.items()}
    for d in DISTRICTS:
        ring = ctx.district_polys[d.key].buffer(-250.0).exterior
        n = 10 if d.key == "GATE" else 8
        pts = [ring.interpolate(k / n, normalized=True) for k in range(n)]
        r_xy = res_xy[d.key]
        first = int(np.argmin([np.hypot(p.x - r_xy[0], p.y - r_xy[1]) for p in pts]))
        order = [(first + k) % n for k in range(n)]
        ph = "P0" if d.key == "GATE" else "P2"  # Gate's first trunk networks (2025)
        names = []
        for k, o in enumerate(order):
            jid = nb.node(
                f"W-J-{d.key}-{k + 1:02d}",
                (pts[o].x, pts[o].y),
                fac(f"{d.name} main junction {k + 1}", "junction", None),
                ph,
            )
            names.append(jid)
            j_ids.append(jid)
            j_xy.append(np.array([pts[o].x, pts[o].y]))
            j_group.append(d.key)
        nb.link(f"W-DM-{d.key}-00", res[d.key], names[0], main("district main", 500), ph)
        half = n // 2
        dm = main("district main", 400)
        for k in range(1, half + 1):  # clockwise half
            nb.link(f"W-DM-{d.key}-A{k:02d}", names[k - 1], names[k], dm, ph, bidirectional=True)
        prev = names[0]
        for k in range(n - 1, half, -1):  # counter-clockwise half, meeting at names[half]
            nb.link(f"W-DM-{d.key}-B{n - k:02d}", prev, names[k], dm, ph, bidirectional=True)
            prev = names[k]
        nb.link(f"W-DM-{d.key}-B{n - half:02d}", prev, names[half], dm, ph, bidirectional=True)
    for name, *_ in MICRODISTRICTS:
        key = name.upper()
        m = groups == key
        c = _r2(cent[m].mean(0))
        jid = nb.node(f"W-J-{key}", c, fac(f"{name} village main", "junction", None), "P0")
        near = min(res, key=lambda r: float(np.hypot(*(res_xy[r] - c))))
        nb.link(f"W-VM-{key}", res[near], jid, main("village main", 300), "P0")
        j_ids.append(jid)
        j_xy.append(c)
        j_group.append(key)
    j_xy_arr = np.array(j_xy)
    j_group_arr = np.array(j_group, dtype=object)
    serve = np.empty(len(ids), np.int64)
    for g in _building_groups(b):
        m = groups == g
        cand = np.flatnonzero(j_group_arr == g)
        serve[m] = cand[_nearest(cent[m], j_xy_arr[cand])]
    for t, jid in enumerate(j_ids):
        nb.net.serves[jid] = [str(x) for x in ids[serve == t]]
    lines, points = _net_layers(
        ctx,
        nb,
        "Water mains",
        "Water facilities",
        "diameter_mm",
        heights=lambda typ: 3.0,
        sizes=lambda typ: {
            "intake": 160.0,
            "treatment plant": 200.0,
            "booster station": 140.0,
            "reservoir": 120.0,
            "wellfield": 140.0,
        }.get(typ, 40.0),
        source="illustrative layout on sourced items (roadmap intake, treatment plant)",
    )
    lines.report.warnings.append(
        "sewers and the wastewater plant (north of the dam, outside the scene) are not modelled"
    )
    ctx.networks["water"] = nb.net
    _schedule_network(nb, sched, rng, existing={})
    return lines, points


def _schedule_network(
    nb: _NetBuilder, sched: _ScheduleBuilder, rng: np.random.Generator, existing: dict[str, int]
) -> None:
    """Plan every node and link in its phase; existing assets get past dates."""
    for fid in [r["id"] for r in nb.node_rows] + [r["id"] for r in nb.link_rows]:
        ph = nb.phase[fid]
        if fid in existing:
            s, f = _plan_dates(rng, ph, 720, existing_year=existing[fid])
        elif ph == "P0" and (
            fid.startswith(("P-TS-", "W-J-", "W-VM-", "P-F10-"))
            and not any(k in fid for k in ("GATE",))
        ):
            s, f = _plan_dates(rng, ph, 120, existing_year=int(rng.integers(1975, 2015)))
        else:
            typ = fid.split("-")[1]
            dur = {
                "SS": 600,
                "L220": 500,
                "L110": 420,
                "TS": 150,
                "F10": 120,
                "WTP": 900,
                "INTAKE": 600,
            }.get(typ, 300)
            s, f = _plan_dates(rng, ph, dur)
        sched.add(fid, s, f, rng)


# ---------------------------------------------------------------------------------------
# Road network: the Roads layer split at junctions, as a traceable graph
# ---------------------------------------------------------------------------------------

ROAD_SNAP_M = 0.5  # road ends and crossings closer than this are one junction
ROAD_ENTRY_M = 2500.0  # a highway or arterial ending this near the scene edge enters it
ROAD_ENTRY_CLASSES = ("highway", "ring", "arterial")
ROAD_NO_ACCESS = ("highway", "ring")  # no building is reached straight from a highway


class _UnionFind:
    """Disjoint sets over 0..n-1; the smallest index represents its set (deterministic)."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        p = self.parent
        while p[i] != i:
            p[i] = p[p[i]]
            i = p[i]
        return i

    def union(self, i: int, j: int) -> bool:
        ri, rj = self.find(i), self.find(j)
        if ri == rj:
            return False
        lo, hi = min(ri, rj), max(ri, rj)
        self.parent[hi] = lo
        return True


def _road_lines(roads: _RoadSet) -> np.ndarray:
    """Every road as a shapely line, built in one vectorised call."""
    counts = [len(c) for c in roads.coords]
    index = np.repeat(np.arange(len(counts)), counts)
    return shapely.linestrings(np.concatenate(roads.coords), indices=index)


def _connect_roads(roads: _RoadSet) -> list[tuple[int, np.ndarray]]:
    """Make the roads one network a closure can be traced on.

    The generators draw each district's grid, each village's parallel streets and
    Green's crescents on their own, so most of them meet nothing. This adds a main
    street through each village (through the midpoints of its streets) and then the
    shortest access roads joining the remaining groups: a minimum spanning tree over
    the groups, with candidate pairs from a Delaunay triangulation of points every 100 m
    along the roads (the closest pair across any split of the points is a Delaunay
    edge; GEOS triangulates, so the sample needs no scipy). Returns (road index, point)
    where a new road meets an existing one, so the split cuts that road there even when
    rounding leaves the point a hair off it.
    """
    cuts: list[tuple[int, np.ndarray]] = []
    joins: list[tuple[int, int]] = []  # a main street meets its village's outer streets
    villages: dict[str, list[int]] = {}
    for i, rid in enumerate(roads.ids):
        if rid.startswith("RD-MD-"):
            villages.setdefault(rid.rsplit("-", 1)[0], []).append(i)
    for key, idx in villages.items():
        if len(idx) < 2:
            continue
        ends = [(roads.coords[i][0] + roads.coords[i][-1]) / 2.0 for i in (idx[0], idx[-1])]
        name = roads.names[idx[0]].rsplit(" street", 1)[0]
        roads.add(f"{key}-MAIN", f"{name} main street", "street", ends, "P0")
        main = len(roads.ids) - 1
        cuts += [(idx[0], roads.coords[main][0]), (idx[-1], roads.coords[main][-1])]
        cuts += [(main, roads.coords[main][0]), (main, roads.coords[main][-1])]
        joins += [(idx[0], main), (idx[-1], main)]

    lines = _road_lines(roads)
    uf = _UnionFind(len(lines))
    a, b = shapely.STRtree(lines).query(lines, predicate="intersects")
    for i, j in zip(a.tolist(), b.tolist(), strict=True):
        uf.union(i, j)
    for i, j in joins:
        uf.union(i, j)
    pts, which = shapely.get_coordinates(shapely.segmentize(lines, 100.0), return_index=True)
    group = np.array([uf.find(i) for i in range(len(lines))])[which]
    # GEOS returns the input coordinates exactly: find each edge end among the points
    # by value (as complex numbers, which numpy sorts by x then y).
    keys, first = np.unique(pts[:, 0] + 1j * pts[:, 1], return_index=True)
    tri = shapely.delaunay_triangles(shapely.multipoints(pts), only_edges=True)
    ec = shapely.get_coordinates(tri)  # two points per edge
    edges = first[np.searchsorted(keys, ec[:, 0] + 1j * ec[:, 1])].reshape(-1, 2)
    edges = edges[group[edges[:, 0]] != group[edges[:, 1]]]
    length = np.hypot(*(pts[edges[:, 0]] - pts[edges[:, 1]]).T)
    rank = {p: i for i, p in enumerate(PHASES)}
    k = 0
    for e in np.lexsort((edges[:, 1], edges[:, 0], np.round(length, 3))).tolist():
        ri, rj = int(which[edges[e, 0]]), int(which[edges[e, 1]])
        if not uf.union(ri, rj):
            continue
        link = np.asarray(shapely.shortest_line(lines[ri], lines[rj]).coords)
        pa, pb = _r2(link[0]), _r2(link[-1])
        cuts += [(ri, pa), (rj, pb)]
        if np.hypot(*(pb - pa)) < ROAD_SNAP_M:
            continue  # touching already: the cuts make the junction
        k += 1
        phase = max(roads.phase[ri], roads.phase[rj], key=rank.__getitem__)
        roads.add(f"RD-LINK-{k:03d}", "Access road", "street", [pa, pb], phase)
        new = len(roads.ids) - 1
        cuts += [(new, pa), (new, pb)]
    return cuts


@dataclass
class _RoadGraph:
    """The roads cut into segments between junctions, and the junctions."""

    segs: _RoadSet  # one feature per segment; ``road`` names the whole road
    ends: np.ndarray  # (segments, 2) junction index at each end
    node_xy: np.ndarray  # (junctions, 2)
    segments: dict[str, list[str]]  # whole road id -> its segment ids, in order
    entry_points: list[np.ndarray]  # where highways and arterials enter the scene


def _split_roads(ctx: _Context, roads: _RoadSet, cuts: list[tuple[int, np.ndarray]]) -> _RoadGraph:
    """Cut every road where it meets another road (crossings, T-junctions, access
    roads), so each segment is one link of the road network with its own id: the
    road's id when it is not cut, else ``<road id>-01``, ``-02`` ... along it."""
    lines = _road_lines(roads)
    at: list[list[np.ndarray]] = [[] for _ in lines]
    for i, p in cuts:
        at[i].append(np.asarray(p, float))
    a, b = shapely.STRtree(lines).query(lines, predicate="intersects")
    keep = a < b
    a, b = a[keep], b[keep]
    for i, j, g in zip(
        a.tolist(), b.tolist(), shapely.intersection(lines[a], lines[b]), strict=True
    ):
        for part in shapely.get_parts(g):
            c = np.asarray(part.coords, float)
            if part.geom_type == "Point":
                found = [c[0]]
            elif part.geom_type == "LineString":  # roads sharing a stretch: cut at its ends
                found = [c[0], c[-1]]
            else:
                continue
            at[i] += found
            at[j] += found
    segs = _RoadSet()
    ends_xy: list[np.ndarray] = []
    segments: dict[str, list[str]] = {}
    for i, rid in enumerate(roads.ids):
        c = roads.coords[i]
        cum = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(c, axis=0).T))])
        total = float(cum[-1])
        stops: list[tuple[float, np.ndarray]] = []
        if at[i]:
            pts = np.array(at[i])
            dist = shapely.line_locate_point(lines[i], shapely.points(pts))
            for d, p in sorted(zip(dist.tolist(), pts, strict=True), key=lambda t: t[0]):
                if ROAD_SNAP_M < d < total - ROAD_SNAP_M and (
                    not stops or d - stops[-1][0] > ROAD_SNAP_M
                ):
                    stops.append((d, p))
        if not stops and np.hypot(*(c[0] - c[-1])) < ROAD_SNAP_M:  # a closed loop alone
            mid = lines[i].interpolate(total / 2)
            stops.append((total / 2, np.array([mid.x, mid.y])))
        bounds = [(0.0, c[0]), *stops, (total, c[-1])]
        ids = [rid] if len(bounds) == 2 else [f"{rid}-{k + 1:02d}" for k in range(len(bounds) - 1)]
        for sid, (d0, p0), (d1, p1) in zip(ids, bounds[:-1], bounds[1:], strict=True):
            inner = c[(cum > d0 + 1e-6) & (cum < d1 - 1e-6)]
            segs.add(
                sid,
                roads.names[i],
                roads.classes[i],
                np.vstack([p0, inner, p1]),
                roads.phase[i],
                roads.basis[i],
                roads.width[i],
                road=rid,
            )
            ends_xy += [segs.coords[-1][0], segs.coords[-1][-1]]
        segments[rid] = ids
    # Junctions: segment ends within ROAD_SNAP_M of each other are one node.
    xy = np.array(ends_xy)
    uf = _UnionFind(len(xy))
    pts = shapely.points(xy)
    near = shapely.STRtree(pts).query(pts, predicate="dwithin", distance=ROAD_SNAP_M)
    for i, j in near[:, near[0] < near[1]].T.tolist():
        uf.union(i, j)
    node_of: dict[int, int] = {}
    ends = np.array([node_of.setdefault(uf.find(i), len(node_of)) for i in range(len(xy))])
    node_xy = np.zeros((len(node_of), 2))
    for root, n in node_of.items():
        node_xy[n] = xy[root]
    xmin, xmax, ymin, ymax = ctx.grid.bounds
    entry_points = []
    for i, c in enumerate(roads.coords):
        if roads.classes[i] not in ROAD_ENTRY_CLASSES:
            continue
        for p in (c[0], c[-1]):
            if min(p[0] - xmin, xmax - p[0], p[1] - ymin, ymax - p[1]) <= ROAD_ENTRY_M:
                entry_points.append(p)
    return _RoadGraph(segs, ends.reshape(-1, 2), node_xy, segments, entry_points)


def _road_network(ctx: _Context, rg: _RoadGraph, b: _BuildingSet) -> Network:
    """Roads as a network: every segment a bidirectional link (its feature id), the
    junctions as nodes (``RJ-00001`` ...), the sources where the A3, BAKAD and arterials
    enter the scene; each building is served by its nearest segment that is not a
    highway, so closing a segment shows which buildings lose access."""
    net = Network(kind="roads")
    n_nodes = len(rg.node_xy)
    degree = np.bincount(rg.ends.ravel(), minlength=n_nodes)
    entry = np.zeros(n_nodes, bool)
    if rg.entry_points:
        nodes = shapely.STRtree(shapely.points(rg.node_xy))
        _, idx = nodes.query_nearest(
            shapely.points(np.array(rg.entry_points)), max_distance=ROAD_SNAP_M
        )
        entry[idx] = True
    node_ids = [f"RJ-{i + 1:05d}" for i in range(n_nodes)]
    for i, (nid, (x, y)) in enumerate(zip(node_ids, _r2(rg.node_xy).tolist(), strict=True)):
        typ = "entry" if entry[i] else "dead end" if degree[i] == 1 else "junction"
        net.add_node(nid, type=typ, x=x, y=y, source=bool(entry[i]))
    seg_lines = _road_lines(rg.segs)
    lengths = np.round(shapely.length(seg_lines), 1).tolist()
    for k, (sid, (end0, end1)) in enumerate(zip(rg.segs.ids, rg.ends.tolist(), strict=True)):
        net.add_link(
            sid,
            node_ids[end0],
            node_ids[end1],
            bidirectional=True,
            type=rg.segs.classes[k],
            length_m=lengths[k],
        )
    access = np.flatnonzero([c not in ROAD_NO_ACCESS for c in rg.segs.classes])
    tree = shapely.STRtree(seg_lines[access])
    # Nearest to the footprint's centroid: as good as to the footprint for access and
    # ~3x faster (point-to-line distances).
    cent = shapely.centroid(np.array(b.geoms, dtype=object))
    bi, ti = tree.query_nearest(cent, all_matches=False)
    serves: dict[str, list[str]] = {}
    for bidx, t in sorted(zip(bi.tolist(), ti.tolist(), strict=True)):
        serves.setdefault(rg.segs.ids[int(access[t])], []).append(b.ids[bidx])
    net.serves = {sid: serves[sid] for sid in rg.segs.ids if sid in serves}
    return net


# ---------------------------------------------------------------------------------------
# Views and landmarks
# ---------------------------------------------------------------------------------------


def _fit_distance(
    points: np.ndarray,
    target: tuple[float, float, float],
    azimuth: float,
    elevation: float,
    view_angle: float = 30.0,
    aspect: float = 16 / 9,
    margin: float = 0.92,
) -> float:
    """Smallest orbit distance at which every point is inside a 16:9 frustum."""

    def fits(dist: float) -> bool:
        v = CameraView.orbit(
            "_", target, dist, azimuth=azimuth, elevation=elevation, view_angle=view_angle
        )
        pos, foc = np.array(v.position), np.array(v.focal_point)
        fwd = (foc - pos) / np.linalg.norm(foc - pos)
        up0 = np.array(v.view_up, float)
        right = np.cross(fwd, up0)
        right /= np.linalg.norm(right)
        up = np.cross(right, fwd)
        rel = points - pos
        depth = rel @ fwd
        if (depth <= 1.0).any():
            return False
        tv = math.tan(math.radians(view_angle) / 2) * margin
        th = tv * aspect
        return bool(
            ((np.abs(rel @ right) / depth) <= th).all() and ((np.abs(rel @ up) / depth) <= tv).all()
        )

    lo, hi = 100.0, 1_000_000.0
    for _ in range(50):
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if fits(mid) else (mid, hi)
    return round(hi, 0)


def _views(ctx: _Context, buildings: BuildingLayer) -> dict[str, CameraView]:
    xmin, xmax, ymin, ymax = ctx.grid.bounds
    zmin, zmax = ctx.grid.z_range

    def box(x0: float, x1: float, y0: float, y1: float, z0: float, z1: float) -> np.ndarray:
        return np.array([[x, y, z] for x in (x0, x1) for y in (y0, y1) for z in (z0, z1)])

    def view(
        name: str,
        title: str,
        bounds: tuple[float, float, float, float],
        az: float,
        el: float,
        ztop: float,
    ) -> CameraView:
        x0, x1, y0, y1 = bounds
        tx, ty = (x0 + x1) / 2, (y0 + y1) / 2
        tz = float(np.round(ctx.grid.elevation_at(tx, ty), 2))
        target = (round(tx, 2), round(ty, 2), tz)
        zlo = float(ctx.grid.elevation_at(np.array([x0, x1]), np.array([y0, y1])).min())
        dist = _fit_distance(box(x0, x1, y0, y1, zlo, zlo + ztop), target, az, el)
        return CameraView.orbit(name, target, dist, azimuth=az, elevation=el, title=title)

    # The overview frames the city (districts and microdistricts plus a margin), not the
    # whole 66 km terrain tile, seen from the south so north is up the screen.
    city = [ctx.district_polys[d.key].bounds for d in DISTRICTS]
    micro_b = _micro_bounds(ctx)
    cx0 = min(b[0] for b in city) - 2500.0
    cy0 = min(b[1] for b in city) - 2500.0
    cx1 = max(b[2] for b in city) + 2500.0
    cy1 = max(b[3] for b in city) + 2500.0
    if micro_b is not None:
        cx0, cx1 = min(cx0, micro_b[0]), max(cx1, micro_b[1])
        cy0, cy1 = min(cy0, micro_b[2]), max(cy1, micro_b[3])
    views = {
        "overview": view(
            "overview",
            "Alatau City overview",
            (max(cx0, xmin), min(cx1, xmax), max(cy0, ymin), min(cy1, ymax)),
            0.0,
            38.0,
            0.0,
        ),
        "top": view("top", "Top view (north up)", (xmin, xmax, ymin, ymax), 0.0, 90.0, 0.0),
    }
    titles = {"GATE": "gate", "GOLD": "golden", "GROW": "growing", "GREEN": "green"}
    # District views frame the district's buildings (the built-up core), not its whole
    # planned area, so the towers read at 16:9.
    district_col = buildings.table["district"].astype(str)
    for d in DISTRICTS:
        rows = np.nonzero(district_col == d.name)[0]
        if len(rows):
            x0, y0, x1, y1 = shapely.total_bounds(buildings.footprints[rows])
            x0, y0, x1, y1 = x0 - 300.0, y0 - 300.0, x1 + 300.0, y1 + 300.0
        else:
            x0, y0, x1, y1 = ctx.district_polys[d.key].bounds
        views[titles[d.key]] = view(
            titles[d.key], f"{d.name} district", (x0, x1, y0, y1), 20.0, 35.0, 120.0
        )
    micro = [p for p in (_micro_bounds(ctx),) if p is not None]
    if micro:
        x0, x1, y0, y1 = micro[0]
        views["microdistricts"] = view(
            "microdistricts", "Microdistricts along the A3", (x0, x1, y0, y1), 22.5, 40.0, 0.0
        )
    del zmin, zmax
    return views


def _micro_bounds(ctx: _Context) -> tuple[float, float, float, float] | None:
    xy = np.array([(m[1], m[2]) for m in MICRODISTRICTS])
    return (
        float(xy[:, 0].min() - 1000),
        float(xy[:, 0].max() + 1000),
        float(xy[:, 1].min() - 1000),
        float(xy[:, 1].max() + 1000),
    )


def _landmarks(frame: SceneFrame) -> dict[str, dict[str, Any]]:
    out = {}
    for name, (lon, lat) in LANDMARKS_LONLAT.items():
        x, y = frame.from_lonlat(lon, lat)
        out[name] = {
            "lon": lon,
            "lat": lat,
            "x": round(float(x), 2),
            "y": round(float(y), 2),
            "basis": "fact",
        }
    return out


# ---------------------------------------------------------------------------------------
# Checksum
# ---------------------------------------------------------------------------------------


class _Hasher:
    """sha256 over tagged, length-prefixed chunks (so adjacent fields cannot alias)."""

    def __init__(self) -> None:
        self._h = hashlib.sha256()

    def put(self, tag: str, data: bytes) -> None:
        t = tag.encode()
        self._h.update(len(t).to_bytes(4, "little") + t + len(data).to_bytes(8, "little"))
        self._h.update(data)

    def text(self, tag: str, s: str) -> None:
        self.put(tag, s.encode("utf-8"))

    def coords(self, tag: str, a: Any) -> None:
        arr = np.asarray(a, float)
        q = np.rint(np.nan_to_num(arr, nan=-9.99e12) * 100.0).astype("<i8")
        self.put(tag, str(arr.shape).encode() + q.tobytes())

    def ints(self, tag: str, a: Any) -> None:
        arr = np.asarray(a).astype("<i8")
        self.put(tag, str(arr.shape).encode() + arr.tobytes())

    def hexdigest(self) -> str:
        return self._h.hexdigest()


def _canon(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _canon(v[k]) for k in sorted(v, key=str)}
    if isinstance(v, list | tuple):
        return [_canon(x) for x in v]
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float):
        return round(v, 3)
    if isinstance(v, np.ndarray):
        return _canon(v.tolist())
    return v if isinstance(v, int | str | bool) or v is None else str(v)


def _jdump(v: Any) -> str:
    return json.dumps(_canon(v), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _hash_mesh(h: _Hasher, tag: str, mesh: TriangleMesh) -> None:
    h.coords(f"{tag}.points", mesh.points)
    h.ints(f"{tag}.triangles", mesh.triangles)
    for k in sorted(mesh.cell_data):
        h.coords(f"{tag}.cell.{k}", np.asarray(mesh.cell_data[k], float))
    for k in sorted(mesh.point_data):
        h.coords(f"{tag}.point.{k}", np.asarray(mesh.point_data[k], float))


def scene_checksum(scene: Scene) -> str:
    """sha256 hex of a canonical serialisation of the whole scene.

    Covers frame, info, every layer (name, kind, columns as strings in order, geometry
    rounded to 0.01 m as int64, colours), networks (sorted nodes and links with
    attributes, serves, sources), the schedule (dates and reports) and the views.
    Independent of dict/set ordering and of ``PYTHONHASHSEED``.
    """
    h = _Hasher()
    f = scene.frame
    h.text("frame", f"{f.epsg}|{f.origin_e!r}|{f.origin_n!r}")
    info = scene.info
    h.text("info", _jdump([info.title, info.description, info.basis_note, info.sources]))
    for layer in scene.layers:
        tag = f"layer:{layer.name}"
        h.text(tag, f"{layer.name}|{layer.kind}|{layer.n_features}|{layer.visible}")
        for col in layer.table.columns:
            vals = layer.table[col]
            h.text(f"{tag}.col.{col}", "\x1f".join(str(x) for x in vals.tolist()))
        h.ints(f"{tag}.colors", layer.colors)
        _hash_layer_geometry(h, tag, layer)
    for name in sorted(scene.networks):
        net = scene.networks[name]
        g = net.graph
        nodes = sorted((str(n), _jdump(dict(d))) for n, d in g.nodes(data=True))
        edges = sorted(
            (str(d["id"]), str(a), str(b), _jdump(dict(d))) for a, b, d in g.edges(data=True)
        )
        h.text(
            f"net:{name}",
            _jdump(
                {
                    "kind": net.kind,
                    "nodes": nodes,
                    "edges": edges,
                    "sources": sorted(net.sources),
                    "serves": {k: sorted(v) for k, v in net.serves.items()},
                }
            ),
        )
    s = scene.schedule
    if s is not None:
        h.text("schedule.ids", "\x1f".join(str(x) for x in s.feature_ids.tolist()))
        h.ints("schedule.start", s.planned_start.astype("int64"))
        h.ints("schedule.finish", s.planned_finish.astype("int64"))
        for fid in sorted(s.reports):
            dates, pct = s.reports[fid]
            h.ints(f"report:{fid}.dates", np.asarray(dates, "datetime64[D]").astype("int64"))
            h.coords(f"report:{fid}.pct", pct)
    for name in sorted(scene.views):
        h.text(f"view:{name}", _jdump(scene.views[name].to_dict()))
    h.text("metadata", _jdump(scene.metadata))
    return h.hexdigest()


def _hash_layer_geometry(h: _Hasher, tag: str, layer: Layer) -> None:
    if isinstance(layer, TerrainLayer):
        g = layer.grid
        h.coords(f"{tag}.grid", [g.x0, g.y0, g.dx, g.dy, layer.exaggeration])
        h.coords(f"{tag}.z", g.z.astype(float))
    elif isinstance(layer, BuildingLayer):
        _hash_mesh(h, tag, layer.mesh)
        h.coords(f"{tag}.base", layer.base)
        if layer.footprints is not None:
            h.coords(f"{tag}.footprints", shapely.get_coordinates(layer.footprints))
    elif isinstance(layer, AreaLayer):
        _hash_mesh(h, tag, layer.mesh)
        for k, o in enumerate(layer.outlines):
            h.coords(f"{tag}.outline{k}", o)
        h.coords(f"{tag}.opacity", [layer.opacity])
    elif isinstance(layer, LineLayer):
        h.coords(f"{tag}.points", layer.points)
        h.ints(f"{tag}.offsets", layer.offsets)
        h.coords(f"{tag}.width", layer.width)
        h.text(f"{tag}.style", layer.style)
    elif isinstance(layer, PointLayer):
        h.coords(f"{tag}.points", layer.points)
        h.coords(f"{tag}.size", layer.size)
