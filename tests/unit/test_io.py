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
