"""GeoPackage feature tables read straight from SQLite (io: no Qt, no VTK).

Why: a GeoPackage is an SQLite database, and Python reads SQLite without GDAL. Going
through GDAL means importing pyogrio, and ``import pyogrio`` imports geopandas and pandas
(pyogrio's ``_compat`` module does it on import): 0.6-1.0 s of a 100k-building
``alatau-twin render city.gpkg``, more than reading the file. This module reads the
common case itself, with the same result pyogrio's Arrow reader gives
(:func:`alatau_twin.io.vector._arrow_features`): the same rows in the same order, the
same geometries and the same column values and dtypes.

It reads only what it can read exactly like GDAL: a file with a single feature table
(the first layer is then unambiguous), an integer primary key, an EPSG CRS, standard
GeoPackage geometry blobs, and columns of the plain GeoPackage types (integers,
booleans, reals, text) holding values of their declared type. Anything else (several
tables, dates, blobs, views, curved or unreadable geometries, a value of another type
in a column) returns None, and the caller reads the file through GDAL as before.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

__all__ = ["GpkgFeatures", "GpkgTable", "read_gpkg", "single_feature_table"]

# Declared column types (upper case) -> how GDAL's Arrow stream gives them: "int"
# (int64/int32/int16, with the value range GDAL keeps), "bool", "float64", "float32",
# "text". GDAL's GPkgFieldToOGR maps these; any other declared type is read by GDAL.
_INT_RANGE = {
    "INTEGER": None,
    "INT": None,
    "MEDIUMINT": (-(2**31), 2**31 - 1),
    "SMALLINT": (-(2**15), 2**15 - 1),
    "TINYINT": (-(2**15), 2**15 - 1),  # GDAL reads TINYINT as Int16
}
_REAL_TYPES = {"REAL": "float64", "DOUBLE": "float64", "FLOAT": "float32"}
# Geometry blob header length by the flags byte's envelope code (bits 1-3).
_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}


@dataclass(frozen=True)
class GpkgTable:
    """The one feature table of a GeoPackage: names, declared types and its CRS."""

    name: str
    geometry_column: str
    geometry_type: str  # as gpkg_geometry_columns declares it, e.g. "MULTIPOLYGON"
    fid_column: str
    fields: tuple[tuple[str, str], ...]  # (name, declared type upper case), file order
    crs: str  # "EPSG:<code>"


def _connect(path: Path) -> sqlite3.Connection:
    # Read-only: reading must never create a journal or change the file.
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def single_feature_table(path: str | Path) -> GpkgTable | None:
    """The file's feature table when it has exactly one and this module can read it,
    else None (not a GeoPackage, several tables, or anything GDAL must decide)."""
    path = Path(path)
    if path.suffix.lower() != ".gpkg" or not path.is_file():
        return None
    try:
        con = _connect(path)
        try:
            return _table_info(con)
        finally:
            con.close()
    except (sqlite3.Error, ValueError, TypeError, IndexError):
        return None


def _table_info(con: sqlite3.Connection) -> GpkgTable | None:
    contents = con.execute("SELECT table_name, data_type FROM gpkg_contents").fetchall()
    if len(contents) != 1 or str(contents[0][1]).lower() != "features":
        return None
    table = str(contents[0][0])
    kind = con.execute(
        "SELECT type FROM sqlite_master WHERE name = ? COLLATE NOCASE", (table,)
    ).fetchall()
    if [tuple(k) for k in kind] != [("table",)]:
        return None  # a view or a missing table: GDAL's business
    # GDAL also lists tables missing from gpkg_contents (LIST_ALL_TABLES=AUTO) as
    # layers: with any such table, which layer comes first is GDAL's to say.
    others = con.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name != ? COLLATE NOCASE "
        "AND name NOT LIKE 'gpkg%' AND name NOT LIKE 'rtree%' AND name NOT LIKE 'sqlite%'",
        (table,),
    ).fetchall()
    if others:
        return None
    geom = con.execute(
        "SELECT column_name, geometry_type_name, srs_id FROM gpkg_geometry_columns "
        "WHERE table_name = ? COLLATE NOCASE",
        (table,),
    ).fetchall()
    if len(geom) != 1:
        return None
    geom_col, geom_type, srs_id = str(geom[0][0]), str(geom[0][1]).upper(), geom[0][2]
    srs = con.execute(
        "SELECT organization, organization_coordsys_id FROM gpkg_spatial_ref_sys WHERE srs_id = ?",
        (srs_id,),
    ).fetchall()
    if len(srs) != 1 or str(srs[0][0]).upper() != "EPSG" or not isinstance(srs[0][1], int):
        return None
    if srs[0][1] <= 0:
        return None
    columns = con.execute(f"PRAGMA table_info({_quote(table)})").fetchall()
    pk = [c for c in columns if c[5]]
    if len(pk) != 1 or str(pk[0][2]).upper() != "INTEGER":
        return None  # GDAL's FID is the integer primary key
    fields: list[tuple[str, str]] = []
    for _cid, name, decl, _notnull, _default, is_pk in columns:
        if is_pk or str(name).lower() == geom_col.lower():
            continue
        decl = str(decl).upper()
        if not (decl in _INT_RANGE or decl in _REAL_TYPES or decl == "BOOLEAN" or _is_text(decl)):
            return None
        fields.append((str(name), decl))
    return GpkgTable(table, geom_col, geom_type, str(pk[0][1]), tuple(fields), f"EPSG:{srs[0][1]}")


def _is_text(decl: str) -> bool:
    """TEXT or TEXT(n), the string types GDAL reads without a warning."""
    if decl == "TEXT":
        return True
    return decl.startswith("TEXT(") and decl.endswith(")") and decl[5:-1].isdigit()


class GpkgFeatures(NamedTuple):
    """What :func:`read_gpkg` read: the first three as GDAL's Arrow reader gives them."""

    crs: str
    geoms: np.ndarray
    cols: dict[str, np.ndarray]
    # Per feature: a MultiPolygon of one polygon without holes (read from its WKB), which
    # the extrusion need not split (see alatau_twin.core.extrude.footprint_parts).
    one_ring: np.ndarray


