"""GIS vector files into layers: footprints, lines, points, areas (io: no Qt, no VTK).

Whatever pyogrio reads (GeoPackage, GeoJSON, Shapefile, FlatGeobuf, CSV with WKT) and
GeoParquet (through pyarrow) is reprojected into the scene frame and split by geometry
type: polygons are extruded as buildings (or draped as areas), lines and points become
line and point layers. A plain single-table GeoPackage is read from SQLite directly
(io/gpkg.py), with the same result and without importing pyogrio. Every repair and
guess is counted in the layer's report, so ``info`` can say what was measured, inferred
or defaulted.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from alatau_twin.core.attributes import AttributeTable
from alatau_twin.core.frame import SceneFrame
from alatau_twin.core.layers import (
    AreaLayer,
    BuildingLayer,
    Layer,
    LayerReport,
    LineLayer,
    PointLayer,
)
from alatau_twin.core.mesh import TriangleMesh
from alatau_twin.core.style import CATEGORY_PALETTE, USE_COLORS, categorical_colors, unique_text
from alatau_twin.io.georef import frame_for_crs
from alatau_twin.io.gpkg import read_gpkg

STOREY_HEIGHT_M = 3.2
DEFAULT_HEIGHT_M = 10.0
_LEVEL_COLUMNS = ("building:levels", "levels", "floors", "num_floors", "storeys")
_USE_COLUMNS = ("use", "class", "building", "subtype", "type")
# Typical heights where a file gives neither height nor levels (m), by use or OSM class.
DEFAULT_HEIGHT_BY_USE = {
    "house": 6.0, "detached": 6.0, "residential": 15.0, "apartments": 18.0, "office": 30.0,
    "commercial": 12.0, "retail": 6.0, "industrial": 10.0, "warehouse": 10.0,
    "garage": 3.0, "shed": 3.0, "school": 12.0, "education": 12.0, "hospital": 20.0,
    "church": 15.0, "hotel": 30.0, "outbuilding": 3.0, "agricultural": 6.0,
}  # fmt: skip
_UNIT_RE = re.compile(r"^\s*([-+]?\d+(?:[.,]\d+)?)\s*(m|meters?|metres?|ft|feet|')?\s*$", re.I)


class VectorError(ValueError):
    """A vector file that cannot be used, with the file named in the message."""


def parse_height(value: Any) -> float | None:
    """A height in metres from a number or a string with units ("12.5 m", "40ft")."""
    if value is None:
        return None
    if isinstance(value, int | float | np.integer | np.floating):
        v = float(value)
        return v if np.isfinite(v) and v > 0 else None
    m = _UNIT_RE.match(str(value))
    if not m:
        return None
    v = float(m.group(1).replace(",", "."))
    if (m.group(2) or "").lower() in ("ft", "feet", "'"):
        v *= 0.3048
    return v if v > 0 else None


class _Data:
    """Attribute columns of the features being read (numpy, no pandas): GeoParquet through
    pyarrow and plain GeoPackages through SQLite (io/gpkg.py) keep pandas and geopandas
    (~0.6 s of imports) off the path from a file to the first frame; importing pyogrio,
    for the other formats, imports them anyway."""

    def __init__(self, cols: dict[str, np.ndarray], one_ring: np.ndarray | None = None) -> None:
        self.cols = cols
        self.n = len(next(iter(cols.values()))) if cols else 0
        # Per feature, when the reader could tell from the WKB: a MultiPolygon of one
        # polygon without holes, which the extrusion need not split into parts.
        self.one_ring = one_ring

    def __len__(self) -> int:
        return self.n

    def take(self, rows: np.ndarray) -> _Data:
        one_ring = None if self.one_ring is None else self.one_ring[rows]
        out = _Data({k: v[rows] for k, v in self.cols.items()}, one_ring)
        out.n = int(np.count_nonzero(rows)) if rows.dtype == bool else len(rows)
        return out


def _read_features(path: Path, layer: str | int | None = None) -> tuple[np.ndarray, _Data, Any]:
    """(shapely geometries, attribute columns, CRS or None) of a vector file; ``layer``
    picks one layer of a multi-layer file (GeoPackage), default the first."""
    import shapely

    one_ring: np.ndarray | None = None  # see _Data
    if path.suffix.lower() == ".parquet":
        import json

        import pyarrow.parquet as pq

        # ParquetFile.read, not read_table: read_table goes through pyarrow.dataset,
        # which imports pandas (~1.2 s of imports for a plain GeoParquet file).
        table = pq.ParquetFile(path).read()
        meta = json.loads((table.schema.metadata or {}).get(b"geo", b"{}"))
        col = meta.get("primary_column")
        if not col:
            raise ValueError("a Parquet file without GeoParquet 'geo' metadata")
        info = meta["columns"][col]
        if info.get("encoding", "WKB").upper() != "WKB":
            raise ValueError(f"GeoParquet encoding {info['encoding']!r} is not supported (WKB)")
        # GeoParquet: an absent "crs" means OGC:CRS84; an explicit null means unknown.
        crs = info["crs"] if "crs" in info else "OGC:CRS84"
        geoms, cols = _arrow_features(table, col)
    else:
        # A plain single-table GeoPackage is read from SQLite directly: importing
        # pyogrio imports pandas and geopandas (0.6-1.0 s; see io/gpkg.py).
        fast = read_gpkg(path) if layer is None and path.suffix.lower() == ".gpkg" else None
        if fast is not None:
            crs, geoms, cols, one_ring = fast
        elif (arrow := _read_ogr_arrow(path, layer)) is not None:
            crs, geoms, cols = arrow
        else:
            from pyogrio.raw import read

            meta, _fids, wkb, fields = read(path, layer=layer)
            crs = meta.get("crs")
            geoms = shapely.from_wkb(wkb)
            cols = {str(k): np.asarray(v) for k, v in zip(meta["fields"], fields, strict=True)}
    data = _Data(cols, one_ring)
    data.n = len(geoms)
    return np.asarray(geoms, dtype=object), data, crs


def _read_ogr_arrow(
    path: Path, layer: str | int | None
) -> tuple[Any, np.ndarray, dict[str, np.ndarray]] | None:
    """(CRS, geometries, columns) through GDAL's Arrow stream, or None to use the row API.

    pyogrio's Arrow reader moves a 100k-feature GeoPackage in ~0.05 s where its row API
    (``pyogrio.raw.read``) takes ~0.5 s, an eighth of the budget from file to picture.
    Anything it cannot do (an old GDAL, a driver without Arrow support, a broken file)
    falls back to the row API, which then reports a broken file as before.
    """
    try:
        from pyogrio.raw import read_arrow

        meta, table = read_arrow(path, layer=layer)
    except Exception:  # any failure: the row API decides, and reports a broken file
        return None
    geom_col = meta.get("geometry_name") or "wkb_geometry"
    if geom_col not in table.column_names:
        return None
    geoms, cols = _arrow_features(table, geom_col)
    return meta.get("crs"), geoms, cols


def _arrow_features(table: Any, geom_col: str) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """(geometries, attribute columns) of an Arrow table with a WKB geometry column,
    as GeoParquet files and GDAL's Arrow stream both deliver them."""
    import shapely

    geoms = shapely.from_wkb(_arrow_column(table.column(geom_col)))
    cols = {
        str(name): _arrow_column(table.column(name))
        for name in table.column_names
        if name != geom_col
    }
    return geoms, cols


