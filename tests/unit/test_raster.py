"""Elevation rasters into terrain layers: real SRTM tiles and small GeoTIFFs written here."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from alatau_twin.core.frame import SceneFrame
from alatau_twin.core.layers import TerrainLayer
from alatau_twin.io.raster import RasterError, read_terrain

SRTM = Path(__file__).resolve().parents[1] / "data" / "srtm"
TILE = SRTM / "N43E076.hgt.zip"
# Republic Square, Almaty: about 874 m in SRTM (SOURCES.md).
REPUBLIC_SQUARE = (76.9456, 43.2383)


def _plane(e: np.ndarray, n: np.ndarray) -> np.ndarray:
    return 600.0 + 0.02 * (e - 668_000.0) - 0.01 * (n - 4_830_000.0)


def _write_geotiff(
    path: Path,
    z: np.ndarray,
    west: float,
    north: float,
    res: float,
    crs: str | None = "EPSG:32643",
    nodata: float | None = -9999.0,
) -> None:
    rasterio = pytest.importorskip("rasterio")
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=z.shape[0],
        width=z.shape[1],
        count=1,
        dtype="float32",
        crs=crs,
        # Affine directly: rasterio 1.4's from_origin warns about its own `*` use.
        transform=rasterio.Affine(res, 0.0, west, 0.0, -res, north),
        nodata=nodata,
    ) as ds:
        ds.write(z.astype(np.float32), 1)


def _plane_tiff(path: Path, res: float, size: int, hole: slice | None = None) -> None:
    """A tilted-plane DEM in UTM 43N around the Alatau origin, optionally with a hole."""
    west, north = 667_000.0, 4_831_000.0
    cols = west + res * (np.arange(size) + 0.5)
    rows = north - res * (np.arange(size) + 0.5)
    e, n = np.meshgrid(cols, rows)
    z = _plane(e, n)
    if hole is not None:
        z[hole, hole] = -9999.0
    _write_geotiff(path, z, west, north, res)


def test_srtm_tile_becomes_a_utm_terrain_in_its_own_frame() -> None:
    layers, frame = read_terrain(TILE)
    assert len(layers) == 1
    layer = layers[0]
    assert isinstance(layer, TerrainLayer)
    assert layer.name == "N43E076"
    assert frame.epsg == 32643  # UTM 43N holds 76-77 E
    grid = layer.grid
    assert grid.epsg == 32643 and (grid.origin_e, grid.origin_n) == (frame.origin_e, frame.origin_n)
    assert grid.nx <= 1000 and grid.ny <= 1000
    assert grid.dx >= 80  # native ~80 m, raised to stay within 1000 nodes over 111 km
    assert not np.isnan(grid.z).any()
    lo, hi = grid.z_range
    assert 490 < lo < 560 and 3_900 < hi < 4_130  # the tile holds 497-4124 m
    assert layer.report.counts["voids_filled"] > 0
    assert layer.report.counts["nodes"] == grid.nx * grid.ny
    x, y = frame.from_lonlat(*REPUBLIC_SQUARE)
    assert float(grid.elevation_at(x, y)) == pytest.approx(874.0, abs=40.0)


def test_srtm_through_rasterio_vsizip_matches_read_hgt() -> None:
    pytest.importorskip("rasterio")
    a, fa = read_terrain(TILE)
    b, fb = read_terrain(f"/vsizip/{TILE}/N43E076.hgt")
    assert fa == fb
    assert (a[0].grid.nx, a[0].grid.ny, a[0].grid.dx) == (b[0].grid.nx, b[0].grid.ny, b[0].grid.dx)
    assert np.abs(a[0].grid.z - b[0].grid.z).max() < 0.01
    assert a[0].report.counts == b[0].report.counts


def test_srtm_in_the_alatau_frame_matches_the_sample_resampler() -> None:
    from alatau_twin.io.srtm import read_hgt, resample_to_utm

    frame = SceneFrame()
    layer = read_terrain(TILE, frame, spacing=500.0, exaggeration=2.0)[0][0]
    g = layer.grid
    assert layer.exaggeration == 2.0
    assert g.dx == 500.0 and g.x0 % 500.0 == 0 and g.y0 % 500.0 == 0
    xmin, xmax, ymin, ymax = g.bounds
    ref = resample_to_utm(
        [read_hgt(TILE)], frame.epsg, frame.origin_e, frame.origin_n, xmin, xmax, ymin, ymax, 500.0
    )
    assert ref.z.shape == g.z.shape
    assert np.abs(ref.z - g.z).max() < 0.01


def test_geotiff_with_a_nodata_hole_is_filled_and_sampled_in_the_frame(tmp_path: Path) -> None:
    path = tmp_path / "dem.tif"
    _plane_tiff(path, res=20.0, size=100, hole=slice(40, 50))
    frame = SceneFrame()
    layers, out = read_terrain(path, frame, spacing=30.0)
    layer = layers[0]
    assert out is frame
    assert layer.report.counts["voids_filled"] == 100
    g = layer.grid
    xx, yy = np.meshgrid(g.x, g.y)
    expected = _plane(xx + frame.origin_e, yy + frame.origin_n)
    err = np.abs(g.z - expected)
    # Bilinear sampling of a plane is exact away from the hole...
    e, n = xx + frame.origin_e, yy + frame.origin_n
    hole_w, hole_n = 667_000.0 + 40 * 20.0, 4_831_000.0 - 40 * 20.0
    far = (np.abs(e - (hole_w + 100)) > 150) | (np.abs(n - (hole_n - 100)) > 150)
    assert err[far].max() < 0.01
    # ...and the filled hole blends into the slope (a few metres at most over 200 m).
    assert err.max() < 5.0
    # The grid is the largest box of whole 30 m steps inside the raster's cell centres.
    xmin, xmax, ymin, ymax = g.bounds
    assert xmin >= -1_000 + 10 and xmax <= 1_000 - 10
    assert ymin >= -1_000 + 10 and ymax <= 1_000 - 10
    assert (g.x0, g.nx, g.y0, g.ny) == (-990.0, 67, -990.0, 67)  # centres at +-990 m


def test_projected_geotiff_keeps_its_crs_and_gets_a_10m_minimum_spacing(tmp_path: Path) -> None:
    path = tmp_path / "fine.tif"
    _plane_tiff(path, res=2.0, size=200)
    layers, frame = read_terrain(path)
    g = layers[0].grid
    assert frame.epsg == 32643
    assert (frame.origin_e, frame.origin_n) == (667_200.0, 4_830_800.0)
    assert g.dx == 10.0
    assert "voids_filled" not in layers[0].report.counts


def test_fine_geotiff_is_averaged_down_before_sampling(tmp_path: Path) -> None:
    path = tmp_path / "big.tif"
    _plane_tiff(path, res=1.0, size=2000)
    frame = SceneFrame()
    g = read_terrain(path, frame, spacing=100.0)[0][0].grid
    assert (g.x0, g.nx, g.ny) == (-900.0, 19, 19)  # cell centres span +-999.5 m
    xx, yy = np.meshgrid(g.x, g.y)
    assert np.abs(g.z - _plane(xx + frame.origin_e, yy + frame.origin_n)).max() < 0.05


def test_geographic_geotiff_gets_the_utm_frame_of_its_centre(tmp_path: Path) -> None:
    path = tmp_path / "ll.tif"
    lon = 76.9 + 0.001 * (np.arange(50) + 0.5)
    lat = 43.3 - 0.001 * (np.arange(50) + 0.5)
    lo, _la = np.meshgrid(lon, lat)
    _write_geotiff(path, 800 + 1000 * (lo - 76.9), 76.9, 43.3, 0.001, crs="EPSG:4326")
    layers, frame = read_terrain(path)
    assert frame.epsg == 32643
    g = layers[0].grid
    assert g.dx == 96.0  # 0.001 deg is 81 m east at 43.3 N and 111 m north: mean 96 m
    x, y = frame.from_lonlat(76.925, 43.275)
    assert float(g.elevation_at(x, y)) == pytest.approx(825.0, abs=0.5)


def test_geotiff_without_crs_is_an_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "nocrs.tif"
    _write_geotiff(path, np.ones((10, 10)), 0.0, 10.0, 1.0, crs=None)
    with pytest.raises(RasterError, match=r"nocrs\.tif: .*no CRS"):
        read_terrain(path)


def test_unreadable_or_missing_raster_is_an_error_naming_the_file(tmp_path: Path) -> None:
    pytest.importorskip("rasterio")
    bad = tmp_path / "bad.tif"
    bad.write_bytes(b"not a tiff at all")
    with pytest.raises(RasterError, match=r"bad\.tif: cannot read"):
        read_terrain(bad)
    with pytest.raises(RasterError, match=r"gone\.tif: no such file"):
        read_terrain(tmp_path / "gone.tif")
    with pytest.raises(RasterError, match=r"N00E000\.hgt"):
        (tmp_path / "N00E000.hgt").write_bytes(b"\x00" * 10)
        read_terrain(tmp_path / "N00E000.hgt")
