"""io: GeoPackages read straight from SQLite give exactly what GDAL's Arrow reader gives,
and everything else is left to GDAL."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon, box

from alatau_twin.io.gpkg import read_gpkg, single_feature_table
from alatau_twin.io.network_import import sniff_network
from alatau_twin.io.vector import _read_ogr_arrow, read_vector

E0, N0 = 668_000.0, 4_830_000.0


def _frame(n: int = 12, **extra):
    import geopandas as gpd
    import pandas as pd

    geoms = []
    for i in range(n):
        x, y = E0 + 40 * i, N0 + 7 * i
        k = i % 6
        if k == 0:
            geoms.append(box(x, y, x + 20, y + 15))
        elif k == 1:
            geoms.append(box(x, y, x + 40, y + 30).difference(box(x + 10, y + 8, x + 30, y + 22)))
        elif k == 2:
            geoms.append(MultiPolygon([box(x, y, x + 10, y + 10), box(x + 20, y, x + 30, y + 9)]))
        elif k == 3:
            geoms.append(Polygon([(x, y), (x + 20, y + 20), (x + 20, y), (x, y + 20)]))  # bowtie
        elif k == 4:
            geoms.append(None if i % 12 == 4 else MultiPolygon([box(x, y, x + 9, y + 9)]))
        elif i % 12 == 5:
            geoms.append(Polygon())
        else:  # one polygon with a hole, as a MultiPolygon
            geoms.append(
                MultiPolygon([box(x, y, x + 9, y + 9).difference(box(x + 2, y + 2, x + 4, y + 4))])
            )
    cols = {
        "id": [f"B{i}" for i in range(n)],
        "height": [np.nan if i % 5 == 0 else 3.0 + i for i in range(n)],
        "f32": np.linspace(0.1, 1.1, n).astype(np.float32),
        "i64": np.arange(n, dtype=np.int64) * 10**12,
        "i32": np.arange(n, dtype=np.int32),
        "i16": np.arange(n, dtype=np.int16),
        "inull": pd.array([None if i % 4 == 0 else i for i in range(n)], dtype="Int64"),
        "flag": [i % 3 == 0 for i in range(n)],
        "use": [None if i % 4 == 1 else ("офис", "house", "retail")[i % 3] for i in range(n)],
        **extra,
    }
    return gpd.GeoDataFrame(cols, geometry=geoms, crs="EPSG:32643")


def _write(path: Path, gdf, **options) -> Path:
    gdf.to_file(path, driver="GPKG", **options)
    return path


def _assert_same(fast, gdal) -> None:
    """The SQLite reader's (crs, geometries, columns) equal GDAL Arrow's exactly, and
    its one-ring flags are true exactly for MultiPolygons of one hole-free polygon."""
    crs, geoms, cols, one_ring = fast
    parts = shapely.get_num_geometries(geoms)
    multi = shapely.get_type_id(geoms) == 6
    rings = np.array(
        [
            len(shapely.get_rings(shapely.get_geometry(g, 0))) if m and p == 1 else 0
            for g, m, p in zip(geoms, multi, parts, strict=True)
        ]
    )
    assert np.array_equal(one_ring, multi & (parts == 1) & (rings == 1))
    crs_ref, geoms_ref, cols_ref = gdal
    assert crs == crs_ref
    assert len(geoms) == len(geoms_ref)
    missing = shapely.is_missing(geoms)
    assert np.array_equal(missing, shapely.is_missing(geoms_ref))
    assert shapely.equals_identical(geoms[~missing], geoms_ref[~missing]).all()
    assert list(cols) == list(cols_ref)
    for name, ref in cols_ref.items():
        got = cols[name]
        assert got.dtype == ref.dtype, name
        if ref.dtype == object:
            assert [(type(v), v) for v in got] == [(type(v), v) for v in ref], name
        else:
            assert np.array_equal(got, ref, equal_nan=True), name


def test_plain_geopackage_reads_like_gdal(tmp_path) -> None:
    path = _write(tmp_path / "city.gpkg", _frame())
    fast = read_gpkg(path)
    assert fast is not None
    _assert_same(fast, _read_ogr_arrow(path, None))


def test_polygons_with_z_and_all_null_geometries_read_like_gdal(tmp_path) -> None:
    gdf = _frame(6)
    gdf.geometry = [shapely.force_3d(g, 5.0) if g is not None else None for g in gdf.geometry]
    path = _write(tmp_path / "z.gpkg", gdf)
    _assert_same(read_gpkg(path), _read_ogr_arrow(path, None))
    empty = _frame(3)
    empty.geometry = [None, None, None]
    path = _write(tmp_path / "none.gpkg", empty)
    fast = read_gpkg(path)
    if fast is not None:  # GDAL may declare such a table without geometry column
        _assert_same(fast, _read_ogr_arrow(path, None))


def test_rows_come_in_fid_order_like_gdal(tmp_path) -> None:
    # No R-tree: its triggers call SpatiaLite functions plain SQLite lacks.
    path = _write(tmp_path / "city.gpkg", _frame(), SPATIAL_INDEX="NO")
    with sqlite3.connect(path) as con:  # a re-inserted first row: rowid order != insertion
        row = con.execute('SELECT * FROM "city" WHERE fid = 1').fetchone()
        con.execute('DELETE FROM "city" WHERE fid = 1')
        con.execute(f'INSERT INTO "city" VALUES ({", ".join("?" * len(row))})', (99, *row[1:]))
    _assert_same(read_gpkg(path), _read_ogr_arrow(path, None))


@pytest.mark.filterwarnings("ignore:More than one layer found")
@pytest.mark.parametrize(
    "change",
    ["datetime_column", "second_table", "custom_crs", "text_in_integer_column", "extended_blob"],
)
def test_anything_unusual_is_left_to_gdal(tmp_path, change) -> None:
    import pandas as pd

    gdf = _frame(6)
    if change == "datetime_column":  # a DATETIME column: GDAL's own conversions
        gdf["when"] = pd.to_datetime([f"2030-01-0{1 + i} 10:00" for i in range(6)])
    if change == "custom_crs":
        gdf = gdf.set_crs("+proj=tmerc +lat_0=0 +lon_0=77 +k=1 +x_0=0 +y_0=0", allow_override=True)
    path = _write(tmp_path / "x.gpkg", gdf, SPATIAL_INDEX="NO")
    if change == "second_table":
        _frame(2).to_file(path, driver="GPKG", layer="other")
    if change == "text_in_integer_column":
        with sqlite3.connect(path) as con:
            con.execute("UPDATE \"x\" SET i32 = 'seven' WHERE fid = 2")
    if change == "extended_blob":
        with sqlite3.connect(path) as con:  # flags bit 5: ExtendedGeoPackageBinary
            con.execute("UPDATE \"x\" SET geom = X'47500023' || substr(geom, 5) WHERE fid = 1")
    assert read_gpkg(path) is None
    if change not in ("text_in_integer_column", "extended_blob"):
        (layer,) = read_vector(path)[0]  # GDAL reads it as before
        assert layer.n_features > 0


def test_single_table_schema_and_network_sniffing(tmp_path) -> None:
    path = _write(tmp_path / "city.gpkg", _frame())
    table = single_feature_table(path)
    assert table is not None
    assert table.name == "city" and table.geometry_column == "geom" and table.crs == "EPSG:32643"
    assert [f for f, _ in table.fields][:3] == ["id", "height", "f32"]
    assert not sniff_network(path)
    # Polygons with from/to columns: the schema alone cannot say, GDAL looks (no network).
    odd = _write(tmp_path / "odd.gpkg", _frame(from_id=["a"] * 12, to_id=["b"] * 12))
    assert not sniff_network(odd)
    assert single_feature_table(tmp_path / "missing.gpkg") is None
    (tmp_path / "not.gpkg").write_text("not a database")
    assert single_feature_table(tmp_path / "not.gpkg") is None
    assert read_gpkg(tmp_path / "not.gpkg") is None


def test_read_vector_result_does_not_depend_on_the_reader(tmp_path, monkeypatch) -> None:
    """The whole layer (mesh, table, report) is the same through SQLite and GDAL."""
    import alatau_twin.io.vector as vector

    path = _write(tmp_path / "city.gpkg", _frame(30))
    (fast,), _ = read_vector(path)
    monkeypatch.setattr(vector, "read_gpkg", lambda p: None)
    (gdal,), _ = read_vector(path)
    assert np.array_equal(fast.mesh.points, gdal.mesh.points)
    assert np.array_equal(fast.mesh.triangles, gdal.mesh.triangles)
    assert fast.table.columns == gdal.table.columns
    for name in fast.table.columns:
        assert [str(v) for v in fast.table[name]] == [str(v) for v in gdal.table[name]]
    assert fast.report.to_dict() == gdal.report.to_dict()
    assert fast.report.counts["repaired"] == 5 and fast.report.counts["skipped_empty"] == 6