def _arrow_column(column: Any) -> np.ndarray:
    """A pyarrow column as numpy without pandas.

    pyarrow's ``to_numpy`` reaches for pandas (a 0.4 s import) even for plain numbers, so
    values go through Python lists: ~10 ms per 100k values, and nulls become NaN/None.
    """
    import pyarrow as pa

    values = column.to_pylist()
    t = column.type
    if pa.types.is_floating(t) or (pa.types.is_integer(t) and column.null_count):
        return np.array(values, dtype=float)
    if pa.types.is_integer(t):
        return np.array(values, dtype=np.int64)
    if pa.types.is_nested(t):  # structs and lists (Overture's names, sources): as text
        values = [None if v is None else str(v) for v in values]
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def parse_heights(values: np.ndarray) -> np.ndarray:
    """Heights in metres for a whole column: numbers directly, strings once per distinct
    value (100k rows of a few distinct strings parse in milliseconds)."""
    arr = np.asarray(values)
    if arr.dtype.kind in "biuf":
        out = arr.astype(float)
        return np.where(np.isfinite(out) & (out > 0), out, np.nan)
    text = np.array(["" if v is None else str(v) for v in arr], dtype=object)
    uniq, inverse = np.unique(text.astype(str), return_inverse=True)
    parsed = np.array([parse_height(u) if u not in ("", "None", "nan") else None for u in uniq])
    parsed = np.array([np.nan if v is None else v for v in parsed], dtype=float)
    return parsed[inverse.reshape(-1)]


