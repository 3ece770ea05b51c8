"""Construction charts: S-curve and buildings by phase over time (ui: Qt, pyqtgraph).

Two plots share the time axis: the S-curve of planned against actual progress (the city
or one district) and a stacked area of buildings by as-built phase. A vertical line in
both marks the time cursor; clicking a chart (or dragging its line) moves the cursor, so
"when did Gate fall behind?" is one click away from the 3D view of that day.

The series come from ``core.construction.scene_series`` (all buildings per date in one
vectorised pass, about a quarter of a second for the sample), computed once after the
window shows and again on :meth:`refresh` (e.g. after new progress reports arrived).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from alatau_twin.core.construction import CITY, ConstructionSeries, scene_series
from alatau_twin.core.scene import Scene
from alatau_twin.core.schedule import PHASES
from alatau_twin.core.style import PHASE_COLORS

DAY_S = 86400.0
PLANNED_PEN = "#7f8fa3"
ACTUAL_PEN = "#f08c1a"
CURSOR_PEN = "#e0413a"


def _epoch_s(day: Any) -> float:
    """Chart x: seconds since 1970 (what pyqtgraph's DateAxisItem reads)."""
    return float(np.datetime64(day, "s").astype("int64"))


class ConstructionChartsDock(QDockWidget):
    """S-curve and phase counts over time, with the time cursor; clicks move it."""

    # A chart click or line drag asked for this cursor time (datetime64[s]).
    dateRequested = Signal(object)

    def __init__(self, scene: Scene, parent: QWidget | None = None) -> None:
        super().__init__("Construction charts", parent)
        self.setObjectName("constructionChartsDock")
        self.scene = scene
        self.series: ConstructionSeries | None = None
        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        row = QHBoxLayout()
        row.addWidget(QLabel("Area"))
        self.group = QComboBox(body)
        self.group.setObjectName("chartsGroup")
        self.group.addItem(CITY)
        self.group.currentTextChanged.connect(self._redraw)
        row.addWidget(self.group, 1)
        self.readout = QLabel("", body)
        self.readout.setObjectName("chartsReadout")
        row.addWidget(self.readout, 2)
        layout.addLayout(row)

        self.s_plot = pg.PlotWidget(axisItems={"bottom": pg.DateAxisItem()})
        self.s_plot.setObjectName("sCurvePlot")
        self.s_plot.setTitle("Progress: planned vs actual (%)")
        self.s_plot.setYRange(0, 100, padding=0.02)
        self.s_plot.showGrid(x=True, y=True, alpha=0.25)
        self.s_plot.addLegend(offset=(8, 8))
        self.s_plot.setMouseEnabled(x=False, y=False)
        self.phase_plot = pg.PlotWidget(axisItems={"bottom": pg.DateAxisItem()})
        self.phase_plot.setObjectName("phasePlot")
        self.phase_plot.setTitle("Buildings by phase (as built)")
        self.phase_plot.showGrid(x=True, y=True, alpha=0.25)
        self.phase_plot.setMouseEnabled(x=False, y=False)
        self.phase_plot.setXLink(self.s_plot)
        layout.addWidget(self.s_plot, 1)
        layout.addWidget(self.phase_plot, 1)
        self.setWidget(body)

        self.planned_curve = self.s_plot.plot(
            [], [], pen=pg.mkPen(PLANNED_PEN, width=2, style=Qt.PenStyle.DashLine), name="plan"
        )
        self.actual_curve = self.s_plot.plot(
            [], [], pen=pg.mkPen(ACTUAL_PEN, width=3), name="as built"
        )
        self.cursor_lines: list[pg.InfiniteLine] = []
        for plot in (self.s_plot, self.phase_plot):
            line = pg.InfiniteLine(angle=90, movable=True, pen=pg.mkPen(CURSOR_PEN, width=2))
            line.setZValue(100)
            line.sigDragged.connect(self._on_line_dragged)
            plot.addItem(line)
            self.cursor_lines.append(line)
            plot.scene().sigMouseClicked.connect(
                lambda ev, p=plot: self._on_click(p, ev)  # type: ignore[misc]
            )
        self._phase_items: list[Any] = []
        # Two short rows on a soft background, readable over the bands.
        self.phase_legend = self.phase_plot.addLegend(offset=(8, 4), colCount=4)
        self._apply_palette()
        scene.date_changed.connect(self._on_date)
        # After the first frame: the city shows first, then its numbers.
        QTimer.singleShot(200, self.refresh)

    # -- data ------------------------------------------------------------------------
    def refresh(self) -> None:
        """Recompute the series from the schedule (after progress reports changed)."""
        if self.scene is None:
            return
        self.series = scene_series(self.scene)
        current = self.group.currentText()
        self.group.blockSignals(True)
        self.group.clear()
        groups = self.series.groups if self.series is not None else (CITY,)
        self.group.addItems(list(groups))
        if current in groups:
            self.group.setCurrentText(current)
        self.group.blockSignals(False)
        self._redraw()

    def _redraw(self, *_: Any) -> None:
        s = self.series
        for item in self._phase_items:
            self.phase_plot.removeItem(item)
        self._phase_items.clear()
        if s is None:
            self.planned_curve.setData([], [])
            self.actual_curve.setData([], [])
            return
        g = s.index(self.group.currentText() or CITY)
        x = s.days() * DAY_S
        self.planned_curve.setData(x, s.planned[g])
        self.actual_curve.setData(x, s.actual[g])
        # Stacked areas, "complete" at the bottom so the built city rises from the axis:
        # each phase is drawn from zero up to its running total, the larger totals first,
        # so the smaller ones paint over them and the bands stack.
        counts = s.phases[g][:, ::-1].cumsum(axis=1).astype(float)
        names = PHASES[::-1]
        bands: dict[str, Any] = {}
        for k in range(len(names) - 1, -1, -1):
            color = QColor(*PHASE_COLORS[names[k]])
            item = self.phase_plot.plot(
                x, counts[:, k], pen=pg.mkPen(color.darker(115), width=1), fillLevel=0.0,
                brush=pg.mkBrush(color),
            )  # fmt: skip
            self._phase_items.append(item)
            bands[names[k]] = item
        self.phase_legend.clear()
        for name in PHASES:  # from the top band down, as the eye reads the stack
            self.phase_legend.addItem(bands[name], name)
        self.phase_plot.setYRange(0, max(1, int(s.sizes[g])), padding=0.02)
        self.s_plot.setXRange(x[0], x[-1], padding=0.01)
        self._on_date(self.scene.date if self.scene is not None else None)

    # -- the cursor ------------------------------------------------------------------
    def _on_date(self, _day: Any) -> None:
        t = self.scene.time if self.scene is not None else None
        for line in self.cursor_lines:
            line.setVisible(t is not None)
            if t is not None:
                line.blockSignals(True)
                line.setValue(_epoch_s(t))
                line.blockSignals(False)
        s = self.series
        if t is None or s is None:
            self.readout.setText("")
            return
        group = self.group.currentText() or CITY
        plan, actual = s.at(group, t)
        gap = actual - plan
        self.readout.setText(
            f"{group} at {str(t)[:10]}: built {actual:.1f} %, plan {plan:.1f} % "
            f"({'+' if gap >= 0 else '−'}{abs(gap):.1f} pts)"
        )

    def x_to_time(self, x: float) -> np.datetime64:
        """Chart x (epoch seconds) to a cursor time, keeping the cursor's time of day."""
        day = np.datetime64(int(np.floor(x / DAY_S)), "D").astype("datetime64[s]")
        t = self.scene.time if self.scene is not None else None
        if t is not None:
            day = day + (t - t.astype("datetime64[D]").astype("datetime64[s]"))
        return day

    def _on_click(self, plot: pg.PlotWidget, event: Any) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        vb = plot.getPlotItem().vb
        if not vb.sceneBoundingRect().contains(event.scenePos()):
            return
        x = vb.mapSceneToView(event.scenePos()).x()
        self.request_time(self.x_to_time(x))

    def _on_line_dragged(self, line: pg.InfiniteLine) -> None:
        self.request_time(self.x_to_time(line.value()))

    def request_time(self, t: np.datetime64) -> None:
        """Move the cursor to ``t`` (through the model: everything follows)."""
        if self.scene is None:
            return
        self.scene.set_date(t)
        self.dateRequested.emit(t)

    # -- look ------------------------------------------------------------------------
    def _apply_palette(self) -> None:
        pal = QApplication.palette()
        bg = pal.color(QPalette.ColorRole.Base)
        fg = pal.color(QPalette.ColorRole.Text)
        for plot in (self.s_plot, self.phase_plot):
            plot.setBackground(bg)
            for axis in ("left", "bottom"):
                ax = plot.getAxis(axis)
                ax.setPen(fg)
                ax.setTextPen(fg)
            plot.getPlotItem().titleLabel.setText(
                plot.getPlotItem().titleLabel.text, color=fg.name()
            )
            legend = plot.getPlotItem().legend
            if legend is not None:
                back = QColor(bg)
                back.setAlpha(215)
                legend.setBrush(pg.mkBrush(back))
                legend.setLabelTextColor(fg)

    def changeEvent(self, event: Any) -> None:  # Qt naming
        from PySide6.QtCore import QEvent

        if event.type() == QEvent.Type.PaletteChange:
            self._apply_palette()
        super().changeEvent(event)

    def close_model(self) -> None:
        if self.scene is not None:
            self.scene.date_changed.disconnect(self._on_date)
        self.scene = None  # type: ignore[assignment]