def read_gpkg(path: str | Path) -> GpkgFeatures | None:
    """(CRS, shapely geometries, attribute columns, one-ring flags) of a single-table
    GeoPackage, the first three as :func:`alatau_twin.io.vector._read_ogr_arrow` gives
    them; None when GDAL must read the file (see the module docstring)."""
    path = Path(path)
    try:
        con = _connect(path)
    except sqlite3.Error:
        return None
    try:
        info = _table_info(con)
        if info is None:
            return None
        wkb_sql = _wkb_expression(con, info)
        if wkb_sql is None:
            return None
        names = [_quote(f) for f, _ in info.fields]
        sql = (
            f"SELECT {', '.join([wkb_sql, _one_ring_sql(wkb_sql), *names])} "
            f"FROM {_quote(info.name)} ORDER BY {_quote(info.fid_column)}"
        )
        rows = con.execute(sql).fetchall()
    except (sqlite3.Error, ValueError, TypeError, IndexError):
        return None  # includes text that is not UTF-8: GDAL decides what to do with it
    finally:
        con.close()
    if rows:
        wkb_values, one_ring, *values = zip(*rows, strict=True)
    else:
        wkb_values, one_ring, values = (), (), [() for _ in info.fields]
    cols: dict[str, np.ndarray] = {}
    for (name, decl), column in zip(info.fields, values, strict=True):
        arr = _column(column, decl)
        if arr is None:
            return None
        cols[name] = arr
    wkb = np.empty(len(wkb_values), dtype=object)
    wkb[:] = wkb_values
    import shapely

    try:
        geoms = shapely.from_wkb(wkb)
    except Exception:  # a geometry shapely cannot read: GDAL's reader reports it
        return None
    return GpkgFeatures(info.crs, geoms, cols, np.array(one_ring, dtype=bool))


# WKB type codes of a MultiPolygon, little-endian: 2D, Z, M, ZM (ISO) and Z, M, ZM
# (EWKB flags, without an SRID); the header layout after them is the same for all.
_MULTIPOLYGON_TYPES = ", ".join(
    f"X'{code.to_bytes(4, 'little').hex().upper()}'"
    for code in (6, 1006, 2006, 3006, 0x80000006, 0x40000006, 0xC0000006)
)