def frame_for(geoms: np.ndarray, crs: Any) -> SceneFrame:
    """The scene frame for these geometries (see :func:`alatau_twin.io.georef.frame_for_crs`)."""
    import shapely

    xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
    return frame_for_crs(crs, np.array([xmin, xmax]), np.array([ymin, ymax]))


def read_vector(
    path: str | Path,
    frame: SceneFrame | None = None,
    crs: str | None = None,
    expect: str | None = None,
) -> tuple[list[Layer], SceneFrame]:
    """Layers from one vector file, in ``frame`` (chosen from the data when None).

    ``crs`` is assigned when the file has none (a file's own CRS always wins).
    ``expect="buildings"`` (a project's building layer) refuses points and lines;
    ``expect="areas"`` draws polygons (zones, parcels, water) draped on the ground.
    """
    import shapely
    from pyproj import CRS, Transformer

    path = Path(path)
    try:
        geoms, data, file_crs = _read_features(path)
    except Exception as exc:  # pyogrio/arrow raise many types; the user needs the file named
        raise VectorError(f"{path}: cannot read as a GIS vector file ({exc})") from None
    src_crs = file_crs or crs
    if src_crs is None:
        raise VectorError(
            f"{path}: the file has no CRS; give one with --crs EPSG:XXXX "
            "(or a crs override in the project file)"
        )
    try:
        src = CRS.from_user_input(src_crs)
    except Exception as exc:  # pyproj's CRSError; name the file and the value
        raise VectorError(f"{path}: cannot use CRS {src_crs!r} ({exc})") from None
    report = LayerReport(source=str(path))
    null = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    report.add("skipped_empty", int(null.sum()))
    if null.any():
        report.warnings.append(f"empty or null geometry at features {_rows(null)}: skipped")
    data = data.take(~null)
    g = geoms[~null]
    if len(g) == 0:
        raise VectorError(f"{path}: no usable geometries ({int(null.sum())} empty or null)")
    if frame is None:
        frame = frame_for(g, src)
    origin = np.array([frame.origin_e, frame.origin_n])
    # Geometries are moved into the frame per layer kind, below: buildings in the
    # frame's own CRS are extruded from the file's coordinates (see _buildings).
    shift: np.ndarray | None = None
    if src.to_epsg() == frame.epsg:
        shift = origin

        def to_local(geoms: np.ndarray) -> np.ndarray:
            return shapely.transform(geoms, lambda xy: xy - origin)
    else:
        tr = Transformer.from_crs(src, frame.epsg, always_xy=True)

        def to_local(geoms: np.ndarray) -> np.ndarray:
            return shapely.transform(
                geoms, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])) - origin
            )

    types = shapely.get_type_id(g)
    layers: list[Layer] = []
    stem = path.name.split(".")[0]
    poly = np.isin(types, (3, 6))
    line = np.isin(types, (1, 2, 5))
    pts = np.isin(types, (0, 4))
    if expect == "buildings" and (line.any() or pts.any()):
        bad = line | pts
        raise VectorError(
            f"{path}: a building layer needs polygons, but {int(bad.sum())} features are "
            f"points or lines (features {_rows(bad)})"
        )
    if poly.any() and expect == "areas":
        layers.append(_areas(stem, data.take(poly), to_local(g[poly]), report))
    elif poly.any():
        layers.append(_buildings(stem, data.take(poly), g[poly], report, to_local, shift))
    if line.any():
        layers.append(
            _lines(
                f"{stem} lines" if poly.any() else stem, data.take(line), to_local(g[line]), path
            )
        )
    if pts.any():
        name = f"{stem} points" if len(layers) else stem
        layers.append(_points(name, data.take(pts), to_local(g[pts]), path))
    return layers, frame


