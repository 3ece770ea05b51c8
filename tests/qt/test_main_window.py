"""The viewer window under Xvfb: first frame, layer panel, views, About box, no leaks."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

pytestmark = pytest.mark.qt


def _show(window, qtbot):
    with qtbot.waitSignal(window.first_frame, timeout=30_000) as blocker:
        window.show()
        window.scheduler.request()
    return blocker.args[0]


def test_window_opens_with_a_rendered_sample_and_closes_cleanly(
    make_window, qtbot, sample_scene
) -> None:
    window = make_window(sample_scene)
    seconds = _show(window, qtbot)
    assert seconds < 30
    assert window.windowTitle().startswith("Alatau Twin")
    image = np.asarray(window.plotter.screenshot())
    assert image.std() > 10, "the viewport shows a uniform image"
    names = [window.layer_list.item(i).text() for i in range(window.layer_list.count())]
    assert names == sample_scene.layers.names()
    assert "buildings" in window.scene_label.text()
    assert "frame" in window.frame_label.text()


def test_unticking_a_layer_hides_its_actor_and_coalesces_renders(
    make_window, qtbot, fresh_sample_scene
) -> None:
    window = make_window(fresh_sample_scene)
    _show(window, qtbot)
    item = window.layer_list.item_for("Buildings")
    actor = window.scene_view.adapters["Buildings"].actors[0]
    frames = window.scheduler.frames
    item.setCheckState(Qt.CheckState.Unchecked)
    for name in ("Roads", "Railway", "Water mains"):
        fresh_sample_scene.layers[name].visible = False
    qtbot.waitUntil(lambda: window.scheduler.frames > frames, timeout=5000)
    assert fresh_sample_scene.layers["Buildings"].visible is False
    assert not actor.GetVisibility()
    # Four changes in one event-loop turn made one render, not four.
    qtbot.wait(100)
    assert window.scheduler.frames == frames + 1
    # And the model drives the panel back.
    fresh_sample_scene.layers["Buildings"].visible = True
    assert item.checkState() == Qt.CheckState.Checked


def test_view_menu_moves_the_camera_to_each_district(make_window, qtbot, sample_scene) -> None:
    window = make_window(sample_scene)
    _show(window, qtbot)
    for district in ("gate", "golden", "growing", "green"):
        window.view_actions[district].trigger()
        assert window.flight.running  # a smooth flight, not a jump
        qtbot.waitUntil(lambda: not window.flight.running, timeout=5000)
        focal = np.array(window.plotter.camera.focal_point)
        assert np.allclose(focal, sample_scene.views[district].focal_point, atol=1.0)


def test_about_box_says_what_is_real(make_window, qtbot, sample_scene) -> None:
    window = make_window(sample_scene)
    _show(window, qtbot)
    text = window.about_text()
    assert "illustrative" in text and "SRTM" in text
    from PySide6.QtWidgets import QMessageBox

    window.show_about()
    box = window.findChild(QMessageBox, "aboutBox")
    qtbot.waitUntil(box.isVisible, timeout=5000)
    assert "illustrative" in box.text()
    box.close()


def _drag(qtbot, widget, start, end, button=None, modifier=None) -> None:
    from PySide6.QtCore import QPoint

    button = button or Qt.MouseButton.LeftButton
    modifier = modifier or Qt.KeyboardModifier.NoModifier
    qtbot.mousePress(widget, button, modifier, QPoint(*start))
    steps = 8
    for i in range(1, steps + 1):
        x = start[0] + (end[0] - start[0]) * i // steps
        y = start[1] + (end[1] - start[1]) * i // steps
        qtbot.mouseMove(widget, QPoint(x, y))
    qtbot.mouseRelease(widget, button, modifier, QPoint(*end))


def test_mouse_drag_orbits_and_wheel_zooms(make_window, qtbot, sample_scene) -> None:
    from PySide6.QtCore import QPoint, QPointF
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    window = make_window(sample_scene)
    _show(window, qtbot)
    widget = window.plotter.surface  # the native GL window receives the input
    cam = window.plotter.camera
    before = np.array(cam.position)
    cx, cy = widget.width() // 2, widget.height() // 2
    _drag(qtbot, widget, (cx, cy), (cx + 120, cy))
    after = np.array(cam.position)
    assert np.linalg.norm(after - before) > 100.0, "a left drag did not orbit the camera"
    # FXAA is dropped while moving and back once the camera is still.
    assert window.plotter.renderer.GetUseFXAA()
    distance = cam.distance
    pos = QPointF(cx, cy)
    event = QWheelEvent(
        pos,
        widget.mapToGlobal(QPoint(cx, cy)).toPointF(),
        QPoint(0, 0),
        QPoint(0, 120),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)
    assert cam.distance < distance, "the wheel did not zoom in"
