"""Regular terrain height grids in the scene's local frame (core: no Qt, no VTK).

The terrain is a digital elevation model resampled onto a regular grid of the
scene's projected CRS (UTM), in local coordinates (metres relative to the scene
origin). Keeping it as a plain numpy grid lets the render layer build a surface,
lets buildings and roads be draped by sampling :meth:`HeightGrid.elevation_at`,
and lets tests check elevations without VTK or file access.

Convention: node ``z[j, i]`` lies at ``(x0 + i*dx, y0 + j*dy)``; node ``[0, 0]`` is
the south-west corner and the row index increases *northward* (the opposite of
raster files such as SRTM, whose first row is the northern edge). Using the
"maths" orientation means array indices map to scene axes without flips.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class HeightGrid:
    """Elevations (metres above sea level) on a regular grid in local coordinates.

    ``x0, y0`` are the local coordinates of node ``[0, 0]`` (south-west corner),
    ``dx, dy`` the positive node spacing, and ``z`` a ``(ny, nx)`` float32 array
    whose row index increases northward. ``source`` describes provenance for
    readouts and the about box. ``epsg`` / ``origin_e`` / ``origin_n`` record the
    projected CRS and local origin the grid was built for (0 when unknown), so a
    loaded asset can be checked against the scene frame it is dropped into.
    """

    x0: float
    y0: float
    dx: float
    dy: float
    z: np.ndarray
    source: str = ""
    epsg: int = 0
    origin_e: float = 0.0
    origin_n: float = 0.0

    def __post_init__(self) -> None:
        # Validate once here so every consumer can trust shape and spacing.
        z = np.asarray(self.z, dtype=np.float32)
        if z.ndim != 2 or z.shape[0] < 1 or z.shape[1] < 1:
            raise ValueError(f"HeightGrid.z must be a non-empty 2-D array, got shape {z.shape}")
        if not (self.dx > 0 and self.dy > 0):
            raise ValueError(f"HeightGrid spacing must be positive, got dx={self.dx} dy={self.dy}")
        self.z = z
        self.x0 = float(self.x0)
        self.y0 = float(self.y0)
        self.dx = float(self.dx)
        self.dy = float(self.dy)

    @property
    def nx(self) -> int:
        """Number of nodes along x (columns)."""
        return int(self.z.shape[1])

    @property
    def ny(self) -> int:
        """Number of nodes along y (rows, south to north)."""
        return int(self.z.shape[0])

    @property
    def x(self) -> np.ndarray:
        """1-D float64 node x coordinates (west to east)."""
        return self.x0 + self.dx * np.arange(self.nx, dtype=np.float64)

    @property
    def y(self) -> np.ndarray:
        """1-D float64 node y coordinates (south to north)."""
        return self.y0 + self.dy * np.arange(self.ny, dtype=np.float64)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """``(xmin, xmax, ymin, ymax)`` of the node lattice in local metres."""
        return (
            self.x0,
            self.x0 + self.dx * (self.nx - 1),
            self.y0,
            self.y0 + self.dy * (self.ny - 1),
        )

    @property
    def z_range(self) -> tuple[float, float]:
        """``(zmin, zmax)`` ignoring NaN, e.g. for colour-map limits."""
        return float(np.nanmin(self.z)), float(np.nanmax(self.z))

    def elevation_at(self, x: np.ndarray | float, y: np.ndarray | float) -> np.ndarray:
        """Bilinearly interpolated elevation at local ``(x, y)``; any (broadcast) shape.

        Points outside the grid are clamped to the nearest edge rather than
        returning NaN: draping a building that pokes past the terrain edge should
        give a sensible height, not poison a mesh with NaNs.
        """
        xa = np.asarray(x, dtype=np.float64)
        ya = np.asarray(y, dtype=np.float64)
        xa, ya = np.broadcast_arrays(xa, ya)
        fi = np.clip((xa - self.x0) / self.dx, 0.0, self.nx - 1)
        fj = np.clip((ya - self.y0) / self.dy, 0.0, self.ny - 1)
        # NaN inputs would survive clip; map them to the grid origin instead.
        fi = np.nan_to_num(fi, nan=0.0)
        fj = np.nan_to_num(fj, nan=0.0)
        i0 = np.minimum(np.floor(fi).astype(np.intp), max(self.nx - 2, 0))
        j0 = np.minimum(np.floor(fj).astype(np.intp), max(self.ny - 2, 0))
        i1 = np.minimum(i0 + 1, self.nx - 1)
        j1 = np.minimum(j0 + 1, self.ny - 1)
        tx = fi - i0
        ty = fj - j0
        z = self.z.astype(np.float64, copy=False)
        z00 = z[j0, i0]
        z10 = z[j0, i1]
        z01 = z[j1, i0]
        z11 = z[j1, i1]
        south = z00 + (z10 - z00) * tx
        north = z01 + (z11 - z01) * tx
        return south + (north - south) * ty

    def hillshade(
        self,
        azimuth_deg: float = 315.0,
        altitude_deg: float = 45.0,
        exaggeration: float = 1.0,
        smooth: float = 0.0,
    ) -> np.ndarray:
        """Lambertian hillshade in ``[0, 1]``, shape ``(ny, nx)``.

        ``smooth`` is a Gaussian sigma in cells applied to the heights first: SRTM
        resampled from a 3" lat/lon grid onto a 100 m grid is piecewise linear, and its
        gradients alternate from row to row, which shows as stripes in a raw hillshade.

        ``azimuth_deg`` is the compass direction the light comes *from* (clockwise
        from north, +y); ``altitude_deg`` its angle above the horizon. Gradients
        come from :func:`numpy.gradient` so the result matches the standard GIS
        hillshade; ``exaggeration`` scales heights first (flat plains need it to
        show relief). NaN heights give NaN-free output (treated as flat).
        """
        z = np.nan_to_num(self.z.astype(np.float64), nan=float(np.nanmean(self.z)))
        z = z * float(exaggeration)
        if smooth > 0:
            z = gaussian_smooth(z, smooth)
        if self.ny > 1:
            dz_dy = np.gradient(z, self.dy, axis=0)
        else:
            dz_dy = np.zeros_like(z)
        if self.nx > 1:
            dz_dx = np.gradient(z, self.dx, axis=1)
        else:
            dz_dx = np.zeros_like(z)
        az = np.deg2rad(azimuth_deg)
        alt = np.deg2rad(altitude_deg)
        # Unit vector towards the light in (east, north, up).
        lx = np.sin(az) * np.cos(alt)
        ly = np.cos(az) * np.cos(alt)
        lz = np.sin(alt)
        norm = np.sqrt(dz_dx * dz_dx + dz_dy * dz_dy + 1.0)
        shade = (-dz_dx * lx - dz_dy * ly + lz) / norm
        return np.clip(shade, 0.0, 1.0)


def gaussian_smooth(z: np.ndarray, sigma: float) -> np.ndarray:
    """Separable Gaussian blur with edge replication, in plain numpy.

    Same result as ``scipy.ndimage.gaussian_filter(mode="nearest")`` to within float
    rounding, without importing scipy.ndimage (0.6 s) on the way to the first frame.
    """
    radius = max(1, int(4.0 * sigma + 0.5))
    offsets = np.arange(-radius, radius + 1)
    weights = np.exp(-0.5 * (offsets / sigma) ** 2)
    weights /= weights.sum()
    out = np.asarray(z, dtype=np.float64)
    for axis in (0, 1):
        n = out.shape[axis]
        padded = np.concatenate(
            [
                np.repeat(out.take([0], axis=axis), radius, axis=axis),
                out,
                np.repeat(out.take([n - 1], axis=axis), radius, axis=axis),
            ],
            axis=axis,
        )
        acc = np.zeros_like(out)
        for k, w in enumerate(weights):
            acc += w * padded.take(np.arange(k, k + n), axis=axis)
        out = acc
    return out
