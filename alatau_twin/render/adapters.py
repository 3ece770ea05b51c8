"""Layer adapters: one VTK actor (or two) per model layer (render: VTK, no Qt).

Each adapter projects a core layer into a plotter (pyvista's in the app, the headless one
for renders: actors are built here and added with ``add_actor``) and follows the layer's
signals: visibility toggles the actor, a colour change rewrites the colour array in
place, a geometry change moves points in place. Nothing here rebuilds a mesh for an
overlay. Whatever an adapter connects in ``__init__``, ``close()`` disconnects, and the
actors it adds, it removes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pyvista as pv  # core data objects only: pyvista.plotting is never imported here
from vtkmodules.util.numpy_support import numpy_to_vtkIdTypeArray
from vtkmodules.vtkCommonDataModel import vtkCellArray, vtkDataSetAttributes

from alatau_twin.core.layers import (
    AreaLayer,
    BuildingLayer,
    Layer,
    LineLayer,
    MeshLayer,
    PointLayer,
    TerrainLayer,
)
from alatau_twin.core.mesh import TriangleMesh
from alatau_twin.core.style import elevation_colors
from alatau_twin.render.theme import RenderTheme
from alatau_twin.render.vtkkit import (
    add_prop,
    mesh_actor,
    rgb255,
    texture_from_image,
)

RenderRequest = Callable[[], None]
# Selection colour: a saturated magenta that no use, status or network colour shares.
HIGHLIGHT = np.array([255, 40, 160], dtype=np.uint8)


def triangle_cells(triangles: np.ndarray) -> vtkCellArray:
    """(m, 3) triangles as a cell array, from VTK's own offsets and connectivity arrays.

    The connectivity shares ``triangles`` when it is contiguous int64 (the arrays keep
    it alive). Building and parsing the legacy ``[3, a, b, c]`` layout instead took
    ~0.17 s for the 1.35 M triangles of a 100k-building city.
    """
    connectivity = np.ascontiguousarray(triangles, dtype=np.int64).reshape(-1)
    offsets = np.arange(0, len(connectivity) + 1, 3, dtype=np.int64)
    cells = vtkCellArray()
    cells.SetData(numpy_to_vtkIdTypeArray(offsets), numpy_to_vtkIdTypeArray(connectivity))
    return cells


def triangle_polydata(points: Any, triangles: np.ndarray) -> pv.PolyData:
    """PolyData of triangles over ``points`` (an (n, 3) float64 array, wrapped without a
    copy, or a vtkPoints to share)."""
    pd = pv.PolyData()
    if isinstance(points, np.ndarray):
        points = pv.vtk_points(np.asarray(points, dtype=np.float64), deep=False)
    pd.SetPoints(points)
    pd.SetPolys(triangle_cells(triangles))
    return pd


def polydata_from_mesh(mesh: TriangleMesh) -> pv.PolyData:
    """A VTK PolyData sharing the mesh's points and topology, with its cell and point
    arrays (the adapters move points in place and rely on the sharing)."""
    pd = triangle_polydata(mesh.points, mesh.triangles)
    for k, v in mesh.cell_data.items():
        pd.cell_data[k] = v
    for k, v in mesh.point_data.items():
        pd.point_data[k] = v.astype(np.uint8) if v.dtype == bool else v
    return pd


def gather_rgb(
    colors: np.ndarray, index: np.ndarray, out: np.ndarray, scratch: np.ndarray | None = None
) -> None:
    """``out[:] = colors[index]`` for (n, 3) uint8 colours, about 4x faster.

    Fancy-indexing 3-byte rows goes through numpy's generic copy loop (~28 ms for the
    1.35 M cells of a 100k-building city); gathering them as 4-byte words and copying
    the three channels back takes ~4-6 ms, which keeps a city-wide live-status recolour
    within its 10 ms budget. ``scratch`` (uint32, ``len(index)``) is reused between
    calls: allocating 5 MB afresh costs page faults every time.
    """
    words = np.zeros((len(colors), 4), np.uint8)
    words[:, :3] = colors
    if scratch is None or len(scratch) != len(index):
        scratch = np.empty(len(index), np.uint32)
    np.take(words.view(np.uint32).ravel(), np.asarray(index, np.intp), out=scratch)
    channels = scratch.view(np.uint8).reshape(len(index), 4)
    for c in range(3):
        out[:, c] = channels[:, c]


def polylines(points: np.ndarray, offsets: np.ndarray) -> pv.PolyData:
    """One polyline cell per feature from concatenated vertices and offsets."""
    counts = np.diff(offsets)
    keep = counts >= 2
    cells = []
    for start, count in zip(offsets[:-1][keep], counts[keep], strict=True):
        cells.append(np.concatenate([[count], np.arange(start, start + count)]))
    lines = np.concatenate(cells).astype(np.int64) if cells else np.zeros(0, np.int64)
    # Passing lines to the constructor: PolyData(points) alone would add a vertex cell
    # per point and shift the per-cell arrays.
    pd = pv.PolyData(np.asarray(points, float), lines=lines)
    pd.cell_data["feature_index"] = np.nonzero(keep)[0].astype(np.int32)
    return pd


class VtkLayer:
    """Base adapter: owns actors, mirrors visibility, asks for renders."""

    def __init__(
        self, plotter: Any, layer: Layer, theme: RenderTheme, request_render: RenderRequest
    ) -> None:
        self.plotter = plotter
        self.layer = layer
        self.theme = theme
        self.request_render = request_render
        self.actors: list[Any] = []
        self.highlight_rows = np.zeros(0, dtype=np.int64)
        self._build()
        self._set_visibility(layer.visible)
        layer.visibility_changed.connect(self._on_visibility)
        layer.colors_changed.connect(self._on_colors)
        layer.geometry_changed.connect(self._on_geometry)
        layer.filter_changed.connect(self._on_filter)
        if layer.filter_mask is not None:
            self._on_filter(layer.filter_mask)

    def _build(self) -> None:
        raise NotImplementedError

    def _set_visibility(self, visible: bool) -> None:
        for actor in self.actors:
            actor.SetVisibility(bool(visible))

    def _on_visibility(self, visible: bool) -> None:
        self._set_visibility(visible)
        self.request_render()

    def _on_colors(self, rows: Any) -> None:
        """Default: layers without per-feature colours ignore colour changes."""

    def _on_geometry(self) -> None:
        """Default: static geometry."""

    # Cells of features rows `_feature` (one entry per VTK cell); set by subclasses that
    # draw per-feature cells, so filters and highlights work the same everywhere.
    _feature: np.ndarray | None = None

    def _on_filter(self, mask: Any) -> None:
        """Hide filtered-out features in place with VTK's ghost array (no rebuild).

        Mappers skip cells flagged HIDDENCELL, so a filter over 100k buildings is one
        array write, and the locator-based picker skips them too (it checks the mask).
        """
        mesh = getattr(self, "mesh", None)
        if mesh is None or self._feature is None:
            return
        name = vtkDataSetAttributes.GhostArrayName()
        if mask is None:
            if name in mesh.cell_data:
                mesh.cell_data.remove(name)
        else:
            hidden = ~np.asarray(mask, bool)[self._feature]
            ghost = np.where(hidden, vtkDataSetAttributes.HIDDENCELL, 0).astype(np.uint8)
            mesh.cell_data[name] = ghost
        mesh.Modified()
        self.request_render()

    def set_highlight(self, rows: np.ndarray) -> None:
        """Draw these features in the highlight colour (selection), others as styled."""
        self.highlight_rows = np.asarray(rows, dtype=np.int64)
        self._on_colors(None)

    def _display_colors(self, per_feature: np.ndarray) -> np.ndarray:
        """Feature colours with the highlighted rows replaced by the highlight colour."""
        if len(self.highlight_rows) == 0:
            return per_feature
        out = per_feature.copy()
        out[self.highlight_rows] = HIGHLIGHT
        return out

    def close(self) -> None:
        self.layer.visibility_changed.disconnect(self._on_visibility)
        self.layer.colors_changed.disconnect(self._on_colors)
        self.layer.geometry_changed.disconnect(self._on_geometry)
        self.layer.filter_changed.disconnect(self._on_filter)
        for actor in self.actors:
            self.plotter.remove_actor(actor, render=False)
        self.actors.clear()


class VtkTerrainLayer(VtkLayer):
    """Terrain as a coarse surface wearing a full-resolution colour texture.

    The colours (hypsometric tint times hillshade) are a texture at the grid's full
    resolution, while the geometry is drawn every ``stride``-th node: on llvmpipe the
    terrain's triangles were the largest share of a frame (370k of them at 100 m, about
    95 ms), and the plain is gentle enough that 200 m facets lose nothing visible.
    """

    layer: TerrainLayer
    stride = 2
    # While the camera moves: every 4th node (a quarter of the triangles). Terrain was
    # the largest part of a moving frame on llvmpipe (25-30 ms of ~75 ms at 768x432 for
    # the sample, its vertex work being single-threaded); the texture carries the
    # detail, and the still frame at the end has the finer facets again.
    lod_stride = 4

    def _build(self) -> None:
        self.image = self._colour_image()  # the skirt (stage.py) continues its edge
        self.texture = texture_from_image(self.image)
        self.mesh = self._surface(self.stride)
        # The baked hillshade is the lighting: VTK's flat shading of the facets would
        # add stripes, and unlit terrain is cheaper on llvmpipe.
        actor = mesh_actor(self.mesh, texture=self.texture, lighting=False)
        add_prop(self.plotter, actor, f"terrain:{self.layer.name}")
        self.actors.append(actor)
        self.lod = False
        self.lod_actor: Any = None

    def _surface(self, stride: int) -> pv.StructuredGrid:
        """The grid drawn every ``stride``-th node, with texture coordinates."""
        g = self.layer.grid
        iy = _strided(g.ny, stride)
        ix = _strided(g.nx, stride)
        xx, yy = np.meshgrid(g.x[ix], g.y[iy])
        zz = self.layer.display_z(g.z[np.ix_(iy, ix)]).astype(float)
        # pyvista flattens the coordinate arrays in Fortran order; passing them transposed
        # (nx, ny) makes x vary fastest, matching a C-order flatten of (ny, nx) arrays.
        mesh = pv.StructuredGrid(xx.T, yy.T, zz.T)
        xmin, xmax, ymin, ymax = g.bounds
        mesh.active_texture_coordinates = np.column_stack(
            [(xx.ravel() - xmin) / (xmax - xmin), (yy.ravel() - ymin) / (ymax - ymin)]
        )
        mesh.point_data["elevation"] = g.z[np.ix_(iy, ix)].reshape(-1).astype(np.float32)
        return mesh

    def set_lod(self, on: bool) -> None:
        """Coarse facets while the camera moves (``on``), the full surface when still.

        The coarse actor is not pickable: picks happen on the still surface."""
        if on and self.lod_actor is None:
            coarse = self._surface(self.lod_stride)
            self.lod_actor = mesh_actor(coarse, texture=self.texture, lighting=False)
            add_prop(self.plotter, self.lod_actor, f"terrain-lod:{self.layer.name}", pickable=False)
        self.lod = bool(on)
        self._set_visibility(self.layer.visible)

    def _set_visibility(self, visible: bool) -> None:
        lod = self.lod and self.lod_actor is not None
        for actor in self.actors:
            actor.SetVisibility(bool(visible) and not lod)
        if self.lod_actor is not None:
            self.lod_actor.SetVisibility(bool(visible) and lod)

    def close(self) -> None:
        if self.lod_actor is not None:
            self.plotter.remove_actor(self.lod_actor, render=False)
            self.lod_actor = None
        super().close()

    def _colour_image(self) -> pv.ImageData:
        """The colour texture as image data whose row 0 is the grid's south edge."""
        g = self.layer.grid
        shade = g.hillshade(azimuth_deg=315.0, altitude_deg=40.0, exaggeration=2.0, smooth=3.0)
        rgb = elevation_colors(g.z) * (0.5 + 0.55 * shade[..., None])
        image = pv.ImageData(dimensions=(g.nx, g.ny, 1))
        image.point_data["rgb"] = (np.clip(rgb, 0, 1) * 255).astype(np.uint8).reshape(-1, 3)
        return image


