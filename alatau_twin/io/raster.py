"""Terrain from elevation rasters: GeoTIFF (rasterio) and SRTM ``.hgt`` (io: no Qt, no VTK).

A digital elevation model becomes one :class:`~alatau_twin.core.layers.TerrainLayer`
whose :class:`~alatau_twin.core.terrain.HeightGrid` lies on a regular grid of the scene
frame (projected metres minus the local origin). Rasters come in their own CRS (SRTM in
lon/lat, national DEMs in their grid), so each grid node is transformed into the raster's
CRS with pyproj and sampled bilinearly; the raster is never warped as an image, which
keeps the one interpolation step explicit and testable.

SRTM ``.hgt``/``.hgt.zip`` tiles are read with :func:`alatau_twin.io.srtm.read_hgt`
(no GDAL needed); everything else, including ``/vsizip/...`` paths, goes through
rasterio, which is imported only when such a file is opened. Voids and nodata cells are
filled with :func:`alatau_twin.io.srtm.fill_voids` before sampling, and counted.

The module also holds the small CRS helpers a reader needs to choose a scene frame
(:func:`horizontal_crs`, :func:`frame_for_crs`); the mesh reader uses them too.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from alatau_twin.core.frame import SceneFrame
from alatau_twin.core.layers import Layer, LayerReport, TerrainLayer
from alatau_twin.core.terrain import HeightGrid
from alatau_twin.io.georef import frame_for_crs
from alatau_twin.io.srtm import bilinear

RASTER_SUFFIXES = {".tif", ".tiff", ".hgt", ".dem", ".asc", ".vrt", ".img"}
MIN_SPACING_M = 10.0
MAX_NODES_PER_SIDE = 1000
# Read at most this many source cells per target node along an axis; finer rasters
# are averaged down by GDAL first so a 1 m DEM does not cost gigabytes for a 50 m grid.
_MAX_OVERSAMPLE = 2
_HGT_RE = re.compile(r"\.hgt(\.zip)?$", re.IGNORECASE)
_METRES_PER_DEGREE_LAT = 110_574.0
_METRES_PER_DEGREE_LON_EQUATOR = 111_320.0


class RasterError(ValueError):
    """An elevation raster that cannot be used, with the file named in the message."""


# --- sources -------------------------------------------------------------------------


@dataclass
class _Window:
    """Heights read from a source: ``z`` (rows, cols) float with NaN voids.

    ``col0, row0`` is the source cell of ``z[0, 0]`` and ``step`` the number of source
    cells per ``z`` cell (1 unless averaged down), so a fractional source index ``c``
    maps to ``(c - col0 + 0.5) / step - 0.5`` in ``z``.
    """

    z: np.ndarray
    col0: int
    row0: int
    step_c: float
    step_r: float


class _Source:
    """A raster as the resampler needs it: CRS, cell-centre affine, shape, reads."""

    crs: Any
    # (col, row) of a cell centre -> (X, Y) in crs: X = a*c + b*r + c0, Y = d*c + e*r + f0
    affine: tuple[float, float, float, float, float, float]
    shape: tuple[int, int]
    label: str

    def read(self, c0: int, c1: int, r0: int, r1: int, max_cells: tuple[int, int]) -> _Window:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def to_index(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Fractional (col, row) of points in the source CRS."""
        a, b, c, d, e, f = self.affine
        det = a * e - b * d
        dx, dy = x - c, y - f
        return (e * dx - b * dy) / det, (-d * dx + a * dy) / det

    def to_xy(self, col: np.ndarray, row: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a, b, c, d, e, f = self.affine
        return a * col + b * row + c, d * col + e * row + f

    def native_resolution_m(self) -> float:
        """Mean cell size in metres (degrees converted at the raster's centre)."""
        a, b, _, d, e, _ = self.affine
        rx, ry = math.hypot(a, d), math.hypot(b, e)
        if self.crs.is_geographic:
            h, w = self.shape
            _, lat = self.to_xy(np.array((w - 1) / 2.0), np.array((h - 1) / 2.0))
            rx *= _METRES_PER_DEGREE_LON_EQUATOR * math.cos(math.radians(float(lat)))
            ry *= _METRES_PER_DEGREE_LAT
        else:
            factor = self.crs.axis_info[0].unit_conversion_factor if self.crs.axis_info else 1.0
            rx, ry = rx * factor, ry * factor
        return (rx + ry) / 2.0


class _HgtSource(_Source):
    """An SRTM tile read by :func:`srtm.read_hgt` (whole tile; at most 3601 x 3601)."""

    def __init__(self, path: Path) -> None:
        from pyproj import CRS

        from alatau_twin.io.srtm import read_hgt

        try:
            tile = read_hgt(path)
        except (ValueError, OSError) as exc:
            msg = str(exc)
            raise RasterError(msg if str(path) in msg else f"{path}: {msg}") from None
        self.tile = tile
        self.crs = CRS.from_epsg(4326)
        # Row 0 is the northern edge (lat0 + 1); cell centres sit on whole arc-seconds.
        self.affine = (tile.step, 0.0, float(tile.lon0), 0.0, -tile.step, float(tile.lat0 + 1))
        self.shape = (tile.size, tile.size)
        self.label = f"SRTM {path.name.split('.')[0]}"

    def read(self, c0: int, c1: int, r0: int, r1: int, max_cells: tuple[int, int]) -> _Window:
        return _Window(self.tile.z[r0:r1, c0:c1].astype(np.float64), c0, r0, 1.0, 1.0)


class _RasterioSource(_Source):
    """Any GDAL-readable single-band raster (GeoTIFF, ``/vsizip/`` members, ...)."""

    def __init__(self, path: str) -> None:
        try:
            import rasterio
        except ImportError:  # optional dependency: say what to install
            raise RasterError(
                f"{path}: reading rasters needs rasterio (pip install rasterio)"
            ) from None
        try:
            self.ds = rasterio.open(path)
        except Exception as exc:  # RasterioIOError and friends; the user needs the file named
            raise RasterError(f"{path}: cannot read as an elevation raster ({exc})") from None
        ds = self.ds
        if ds.crs is None:
            ds.close()
            raise RasterError(
                f"{path}: the raster has no CRS, so it cannot be placed; "
                "give it one (e.g. gdal_edit.py -a_srs EPSG:XXXX)"
            )
        from pyproj import CRS

        self.crs = CRS.from_user_input(ds.crs.to_wkt())
        t = ds.transform
        # rasterio's affine maps cell corners; shift half a cell to address centres.
        self.affine = (t.a, t.b, t.c + 0.5 * t.a + 0.5 * t.b, t.d, t.e, t.f + 0.5 * t.d + 0.5 * t.e)
        self.shape = (ds.height, ds.width)
        self.label = Path(path).name
        self.scale = float(ds.scales[0]) if ds.scales else 1.0
        self.offset = float(ds.offsets[0]) if ds.offsets else 0.0

    def read(self, c0: int, c1: int, r0: int, r1: int, max_cells: tuple[int, int]) -> _Window:
        from rasterio.enums import Resampling
        from rasterio.windows import Window

        # Average down by whole factors only: with a fractional ratio GDAL's blocks hold
        # 45 or 46 cells by turns and their means wobble around the true surface.
        kc = max(1, (c1 - c0) // max_cells[0])
        kr = max(1, (r1 - r0) // max_cells[1])
        # One block of margin: block centres sit k/2 cells in from the window's edge.
        if kc > 1:
            c0, c1 = max(c0 - kc, 0), min(c1 + kc, self.shape[1])
        if kr > 1:
            r0, r1 = max(r0 - kr, 0), min(r1 + kr, self.shape[0])
        c0, c1 = _whole_blocks(c0, c1, kc, self.shape[1])
        r0, r1 = _whole_blocks(r0, r1, kr, self.shape[0])
        w, h = c1 - c0, r1 - r0
        ow, oh = w // kc, h // kr
        # GDAL's "average" skips nodata cells, so holes do not bleed into the mean.
        data = self.ds.read(
            1,
            window=Window(c0, r0, w, h),
            out_shape=(oh, ow),
            masked=True,
            resampling=Resampling.average if (kc > 1 or kr > 1) else Resampling.nearest,
        )
        z = np.ma.filled(data.astype(np.float64), np.nan)
        z = z * self.scale + self.offset
        return _Window(z, c0, r0, float(kc), float(kr))

    def close(self) -> None:
        self.ds.close()


def _whole_blocks(i0: int, i1: int, k: int, n: int) -> tuple[int, int]:
    """Widen ``[i0, i1)`` to a whole number of ``k``-cell blocks, kept inside ``[0, n)``."""
    length = -(-(i1 - i0) // k) * k
    if length > n:
        length = (n // k) * k
    i0 = min(i0, n - length)
    return max(i0, 0), max(i0, 0) + length


def _open(path: str | Path) -> _Source:
    text = str(path)
    if text.startswith("/vsi"):
        return _RasterioSource(text)
    p = Path(path)
    if not p.exists():
        raise RasterError(f"{p}: no such file")
    if _HGT_RE.search(p.name):
        return _HgtSource(p)
    return _RasterioSource(text)


# --- reading -------------------------------------------------------------------------


def read_terrain(
    path: str | Path,
    frame: SceneFrame | None = None,
    spacing: float | None = None,
    exaggeration: float = 1.0,
) -> tuple[list[Layer], SceneFrame]:
    """A terrain layer from an elevation raster, resampled onto ``frame``'s grid.

    ``frame`` None keeps the raster's CRS if it is projected in metres, else takes the
    UTM zone of its centre, with the origin at the rounded centre. The grid covers the
    largest frame-aligned box inside the raster; ``spacing`` defaults to the raster's
    native resolution (at least 10 m) and is raised so the grid stays within
    1000 x 1000 nodes. Voids/nodata are filled and counted in the layer's report.
    """
    if spacing is not None and not spacing > 0:
        raise RasterError(f"{path}: spacing must be positive, got {spacing}")
    src = _open(path)
    try:
        return _read(src, str(path), frame, spacing, exaggeration)
    finally:
        src.close()


def _read(
    src: _Source,
    path: str,
    frame: SceneFrame | None,
    spacing: float | None,
    exaggeration: float,
) -> tuple[list[Layer], SceneFrame]:
    from pyproj import Transformer

    report = LayerReport(source=path)
    h, w = src.shape
    if h < 2 or w < 2:
        raise RasterError(f"{path}: raster of {w} x {h} cells is too small for a terrain")
    # Densified edges of the cell-centre footprint, in the raster CRS.
    t = np.linspace(0.0, 1.0, 65)
    edges = {
        "left": (np.zeros_like(t), t * (h - 1)),
        "right": (np.full_like(t, w - 1), t * (h - 1)),
        "top": (t * (w - 1), np.zeros_like(t)),
        "bottom": (t * (w - 1), np.full_like(t, h - 1)),
    }
    xy = {k: src.to_xy(*v) for k, v in edges.items()}
    if frame is None:
        bx = np.concatenate([v[0] for v in xy.values()])
        by = np.concatenate([v[1] for v in xy.values()])
        frame = frame_for_crs(src.crs, bx, by)
    to_frame = Transformer.from_crs(src.crs, frame.epsg, always_xy=True)
    fxy = {k: np.asarray(to_frame.transform(*v)) for k, v in xy.items()}
    if not all(np.all(np.isfinite(v)) for v in fxy.values()):
        raise RasterError(f"{path}: the raster's extent cannot be expressed in EPSG:{frame.epsg}")
    # Largest frame-aligned box inside the (slightly rotated) footprint.
    lr = sorted(("left", "right"), key=lambda k: fxy[k][0].mean())
    tb = sorted(("top", "bottom"), key=lambda k: fxy[k][1].mean())
    xmin = fxy[lr[0]][0].max() - frame.origin_e
    xmax = fxy[lr[1]][0].min() - frame.origin_e
    ymin = fxy[tb[0]][1].max() - frame.origin_n
    ymax = fxy[tb[1]][1].min() - frame.origin_n

    native = src.native_resolution_m()
    step = float(spacing) if spacing is not None else max(MIN_SPACING_M, float(round(native)))
    span = max(xmax - xmin, ymax - ymin)
    cap = span / (MAX_NODES_PER_SIDE - 1)
    if step < cap:
        new = float(math.ceil(cap))
        if spacing is not None:
            report.warnings.append(
                f"spacing raised from {step:g} m to {new:g} m to keep the grid within "
                f"{MAX_NODES_PER_SIDE} x {MAX_NODES_PER_SIDE} nodes"
            )
        step = new
    x0 = math.ceil(xmin / step - 1e-9) * step
    y0 = math.ceil(ymin / step - 1e-9) * step
    nx = math.floor((xmax - x0) / step + 1e-9) + 1
    ny = math.floor((ymax - y0) / step + 1e-9) + 1
    if nx < 2 or ny < 2:
        raise RasterError(
            f"{path}: the raster covers less than two {step:g} m grid steps in EPSG:{frame.epsg}"
        )

    xs = x0 + step * np.arange(nx, dtype=np.float64)
    ys = y0 + step * np.arange(ny, dtype=np.float64)
    xx, yy = np.meshgrid(xs + frame.origin_e, ys + frame.origin_n)  # (ny, nx), rows north
    to_src = Transformer.from_crs(frame.epsg, src.crs, always_xy=True)
    sx, sy = to_src.transform(xx, yy)
    fc, fr = src.to_index(np.asarray(sx), np.asarray(sy))
    fc = np.clip(fc, 0.0, w - 1)
    fr = np.clip(fr, 0.0, h - 1)

    c0, c1 = int(np.floor(fc.min())), min(int(np.floor(fc.max())) + 2, w)
    r0, r1 = int(np.floor(fr.min())), min(int(np.floor(fr.max())) + 2, h)
    win = src.read(c0, c1, r0, r1, (nx * _MAX_OVERSAMPLE + 2, ny * _MAX_OVERSAMPLE + 2))
    voids = np.isnan(win.z)
    n_voids = int(voids.sum())
    if n_voids == voids.size:
        raise RasterError(f"{path}: the raster holds only nodata over its extent")
    if n_voids:
        from alatau_twin.io.srtm import fill_voids

        win.z = fill_voids(win.z)
        if n_voids > 0.05 * voids.size:
            report.warnings.append(
                f"{n_voids / voids.size:.0%} of the raster cells were voids or nodata, "
                "filled by interpolation"
            )
    report.add("voids_filled", n_voids)

    z = bilinear(
        win.z,
        (fc - win.col0 + 0.5) / win.step_c - 0.5,
        (fr - win.row0 + 0.5) / win.step_r - 0.5,
    ).astype(np.float32)
    report.add("nodes", int(z.size))
    name = Path(path).name.split(".")[0] or "terrain"
    grid = HeightGrid(
        x0=x0,
        y0=y0,
        dx=step,
        dy=step,
        z=z,
        source=(
            f"{src.label}, void-filled, bilinear to EPSG:{frame.epsg} at {step:g} m "
            f"(origin E {frame.origin_e:.0f} N {frame.origin_n:.0f})"
        ),
        epsg=frame.epsg,
        origin_e=frame.origin_e,
        origin_n=frame.origin_n,
    )
    return [TerrainLayer(name, grid, exaggeration=exaggeration, report=report)], frame
