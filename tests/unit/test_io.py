"""io: atomic saves, height parsing, vector loading with repairs and clear errors."""

from __future__ import annotations

import json
import os
import stat

import numpy as np
import pytest

from alatau_twin.io.atomic import atomic_write
from alatau_twin.io.loader import LoadError, load_scene
from alatau_twin.io.vector import VectorError, parse_height, read_vector


def test_atomic_write_replaces_whole_file_with_user_permissions(tmp_path) -> None:
    target = tmp_path / "out.bin"
    atomic_write(target, lambda fh: fh.write(b"first"))
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask
    assert target.read_bytes() == b"first"


def test_failed_atomic_write_keeps_the_old_file_and_no_temp(tmp_path) -> None:
    target = tmp_path / "out.bin"
    target.write_bytes(b"precious")

    def broken(fh) -> None:
        fh.write(b"half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_write(target, broken)
    assert target.read_bytes() == b"precious"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


@pytest.mark.parametrize(
    ("value", "metres"),
    [(12.5, 12.5), ("12.5 m", 12.5), ("40ft", 12.192), ("7,5", 7.5), ("abc", None), (-3, None)],
)
def test_heights_parse_numbers_and_units(value, metres) -> None:
    got = parse_height(value)
    assert got == pytest.approx(metres) if metres is not None else got is None


def _geojson(tmp_path, features, crs: bool = True):
    doc = {"type": "FeatureCollection", "features": features}
    if crs:
        doc["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32643"}}
    path = tmp_path / "layer.geojson"
    path.write_text(json.dumps(doc))
    return path


def _square(x, y, s=10.0):
    return [[[x, y], [x + s, y], [x + s, y + s], [x, y + s], [x, y]]]


def test_footprints_get_heights_levels_defaults_and_repairs(tmp_path) -> None:
    bowtie = [[[0, 0], [10, 10], [10, 0], [0, 10], [0, 0]]]  # self-intersecting
    feats = [
        {
            "type": "Feature",
            "properties": {"height": "30 m"},
            "geometry": {"type": "Polygon", "coordinates": _square(668000, 4830000)},
        },
        {
            "type": "Feature",
            "properties": {"building:levels": 4},
            "geometry": {"type": "Polygon", "coordinates": _square(668050, 4830000)},
        },
        {
            "type": "Feature",
            "properties": {},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[x + 668100, y + 4830000] for x, y in bowtie[0]]],
            },
        },
        {"type": "Feature", "properties": {}, "geometry": None},
    ]
    layers, frame = read_vector(_geojson(tmp_path, feats))
    (layer,) = layers
    assert frame.epsg == 32643
    assert layer.n_features == 3
    counts = layer.report.counts
    assert counts["measured"] == 1 and counts["inferred"] == 1 and counts["defaulted"] == 1
    assert counts["repaired"] == 1 and counts["skipped_empty"] == 1
    assert layer.table["height"].tolist() == pytest.approx([30.0, 12.8, 10.0])
    assert layer.mesh.bounds()[5] == pytest.approx(30.0)
    assert np.all(np.abs(layer.mesh.points[:, :2]) < 1000)  # stored in local coordinates


def test_file_without_crs_is_refused_with_a_way_out(tmp_path) -> None:
    feats = [
        {
            "type": "Feature",
            "properties": {},
            "geometry": {"type": "Polygon", "coordinates": _square(10, 10)},
        }
    ]
    path = _geojson(tmp_path, feats, crs=False)
    csv = tmp_path / "nocrs.csv"
    csv.write_text('WKT,id\n"POLYGON ((0 0, 10 0, 10 10, 0 10, 0 0))",a\n')
    with pytest.raises(VectorError, match="no CRS; give one with --crs"):
        read_vector(csv)
    layers, frame = read_vector(csv, crs="EPSG:32643")
    assert layers[0].n_features == 1 and frame.epsg == 32643
    # GeoJSON without a crs member is lon/lat (RFC 7946): it gets its UTM zone (15° E: 33N).
    assert read_vector(path)[1].epsg == 32633


def test_loader_reports_every_bad_file_by_name(tmp_path) -> None:
    broken = tmp_path / "broken.gpkg"
    broken.write_bytes(b"not a geopackage")
    (tmp_path / "x.xyz").write_text("1 2 3")
    with pytest.raises(LoadError) as err:
        load_scene([str(broken), str(tmp_path / "missing.geojson"), str(tmp_path / "x.xyz")])
    text = str(err.value)
    assert "broken.gpkg" in text and "missing.geojson: no such file" in text
    assert "x.xyz: unsupported file type .xyz" in text


