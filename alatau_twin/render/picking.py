"""Picking: which feature is under the cursor (render: VTK, no Qt).

A ray from the camera through the cursor is intersected with a cell locator built once
per mesh layer (buildings, areas, terrain): a pick costs hundredths of a millisecond
where a plain ``vtkCellPicker`` on ~200k triangles took ~170 ms. Line and point layers
(networks, roads) are picked in screen space within a few pixels, because a 2-pixel line
is too thin to hit with a ray. Features hidden by a filter or a hidden layer are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

# Only the classes we use: `import vtk` loads every VTK module (~2.5 s at start-up).
from vtkmodules.vtkCommonCore import vtkIdList, vtkPoints
from vtkmodules.vtkCommonDataModel import vtkStaticCellLocator

from alatau_twin.core.layers import LineLayer, PointLayer, TerrainLayer
from alatau_twin.render.adapters import (
    VtkAreaLayer,
    VtkLayer,
    VtkLineLayer,
    VtkMeshLayer,
    VtkPointLayer,
    VtkTerrainLayer,
)


@dataclass(frozen=True)
class Pick:
    """A hit: the layer, the feature's row (-1 for terrain) and the world point."""

    layer: str
    row: int
    position: tuple[float, float, float]
    distance: float

    @property
    def is_feature(self) -> bool:
        return self.row >= 0


