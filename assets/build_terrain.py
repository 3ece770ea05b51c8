"""Build the embedded sample twin's terrain asset from real SRTM tiles (build script).

Usage (from the repository root)::

    python assets/build_terrain.py [--shared ../shared] [--tiles DIR] [--out PATH]

Reads ``N43E076.hgt.zip`` and ``N43E077.hgt.zip`` (from ``--tiles``, else
``<shared>/real-data/srtm2stl``), mosaics and void-fills them, resamples
bilinearly to WGS 84 / UTM 43N at 100 m over the scene extent and writes
``assets/terrain/alatau_srtm_100m.npz``. The build is deterministic, so a rebuild
reproduces the committed file's heights exactly (a unit test checks this).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # running as a script puts assets/ first on sys.path
    sys.path.insert(0, str(REPO_ROOT))

from alatau_twin.core.terrain import HeightGrid  # noqa: E402
from alatau_twin.io.srtm import read_hgt, resample_to_utm  # noqa: E402
from alatau_twin.io.terrain import save_height_grid  # noqa: E402

TILE_NAMES = ("N43E076.hgt.zip", "N43E077.hgt.zip")
EPSG = 32643  # WGS 84 / UTM zone 43N, the scene CRS
ORIGIN_E = 668_000.0
ORIGIN_N = 4_830_000.0
EXTENT = (-14_000.0, 14_000.0, -33_000.0, 33_000.0)  # xmin, xmax, ymin, ymax (local m)
SPACING = 100.0
DEFAULT_OUT = REPO_ROOT / "assets" / "terrain" / "alatau_srtm_100m.npz"


def build_grid(tile_dir: Path) -> HeightGrid:
    """Build the scene height grid from the two tiles in ``tile_dir``."""
    tiles = [read_hgt(tile_dir / name) for name in TILE_NAMES]
    grid = resample_to_utm(tiles, EPSG, ORIGIN_E, ORIGIN_N, *EXTENT, SPACING)
    grid.source = (
        "NASA/USGS SRTM v2.1 3 arc-second (public domain), tiles N43E076+N43E077; "
        f"void-filled, bilinear to EPSG:{EPSG} at {SPACING:g} m, "
        f"local origin E {ORIGIN_E:.0f} N {ORIGIN_N:.0f}"
    )
    return grid


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--shared",
        type=Path,
        default=REPO_ROOT.parent / "shared",
        help="shared data root holding real-data/srtm2stl/ (default: ../shared)",
    )
    parser.add_argument("--tiles", type=Path, default=None, help="directory with the tile zips")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output .npz path")
    args = parser.parse_args(argv)
    tile_dir = args.tiles if args.tiles is not None else args.shared / "real-data" / "srtm2stl"
    grid = build_grid(tile_dir)
    save_height_grid(grid, args.out)
    zmin, zmax = grid.z_range
    print(
        f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KiB): "
        f"{grid.nx} x {grid.ny} nodes, z {zmin:.1f}..{zmax:.1f} m"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
