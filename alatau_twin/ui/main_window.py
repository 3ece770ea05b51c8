"""The viewer's main window, wired in one place (ui: Qt).

mnelab-style: the window builds the widgets, hands the 3D viewport (ui/gl_viewport.py)
to the shared ``SceneView`` (the same drawing code the headless render uses) and routes
every render request through a ``RenderScheduler``: the viewport renders on request
only, once per event-loop turn. Widgets read and assign the scene
model; the scene's signals keep everything else in step.
"""

from __future__ import annotations

import datetime as dt
import html
import time
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QDateTime, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDockWidget,
    QFileDialog,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QToolBar,
    QWidget,
)

from alatau_twin import __version__
from alatau_twin.core.expression import ExpressionError, compile_expression
from alatau_twin.core.layers import BuildingLayer
from alatau_twin.core.scene import Scene
from alatau_twin.render.scene_view import SceneView
from alatau_twin.render.theme import get_theme
from alatau_twin.ui.attribute_table import AttributeTableDock
from alatau_twin.ui.camera_animation import CameraFlight
from alatau_twin.ui.gl_viewport import Viewport
from alatau_twin.ui.inspector import InspectorDock
from alatau_twin.ui.layer_list import LayerListWidget
from alatau_twin.ui.render_scheduler import RenderScheduler
from alatau_twin.ui.search import SearchBar
from alatau_twin.ui.viewport import ViewportController, building_height_text

MAX_RECENT = 8
ALMATY_UTC_OFFSET = dt.timezone(dt.timedelta(hours=5), "Asia/Almaty")


def default_settings() -> QSettings:
    return QSettings("Alatau Twin", "Alatau Twin")


