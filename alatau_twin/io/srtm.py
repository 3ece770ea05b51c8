"""SRTM ``.hgt`` reading, mosaicking, void filling and UTM resampling (io: no Qt, no VTK).

SRTM tiles are square grids of big-endian int16 metres, one degree on a side,
first row at the northern edge, with ``-32768`` marking voids (radar shadow,
water). Neighbouring tiles share their edge row/column. The embedded sample
twin needs a regular grid in the scene's projected frame (UTM 43N, local
origin), so this module reads tiles, stitches them into one lat/lon grid, fills
voids and resamples bilinearly onto a :class:`~alatau_twin.core.terrain.HeightGrid`.
Everything is deterministic so the committed asset can be rebuilt bit-for-bit.
"""

from __future__ import annotations

import os
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import ndimage

from alatau_twin.core.terrain import HeightGrid

SRTM_VOID = -32768
# Samples per side: SRTM3 (3 arc-second) and SRTM1 (1 arc-second).
_KNOWN_SIZES = (1201, 3601)
_NAME_RE = re.compile(r"([NS])(\d{1,2})([EW])(\d{1,3})", re.IGNORECASE)


@dataclass
class SrtmTile:
    """One SRTM tile: SW corner ``(lat0, lon0)`` in whole degrees and heights.

    ``z`` is ``(n, n)`` float32 metres with NaN voids, rows north->south exactly as
    in the file (row 0 is latitude ``lat0 + 1``), columns west->east.
    """

    lat0: int
    lon0: int
    z: np.ndarray
    name: str = ""

    @property
    def size(self) -> int:
        """Samples per side (1201 for SRTM3, 3601 for SRTM1)."""
        return int(self.z.shape[0])

    @property
    def step(self) -> float:
        """Sample spacing in degrees (edges are shared, hence ``size - 1``)."""
        return 1.0 / (self.size - 1)