def _table(data: _Data, prefix: str) -> AttributeTable:
    cols: dict[str, Any] = {}
    for c, values in data.cols.items():
        if values.dtype.kind not in "biufUSO":
            values = values.astype(str)
        cols[str(c)] = values
    ids = cols.get("id")
    # Ids read as text are used as they are (str() of 100k strings cost ~0.1 s).
    text = None if ids is None else ids.tolist() if ids.dtype == object else list(ids)
    if text is not None and set(map(type, text)) != {str}:
        text = [str(v) for v in text]  # numpy scalars as str() of numpy scalars, as before
    if text is None or len(set(text)) != len(data):
        cols["id"] = np.array([f"{prefix}-{i}" for i in range(len(data))], dtype=object)
    else:
        out = np.empty(len(text), dtype=object)
        out[:] = text
        cols["id"] = out
    return AttributeTable(cols)


def _exact_shift(geoms: np.ndarray, shift: np.ndarray) -> bool:
    """Is ``xy - shift`` exact for every coordinate of ``geoms``?

    Sterbenz's lemma: ``a - b`` is exact in floating point when ``b/2 <= a <= 2b``. Then
    the translated footprints are the file's, moved exactly: validity and areas are
    the same whether asked of the file's coordinates or of the translated ones. Data in
    a projected CRS around a frame origin at its centre (UTM: hundreds of km east,
    thousands north) always passes; anything else is translated first.
    """
    import shapely

    xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
    for lo, hi, o in ((xmin, xmax, shift[0]), (ymin, ymax, shift[1])):
        if o == 0:
            continue
        a, b = (lo, hi) if o > 0 else (-hi, -lo)
        if not (abs(o) / 2 <= a and b <= 2 * abs(o)):
            return False
    return True


class _Background:
    """A call run in a worker thread, joined with :meth:`result`. shapely releases the
    GIL in its vectorised functions, so a GEOS pass (the validity check of 100k
    footprints, 0.13-0.2 s) overlaps with the reader's own work on the second core."""

    def __init__(self, fn: Callable[..., Any], *args: Any) -> None:
        import threading

        self._out: list[Any] = []
        self._err: list[BaseException] = []

        def run() -> None:
            try:
                self._out.append(fn(*args))
            except BaseException as exc:  # handed to the caller in result()
                self._err.append(exc)

        self._thread = threading.Thread(target=run, name="alatau-io-worker", daemon=True)
        self._thread.start()

    def result(self) -> Any:
        self._thread.join()
        if self._err:
            raise self._err[0]
        return self._out[0]


