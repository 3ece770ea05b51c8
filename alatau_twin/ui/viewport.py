"""Mouse handling on the 3D viewport: click to select, hover, readout, measure (ui: Qt).

An event filter on the interactor widget sees every mouse event before VTK's camera
style does. A press and release within a few pixels is a click (select what is under
the cursor); anything longer is left to the camera. Hover picks are throttled and reuse
the picker's cached projections, so moving the mouse never stutters the view.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from PySide6.QtCore import QEvent, QObject, QPoint, Qt, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QToolTip, QWidget

from alatau_twin.core.measure import Measurement, measure
from alatau_twin.render.picking import Pick
from alatau_twin.render.scene_view import SceneView


class ViewportController(QObject):
    """Turns mouse events on the viewport into picks, selection and readouts."""

    # Text for the status bar: the cursor position in UTM, lat/lon and elevation.
    readout = Signal(str)
    # A finished measurement (two points) and its description.
    measured = Signal(object, str)
    # A click (or hover) hit, for anyone who cares (tests, the window).
    picked = Signal(object)

    CLICK_SLOP_PX = 4
    HOVER_INTERVAL_S = 0.05

    def __init__(
        self,
        widget: QWidget,
        scene_view: SceneView,
        parent: QObject | None = None,
        *,
        events: QObject | None = None,
    ):
        """``widget`` gives the viewport's geometry; ``events`` is the object its mouse
        events arrive at (the native GL window inside the widget), the widget itself if
        not given."""
        super().__init__(parent)
        self.widget = widget
        self.events = events if events is not None else widget
        self.view = scene_view
        self.measuring = False
        self.measure_points: list[tuple[float, float, float]] = []
        self.last_measurement: Measurement | None = None
        self._press: QPoint | None = None
        self._last_hover = 0.0
        widget.setMouseTracking(True)
        self.events.installEventFilter(self)

    # -- coordinates ---------------------------------------------------------------
    def to_display(self, pos: QPoint) -> tuple[float, float]:
        """Qt widget coordinates (top-left origin, logical px) to VTK display coordinates."""
        ratio = self.widget.devicePixelRatioF()
        return pos.x() * ratio, (self.widget.height() - pos.y()) * ratio

    def pick_at(self, pos: QPoint) -> Pick | None:
        x, y = self.to_display(pos)
        return self.view.picker.pick(x, y)

    # -- events --------------------------------------------------------------------
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is not self.events:
            return False
        etype = event.type()
        if etype == QEvent.Type.MouseButtonPress:
            me = event  # type: ignore[assignment]
            assert isinstance(me, QMouseEvent)
            if me.button() == Qt.MouseButton.LeftButton:
                self._press = me.position().toPoint()
        elif etype == QEvent.Type.MouseButtonRelease:
            me = event  # type: ignore[assignment]
            assert isinstance(me, QMouseEvent)
            pos = me.position().toPoint()
            if (
                me.button() == Qt.MouseButton.LeftButton
                and self._press is not None
                and (pos - self._press).manhattanLength() <= self.CLICK_SLOP_PX
            ):
                self.click(pos)
            self._press = None
        elif etype == QEvent.Type.MouseMove:
            me = event  # type: ignore[assignment]
            assert isinstance(me, QMouseEvent)
            if me.buttons() == Qt.MouseButton.NoButton:
                self.hover(me.position().toPoint())
        return False  # VTK still gets every event: camera control stays intact

    def click(self, pos: QPoint) -> Pick | None:
        """Select the feature under ``pos`` (or clear), or add a measurement point."""
        hit = self.pick_at(pos)
        self.picked.emit(hit)
        if self.measuring:
            if hit is not None:
                self._add_measure_point(hit)
            return hit
        scene = self.view.scene
        if hit is None or not hit.is_feature:
            scene.select(None)
        else:
            scene.select(hit.layer, [hit.row])
        return hit

    def hover(self, pos: QPoint) -> None:
        now = time.perf_counter()
        if now - self._last_hover < self.HOVER_INTERVAL_S:
            return
        self._last_hover = now
        hit = self.pick_at(pos)
        self.readout.emit(self.describe(hit))
        if hit is not None and hit.is_feature:
            QToolTip.showText(self.widget.mapToGlobal(pos), self.tooltip(hit), self.widget)
        else:
            QToolTip.hideText()

    # -- words ---------------------------------------------------------------------
    def describe(self, hit: Pick | None) -> str:
        """UTM, lat/lon and terrain elevation of the point under the cursor."""
        if hit is None:
            return ""
        scene = self.view.scene
        x, y, _z = hit.position
        terrain = scene.terrain
        elev = float(terrain.grid.elevation_at(np.array(x), np.array(y))) if terrain else None
        return scene.frame.describe_point(x, y, elev)

    def tooltip(self, hit: Pick) -> str:
        layer = self.view.scene.layers[hit.layer]
        attrs = layer.table.row(hit.row)
        lines = [f"<b>{attrs.get('id', hit.row)}</b>"]
        for key in ("name", "use", "type", "district", "height", "floors", "basis"):
            value = attrs.get(key)
            if value not in (None, ""):
                text = f"{value:,.1f} m" if key == "height" else str(value)
                lines.append(f"{key}: {text}")
        lines.append(f"<i>{layer.name}</i>")
        return "<br>".join(lines)

    # -- measuring -----------------------------------------------------------------
    def set_measuring(self, on: bool) -> None:
        self.measuring = bool(on)
        self.measure_points.clear()

    def _add_measure_point(self, hit: Pick) -> None:
        scene = self.view.scene
        x, y, z = hit.position
        terrain = scene.terrain
        if terrain is not None and terrain.exaggeration != 1.0:
            # Undo the drawn exaggeration: measurements are in true metres.
            d = terrain.datum
            z = d + (z - d) / terrain.exaggeration
        self.measure_points.append((x, y, z))
        if len(self.measure_points) == 2:
            a, b = self.measure_points
            self.last_measurement = measure(a, b)
            self.measured.emit(self.last_measurement, self.last_measurement.describe())
            self.measure_points.clear()

    def close(self) -> None:
        QToolTip.hideText()
        self.events.removeEventFilter(self)


def building_height_text(view: SceneView, layer_name: str, row: int) -> str:
    """A building's height from its attribute and from its drawn geometry."""
    layer: Any = view.scene.layers[layer_name]
    table_h = layer.table.get("height")
    bounds = layer.feature_bounds(np.array([row]))
    parts = []
    if table_h is not None:
        parts.append(f"height {float(table_h[row]):,.1f} m")
    if bounds is not None:
        parts.append(f"drawn {bounds[5] - bounds[4]:,.1f} m above its base")
    return ", ".join(parts)
