"""Layers of a scene: the data a user toggles, styles and picks (core: no Qt, no VTK).

Every layer has a name, a kind, an attribute table (one row per feature), per-feature
colours, a visibility flag and a :class:`LayerReport` saying what loading inferred,
defaulted or repaired. Changes are announced through psygnal signals; render adapters
and Qt widgets listen and update *only* what changed (colours in place, never rebuilt
geometry for an overlay).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from psygnal import Signal

from alatau_twin.core.attributes import AttributeTable
from alatau_twin.core.mesh import TriangleMesh, column_range
from alatau_twin.core.terrain import HeightGrid

Bounds = tuple[float, float, float, float, float, float]


@dataclass
class LayerReport:
    """What loading a layer did to its data, for `info`, `validate` and the message panel.

    ``counts`` holds named tallies such as ``measured``, ``inferred``, ``defaulted``,
    ``repaired`` and ``skipped``; ``warnings`` are sentences a user can act on.
    """

    source: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def add(self, key: str, n: int = 1) -> None:
        if n:
            self.counts[key] = self.counts.get(key, 0) + int(n)

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "counts": dict(self.counts), "warnings": list(self.warnings)}


class Layer:
    """Base of all layers. Subclasses set ``kind`` and hold their geometry."""

    kind: ClassVar[str] = "layer"

    # Emitted with no arguments when visibility flips.
    visibility_changed = Signal(bool)
    # Emitted with the changed rows (int array) or None for "all rows".
    colors_changed = Signal(object)
    # Emitted when point positions changed in place (e.g. buildings growing).
    geometry_changed = Signal()
    # Emitted with the new mask (bool array, True = shown) or None (all shown).
    filter_changed = Signal(object)

    def __init__(
        self,
        name: str,
        table: AttributeTable | None = None,
        *,
        visible: bool = True,
        report: LayerReport | None = None,
        group: str = "",
    ) -> None:
        self.name = name
        self.table = table if table is not None else AttributeTable()
        self._visible = visible
        self.report = report or LayerReport()
        self.group = group
        self.colors = np.full((len(self.table), 3), 200, dtype=np.uint8)
        self.filter_mask: np.ndarray | None = None
        self.filter_text = ""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} n={self.n_features}>"

    @property
    def n_features(self) -> int:
        return len(self.table)

    @property
    def visible(self) -> bool:
        return self._visible

    @visible.setter
    def visible(self, value: bool) -> None:
        value = bool(value)
        if value != self._visible:
            self._visible = value
            self.visibility_changed.emit(value)

    def set_colors(self, colors: np.ndarray, rows: np.ndarray | None = None) -> None:
        """Assign RGB colours for all features, or for ``rows`` only, and announce it."""
        if rows is None:
            self.colors = np.asarray(colors, dtype=np.uint8).reshape(self.n_features, 3).copy()
        else:
            self.colors[rows] = colors
        self.colors_changed.emit(rows)

    def set_filter(self, mask: np.ndarray | None, text: str = "") -> None:
        """Show only features where ``mask`` is True (None shows all).

        ``text`` is the expression the mask came from, kept so saved views can restore
        the filter as the user wrote it.
        """
        if mask is not None:
            mask = np.asarray(mask, dtype=bool)
            if mask.shape != (self.n_features,):
                raise ValueError(
                    f"{self.name}: filter mask has {mask.shape[0]} values for "
                    f"{self.n_features} features"
                )
        self.filter_mask = mask
        self.filter_text = text if mask is not None else ""
        self.filter_changed.emit(mask)

    def shown_count(self) -> int:
        """Features that pass the filter."""
        return self.n_features if self.filter_mask is None else int(self.filter_mask.sum())

    def feature_bounds(self, rows: np.ndarray) -> Bounds | None:
        """Bounding box of some features (for fly-to); None when they have no geometry."""
        return None

    def bounds(self) -> Bounds:
        raise NotImplementedError

    def summary(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "features": self.n_features}


class TerrainLayer(Layer):
    """A height grid drawn as a surface; other layers take their base elevation from it."""

    kind = "terrain"

    def __init__(self, name: str, grid: HeightGrid, *, exaggeration: float = 1.0, **kw: Any):
        super().__init__(name, AttributeTable(), **kw)
        self.grid = grid
        self.exaggeration = exaggeration

    @property
    def datum(self) -> float:
        """Reference level that vertical exaggeration scales from (the lowest ground)."""
        return float(np.nanmin(self.grid.z))

    def display_z(self, z: np.ndarray) -> np.ndarray:
        """Drawn elevation for true elevation ``z`` under the layer's exaggeration."""
        d = self.datum
        return d + self.exaggeration * (np.asarray(z, float) - d)

    def display_elevation_at(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Drawn ground level at local (x, y): where other layers put their base."""
        return self.display_z(self.grid.elevation_at(x, y))

    def bounds(self) -> Bounds:
        xmin, xmax, ymin, ymax = self.grid.bounds
        z = self.display_z(self.grid.z)
        return (xmin, xmax, ymin, ymax, float(np.nanmin(z)), float(np.nanmax(z)))

    def summary(self) -> dict[str, Any]:
        s = super().summary()
        s.update(grid=f"{self.grid.nx}x{self.grid.ny}", spacing_m=self.grid.dx)
        return s


class MeshLayer(Layer):
    """Features drawn as one merged triangle mesh with a ``feature_index`` cell array."""

    kind = "mesh"

    def __init__(self, name: str, mesh: TriangleMesh, table: AttributeTable, **kw: Any) -> None:
        super().__init__(name, table, **kw)
        self.mesh = mesh

    def bounds(self) -> Bounds:
        return self.mesh.bounds()

    def summary(self) -> dict[str, Any]:
        s = super().summary()
        s["triangles"] = self.mesh.n_triangles
        return s

    def feature_bounds(self, rows: np.ndarray) -> Bounds | None:
        pf = self.mesh.point_data.get("feature_index")
        if pf is None:
            cells = np.isin(self.mesh.cell_data["feature_index"], rows)
            pts = self.mesh.points[np.unique(self.mesh.triangles[cells])]
        else:
            pts = self.mesh.points[np.isin(pf, rows)]
        return _points_bounds(pts) if len(pts) else None


class BuildingLayer(MeshLayer):
    """Extruded building footprints; ``table`` has at least ``id`` and ``height``.

    The mesh is built once. Growth over time (construction progress) moves roof
    vertices in place through :meth:`set_progress`, so the renderer only marks the
    points modified.

    ``footprints`` (shapely polygons in scene coordinates, one per feature) may be given
    as a function that makes them: a reader extrudes straight from the file's
    coordinates, and the 100k translated geometries (0.1-0.25 s) are then made only if
    something asks for them (draping, export, measuring), not on the way to a picture.
    """

    kind = "buildings"

    def __init__(
        self,
        name: str,
        mesh: TriangleMesh,
        table: AttributeTable,
        *,
        footprints: np.ndarray | Callable[[], np.ndarray] | None = None,
        base: np.ndarray | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(name, mesh, table, **kw)
        self._footprints: np.ndarray | None = None
        self._make_footprints: Callable[[], np.ndarray] | None = None
        if callable(footprints):
            self._make_footprints = footprints
        else:
            self._footprints = footprints
        n = len(table)
        self.base = np.zeros(n) if base is None else np.asarray(base, float)
        self.progress = np.ones(n)
        # Full-height z of every point, so progress can be applied and undone exactly.
        self._full_z = mesh.points[:, 2].copy()

    @property
    def footprints(self) -> np.ndarray | None:
        """Footprints in scene coordinates, made on first use if given as a function."""
        if self._make_footprints is not None:
            self._footprints = self._make_footprints()
            self._make_footprints = None
        return self._footprints

    @footprints.setter
    def footprints(self, value: np.ndarray | None) -> None:
        self._footprints = value
        self._make_footprints = None

    def set_progress(self, fraction: np.ndarray) -> None:
        """Draw each building at ``fraction`` (0..1) of its height, tops cut flat.

        Only roof-level points of buildings whose fraction changed are written: a day's
        step of the time cursor moves a few hundred buildings, and even a jump across
        the whole programme costs ~15 ms for 100k buildings (rewriting every z took 55).
        """
        frac = np.clip(np.asarray(fraction, float), 0.0, 1.0)
        index = self._top_index()
        if index is None:
            self.progress = frac
            return
        top_idx, top_feat, top_lo, top_range, offsets, flat = index
        changed = np.flatnonzero(frac != self.progress)
        self.progress = frac
        if len(changed) == 0:
            return
        sel: np.ndarray | slice
        partial = len(changed) < 0.25 * self.n_features
        if partial:
            # Top points of the changed buildings: their runs in the feature-sorted index.
            counts = offsets[changed + 1] - offsets[changed]
            sel = np.repeat(offsets[changed] - np.cumsum(counts) + counts, counts)
            sel += np.arange(len(sel))
        else:
            sel = slice(None)
        # Keep a sliver (0.3 m) for sites not yet started so footprints stay visible.
        if flat is not None:
            # Flat roofs: one height per building, repeated over its run of points.
            lo_f, range_f, n_top = flat
            rows = changed if partial else slice(None)
            zf = lo_f[rows] + np.maximum(frac[rows] * range_f[rows], 0.3)
            z = np.repeat(zf, n_top[rows])
        else:
            z = top_lo[sel] + np.maximum(frac[top_feat[sel]] * top_range[sel], 0.3)
        self.mesh.points[top_idx[sel], 2] = z
        self.geometry_changed.emit()

    def _top_index(self) -> tuple[np.ndarray, ...] | None:
        """Roof-level points, their feature, base and full height, grouped by feature.

        Cached per mesh: a loader that drapes the layer replaces mesh, base and
        ``_full_z``, which makes a fresh index.
        """
        key = (id(self.mesh), id(self._full_z), id(self.base))
        cached = getattr(self, "_top_cache", None)
        if cached is not None and cached[0] == key:
            return cached[1]
        pf = self.mesh.point_data.get("feature_index")
        top = self.mesh.point_data.get("is_top")
        if pf is None or top is None:
            return None
        top_idx = np.flatnonzero(top)
        # Sorted by feature, so a building's roof points are one contiguous run.
        top_idx = top_idx[np.argsort(pf[top_idx], kind="stable")]
        top_feat = np.asarray(pf[top_idx], dtype=np.int64)
        lo = (self.base + self.table_min_height())[top_feat]
        full = self._full_z[top_idx]
        offsets = np.searchsorted(top_feat, np.arange(self.n_features + 1))
        # The drawn heights match the full mesh now: progress is "all built".
        self.mesh.points[top_idx, 2] = full
        self.progress = np.ones(self.n_features)
        rng = full - lo
        n_top = np.diff(offsets)
        first = np.minimum(offsets[:-1], max(len(top_idx) - 1, 0))
        lo_f = np.where(n_top > 0, lo[first] if len(lo) else 0.0, 0.0)
        range_f = np.where(n_top > 0, rng[first] if len(rng) else 0.0, 0.0)
        # Extruded prisms have flat roofs: then the roof height is one number a building.
        is_flat = np.array_equal(np.repeat(range_f, n_top), rng) and np.array_equal(
            np.repeat(lo_f, n_top), lo
        )
        flat = (lo_f, range_f, n_top) if is_flat else None
        index = (top_idx, top_feat, lo, rng, offsets, flat)
        self._top_cache = (key, index)
        return index

    def table_min_height(self) -> np.ndarray:
        mh = self.table.get("min_height")
        return np.zeros(self.n_features) if mh is None else np.asarray(mh, float)


class LineLayer(Layer):
    """Line features (roads, rail, pipes, cables), drawn as lines or ribbons.

    ``points`` concatenates all vertices; ``offsets[i]:offsets[i+1]`` is feature i.
    ``width`` is the drawn width in metres (per feature), used for road ribbons.
    """

    kind = "lines"

    def __init__(
        self,
        name: str,
        lines: list[np.ndarray],
        table: AttributeTable,
        *,
        width: np.ndarray | float = 1.0,
        style: str = "line",
        **kw: Any,
    ) -> None:
        super().__init__(name, table, **kw)
        if len(lines) != len(table):
            raise ValueError(f"{name}: {len(lines)} lines but {len(table)} attribute rows")
        self.points = (
            np.concatenate([np.asarray(p, float).reshape(-1, 3) for p in lines])
            if lines
            else np.zeros((0, 3))
        )
        self.offsets = np.concatenate([[0], np.cumsum([len(p) for p in lines])]).astype(np.int64)
        self.width = np.broadcast_to(np.asarray(width, float), (len(lines),)).copy()
        self.style = style

    def line(self, i: int) -> np.ndarray:
        return self.points[self.offsets[i] : self.offsets[i + 1]]

    def feature_bounds(self, rows: np.ndarray) -> Bounds | None:
        rows = np.atleast_1d(rows)
        if len(rows) == 0:
            return None
        return _points_bounds(np.concatenate([self.line(int(i)) for i in rows]))

    def bounds(self) -> Bounds:
        return _points_bounds(self.points)


class PointLayer(Layer):
    """Point features (stations, pumps, sensors), drawn as glyphs of ``size`` metres."""

    kind = "points"

    def __init__(
        self,
        name: str,
        points: np.ndarray,
        table: AttributeTable,
        *,
        size: np.ndarray | float = 20.0,
        **kw: Any,
    ) -> None:
        super().__init__(name, table, **kw)
        self.points = np.asarray(points, float).reshape(-1, 3)
        self.size = np.broadcast_to(np.asarray(size, float), (len(self.points),)).copy()

    def bounds(self) -> Bounds:
        return _points_bounds(self.points)

    def feature_bounds(self, rows: np.ndarray) -> Bounds | None:
        rows = np.atleast_1d(rows)
        return _points_bounds(self.points[rows]) if len(rows) else None


class AreaLayer(Layer):
    """Polygons (districts, water, parcels) as a triangulated surface plus outlines.

    ``mesh`` carries ``feature_index`` per triangle; ``outlines`` are closed rings.
    ``opacity`` lets zones tint the terrain without hiding it.
    """

    kind = "areas"

    def __init__(
        self,
        name: str,
        mesh: TriangleMesh,
        outlines: list[np.ndarray],
        table: AttributeTable,
        *,
        opacity: float = 1.0,
        **kw: Any,
    ) -> None:
        super().__init__(name, table, **kw)
        self.mesh = mesh
        self.outlines = outlines
        self.opacity = opacity

    def bounds(self) -> Bounds:
        return self.mesh.bounds()


def _points_bounds(p: np.ndarray) -> Bounds:
    if len(p) == 0:
        return (0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    lo, hi = column_range(p)
    return (float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1]), float(lo[2]), float(hi[2]))


def union_bounds(bounds: list[Bounds]) -> Bounds:
    """Smallest box holding all given boxes (VTK order)."""
    if not bounds:
        return (0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    b = np.array(bounds)
    return (
        float(b[:, 0].min()),
        float(b[:, 1].max()),
        float(b[:, 2].min()),
        float(b[:, 3].max()),
        float(b[:, 4].min()),
        float(b[:, 5].max()),
    )
