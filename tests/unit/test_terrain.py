"""Tests for the terrain model, SRTM reading and the committed terrain asset.

They run on the real SRTM3 tiles copied to ``tests/data/srtm`` so the facts checked
(void counts, airport elevation, the Kapchagay reservoir in the north) are real.
"""

from __future__ import annotations

import importlib.util
import zipfile
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from pyproj import Transformer

from alatau_twin.core.terrain import HeightGrid
from alatau_twin.io.srtm import (
    SrtmTile,
    fill_voids,
    mosaic,
    read_hgt,
    resample_to_utm,
)
from alatau_twin.io.terrain import load_height_grid, save_height_grid

REPO = Path(__file__).resolve().parents[2]
SRTM_DIR = REPO / "tests" / "data" / "srtm"
ASSET = REPO / "assets" / "terrain" / "alatau_srtm_100m.npz"
EPSG = 32643
ORIGIN = (668_000.0, 4_830_000.0)


@pytest.fixture(scope="module")
def tile77() -> SrtmTile:
    return read_hgt(SRTM_DIR / "N43E077.hgt.zip")


@pytest.fixture(scope="module")
def tiles() -> list[SrtmTile]:
    return [read_hgt(SRTM_DIR / f"{n}.hgt.zip") for n in ("N43E076", "N43E077")]


@pytest.fixture(scope="module")
def asset() -> HeightGrid:
    return load_height_grid(ASSET)


def _to_local(lon: float, lat: float) -> tuple[float, float]:
    e, n = Transformer.from_crs(4326, EPSG, always_xy=True).transform(lon, lat)
    return e - ORIGIN[0], n - ORIGIN[1]


def _load_build_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "build_terrain", REPO / "assets" / "build_terrain.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- SRTM reading -------------------------------------------------------------------------


def test_read_hgt_real_tile(tile77: SrtmTile) -> None:
    assert (tile77.lat0, tile77.lon0) == (43, 77)
    assert tile77.z.shape == (1201, 1201)
    assert tile77.z.dtype == np.float32
    assert int(np.isnan(tile77.z).sum()) == 3391
    # Rows run north->south: the Tian Shan (south) is far higher than the steppe (north).
    assert np.nanmean(tile77.z[-100:]) > np.nanmean(tile77.z[:100]) + 500


def test_read_plain_hgt_matches_zip(tmp_path: Path, tile77: SrtmTile) -> None:
    with zipfile.ZipFile(SRTM_DIR / "N43E077.hgt.zip") as zf:
        member = next(n for n in zf.namelist() if n.endswith(".hgt"))
        (tmp_path / "N43E077.hgt").write_bytes(zf.read(member))
    plain = read_hgt(tmp_path / "N43E077.hgt")
    np.testing.assert_array_equal(plain.z, tile77.z)


def test_read_hgt_wrong_size_names_file(tmp_path: Path) -> None:
    bad = tmp_path / "N43E077.hgt"
    bad.write_bytes(b"\x00" * 1000)
    with pytest.raises(ValueError, match=r"N43E077\.hgt"):
        read_hgt(bad)


def test_read_hgt_zip_without_hgt_names_file(tmp_path: Path) -> None:
    bad = tmp_path / "N43E077.hgt.zip"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("readme.txt", "no tile here")
    with pytest.raises(ValueError, match=r"N43E077\.hgt\.zip"):
        read_hgt(bad)


def test_read_hgt_not_a_zip_names_file(tmp_path: Path) -> None:
    bad = tmp_path / "N43E077.hgt.zip"
    bad.write_text("not a zip")
    with pytest.raises(ValueError, match=r"N43E077\.hgt\.zip"):
        read_hgt(bad)


def test_fill_voids_real_tile(tile77: SrtmTile) -> None:
    filled = fill_voids(tile77.z)
    valid = ~np.isnan(tile77.z)
    assert not np.isnan(filled).any()
    np.testing.assert_array_equal(filled[valid], tile77.z[valid])
    assert filled.dtype == tile77.z.dtype
    # Filled values stay within the tile's real range (no overshoot from smoothing).
    assert np.nanmin(tile77.z) <= filled.min() and filled.max() <= np.nanmax(tile77.z)


