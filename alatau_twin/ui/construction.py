"""Wiring of the 4D construction tools into the main window (ui: Qt).

Kept out of ``main_window.py`` so the window's own wiring stays one short call: the
timeline bar docked along the bottom, the date and time in the status bar, the charts
dock on the right (with a View menu toggle), and the ghosts switch routed to the scene
view. Everything it adds it can take away again (:meth:`ConstructionTools.close_model`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDockWidget

from alatau_twin.core.scene import Scene
from alatau_twin.ui.construction_charts import ConstructionChartsDock
from alatau_twin.ui.timeline import TimelineDock

if TYPE_CHECKING:
    from alatau_twin.ui.main_window import MainWindow


class ConstructionTools:
    """The timeline and charts of one scene in one window."""

    def __init__(self, window: MainWindow, scene: Scene) -> None:
        from alatau_twin.render.construction import set_ghosts

        self.window = window
        view = window.scene_view
        assert view is not None
        self.timeline = TimelineDock(
            scene,
            window.scheduler.request,
            render_pending=lambda: window.scheduler.pending,
            set_ghosts=lambda on: set_ghosts(view, on),
            parent=window,
        )
        old = window.findChild(QDockWidget, "timelineDock")
        if old is not None and old is not self.timeline:
            window.removeDockWidget(old)
            old.deleteLater()
        # A row of its own across the whole bottom edge, not squeezed beside the table.
        window.addDockWidget(
            Qt.DockWidgetArea.BottomDockWidgetArea, self.timeline, Qt.Orientation.Vertical
        )
        window.docks_menu.addAction(self.timeline.toggleViewAction())
        window.statusBar().addPermanentWidget(self.timeline.status_label)
        self.charts: ConstructionChartsDock | None = None
        if scene.schedule is not None:
            self.charts = ConstructionChartsDock(scene, window)
            window._replace_dock(
                "constructionChartsDock", self.charts, Qt.DockWidgetArea.RightDockWidgetArea
            )
            self.charts.dateRequested.connect(lambda _t: window.scheduler.request())
            action = self.charts.toggleViewAction()
            action.setText("Construction &charts")
            action.setShortcut(QKeySequence("Ctrl+Shift+C"))
            window.view_menu.addAction(action)

    def close_model(self) -> None:
        self.timeline.close_model()
        self.window.statusBar().removeWidget(self.timeline.status_label)
        self.timeline.status_label.deleteLater()
        if self.charts is not None:
            self.charts.close_model()
            self.window.removeDockWidget(self.charts)
            self.charts.deleteLater()
