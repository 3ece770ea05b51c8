"""Presentation mode: slides, smooth flights between them, camera tours (ui: Qt).

Full screen with every dock, toolbar and bar hidden; the 3D view carries a large title,
the caption, the date, a KPI strip, a north arrow and a scale bar (VTK overlays shared
with the headless export, so the app and the video look alike). Right/Left, PageDown/
PageUp and Space step through the deck; Esc leaves and puts the window back exactly as
it was.

Flights run on the wall clock (a frame shows where the camera should be *now*, so a
slow frame skips ahead instead of slowing the flight down) and draw while moving the
way interaction does: without FXAA and, for big cities, roofs only; the still frame at
the end has full detail. The camera maths is ``core.presentation`` (the same the video
export uses), so a slide ends on exactly the camera it stores.

Hooks other features plug into (all on the MainWindow):

- ``window.kpi_provider() -> dict[str, str]``: the KPI strip (default:
  :meth:`Presenter.default_kpis`: buildings complete at the date, network availability
  under the slide's what-if, alarms "n/a"). Live status replaces or wraps it.
- ``window.overlay_registry``: an :class:`OverlayRegistry`; register ``"status"``,
  ``"phase"``, ... handlers there; a slide's overlay id is applied through it.
- ``window.what_if_handler(ids)``: applies a slide's out-of-service element ids
  (default: :class:`OutageColours`, red buildings that lose supply).
- ``window.current_overlay``: the overlay id showing now, stored in slides the user adds.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, QCoreApplication, QElapsedTimer, QEvent, QObject, Qt, QTimer
from PySide6.QtCore import Signal as QtSignal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QDockWidget, QInputDialog, QToolBar

from alatau_twin.core.presentation import (
    PRESENTATION_SUN,
    Deck,
    OutageColours,
    OverlayRegistry,
    Slide,
    SlideApplier,
    Tour,
    capture_slide,
    construction_overlay,
    default_kpis,
    ease,
    interpolate_camera,
    interpolate_date,
)
from alatau_twin.core.views import CameraView
from alatau_twin.render.overlays import PresentationOverlay

if TYPE_CHECKING:
    from alatau_twin.ui.main_window import MainWindow

CONTEXT = "Presenter"


def tr(text: str) -> str:
    return QCoreApplication.translate(CONTEXT, text)


class Presenter(QObject):
    """Presentation mode and tour playback for one MainWindow."""

    entered = QtSignal()
    left = QtSignal()
    slide_changed = QtSignal(int)
    arrived = QtSignal(int)  # a flight ended on slide (or keyframe) i
    tour_finished = QtSignal()

    NEXT_KEYS = (Qt.Key.Key_Right, Qt.Key.Key_PageDown, Qt.Key.Key_Space, Qt.Key.Key_Down)
    PREV_KEYS = (Qt.Key.Key_Left, Qt.Key.Key_PageUp, Qt.Key.Key_Backspace, Qt.Key.Key_Up)

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.active = False
        self.index = -1
        self.overlay: PresentationOverlay | None = None
        self._saved: dict[str, Any] = {}
        self._applier: SlideApplier | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(2)
        self._timer.timeout.connect(self._tick)
        self._clock = QElapsedTimer()
        self._flight: tuple[CameraView, CameraView, float, str, str | None, str | None] | None = (
            None
        )
        self._tour: Tour | None = None
        self._lod_on = False
        self._held_shadows: list[Any] = []  # building adapters whose shadows wait
        self._kpis: tuple[float, dict[str, str]] | None = None  # (when, figures)
        self._in_show = False  # a flight frame is being rendered (counted by _on_frame)
        self._frame_tag: int | None = None
        self._scheduler_was = True
        self._tour_slide: Slide | None = None
        self._tour_index = -1
        # Frames drawn in the last flight or tour and its wall time (benchmarks, tests).
        self.motion_frames = 0
        self.motion_seconds = 0.0
        window.overlay_registry = OverlayRegistry()
        window.overlay_registry.register("style", self._style_overlay)
        window.what_if_handler = None
        window.kpi_provider = self.default_kpis
        window.scene_loaded.connect(self._on_scene)

    # -- hooks ----------------------------------------------------------------------
    def _on_scene(self, scene: Any) -> None:
        if self.active:
            self.leave()
        self._applier = None
        self.window.what_if_handler = OutageColours(scene)
        # The 4D schedule's colours work on the scene alone; other features register
        # theirs ("status", ...) in window.overlay_registry.
        construction = construction_overlay(scene)
        for key in ("phase", "schedule status"):
            self.window.overlay_registry.register(key, construction)

    def _style_overlay(self, overlay_id: str) -> None:
        scene = self.window.scene
        if scene is None:
            return
        column = overlay_id.split(":", 1)[1] if ":" in overlay_id else ""
        for layer in scene.building_layers():
            if column and column in layer.table:
                self.window.style_by(layer.name, column)
            else:
                self.window.style_by(layer.name, None)

    def default_kpis(self) -> dict[str, str]:
        """Buildings complete at the date; availability under the slide's what-if;
        alarms "n/a" until the live-status feature provides them."""
        scene = self.window.scene
        if scene is None:
            return {}
        slide = self.current_slide
        out = slide.out_of_service if slide is not None else ()
        kpis = default_kpis(scene, out)
        return {tr(k): v for k, v in kpis.items()}

    @property
    def deck(self) -> Deck:
        """The scene's deck; without one, a slide per camera preset."""
        scene = self.window.scene
        if scene is None:
            return Deck()
        if scene.deck.slides:
            return scene.deck
        return Deck([Slide(v.title or v.name, v) for k, v in scene.views.items() if k != "top"])

    @property
    def current_slide(self) -> Slide | None:
        if self._tour is not None and self._flight is not None:
            return self._tour_slide
        deck = self.deck
        return deck.slides[self.index] if 0 <= self.index < len(deck) else None

    def applier(self) -> SlideApplier:
        scene = self.window.scene
        assert scene is not None
        if self._applier is None or self._applier.scene is not scene:
            handler = self.window.what_if_handler or OutageColours(scene)
            self.window.what_if_handler = handler
            self._applier = SlideApplier(scene, self.window.overlay_registry, handler)
        return self._applier

    # -- entering and leaving ----------------------------------------------------------
    def enter(self, index: int = 0) -> bool:
        """Full screen, chrome hidden, overlay on; show slide ``index``."""
        w = self.window
        if self.active or w.scene is None or w.scene_view is None:
            return False
        if not len(self.deck):
            w.statusBar().showMessage(tr("No slides to present"), 5000)
            return False
        w.flight.finish()
        self._saved = {
            "state": QByteArray(w.saveState()),
            "geometry": QByteArray(w.saveGeometry()),
            "window_state": w.windowState(),
            "menubar": w.menuBar().isVisible(),
            "statusbar": w.statusBar().isVisible(),
            "slide": capture_slide(
                w.scene, w.scene_view.current_view("before"), "before", mode="actual"
            ),
            "date": w.scene.date,
            "mode": getattr(w.scene, "progress_mode", "actual"),
        }
        for dock in w.findChildren(QDockWidget):
            dock.hide()
        for bar in w.findChildren(QToolBar):
            bar.hide()
        w.menuBar().hide()
        w.statusBar().hide()
        self.overlay = PresentationOverlay(w.plotter, w.scene_view.theme, tr=tr)
        sv = w.scene_view
        self._saved["sun"] = (sv.sun[0] if sv.sun else None, sv.shadows)
        sv.set_sun(PRESENTATION_SUN, shadows=True)
        self.active = True
        QApplication.instance().installEventFilter(self)
        # Without a window manager (Xvfb, kiosks) the full-screen state alone does not
        # resize the window: give it the screen's geometry first.
        w.setGeometry(QApplication.primaryScreen().geometry())
        w.showFullScreen()
        self.entered.emit()
        self.go_to(index, animate=False)
        self._warm_up_motion()
        return True

    def _warm_up_motion(self) -> None:
        """Build what a flight draws (coarse terrain, roofs-only buildings) and compile
        its shaders now, in one render that is not shown, so the first flight of a
        session is as smooth as the others (it ran at ~11 frames/s, the rest at 15-20).
        """
        w = self.window
        sv = w.scene_view
        if sv is None or not sv.lod_enabled:
            return
        rw = w.plotter.render_window
        sv.set_lod(True)
        rw.SwapBuffersOff()  # the viewport shows only frames that swap
        try:
            w.plotter.render()
        finally:
            rw.SwapBuffersOn()
            sv.set_lod(False)

    def leave(self) -> None:
        """Back to the window as it was: layout, chrome, layers, date, camera."""
        if not self.active:
            return
        w = self.window
        self._stop_motion()
        QApplication.instance().removeEventFilter(self)
        self.active = False
        if self.overlay is not None:
            self.overlay.close()
            self.overlay = None
        saved = self._saved
        if w.scene is not None and w.scene_view is not None and "slide" in saved:
            before: Slide = saved["slide"]
            applier = self.applier()
            applier.release()
            w.scene.restore_layers(before.saved_view())
            mode = saved.get("mode", "actual")
            if saved.get("date") != w.scene.date or mode != getattr(w.scene, "progress_mode", mode):
                w.scene.set_date(saved.get("date"), mode)
            w.scene_view.refresh_legend()
            when, shadows = saved.get("sun", (None, False))
            w.scene_view.set_sun(when, shadows=shadows)
            w.scene_view.apply_view(before.camera)
        w.setWindowState(saved.get("window_state", Qt.WindowState.WindowNoState))
        if not (saved.get("window_state", 0) & Qt.WindowState.WindowFullScreen):
            w.showNormal()
        if "geometry" in saved:
            w.restoreGeometry(saved["geometry"])
        if "state" in saved:
            w.restoreState(saved["state"])
        w.menuBar().setVisible(saved.get("menubar", True))
        w.statusBar().setVisible(saved.get("statusbar", True))
        self.index = -1
        self._saved = {}
        w.scheduler.request()
        self.left.emit()

    # -- slides ------------------------------------------------------------------------
    def next(self) -> None:
        if self.index + 1 < len(self.deck):
            self.go_to(self.index + 1)

    def previous(self) -> None:
        if self.index > 0:
            self.go_to(self.index - 1)

    def go_to(self, index: int, *, animate: bool = True) -> None:
        """Show slide ``index``: its state at once, the camera in a flight."""
        deck = self.deck
        if not 0 <= index < len(deck):
            return
        w = self.window
        assert w.scene_view is not None
        self._stop_motion()
        slide = deck.slides[index]
        prev_date = None if w.scene.date is None else str(w.scene.date)  # type: ignore[union-attr]
        self.index = index
        start = w.scene_view.current_view("from")
        dated = prev_date is not None and slide.date is not None
        # A dated slide after a dated one grows the city during the flight.
        self.applier().apply(slide, prev_date if (animate and dated) else None)
        w.scene_view.refresh_legend()  # the legend follows the slide's layers
        for problem in self.applier().problems:
            w.statusBar().showMessage(problem, 8000)
        self._set_overlay(slide, prev_date if (animate and dated) else slide.date)
        self.slide_changed.emit(index)
        duration = slide.transition_s if animate else 0.0
        if duration <= 0:
            w.scene_view.apply_view(slide.camera)
            w.render_now()
            self.arrived.emit(index)
            return
        self._flight = (start, slide.camera, duration, "ease-in-out", prev_date, slide.date)
        self._tour_slide = slide
        self._begin_motion()

    # While the camera flies, the KPI strip is refreshed at most this often: its figures
    # (buildings complete as the city grows, availability, alarms) took ~5 ms a frame on
    # the sample, and a reader cannot follow them faster anyway.
    KPI_INTERVAL_S = 0.25

    def _set_overlay(self, slide: Slide, date: str | None) -> None:
        if self.overlay is None:
            return
        now = time.perf_counter()
        if not self.moving or self._kpis is None or now - self._kpis[0] >= self.KPI_INTERVAL_S:
            provider = self.window.kpi_provider
            self._kpis = (now, provider() if callable(provider) else {})
        self.overlay.set_content(slide.title, slide.caption, date, slide.mode, self._kpis[1])

    # -- tours -------------------------------------------------------------------------
    def play_tour(self, tour: Tour | None = None) -> bool:
        """Play ``tour`` (default: the scene's, else one through the deck) full screen."""
        w = self.window
        if w.scene is None:
            return False
        tour = tour or (w.scene.tour if w.scene.tour.keyframes else Tour.from_deck(self.deck))
        if not tour.keyframes:
            return False
        if not self.active and not self.enter(0):
            return False
        self._stop_motion()
        self._tour = tour
        self._tour_index = -1
        self._tour_slide = tour.keyframes[0].slide
        self._flight = (tour.keyframes[0].slide.camera,) * 2 + (tour.duration, "", None, None)
        self._begin_motion()
        return True

    # -- motion ------------------------------------------------------------------------
    # While a flight or tour runs, the presenter owns rendering: the render scheduler is
    # paused (model changes would each ask for a render) and each frame is one render,
    # shown at once by the native viewport; a 2 ms timer gives the event loop a turn
    # between frames, so keys (Esc, next) are handled mid-flight.
    # Resolution while moving: at most half the width and height, and no more than about
    # 768x432 pixels in all (a full-HD window draws at 0.4 of its size). Measured on
    # llvmpipe for the sample: 132 ms a frame at 1920x1080, 68 ms at 960x540, 49 ms at
    # 640x360; the widget's blit scales the frame up with linear filtering, and the still
    # frame at the end is drawn at full resolution with FXAA.
    MOTION_SCALE = 0.5
    MOTION_PIXELS = 768 * 432

    def motion_scale(self, width: int, height: int) -> float:
        if width * height <= 0:
            return 1.0
        return min(self.MOTION_SCALE, math.sqrt(self.MOTION_PIXELS / (width * height)))

    def _begin_motion(self) -> None:
        w = self.window
        w.plotter.renderer.SetUseFXAA(False)
        # Order-independent transparency costs two full-screen passes (26 ms a frame at
        # 1280x720 on llvmpipe); while moving, plain blending looks the same here.
        self._oit_was = bool(w.plotter.renderer.GetUseOIT())
        w.plotter.renderer.SetUseOIT(False)
        rw = w.plotter.render_window
        self._full_size = tuple(rw.GetSize())
        fw, fh = self._full_size
        scale = self.motion_scale(fw, fh)
        if scale < 1.0 and fw > 640:
            rw.SetSize(max(1, int(fw * scale)), max(1, int(fh * scale)))
        if w.scene_view is not None and w.scene_view.lod_enabled:
            w.scene_view.set_lod(True)
            self._lod_on = True
        # Sun shadows are a second copy of every wall: hidden and not recomputed while
        # moving (the still frame at the end has them again), like FXAA and full
        # resolution.
        self._held_shadows = []
        if w.scene_view is not None:
            for adapter in w.scene_view.adapters.values():
                if hasattr(adapter, "hold_shadows"):
                    adapter.hold_shadows(True)
                    self._held_shadows.append(adapter)
        self._scheduler_was = w.scheduler.enabled
        w.scheduler.enabled = False
        self._frame_tag = w.plotter.render_window.AddObserver("EndEvent", self._on_frame)
        self._clock.start()
        self.motion_frames = 0
        self.motion_seconds = 0.0
        self._timer.setInterval(2)
        self._timer.start()
        self._tick()

    def _on_frame(self, *_: Any) -> None:
        if self._in_show:  # a frame of the flight, not some other render meanwhile
            self.motion_frames += 1

    def _show(self, view: CameraView) -> None:
        """Put the camera on ``view`` and render one frame now (no scheduler round trip)."""
        w = self.window
        cam = w.plotter.renderer.GetActiveCamera()
        cam.SetPosition(*view.position)
        cam.SetFocalPoint(*view.focal_point)
        cam.SetViewUp(*view.view_up)
        cam.SetViewAngle(view.view_angle)
        w.plotter.renderer.ResetCameraClippingRange()
        self._in_show = True
        try:
            w.plotter.render()  # synchronous: the frame is on screen when this returns
        finally:
            self._in_show = False

    def _stop_motion(self, *, finish: bool = True) -> None:
        if not self._timer.isActive() and self._flight is None:
            return
        self._timer.stop()
        w = self.window
        if self._clock.isValid():
            self.motion_seconds = self._clock.elapsed() / 1000.0
        if getattr(self, "_frame_tag", None) is not None:
            w.plotter.render_window.RemoveObserver(self._frame_tag)
            self._frame_tag = None
        w.scheduler.enabled = getattr(self, "_scheduler_was", True)
        full = getattr(self, "_full_size", None)
        if full is not None and tuple(w.plotter.render_window.GetSize()) != full:
            w.plotter.render_window.SetSize(*full)
        self._full_size = None
        flight, tour = self._flight, self._tour
        self._flight = None
        self._tour = None
        w.plotter.renderer.SetUseFXAA(getattr(w, "_fxaa", True))
        w.plotter.renderer.SetUseOIT(getattr(self, "_oit_was", True))
        if self._lod_on and w.scene_view is not None:
            w.scene_view.set_lod(False)
            self._lod_on = False
        for adapter in self._held_shadows:
            adapter.hold_shadows(False)
        self._held_shadows = []
        if finish and flight is not None and tour is None and w.scene_view is not None:
            # Land exactly on the slide's numbers, dates included.
            slide = self.current_slide
            if slide is not None:
                self.applier().apply(slide)
                self._set_overlay(slide, slide.date)
            w.scene_view.apply_view(flight[1])
        w.render_now()

    def finish(self) -> None:
        """Jump to the end of a running flight (tests, screenshots)."""
        if self._flight is not None:
            index = self.index
            was_tour = self._tour is not None
            self._stop_motion()
            if was_tour:
                self.tour_finished.emit()
            else:
                self.arrived.emit(index)

    @property
    def moving(self) -> bool:
        return self._flight is not None

    def _tick(self) -> None:
        if self._flight is None:
            self._timer.stop()
            return
        elapsed = self._clock.elapsed() / 1000.0
        if self._tour is not None:
            self._tick_tour(elapsed)
            return
        a, b, duration, easing, d0, d1 = self._flight
        u = min(1.0, elapsed / duration) if duration > 0 else 1.0
        if u >= 1.0:
            index = self.index
            self._stop_motion()
            self.arrived.emit(index)
            return
        if d0 is not None and d1 is not None and d0 != d1:
            date = interpolate_date(d0, d1, u)
            slide = self.current_slide
            if slide is not None:
                self.applier().apply(slide, date)
                self._set_overlay(slide, date)
        self._show(interpolate_camera(a, b, ease(easing, u)))

    def _tick_tour(self, elapsed: float) -> None:
        w = self.window
        tour = self._tour
        assert tour is not None and w.scene_view is not None
        if elapsed >= tour.duration:
            last = tour.keyframes[-1].slide
            self._tour_slide = last
            self._stop_motion(finish=False)
            self.applier().apply(last)
            self._set_overlay(last, last.date)
            w.scene_view.apply_view(last.camera)
            w.render_now()
            self.tour_finished.emit()
            return
        state = tour.state_at(elapsed)
        self._tour_slide = state.slide
        self.applier().apply(state.slide, state.date)
        if state.index != self._tour_index:
            self._tour_index = state.index
            w.scene_view.refresh_legend()
            self.slide_changed.emit(state.index)
        self._set_overlay(state.slide, state.date)
        self._show(state.camera)

    def motion_fps(self) -> float:
        """Frames painted per second in the last flight or tour (its final still frame
        excluded: that one has full detail and FXAA on purpose)."""
        return self.motion_frames / self.motion_seconds if self.motion_seconds > 0 else 0.0

    # -- keys --------------------------------------------------------------------------
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # Qt naming
        if self.active and event.type() == QEvent.Type.Close and obj is self.window:
            self.leave()  # closing while presenting: save the normal layout, not this one
            return False
        if not self.active or event.type() != QEvent.Type.KeyPress:
            return False
        key = event.key()  # type: ignore[attr-defined]
        if key == Qt.Key.Key_Escape:
            self.leave()
            return True
        if self._tour is not None:
            return key in (*self.NEXT_KEYS, *self.PREV_KEYS)
        if key in self.NEXT_KEYS:
            self.next()
            return True
        if key in self.PREV_KEYS:
            self.previous()
            return True
        if key == Qt.Key.Key_Home:
            self.go_to(0)
            return True
        if key == Qt.Key.Key_End:
            self.go_to(len(self.deck) - 1)
            return True
        return False

    # -- editing the deck ----------------------------------------------------------------
    def add_slide(self, title: str, caption: str = "") -> Slide | None:
        """Append the current view (camera, date, layers, filters) as a slide."""
        w = self.window
        if w.scene is None or w.scene_view is None:
            return None
        w.flight.finish()
        slide = capture_slide(
            w.scene,
            w.scene_view.current_view(title),
            title,
            caption=caption,
            overlay=self._current_overlay(),
        )
        if not w.scene.deck.slides and len(self.deck):
            # The fallback deck of presets becomes real once the user adds to it.
            w.scene.deck = Deck(list(self.deck.slides))
        w.scene.deck.slides.append(slide)
        w.statusBar().showMessage(tr("Added slide") + f" {title!r}", 3000)
        return slide

    def _current_overlay(self) -> str:
        """The overlay showing now: a feature may set ``window.current_overlay``; else
        the 4D schedule's construction colours, if on."""
        w = self.window
        current = getattr(w, "current_overlay", None)
        if current:
            return str(current)
        color_by = getattr(w.scene, "color_by", None)
        return {"phase": "phase", "status": "schedule status"}.get(str(color_by), "")

    def add_slide_dialog(self) -> None:
        title, ok = QInputDialog.getText(self.window, tr("Add slide"), tr("Slide title:"))
        if ok and title.strip():
            caption, _ = QInputDialog.getText(self.window, tr("Add slide"), tr("Caption:"))
            self.add_slide(title.strip(), caption.strip())


def install_presenter(window: MainWindow) -> Presenter:
    """Create the presenter and its menu (before Help) on ``window``."""
    presenter = Presenter(window)
    menu = window.menuBar().addMenu("&Present")
    menu.setObjectName("presentMenu")
    help_action = next(
        (a for a in window.menuBar().actions() if a.text().replace("&", "") == "Help"), None
    )
    if help_action is not None:
        window.menuBar().removeAction(menu.menuAction())
        window.menuBar().insertMenu(help_action, menu)

    def action(text: str, slot: Callable[[], Any], shortcut: Any = None) -> QAction:
        a = QAction(text, window)
        if shortcut is not None:
            a.setShortcut(QKeySequence(shortcut))
        a.triggered.connect(lambda _=False: slot())
        menu.addAction(a)
        return a

    presenter.start_action = action("&Start presentation", lambda: presenter.enter(0), "F5")
    presenter.tour_action = action("Play camera &tour", presenter.play_tour, "Shift+F5")
    menu.addSeparator()
    presenter.add_action = action("&Add current view as slide…", presenter.add_slide_dialog)
    window.present_menu = menu
    return presenter
