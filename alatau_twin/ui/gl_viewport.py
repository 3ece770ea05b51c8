"""The 3D viewport: VTK drawing straight into a native OpenGL window (ui).

Why not pyvistaqt's ``QtInteractor``: it is a ``QOpenGLWidget``, whose frames Qt
composes into the top-level window on every paint (the window's backing store and the
widget's texture drawn again, then swapped). On llvmpipe that composition alone costs
~27 ms a frame full screen at 1920x1080: an empty ``QOpenGLWidget`` reaches 37 frames/s
there, an empty native ``QWindow`` 177 (measured under Xvfb, docs/PERFORMANCE.md). A
slide transition has ~66 ms a frame for 15 frames/s, so the composition was the largest
single cost after the scene itself.

Here the viewport is a native ``QWindow`` with its own OpenGL context, embedded in the
widget layout with ``QWidget.createWindowContainer`` (the arrangement VTK's C++
``QVTKOpenGLStereoWidget`` uses). VTK renders into its own framebuffers as before; at
the end of each render (``WindowFrameEvent``) the frame is copied, scaled to fill the
window (the presenter renders smaller while moving), into the window's back buffer and
swapped. One render per request, no second paint, no composition.

``Viewport`` is a ``pyvista.BasePlotter``, so the rest of the app keeps pyvista's API
(renderers, cameras, ``screenshot``, interactor styles). ``Viewport.interactor`` is the
container ``QWidget`` for layouts; ``Viewport.surface`` is the window that receives the
mouse and keyboard (tests send their events there).

Known limits of a native child window (Qt documents them for window containers): Qt
widgets cannot be stacked over it, and ``QWidget.grab`` of the main window does not
include it (screenshots go through VTK, ``MainWindow.screenshot``).
"""

from __future__ import annotations

import contextlib
import ctypes
import time
from typing import Any

import pyvista
import shiboken6
from PySide6.QtCore import QEvent, QSize, Qt, QTimer
from PySide6.QtGui import (
    QCursor,
    QExposeEvent,
    QGuiApplication,
    QKeyEvent,
    QMouseEvent,
    QOffscreenSurface,
    QOpenGLContext,
    QResizeEvent,
    QSurface,
    QSurfaceFormat,
    QWheelEvent,
    QWindow,
)
from PySide6.QtWidgets import QSizePolicy, QWidget
from pyvista.plotting.plotter import BasePlotter
from pyvista.plotting.render_window_interactor import RenderWindowInteractor
from vtkmodules.vtkRenderingOpenGL2 import vtkGenericOpenGLRenderWindow
from vtkmodules.vtkRenderingUI import vtkGenericRenderWindowInteractor

# OpenGL enums used by the copy to the window (from the GL headers).
_GL_DRAW_FRAMEBUFFER = 0x8CA9
_GL_BACK = 0x0405
_GL_SCISSOR_TEST = 0x0C11
_GL_DEPTH_TEST = 0x0B71
_GL_LEQUAL = 0x0203
_GL_COLOR_BUFFER_BIT = 0x00004000
_GL_LINEAR = 0x2601

# VTK cursor ids (vtkRenderWindow.h) to Qt cursors.
_CURSORS = {
    2: Qt.CursorShape.SizeBDiagCursor,
    3: Qt.CursorShape.SizeFDiagCursor,
    4: Qt.CursorShape.SizeBDiagCursor,
    5: Qt.CursorShape.SizeFDiagCursor,
    6: Qt.CursorShape.SizeVerCursor,
    7: Qt.CursorShape.SizeHorCursor,
    8: Qt.CursorShape.SizeAllCursor,
    9: Qt.CursorShape.PointingHandCursor,
    10: Qt.CursorShape.CrossCursor,
}

