"""Distances between picked points (core: no Qt, no VTK).

Planners ask three different questions of two points: how far apart on the map
(horizontal), how much higher (vertical) and how far in a straight line (3D). Heights
are true metres: the terrain's vertical exaggeration is undone before measuring.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Measurement:
    horizontal: float
    vertical: float
    distance_3d: float

    def describe(self) -> str:
        return (
            f"horizontal {self.horizontal:,.1f} m · vertical {self.vertical:+,.1f} m · "
            f"3D {self.distance_3d:,.1f} m"
        )


def measure(a: tuple[float, float, float], b: tuple[float, float, float]) -> Measurement:
    """Horizontal, vertical (b minus a) and straight-line distance in metres."""
    pa, pb = np.asarray(a, float), np.asarray(b, float)
    d = pb - pa
    return Measurement(float(np.hypot(d[0], d[1])), float(d[2]), float(np.linalg.norm(d)))
