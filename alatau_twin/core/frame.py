"""Scene frame: a projected CRS plus a local origin (core: no Qt, no VTK).

All geometry in a scene is stored as metres *relative to the local origin*. UTM
northings near 4.8e6 m lose centimetres in float32 (the GPU's precision) so meshes
jitter and picks miss; subtracting an origin keeps numbers small. Readouts convert
back to the projected CRS (UTM) and to WGS 84 longitude/latitude.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

ALATAU_EPSG = 32643  # WGS 84 / UTM zone 43N
ALATAU_ORIGIN = (668_000.0, 4_830_000.0)


@dataclass(frozen=True)
class SceneFrame:
    """Projected CRS (EPSG code) and local origin (easting, northing) in that CRS."""

    epsg: int = ALATAU_EPSG
    origin_e: float = ALATAU_ORIGIN[0]
    origin_n: float = ALATAU_ORIGIN[1]

    @cached_property
    def _to_lonlat(self) -> Any:
        # pyproj is imported lazily: `import alatau_twin` must stay light.
        from pyproj import Transformer

        return Transformer.from_crs(self.epsg, 4326, always_xy=True)

    @cached_property
    def _from_lonlat(self) -> Any:
        from pyproj import Transformer

        return Transformer.from_crs(4326, self.epsg, always_xy=True)

    @property
    def crs_name(self) -> str:
        from pyproj import CRS

        return str(CRS.from_epsg(self.epsg).name)

    def to_local(self, e: Any, n: Any) -> tuple[np.ndarray, np.ndarray]:
        """Projected (easting, northing) to local (x, y)."""
        return np.asarray(e, float) - self.origin_e, np.asarray(n, float) - self.origin_n

    def to_projected(self, x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        """Local (x, y) to projected (easting, northing), e.g. UTM for a readout."""
        return np.asarray(x, float) + self.origin_e, np.asarray(y, float) + self.origin_n

    def to_lonlat(self, x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        """Local (x, y) to WGS 84 (longitude, latitude) in degrees."""
        e, n = self.to_projected(x, y)
        lon, lat = self._to_lonlat.transform(e, n)
        return np.asarray(lon), np.asarray(lat)

    def from_lonlat(self, lon: Any, lat: Any) -> tuple[np.ndarray, np.ndarray]:
        """WGS 84 (longitude, latitude) to local (x, y)."""
        e, n = self._from_lonlat.transform(np.asarray(lon, float), np.asarray(lat, float))
        return self.to_local(e, n)

    def utm_zone_label(self) -> str:
        """Short label for readouts, e.g. ``UTM 43N`` for EPSG:32643."""
        if 32601 <= self.epsg <= 32660:
            return f"UTM {self.epsg - 32600}N"
        if 32701 <= self.epsg <= 32760:
            return f"UTM {self.epsg - 32700}S"
        return f"EPSG:{self.epsg}"

    def describe_point(self, x: float, y: float, z: float | None = None) -> str:
        """Human readout of a local point: projected coordinates, lat/lon, elevation."""
        e, n = self.to_projected(x, y)
        lon, lat = self.to_lonlat(x, y)
        text = (
            f"{self.utm_zone_label()} E {float(e):,.1f}  N {float(n):,.1f}   "
            f"{float(lat):.5f}°N {float(lon):.5f}°E"
        )
        if z is not None:
            text += f"   elev {z:,.1f} m"
        return text
