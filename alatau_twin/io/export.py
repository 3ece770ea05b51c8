"""Write a scene as a project folder with its data in open formats (io: no Qt, no VTK).

``alatau-twin sample --output DIR`` uses this so the embedded sample is also an ordinary
project: building footprints with their attributes, roads, rail, network lines and
stations and district outlines as GeoPackage (or GeoParquet) files in the scene's CRS,
the terrain as a GeoTIFF, and a ``project.toml`` naming them. Opening that project gives
back the same city (networks' graphs and the schedule travel as attributes only).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from alatau_twin.core.layers import AreaLayer, BuildingLayer, Layer, LineLayer, PointLayer
from alatau_twin.core.scene import Scene
from alatau_twin.io.atomic import atomic_write


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").lower() or "layer"


def _frame_columns(layer: Layer) -> dict[str, Any]:
    cols: dict[str, Any] = {}
    for name in layer.table.columns:
        values = layer.table[name]
        cols[name] = values.astype(str) if values.dtype == object else values
    return cols


def export_scene_project(scene: Scene, outdir: str | os.PathLike[str], fmt: str = "gpkg") -> Path:
    """Write data files and ``project.toml`` into ``outdir``; returns the project path."""
    import geopandas as gpd
    import shapely
    import tomli_w

    out = Path(outdir)
    (out / "data").mkdir(parents=True, exist_ok=True)
    f = scene.frame
    shift = np.array([f.origin_e, f.origin_n])

    def to_crs(geoms: Any) -> Any:
        return shapely.transform(geoms, lambda xy: xy + shift)

    entries: list[dict[str, Any]] = []
    for layer in scene.layers:
        geoms = None
        kind = "vector"
        if isinstance(layer, BuildingLayer) and layer.footprints is not None:
            geoms = to_crs(np.asarray(layer.footprints))
            kind = "buildings"
        elif isinstance(layer, LineLayer):
            lines = [layer.line(i)[:, :2] for i in range(layer.n_features)]
            geoms = to_crs(np.array([shapely.linestrings(c) for c in lines], dtype=object))
        elif isinstance(layer, PointLayer):
            geoms = to_crs(shapely.points(layer.points[:, :2]))
        elif isinstance(layer, AreaLayer) and layer.outlines:
            geoms = to_crs(
                np.array([shapely.polygons(o[:, :2]) for o in layer.outlines], dtype=object)
            )
            kind = "areas"
        if geoms is None:
            continue
        gdf = gpd.GeoDataFrame(_frame_columns(layer), geometry=list(geoms), crs=f"EPSG:{f.epsg}")
        suffix = ".parquet" if fmt == "parquet" else ".gpkg"
        path = out / "data" / f"{_safe(layer.name)}{suffix}"
        tmp = path.with_name(f".{path.stem}.tmp{suffix}")
        if fmt == "parquet":
            gdf.to_parquet(tmp)
        else:
            gdf.to_file(tmp, driver="GPKG", layer=_safe(layer.name))
        os.replace(tmp, path)
        entries.append({"path": f"data/{path.name}", "name": layer.name, "kind": kind})
    terrain = scene.terrain
    if terrain is not None:
        tif = out / "data" / "terrain.tif"
        _write_geotiff(terrain.grid, f.epsg, f.origin_e, f.origin_n, tif)
        entries.insert(0, {"path": "data/terrain.tif", "name": terrain.name, "kind": "terrain"})
    doc = {
        "version": 1,
        "title": scene.info.title,
        "crs": f"EPSG:{f.epsg}",
        "layers": entries,
        "views": [v.to_dict() for v in scene.saved_views.values()],
    }
    data = tomli_w.dumps(doc).encode("utf-8")
    return atomic_write(out / "project.toml", lambda fh: fh.write(data))


def _write_geotiff(grid: Any, epsg: int, origin_e: float, origin_n: float, path: Path) -> None:
    import rasterio
    from rasterio.transform import from_origin

    # Rows run north to south in a GeoTIFF; node centres become pixel centres.
    west = origin_e + grid.x0 - grid.dx / 2
    north = origin_n + grid.y0 + (grid.ny - 1) * grid.dy + grid.dy / 2
    tmp = path.with_name(f".{path.name}.tmp")
    with rasterio.open(
        tmp,
        "w",
        driver="GTiff",
        width=grid.nx,
        height=grid.ny,
        count=1,
        dtype="float32",
        crs=f"EPSG:{epsg}",
        transform=from_origin(west, north, grid.dx, grid.dy),
        compress="deflate",
    ) as dst:
        dst.write(np.asarray(grid.z, np.float32)[::-1], 1)
    os.replace(tmp, path)