def _strided(n: int, stride: int) -> np.ndarray:
    """Every ``stride``-th index of ``n``, always including the last (the edge)."""
    idx = np.arange(0, n, stride)
    return idx if idx[-1] == n - 1 else np.append(idx, n - 1)


class VtkMeshLayer(VtkLayer):
    """A merged triangle mesh with a per-cell RGB array gathered from feature colours."""

    layer: MeshLayer

    def _build(self) -> None:
        self.mesh = polydata_from_mesh(self.layer.mesh)
        self._feature = self.layer.mesh.cell_data["feature_index"]
        self.mesh.cell_data["rgb"] = self._cell_colors()
        actor = mesh_actor(
            self.mesh,
            scalars="rgb",
            opacity=float(getattr(self.layer, "opacity", 1.0)),
            ambient=0.3,
            diffuse=0.8,
            specular=0.15 if isinstance(self.layer, BuildingLayer) else 0.0,
            specular_power=20.0,
        )
        if isinstance(self.layer, AreaLayer):
            # Draped areas lie on the terrain: pull them towards the camera in depth.
            actor.GetMapper().SetResolveCoincidentTopologyToPolygonOffset()
            actor.GetMapper().SetRelativeCoincidentTopologyPolygonOffsetParameters(-2, -2)
        add_prop(self.plotter, actor, f"mesh:{self.layer.name}")
        self.actors.append(actor)

    def _cell_colors(self) -> np.ndarray:
        """Per-cell colours: the layer's own per-cell colours (e.g. CityJSON roof, wall
        and ground surfaces) when it has them and is not restyled, else feature colours;
        selected features in the highlight colour either way."""
        cell_colors = getattr(self.layer, "cell_colors", None)
        if cell_colors is not None and getattr(self.layer, "legend", None) is None:
            out = np.asarray(cell_colors, dtype=np.uint8).copy()
            if len(self.highlight_rows):
                out[np.isin(self._feature, self.highlight_rows)] = HIGHLIGHT
            return out
        return self._display_colors(self.layer.colors)[self._feature]

    # Above this share of features changed, one gather of every cell beats the runs.
    FULL_UPDATE_SHARE = 0.2
    _cell_runs: tuple[np.ndarray, np.ndarray] | None = None
    _changed_cells: np.ndarray | None = None  # cells the last colour update wrote
    _feature_intp: np.ndarray | None = None
    _gather_scratch: np.ndarray | None = None

    def cells_of(self, rows: np.ndarray) -> np.ndarray:
        """Cell ids of some features, from a feature -> cells index built on first use.

        ``np.isin`` over all cells cost 20-60 ms per live-status batch on a 100k-building
        city (1.35 M cells); runs from the sorted index cost what the touched cells cost.
        """
        if self._cell_runs is None:
            assert self._feature is not None
            order = np.argsort(self._feature, kind="stable")
            starts = np.searchsorted(self._feature[order], np.arange(self.layer.n_features + 1))
            self._cell_runs = (order, starts)
        order, starts = self._cell_runs
        rows = np.asarray(rows, np.int64)
        lo, hi = starts[rows], starts[rows + 1]
        n = hi - lo
        return order[np.repeat(lo - np.cumsum(n) + n, n) + np.arange(int(n.sum()))]

    def _on_colors(self, rows: Any) -> None:
        arr = self.mesh.cell_data["rgb"]
        raw = arr.view(np.ndarray)  # plain numpy writes: no Modified() per assignment
        own_cells = getattr(self.layer, "cell_colors", None) is not None
        n_rows = self.layer.n_features if rows is None else len(rows)
        if rows is None or own_cells or n_rows > self.FULL_UPDATE_SHARE * self.layer.n_features:
            if own_cells:
                raw[:] = self._cell_colors()
            else:
                if self._feature_intp is None:  # converting 1.35 M indices costs ~1 ms
                    self._feature_intp = np.asarray(self._feature, np.intp)
                    self._gather_scratch = np.empty(len(self._feature_intp), np.uint32)
                gather_rgb(
                    self._display_colors(self.layer.colors),
                    self._feature_intp,
                    raw,
                    self._gather_scratch,
                )
            self._changed_cells = None
        else:
            # Only the touched features' cells: the overlay path for live status colours.
            # Rows as 3-byte void items: numpy copies those ~2-3x faster than (k, 3) rows.
            cells = self.cells_of(np.asarray(rows, np.int64))
            feature = self._feature[cells]  # type: ignore[index]
            colors = np.ascontiguousarray(self.layer.colors).view("V3").ravel()[feature]
            if len(self.highlight_rows):
                colors[np.isin(feature, self.highlight_rows)] = HIGHLIGHT.view("V3")[0]
            raw.view("V3").ravel()[cells] = colors
            self._changed_cells = cells
        arr.Modified()
        self.mesh.Modified()
        self.request_render()

    def _on_geometry(self) -> None:
        # The PolyData wraps the layer's own point array (no copy), so growth is already
        # in it; copying 2.6M points onto themselves cost 20 ms a cursor move at 100k.
        if not np.may_share_memory(self.mesh.points, self.layer.mesh.points):
            self.mesh.points[:] = self.layer.mesh.points
        self.mesh.points.Modified()
        self.mesh.Modified()
        self.request_render()