# Qt keys without a printable character, as VTK key symbols (X11 keysym names).
_KEY_SYMS = {
    Qt.Key.Key_Backspace: "BackSpace",
    Qt.Key.Key_Tab: "Tab",
    Qt.Key.Key_Return: "Return",
    Qt.Key.Key_Enter: "Return",
    Qt.Key.Key_Shift: "Shift_L",
    Qt.Key.Key_Control: "Control_L",
    Qt.Key.Key_Alt: "Alt_L",
    Qt.Key.Key_Escape: "Escape",
    Qt.Key.Key_Space: "space",
    Qt.Key.Key_End: "End",
    Qt.Key.Key_Home: "Home",
    Qt.Key.Key_Left: "Left",
    Qt.Key.Key_Up: "Up",
    Qt.Key.Key_Right: "Right",
    Qt.Key.Key_Down: "Down",
    Qt.Key.Key_PageUp: "Prior",
    Qt.Key.Key_PageDown: "Next",
    Qt.Key.Key_Insert: "Insert",
    Qt.Key.Key_Delete: "Delete",
    Qt.Key.Key_Plus: "plus",
    Qt.Key.Key_Minus: "minus",
    **{getattr(Qt.Key, f"Key_F{i}"): f"F{i}" for i in range(1, 13)},
}


def surface_format() -> QSurfaceFormat:
    """OpenGL 3.2 core, as VTK needs; no depth, stencil or alpha in the window itself
    (VTK draws into its own framebuffers and only the finished colour is copied here,
    so an opaque 24-bit window is all that is shown)."""
    fmt = QSurfaceFormat()
    fmt.setRenderableType(QSurfaceFormat.RenderableType.OpenGL)
    fmt.setProfile(QSurfaceFormat.OpenGLContextProfile.CoreProfile)
    fmt.setVersion(3, 2)
    fmt.setSwapBehavior(QSurfaceFormat.SwapBehavior.DoubleBuffer)
    fmt.setRedBufferSize(8)
    fmt.setGreenBufferSize(8)
    fmt.setBlueBufferSize(8)
    fmt.setAlphaBufferSize(0)
    fmt.setDepthBufferSize(0)
    fmt.setStencilBufferSize(0)
    fmt.setSamples(0)
    return fmt


def _gl_proc_loader() -> int:
    """Address of the platform's GL function loader, for VTK's own GL entry points."""
    platform = QGuiApplication.platformName()
    if platform.startswith("wayland") or platform in ("eglfs", "offscreen", "minimalegl"):
        lib = ctypes.CDLL("libEGL.so.1")
        return int(ctypes.cast(lib.eglGetProcAddress, ctypes.c_void_p).value or 0)
    lib = ctypes.CDLL("libGL.so.1")
    return int(ctypes.cast(lib.glXGetProcAddressARB, ctypes.c_void_p).value or 0)


