"""Height-grid asset files: compact ``.npz`` save/load (io: no Qt, no VTK).

The embedded terrain asset is shipped in the repository, so it is stored small:
heights as int16 decimetres (0.1 m resolution, far below SRTM's ~10 m accuracy)
in a compressed ``.npz`` together with the grid geometry, the CRS/origin it was
built for and a provenance string. Saving is atomic (temp file + ``os.replace``)
so an interrupted rebuild never leaves a truncated asset behind.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import BinaryIO

import numpy as np

from alatau_twin.core.terrain import HeightGrid
from alatau_twin.io.atomic import atomic_write

FORMAT_VERSION = 1
_REQUIRED_KEYS = ("z_dm", "x0", "y0", "dx", "dy", "epsg", "origin_e", "origin_n", "source")
_DM_MIN = np.iinfo(np.int16).min + 1  # keep -32768 free (SRTM-style "no data")
_DM_MAX = np.iinfo(np.int16).max


def heights_to_dm(z: np.ndarray) -> np.ndarray:
    """Quantise metres to int16 decimetres (round half to even, as numpy does)."""
    z = np.asarray(z, dtype=np.float64)
    if not np.all(np.isfinite(z)):
        raise ValueError("height grid contains NaN/inf; fill voids before saving")
    dm = np.round(z * 10.0)
    if dm.min() < _DM_MIN or dm.max() > _DM_MAX:
        raise ValueError(f"heights {z.min():.1f}..{z.max():.1f} m do not fit int16 decimetres")
    return dm.astype(np.int16)


def save_height_grid(grid: HeightGrid, path: str | os.PathLike[str]) -> None:
    """Write ``grid`` to ``path`` as a compressed ``.npz``, atomically."""
    p = Path(path)
    z_dm = heights_to_dm(grid.z)

    def write(fh: BinaryIO) -> None:
        # A file object (not a name) stops numpy from appending ".npz".
        np.savez_compressed(
            fh,
            format_version=np.int32(FORMAT_VERSION),
            z_dm=z_dm,
            x0=np.float64(grid.x0),
            y0=np.float64(grid.y0),
            dx=np.float64(grid.dx),
            dy=np.float64(grid.dy),
            epsg=np.int32(grid.epsg),
            origin_e=np.float64(grid.origin_e),
            origin_n=np.float64(grid.origin_n),
            source=np.array(grid.source, dtype=np.str_),
        )

    atomic_write(p, write)


def load_height_grid(path: str | os.PathLike[str]) -> HeightGrid:
    """Read a grid written by :func:`save_height_grid`.

    Raises ``ValueError`` naming the file if it is not an ``.npz`` archive or a
    required key is missing; ``FileNotFoundError`` if it does not exist.
    """
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"{p}: height-grid file not found")
    # .npz is a zip archive; checking first also rejects plain .npy arrays,
    # which np.load would otherwise happily return as an ndarray.
    if not zipfile.is_zipfile(p):
        raise ValueError(f"{p}: not a height-grid .npz file (not a zip archive)")
    try:
        data = np.load(p, allow_pickle=False)
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
        raise ValueError(f"{p}: not a height-grid .npz file ({exc})") from exc
    with data:
        missing = [k for k in _REQUIRED_KEYS if k not in data.files]
        if missing:
            raise ValueError(f"{p}: height-grid file lacks key(s) {', '.join(missing)}")
        try:
            z_dm = data["z_dm"]
            if z_dm.ndim != 2:
                raise ValueError(f"z_dm must be 2-D, got shape {z_dm.shape}")
            return HeightGrid(
                x0=float(data["x0"]),
                y0=float(data["y0"]),
                dx=float(data["dx"]),
                dy=float(data["dy"]),
                z=(z_dm.astype(np.float32) / np.float32(10.0)),
                source=str(data["source"]),
                epsg=int(data["epsg"]),
                origin_e=float(data["origin_e"]),
                origin_n=float(data["origin_n"]),
            )
        except (ValueError, TypeError, zipfile.BadZipFile, OSError) as exc:
            raise ValueError(f"{p}: corrupt height-grid file ({exc})") from exc