def test_fill_voids_small_hole_is_smooth() -> None:
    z = np.tile(np.arange(10, dtype=np.float32), (10, 1)) * 10.0  # ramp along columns
    z_void = z.copy()
    z_void[4:6, 4:6] = np.nan
    filled = fill_voids(z_void)
    # Laplace relaxation reproduces a linear ramp almost exactly.
    np.testing.assert_allclose(filled[4:6, 4:6], z[4:6, 4:6], atol=0.5)
    np.testing.assert_array_equal(fill_voids(z), z)  # no voids: unchanged


def test_mosaic_shares_edge(tiles: list[SrtmTile]) -> None:
    grid = mosaic(list(reversed(tiles)))
    assert grid.z.shape == (1201, 2401)
    assert (grid.lat_north, grid.lon_west, grid.lon_east) == (44.0, 76.0, 78.0)
    np.testing.assert_array_equal(grid.z[:, 1201:], tiles[1].z[:, 1:])


def test_resample_outside_tiles_raises(tiles: list[SrtmTile]) -> None:
    with pytest.raises(ValueError, match="outside"):
        resample_to_utm(tiles, EPSG, *ORIGIN, -14_000, 14_000, 60_000, 70_000, 1000)


# --- HeightGrid maths ---------------------------------------------------------------------


def _bilinear_grid() -> HeightGrid:
    x0, y0, dx, dy = -50.0, 20.0, 10.0, 5.0
    xs = x0 + dx * np.arange(6)
    ys = y0 + dy * np.arange(4)
    xx, yy = np.meshgrid(xs, ys)
    z = 100.0 + 0.5 * xx - 0.25 * yy + 0.01 * xx * yy  # bilinear: interpolated exactly
    return HeightGrid(x0=x0, y0=y0, dx=dx, dy=dy, z=z.astype(np.float32))


def test_height_grid_geometry() -> None:
    g = _bilinear_grid()
    assert (g.nx, g.ny) == (6, 4)
    assert g.bounds == (-50.0, 0.0, 20.0, 35.0)
    np.testing.assert_array_equal(g.x, [-50, -40, -30, -20, -10, 0])
    np.testing.assert_array_equal(g.y, [20, 25, 30, 35])
    assert g.z.dtype == np.float32
    assert g.z_range == (float(g.z.min()), float(g.z.max()))


def test_elevation_at_bilinear_exact() -> None:
    g = _bilinear_grid()
    rng = np.random.default_rng(1)
    x = rng.uniform(-50, 0, size=(7, 5))
    y = rng.uniform(20, 35, size=(7, 5))
    expected = 100.0 + 0.5 * x - 0.25 * y + 0.01 * x * y
    got = g.elevation_at(x, y)
    assert got.shape == (7, 5)
    np.testing.assert_allclose(got, expected, atol=1e-4)
    # Nodes reproduce exactly, scalars work.
    assert float(g.elevation_at(-40.0, 25.0)) == pytest.approx(float(g.z[1, 1]))


def test_elevation_at_clamps_outside() -> None:
    g = _bilinear_grid()
    out = g.elevation_at(np.array([-1e6, 1e6, -30.0, np.nan]), np.array([25.0, 25.0, 1e6, 0.0]))
    assert not np.isnan(out).any()
    assert out[0] == pytest.approx(float(g.elevation_at(-50.0, 25.0)))
    assert out[1] == pytest.approx(float(g.elevation_at(0.0, 25.0)))
    assert out[2] == pytest.approx(float(g.elevation_at(-30.0, 35.0)))


def test_hillshade() -> None:
    xs = np.arange(20) * 10.0
    flat = HeightGrid(0.0, 0.0, 10.0, 10.0, np.zeros((20, 20), np.float32))
    np.testing.assert_allclose(flat.hillshade(altitude_deg=45), np.sin(np.deg2rad(45)))
    # Ground rising to the south-east faces north-west: lit by the default NW sun...
    z_nw_facing = (xs[None, :] - xs[:, None]).astype(np.float32)
    bright = HeightGrid(0.0, 0.0, 10.0, 10.0, z_nw_facing).hillshade()
    dark = HeightGrid(0.0, 0.0, 10.0, 10.0, -z_nw_facing).hillshade()
    assert bright.shape == (20, 20)
    assert bright.mean() > flat.hillshade().mean() > dark.mean()
    assert 0.0 <= dark.min() and bright.max() <= 1.0


