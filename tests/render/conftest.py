"""Render-test helpers: compare images with a committed baseline within a tolerance."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

BASELINES = Path(__file__).parent / "baselines"
OUTPUT = Path(__file__).parent / "_output"


def compare_with_baseline(
    image: np.ndarray, name: str, tolerance: float = 2.0, changed_fraction: float = 0.005
) -> float:
    """Compare with ``baselines/<name>.png``: mean absolute RGB difference at most
    ``tolerance`` and at most ``changed_fraction`` of pixels changed by more than 40 in a
    channel (the mean alone is dominated by sky and misses a moved network).

    Set ``ALATAU_UPDATE_BASELINES=1`` to (re)write the baseline after a deliberate change;
    a missing baseline fails, so CI never blesses its own output.
    """
    from PIL import Image

    path = BASELINES / f"{name}.png"
    OUTPUT.mkdir(exist_ok=True)
    Image.fromarray(image).save(OUTPUT / f"{name}.png")
    if os.environ.get("ALATAU_UPDATE_BASELINES") == "1":
        BASELINES.mkdir(exist_ok=True)
        Image.fromarray(image).save(path)
    if not path.exists():
        pytest.fail(f"no baseline {path}; run with ALATAU_UPDATE_BASELINES=1 after looking at it")
    base = np.asarray(Image.open(path).convert("RGB"))
    assert base.shape == image.shape, f"size {image.shape} differs from baseline {base.shape}"
    delta = np.abs(base.astype(np.int16) - image.astype(np.int16))
    diff = float(delta.mean())
    changed = float((delta.max(axis=2) > 40).mean())
    assert diff <= tolerance, f"{name}: mean difference {diff:.2f} > {tolerance} (see {OUTPUT})"
    assert changed <= changed_fraction, (
        f"{name}: {changed:.2%} of pixels changed > {changed_fraction:.2%} (see {OUTPUT})"
    )
    return diff
