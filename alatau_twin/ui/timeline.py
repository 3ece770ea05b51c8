"""The timeline bar: one time cursor for construction, status replay and charts (ui: Qt).

A slider over the schedule's years, a date-and-time editor, play/pause with a speed and
a loop, the plan/as-built toggle, the construction colour mode and the ghosts switch.
Every control only *assigns the model* (``scene.set_date``, ``scene.progress_mode``,
``scene.color_by``); the scene's signals move the buildings, the charts and the labels,
and the render adapters ask for one coalesced render. The bar follows the model back,
so a chart click or a presenter's slide moves the slider too.

Playback advances the cursor on a timer but never faster than frames are drawn: a tick
that finds a render still pending is skipped, so updates never queue up behind a slow
frame (software GL draws the sample in ~0.1-0.2 s).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtCore import QDateTime, Qt, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from alatau_twin.core.construction import (
    format_time,
    programme_buildings,
    timeline_range,
)
from alatau_twin.core.scene import Scene

# (label, step): a step is seconds, or ("months", n) for calendar months.
SPEEDS: tuple[tuple[str, Any], ...] = (
    ("1 hour / tick", 3600),
    ("1 day / tick", 86400),
    ("1 week / tick", 7 * 86400),
    ("1 month / tick", ("months", 1)),
    ("1 quarter / tick", ("months", 3)),
)
DEFAULT_SPEED = 2  # a week per tick: 2025-2035 plays in about a minute on llvmpipe
COLOR_CHOICES: tuple[tuple[str, str | None], ...] = (
    ("Own style", None),
    ("Construction phase", "phase"),
    ("Schedule status", "status"),
)
TICK_MS = 40


def advance(time: np.datetime64, step: Any) -> np.datetime64:
    """``time`` moved on by one speed step (calendar months keep the day of month)."""
    t = np.datetime64(time, "s")
    if isinstance(step, tuple):
        months = int(step[1])
        d = t.astype(dt.datetime)
        m = d.month - 1 + months
        year, month = d.year + m // 12, m % 12 + 1
        day = min(d.day, _days_in_month(year, month))
        return np.datetime64(d.replace(year=year, month=month, day=day), "s")
    return t + np.timedelta64(int(step), "s")


def _days_in_month(year: int, month: int) -> int:
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    return (nxt - dt.timedelta(days=1)).day


class TimelineDock(QDockWidget):
    """The time cursor's controls, docked along the bottom of the main window."""

    # The cursor moved (datetime64[s]): for widgets that are not scene listeners.
    cursorMoved = Signal(object)

    def __init__(
        self,
        scene: Scene,
        request_render: Callable[[], None] = lambda: None,
        *,
        render_pending: Callable[[], bool] = lambda: False,
        set_ghosts: Callable[[bool], None] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Timeline", parent)
        self.setObjectName("timelineDock")
        self.scene = scene
        self.request_render = request_render
        self.render_pending = render_pending
        self._set_ghosts = set_ghosts
        rng = timeline_range(scene)
        if rng is None:
            year = dt.date.today().year
            rng = (np.datetime64(f"{year - 1}-01-01"), np.datetime64(f"{year + 1}-12-31"))
        self.start, self.end = np.datetime64(rng[0], "D"), np.datetime64(rng[1], "D")
        self._rows, _ = programme_buildings(scene)
        self.ticks_skipped = 0
        self.ticks_applied = 0

        body = QWidget(self)
        outer = QVBoxLayout(body)
        outer.setContentsMargins(8, 4, 8, 4)
        outer.setSpacing(2)
        top = QHBoxLayout()
        bottom = QHBoxLayout()
        outer.addLayout(top)
        outer.addLayout(bottom)

        self.play_button = QToolButton(body)
        self.play_button.setObjectName("timelinePlay")
        self.play_button.setCheckable(True)
        self.play_button.setText("▶ Play")
        self.play_button.setToolTip("Play or pause the time cursor (Space)")
        self.play_button.setShortcut("Space")
        self.play_button.toggled.connect(self.set_playing)
        self.date_label = QLabel("", body)
        self.date_label.setObjectName("timelineDateLabel")
        font = QFont(self.date_label.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.35)
        self.date_label.setFont(font)
        self.date_label.setMinimumWidth(260)
        self.slider = QSlider(Qt.Orientation.Horizontal, body)
        self.slider.setObjectName("timelineSlider")
        self.slider.setRange(0, int((self.end - self.start).astype(int)))
        self.slider.setPageStep(30)
        self.slider.setToolTip("Drag to move the time cursor")
        self.slider.valueChanged.connect(self._on_slider)
        start_label = QLabel(str(self.start)[:4], body)
        end_label = QLabel(str(self.end)[:4], body)
        top.addWidget(self.play_button)
        top.addWidget(self.date_label)
        top.addWidget(start_label)
        top.addWidget(self.slider, 1)
        top.addWidget(end_label)

        self.date_edit = QDateTimeEdit(body)
        self.date_edit.setObjectName("timelineDate")
        self.date_edit.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setToolTip("Date and time of the cursor (Asia/Almaty)")
        self.date_edit.dateTimeChanged.connect(self._on_date_edit)
        self.speed = QComboBox(body)
        self.speed.setObjectName("timelineSpeed")
        for label, _step in SPEEDS:
            self.speed.addItem(label)
        self.speed.setCurrentIndex(DEFAULT_SPEED)
        self.loop = QCheckBox("Loop", body)
        self.loop.setObjectName("timelineLoop")
        self.loop.setChecked(True)
        self.built_button = QToolButton(body)
        self.built_button.setObjectName("timelineAsBuilt")
        self.built_button.setText("As built")
        self.plan_button = QToolButton(body)
        self.plan_button.setObjectName("timelinePlan")
        self.plan_button.setText("Plan")
        self.mode_group = QButtonGroup(body)
        self.mode_group.setExclusive(True)
        for b in (self.built_button, self.plan_button):
            b.setCheckable(True)
            # The chosen mode must be obvious at a glance, in both themes.
            b.setStyleSheet(
                "QToolButton:checked { background: palette(highlight);"
                " color: palette(highlighted-text); }"
            )
            self.mode_group.addButton(b)
        self.built_button.setToolTip("Buildings as built (as-built progress reports)")
        self.plan_button.setToolTip("Buildings as planned at the same date")
        self.plan_button.toggled.connect(self._on_mode)
        self.colour = QComboBox(body)
        self.colour.setObjectName("timelineColour")
        for label, _mode in COLOR_CHOICES:
            self.colour.addItem(label)
        self.colour.setToolTip("Colour buildings by construction phase or schedule status")
        self.colour.activated.connect(self._on_colour)
        self.ghosts = QCheckBox("Ghosts", body)
        self.ghosts.setObjectName("timelineGhosts")
        self.ghosts.setChecked(True)
        self.ghosts.setToolTip("Planned, not started buildings as translucent outlines")
        self.ghosts.toggled.connect(self._on_ghosts)
        self.stats = QLabel("", body)
        self.stats.setObjectName("timelineStats")
        for w in (self.date_edit, self.speed, self.loop):
            bottom.addWidget(w)
        bottom.addSpacing(12)
        bottom.addWidget(self.built_button)
        bottom.addWidget(self.plan_button)
        bottom.addSpacing(12)
        bottom.addWidget(QLabel("Colour", body))
        bottom.addWidget(self.colour)
        bottom.addWidget(self.ghosts)
        bottom.addSpacing(12)
        bottom.addWidget(self.stats, 1)
        # As tall as its two rows and no taller: the 3D view keeps the height.
        body.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.setWidget(body)

        # The date and time in the status bar too: visible even with the dock closed.
        self.status_label = QLabel("")
        self.status_label.setObjectName("timelineStatus")

        self.timer = QTimer(self)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)

        scene.date_changed.connect(self._on_scene_date)
        scene.construction_changed.connect(self._sync_controls)
        # No cursor until the user moves one: the city opens complete, as it always did.
        self._sync_controls()

    # -- the cursor ------------------------------------------------------------------
    @property
    def time(self) -> np.datetime64 | None:
        return self.scene.time

    def set_time(self, time: Any) -> None:
        """Move the cursor (the one entry point every control uses)."""
        self.scene.set_date(time)
        self.request_render()

    def _time_of_day(self) -> np.timedelta64:
        t = self.scene.time
        if t is None:
            return np.timedelta64(12 * 3600, "s")
        return t - t.astype("datetime64[D]").astype("datetime64[s]")

    def _on_slider(self, value: int) -> None:
        day = (self.start + int(value)).astype("datetime64[s]")
        self.set_time(day + self._time_of_day())

    def _on_date_edit(self, value: QDateTime) -> None:
        self.set_time(np.datetime64(value.toPython().replace(microsecond=0), "s"))

    def _on_scene_date(self, _day: Any) -> None:
        """Follow the model: slider, date editor and labels show the cursor."""
        t = self.scene.time
        for w in (self.slider, self.date_edit):
            w.blockSignals(True)
        if t is None:
            self.slider.setValue(self.slider.maximum())
        else:
            day = t.astype("datetime64[D]")
            self.slider.setValue(
                int((min(max(day, self.start), self.end) - self.start).astype(int))
            )
            self.date_edit.setDateTime(QDateTime(t.astype(dt.datetime)))
        for w in (self.slider, self.date_edit):
            w.blockSignals(False)
        mode = "plan" if self.scene.progress_mode == "planned" else "as built"
        text = f"{format_time(t)}  ·  {mode}" if t is not None else "no date: all built"
        self.date_label.setText(text)
        self.status_label.setText(f"  {text}  ")
        self.stats.setText(self._stats_text())
        self.cursorMoved.emit(t)

    def _stats_text(self) -> str:
        sched = self.scene.schedule
        if sched is None or self.scene.date is None or len(self._rows) == 0:
            return ""
        day = self.scene.date
        built = float(sched.actual_progress(day)[self._rows].mean() * 100)
        plan = float(sched.planned_progress(day)[self._rows].mean() * 100)
        return f"Programme: built {built:.1f} % · plan {plan:.1f} %"

    # -- playback ----------------------------------------------------------------------
    @property
    def playing(self) -> bool:
        return self.timer.isActive()

    def set_playing(self, on: bool) -> None:
        if on and not self.timer.isActive():
            if self.scene.time is None or (
                self.scene.date is not None and self.scene.date >= self.end
            ):
                self.set_time(self.start)
            self.timer.start()
        elif not on:
            self.timer.stop()
        self.play_button.blockSignals(True)
        self.play_button.setChecked(on)
        self.play_button.setText("⏸ Pause" if on else "▶ Play")
        self.play_button.blockSignals(False)

    def step(self) -> np.datetime64:
        """The next cursor time at the current speed (wrapping or stopping at the end)."""
        t = self.scene.time if self.scene.time is not None else self.start.astype("datetime64[s]")
        nxt = advance(t, SPEEDS[self.speed.currentIndex()][1])
        end = (self.end + 1).astype("datetime64[s]")
        if nxt >= end:
            if self.loop.isChecked():
                return self.start.astype("datetime64[s]") + self._time_of_day()
            return end - np.timedelta64(1, "s")
        return nxt

    def _tick(self) -> None:
        if self.render_pending():
            # The last update is not on screen yet: skip, never queue a second one.
            self.ticks_skipped += 1
            return
        at_end = self.scene.date is not None and self.scene.date >= self.end
        if at_end and not self.loop.isChecked():
            self.set_playing(False)
            return
        self.ticks_applied += 1
        self.set_time(self.step())

    # -- modes -----------------------------------------------------------------------
    def _on_mode(self, plan: bool) -> None:
        self.scene.progress_mode = "planned" if plan else "actual"
        self.request_render()

    def _on_colour(self, index: int) -> None:
        self.scene.color_by = COLOR_CHOICES[index][1]
        self.request_render()

    def _on_ghosts(self, on: bool) -> None:
        if self._set_ghosts is not None:
            self._set_ghosts(bool(on))
        self.request_render()

    def _sync_controls(self) -> None:
        """Mode buttons and colour combo follow the model (e.g. a presenter's slide)."""
        for w in (self.built_button, self.plan_button, self.colour):
            w.blockSignals(True)
        planned = self.scene.progress_mode == "planned"
        self.plan_button.setChecked(planned)
        self.built_button.setChecked(not planned)
        modes = [m for _label, m in COLOR_CHOICES]
        self.colour.setCurrentIndex(modes.index(self.scene.color_by))
        for w in (self.built_button, self.plan_button, self.colour):
            w.blockSignals(False)
        self._on_scene_date(self.scene.date)

    def close_model(self) -> None:
        self.timer.stop()
        self.scene.date_changed.disconnect(self._on_scene_date)
        self.scene.construction_changed.disconnect(self._sync_controls)