def _buildings(
    name: str,
    data: _Data,
    geoms: np.ndarray,
    report: LayerReport,
    to_local: Callable[[np.ndarray], np.ndarray],
    shift: np.ndarray | None,
) -> BuildingLayer:
    """Footprints (in the file's CRS) extruded into a building layer in the frame.

    ``to_local`` moves geometries into the frame; ``shift`` is the frame origin when
    that is a plain translation (the file is in the frame's CRS), else None.

    With an exact translation (see :func:`_exact_shift`) the footprints are checked,
    split into parts and extruded in the file's coordinates, the extrusion subtracting
    the origin from the flat coordinate array; the translated footprints the layer
    keeps are made only when something asks for them. Otherwise they are translated
    (or reprojected) first, as everything is checked in the frame. Either way the mesh,
    the repairs and the report are the same, and the invalid ones are repaired in the
    frame's coordinates.
    """
    import shapely

    from alatau_twin.core.extrude import extrude_parts, footprint_parts

    if shift is None or not _exact_shift(geoms, shift):
        geoms, shift = to_local(geoms), None
    # The validity check runs in a worker thread while this one splits the footprints
    # into parts and reads heights; the few invalid ones are patched in afterwards.
    check = _Background(shapely.is_valid, geoms)
    parts, part_feat = footprint_parts(geoms, data.one_ring)
    # Tallied apart and appended after the repairs, in the order a report always had.
    attr_report = LayerReport()
    table, height, min_height, use = _building_attributes(name, data, attr_report)
    invalid = ~check.result()
    bad = np.flatnonzero(invalid)
    repaired = np.empty(len(bad), dtype=object)
    if len(bad):
        # Repaired in the frame's coordinates, as they always were.
        fixed = shapely.make_valid(geoms[bad] if shift is None else to_local(geoms[bad]))
        # make_valid may return collections; keep their polygonal parts.
        repaired[:] = [_polygonal(f) for f in fixed]
        report.add("repaired", len(bad))
        report.warnings.append(f"invalid polygons at features {_rows(invalid)}: repaired")
        fixed_parts, fixed_row = footprint_parts(repaired)
        keep = ~invalid[part_feat]
        parts = np.concatenate([parts[keep], fixed_parts])
        part_feat = np.concatenate([part_feat[keep], bad[fixed_row]])
        order = np.argsort(part_feat, kind="stable")
        parts, part_feat = parts[order], part_feat[order]
    footprints: np.ndarray | Callable[[], np.ndarray]
    offset: np.ndarray | None = None
    if shift is None:
        footprints = geoms.copy() if len(bad) else geoms
        footprints[bad] = repaired
    else:
        # Repaired ones are local already; one shared shift keeps the extrusion's
        # subtraction a broadcast instead of a per-coordinate gather.
        offset = np.where(invalid[:, None], 0.0, shift) if len(bad) else shift
        src = geoms

        def footprints() -> np.ndarray:
            out = to_local(src)
            out[bad] = repaired
            return out

    for key, n in attr_report.counts.items():
        report.add(key, n)
    report.warnings.extend(attr_report.warnings)
    mesh = extrude_parts(parts, part_feat, len(geoms), height, 0.0, min_height, offset)
    layer = BuildingLayer(name, mesh, table, footprints=footprints, report=report)
    layer.draped = False  # type: ignore[attr-defined]  # base 0 until a terrain drapes it
    if use is not None:
        layer.colors = categorical_colors(use, USE_COLORS)
    else:
        layer.colors[:] = USE_COLORS["residential"]
    return layer


def _building_attributes(
    name: str, data: _Data, report: LayerReport
) -> tuple[AttributeTable, np.ndarray, np.ndarray, Any]:
    """(table, height, min_height, use column or None) of footprints' attributes:
    heights measured, inferred from levels or defaulted by use, each counted."""
    table = _table(data, name)
    n = len(data)
    height = np.full(n, np.nan)
    src = np.full(n, "defaulted", dtype=object)
    if "height" in data.cols:
        h = parse_heights(data.cols["height"])
        ok = np.isfinite(h)
        height[ok] = h[ok]
        src[ok] = "measured"
    for col in _LEVEL_COLUMNS:
        if col in data.cols:
            lv = parse_heights(data.cols[col])
            use = ~np.isfinite(height) & np.isfinite(lv)
            height[use] = lv[use] * STOREY_HEIGHT_M
            src[use] = "inferred"
    use = next((table[c] for c in _USE_COLUMNS if c in table), None)
    miss = ~np.isfinite(height)
    if use is not None:
        # Once per distinct use, not per building (0.1 s at 100k rows).
        kinds, inverse = unique_text(use)
        per_kind = np.array([DEFAULT_HEIGHT_BY_USE.get(k.lower(), np.nan) for k in kinds])
        by_use = per_kind[inverse.reshape(-1)]
        height[miss] = by_use[miss]
    still = ~np.isfinite(height)
    height[still] = DEFAULT_HEIGHT_M
    for k in ("measured", "inferred", "defaulted"):
        report.add(k, int((src == k).sum()))
    if miss.any():
        report.warnings.append(
            f"{int(miss.sum())} buildings have no height or levels: drawn at a default height "
            f"for their use ({DEFAULT_HEIGHT_M:g} m where the use is unknown)"
        )
    min_height = np.zeros(n)
    for col, per_level in (
        ("min_height", 1.0),
        ("building:min_level", STOREY_HEIGHT_M),
        ("min_level", STOREY_HEIGHT_M),
    ):
        if col in data.cols:
            mh = parse_heights(data.cols[col]) * per_level
            take = (min_height == 0) & np.isfinite(mh)
            min_height[take] = mh[take]
    raised = min_height > 0
    if raised.any():
        report.add("raised_parts", int(raised.sum()))
        bad = min_height >= height
        if bad.any():
            report.warnings.append(
                f"min_height at or above height at features {_rows(bad)}: drawn from the ground"
            )
            min_height[bad] = 0.0
    table["height"] = height
    table["height_source"] = src
    table["min_height"] = min_height
    return table, height, min_height, use


