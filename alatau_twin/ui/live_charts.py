"""Live charts: the selected element's values, statuses and availability over time
(ui: Qt, pyqtgraph).

Three plots on one time axis (the city's wall clock, UTC+5):

- the selected network element's value history from the store's ring buffer, points
  coloured by the status each reading carried;
- elements by status over time (the statuses that are not ``ok``; ok is the rest);
- availability: the share of served buildings with supply, per network.

They read ``LiveStatus`` (``store.history_of``, ``timeline``) and redraw at most twice a
second, and only while the dock is visible and something changed: charts must never
cost the 3D view its frames.
"""

from __future__ import annotations

import functools
import math
import time
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QDockWidget, QLabel, QVBoxLayout, QWidget

from alatau_twin.core.scene import Selection
from alatau_twin.core.status import STATUSES
from alatau_twin.core.style import NETWORK_COLORS
from alatau_twin.ui.live import LiveController, hex_of, selected_element, status_rgb

REFRESH_MS = 500  # at most ~2 Hz
ALMATY_OFFSET_S = -5 * 3600  # pyqtgraph's utcOffset counts seconds *west* of UTC
ABNORMAL = ("degraded", "fault", "maintenance", "offline")
ROADS_RGB = (150, 110, 70)  # networks without a style colour (roads)


def _net_rgb(network: str) -> tuple[int, int, int]:
    return NETWORK_COLORS.get(network, ROADS_RGB)


def _coloured(items: list[tuple[str, tuple[int, int, int]]]) -> str:
    """Series names in their line colours, for a plot title."""
    return " ".join(f"<span style='color:{hex_of(rgb)}'>■ {name}</span>" for name, rgb in items)


def _step_above(x: float, first: float) -> float:
    """The smallest of ``first`` x 1, 2, 5, 10, 20, 50 ... that is at least ``x``."""
    step = first
    while True:
        for k in (1, 2, 5):
            if step * k >= x:
                return step * k
        step *= 10


def _time_range(plot: pg.PlotWidget, times: np.ndarray, minimum_s: float = 60.0) -> None:
    """Show ``times`` (or the last minute when there are none), at least a minute wide.

    The window scrolls in steps of about a tenth of its width (at least 10 s) rather
    than at every redraw. Why: moving a date axis re-lays out its ticks and re-renders
    their labels, which was most of a redraw's cost (~20 ms for the three plots on
    software rendering), paid twice a second, or every 2 s while the 3D view
    moves. Between steps only the curves repaint.
    """
    end = float(times[-1]) if len(times) else time.time()
    start = min(float(times[0]) if len(times) else end, end - minimum_s)
    step = _step_above((end - start) / 10, 10.0)
    shown = (math.floor(start / step) * step, math.ceil(end / step) * step)
    if getattr(plot, "_shown_x", None) != shown:
        plot._shown_x = shown  # type: ignore[attr-defined]
        plot.setXRange(*shown, padding=0.02)


def _set_y(plot: pg.PlotWidget, top: float) -> None:
    """0..a round number above ``top`` (1-2-5 steps): the axis changes only when the
    data crosses a step, for the reason :func:`_time_range` gives."""
    shown = (0.0, _step_above(top, 1.0))
    if getattr(plot, "_shown_y", None) != shown:
        plot._shown_y = shown  # type: ignore[attr-defined]
        plot.setYRange(*shown, padding=0)


def _set_title(plot: pg.PlotWidget, title: str, color: str) -> None:
    """Set a plot's title if it changed (pyqtgraph re-lays out the HTML each time)."""
    if getattr(plot, "_shown_title", None) != (title, color):
        plot._shown_title = (title, color)  # type: ignore[attr-defined]
        plot.setTitle(title, size="9pt", color=color)


@functools.cache
def _brush(code: int) -> Any:
    """The brush for a reading with status ``code`` (made once: 256 per redraw)."""
    return pg.mkBrush(hex_of(status_rgb(STATUSES[code], text=True)))


def _date_axis() -> pg.DateAxisItem:
    return pg.DateAxisItem(orientation="bottom", utcOffset=ALMATY_OFFSET_S)