def test_raised_parts_and_defaults_by_use(tmp_path) -> None:
    feats = [
        {
            "type": "Feature",
            "properties": {"height": 20, "min_height": "8 m", "use": "office"},
            "geometry": {"type": "Polygon", "coordinates": _square(668000, 4830000)},
        },
        {
            "type": "Feature",
            "properties": {"building:levels": 5, "building:min_level": 2},
            "geometry": {"type": "Polygon", "coordinates": _square(668050, 4830000)},
        },
        {
            "type": "Feature",
            "properties": {"use": "garage"},
            "geometry": {"type": "Polygon", "coordinates": _square(668100, 4830000)},
        },
    ]
    (layer,), _ = read_vector(_geojson(tmp_path, feats))
    assert layer.table["height"].tolist() == pytest.approx([20.0, 16.0, 3.0])
    assert layer.table["min_height"].tolist() == pytest.approx([8.0, 6.4, 0.0])
    fi = layer.mesh.point_data["feature_index"]
    assert layer.mesh.points[fi == 0, 2].min() == pytest.approx(8.0)  # a bridge-like part
    assert layer.report.counts["raised_parts"] == 2
    assert "default height for their use" in " ".join(layer.report.warnings)


def _city_features(origin_e: float = 668_000.0, origin_n: float = 4_830_000.0) -> list[dict]:
    """Footprints with a hole, a multipolygon, a bowtie (repaired) and an empty one."""
    bowtie = [[0, 0], [10, 10], [10, 0], [0, 10], [0, 0]]
    ring = [[0, 0], [40, 0], [40, 30], [0, 30], [0, 0]]
    hole = [[10, 8], [10, 22], [30, 22], [30, 8], [10, 8]]

    def at(coords, dx):
        return [[x + origin_e + dx, y + origin_n] for x, y in coords]

    geoms = [
        {"type": "Polygon", "coordinates": _square(origin_e, origin_n)},
        {"type": "Polygon", "coordinates": [at(ring, 100), at(hole, 100)]},
        {
            "type": "MultiPolygon",
            "coordinates": [_square(origin_e + 200, origin_n), _square(origin_e + 230, origin_n)],
        },
        {"type": "Polygon", "coordinates": [at(bowtie, 300)]},
        None,
        {"type": "Polygon", "coordinates": [at(bowtie, 400)]},
    ]
    return [
        {"type": "Feature", "properties": {"height": 5.0 + i} if i != 2 else {}, "geometry": g}
        for i, g in enumerate(geoms)
    ]


@pytest.mark.parametrize("origin", [(668_000.0, 4_830_000.0), (5.0, 7.0)], ids=["utm", "near_zero"])
def test_buildings_mesh_is_the_extrusion_of_the_repaired_local_footprints(tmp_path, origin) -> None:
    """Whether extruded from the file's coordinates (UTM: the origin subtraction is exact)
    or translated first (coordinates near zero), the mesh is what the layer's local,
    repaired footprints extrude to, and the report reads as it always did."""
    import shapely

    from alatau_twin.core.extrude import extrude_footprints

    path = _geojson(tmp_path, _city_features(*origin))
    (layer,), frame = read_vector(path)
    counts = layer.report.counts
    assert list(counts) == ["skipped_empty", "repaired", "measured", "defaulted"]
    assert counts["repaired"] == 2 and counts["skipped_empty"] == 1
    assert layer.report.warnings[1].startswith("invalid polygons at features 3, 4")
    footprints = layer.footprints
    assert footprints is not None and len(footprints) == 5
    assert shapely.is_valid(footprints).all()
    mesh = extrude_footprints(footprints, layer.table["height"], 0.0, layer.table["min_height"])
    assert np.array_equal(layer.mesh.points, mesh.points)
    assert np.array_equal(layer.mesh.triangles, mesh.triangles)
    assert np.array_equal(layer.mesh.cell_data["feature_index"], mesh.cell_data["feature_index"])
    # Footprints in the frame: the file's, minus the origin (repaired ones as repaired).
    from shapely.geometry import shape

    raw = [shape(f["geometry"]) for f in _city_features(*origin)[:3]]
    moved = shapely.transform(
        np.asarray(raw, dtype=object), lambda xy: xy - [frame.origin_e, frame.origin_n]
    )
    assert shapely.equals_identical(footprints[:3], moved).all()


def test_building_footprints_are_made_only_when_asked_for(tmp_path, monkeypatch) -> None:
    import shapely

    calls = []
    transform = shapely.transform
    monkeypatch.setattr(shapely, "transform", lambda *a, **k: calls.append(1) or transform(*a, **k))
    (layer,), _ = read_vector(_geojson(tmp_path, _city_features()))
    made = len(calls)  # the two repaired footprints were moved into the frame to repair
    first = layer.footprints
    assert len(calls) == made + 1
    assert layer.footprints is first and len(calls) == made + 1  # made once
    layer.footprints = None
    assert layer.footprints is None