@dataclass
class LatLonGrid:
    """A regular geographic grid (several tiles stitched together).

    ``z[r, c]`` lies at latitude ``lat_north - r*step`` and longitude
    ``lon_west + c*step`` (rows north->south as in SRTM). NaN marks voids.
    """

    lat_north: float
    lon_west: float
    step: float
    z: np.ndarray

    @property
    def lat_south(self) -> float:
        return self.lat_north - self.step * (self.z.shape[0] - 1)

    @property
    def lon_east(self) -> float:
        return self.lon_west + self.step * (self.z.shape[1] - 1)

    def sample(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Bilinear sample at ``(lon, lat)`` degrees (arrays of one shape).

        Raises ``ValueError`` for points outside the grid: silently clamping would
        hide a scene extent that the tiles do not actually cover.
        """
        lon = np.asarray(lon, dtype=np.float64)
        lat = np.asarray(lat, dtype=np.float64)
        nrow, ncol = self.z.shape
        fc = (lon - self.lon_west) / self.step
        fr = (self.lat_north - lat) / self.step
        eps = 1e-9
        outside = (fc < -eps) | (fc > ncol - 1 + eps) | (fr < -eps) | (fr > nrow - 1 + eps)
        if np.any(outside | ~np.isfinite(fc) | ~np.isfinite(fr)):
            raise ValueError(
                "points outside the SRTM mosaic "
                f"(lat {self.lat_south:g}..{self.lat_north:g}, "
                f"lon {self.lon_west:g}..{self.lon_east:g}): "
                f"lat {np.nanmin(lat):.5f}..{np.nanmax(lat):.5f}, "
                f"lon {np.nanmin(lon):.5f}..{np.nanmax(lon):.5f}"
            )
        return bilinear(self.z.astype(np.float64, copy=False), fc, fr)


def _parse_tile_name(path: Path) -> tuple[int, int]:
    """SW corner from a name like ``N43E076.hgt(.zip)``; SRTM files carry no header."""
    m = _NAME_RE.search(path.name)
    if m is None:
        raise ValueError(f"{path}: cannot read tile corner from the name (expected e.g. N43E076)")
    lat = int(m.group(2)) * (1 if m.group(1).upper() == "N" else -1)
    lon = int(m.group(4)) * (1 if m.group(3).upper() == "E" else -1)
    return lat, lon


def _read_bytes(path: Path) -> bytes:
    if path.name.lower().endswith(".zip"):
        try:
            with zipfile.ZipFile(path) as zf:
                members = [n for n in zf.namelist() if n.lower().endswith(".hgt")]
                if not members:
                    raise ValueError(f"{path}: zip archive contains no .hgt member")
                if len(members) > 1:
                    raise ValueError(f"{path}: zip archive contains several .hgt members")
                return zf.read(members[0])
        except zipfile.BadZipFile as exc:
            raise ValueError(f"{path}: not a valid zip archive ({exc})") from exc
    return path.read_bytes()


def read_hgt(path: str | os.PathLike[str]) -> SrtmTile:
    """Read one SRTM tile from ``.hgt`` or ``.hgt.zip``; voids become NaN.

    The grid size (1201 or 3601) is inferred from the byte length because the
    format has no header; the corner comes from the file name.
    """
    p = Path(path)
    lat0, lon0 = _parse_tile_name(p)
    data = _read_bytes(p)
    size = next((n for n in _KNOWN_SIZES if len(data) == n * n * 2), None)
    if size is None:
        raise ValueError(
            f"{p}: {len(data)} bytes is not an SRTM tile "
            f"(expected {', '.join(str(n * n * 2) for n in _KNOWN_SIZES)} bytes)"
        )
    raw = np.frombuffer(data, dtype=">i2").reshape(size, size)
    z = raw.astype(np.float32)
    z[raw == SRTM_VOID] = np.nan
    return SrtmTile(lat0=lat0, lon0=lon0, z=z, name=p.name)


def mosaic(tiles: Sequence[SrtmTile]) -> LatLonGrid:
    """Stitch tiles into one lat/lon grid covering their bounding box.

    Shared edge rows/columns are written once; where one tile has a void on the
    shared edge and its neighbour a value, the value wins. Cells of the bounding
    box not covered by any tile stay NaN (``fill_voids`` will fill them).
    Tiles are processed in sorted (lat, lon) order so the result never depends on
    argument order.
    """
    if not tiles:
        raise ValueError("mosaic() needs at least one SRTM tile")
    size = tiles[0].size
    if any(t.size != size for t in tiles):
        raise ValueError("mosaic() cannot mix SRTM tiles of different resolutions")
    n = size - 1
    lat_min = min(t.lat0 for t in tiles)
    lat_max = max(t.lat0 for t in tiles) + 1
    lon_min = min(t.lon0 for t in tiles)
    lon_max = max(t.lon0 for t in tiles) + 1
    z = np.full(((lat_max - lat_min) * n + 1, (lon_max - lon_min) * n + 1), np.nan, np.float32)
    for t in sorted(tiles, key=lambda t: (t.lat0, t.lon0)):
        r = (lat_max - (t.lat0 + 1)) * n
        c = (t.lon0 - lon_min) * n
        view = z[r : r + size, c : c + size]
        take = np.isnan(view) & ~np.isnan(t.z)
        view[take] = t.z[take]
    return LatLonGrid(lat_north=float(lat_max), lon_west=float(lon_min), step=1.0 / n, z=z)


def fill_voids(z: np.ndarray, smoothing_iterations: int = 200) -> np.ndarray:
    """Return a copy of ``z`` with NaN cells filled; valid cells are untouched.

    Voids first take their nearest valid neighbour's value (so even large voids
    get a plausible level), then Laplace relaxation restricted to the void cells
    smooths the terraced nearest-fill into a surface that blends into its rim.
    """
    z = np.asarray(z)
    out = z.astype(np.float64, copy=True)
    void = np.isnan(out)
    if not void.any():
        return out.astype(z.dtype if z.dtype.kind == "f" else np.float32)
    if void.all():
        raise ValueError("fill_voids: every cell is a void; nothing to fill from")
    idx = ndimage.distance_transform_edt(void, return_distances=False, return_indices=True)
    out = out[tuple(idx)]
    # Jacobi relaxation on the void cells only: each takes the mean of its 3x3
    # neighbourhood (clamped at the array edge). Gathering neighbours by index
    # keeps the cost proportional to the number of voids, not the tile size.
    nrow, ncol = out.shape
    rows, cols = np.nonzero(void)
    offsets = [(dr, dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1)]
    nb_flat = np.stack(
        [
            np.clip(rows + dr, 0, nrow - 1) * ncol + np.clip(cols + dc, 0, ncol - 1)
            for dr, dc in offsets
        ]
    )
    self_flat = rows * ncol + cols
    flat = out.reshape(-1)
    for _ in range(smoothing_iterations):
        flat[self_flat] = flat[nb_flat].mean(axis=0)
    dtype = z.dtype if z.dtype.kind == "f" else np.float32
    return out.astype(dtype)


def resample_to_utm(
    tiles: Sequence[SrtmTile],
    epsg: int,
    origin_e: float,
    origin_n: float,
    xmin: float,
    xmax: float,
    ymin: float,
    ymax: float,
    spacing: float,
) -> HeightGrid:
    """Resample void-filled tiles onto a regular grid of a projected CRS.

    Target nodes are the local coordinates ``xmin..xmax`` by ``spacing`` (and the
    same in y), local meaning projected minus ``(origin_e, origin_n)``. Each node
    is converted to lon/lat with pyproj (``always_xy=True``) and sampled
    bilinearly from the mosaic. Raises ``ValueError`` if the extent is not
    a whole number of ``spacing`` steps or is not covered by the tiles.
    """
    from pyproj import Transformer

    if spacing <= 0 or xmax < xmin or ymax < ymin:
        raise ValueError(f"bad target grid: x {xmin}..{xmax}, y {ymin}..{ymax}, spacing {spacing}")
    nx = round((xmax - xmin) / spacing) + 1
    ny = round((ymax - ymin) / spacing) + 1
    if (
        abs(xmin + (nx - 1) * spacing - xmax) > 1e-6 * spacing
        or abs(ymin + (ny - 1) * spacing - ymax) > 1e-6 * spacing
    ):
        raise ValueError(f"extent is not a whole number of {spacing} m steps")
    grid = mosaic(tiles)
    grid.z = fill_voids(grid.z)
    xs = xmin + spacing * np.arange(nx, dtype=np.float64)
    ys = ymin + spacing * np.arange(ny, dtype=np.float64)
    xx, yy = np.meshgrid(xs, ys)  # (ny, nx), row index northward
    to_lonlat = Transformer.from_crs(int(epsg), 4326, always_xy=True)
    lon, lat = to_lonlat.transform(xx + origin_e, yy + origin_n)
    z = grid.sample(np.asarray(lon), np.asarray(lat)).astype(np.float32)
    names = "+".join(sorted(t.name.split(".")[0] for t in tiles if t.name)) or "SRTM"
    source = (
        f"SRTM {names}, void-filled, bilinear to EPSG:{int(epsg)} at {spacing:g} m "
        f"(origin E {origin_e:.0f} N {origin_n:.0f})"
    )
    return HeightGrid(
        x0=xmin,
        y0=ymin,
        dx=spacing,
        dy=spacing,
        z=z,
        source=source,
        epsg=int(epsg),
        origin_e=float(origin_e),
        origin_n=float(origin_n),
    )


def bilinear(z: np.ndarray, fc: np.ndarray, fr: np.ndarray) -> np.ndarray:
    """Bilinear sample of ``z[row, col]`` at fractional indices (clamped to the array)."""
    nrow, ncol = z.shape
    fc = np.clip(fc, 0.0, ncol - 1)
    fr = np.clip(fr, 0.0, nrow - 1)
    c0 = np.minimum(np.floor(fc).astype(np.intp), max(ncol - 2, 0))
    r0 = np.minimum(np.floor(fr).astype(np.intp), max(nrow - 2, 0))
    c1 = np.minimum(c0 + 1, ncol - 1)
    r1 = np.minimum(r0 + 1, nrow - 1)
    tc = fc - c0
    tr = fr - r0
    top = z[r0, c0] + (z[r0, c1] - z[r0, c0]) * tc
    bottom = z[r1, c0] + (z[r1, c1] - z[r1, c0]) * tc
    return top + (bottom - top) * tr