class LiveChartsDock(QDockWidget):
    """Value history of the selection, counts by status, availability per network."""

    def __init__(self, controller: LiveController, parent: QWidget | None = None) -> None:
        super().__init__("Live charts", parent)
        self.setObjectName("liveChartsDock")
        self.controller = controller
        self.live = controller.live
        self.scene = controller.scene
        self.element: tuple[str, str] | None = None
        body = QWidget(self)
        lay = QVBoxLayout(body)
        lay.setContentsMargins(4, 4, 4, 4)
        self.readout = QLabel("Select a network element to chart its values.", body)
        self.readout.setObjectName("liveChartsReadout")
        lay.addWidget(self.readout)

        self.value_plot = self._plot("valuePlot", "Selected element: value")
        self.value_curve = self.value_plot.plot([], [], pen=pg.mkPen("#8a96a3", width=1.5))
        self.value_points = pg.ScatterPlotItem(size=6, pen=None)
        self.value_plot.addItem(self.value_points)

        # The series are named in colour in the titles: a legend box inside these short
        # plots sat on the curves.
        self.count_plot = self._plot(
            "countPlot",
            "Elements not ok: " + _coloured([(n, status_rgb(n, text=True)) for n in ABNORMAL]),
        )
        self.count_curves = {
            name: self.count_plot.plot(
                [], [], pen=pg.mkPen(hex_of(status_rgb(name, text=True)), width=2), name=name
            )
            for name in ABNORMAL
        }
        self.avail_plot = self._plot("availabilityPlot", "Availability (% of served buildings)")
        self.avail_plot.setYRange(0, 100, padding=0.02)
        self.avail_plot.getAxis("left").setTickSpacing(50, 25)  # short plot: 0, 50, 100
        self.avail_curves: dict[str, Any] = {}
        self.count_plot.setXLink(self.avail_plot)
        for plot in (self.value_plot, self.count_plot, self.avail_plot):
            lay.addWidget(plot, 1)
        self.setWidget(body)
        self._apply_palette()

        self._dirty = True
        self._last_refresh = 0.0
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self._tick)
        self._timer.start()
        controller.updated.connect(self._on_updated)
        self.scene.selection_changed.connect(self._on_selection)
        self.element = selected_element(self.scene, self.scene.selection)

    def _plot(self, name: str, title: str) -> pg.PlotWidget:
        plot = pg.PlotWidget(axisItems={"bottom": _date_axis()})
        plot.setObjectName(name)
        plot.setTitle(title, size="9pt")
        plot.showGrid(x=True, y=True, alpha=0.25)
        plot.setMinimumHeight(90)
        plot.getPlotItem().setContentsMargins(2, 2, 6, 2)
        return plot

    def _apply_palette(self) -> None:
        pal = QApplication.palette()
        bg = pal.color(QPalette.ColorRole.Base)
        fg = pal.color(QPalette.ColorRole.Text)
        self._fg = fg.name()
        for plot in (self.value_plot, self.count_plot, self.avail_plot):
            plot.setBackground(bg)
            for axis in ("left", "bottom"):
                ax = plot.getAxis(axis)
                ax.setPen(fg)
                ax.setTextPen(fg)
            item = plot.getPlotItem()
            item.titleLabel.setText(item.titleLabel.text, color=fg.name(), size="9pt")

    # -- change tracking ---------------------------------------------------------------
    def _on_updated(self, _up: Any) -> None:
        self._dirty = True

    def _on_selection(self, new: Selection, _old: Selection) -> None:
        self.element = selected_element(self.scene, new)
        self._dirty = True
        self._tick()

    def _tick(self) -> None:
        if not (self._dirty and self.isVisible()):
            return
        # While the 3D view moves, at most one redraw a second (LiveController.busy).
        if not self.controller.hold_refresh(self._last_refresh):
            self.refresh()

    # -- drawing -----------------------------------------------------------------------
    def refresh(self) -> None:
        """Redraw all three plots from the model."""
        self._dirty = False
        self._last_refresh = time.perf_counter()
        self._draw_value()
        times, counts = self.live.timeline.arrays()
        top = 0
        for name, curve in self.count_curves.items():
            y = counts[:, STATUSES.index(name)] if len(times) else np.zeros(0)
            curve.setData(times, y)
            top = max(top, int(y.max()) if len(y) else 0)
        # Counts start at zero and time spans at least a minute: a fresh feed's first
        # seconds otherwise get millisecond ticks and a +-0.4 element axis.
        _set_y(self.count_plot, max(4, top * 1.15))
        _time_range(self.count_plot, times)
        self._draw_availability(times)

    def _draw_value(self) -> None:
        store = self.live.store
        el = self.element
        if el is None or el[1] not in store.networks.get(el[0], {}):
            self.value_curve.setData([], [])
            self.value_points.setData([], [])
            _set_title(self.value_plot, "Selected element: value", self._fg)
            self.readout.setText("Select a network element to chart its values.")
            _time_range(self.value_plot, np.zeros(0))
            return
        row = store.row(*el)
        t, codes, values = store.history_of(row)
        unit = str(store.unit[row] or "")
        keep = np.isfinite(values) & np.isfinite(t)
        self.value_curve.setData(t[keep], values[keep])
        brushes = [_brush(int(c)) for c in codes[keep]]
        self.value_points.setData(t[keep], values[keep], brush=brushes)
        _time_range(self.value_plot, t[keep])
        _set_title(self.value_plot, f"{el[1]}: value" + (f" ({unit})" if unit else ""), self._fg)
        now = STATUSES[int(store.code[row])]
        self.readout.setText(
            f"{el[0]} {el[1]}: {now}, {int(keep.sum())} readings in the last {len(t)} messages"
        )

    def _draw_availability(self, times: np.ndarray) -> None:
        series = list(self.live.timeline.availability)
        nets = sorted({n for a in series for n in a})
        for net in nets:
            curve = self.avail_curves.get(net)
            if curve is None:
                curve = self.avail_curves[net] = self.avail_plot.plot(
                    [], [], pen=pg.mkPen(hex_of(_net_rgb(net)), width=2), name=net
                )
                title = "Availability %: " + _coloured(
                    [(n, _net_rgb(n)) for n in self.avail_curves]
                )
                _set_title(self.avail_plot, title, self._fg)
            y = np.array([100.0 * a.get(net, np.nan) for a in series])
            curve.setData(times[: len(y)], y)

    def close_model(self) -> None:
        self._timer.stop()
        self.scene.selection_changed.disconnect(self._on_selection)