class VtkBuildingLayer(VtkMeshLayer):
    """Buildings, with a coarse level of detail drawn while the camera moves.

    The coarse mesh is the roofs alone (about a fifth of the triangles: no walls, no
    floors), sharing the full mesh's points, so growth and colours follow for free. It
    keeps a city of 100k buildings above 10 frames/s while orbiting on llvmpipe; the
    full mesh comes back as soon as the camera stops.
    """

    layer: BuildingLayer
    lod_actor: Any = None
    shadow_actor: Any = None
    SHADOW_RGB = (58, 64, 78)

    def _build(self) -> None:
        from alatau_twin.render.construction import GhostOverlay

        super()._build()
        self.lod = False
        self.sun_direction: np.ndarray | None = None
        self.ground: Any = None  # callable (x, y) -> drawn ground z, for shadows
        self._shadows_held = False  # hidden and not recomputed (camera flights)
        self._shadows_stale = False  # geometry moved while held
        # Planned, not started buildings as translucent ghosts (built on first need).
        self.ghosts = GhostOverlay(self)

    # -- shadows -------------------------------------------------------------------
    def set_shadows(self, sun_direction: Any, ground: Any = None) -> None:
        """Cast the buildings' shadows on the ground for a sun direction (None: off).

        Each wall quad's top edge is projected along the sun's rays onto the ground; the
        projected walls together cover exactly the shadow of each prism on the ground.
        Vectorised over all walls and recomputed in place when the sun moves, so a sun
        study scrubs smoothly. (VTK's shadow-map pass fails to compile its shaders for
        our colour-per-cell meshes on this VTK/Mesa, so we cast shadows geometrically.)
        """
        self.sun_direction = None if sun_direction is None else np.asarray(sun_direction, float)
        if ground is not None:
            self.ground = ground
        if self.sun_direction is None or self.sun_direction[2] <= 0.02:
            if self.shadow_actor is not None:
                self.shadow_actor.SetVisibility(False)
            return
        self._ensure_shadow_mesh()
        if self._shadows_held:
            self._shadows_stale = True
            return
        self._update_shadow_points()
        self.shadow_actor.SetVisibility(bool(self.layer.visible))

    def hold_shadows(self, held: bool) -> None:
        """Hide the shadows and stop recomputing them (True), or bring them back up to
        date (False).

        A presenter's flight through the city's growth moves roofs every frame, and
        recasting every wall's shadow cost ~33 ms a frame on the sample (half of a
        15 frames/s budget) for a mesh that is hidden while the camera moves anyway.
        """
        self._shadows_held = bool(held)
        if self.shadow_actor is None:
            return
        if held:
            self.shadow_actor.SetVisibility(False)
            return
        if self._shadows_stale and self.sun_direction is not None:
            self._update_shadow_points()
        self._shadows_stale = False
        self.shadow_actor.SetVisibility(bool(self.layer.visible) and self.sun_direction is not None)

    def _ensure_shadow_mesh(self) -> None:
        if self.shadow_actor is not None:
            return
        from alatau_twin.core.mesh import SURFACE_WALL

        mesh = self.layer.mesh
        walls = np.flatnonzero(mesh.cell_data["surface"] == SURFACE_WALL)
        tris = mesh.triangles[walls]
        used = np.unique(tris)
        remap = np.full(mesh.n_points, -1, dtype=np.int64)
        remap[used] = np.arange(len(used))
        self._shadow_src = used
        self._shadow_cells = walls
        self.shadow_mesh = triangle_polydata(mesh.points[used].copy(), remap[tris])
        self.shadow_actor = mesh_actor(
            self.shadow_mesh, color=self.SHADOW_RGB, lighting=False, opacity=0.55
        )
        mapper = self.shadow_actor.GetMapper()
        mapper.SetResolveCoincidentTopologyToPolygonOffset()
        mapper.SetRelativeCoincidentTopologyPolygonOffsetParameters(-1, -1)
        add_prop(self.plotter, self.shadow_actor, f"shadow:{self.layer.name}")

    def _update_shadow_points(self) -> None:
        mesh = self.layer.mesh
        src = self._shadow_src
        pts = mesh.points[src]
        top = mesh.point_data["is_top"][src]
        feature = mesh.point_data["feature_index"][src]
        base = self.layer.base[feature] + self.layer.table_min_height()[feature]
        d = self.sun_direction
        assert d is not None
        height = np.where(top, pts[:, 2] - base, 0.0)
        # Along the ray away from the sun: horizontal shift = height / tan(elevation).
        horizontal = np.array([d[0], d[1]]) / max(d[2], 1e-3)
        xy = pts[:, :2] - height[:, None] * horizontal
        if self.ground is not None:
            z = np.asarray(self.ground(xy[:, 0], xy[:, 1]), float) + 0.3
        else:
            z = base + 0.3
        self.shadow_mesh.points[:] = np.column_stack([xy, z])
        self.shadow_mesh.points.Modified()
        self.shadow_mesh.Modified()
        self.request_render()

    def _ensure_lod(self) -> None:
        if self.lod_actor is not None:
            return
        from alatau_twin.core.mesh import SURFACE_ROOF

        surface = self.layer.mesh.cell_data.get("surface")
        cells = (
            np.flatnonzero(surface == SURFACE_ROOF)
            if surface is not None
            else np.arange(self.layer.mesh.n_triangles)
        )
        self._lod_cells = cells
        # The points are shared: growth moves both meshes.
        lod = triangle_polydata(self.mesh.GetPoints(), self.layer.mesh.triangles[cells])
        lod.cell_data["rgb"] = self.mesh.cell_data["rgb"][cells]
        self.lod_mesh = lod
        self._sync_lod()
        self.lod_actor = mesh_actor(
            lod,
            scalars="rgb",
            ambient=0.45,
            diffuse=0.7,
            opacity=self.actors[0].GetProperty().GetOpacity(),
        )
        self.lod_actor.SetVisibility(False)
        add_prop(self.plotter, self.lod_actor, f"lod:{self.layer.name}")

    def _sync_lod(self, cells: np.ndarray | None = None) -> None:
        """Copy colours (only ``cells``, when given) and the filter to the roofs mesh."""
        if getattr(self, "lod_mesh", None) is None:
            return
        lod_rgb = self.lod_mesh.cell_data["rgb"]
        if cells is not None:
            if not len(self._lod_cells):
                return
            pos = np.searchsorted(self._lod_cells, cells)
            pos[pos >= len(self._lod_cells)] = 0
            hit = self._lod_cells[pos] == cells
            raw = self.mesh.cell_data["rgb"].view(np.ndarray)
            lod_rgb.view(np.ndarray)[pos[hit]] = raw[cells[hit]]
            lod_rgb.Modified()
            self.lod_mesh.Modified()
            return
        lod_rgb[:] = self.mesh.cell_data["rgb"][self._lod_cells]
        lod_rgb.Modified()
        ghost_name = vtkDataSetAttributes.GhostArrayName()
        if ghost_name in self.mesh.cell_data:
            self.lod_mesh.cell_data[ghost_name] = self.mesh.cell_data[ghost_name][self._lod_cells]
        elif ghost_name in self.lod_mesh.cell_data:
            self.lod_mesh.cell_data.remove(ghost_name)
        self.lod_mesh.Modified()

    def set_lod(self, on: bool) -> None:
        """Swap to the roofs-only mesh (``on``) or back to the full mesh."""
        if on:
            self._ensure_lod()
        self.lod = bool(on)
        self._set_visibility(self.layer.visible)
        self.ghosts.set_lod(on)

    def _set_visibility(self, visible: bool) -> None:
        lod = getattr(self, "lod", False)
        for actor in self.actors:
            actor.SetVisibility(bool(visible) and not lod)
        if self.lod_actor is not None:
            self.lod_actor.SetVisibility(bool(visible) and lod)
            self.lod_actor.GetProperty().SetOpacity(self.actors[0].GetProperty().GetOpacity())
        if self.shadow_actor is not None:
            self.shadow_actor.SetVisibility(
                bool(visible) and self.sun_direction is not None and not self._shadows_held
            )

    def _on_geometry(self) -> None:
        super()._on_geometry()
        if self.shadow_actor is not None and self.sun_direction is not None:
            if self._shadows_held:
                self._shadows_stale = True
            else:
                self._update_shadow_points()

    def _on_colors(self, rows: Any) -> None:
        super()._on_colors(rows)
        self._sync_lod(self._changed_cells)

    def _on_filter(self, mask: Any) -> None:
        super()._on_filter(mask)
        self._sync_lod()

    def close(self) -> None:
        self.ghosts.close()
        for actor in (self.lod_actor, self.shadow_actor):
            if actor is not None:
                self.plotter.remove_actor(actor, render=False)
        self.lod_actor = self.shadow_actor = None
        super().close()


