"""The viewer's main window: 3D viewport, layer panel, menus, status bar (ui: Qt).

Wired in one place, mnelab-style: the window builds the widgets, hands the pyvistaqt
interactor to the shared ``SceneView`` (the same code the headless render uses) and
routes every render request through a ``RenderScheduler``, so the viewport renders on
request only (``auto_update=False``), once per event-loop turn.
"""

from __future__ import annotations

import html
import time
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QMainWindow,
    QMessageBox,
    QWidget,
)
from pyvistaqt import QtInteractor

from alatau_twin import __version__
from alatau_twin.core.scene import Scene
from alatau_twin.render.scene_view import SceneView
from alatau_twin.render.theme import get_theme
from alatau_twin.ui.layer_list import LayerListWidget
from alatau_twin.ui.render_scheduler import RenderScheduler


class MainWindow(QMainWindow):
    """One scene in one window. ``first_frame`` fires after the first rendered frame."""

    first_frame = Signal(float)

    def __init__(self, scene: Scene, *, theme: str = "light", parent: QWidget | None = None):
        super().__init__(parent)
        self.scene = scene
        self.setObjectName("AlatauTwinMainWindow")
        self.setWindowTitle(f"Alatau Twin — {scene.info.title}")
        self.resize(1400, 860)
        self._t_created = time.perf_counter()
        self._first_frame_done = False

        # The viewport. auto_update=False: no 5 Hz timer re-rendering an idle scene.
        self.plotter = QtInteractor(self, auto_update=False, multi_samples=0)
        self.plotter.setObjectName("viewport")
        self.setCentralWidget(self.plotter.interactor)
        # Terrain style keeps the horizon level: left-drag orbits, Shift+drag pans.
        self.plotter.enable_terrain_style(mouse_wheel_zooms=True, shift_pans=True)
        self.scheduler = RenderScheduler(self.plotter.render, self)
        self.scene_view = SceneView(
            self.plotter, scene, get_theme(theme), request_render=self.scheduler.request
        )

        self.layer_list = LayerListWidget(scene.layers, self)
        dock = QDockWidget("Layers", self)
        dock.setObjectName("layersDock")
        dock.setWidget(self.layer_list)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
        self.layers_dock = dock

        self._build_menus()
        self._build_status_bar()
        self.scheduler.rendered.connect(self._on_rendered)
        self._fxaa = get_theme(theme).fxaa
        self._observers = [
            self.plotter.iren.add_observer("StartInteractionEvent", self._on_interaction_start),
            self.plotter.iren.add_observer("EndInteractionEvent", self._on_interaction_end),
        ]

    # -- menus ---------------------------------------------------------------------
    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)

        view_menu = bar.addMenu("&View")
        self.view_actions: dict[str, QAction] = {}
        for i, name in enumerate(_ordered_views(self.scene)):
            view = self.scene.views[name]
            action = QAction(view.title or name, self)
            if i < 9:
                action.setShortcut(QKeySequence(f"Ctrl+{i + 1}"))
            action.triggered.connect(lambda _=False, n=name: self.go_to_view(n))
            view_menu.addAction(action)
            self.view_actions[name] = action
        view_menu.addSeparator()
        view_menu.addAction(self.layers_dock.toggleViewAction())

        help_menu = bar.addMenu("&Help")
        about = QAction("&About Alatau Twin", self)
        about.triggered.connect(self.show_about)
        help_menu.addAction(about)

    def _build_status_bar(self) -> None:
        sb = self.statusBar()
        self.scene_label = QLabel(self._scene_text())
        self.frame_label = QLabel("")
        self.frame_label.setObjectName("frameTime")
        sb.addWidget(self.scene_label, 1)
        sb.addPermanentWidget(self.frame_label)

    def _scene_text(self) -> str:
        f = self.scene.frame
        n_buildings = sum(layer.n_features for layer in self.scene.building_layers())
        text = f"{self.scene.info.title} · {n_buildings:,} buildings · EPSG:{f.epsg}"
        if self.scene.date is not None:
            text += f" · {self.scene.date}"
        return text

    # -- actions -------------------------------------------------------------------
    def go_to_view(self, name: str) -> None:
        self.scene_view.apply_view(name)
        self.statusBar().showMessage(f"View: {self.scene.views[name].title or name}", 3000)

    def about_text(self) -> str:
        info = self.scene.info
        sources = "".join(f"<li>{html.escape(s)}</li>" for s in info.sources)
        return (
            f"<h3>Alatau Twin {__version__}</h3>"
            f"<p>{html.escape(info.title)}</p>"
            f"<p>{html.escape(info.description)}</p>"
            f"<p><b>What is real:</b> {html.escape(info.basis_note)}</p>"
            "<p>Every feature carries <i>basis</i> = fact, derived or illustrative; "
            "the inspector shows it.</p>"
            + (f"<p>Sources:</p><ul>{sources}</ul>" if sources else "")
        )

    def show_about(self) -> None:
        box = QMessageBox(self)
        box.setObjectName("aboutBox")
        box.setWindowTitle("About Alatau Twin")
        box.setTextFormat(Qt.TextFormat.RichText)
        box.setText(self.about_text())
        box.open()

    # -- rendering -----------------------------------------------------------------
    def _on_interaction_start(self, *_: Any) -> None:
        """Drop FXAA while the camera moves: it costs ~40% of a frame on llvmpipe."""
        self.plotter.renderer.SetUseFXAA(False)

    def _on_interaction_end(self, *_: Any) -> None:
        """Still again: one smoothed frame."""
        self.plotter.renderer.SetUseFXAA(self._fxaa)
        self.scheduler.request()

    def _on_rendered(self, seconds: float) -> None:
        self.frame_label.setText(f"frame {seconds * 1000:.0f} ms")
        if not self._first_frame_done:
            self._first_frame_done = True
            self.first_frame.emit(time.perf_counter() - self._t_created)

    def render_now(self) -> float:
        return self.scheduler.render_now()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.scheduler.stop()
        self.layer_list.close_model()
        self.scene_view.close()
        self.plotter.close()
        super().closeEvent(event)


def _ordered_views(scene: Scene) -> list[str]:
    first = [n for n in ("overview", "top") if n in scene.views]
    return first + [n for n in scene.views if n not in first]


def apply_palette(app: Any, theme: str) -> None:
    """Fusion style with a dark or light palette, matching the 3D theme."""
    from PySide6.QtGui import QColor, QPalette

    app.setStyle("Fusion")
    if theme != "dark":
        app.setPalette(app.style().standardPalette())
        return
    pal = QPalette()
    base, text = QColor("#1e2630"), QColor("#e8edf3")
    for role, color in (
        (QPalette.ColorRole.Window, QColor("#26303c")),
        (QPalette.ColorRole.WindowText, text),
        (QPalette.ColorRole.Base, base),
        (QPalette.ColorRole.AlternateBase, QColor("#2b3642")),
        (QPalette.ColorRole.Text, text),
        (QPalette.ColorRole.Button, QColor("#2b3642")),
        (QPalette.ColorRole.ButtonText, text),
        (QPalette.ColorRole.Highlight, QColor("#3d7fb8")),
        (QPalette.ColorRole.HighlightedText, QColor("#ffffff")),
        (QPalette.ColorRole.ToolTipBase, base),
        (QPalette.ColorRole.ToolTipText, text),
    ):
        pal.setColor(role, color)
    app.setPalette(pal)
