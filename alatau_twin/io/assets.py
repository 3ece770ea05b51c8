"""Locate packaged asset files (io: file paths only; no Qt, no VTK).

Assets (the terrain grid of the embedded sample, and later styles or icons) live in
``<repo>/assets`` in a source checkout. A wheel cannot ship a top-level folder, so the
build force-includes it as ``alatau_twin/_assets`` (see ``pyproject.toml``). Looking in
both places lets the same code run from a checkout, an editable install and a wheel.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parents[1]
_CANDIDATE_ROOTS = (
    _PACKAGE_DIR.parent / "assets",  # source checkout / editable install
    _PACKAGE_DIR / "_assets",  # installed wheel
)


def asset_path(*parts: str) -> Path:
    """Path of an asset file, e.g. ``asset_path("terrain", "alatau_srtm_100m.npz")``.

    Returns the first existing candidate; if none exists, raises ``FileNotFoundError``
    listing where it looked, so a broken install says what is missing instead of
    failing later with a confusing error from a loader.
    """
    tried = []
    for root in _CANDIDATE_ROOTS:
        candidate = root.joinpath(*parts)
        if candidate.exists():
            return candidate
        tried.append(str(candidate))
    raise FileNotFoundError(f"asset {'/'.join(parts)!r} not found; looked in: {', '.join(tried)}")