class MainWindow(QMainWindow):
    """The viewer. ``first_frame`` fires after the first frame with a scene in it."""

    first_frame = Signal(float)
    scene_loaded = Signal(object)
    load_failed = Signal(str)

    def __init__(
        self,
        scene: Scene | None = None,
        *,
        theme: str = "light",
        settings: QSettings | None = None,
        parent: QWidget | None = None,
        feeds: list[str] | None = None,
        sample_sim: bool = False,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("AlatauTwinMainWindow")
        # Live feeds for every scene shown (see ui.live.initial_feeds): ``feeds`` from
        # --feed, and the simulator for the embedded sample when ``sample_sim`` (the
        # app turns it on; a window made by a test or a benchmark starts quiet).
        self.live_feeds = list(feeds or [])
        self.live_sample_sim = sample_sim
        self.live: Any = None
        self.settings = settings if settings is not None else default_settings()
        self.theme_name = str(self.settings.value("theme", theme)) if settings else theme
        self.resize(1400, 860)
        self._t_created = time.perf_counter()
        self._first_frame_done = False
        self.scene: Scene | None = None
        self.scene_view: SceneView | None = None
        self.controller: ViewportController | None = None
        self._loader: Any = None
        self._model_widgets: list[Any] = []

        # The viewport: renders on request only (no timer re-rendering an idle scene).
        self.plotter = Viewport(self, multi_samples=0)
        self.plotter.interactor.setObjectName("viewport")
        self.setCentralWidget(self.plotter.interactor)
        # Terrain style keeps the horizon level: left-drag orbits, Shift+drag pans.
        self.plotter.enable_terrain_style(mouse_wheel_zooms=True, shift_pans=True)
        self.scheduler = RenderScheduler(self._render, self)
        self.scheduler.rendered.connect(self._on_rendered)
        self.flight = CameraFlight(lambda: self.plotter.camera, self.scheduler.request, self)
        self._fxaa = get_theme(self.theme_name).fxaa
        self._observers = [
            self.plotter.iren.add_observer("StartInteractionEvent", self._on_interaction_start),
            self.plotter.iren.add_observer("EndInteractionEvent", self._on_interaction_end),
        ]

        # Files dropped anywhere on the window are added as layers (not pyvista's own
        # drop handler, which would add raw meshes outside the scene model).
        self.setAcceptDrops(True)
        self._build_status_bar()
        self._build_messages()
        self._build_menus()
        self._build_toolbars()
        from alatau_twin.ui.presenter import install_presenter  # Present menu, F5

        self.presenter = install_presenter(self)
        from alatau_twin.ui.i18n import install_i18n  # View > Language (en, ru, kk)

        self.translations = install_i18n(self)
        from alatau_twin.ui.live import LiveMenu  # Feeds menu: simulator, MQTT, replay

        self.live_menu = LiveMenu(self)
        self._restore_layout()
        self.setWindowTitle("Alatau Twin")
        if scene is not None:
            self.set_scene(scene)

    # ------------------------------------------------------------------ scene wiring
    def set_scene(self, scene: Scene) -> None:
        """Show ``scene``: build its render adapters and docks (replacing any previous)."""
        self._teardown_scene()
        self.scene = scene
        self.setWindowTitle(f"Alatau Twin — {scene.info.title}")
        self.scene_view = SceneView(
            self.plotter, scene, get_theme(self.theme_name), request_render=self.scheduler.request
        )
        self.controller = ViewportController(
            self.plotter.interactor, self.scene_view, self, events=self.plotter.surface
        )
        self.controller.readout.connect(self.readout_label.setText)
        self.controller.measured.connect(self._on_measured)
        self.controller.picked.connect(self._on_picked)
        # Locators (~0.2 s for the sample) after the first frame, so the city shows first.
        QTimer.singleShot(50, self._build_locators)

        self.layer_list = LayerListWidget(scene.layers, self)
        self.layers_dock.setWidget(self.layer_list)
        self.inspector = InspectorDock(scene, self)
        self._replace_dock("inspectorDock", self.inspector, Qt.DockWidgetArea.RightDockWidgetArea)
        self.table_dock = AttributeTableDock(scene, self)
        self._replace_dock(
            "attributeTableDock", self.table_dock, Qt.DockWidgetArea.BottomDockWidgetArea
        )
        self.table_dock.flyRequested.connect(self.fly_to_features)
        self.search = SearchBar(scene, self)
        self.search.setMinimumWidth(260)
        self.search.flyRequested.connect(self.fly_to_features)
        self.search_toolbar.clear()
        self.search_toolbar.addWidget(self.search)
        self._model_widgets = [self.layer_list, self.inspector, self.table_dock, self.search]
        # Construction in 4D: the timeline bar, the date in the status bar, the charts.
        from alatau_twin.ui.construction import ConstructionTools

        self.construction = ConstructionTools(self, scene)
        self._model_widgets.append(self.construction)
        # Live infrastructure status: feeds, alarms, charts, overlay (ui/live.py).
        from alatau_twin.ui.live import LiveTools, initial_feeds

        feeds = initial_feeds(scene, self.live_feeds, self.live_sample_sim)
        self.live = LiveTools(self, scene, feeds)
        self._model_widgets.append(self.live)
        self.live_menu.sync()

        self._fill_view_menu()
        self._fill_filter_layers()
        if self.settings.value("windowState") is None:
            self._default_layout()
        self.scene_label.setText(self._scene_text())
        self.progress.hide()
        self.scene_loaded.emit(scene)
        self.scheduler.request()

    def _default_layout(self) -> None:
        """First-run dock layout: the 3D view gets most of the window.

        The right column holds the inspector over one tab group (alarms, live charts,
        construction charts); the bottom keeps the attribute table short and the
        timeline. A saved layout (QSettings) replaces this from the second run on.
        """
        right = [
            self.findChild(QDockWidget, name)
            for name in ("alarmsDock", "liveChartsDock", "constructionChartsDock")
        ]
        right = [d for d in right if d is not None]
        if right:
            anchor = right[-1]
            for dock in right[:-1]:
                self.tabifyDockWidget(anchor, dock)
            right[0].raise_()
        self.resizeDocks([self.inspector], [440], Qt.Orientation.Horizontal)
        self.resizeDocks([self.table_dock], [150], Qt.Orientation.Vertical)

    def _build_locators(self) -> None:
        if self.scene_view is not None:
            self.scene_view.picker.build_all()

    def _replace_dock(self, name: str, dock: QDockWidget, area: Qt.DockWidgetArea) -> None:
        old = self.findChild(QDockWidget, name)
        if old is not None and old is not dock:
            self.removeDockWidget(old)
            old.deleteLater()
        self.addDockWidget(area, dock)
        self.docks_menu.addAction(dock.toggleViewAction())

    def _teardown_scene(self) -> None:
        for widget in self._model_widgets:
            widget.close_model()
        self._model_widgets = []
        self.live = None
        if self.controller is not None:
            self.controller.close()
            self.controller = None
        if self.scene_view is not None:
            self.scene_view.close()
            self.scene_view = None

    def open_sources(
        self, sources: list[str], crs: str | None = None, date: str | None = None
    ) -> None:
        """Load files (or the sample, or a project) in a worker thread, then show them."""
        from alatau_twin.ui.loader import SceneLoader

        self.progress.setRange(0, 0)  # busy: loaders report no fractions yet
        self.progress.show()
        what = ", ".join(Path(s).name for s in sources) or "the Alatau sample twin"
        self.statusBar().showMessage(f"Loading {what}…")
        self._loader = SceneLoader(sources, crs, date, self)
        self._loader.loaded.connect(lambda scene: self._on_loaded(scene, sources))
        self._loader.failed.connect(self._on_load_failed)
        self._loader.start()
        # The charts' library takes ~0.5 s to import; do it now, while the worker reads,
        # rather than inside set_scene, where it would add to the one stall users see.
        QTimer.singleShot(100, _import_chart_library)

    def _on_loaded(self, scene: Scene, sources: list[str]) -> None:
        self._loader = None
        self.set_scene(scene)
        if sources:
            self._remember_recent(sources)
        for message in scene.metadata.get("messages", []):
            self.report(message)
        self.statusBar().showMessage("Loaded", 3000)

    def _on_load_failed(self, message: str) -> None:
        self._loader = None
        self.report(message)
        self.progress.hide()
        self.statusBar().showMessage("Loading failed", 5000)
        self.load_failed.emit(message)
        box = QMessageBox(QMessageBox.Icon.Warning, "Could not open", message, parent=self)
        box.setObjectName("loadErrorBox")
        box.open()

    # ------------------------------------------------------------------ adding files
    def _build_messages(self) -> None:
        from PySide6.QtWidgets import QListWidget

        self.messages = QListWidget(self)
        self.messages.setObjectName("messageList")
        dock = QDockWidget("Messages", self)
        dock.setObjectName("messagesDock")
        dock.setWidget(self.messages)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
        dock.hide()
        self.messages_dock = dock

    def report(self, message: str) -> None:
        """Add a problem to the message panel (and show the panel)."""
        self.messages.addItem(message)
        self.messages.scrollToBottom()
        self.messages_dock.show()

    def add_files(self, paths: list[str]) -> None:
        """Read files in a worker thread and add their layers to the current scene."""
        if self.scene is None:
            self.open_sources(paths)
            return
        from alatau_twin.ui.loader import LayerAdder

        self.progress.setRange(0, 0)
        self.progress.show()
        self.statusBar().showMessage(f"Adding {', '.join(Path(p).name for p in paths)}…")
        self._adder = LayerAdder(paths, self.scene.frame, self)
        self._adder.loaded.connect(self._on_layers_added)
        self._adder.start()

    layers_added = Signal(object)

    def _on_layers_added(self, layers: list[Any], messages: list[str]) -> None:
        from alatau_twin.io.loader import drape_on_terrain

        self._adder = None
        self.progress.hide()
        assert self.scene is not None
        for message in messages:
            self.report(message)
        # Drape before the layers enter the scene, so adapters draw them on the ground.
        staging = Scene(self.scene.frame)
        if self.scene.terrain is not None:
            staging.layers.append(self.scene.terrain)
        for layer in layers:
            name, k = layer.name, 2
            while layer.name in self.scene.layers or layer.name in staging.layers:
                layer.name = f"{name} ({k})"
                k += 1
            staging.layers.append(layer)
        drape_on_terrain(staging)
        for layer in layers:
            self.scene.layers.append(layer)
        self._fill_filter_layers()
        self.statusBar().showMessage(f"Added {len(layers)} layer(s)", 5000)
        self.layers_added.emit(layers)

    def dragEnterEvent(self, event: Any) -> None:  # Qt naming
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: Any) -> None:  # Qt naming
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.add_files(paths)

    # ------------------------------------------------------------------ menus
    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self._action(file_menu, "&Open…", self.open_dialog, QKeySequence.StandardKey.Open)
        self._action(file_menu, "&Add layers…", self.add_dialog, "Ctrl+Shift+O")
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self._action(file_menu, "Open the Alatau &sample", lambda: self.open_sources([]))
        file_menu.addSeparator()
        self._action(
            file_menu,
            "Save &Project As…",
            self.save_project_dialog,
            QKeySequence.StandardKey.SaveAs,
        )
        shot = file_menu.addMenu("Save &Screenshot")
        for scale in (1, 2, 4):
            self._action(
                shot, f"{scale}x window size…", lambda _=False, s=scale: self.screenshot_dialog(s)
            )
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        self._fill_recent_menu()

        self.view_menu = bar.addMenu("&View")
        self.presets_menu = self.view_menu.addMenu("Camera")
        for kind, key in (("top", "T"), ("oblique", "O"), ("north-up", "N")):
            self._action(
                self.presets_menu,
                kind.capitalize(),
                lambda _=False, k=kind: self.camera_preset(k),
                key,
            )
        self.fly_action = self._action(
            self.view_menu, "&Fly to selection", self.fly_to_selection, "F"
        )
        self.scene_views_menu = self.view_menu.addMenu("&Places")
        self.saved_views_menu = self.view_menu.addMenu("&Saved views")
        self.view_menu.addSeparator()
        self.xray_action = self._action(self.view_menu, "&X-ray buildings", self.set_xray, "X")
        self.xray_action.setCheckable(True)
        self.measure_action = self._action(self.view_menu, "&Measure", self.set_measuring, "M")
        self.measure_action.setCheckable(True)
        self.view_menu.addSeparator()
        theme_menu = self.view_menu.addMenu("&Theme")
        group = QActionGroup(self)
        for name in ("light", "dark"):
            a = self._action(
                theme_menu, name.capitalize(), lambda _=False, n=name: self.set_theme(n)
            )
            a.setCheckable(True)
            a.setChecked(name == self.theme_name)
            group.addAction(a)
        self.docks_menu = self.view_menu.addMenu("&Panels")

        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "&About Alatau Twin", self.show_about)

    def _action(self, menu: Any, text: str, slot: Any, shortcut: Any = None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _fill_view_menu(self) -> None:
        assert self.scene is not None
        self.scene_views_menu.clear()
        self.view_actions: dict[str, QAction] = {}
        for i, name in enumerate(_ordered_views(self.scene)):
            view = self.scene.views[name]
            action = self._action(
                self.scene_views_menu,
                view.title or name,
                lambda _=False, n=name: self.go_to_view(n),
                f"Ctrl+{i + 1}" if i < 9 else None,
            )
            self.view_actions[name] = action
        self._fill_saved_views_menu()

    def _fill_saved_views_menu(self) -> None:
        self.saved_views_menu.clear()
        self._action(
            self.saved_views_menu, "Save current view…", self.save_view_dialog, "Ctrl+Shift+S"
        )
        if self.scene is None or not self.scene.saved_views:
            return
        self.saved_views_menu.addSeparator()
        for name in self.scene.saved_views:
            self._action(self.saved_views_menu, name, lambda _=False, n=name: self.restore_view(n))

    def _build_toolbars(self) -> None:
        self.search_toolbar = QToolBar("Search", self)
        self.search_toolbar.setObjectName("searchToolbar")
        self.addToolBar(self.search_toolbar)

        bar = QToolBar("Filter and style", self)
        bar.setObjectName("filterToolbar")
        self.filter_layer = QComboBox(bar)
        self.filter_layer.setObjectName("filterLayer")
        self.filter_layer.currentTextChanged.connect(self._on_filter_layer_changed)
        self.filter_edit = QLineEdit(bar)
        self.filter_edit.setObjectName("filterEdit")
        self.filter_edit.setPlaceholderText(
            'Filter, e.g. height > 100  or  district in ["Gate", "Golden"]'
        )
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setMinimumWidth(320)
        self.filter_edit.returnPressed.connect(self._apply_filter_from_bar)
        self.style_combo = QComboBox(bar)
        self.style_combo.setObjectName("styleColumn")
        self.style_combo.setToolTip("Colour the layer by an attribute")
        self.style_combo.activated.connect(self._apply_style_from_bar)
        bar.addWidget(QLabel(" Layer "))
        bar.addWidget(self.filter_layer)
        bar.addWidget(self.filter_edit)
        self._action(
            bar, "Clear filter", lambda: self.apply_filter(self.filter_layer.currentText(), "")
        )
        self._action(bar, "Isolate selection", self.isolate_selection, "I")
        bar.addWidget(QLabel(" Colour by "))
        bar.addWidget(self.style_combo)
        self.addToolBar(bar)
        self.filter_toolbar = bar

        sun = QToolBar("Sun", self)
        sun.setObjectName("sunToolbar")
        self.sun_check = QCheckBox("Sun", sun)
        self.sun_check.setObjectName("sunCheck")
        self.shadow_check = QCheckBox("Shadows", sun)
        self.shadow_check.setObjectName("shadowCheck")
        self.sun_time = QDateTimeEdit(sun)
        self.sun_time.setObjectName("sunTime")
        self.sun_time.setDisplayFormat("yyyy-MM-dd HH:mm 'Almaty'")
        self.sun_time.setCalendarPopup(True)
        self.sun_time.setDateTime(QDateTime(2026, 6, 21, 15, 0, 0))
        for w in (self.sun_check, self.shadow_check):
            w.toggled.connect(self._apply_sun)
        self.sun_time.dateTimeChanged.connect(self._apply_sun)
        sun.addWidget(self.sun_check)
        sun.addWidget(self.sun_time)
        sun.addWidget(self.shadow_check)
        self.addToolBar(sun)
        self.sun_toolbar = sun

    def _build_status_bar(self) -> None:
        sb = self.statusBar()
        self.scene_label = QLabel("")
        self.scene_label.setObjectName("sceneLabel")
        self.readout_label = QLabel("")
        self.readout_label.setObjectName("cursorReadout")
        self.frame_label = QLabel("")
        self.frame_label.setObjectName("frameTime")
        self.progress = QProgressBar(self)
        self.progress.setObjectName("loadProgress")
        self.progress.setMaximumWidth(160)
        self.progress.hide()
        sb.addWidget(self.scene_label)
        sb.addWidget(self.readout_label, 1)
        sb.addPermanentWidget(self.progress)
        sb.addPermanentWidget(self.frame_label)
        self.layers_dock = QDockWidget("Layers", self)
        self.layers_dock.setObjectName("layersDock")
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.layers_dock)

    def _scene_text(self) -> str:
        if self.scene is None:
            return ""
        n_buildings = sum(layer.n_features for layer in self.scene.building_layers())
        text = f"{n_buildings:,} buildings · EPSG:{self.scene.frame.epsg}"
        if self.scene.date is not None:
            text += f" · {self.scene.date}"
        return text

    # ------------------------------------------------------------------ camera
    def go_to_view(self, name: str, duration_ms: int = 700) -> None:
        assert self.scene is not None
        self.flight.fly(self.scene.views[name], duration_ms)
        self.statusBar().showMessage(f"View: {self.scene.views[name].title or name}", 3000)

    def camera_preset(self, kind: str, duration_ms: int = 500) -> None:
        assert self.scene_view is not None
        self.flight.fly(self.scene_view.preset_view(kind), duration_ms)

    def fly_to_features(self, layer: str, rows: list[int], duration_ms: int = 700) -> bool:
        """Fly the camera to frame some features; False if they have no extent."""
        if self.scene_view is None:
            return False
        view = self.scene_view.feature_view(layer, rows)
        if view is None:
            return False
        self.flight.fly(view, duration_ms)
        return True

    def fly_to_selection(self) -> bool:
        if self.scene is None or not self.scene.selection:
            self.statusBar().showMessage("Nothing selected", 3000)
            return False
        sel = self.scene.selection
        return self.fly_to_features(str(sel.layer), list(sel.rows))

    # ------------------------------------------------------------------ saved views
    def save_view(self, name: str) -> None:
        """Store camera, visible layers and filters under ``name`` in the scene."""
        assert self.scene is not None and self.scene_view is not None
        self.flight.finish()
        self.scene.capture_view(name, self.scene_view.current_view(name))
        self._fill_saved_views_menu()
        self.statusBar().showMessage(f"Saved view {name!r}", 3000)

    def restore_view(self, name: str, duration_ms: int = 0) -> list[str]:
        """Bring back a saved view exactly; returns problems (e.g. a missing layer)."""
        assert self.scene is not None
        view = self.scene.saved_views[name]
        problems = self.scene.restore_layers(view)
        self.flight.fly(view.camera, duration_ms)
        for p in problems:
            self.statusBar().showMessage(p, 8000)
        return problems

    def save_view_dialog(self) -> None:
        name, ok = QInputDialog.getText(self, "Save view", "Name of this view:")
        if ok and name.strip():
            self.save_view(name.strip())

    # ------------------------------------------------------------------ filter & style
    def _fill_filter_layers(self) -> None:
        assert self.scene is not None
        self.filter_layer.blockSignals(True)
        self.filter_layer.clear()
        for layer in self.scene.layers:
            if layer.n_features:
                self.filter_layer.addItem(layer.name)
        buildings = self.scene.building_layers()
        if buildings:
            self.filter_layer.setCurrentText(buildings[0].name)
        self.filter_layer.blockSignals(False)
        self._on_filter_layer_changed(self.filter_layer.currentText())

    def _on_filter_layer_changed(self, name: str) -> None:
        if self.scene is None or name not in self.scene.layers:
            return
        layer = self.scene.layers[name]
        self.filter_edit.setText(layer.filter_text)
        self.style_combo.clear()
        self.style_combo.addItem("(as loaded)")
        self.style_combo.addItems([c for c in layer.table.columns if c != "id"])

    def apply_filter(self, layer_name: str, text: str) -> int:
        """Filter a layer by an expression ('' shows all); returns the shown count.

        A bad expression leaves the current filter as it was and says why.
        """
        assert self.scene is not None
        layer = self.scene.layers[layer_name]
        if not text.strip():
            layer.set_filter(None)
        else:
            try:
                expr = compile_expression(text, layer.table.columns)
                mask = expr.evaluate(layer.table)
            except ExpressionError as exc:
                self.filter_edit.setStyleSheet("border: 1px solid #d9534f;")
                self.filter_edit.setToolTip(str(exc))
                self.statusBar().showMessage(f"Filter: {exc}", 8000)
                return layer.shown_count()
            layer.set_filter(mask, text)
        self.filter_edit.setStyleSheet("")
        self.filter_edit.setToolTip("")
        shown = layer.shown_count()
        self.statusBar().showMessage(f"{layer_name}: {shown:,} of {layer.n_features:,} shown", 5000)
        return shown

    def _apply_filter_from_bar(self) -> None:
        self.apply_filter(self.filter_layer.currentText(), self.filter_edit.text())

    def isolate_selection(self) -> None:
        """Show only the selected features of their layer."""
        if self.scene is None or not self.scene.selection:
            self.statusBar().showMessage("Select features first", 3000)
            return
        sel = self.scene.selection
        layer = self.scene.layers[str(sel.layer)]
        mask = np.zeros(layer.n_features, dtype=bool)
        mask[list(sel.rows)] = True
        ids = layer.table.get("id")
        text = (
            "id in [" + ", ".join(repr(str(ids[r])) for r in sel.rows) + "]"
            if ids is not None and len(sel.rows) <= 50
            else ""
        )
        layer.set_filter(mask, text)

    def style_by(self, layer_name: str, column: str | None) -> Any:
        """Colour a layer by an attribute (None restores its loaded colours)."""
        from alatau_twin.core.styling import style_layer

        assert self.scene is not None and self.scene_view is not None
        layer = self.scene.layers[layer_name]
        self.scene.color_by = None  # an attribute style replaces construction colours
        if column is None:
            original = getattr(layer, "_loaded_colors", None)
            if original is not None:
                layer.set_colors(original)
            layer.legend = None  # type: ignore[attr-defined]
            self.scene_view.refresh_legend()
            return None
        if not hasattr(layer, "_loaded_colors"):
            layer._loaded_colors = layer.colors.copy()  # type: ignore[attr-defined]
        legend = style_layer(layer, column)
        self.scene_view.refresh_legend()
        return legend

    def _apply_style_from_bar(self, index: int) -> None:
        column = None if index <= 0 else self.style_combo.itemText(index)
        self.style_by(self.filter_layer.currentText(), column)

    # ------------------------------------------------------------------ tools
    def set_xray(self, on: bool) -> None:
        if self.scene_view is not None:
            self.scene_view.set_xray(bool(on))
        self.xray_action.setChecked(bool(on))

    def set_measuring(self, on: bool) -> None:
        if self.controller is not None:
            self.controller.set_measuring(bool(on))
        self.measure_action.setChecked(bool(on))
        if on:
            self.statusBar().showMessage("Measure: click two points", 5000)

    def _on_measured(self, _m: object, text: str) -> None:
        self.statusBar().showMessage(f"Measured: {text}", 15000)

    def _on_picked(self, hit: Any) -> None:
        if (
            self.controller is not None
            and self.controller.measuring
            and hit is not None
            and hit.is_feature
            and isinstance(self.scene.layers[hit.layer], BuildingLayer)  # type: ignore[union-attr]
        ):
            assert self.scene_view is not None
            text = building_height_text(self.scene_view, hit.layer, hit.row)
            self.statusBar().showMessage(f"Building: {text}", 15000)

    def _apply_sun(self, *_: Any) -> None:
        if self.scene_view is None:
            return
        if not self.sun_check.isChecked():
            self.scene_view.set_sun(None)
            return
        self.set_sun(self.sun_time.dateTime().toPython(), shadows=self.shadow_check.isChecked())

    def set_sun(self, when: dt.datetime, shadows: bool = False) -> Any:
        """Light the city from the sun at ``when`` (local Almaty time if naive)."""
        assert self.scene_view is not None
        if when.tzinfo is None:
            when = when.replace(tzinfo=ALMATY_UTC_OFFSET)
        pos = self.scene_view.set_sun(when, shadows=shadows)
        if pos is not None:
            self.statusBar().showMessage(
                f"Sun: azimuth {pos.azimuth_deg:.1f}°, elevation {pos.elevation_deg:.1f}°", 8000
            )
        return pos

    def set_theme(self, name: str) -> None:
        from PySide6.QtWidgets import QApplication

        self.theme_name = name
        self.settings.setValue("theme", name)
        apply_palette(QApplication.instance(), name)
        if self.scene_view is not None:
            self.scene_view.set_theme(get_theme(name))

    # ------------------------------------------------------------------ files
    def open_dialog(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(
            self,
            "Open project or data files",
            "",
            "Projects and GIS data "
            "(*.toml *.gpkg *.geojson *.json *.shp *.fgb *.parquet *.csv);;All files (*)",
        )
        if paths:
            self.open_sources(paths)

    def add_dialog(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(
            self,
            "Add layers",
            "",
            "Data (*.gpkg *.geojson *.json *.shp *.fgb *.parquet *.csv *.gltf *.glb *.obj "
            "*.ply *.stl *.tif *.tiff *.hgt *.zip *.jsonl);;All files (*)",
        )
        if paths:
            self.add_files(paths)

    def _remember_recent(self, sources: list[str]) -> None:
        key = "|".join(str(Path(s).resolve()) for s in sources)
        recent = [r for r in self.recent_files() if r != key]
        recent.insert(0, key)
        self.settings.setValue("recentFiles", recent[:MAX_RECENT])
        self._fill_recent_menu()

    def recent_files(self) -> list[str]:
        value = self.settings.value("recentFiles", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or [])]

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        for entry in self.recent_files():
            label = ", ".join(Path(p).name for p in entry.split("|"))
            self._action(
                self.recent_menu, label, lambda _=False, e=entry: self.open_sources(e.split("|"))
            )
        self.recent_menu.setEnabled(bool(self.recent_files()))

    def save_project_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Save project", "alatau.toml", "Projects (*.toml)"
        )
        if path:
            self.save_project(path)

    def save_project(self, path: str) -> Path:
        from alatau_twin.io.project import save_project

        assert self.scene is not None
        out = save_project(self.scene, path)
        self.scene.metadata["project"] = str(out)
        self._remember_recent([str(out)])
        self.statusBar().showMessage(f"Saved project {out}", 5000)
        return out

    def screenshot(self, path: str, scale: int = 1) -> Path:
        """Save the view at ``scale`` x the window's resolution (atomically)."""
        from alatau_twin.render.offscreen import write_png_atomic

        self.flight.finish()
        self.plotter.renderer.SetUseFXAA(self._fxaa)
        image = self.plotter.screenshot(None, scale=scale, return_img=True)
        self.scheduler.request()
        return write_png_atomic(np.asarray(image), path)

    def screenshot_dialog(self, scale: int) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save screenshot", "alatau.png", "PNG (*.png)")
        if path:
            out = self.screenshot(path, scale)
            self.statusBar().showMessage(f"Saved {out}", 5000)

    # ------------------------------------------------------------------ about
    def about_text(self) -> str:
        info = self.scene.info if self.scene is not None else None
        if info is None:
            return f"<h3>Alatau Twin {__version__}</h3>"
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

    # ------------------------------------------------------------------ rendering
    def _render(self) -> None:
        # Programmatic camera moves (flights, presets) need fresh clipping planes too.
        self.plotter.renderer.ResetCameraClippingRange()
        self.plotter.render()  # one VTK render, shown at once (ui/gl_viewport.py)

    def _on_interaction_start(self, *_: Any) -> None:
        """While the camera moves: no FXAA (~40% of a frame on llvmpipe) and, for big
        cities, roofs-only buildings (the level of detail that keeps >= 10 frames/s)."""
        self.plotter.renderer.SetUseFXAA(False)
        if self.scene_view is not None and self.scene_view.lod_enabled:
            self.scene_view.set_lod(True)

    def _on_interaction_end(self, *_: Any) -> None:
        """Still again: full detail, one smoothed frame."""
        self.plotter.renderer.SetUseFXAA(self._fxaa)
        if self.scene_view is not None:
            self.scene_view.set_lod(False)
        self.scheduler.request()

    def _on_rendered(self, seconds: float) -> None:
        self.frame_label.setText(f"frame {seconds * 1000:.0f} ms")
        if not self._first_frame_done and self.scene is not None:
            self._first_frame_done = True
            self.first_frame.emit(time.perf_counter() - self._t_created)

    def render_now(self) -> float:
        """Render at once; the frame shows the model as it is now when this returns."""
        return self.scheduler.render_now()

    # ------------------------------------------------------------------ settings
    def _restore_layout(self) -> None:
        geometry = self.settings.value("geometry")
        state = self.settings.value("windowState")
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state)

    def closeEvent(self, event: QCloseEvent) -> None:  # Qt naming
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("windowState", self.saveState())
        self.settings.sync()
        for obs in self._observers:
            self.plotter.iren.remove_observer(obs)
        self._observers.clear()
        self.flight.finish()
        self.scheduler.stop()
        self._teardown_scene()
        self.plotter.close()
        super().closeEvent(event)


def _import_chart_library() -> None:
    import pyqtgraph  # noqa: F401


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
        (QPalette.ColorRole.PlaceholderText, QColor("#8a96a3")),
    ):
        pal.setColor(role, color)
    app.setPalette(pal)
