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
        qtbot.keyClick(window.plotter.surface, Qt.Key.Key_Right)
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
    qtbot.keyClick(window.plotter.surface, Qt.Key.Key_Left)
    presenter.finish()
    assert presenter.index == 0
    qtbot.keyClick(window.plotter.surface, Qt.Key.Key_PageDown)
    presenter.finish()
    assert presenter.index == 1

    # The fault slide: its what-if turns buildings red, its KPIs say so.
    fault = next(i for i, s in enumerate(deck.slides) if s.out_of_service)
    presenter.go_to(fault, animate=False)
    assert float(presenter.overlay.content["kpis"]["Network availability"].rstrip("%")) < 100

    # Esc: the window comes back as it was, camera and colours included.
    qtbot.keyClick(window.plotter.surface, Qt.Key.Key_Escape)
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
    qtbot.keyClick(window.plotter.surface, Qt.Key.Key_Escape)
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


def test_the_screen_shows_each_frame_full_window_even_when_drawn_smaller(
    make_window, qtbot, presenting_scene
) -> None:
    """The viewport is a native GL window (ui/gl_viewport.py): what a user sees is what
    the window's swap put on the X screen, read back here from the display server. A
    still frame must match VTK's own image, and a frame drawn at reduced resolution
    (slide transitions) must still fill the whole window, scaled up."""
    window = make_window(presenting_scene)
    window.show()
    qtbot.waitExposed(window)
    presenter = window.presenter
    presenter.enter(1)
    presenter.finish()
    qtbot.waitUntil(window.plotter.surface.isExposed, timeout=5000)  # full screen now
    window.render_now()
    vtk_image = np.asarray(window.plotter.screenshot(None, return_img=True))[..., :3]
    window.render_now()  # the screenshot rendered off the window: show a frame again
    shown = _on_screen(window)
    assert shown.shape == vtk_image.shape
    assert shown.std() > 15, "the window shows no picture"
    diff = np.abs(shown.astype(int) - vtk_image.astype(int)).mean()
    assert diff < 3, f"the screen differs from VTK's frame by {diff:.1f} on average"

    # A transition frame: VTK draws at a fraction of the window, the copy scales it up.
    rw = window.plotter.render_window
    full = tuple(rw.GetSize())
    rw.SetSize(full[0] // 3, full[1] // 3)
    try:
        window.plotter.render()
        small = _on_screen(window)
    finally:
        rw.SetSize(*full)
    h, w = small.shape[:2]
    for corner in (small[: h // 8, : w // 8], small[-h // 8 :, -w // 8 :]):
        assert corner.mean() > 20, "a corner of the window stayed black: the frame was not scaled"
    assert np.abs(small.astype(int) - shown.astype(int)).mean() < 25  # the same view, blurrier
    presenter.leave()


def _on_screen(window) -> np.ndarray:
    """The viewport's pixels as the display server has them (RGB, top row first)."""
    from PySide6.QtGui import QImage

    surface = window.plotter.surface
    pixmap = surface.screen().grabWindow(surface.winId())
    image = pixmap.toImage().convertToFormat(QImage.Format.Format_RGB888)
    w, h = image.width(), image.height()
    data = np.frombuffer(image.constBits(), np.uint8, count=image.sizeInBytes())
    return data.reshape(h, image.bytesPerLine())[:, : w * 3].reshape(h, w, 3).copy()


def test_window_shortcuts_work_while_the_3d_view_has_the_keyboard(
    make_window, qtbot, presenting_scene
) -> None:
    """The 3D view is a native window inside the main window: with it focused (after a
    click, as a presenter would), key presses go to it first, and the window's
    shortcuts must still fire: F5 presents, Esc leaves."""
    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtTest import QTest

    window = make_window(presenting_scene)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    surface = window.plotter.surface
    surface.requestActivate()
    QTest.mouseClick(surface, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(40, 40))  # fmt: skip
    qtbot.waitUntil(lambda: QGuiApplication.focusWindow() is surface, timeout=3000)
    QTest.keyClick(surface, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: window.presenter.active, timeout=5000)
    window.presenter.finish()
    QTest.keyClick(surface, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not window.presenter.active, timeout=5000)
