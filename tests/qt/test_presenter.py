"""Presentation mode in the real window under Xvfb: full screen, slides, flights, Esc."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QToolBar

pytestmark = pytest.mark.qt


@pytest.fixture()
def presenting_scene(fresh_sample_scene):
    from alatau_twin.io.sample_deck import attach_sample_presentation

    return attach_sample_presentation(fresh_sample_scene)


def _camera(window) -> tuple[np.ndarray, np.ndarray]:
    cam = window.plotter.renderer.GetActiveCamera()
    return np.array(cam.GetPosition()), np.array(cam.GetFocalPoint())


def _visible_docks(window) -> list[str]:
    return sorted(d.objectName() for d in window.findChildren(QDockWidget) if d.isVisible())


def test_presentation_mode_shows_slides_full_screen_and_esc_restores(
    make_window, qtbot, presenting_scene
) -> None:
    window = make_window(presenting_scene)
    window.show()
    qtbot.waitExposed(window)
    window.render_now()
    docks_before = _visible_docks(window)
    camera_before = _camera(window)
    assert docks_before and window.menuBar().isVisible()

    presenter = window.presenter
    presenter.start_action.trigger()  # Present > Start presentation (F5)
    qtbot.waitUntil(window.isFullScreen, timeout=3000)
    assert _visible_docks(window) == []
    assert not any(t.isVisible() for t in window.findChildren(QToolBar))
    assert not window.menuBar().isVisible() and not window.statusBar().isVisible()
    deck = presenting_scene.deck
    assert presenter.index == 0
    content = presenter.overlay.content
    assert content["title"] == deck[0].title and content["caption"] == deck[0].caption
    assert "Buildings complete" in content["kpis"]
    pos, focal = _camera(window)
    assert np.allclose(pos, deck[0].camera.position) and np.allclose(
        focal, deck[0].camera.focal_point
    )

    # Right: the next slide, reached in a smooth flight that lands on its camera.
    seen: list[np.ndarray] = []
    tag = window.plotter.render_window.AddObserver(
        "EndEvent", lambda *_: seen.append(_camera(window)[0])
    )
    with qtbot.waitSignal(presenter.arrived, timeout=15000) as blocker:
        qtbot.keyClick(window.plotter.interactor, Qt.Key.Key_Right)
        assert presenter.moving
    window.plotter.render_window.RemoveObserver(tag)
    assert blocker.args == [1]
    # Frames were drawn on the way, not a jump: cameras between the two slides.
    start, end = np.array(deck[0].camera.position), np.array(deck[1].camera.position)
    between = [p for p in seen if min(np.linalg.norm(p - start), np.linalg.norm(p - end)) > 100]
    assert presenter.motion_frames >= 1 and between
    pos, focal = _camera(window)
    assert np.allclose(pos, deck[1].camera.position, atol=1e-6)
    assert np.allclose(focal, deck[1].camera.focal_point, atol=1e-6)
    assert presenter.overlay.content["title"] == deck[1].title
    image = np.asarray(window.plotter.screenshot(None, return_img=True))
    assert image.std() > 15

    # Left goes back; PageDown forward (jump to the end of the flight to keep it short).
    qtbot.keyClick(window.plotter.interactor, Qt.Key.Key_Left)
    presenter.finish()
    assert presenter.index == 0
    qtbot.keyClick(window.plotter.interactor, Qt.Key.Key_PageDown)
    presenter.finish()
    assert presenter.index == 1

    # The fault slide: its what-if turns buildings red, its KPIs say so.
    fault = next(i for i, s in enumerate(deck.slides) if s.out_of_service)
    presenter.go_to(fault, animate=False)
    assert float(presenter.overlay.content["kpis"]["Network availability"].rstrip("%")) < 100

    # Esc: the window comes back as it was, camera and colours included.
    qtbot.keyClick(window.plotter.interactor, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not window.isFullScreen(), timeout=3000)
    assert not presenter.active and presenter.overlay is None
    assert _visible_docks(window) == docks_before
    assert window.menuBar().isVisible() and window.statusBar().isVisible()
    pos, focal = _camera(window)
    assert np.allclose(pos, camera_before[0]) and np.allclose(focal, camera_before[1])
    from alatau_twin.core.style import STATUS_COLORS

    colors = presenting_scene.layers["Buildings"].colors
    assert not (colors == np.array(STATUS_COLORS["fault"], np.uint8)).all(axis=1).any()


def test_add_slide_captures_the_current_view(make_window, qtbot, presenting_scene) -> None:
    window = make_window(presenting_scene)
    window.show()
    qtbot.waitExposed(window)
    n = len(presenting_scene.deck)
    window.go_to_view("green", duration_ms=0)
    presenting_scene.layers["Roads"].visible = False
    slide = window.presenter.add_slide("Green at dusk", "Caption")
    assert len(presenting_scene.deck) == n + 1 and presenting_scene.deck[-1] == slide
    assert slide.visible["Roads"] is False
    assert np.allclose(slide.camera.position, presenting_scene.views["green"].position)


def test_camera_tour_plays_to_the_end(make_window, qtbot, presenting_scene) -> None:
    from alatau_twin.core.presentation import Keyframe, Tour

    window = make_window(presenting_scene)
    window.show()
    qtbot.waitExposed(window)
    deck = presenting_scene.deck
    tour = Tour([Keyframe(deck[1], 0, 0.5), Keyframe(deck[2], 2.5, 0.5)])
    with qtbot.waitSignal(window.presenter.tour_finished, timeout=15000):
        assert window.presenter.play_tour(tour)
    pos, _ = _camera(window)
    assert np.allclose(pos, deck[2].camera.position)
    assert window.presenter.motion_frames >= 1
    qtbot.keyClick(window.plotter.interactor, Qt.Key.Key_Escape)
    assert not window.isFullScreen()


def _menu_titles(window) -> list[str]:
    return [a.text() for a in window.menuBar().actions() if a.menu() is not None]


def test_switching_language_translates_menus_docks_and_toolbars(
    make_window, qtbot, presenting_scene
) -> None:
    from PySide6.QtWidgets import QDockWidget, QToolBar

    window = make_window(presenting_scene)
    window.show()
    qtbot.waitExposed(window)
    english = _menu_titles(window)
    assert english[:2] == ["&File", "&View"] and "&Help" in english

    window.language_actions["ru"].trigger()  # View > Language > Русский
    titles = _menu_titles(window)
    assert titles[:2] == ["&Файл", "&Вид"]
    assert "П&резентация" in titles and "&Справка" in titles
    assert window.findChild(QDockWidget, "layersDock").windowTitle() == "Слои"
    assert window.findChild(QToolBar, "sunToolbar").windowTitle() == "Солнце"
    assert window.present_menu.title() == "П&резентация"
    assert window.presenter.start_action.text() == "&Начать презентацию"
    assert window.settings.value("language") == "ru"

    window.language_actions["kk"].trigger()  # Қазақша
    titles = _menu_titles(window)
    assert titles[:2] == ["&Файл", "&Көрініс"] and "&Анықтама" in titles
    assert window.presenter.start_action.text() == "Таныстырылымды &бастау"
    assert window.findChild(QDockWidget, "layersDock").windowTitle() == "Қабаттар"

    # The presentation overlay speaks the language too.
    window.presenter.enter(0)
    assert "Аяқталған ғимараттар" in window.presenter.overlay.content["kpis"]
    window.presenter.leave()

    window.language_actions["en"].trigger()
    assert _menu_titles(window) == english
    assert window.presenter.start_action.text() == "&Start presentation"


def test_saved_language_applies_to_a_new_window(make_window, qtbot, tmp_path) -> None:
    from PySide6.QtCore import QSettings

    settings = QSettings(str(tmp_path / "lang.ini"), QSettings.Format.IniFormat)
    settings.setValue("language", "kk")
    window = make_window(None, settings=settings)
    qtbot.waitUntil(lambda: _menu_titles(window)[:2] == ["&Файл", "&Көрініс"], timeout=3000)
    assert window.language_actions["kk"].isChecked()


def test_frames_are_opaque_without_the_alpha_clear(make_window, qtbot, presenting_scene) -> None:
    """The viewport skips pyvistaqt's per-frame alpha clear (a full-window pass on
    llvmpipe), which is only right if every pixel it shows is opaque already: the
    sky, the terrain, translucent planned-building ghosts and the overlay text."""
    window = make_window(presenting_scene)
    window.show()
    qtbot.waitExposed(window)
    presenter = window.presenter
    growing = next(i for i, s in enumerate(presenter.deck.slides) if s.date)
    presenter.enter(growing)  # a dated slide: ghosts of planned buildings are shown
    presenter.finish()
    window.render_now()
    alpha = _widget_framebuffer_alpha(window.plotter.interactor)
    assert alpha.size > 10_000
    assert alpha.min() == 255, f"{int((alpha < 255).sum())} of {alpha.size} pixels not opaque"
    presenter.leave()


def _widget_framebuffer_alpha(widget) -> np.ndarray:
    """The alpha channel of what the QOpenGLWidget hands Qt to compose (its FBO)."""
    import ctypes

    from PySide6.QtGui import QOpenGLContext

    widget.makeCurrent()
    ctx = QOpenGLContext.currentContext()

    def gl(name: str, *argtypes):
        return ctypes.CFUNCTYPE(None, *argtypes)(int(ctx.getProcAddress(name.encode())))

    bind = gl("glBindFramebuffer", ctypes.c_uint, ctypes.c_uint)
    read = gl("glReadPixels", *(ctypes.c_int,) * 4, ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p)
    w = round(widget.width() * widget.devicePixelRatioF())
    h = round(widget.height() * widget.devicePixelRatioF())
    buf = np.zeros((h, w, 4), np.uint8)
    bind(0x8CA8, widget.defaultFramebufferObject())  # GL_READ_FRAMEBUFFER
    read(0, 0, w, h, 0x1908, 0x1401, buf.ctypes.data)  # GL_RGBA, GL_UNSIGNED_BYTE
    widget.doneCurrent()
    assert buf[..., :3].std() > 15  # a picture was read, not an empty buffer
    return buf[..., 3]