class VtkAreaLayer(VtkMeshLayer):
    """Tinted areas plus their outlines (districts, water)."""

    layer: AreaLayer

    def _build(self) -> None:
        super()._build()
        if not self.layer.outlines:
            return
        pts = np.concatenate(self.layer.outlines)
        offsets = np.concatenate([[0], np.cumsum([len(o) for o in self.layer.outlines])])
        self.outline_mesh = polylines(pts, offsets)
        fi = self.outline_mesh.cell_data["feature_index"]
        self.outline_mesh.cell_data["rgb"] = self.layer.colors[fi]
        actor = mesh_actor(self.outline_mesh, scalars="rgb", line_width=2.0, lighting=False)
        add_prop(self.plotter, actor, f"outline:{self.layer.name}")
        self.actors.append(actor)


class VtkLineLayer(VtkLayer):
    """Polylines with per-feature colour; widths in pixels from the theme by class."""

    layer: LineLayer

    def _build(self) -> None:
        self.mesh = polylines(self.layer.points, self.layer.offsets)
        self._feature = self.mesh.cell_data["feature_index"]
        self.mesh.cell_data["rgb"] = self._tint(self.layer.colors)[self._feature]
        width = self._pixel_width()
        actor = mesh_actor(self.mesh, scalars="rgb", line_width=width, lighting=width >= 3.0)
        add_prop(self.plotter, actor, f"lines:{self.layer.name}")
        self.actors.append(actor)

    def _pixel_width(self) -> float:
        style = self.layer.style
        if style == "network":
            return self.theme.network_width_px
        if style == "major":
            return self.theme.highway_width_px
        return self.theme.road_width_px

    def _tint(self, colors: np.ndarray) -> np.ndarray:
        """Roads and rail drawn paler than their model colour, towards the theme's
        ``road_tint``: dark 2-pixel streets over open land read as a wire grid,
        pale ones as a map. Networks keep their colours (the legend shows them)."""
        amount = float(self.theme.road_tint_amount)
        if amount <= 0 or self.layer.style == "network" or "network" in self.layer.table:
            return colors
        target = np.array(rgb255(self.theme.road_tint), float)
        return (colors * (1.0 - amount) + target * amount).astype(np.uint8)

    def _on_colors(self, rows: Any) -> None:
        colors = self._display_colors(self._tint(self.layer.colors))
        self.mesh.cell_data["rgb"][:] = colors[self._feature]
        self.mesh.cell_data["rgb"].Modified()
        self.mesh.Modified()
        self.request_render()


