"""Named camera views (core: no Qt, no VTK).

A view is plain numbers in the local frame, so the same preset drives the headless
render, the app's camera and (later) saved views and slides.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

Vec3 = tuple[float, float, float]


@dataclass(frozen=True)
class CameraView:
    """Camera position, focal point and up vector in local metres, plus a view angle."""

    name: str
    position: Vec3
    focal_point: Vec3
    view_up: Vec3 = (0.0, 0.0, 1.0)
    view_angle: float = 30.0
    title: str = ""

    @staticmethod
    def orbit(
        name: str,
        target: Vec3,
        distance: float,
        *,
        azimuth: float = 0.0,
        elevation: float = 45.0,
        title: str = "",
        view_angle: float = 30.0,
    ) -> CameraView:
        """A camera ``distance`` m from ``target``, looking from compass ``azimuth``
        (degrees, 0 = from the south looking north) and ``elevation`` above the horizon."""
        el = math.radians(elevation)
        az = math.radians(azimuth)
        dx = -math.sin(az) * math.cos(el) * distance
        dy = -math.cos(az) * math.cos(el) * distance
        dz = math.sin(el) * distance
        pos = (target[0] + dx, target[1] + dy, target[2] + dz)
        # Straight down needs a defined up: north.
        up = (0.0, 1.0, 0.0) if elevation >= 89.9 else (0.0, 0.0, 1.0)
        return CameraView(name, pos, target, up, view_angle, title or name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "position": list(self.position),
            "focal_point": list(self.focal_point),
            "view_up": list(self.view_up),
            "view_angle": self.view_angle,
        }


@dataclass(frozen=True)
class SavedView:
    """A named view a user saved: camera, which layers show, and each layer's filter.

    Restoring it must give back exactly what the user saw, so the camera is stored as
    numbers and filters as the expressions the user typed (re-evaluated on restore).
    """

    name: str
    camera: CameraView
    visible: dict[str, bool]
    filters: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "camera": self.camera.to_dict(),
            "visible": dict(self.visible),
            "filters": dict(self.filters),
        }

    @staticmethod
    def from_dict(d: dict[str, Any]) -> SavedView:
        cam = d["camera"]
        camera = CameraView(
            str(cam.get("name", d["name"])),
            tuple(float(v) for v in cam["position"]),  # type: ignore[arg-type]
            tuple(float(v) for v in cam["focal_point"]),  # type: ignore[arg-type]
            tuple(float(v) for v in cam.get("view_up", (0.0, 0.0, 1.0))),  # type: ignore[arg-type]
            float(cam.get("view_angle", 30.0)),
            str(cam.get("title", "")),
        )
        return SavedView(
            str(d["name"]),
            camera,
            {str(k): bool(v) for k, v in d.get("visible", {}).items()},
            {str(k): str(v) for k, v in d.get("filters", {}).items()},
        )
