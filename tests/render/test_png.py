"""PNG output of headless renders: our own encoder writes the pixels it is given."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from alatau_twin.render.offscreen import png_bytes, write_png_atomic


@pytest.mark.parametrize("shape", [(900, 1600, 3), (7, 5, 4), (1, 1, 3)])
def test_png_bytes_decode_to_the_same_pixels(shape) -> None:
    image = np.random.default_rng(1).integers(0, 256, shape, dtype=np.uint8)
    image[: shape[0] // 2] = 200  # flat areas, as skies and ground are
    decoded = np.asarray(Image.open(io.BytesIO(png_bytes(image))))
    assert decoded.shape == shape
    assert np.array_equal(decoded, image)


def test_write_png_atomic_writes_a_png_file(tmp_path) -> None:
    image = np.zeros((90, 160, 3), dtype=np.uint8)
    image[:, 80:] = (30, 120, 200)
    out = write_png_atomic(image, tmp_path / "frame.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert np.array_equal(np.asarray(Image.open(out)), image)


def test_png_bytes_refuses_other_shapes() -> None:
    with pytest.raises(ValueError, match="image"):
        png_bytes(np.zeros((4, 4), dtype=np.uint8))
