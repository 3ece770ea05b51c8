"""The timeline bar and construction charts in the real window under Xvfb."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt

pytestmark = pytest.mark.qt


def _show(window, qtbot) -> None:
    with qtbot.waitSignal(window.first_frame, timeout=30_000):
        window.show()
        window.scheduler.request()


def _tower(scene) -> tuple[object, np.ndarray]:
    layer = scene.layers["Buildings"]
    row = int(np.nonzero(layer.table["name"] == "Iconic Tower")[0][0])
    return layer, layer.mesh.point_data["feature_index"] == row


def _top(layer, points: np.ndarray) -> float:
    return float(layer.mesh.points[points, 2].max())


def test_moving_the_timeline_moves_buildings_and_the_date_labels(
    make_window, qtbot, fresh_sample_scene
) -> None:
    window = make_window(fresh_sample_scene)
    _show(window, qtbot)
    timeline = window.construction.timeline
    layer, tower = _tower(fresh_sample_scene)
    full = _top(layer, tower)
    assert "no date" in timeline.date_label.text()
    # Drag the slider to 2028-01-01: the tower (2026-05 .. 2030-09) is part built.
    frames = window.scheduler.frames
    timeline.slider.setValue(int((np.datetime64("2028-01-01") - timeline.start).astype(int)))
    assert str(fresh_sample_scene.date) == "2028-01-01"
    assert timeline.date_label.text().startswith("2028-01-01 12:00")
    assert "2028-01-01 12:00" in timeline.status_label.text()
    assert window.statusBar().isAncestorOf(timeline.status_label)
    mid = _top(layer, tower)
    assert mid < full - 50
    # One coalesced render follows, with the moved buildings on screen.
    qtbot.waitUntil(lambda: window.scheduler.frames > frames, timeout=10_000)
    # The date editor carries the time of day too, and moves the cursor.
    timeline.date_edit.setDateTime(timeline.date_edit.dateTime().addDays(400).addSecs(3600))
    assert str(fresh_sample_scene.time) == "2029-02-04T13:00:00"
    assert _top(layer, tower) > mid
    assert timeline.slider.value() == int(
        (np.datetime64("2029-02-04") - timeline.start).astype(int)
    )


def test_plan_toggle_changes_heights_at_the_same_date(make_window, qtbot, fresh_sample_scene):
    window = make_window(fresh_sample_scene)
    _show(window, qtbot)
    timeline = window.construction.timeline
    timeline.set_time("2029-06-01")
    layer = fresh_sample_scene.layers["Buildings"]
    built = layer.mesh.points[:, 2].copy()
    qtbot.mouseClick(timeline.plan_button, Qt.MouseButton.LeftButton)
    assert fresh_sample_scene.progress_mode == "planned"
    assert "plan" in timeline.date_label.text()
    planned = layer.mesh.points[:, 2].copy()
    assert np.abs(planned - built).max() > 10.0
    qtbot.mouseClick(timeline.built_button, Qt.MouseButton.LeftButton)
    assert fresh_sample_scene.progress_mode == "actual"
    assert np.array_equal(layer.mesh.points[:, 2], built)
    # The model drives the buttons back (a presenter's slide, say).
    fresh_sample_scene.progress_mode = "planned"
    assert timeline.plan_button.isChecked() and not timeline.built_button.isChecked()


def test_colour_mode_and_ghosts_switch(make_window, qtbot, fresh_sample_scene) -> None:
    window = make_window(fresh_sample_scene)
    _show(window, qtbot)
    timeline = window.construction.timeline
    timeline.set_time("2030-06-01")
    timeline.colour.setCurrentIndex(2)
    timeline.colour.activated.emit(2)
    layer = fresh_sample_scene.layers["Buildings"]
    assert fresh_sample_scene.color_by == "status"
    assert layer.legend.title == "schedule status"
    assert sum(e.count for e in layer.legend.entries) == layer.n_features
    ghosts = window.scene_view.adapters["Buildings"].ghosts
    assert ghosts.mask.any() and all(a.GetVisibility() for a in ghosts.actors)
    timeline.ghosts.setChecked(False)
    assert not any(a.GetVisibility() for a in ghosts.actors)
    # An attribute style from the toolbar replaces the construction colours.
    window.style_by("Buildings", "use")
    assert fresh_sample_scene.color_by is None
    assert timeline.colour.currentIndex() == 0


def test_a_chart_click_moves_the_cursor(make_window, qtbot, fresh_sample_scene) -> None:
    window = make_window(fresh_sample_scene)
    _show(window, qtbot)
    charts = window.construction.charts
    assert charts is not None
    charts.show()
    qtbot.waitUntil(lambda: charts.series is not None, timeout=20_000)
    assert charts.group.count() == 5  # City and the four districts
    plot = charts.s_plot
    vb = plot.getPlotItem().vb
    target = float(np.datetime64("2031-03-15T00:00:00").astype("int64"))
    scene_pos = vb.mapViewToScene(QPointF(target, 50.0))
    widget_pos = plot.mapFromScene(scene_pos)
    qtbot.mouseClick(plot.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(widget_pos))
    qtbot.waitUntil(lambda: fresh_sample_scene.date is not None, timeout=5000)
    # Within a pixel's worth of days of where we clicked.
    days_per_px = (vb.viewRange()[0][1] - vb.viewRange()[0][0]) / vb.width() / 86400
    got = fresh_sample_scene.date.astype("datetime64[D]")
    assert abs(int((got - np.datetime64("2031-03-15")).astype(int))) <= days_per_px + 1
    # The timeline and the cursor line follow.
    assert window.construction.timeline.date_label.text().startswith(str(got))
    assert charts.cursor_lines[0].isVisible()
    assert abs(charts.cursor_lines[0].value() - float(fresh_sample_scene.time.astype("int64"))) < 1
    assert "built" in charts.readout.text()
    # A district on the selector redraws the S-curve for that district.
    city_curve = charts.actual_curve.getData()[1].copy()
    charts.group.setCurrentText("Green")
    assert not np.allclose(charts.actual_curve.getData()[1], city_curve)


def test_play_advances_one_step_per_frame(make_window, qtbot, fresh_sample_scene) -> None:
    window = make_window(fresh_sample_scene)
    _show(window, qtbot)
    timeline = window.construction.timeline
    timeline.set_time("2030-01-01")
    timeline.speed.setCurrentIndex(1)  # a day per tick
    frames = window.scheduler.frames
    timeline.set_playing(True)
    assert timeline.play_button.text().endswith("Pause")
    qtbot.waitUntil(lambda: timeline.ticks_applied >= 4, timeout=30_000)
    timeline.set_playing(False)
    assert not timeline.playing
    applied = timeline.ticks_applied
    days = int((fresh_sample_scene.date - np.datetime64("2030-01-01")).astype(int))
    assert days == applied
    # Never more cursor updates than frames drawn (plus the one in flight).
    qtbot.wait(200)
    assert applied <= window.scheduler.frames - frames + 1
