"""Coordinate reference helpers shared by the readers (io: no Qt, no VTK).

Every reader that picks a scene frame from its data must pick it the same way, or two
files of one city would land in different frames: the data's own CRS when it is
projected in metres (so readouts match the source), else the UTM zone of its centre;
the origin at the centre rounded to 100 m.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from alatau_twin.core.frame import SceneFrame


def horizontal_crs(crs: Any) -> Any:
    """The 2-D part of a CRS: RD New for EPSG:7415 (RD New + NAP height), else itself."""
    from pyproj import CRS

    crs = CRS.from_user_input(crs)
    if crs.is_compound and crs.sub_crs_list:
        return crs.sub_crs_list[0]
    return crs


def utm_epsg(lon: float, lat: float) -> int:
    """EPSG code of the WGS 84 / UTM zone holding (lon, lat)."""
    zone = min(max(int((lon + 180.0) // 6.0) + 1, 1), 60)
    return (32600 if lat >= 0 else 32700) + zone


def frame_for_crs(crs: Any, x: np.ndarray, y: np.ndarray) -> SceneFrame:
    """A scene frame for data at ``(x, y)`` in ``crs``, origin at its centre to 100 m.

    The data's own CRS is kept when it is projected in metres with an EPSG code (so a
    Dutch model stays in RD New and readouts match the source); anything else (lon/lat,
    feet, custom) gets the UTM zone of the data's centre.
    """
    from pyproj import Transformer

    src = horizontal_crs(crs)
    cx = (float(np.nanmin(x)) + float(np.nanmax(x))) / 2.0
    cy = (float(np.nanmin(y)) + float(np.nanmax(y))) / 2.0
    epsg = src.to_epsg()
    metric = src.is_projected and src.axis_info and src.axis_info[0].unit_name in ("metre", "meter")
    if epsg is not None and metric:
        return SceneFrame(int(epsg), round(cx, -2), round(cy, -2))
    lon, lat = Transformer.from_crs(src, 4326, always_xy=True).transform(cx, cy)
    target = utm_epsg(float(lon), float(lat))
    e, n = Transformer.from_crs(src, target, always_xy=True).transform(cx, cy)
    return SceneFrame(target, round(float(e), -2), round(float(n), -2))