class Picker:
    """Picks features of a ``SceneView``'s layers at display coordinates."""

    def __init__(self, scene_view: Any, pixel_tolerance: float = 6.0) -> None:
        self.view = scene_view
        self.pixel_tolerance = pixel_tolerance
        self._locators: dict[str, Any] = {}
        self._stale: set[str] = set()
        self._connected: dict[str, Any] = {}
        self._display_cache: dict[str, tuple[Any, np.ndarray]] = {}
        self._segment_cache: dict[str, tuple[np.ndarray, _Segments]] = {}

    # -- locators ------------------------------------------------------------------
    def _locator(self, adapter: VtkLayer) -> Any:
        name = adapter.layer.name
        if name not in self._connected:
            # Growth moves points: rebuild that layer's locator lazily on the next pick.
            def mark(_name: str = name) -> None:
                self._stale.add(_name)

            adapter.layer.geometry_changed.connect(mark)
            self._connected[name] = mark
        loc = self._locators.get(name)
        if loc is None or name in self._stale:
            dataset = adapter.mesh
            if isinstance(adapter, VtkTerrainLayer):
                dataset = adapter.mesh.extract_surface(algorithm="dataset_surface").triangulate()
                adapter._pick_surface = dataset
            loc = vtkStaticCellLocator()
            loc.SetDataSet(dataset)
            loc.BuildLocator()
            self._locators[name] = loc
            self._stale.discard(name)
        return loc

    def build_all(self) -> None:
        """Build every locator now (e.g. after loading), so the first click is instant."""
        for adapter in self.view.adapters.values():
            if isinstance(adapter, VtkMeshLayer | VtkTerrainLayer):
                self._locator(adapter)

    # -- rays ----------------------------------------------------------------------
    def ray(self, x: float, y: float) -> tuple[np.ndarray, np.ndarray]:
        """World points on the near and far clipping planes under display (x, y)."""
        ren = self.view.plotter.renderer
        ends = []
        for z in (0.0, 1.0):
            ren.SetDisplayPoint(x, y, z)
            ren.DisplayToWorld()
            w = ren.GetWorldPoint()
            ends.append(np.array(w[:3]) / (w[3] if w[3] else 1.0))
        return ends[0], ends[1]

    def pick(
        self, x: float, y: float, *, terrain: bool = True, networks: bool = True
    ) -> Pick | None:
        """The nearest visible feature (or terrain point) under display (x, y).

        ``networks=False`` skips the screen-space test of line and point layers.
        """
        near, far = self.ray(x, y)
        solid: Pick | None = None  # buildings and other meshes standing up
        ground: Pick | None = None  # terrain and areas draped on it
        for adapter in self.view.adapters.values():
            layer = adapter.layer
            if not layer.visible:
                continue
            hit: Pick | None = None
            if isinstance(adapter, VtkTerrainLayer):
                if terrain:
                    t = self._ray_hits(adapter, near, far)
                    hit = None if t is None else Pick(layer.name, -1, t[0], t[1])
            elif isinstance(adapter, VtkMeshLayer):
                hit = self._ray_feature(adapter, near, far)
            if hit is None:
                continue
            is_ground = isinstance(adapter, VtkTerrainLayer | VtkAreaLayer)
            current = ground if is_ground else solid
            if (
                current is None
                or hit.distance < current.distance
                or (
                    # An area draped on the terrain wins over the terrain under it.
                    is_ground and hit.row >= 0 and hit.distance < current.distance + 5.0
                )
            ):
                if is_ground:
                    ground = hit
                else:
                    solid = hit
        screen = self._screen_pick(x, y, near) if networks else None
        # Priority: a building in front, then networks (points/lines), then the ground.
        if solid is not None and (screen is None or solid.distance < screen.distance - 1.0):
            return solid
        if screen is not None:
            return screen
        return ground

    def _ray_hits(self, adapter: VtkLayer, near: np.ndarray, far: np.ndarray) -> Any:
        loc = self._locator(adapter)
        pts, ids = vtkPoints(), vtkIdList()
        loc.IntersectWithLine(tuple(near), tuple(far), 1e-9, pts, ids, None)
        if ids.GetNumberOfIds() == 0:
            return None
        hits = np.array([pts.GetPoint(i) for i in range(pts.GetNumberOfPoints())])
        d = np.linalg.norm(hits - near, axis=1)
        i = int(np.argmin(d))
        return tuple(float(v) for v in hits[i]), float(d[i])

    def _ray_feature(self, adapter: VtkMeshLayer, near: np.ndarray, far: np.ndarray) -> Any:
        loc = self._locator(adapter)
        pts, ids = vtkPoints(), vtkIdList()
        loc.IntersectWithLine(tuple(near), tuple(far), 1e-9, pts, ids, None)
        n = ids.GetNumberOfIds()
        if n == 0:
            return None
        cells = np.array([ids.GetId(i) for i in range(n)])
        hits = np.array([pts.GetPoint(i) for i in range(pts.GetNumberOfPoints())])
        d = np.linalg.norm(hits - near, axis=1)
        rows = adapter._feature[cells]
        mask = adapter.layer.filter_mask
        order = np.argsort(d, kind="stable")
        for k in order:
            r = int(rows[k])
            if mask is None or mask[r]:
                return Pick(adapter.layer.name, r, tuple(float(v) for v in hits[k]), float(d[k]))
        return None

    def _screen_pick(self, x: float, y: float, near: np.ndarray) -> Pick | None:
        """Nearest point within the pixel tolerance, else the nearest line.

        Points (stations, pumps) win over lines passing through them: they are the
        more specific thing a user aims at.
        """
        return self._screen_pick_of(x, y, near, (VtkPointLayer,)) or self._screen_pick_of(
            x, y, near, (VtkLineLayer,)
        )

    def _screen_pick_of(
        self, x: float, y: float, near: np.ndarray, kinds: tuple[type, ...]
    ) -> Pick | None:
        best: Pick | None = None
        best_px = self.pixel_tolerance
        for adapter in self.view.adapters.values():
            layer = adapter.layer
            if not layer.visible or not isinstance(adapter, kinds):
                continue
            if isinstance(layer, TerrainLayer):
                continue
            pts = np.asarray(layer.points)
            if len(pts) == 0:
                continue
            disp = self._display_of(layer.name, pts)
            if isinstance(layer, PointLayer):
                px = np.hypot(disp[:, 0] - x, disp[:, 1] - y)
                px = np.where((disp[:, 2] > 0) & (disp[:, 2] < 1), px, np.inf)
                rows = np.arange(len(pts))
                world = pts
            else:
                assert isinstance(layer, LineLayer)
                seg = self._segments_of(layer, disp)
                px, rows, world = _segment_distances(seg, pts, x, y, best_px)
            if layer.filter_mask is not None:
                px = np.where(layer.filter_mask[rows], px, np.inf)
            if len(px) == 0:
                continue
            i = int(np.argmin(px))
            if px[i] <= best_px:
                best_px = float(px[i])
                pos = tuple(float(v) for v in world[i])
                best = Pick(layer.name, int(rows[i]), pos, float(np.linalg.norm(world[i] - near)))
        return best

    def _segments_of(self, layer: LineLayer, disp: np.ndarray) -> _Segments:
        cached = self._segment_cache.get(layer.name)
        if cached is not None and cached[0] is disp:
            return cached[1]
        seg = _segments(layer, disp)
        self._segment_cache[layer.name] = (disp, seg)
        return seg

    def _display_of(self, name: str, pts: np.ndarray) -> np.ndarray:
        """Display coordinates of a layer's vertices, cached until the camera moves, so
        hovering over a still view costs a distance test and no projection."""
        ren = self.view.plotter.renderer
        key = (ren.GetActiveCamera().GetMTime(), tuple(ren.GetSize()), len(pts))
        cached = self._display_cache.get(name)
        if cached is not None and cached[0] == key:
            return cached[1]
        disp = self.to_display(pts)
        self._display_cache[name] = (key, disp)
        return disp

    def to_display(self, world: np.ndarray) -> np.ndarray:
        """World points (n, 3) to display (x, y, depth in 0..1) in one matrix product."""
        ren = self.view.plotter.renderer
        cam = ren.GetActiveCamera()
        w, h = ren.GetSize()
        aspect = w / max(h, 1)
        m = cam.GetCompositeProjectionTransformMatrix(aspect, -1, 1)
        mat = np.array([[m.GetElement(i, j) for j in range(4)] for i in range(4)])
        hom = np.c_[world, np.ones(len(world))] @ mat.T
        ndc = hom[:, :3] / hom[:, 3:4]
        vx, vy = ren.GetOrigin()
        return np.c_[
            vx + (ndc[:, 0] + 1) * 0.5 * w,
            vy + (ndc[:, 1] + 1) * 0.5 * h,
            (ndc[:, 2] + 1) * 0.5,
        ]

    def close(self) -> None:
        for name, cb in self._connected.items():
            if name in self.view.scene.layers:
                self.view.scene.layers[name].geometry_changed.disconnect(cb)
        self._connected.clear()
        self._locators.clear()