# --- asset file ---------------------------------------------------------------------------


def test_save_load_round_trip(tmp_path: Path) -> None:
    g = _bilinear_grid()
    g.source = "hand-made"
    g.epsg, g.origin_e, g.origin_n = EPSG, *ORIGIN
    path = tmp_path / "sub" / "grid.npz"
    save_height_grid(g, path)
    assert [p.name for p in path.parent.iterdir()] == ["grid.npz"]  # no temp file left
    back = load_height_grid(path)
    assert (back.x0, back.y0, back.dx, back.dy) == (g.x0, g.y0, g.dx, g.dy)
    assert (back.source, back.epsg, back.origin_e, back.origin_n) == ("hand-made", EPSG, *ORIGIN)
    np.testing.assert_allclose(back.z, g.z, atol=0.05 + 1e-4)  # decimetre quantisation


def test_load_bad_files_name_path(tmp_path: Path) -> None:
    text = tmp_path / "notes.npz"
    text.write_text("hello")
    with pytest.raises(ValueError, match=r"notes\.npz"):
        load_height_grid(text)
    npy = tmp_path / "array.npz"
    with npy.open("wb") as fh:
        np.save(fh, np.zeros(3))
    with pytest.raises(ValueError, match=r"array\.npz"):
        load_height_grid(npy)
    partial = tmp_path / "partial.npz"
    np.savez_compressed(partial, z_dm=np.zeros((2, 2), np.int16), x0=0.0)
    with pytest.raises(ValueError, match=r"partial\.npz.*y0"):
        load_height_grid(partial)
    with pytest.raises(FileNotFoundError, match=r"missing\.npz"):
        load_height_grid(tmp_path / "missing.npz")


def test_asset_shape_and_size(asset: HeightGrid) -> None:
    assert (asset.nx, asset.ny) == (281, 661)
    assert asset.bounds == (-14_000.0, 14_000.0, -33_000.0, 33_000.0)
    assert (asset.dx, asset.dy) == (100.0, 100.0)
    assert (asset.epsg, asset.origin_e, asset.origin_n) == (EPSG, *ORIGIN)
    assert "SRTM" in asset.source
    assert ASSET.stat().st_size < 600_000
    assert not np.isnan(asset.z).any()


def test_asset_airport_elevation(asset: HeightGrid) -> None:
    # Almaty International Airport, published elevation 681 m.
    x, y = _to_local(77.0447, 43.3553)
    assert -14_000 < x < 14_000 and -33_000 < y < 33_000
    assert float(asset.elevation_at(x, y)) == pytest.approx(681.0, abs=25.0)


def test_asset_relief(asset: HeightGrid) -> None:
    zmin, zmax = asset.z_range
    assert 430.0 <= zmin <= 490.0
    assert 900.0 <= zmax <= 1400.0
    north = asset.z[asset.y > 28_000]
    south = asset.z[asset.y < -25_000]
    assert north.mean() < south.mean() - 150
    # Kapchagay reservoir: SRTM recorded its water surface as a flat ~475 m sheet
    # in the north-east of the scene.
    water = np.abs(asset.z - 475.0) <= 0.6
    assert water.sum() > 10_000  # > 100 km^2 at 100 m spacing
    assert asset.y[np.nonzero(water)[0]].min() >= 19_000


def test_asset_rebuild_is_deterministic(tmp_path: Path, asset: HeightGrid) -> None:
    build = _load_build_script()
    out = tmp_path / "rebuilt.npz"
    assert build.main(["--tiles", str(SRTM_DIR), "--out", str(out)]) == 0
    rebuilt = load_height_grid(out)
    np.testing.assert_array_equal(rebuilt.z, asset.z)
    assert (rebuilt.x0, rebuilt.y0, rebuilt.dx, rebuilt.dy) == (
        asset.x0,
        asset.y0,
        asset.dx,
        asset.dy,
    )
    assert rebuilt.source == asset.source
