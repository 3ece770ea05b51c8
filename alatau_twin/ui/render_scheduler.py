"""Coalesce render requests into one render per event-loop turn (ui: Qt).

Adapters call ``request()`` whenever the model changes; a zero-delay single-shot timer
renders once after the current batch of events, however many requests came in. This
is what keeps a flood of overlay updates from rendering hundreds of frames.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal


class RenderScheduler(QObject):
    """Calls ``render`` at most once per event-loop turn after any ``request()``."""

    rendered = Signal(float)  # seconds the render took

    def __init__(self, render: Callable[[], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._render = render
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._do_render)
        self.frames = 0
        self.last_frame_s = 0.0
        self.enabled = True

    def request(self) -> None:
        if self.enabled and not self._timer.isActive():
            self._timer.start()

    @property
    def pending(self) -> bool:
        """A render is requested and not drawn yet (animations wait for it: one model
        update per frame, never a queue of them)."""
        return self._timer.isActive()

    def render_now(self) -> float:
        self._timer.stop()
        return self._do_render()

    def _do_render(self) -> float:
        if not self.enabled:
            return 0.0
        t0 = time.perf_counter()
        self._render()
        self.last_frame_s = time.perf_counter() - t0
        self.frames += 1
        self.rendered.emit(self.last_frame_s)
        return self.last_frame_s

    def stop(self) -> None:
        self.enabled = False
        self._timer.stop()