class GLSurface(QWindow):
    """The native window VTK's frames are shown in; hands its input to the viewport."""

    def __init__(self, viewport: Viewport) -> None:
        super().__init__()
        self.setSurfaceType(QSurface.SurfaceType.OpenGLSurface)
        self.setFormat(surface_format())
        self._viewport = viewport

    # -- drawing ---------------------------------------------------------------------
    def exposeEvent(self, event: QExposeEvent) -> None:  # Qt naming
        if self.isExposed():
            self._viewport._exposed()

    def resizeEvent(self, event: QResizeEvent) -> None:  # Qt naming
        self._viewport._resized()

    def event(self, event: QEvent) -> bool:  # Qt naming
        etype = event.type()
        if etype == QEvent.Type.UpdateRequest:
            self._viewport.render()
            return True
        if etype in (QEvent.Type.Enter, QEvent.Type.Leave):
            self._viewport._crossing(etype == QEvent.Type.Enter)
        return super().event(event)

    # -- input -----------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:  # Qt naming
        self._viewport._mouse_button(event, pressed=True)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # Qt naming
        self._viewport._mouse_button(event, pressed=True, repeat=1)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # Qt naming
        self._viewport._mouse_button(event, pressed=False)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # Qt naming
        self._viewport._mouse_move(event)

    def wheelEvent(self, event: QWheelEvent) -> None:  # Qt naming
        self._viewport._wheel(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # Qt naming
        self._viewport._key(event, pressed=True)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # Qt naming
        self._viewport._key(event, pressed=False)


class Viewport(BasePlotter):
    """A pyvista plotter drawing into a native OpenGL window inside the Qt layout."""

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        multi_samples: int = 0,
        **kwargs: Any,
    ) -> None:
        # Never redraws on a timer (pyvistaqt's auto_update): frames are drawn on
        # request, see MainWindow's RenderScheduler.
        BasePlotter.__init__(self, **kwargs)
        self._closed = False
        self._size = (0, 0)  # the window's size in device pixels, as VTK last heard it
        self._pose: tuple[float, ...] = ()  # the camera at the last frame
        self._moved_at = -1e9  # perf_counter() of the last frame whose camera moved
        self._wheel_delta = 0
        self._last_pos = (0.0, 0.0)
        self.surface = GLSurface(self)
        self.interactor = QWidget.createWindowContainer(self.surface, parent)
        self.interactor.setFocusPolicy(Qt.FocusPolicy.WheelFocus)
        self.interactor.setSizePolicy(
            QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        )
        self.interactor.setMinimumSize(QSize(64, 64))

        # One context for the whole life of the viewport. Before the window is shown
        # (and when it is hidden) VTK works with it on an offscreen surface, so models
        # can be added, measured and rendered to images before anything is on screen.
        self._context = QOpenGLContext()
        self._context.setFormat(surface_format())
        if not self._context.create():
            raise RuntimeError("could not create an OpenGL 3.2 core context for the 3D view")
        self._offscreen = QOffscreenSurface()
        self._offscreen.setFormat(self._context.format())
        self._offscreen.create()
        self._on_window = False  # the context is current on the window (not offscreen)

        self.ren_win = vtkGenericOpenGLRenderWindow()
        self.ren_win.SetFrameBlitModeToNoBlit()  # the copy to the window is ours
        self.ren_win.SetMultiSamples(int(multi_samples))
        self.ren_win.SetReadyForRendering(False)
        for renderer in self.renderers:
            renderer.view_isometric()
            self.ren_win.AddRenderer(renderer)
        vtk_iren = vtkGenericRenderWindowInteractor()
        vtk_iren.SetRenderWindow(self.ren_win)
        self._vtk_observers: list[tuple[Any, int]] = []
        for subject, name, handler in (
            (self.ren_win, "WindowMakeCurrentEvent", self._make_current),
            (self.ren_win, "WindowIsCurrentEvent", self._is_current),
            (self.ren_win, "WindowFrameEvent", self._present),
            (self.ren_win, "CursorChangedEvent", self._cursor_changed),
            (vtk_iren, "CreateTimerEvent", self._start_timer),
            (vtk_iren, "DestroyTimerEvent", self._stop_timer),
        ):
            self._vtk_observers.append((subject, subject.AddObserver(name, handler)))
        self._timer = QTimer(self.interactor)
        self._timer.timeout.connect(vtk_iren.TimerEvent)
        self._init_gl()

        self.iren = RenderWindowInteractor(self, interactor=vtk_iren)
        self.iren.interactor.RemoveObservers("MouseMoveEvent")  # pyvista's hover hooks
        self.iren.initialize()
        self.enable_trackball_style()
        self._observers: dict[Any, Any] = {}
        self.iren.add_observer("KeyPressEvent", self.key_press_event)
        self.reset_key_events()
        self.background_color = pyvista.global_theme.background
        self._first_time = False  # pyvista renders only once this is False
        self.make_opaque()

    # -- OpenGL ----------------------------------------------------------------------
    def _init_gl(self) -> None:
        """Load VTK's GL entry points and initialise its state on our context."""
        self._context.makeCurrent(self._offscreen)
        rw = self.ren_win
        rw.SetOpenGLSymbolLoader2(_gl_proc_loader(), 0)
        rw.OpenGLInitContext()
        rw.OpenGLInit()
        state = rw.GetState()
        state.Reset()
        state.vtkglDepthFunc(_GL_LEQUAL)
        state.vtkglEnable(_GL_DEPTH_TEST)
        rw.SetForceMaximumHardwareLineWidth(1)
        rw.SetOwnContext(0)
        rw.SetReadyForRendering(True)

    def _make_current(self, *_: Any) -> None:
        """VTK asks for its context: on the window when it is on screen, else offscreen."""
        if self._closed:
            return  # teardown done: nothing of VTK's may touch GL any more
        if self.surface.isExposed() and self._context.makeCurrent(self.surface):
            self._on_window = True
        else:
            self._on_window = False
            self._context.makeCurrent(self._offscreen)

    def _is_current(self, *_: Any) -> None:
        current = QOpenGLContext.currentContext()
        self.ren_win.SetIsCurrent(current is self._context)

    def _present(self, *_: Any) -> None:
        """After a render: copy VTK's frame into the window, scaled to fill it, and swap.

        Renders meant only for an image (a screenshot at a larger size renders with
        buffer swapping off) and renders while the window is not on screen stay where
        VTK drew them.
        """
        rw = self.ren_win
        if not self._on_window or (rw.GetDoubleBuffer() and not rw.GetSwapBuffers()):
            return
        cam = self.renderer.GetActiveCamera()
        pose = cam.GetPosition() + cam.GetFocalPoint() + cam.GetViewUp() + (cam.GetViewAngle(),)
        if pose != self._pose:
            self._pose = pose
            self._moved_at = time.perf_counter()
        if QOpenGLContext.currentContext() is not self._context:
            return
        self._blit()
        self._context.swapBuffers(self.surface)

    def _blit(self) -> None:
        rw = self.ren_win
        state = rw.GetState()
        state.PushDrawFramebufferBinding()
        state.vtkglBindFramebuffer(_GL_DRAW_FRAMEBUFFER, self._context.defaultFramebufferObject())
        state.vtkglDrawBuffer(_GL_BACK)
        scissor = state.GetEnumState(_GL_SCISSOR_TEST)
        if scissor:  # the scissor box would crop the copy
            state.vtkglDisable(_GL_SCISSOR_TEST)
        w, h = rw.GetSize()
        dw, dh = self._device_size()
        rw.BlitDisplayFramebuffer(
            0, 0, 0, w, h, 0, 0, dw, dh, _GL_COLOR_BUFFER_BIT, _GL_LINEAR
        )  # fmt: skip
        if scissor:
            state.vtkglEnable(_GL_SCISSOR_TEST)
        state.PopDrawFramebufferBinding()

    def _device_size(self) -> tuple[int, int]:
        ratio = self.surface.devicePixelRatio()
        return max(1, round(self.surface.width() * ratio)), max(
            1, round(self.surface.height() * ratio)
        )

    def _exposed(self) -> None:
        """On screen (again): draw a fresh frame (the size may have changed meanwhile)."""
        if self._closed:
            return
        self.render()

    def _resized(self, *, request: bool = True) -> None:
        """Follow the window's size (device pixels); ask for a frame if it changed."""
        if self._closed:
            return
        size = self._device_size()
        if size == self._size:
            return
        self._size = size
        iren = self.ren_win.GetInteractor()
        if iren is not None:
            iren.UpdateSize(*size)
            iren.InvokeEvent("ConfigureEvent")
        else:
            self.ren_win.SetSize(*size)
        self.ren_win.SetDPI(round(72 * self.surface.devicePixelRatio()))
        if request and self.surface.isExposed():
            self.surface.requestUpdate()

    MOVING_WINDOW_S = 0.3

    def moving(self) -> bool:
        """True while the camera moves on screen (a drag, a flight, a tour, an orbit):
        a frame with a new camera was shown less than ``MOVING_WINDOW_S`` ago.

        Other views (charts, tables) refresh less often then, so the 3D frames keep
        their rate; see ``LiveController.busy``.
        """
        return time.perf_counter() - self._moved_at < self.MOVING_WINDOW_S

    def make_opaque(self) -> None:
        """Opaque backgrounds in every renderer (call again after adding renderers), so
        frames copied or saved from VTK's framebuffers never carry transparency."""
        renderers = self.ren_win.GetRenderers()
        renderers.InitTraversal()
        for _ in range(renderers.GetNumberOfItems()):
            renderers.GetNextItem().SetBackgroundAlpha(1.0)

    # -- pyvista ---------------------------------------------------------------------
    def render(self) -> None:
        """Draw one frame now and show it (one VTK render, no second paint)."""
        if self._closed:
            return
        self._rendered = True
        self._resized(request=False)  # the window may have resized since its last event
        BasePlotter.render(self)

    def _check_has_ren_win(self) -> None:
        """Screenshots need the context current; ours can always be made current."""
        if self.ren_win is not None and not self._closed:
            self.ren_win.MakeCurrent()
        BasePlotter._check_has_ren_win(self)

    def close(self) -> None:
        """Release VTK's GL resources with our context current, then the context."""
        if self._closed:
            return
        self._timer.stop()
        with contextlib.suppress(Exception):
            self._context.makeCurrent(self._offscreen)
        BasePlotter.close(self)
        self._closed = True
        for subject, tag in self._vtk_observers:
            subject.RemoveObserver(tag)
        self._vtk_observers.clear()
        # Qt objects without a parent would otherwise be freed by Python's garbage
        # collector, possibly after the application object: a crash at exit.
        with contextlib.suppress(Exception):
            self._context.doneCurrent()
        self._offscreen.destroy()
        # The container goes now, taking the native window with it: left to its parent
        # window's deletion, Qt (6.11) later follows a dangling window pointer when the
        # application quits (QWindowContainer::toplevelAboutToBeDestroyed) and crashes.
        container = self.interactor
        container.hide()
        container.setParent(None)
        for obj in (container, self._context, self._offscreen):
            with contextlib.suppress(Exception):
                shiboken6.delete(obj)

    # -- input -----------------------------------------------------------------------
    def _event_info(self, x: float, y: float, modifiers: Any, key: str = "\0",
                    repeat: int = 0, key_sym: str | None = None) -> None:  # fmt: skip
        """Hand VTK the event's position (device pixels, y up) and modifier keys."""
        ratio = self.surface.devicePixelRatio()
        ctrl = bool(modifiers & Qt.KeyboardModifier.ControlModifier)
        shift = bool(modifiers & Qt.KeyboardModifier.ShiftModifier)
        self.iren.interactor.SetEventInformation(
            round(x * ratio),
            round((self.surface.height() - y - 1) * ratio),
            int(ctrl),
            int(shift),
            key,
            repeat,
            key_sym,
        )

    def _mouse_button(self, event: QMouseEvent, *, pressed: bool, repeat: int = 0) -> None:
        pos = event.position()
        self._event_info(pos.x(), pos.y(), event.modifiers(), repeat=repeat)
        vtk_iren = self.iren.interactor
        name = {
            Qt.MouseButton.LeftButton: "Left",
            Qt.MouseButton.RightButton: "Right",
            Qt.MouseButton.MiddleButton: "Middle",
        }.get(event.button())
        if name is not None:
            getattr(vtk_iren, f"{name}Button{'Press' if pressed else 'Release'}Event")()

    def _mouse_move(self, event: QMouseEvent) -> None:
        pos = event.position()
        self._last_pos = (pos.x(), pos.y())
        self._event_info(pos.x(), pos.y(), event.modifiers())
        self.iren.interactor.MouseMoveEvent()

    def _wheel(self, event: QWheelEvent) -> None:
        # Whole notches only (120 units), as VTK zooms one step per event.
        pos = event.position()
        self._event_info(pos.x(), pos.y(), event.modifiers())
        self._wheel_delta += event.angleDelta().y()
        if self._wheel_delta >= 120:
            self.iren.interactor.MouseWheelForwardEvent()
            self._wheel_delta = 0
        elif self._wheel_delta <= -120:
            self.iren.interactor.MouseWheelBackwardEvent()
            self._wheel_delta = 0

    def _key(self, event: QKeyEvent, *, pressed: bool) -> None:
        text = event.text()
        char = text[0] if text and text.isprintable() else "\0"
        key_sym = _KEY_SYMS.get(Qt.Key(event.key())) if char in ("\0", " ") else None
        if key_sym is None and char != "\0":
            key_sym = char
        self._event_info(*self._last_pos, event.modifiers(), char, 0, key_sym or "None")
        if pressed:
            self.iren.interactor.KeyPressEvent()
            self.iren.interactor.CharEvent()
        else:
            self.iren.interactor.KeyReleaseEvent()

    def _crossing(self, entered: bool) -> None:
        self._event_info(*self._last_pos, QGuiApplication.keyboardModifiers())
        if entered:
            self.iren.interactor.EnterEvent()
        else:
            self.iren.interactor.LeaveEvent()

    # -- VTK callbacks -----------------------------------------------------------------
    def _cursor_changed(self, *_: Any) -> None:
        # Deferred: VTK fires this before its current cursor is updated.
        QTimer.singleShot(0, self._show_cursor)

    def _show_cursor(self) -> None:
        if self._closed:
            return
        shape = _CURSORS.get(self.ren_win.GetCurrentCursor(), Qt.CursorShape.ArrowCursor)
        self.surface.setCursor(QCursor(shape))

    def _start_timer(self, *_: Any) -> None:
        self._timer.start(10)

    def _stop_timer(self, *_: Any) -> int:
        self._timer.stop()
        return 1