class VtkPointLayer(VtkLayer):
    """Point features as screen-space spheres, so stations read at any zoom."""

    layer: PointLayer

    def _build(self) -> None:
        self.mesh = pv.PolyData(np.asarray(self.layer.points, float))
        self._feature = np.arange(self.layer.n_features, dtype=np.int64)  # one vertex cell each
        self.mesh.point_data["rgb"] = self.layer.colors
        self.mesh.point_data["feature_index"] = np.arange(self.layer.n_features, dtype=np.int32)
        actor = mesh_actor(
            self.mesh,
            scalars="rgb",
            point_size=self.theme.station_size_px,
        )
        add_prop(self.plotter, actor, f"points:{self.layer.name}")
        self.actors.append(actor)

    def _on_colors(self, rows: Any) -> None:
        self.mesh.point_data["rgb"][:] = self._display_colors(self.layer.colors)
        self.mesh.point_data["rgb"].Modified()
        self.mesh.Modified()
        self.request_render()


# Most specific layer types first: a BuildingLayer is also a MeshLayer.
_ADAPTERS: tuple[tuple[type[Layer], type[VtkLayer]], ...] = (
    (TerrainLayer, VtkTerrainLayer),
    (AreaLayer, VtkAreaLayer),
    (BuildingLayer, VtkBuildingLayer),
    (MeshLayer, VtkMeshLayer),
    (LineLayer, VtkLineLayer),
    (PointLayer, VtkPointLayer),
)


def adapter_for(
    plotter: Any, layer: Layer, theme: RenderTheme, request_render: RenderRequest
) -> VtkLayer:
    """The adapter that draws this kind of layer."""
    for kind, adapter in _ADAPTERS:
        if isinstance(layer, kind):
            return adapter(plotter, layer, theme, request_render)
    raise TypeError(f"no renderer for layer kind {layer.kind!r}")