def _areas(name: str, data: _Data, geoms: np.ndarray, report: LayerReport) -> AreaLayer:
    """Polygons as tinted areas; flat at first, draped once a terrain is known."""
    layer = AreaLayer(
        name, TriangleMesh.empty(), [], _table(data, name), opacity=0.35, report=report
    )
    layer.polygons = geoms  # type: ignore[attr-defined]
    layer.draped = False  # type: ignore[attr-defined]
    drape_area_layer(layer, lambda x, y: np.zeros(np.shape(x)))
    cat = layer.table.get("kind", layer.table.get("class", layer.table.get("name")))
    layer.colors = (
        categorical_colors(cat) if cat is not None else np.tile(CATEGORY_PALETTE[0], (len(data), 1))
    ).astype(np.uint8)
    return layer


def drape_area_layer(layer: AreaLayer, ground: Any) -> None:
    """(Re)build an area layer's mesh and outlines on ``ground(x, y)``."""
    import shapely

    from alatau_twin.core.drape import drape_polygon

    meshes, outlines = [], []
    for row, geom in enumerate(layer.polygons):  # type: ignore[attr-defined]
        for part in shapely.get_parts(geom):
            if part.is_empty or part.geom_type != "Polygon":
                continue
            cell = max(50.0, min(400.0, np.sqrt(part.area) / 20))
            meshes.append(drape_polygon(part, ground, row, 1.0, cell))
            ring = np.asarray(shapely.segmentize(part.exterior, cell).coords)[:, :2]
            outlines.append(np.column_stack([ring, ground(ring[:, 0], ring[:, 1]) + 1.5]))
    layer.mesh = TriangleMesh.concatenate(meshes)
    layer.outlines = outlines


def _rows(mask: np.ndarray, limit: int = 10) -> str:
    """Row numbers of a mask for a message: '3, 17, 42' or '3, 17, ... (120 in all)'."""
    idx = np.flatnonzero(mask)
    text = ", ".join(str(i) for i in idx[:limit])
    return text + (f", ... ({len(idx)} in all)" if len(idx) > limit else "")


def _polygonal(geom: Any) -> Any:
    import shapely

    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else None


def _lines(name: str, data: _Data, geoms: np.ndarray, path: Path) -> LineLayer:
    import shapely

    parts, index = shapely.get_parts(geoms, return_index=True)
    lines = [
        np.column_stack([c, np.full(len(c), 1.0)]) for c in map(shapely.get_coordinates, parts)
    ]
    table = _table(data.take(index), name)
    layer = LineLayer(name, lines, table, report=LayerReport(source=str(path)))
    layer.draped = False  # type: ignore[attr-defined]
    layer.colors[:] = (90, 90, 90)
    return layer


def _points(name: str, data: _Data, geoms: np.ndarray, path: Path) -> PointLayer:
    import shapely

    parts, index = shapely.get_parts(geoms, return_index=True)
    xy = shapely.get_coordinates(parts)
    pts = np.column_stack([xy, np.full(len(xy), 2.0)])
    layer = PointLayer(name, pts, _table(data.take(index), name), report=LayerReport(str(path)))
    layer.draped = False  # type: ignore[attr-defined]
    layer.colors[:] = (220, 60, 60)
    return layer