def _one_ring_sql(wkb: str) -> str:
    """SQL: 1 when the WKB is a little-endian MultiPolygon of one polygon with a single
    ring (byte order, type, 1 part; the part's byte order, type, 1 ring), else 0.

    Asked of SQLite, 100k geometries cost a few milliseconds and their answers are
    Python's cached small integers; parsing the headers in Python cost ~45 ms.
    """
    return (
        f"(substr({wkb}, 1, 1) = X'01' AND substr({wkb}, 2, 4) IN ({_MULTIPOLYGON_TYPES}) "
        f"AND substr({wkb}, 6, 4) = X'01000000' AND substr({wkb}, 10, 1) = X'01' "
        f"AND substr({wkb}, 15, 4) = X'01000000')"
    )


def _wkb_expression(con: sqlite3.Connection, info: GpkgTable) -> str | None:
    """SQL giving the WKB inside each row's geometry blob (NULL for none), or None when a
    blob is not a standard GeoPackage one (another version, extended, not a blob).

    SQLite cuts each blob's header off itself: done in Python, checking and slicing
    100k blobs took ~0.1 s. One pass first lists the distinct headers (magic, version,
    flags); the flags byte says how long the envelope after them is.
    """
    g = _quote(info.geometry_column)
    kinds = con.execute(
        f"SELECT DISTINCT typeof({g}), hex(substr({g}, 1, 4)), length({g}) < 8 "
        f"FROM {_quote(info.name)}"
    ).fetchall()
    lengths: dict[str, int] = {}
    for kind, head, short in kinds:
        if kind == "null":
            continue
        if kind != "blob" or short or len(head) != 8 or head[:6] != "475000":  # b"GP\0"
            return None
        flags = int(head[6:], 16)
        envelope = (flags >> 1) & 7
        if flags & 0x20 or envelope not in _ENVELOPE_BYTES:
            return None  # extended GeoPackage binary, or an invalid envelope code
        lengths[head[6:]] = 8 + _ENVELOPE_BYTES[envelope]
    if not lengths:
        return g  # every geometry is NULL
    if len(set(lengths.values())) == 1:
        return f"substr({g}, {1 + next(iter(lengths.values()))})"
    cases = " ".join(f"WHEN '{flags}' THEN {n}" for flags, n in lengths.items())
    return f"substr({g}, 1 + CASE hex(substr({g}, 4, 1)) {cases} END)"


def _column(values: tuple[Any, ...], decl: str) -> np.ndarray | None:
    """One column as :func:`alatau_twin.io.vector._arrow_column` makes GDAL's Arrow
    values: int64 (float with NaN when there are nulls), float, object arrays of bool
    or str (None for nulls). None when a value is not of the declared type."""
    kinds = set(map(type, values))
    has_null = type(None) in kinds
    kinds.discard(type(None))
    if decl in _INT_RANGE:
        if not kinds <= {int}:
            return None
        lo, hi = _INT_RANGE[decl] or (-(2**63), 2**63 - 1)
        present = [v for v in values if v is not None] if has_null else values
        if present and (min(present) < lo or max(present) > hi):
            return None  # outside what GDAL's integer type for the column holds
        return np.array(values, dtype=float) if has_null else np.array(values, dtype=np.int64)
    if decl in _REAL_TYPES:
        if not kinds <= {int, float}:
            return None
        out = np.array(values, dtype=float)  # None -> NaN, as to_pylist's None did
        if _REAL_TYPES[decl] == "float32":
            out = out.astype(np.float32).astype(float)  # GDAL hands FLOAT as float32
        return out
    if decl == "BOOLEAN":
        if not kinds <= {int} or not {v for v in values if v is not None} <= {0, 1}:
            return None
        arr = np.empty(len(values), dtype=object)
        arr[:] = [None if v is None else bool(v) for v in values]
        return arr
    if not kinds <= {str}:  # TEXT: numbers stored in a text column are GDAL's to render
        return None
    arr = np.empty(len(values), dtype=object)
    arr[:] = values
    return arr