@dataclass
class _Segments:
    """A line layer's segments in display space for one camera state."""

    starts: np.ndarray  # index of each segment's first vertex
    a: np.ndarray  # (m, 2) display start
    b: np.ndarray  # (m, 2) display end
    lo: np.ndarray  # (m, 2) bbox min
    hi: np.ndarray  # (m, 2) bbox max
    rows: np.ndarray  # feature row per segment


def _segments(layer: LineLayer, disp: np.ndarray) -> _Segments:
    n = len(disp)
    starts = np.arange(n - 1)
    seg_ok = np.ones(n - 1, dtype=bool)
    seg_ok[layer.offsets[1:-1] - 1] = False  # no segment across two features
    depth = disp[:, 2]
    seg_ok &= (depth[:-1] > 0) & (depth[:-1] < 1) & (depth[1:] > 0) & (depth[1:] < 1)
    starts = starts[seg_ok]
    a, b = disp[starts, :2], disp[starts + 1, :2]
    rows = np.searchsorted(layer.offsets, starts, side="right") - 1
    return _Segments(starts, a, b, np.minimum(a, b), np.maximum(a, b), rows)


def _segment_distances(
    seg: _Segments, pts: np.ndarray, x: float, y: float, tol: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pixel distance from (x, y) to the segments whose box is within ``tol``, their
    rows and the nearest world points (a box test first keeps a pick sub-millisecond)."""
    near = (
        (seg.lo[:, 0] <= x + tol)
        & (seg.hi[:, 0] >= x - tol)
        & (seg.lo[:, 1] <= y + tol)
        & (seg.hi[:, 1] >= y - tol)
    )
    idx = np.flatnonzero(near)
    a, b = seg.a[idx], seg.b[idx]
    ab = b - a
    denom = np.einsum("ij,ij->i", ab, ab)
    t = np.clip(
        np.einsum("ij,ij->i", np.array([x, y]) - a, ab) / np.where(denom > 0, denom, 1), 0, 1
    )
    proj = a + t[:, None] * ab
    px = np.hypot(proj[:, 0] - x, proj[:, 1] - y)
    starts = seg.starts[idx]
    world = pts[starts] + t[:, None] * (pts[starts + 1] - pts[starts])
    return px, seg.rows[idx], world
