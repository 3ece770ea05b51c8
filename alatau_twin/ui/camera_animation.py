"""Smooth camera flights between views (ui: Qt timing, camera maths in numpy).

A flight eases position and focal point over a fixed duration, rendering through the
window's render scheduler, so a fly-to never blocks the event loop and ends exactly on
the target view (tests compare cameras numerically).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QEasingCurve, QObject, QVariantAnimation

from alatau_twin.core.views import CameraView


class CameraFlight(QObject):
    """Animates a pyvista camera to a target ``CameraView``."""

    def __init__(
        self,
        camera_getter: Callable[[], object],
        request_render: Callable[[], None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._camera = camera_getter
        self._render = request_render
        self._anim = QVariantAnimation(self)
        self._anim.setStartValue(0.0)
        self._anim.setEndValue(1.0)
        self._anim.setEasingCurve(QEasingCurve.Type.InOutCubic)
        self._anim.valueChanged.connect(self._step)
        self._from: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._to: CameraView | None = None

    @property
    def running(self) -> bool:
        return self._anim.state() == QVariantAnimation.State.Running

    def fly(self, view: CameraView, duration_ms: int = 700) -> None:
        cam = self._camera()
        self._anim.stop()
        self._from = (np.array(cam.position), np.array(cam.focal_point), np.array(cam.up))
        self._to = view
        if duration_ms <= 0:
            self._step(1.0)
            return
        self._anim.setDuration(duration_ms)
        self._anim.start()

    def finish(self) -> None:
        """Jump to the end of a running flight (e.g. before a screenshot)."""
        if self.running:
            self._anim.stop()
            self._step(1.0)

    def _step(self, t: object) -> None:
        if self._from is None or self._to is None:
            return
        f = float(t)  # type: ignore[arg-type]
        p0, c0, u0 = self._from
        cam = self._camera()
        cam.position = tuple(p0 + f * (np.array(self._to.position) - p0))
        cam.focal_point = tuple(c0 + f * (np.array(self._to.focal_point) - c0))
        up = u0 + f * (np.array(self._to.view_up) - u0)
        cam.up = tuple(up / max(np.linalg.norm(up), 1e-9))
        if f >= 1.0:
            cam.view_angle = self._to.view_angle
        self._render()
