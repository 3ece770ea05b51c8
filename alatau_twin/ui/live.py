"""Live infrastructure status in the viewer: feeds, the per-frame pump, the Feeds menu,
the connection state in the status bar and the element panel (ui: Qt).

Feeds (the simulator, a replayed log, MQTT brokers) run in their own threads and only
``put`` raw messages into one bounded :class:`~alatau_twin.core.status.MessageQueue`.
A ``QTimer`` on the main thread (15 Hz) drains it into the scene's
:class:`~alatau_twin.core.live.LiveStatus`: the raw batch goes to a decode process
(:mod:`alatau_twin.io.feeds.decode_worker`) and the arrays it sends back are applied
on the next tick: one apply per tick however many messages arrived, colours changed in
place, and at most one render requested through the window's ``RenderScheduler``,
only when something visible changed. Feed state
arrives from feed threads through a queued Qt signal. The alarms, the charts and this
module's widgets all read the same ``LiveStatus``; none keeps state of its own.

``LiveTools`` is per scene (made in ``MainWindow.set_scene``, closed with the scene);
``LiveMenu`` is per window (the Feeds menu and its dialogs).
"""

from __future__ import annotations

import datetime as dt
import gc
import html
import logging
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from alatau_twin.core.live import (
    LOSS_LABELS,
    STATUS_COLORS,
    STATUS_LEGEND_OK,
    LiveStatus,
)
from alatau_twin.core.scene import Scene, Selection
from alatau_twin.core.status import STATUSES, MessageQueue
from alatau_twin.io.feeds.decode_worker import DecodeWorker

if TYPE_CHECKING:
    from alatau_twin.ui.main_window import MainWindow

log = logging.getLogger(__name__)

PUMP_INTERVAL_MS = 66  # ~15 Hz: faster than anyone reads, slower than a frame on llvmpipe
MAX_PER_PUMP = 20_000  # a flood is drained over several ticks, never in one long one
ALMATY = dt.timezone(dt.timedelta(hours=5), "Asia/Almaty")
STATE_COLORS = {
    "connected": "#2e9d4f",
    "connecting": "#e0a100",
    "reconnecting": "#e0a100",
    "error": "#d0342c",
    "finished": "#7a8490",
    "stopped": "#7a8490",
    "idle": "#7a8490",
}


def status_rgb(name: str, *, text: bool = False) -> tuple[int, int, int]:
    """Display colour of a status word (ok/unknown get the legend's green/grey).

    ``text``: for words and lines on a panel, where "offline" (near black in 3D, where
    it reads as "dark") must stay readable on a dark theme too.
    """
    if text and name == "offline":
        return (125, 130, 142)
    rgb = STATUS_COLORS.get(name)
    if rgb is not None:
        return rgb
    return STATUS_LEGEND_OK if name == "ok" else (150, 155, 160)


def hex_of(rgb: Sequence[int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*(int(v) for v in rgb[:3]))


def clock_text(t: float, *, with_date: bool = False) -> str:
    """Epoch seconds as Almaty wall-clock time (the city's, not the machine's)."""
    if not np.isfinite(t):
        return "—"
    d = dt.datetime.fromtimestamp(t, ALMATY)
    return d.strftime("%Y-%m-%d %H:%M:%S" if with_date else "%H:%M:%S")


def ago_text(t: float, now: float | None = None) -> str:
    if not np.isfinite(t):
        return "never"
    s = max(0.0, (time.time() if now is None else now) - t)
    if s < 60:
        return f"{s:.0f} s ago"
    if s < 3600:
        return f"{s / 60:.0f} min ago"
    return f"{s / 3600:.1f} h ago"


def initial_feeds(scene: Scene, extra: Sequence[str] | None, sample_sim: bool) -> list[str]:
    """Feeds a scene starts with: the simulator for the embedded sample (unless the
    user said ``--no-sim``), the project's ``[[feeds]]`` for a project, plus any
    ``--feed`` given on the command line. Files the user opened get none by default."""
    urls: list[str] = []
    is_sample = not scene.sources and "project" not in scene.metadata
    if is_sample and sample_sim and scene.networks:
        urls.append("sim:")
    urls.extend(str(u) for u in scene.metadata.get("feeds", []) or [])
    urls.extend(extra or [])
    return list(dict.fromkeys(urls))  # once each, in order


def find_element(scene: Scene, network: str, element_id: str) -> tuple[str, int] | None:
    """(layer, row) where a network element is drawn: a layer with ``network`` and
    ``id`` columns, else any layer with that id."""
    for layer in scene.layers:
        table = layer.table
        if "id" not in table or "network" not in table:
            continue
        try:
            row = table.index_of(element_id)
        except KeyError:
            continue
        if str(table["network"][row]) == network:
            return layer.name, row
    return scene.find_feature(element_id)


def selected_element(scene: Scene, sel: Selection) -> tuple[str, str] | None:
    """(network, element id) when the selection is one network element."""
    if not sel or sel.layer is None:
        return None
    layer = scene.layers[sel.layer]
    if "id" not in layer.table or "network" not in layer.table:
        return None
    row = sel.rows[0]
    return str(layer.table["network"][row]), str(layer.table["id"][row])


class _ReplayProgress:
    """Counts a replay log's lines in a thread, for "replay 63 %" (a log of millions
    of lines takes a second to count; the status bar must not wait for it)."""

    def __init__(self, path: Path) -> None:
        self.total: int | None = None
        threading.Thread(target=self._count, args=(path,), daemon=True).start()

    def _count(self, path: Path) -> None:
        try:
            with open(path, "rb") as fh:
                n = sum(1 for line in fh if line.strip())
            header = path.suffix.lower() == ".csv"
            self.total = max(0, n - (1 if header else 0))
        except OSError:
            self.total = 0


def feed_text(source: Any, progress: _ReplayProgress | None = None) -> str:
    """What the status bar says about one feed: "MQTT connected localhost:1883",
    "MQTT reconnecting localhost:1883", "simulator", "replay 63 %"."""
    kind, state = getattr(source, "kind", "feed"), source.state
    if kind == "mqtt":
        addr = source.options.address
        words = {"connected": "connected", "connecting": "connecting to"}
        return f"MQTT {words.get(state, state)} {addr}"
    if kind == "simulator":
        return "simulator" if state == "connected" else f"simulator {state}"
    if kind == "replay":
        if state == "connected":
            total = progress.total if progress is not None else None
            if total:
                return f"replay {min(100, 100 * source.sent // total)} %"
            return f"replay {source.sent:,} msgs"
        return f"replay {state}"
    return f"{source.name} {state}"


# ---------------------------------------------------------------------------------
# Status bar
# ---------------------------------------------------------------------------------
class FeedStatusWidget(QFrame):
    """Coloured dot + words per feed, with per-source counters in the tooltip."""

    clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("feedStatus")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(4, 0, 4, 0)
        self.label = QLabel(self)
        self.label.setObjectName("feedStatusText")
        self.label.setTextFormat(Qt.TextFormat.RichText)
        lay.addWidget(self.label)
        self.show_rows([])

    def show_rows(self, rows: list[tuple[str, str, str]]) -> None:
        """``rows``: (text, state, tooltip line) per feed; none = "no live feed"."""
        if not rows:
            rows = [("no live feed", "idle", "Feeds > Simulator, Connect to MQTT or Replay")]
        parts = [
            f"<span style='color:{STATE_COLORS.get(state, '#7a8490')}; font-size:14px'>●</span>"
            f"&nbsp;{html.escape(text)}"
            for text, state, _ in rows
        ]
        text = " &nbsp; ".join(parts)
        if text != self.label.text():  # called per pump: relayout only on change
            self.label.setText(text)
        self.setToolTip("<br>".join(html.escape(tip) for *_, tip in rows))

    def text(self) -> str:
        """The plain text shown (for tests and logs)."""
        from PySide6.QtGui import QTextDocument

        doc = QTextDocument()
        doc.setHtml(self.label.text())
        return doc.toPlainText().replace("\u00a0", " ")

    def mousePressEvent(self, event: Any) -> None:  # Qt naming
        self.clicked.emit()
        super().mousePressEvent(event)


class AlarmBadge(QToolButton):
    """ "3 alarms" in the status bar: red while a critical alarm is unacknowledged."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("alarmBadge")
        self.setAutoRaise(True)
        self.show_counts({})

    def show_counts(self, counts: dict[str, int]) -> None:
        n = sum(counts.get(k, 0) for k in ("critical", "warning", "info"))
        unack = counts.get("unacknowledged", 0)
        if n == 0:
            self.setText("no alarms")
            style = "color: #5b6470;"
        else:
            self.setText(
                f"⚠ {n:,} alarm{'s' if n != 1 else ''}" + (f" ({unack:,} new)" if unack else "")
            )
            if counts.get("critical", 0) and unack:
                style = "background:#d0342c; color:white; border-radius:3px; padding:0 6px;"
            elif counts.get("critical", 0) or counts.get("warning", 0):
                style = "background:#f5a623; color:#1b1b1b; border-radius:3px; padding:0 6px;"
            else:
                style = "background:#9c5ce6; color:white; border-radius:3px; padding:0 6px;"
        # Called on every pump: a style sheet set again, even unchanged, re-polishes the
        # button and re-lays out the status bar (a repaint of the window each time).
        sheet = f"QToolButton {{ {style} font-weight: bold; }}"
        if sheet != self.styleSheet():
            self.setStyleSheet(sheet)
        tip = (
            f"critical {counts.get('critical', 0)}, warning {counts.get('warning', 0)}, "
            f"info {counts.get('info', 0)}; unacknowledged {unack}. Click for the Alarms panel."
        )
        if tip != self.toolTip():
            self.setToolTip(tip)


# ---------------------------------------------------------------------------------
# The per-scene controller
# ---------------------------------------------------------------------------------
class LiveController(QObject):
    """A scene's live status: the LiveStatus, the queue, the feeds and the pump."""

    # After a pump that accepted or rejected anything (the LiveUpdate).
    updated = Signal(object)
    # Feeds added, removed, or their connection state changed.
    sources_changed = Signal()
    # From feed threads (queued onto the main thread): name, state, detail.
    _feed_state = Signal(str, str, str)

    def __init__(
        self,
        scene: Scene,
        request_render: Any,
        parent: QObject | None = None,
        *,
        interval_ms: int = PUMP_INTERVAL_MS,
        decode_process: bool = True,
    ) -> None:
        super().__init__(parent)
        self.scene = scene
        self.request_render = request_render
        self.live = LiveStatus(scene)
        # Raw messages, decoded in a child process (DecodeWorker): parsing on the main
        # thread cost 5-25 ms a frame at 5,000 messages/s, and on the feed threads it
        # was slower still (GIL hand-offs; docs/PERFORMANCE.md). The pump forwards raw
        # tuples and applies the arrays that come back, one tick later. Without the
        # child (``decode_process=False``, or it failed) the pump decodes itself.
        self.queue = MessageQueue()
        self.decoder: DecodeWorker | None = None
        if decode_process:
            self.decoder = DecodeWorker(self.live.store)
        self.sources: dict[str, Any] = {}
        self.urls: dict[str, str] = {}
        self._progress: dict[str, _ReplayProgress] = {}
        self.what_if_impacts: dict[tuple[str, str], dict[str, Any]] = {}
        self.last_update: Any = None
        self.pumps = 0
        # Whether the 3D view is moving (the window sets Viewport.moving). While it is,
        # the pump applies at most every BUSY_PUMP_S and the docks refresh at most every
        # BUSY_REFRESH_S, so the frames keep their rate under a busy feed: at 5,000
        # messages/s the pump (~10 ms), the charts (~9 ms) and the alarm table (~4 ms
        # plus Qt's painting) each took a share of every ~110 ms frame on llvmpipe.
        # Nothing is dropped: messages wait in the queue and are applied in bigger
        # batches; everything catches up within a tick once the camera stops.
        self.busy: Callable[[], bool] | None = None
        # MQTT clients run in the decode process (HostedFeed); False keeps them here
        # (the benchmark measures both).
        self.host_feeds = True
        self._last_pump = 0.0
        self._closed = False
        self._feed_state.connect(self._on_feed_state, Qt.ConnectionType.QueuedConnection)
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.pump)
        self.timer.start()

    # -- feeds ---------------------------------------------------------------------
    def connect_feed(self, url: str, **options: Any) -> Any:
        """Open and start a feed; raises FeedError (bad URL, missing file) at once."""
        from alatau_twin.io.feeds import open_feed

        source = open_feed(url, self.scene.networks, self.scene.schedule, **options)
        if source.kind == "mqtt" and self.host_feeds and self.decoder is not None:
            # The MQTT client runs in the decode process (paho parses in Python, and
            # here it would hold the GIL that the render needs); see HostedFeed.
            from alatau_twin.io.feeds.decode_worker import HostedFeed

            source = HostedFeed(source, self.decoder)
        base, k = source.name, 2
        while source.name in self.sources:  # two replays of one file, say
            source.name = f"{base} ({k})"
            k += 1
        if getattr(source, "kind", "") == "replay":
            self._progress[source.name] = _ReplayProgress(Path(source.path))
        self.sources[source.name] = source
        self.urls[source.name] = url
        source.start(self.queue, self._on_state_from_thread)
        self.sources_changed.emit()
        return source

    def disconnect_feed(self, name: str) -> None:
        source = self.sources.pop(name, None)
        self.urls.pop(name, None)
        if source is None:
            return
        source.stop()
        source.join(2.0)
        source.report_to(self.live.store.source(name))
        self.sources_changed.emit()

    def disconnect_all(self) -> None:
        for name in list(self.sources):
            self.disconnect_feed(name)

    def simulator(self) -> Any:
        return next((s for s in self.sources.values() if s.kind == "simulator"), None)

    def set_simulator(self, on: bool) -> None:
        sim = self.simulator()
        if on and sim is None:
            self.connect_feed("sim:")
        elif not on and sim is not None:
            self.disconnect_feed(sim.name)

    def _on_state_from_thread(self, name: str, state: str, detail: str) -> None:
        if not self._closed:
            self._feed_state.emit(name, state, detail)

    def _on_feed_state(self, name: str, state: str, detail: str) -> None:
        source = self.sources.get(name)
        if source is not None:
            source.report_to(self.live.store.source(name))
        log.info("feed %s: %s %s", name, state, detail)
        self.sources_changed.emit()

    def feed_rows(self) -> list[tuple[str, str, str]]:
        """(status-bar text, state, tooltip) per feed, counters included."""
        rows = []
        for name, source in self.sources.items():
            st = self.live.store.source(name)
            text = feed_text(source, self._progress.get(name))
            tip = f"{name}: {source.state} — {source.detail}; {st.accepted:,} accepted"
            if st.rejected_total:
                text += f" · {st.rejected_total:,} rejected"
                reasons = ", ".join(f"{k} {v}" for k, v in sorted(st.rejected.items()))
                tip += f", {st.rejected_total:,} rejected ({reasons})"
            rows.append((text, source.state, tip))
        return rows

    # While the camera moves: the overlay ~3 times a second (15 otherwise), the docks
    # (alarm table, charts) every 2 s (2 a second otherwise). Measured in the frame
    # under 5,000 messages/s (bench live_frame, session 6): at 5 Hz and 1 s the pump
    # and the docks' redraws and painting added 6-9 ms to the average ~95 ms frame.
    BUSY_PUMP_S = 0.33
    BUSY_REFRESH_S = 2.0

    def is_busy(self) -> bool:
        """The 3D view is moving: secondary views should refresh less often."""
        return bool(self.busy is not None and self.busy())

    def hold_refresh(self, last_refresh: float) -> bool:
        """A dock last redrawn at ``last_refresh`` (perf_counter) should wait: the 3D
        view is moving and it redrew less than BUSY_REFRESH_S ago."""
        return self.is_busy() and time.perf_counter() - last_refresh < self.BUSY_REFRESH_S

    # -- the per-frame pump --------------------------------------------------------
    def pump(self) -> Any:
        """Drain the queue into the model; request one render if colours changed.

        Runs on the main thread (the model's owner). Never raises: a bug in applying
        one batch is logged and the viewer keeps running.
        """
        if self._closed:
            return None
        now = time.perf_counter()
        if self.is_busy() and now - self._last_pump < self.BUSY_PUMP_S:
            return None
        self._last_pump = now
        for name, source in self.sources.items():
            source.report_to(self.live.store.source(name))
        decoder = self.decoder
        if not len(self.queue) and (decoder is None or not (decoder.busy or decoder.hosted)):
            return None
        try:
            if decoder is None:
                up = self.live.pump(self.queue, MAX_PER_PUMP)
            else:
                # Applies the batch the child decoded since the last tick (if any),
                # then hands it what arrived since: never waits for the child.
                result = decoder.pump(self.queue, MAX_PER_PUMP)
                if result is None:
                    return None
                up = self.live.apply(result)
        except Exception:  # pragma: no cover - a bug must not stop the viewer
            log.exception("live status: applying a batch failed")
            return None
        self.pumps += 1
        self.last_update = up
        if up.anything:
            self.request_render()
        if up.accepted or up.rejected:
            self.updated.emit(up)
        return up

    # -- overlay, trace, what-if -----------------------------------------------------
    def set_overlay(self, on: bool) -> None:
        self.live.set_enabled(on)
        self.request_render()

    def set_trace(self, network: str | None, element_id: str | None = None) -> Any:
        trace = self.live.set_trace(network, element_id)
        self.request_render()
        return trace

    def set_out_of_service(self, network: str, element_id: str, on: bool) -> dict[str, Any]:
        """Mark one element out of service (what-if) and return its impact: buildings
        and residents that lose supply because of it (on top of what is out now)."""
        key = (network, element_id)
        if on:
            impact = self.live.impact(network, [element_id])
            self.what_if_impacts[key] = impact
            self.live.set_out_of_service(network, [element_id], True)
        else:
            impact = self.what_if_impacts.pop(key, {"buildings": 0, "residents": 0})
            self.live.set_out_of_service(network, [element_id], False)
        self.request_render()
        return impact

    def clear_what_if(self) -> None:
        self.live.clear_what_if()
        self.what_if_impacts.clear()
        self.request_render()

    def set_view_time(self, t: float | None) -> None:
        if t != self.live.view_time:
            self.live.set_view_time(t)
            self.request_render()

    def close(self) -> None:
        """Stop the pump and every feed (joined, so no thread outlives the window)."""
        if self._closed:
            return
        self._closed = True
        self.timer.stop()
        for source in self.sources.values():
            source.stop()
        for source in self.sources.values():
            if not source.join(3.0):
                log.warning("feed %s did not stop within 3 s", source.name)
        self.sources.clear()
        if self.decoder is not None:
            self.decoder.close()
        self.live.close()


# ---------------------------------------------------------------------------------
# The element panel (inside the inspector)
# ---------------------------------------------------------------------------------
class LiveElementPanel(QFrame):
    """Live status of the selected network element, trace and what-if; or, for a
    building, which services it has."""

    def __init__(self, controller: LiveController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("liveElementPanel")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.controller = controller
        self.scene = controller.scene
        self.element: tuple[str, str] | None = None
        self.building: str | None = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 4, 6, 6)
        self.status = QLabel(self)
        self.status.setObjectName("liveStatusText")
        self.status.setTextFormat(Qt.TextFormat.RichText)
        self.status.setWordWrap(True)
        lay.addWidget(self.status)
        row = QHBoxLayout()
        self.trace_button = QPushButton("Trace upstream/downstream", self)
        self.trace_button.setObjectName("traceButton")
        self.trace_button.setCheckable(True)
        self.trace_button.setToolTip(
            "Highlight what feeds this element (cyan) and what it feeds (magenta), "
            "and the buildings it serves"
        )
        self.trace_button.toggled.connect(self._on_trace)
        self.what_if_button = QPushButton("Out of service (what-if)", self)
        self.what_if_button.setObjectName("whatIfButton")
        self.what_if_button.setCheckable(True)
        self.what_if_button.setToolTip(
            "Take this element out of service in the model only: see which buildings, "
            "and how many residents, would lose supply"
        )
        self.what_if_button.toggled.connect(self._on_what_if)
        for button in (self.trace_button, self.what_if_button):  # "on" must be obvious
            button.setStyleSheet(
                "QPushButton:checked { background: #3d7fb8; color: white; font-weight: bold; }"
            )
        row.addWidget(self.trace_button)
        row.addWidget(self.what_if_button)
        lay.addLayout(row)
        self.impact = QLabel(self)
        self.impact.setObjectName("whatIfImpact")
        self.impact.setTextFormat(Qt.TextFormat.RichText)
        self.impact.setWordWrap(True)
        lay.addWidget(self.impact)
        self.clear_button = QPushButton("Clear what-if", self)
        self.clear_button.setObjectName("clearWhatIfButton")
        self.clear_button.clicked.connect(self._on_clear)
        lay.addWidget(self.clear_button)
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(250)  # at most 4 refreshes a second
        self._refresh_timer.timeout.connect(self.refresh)
        self.scene.selection_changed.connect(self._on_selection)
        controller.updated.connect(self._on_updated)
        self.live = controller.live
        self.live.what_if_changed.connect(self._schedule)
        self.show_selection(self.scene.selection)

    def _on_selection(self, new: Selection, _old: Selection) -> None:
        self.show_selection(new)

    def _on_updated(self, _up: Any) -> None:
        if self.isVisible() and not self._refresh_timer.isActive():
            self._refresh_timer.start()

    def _schedule(self) -> None:
        if not self._refresh_timer.isActive():
            self._refresh_timer.start()

    def show_selection(self, sel: Selection) -> None:
        self.element = selected_element(self.scene, sel)
        self.building = None
        if self.element is None and sel and sel.layer is not None:
            layer = self.scene.layers[sel.layer]
            if layer.kind == "buildings" and "id" in layer.table:
                self.building = str(layer.table["id"][sel.rows[0]])
        if self.element is not None:
            network, eid = self.element
            if (
                network not in self.live.store.networks
                or eid not in self.live.store.networks[network]
            ):
                self.element = None
        self.setVisible(self.element is not None or self.building is not None)
        self.refresh()

    def refresh(self) -> None:
        live = self.live
        is_element = self.element is not None
        for w in (self.trace_button, self.what_if_button):
            w.setVisible(is_element)
        if self.element is not None:
            network, eid = self.element
            store = live.store
            row = store.row(network, eid)
            shown = live.codes_now()
            word = STATUSES[int(shown[row])]
            color = hex_of(status_rgb(word))
            value = store.value[row]
            unit = store.unit[row] or ""
            parts = [
                f"<b>Live status</b> &nbsp;<span style='background:{color}; color:white; "
                f"padding:1px 6px; border-radius:3px'>&nbsp;{word.upper()}&nbsp;</span>"
            ]
            if live.view_time is not None:
                parts.append(f"<i>as at {clock_text(live.view_time, with_date=True)}</i>")
            if np.isfinite(value):
                parts.append(f"value: <b>{value:,.1f} {html.escape(unit)}</b>")
            if store.text[row]:
                parts.append(f"message: {html.escape(str(store.text[row]))}")
            parts.append(
                f"last update: {clock_text(store.time[row], with_date=True)} "
                f"({ago_text(store.time[row])})"
            )
            self.status.setText("<br>".join(parts))
            self.trace_button.blockSignals(True)
            self.trace_button.setChecked(live.trace_element == (network, eid))
            self.trace_button.blockSignals(False)
            oos = bool(store.out_of_service[row])
            self.what_if_button.blockSignals(True)
            self.what_if_button.setChecked(oos)
            self.what_if_button.blockSignals(False)
        elif self.building is not None:
            lines = ["<b>Live supply</b>"]
            for net, supplied in live.services_of(self.building).items():
                if not supplied:
                    label = LOSS_LABELS.get(net, f"without {net}")
                    lines.append(f"<span style='color:#d0342c'>✗ {net}: {label}</span>")
                else:
                    lines.append(f"<span style='color:#2e9d4f'>✓ {net}: supplied</span>")
            self.status.setText("<br>".join(lines))
        self.impact.setText(self._impact_text())
        self.clear_button.setVisible(bool(live.what_if_ids()))

    def _impact_text(self) -> str:
        # Residents come from the buildings' ``residents`` column; say so when absent
        # rather than claim that nobody lives there.
        has_people = bool(self.live.residents.any())

        def people(n: int) -> str:
            return f"<b>{n:,} residents</b>" if has_people else "residents (not in the data)"

        lines = []
        if self.element is not None:
            imp = self.controller.what_if_impacts.get(self.element)
            if imp is not None:
                lines.append(
                    f"<b>What-if:</b> out of service, <b>{imp['buildings']:,} buildings</b> "
                    f"and {people(imp['residents'])} lose {self.element[0]}"
                )
        marks = self.live.what_if_ids()
        if marks:
            total = self.live.what_if_impact()
            lines.append(
                f"All what-if marks ({len(marks)}): {total['buildings']:,} buildings"
                + (f", {total['residents']:,} residents" if has_people else "")
                + " without supply"
            )
        return "<br>".join(lines)

    def _on_trace(self, on: bool) -> None:
        if self.element is None:
            return
        if on:
            self.controller.set_trace(*self.element)
        elif self.live.trace_element == self.element:
            self.controller.set_trace(None)
        self.refresh()

    def _on_what_if(self, on: bool) -> None:
        if self.element is None:
            return
        self.controller.set_out_of_service(*self.element, on)
        self.refresh()

    def _on_clear(self) -> None:
        self.controller.clear_what_if()
        self.refresh()

    def close_model(self) -> None:
        self._refresh_timer.stop()
        self.scene.selection_changed.disconnect(self._on_selection)
        self.live.what_if_changed.disconnect(self._schedule)


# ---------------------------------------------------------------------------------
# Per-scene wiring and the per-window menu
# ---------------------------------------------------------------------------------
class LiveTools:
    """Everything live for one scene in one window: the controller, the alarms and
    charts docks, the element panel in the inspector, the status-bar widgets and the
    legend hook. ``close_model`` takes all of it away again."""

    def __init__(self, window: MainWindow, scene: Scene, feeds: Sequence[str] = ()) -> None:
        from alatau_twin.ui.alarms import AlarmsDock
        from alatau_twin.ui.live_charts import LiveChartsDock

        self.window = window
        self.scene = scene
        self.controller = LiveController(scene, window.scheduler.request, window)
        c = self.controller
        c.busy = window.plotter.moving
        # The scene's object arrays (ids, names, messages: hundreds of thousands of
        # references) live as long as the scene. A storm of alarms allocates enough to
        # trigger full garbage collections, and each walked all of them (100-170 ms on
        # a 100k-building city). Freezing what exists now keeps those pauses out of the
        # frame; close_model unfreezes so a closed scene's cycles are collected again.
        gc.freeze()
        self.feed_status = FeedStatusWidget(window)
        self.badge = AlarmBadge(window)
        sb = window.statusBar()
        sb.addPermanentWidget(self.feed_status)
        sb.addPermanentWidget(self.badge)
        self.feed_status.clicked.connect(lambda: self.show_tab("sources"))
        self.badge.clicked.connect(lambda: self.show_tab("alarms"))

        self.alarms = AlarmsDock(c, window)
        # On the right, in one tab group with the charts (MainWindow._default_layout):
        # the bottom belongs to the attribute table and the timeline.
        window._replace_dock("alarmsDock", self.alarms, Qt.DockWidgetArea.RightDockWidgetArea)
        self.alarms.flyRequested.connect(self._fly_to_element)
        # Charts on the right under the inspector, in a tab beside the construction
        # charts when there are some: the alarms table needs the bottom's width.
        self.charts = LiveChartsDock(c, window)
        window._replace_dock("liveChartsDock", self.charts, Qt.DockWidgetArea.RightDockWidgetArea)
        construction = getattr(getattr(window, "construction", None), "charts", None)
        if construction is not None:
            window.tabifyDockWidget(construction, self.charts)
        self.charts.raise_()

        self.panel = LiveElementPanel(c)
        add_panel = getattr(window.inspector, "add_panel", None)
        if add_panel is not None:
            add_panel(self.panel)

        c.sources_changed.connect(self._show_feeds)
        c.updated.connect(self._on_updated)
        c.live.alarms.changed.connect(self._show_alarm_count)
        view = window.scene_view
        if view is not None and hasattr(view, "extra_legend"):
            view.extra_legend = self.legend_entries
            view.refresh_legend()
        scene.date_changed.connect(self._on_date)
        c.live.trace_changed.connect(self._refresh_legend)
        c.live.what_if_changed.connect(self._refresh_legend)
        # The presenter's hooks: slides may name the "status" overlay, and its KPI strip
        # shows live alarms and availability (wrapping whatever it showed before).
        registry = getattr(window, "overlay_registry", None)
        if registry is not None:
            registry.register("status", self._status_overlay)
        self._prev_kpis = getattr(window, "kpi_provider", None)
        if callable(self._prev_kpis):
            window.kpi_provider = self.kpis
        self._show_feeds()
        self._show_alarm_count()
        for url in feeds:
            self.connect(url)

    def _status_overlay(self, _overlay_id: str) -> None:
        self.set_overlay(True)
        self.window.live_menu.overlay_action.setChecked(True)

    def kpis(self) -> dict[str, str]:
        """The presenter's key figures with live alarms and network availability."""
        from alatau_twin.ui.presenter import tr

        out = dict(self._prev_kpis()) if callable(self._prev_kpis) else {}
        live = self.controller.live
        c = live.alarms.counts()
        n = c["critical"] + c["warning"] + c["info"]
        out[tr("Active alarms")] = f"{n:,}" + (f" ({c['critical']:,} critical)" if n else "")
        reported = bool(np.any(live.store.code != STATUSES.index("unknown")))
        if reported or live.what_if_ids():
            served = live.served()
            total = sum(served.values())
            if total:
                avail = live.availability()
                share = sum(avail[net] * k for net, k in served.items()) / total
                # Rounded down: one dark street must not read as "100.0%".
                out[tr("Network availability")] = f"{np.floor(1000.0 * share) / 10:.1f}%"
        return out

    # -- feeds from the UI ---------------------------------------------------------
    def connect(self, url: str, **options: Any) -> Any:
        """Start a feed; a problem goes to the message panel, never an exception."""
        from alatau_twin.io.feeds import FeedError

        try:
            return self.controller.connect_feed(url, **options)
        except (FeedError, OSError, ValueError) as exc:
            self.window.report(f"Feed {url}: {exc}")
            self.window.statusBar().showMessage(f"Feed not started: {exc}", 8000)
            return None

    def _show_feeds(self) -> None:
        self.feed_status.show_rows(self.controller.feed_rows())
        menu = getattr(self.window, "live_menu", None)
        if menu is not None:
            menu.sync()

    def _on_updated(self, _up: Any) -> None:
        # Counters and replay percentages move with every batch; text is cheap.
        self._show_feeds()

    def _show_alarm_count(self) -> None:
        self.badge.show_counts(self.controller.live.alarms.counts())

    def show_tab(self, which: str) -> None:
        self.alarms.show()
        self.alarms.raise_()
        self.alarms.show_tab(which)

    def _fly_to_element(self, network: str, element_id: str) -> None:
        where = find_element(self.scene, network, element_id)
        if where is None:
            self.window.statusBar().showMessage(f"{element_id} is not drawn in any layer", 5000)
            return
        layer, row = where
        self.scene.select(layer, [row])
        self.window.fly_to_features(layer, [row])

    def legend_entries(self) -> list[tuple[str, tuple[int, int, int]]] | None:
        """The on-screen legend while the overlay is on (None: the usual legend)."""
        live = self.controller.live
        if not live.enabled:
            return None
        return [("Live status", (0, 0, 0)), *live.legend_entries()]

    def set_overlay(self, on: bool) -> None:
        self.controller.set_overlay(on)
        self._refresh_legend()

    def _refresh_legend(self) -> None:
        if self.window.scene_view is not None:
            self.window.scene_view.refresh_legend()

    def _on_date(self, _day: Any) -> None:
        """The time cursor: inside the recorded history it replays it, else live."""
        t = self.scene.time
        store = self.controller.live.store
        if t is None or not len(store) or np.all(np.isnan(store.h_time)):
            self.controller.set_view_time(None)
            return
        # scene.time is the city's wall clock (UTC+5); the store keeps epoch seconds.
        epoch = float((t - np.datetime64("1970-01-01T00:00:00", "s")).astype(np.int64)) - 5 * 3600
        lo = float(np.nanmin(store.h_time))
        inside = lo <= epoch < time.time() - 1.0
        self.controller.set_view_time(epoch if inside else None)

    def close_model(self) -> None:
        w = self.window
        registry = getattr(w, "overlay_registry", None)
        if registry is not None:
            registry.unregister("status")
        if getattr(w, "kpi_provider", None) == self.kpis:
            w.kpi_provider = self._prev_kpis
        self.controller.live.alarms.changed.disconnect(self._show_alarm_count)
        self.controller.live.trace_changed.disconnect(self._refresh_legend)
        self.controller.live.what_if_changed.disconnect(self._refresh_legend)
        self.scene.date_changed.disconnect(self._on_date)
        self.panel.close_model()
        self.alarms.close_model()
        self.charts.close_model()
        self.controller.close()
        view = w.scene_view
        if view is not None and getattr(view, "extra_legend", None) == self.legend_entries:
            view.extra_legend = None
        for widget in (self.feed_status, self.badge):
            w.statusBar().removeWidget(widget)
            widget.deleteLater()
        for dock in (self.alarms, self.charts):
            w.removeDockWidget(dock)
            dock.deleteLater()
        self.panel.setParent(None)
        self.panel.deleteLater()
        gc.unfreeze()


class MqttDialog(QDialog):
    """Connect to an MQTT broker: URL, topic filter, credentials, TLS."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mqttDialog")
        self.setWindowTitle("Connect to MQTT")
        form = QFormLayout(self)
        self.url = QLineEdit("mqtt://localhost:1883", self)
        self.url.setObjectName("mqttUrl")
        self.topic = QLineEdit("alatau/#", self)
        self.topic.setObjectName("mqttTopic")
        self.username = QLineEdit(self)
        self.username.setObjectName("mqttUsername")
        self.password = QLineEdit(self)
        self.password.setObjectName("mqttPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.ca = QLineEdit(self)
        self.ca.setObjectName("mqttCa")
        self.ca.setPlaceholderText("PEM file: TLS with this CA (mqtts://)")
        browse = QPushButton("…", self)
        browse.setFixedWidth(28)
        browse.clicked.connect(self._browse_ca)
        ca_row = QHBoxLayout()
        ca_row.addWidget(self.ca)
        ca_row.addWidget(browse)
        self.insecure = QCheckBox("Skip certificate checks (test brokers only)", self)
        self.insecure.setObjectName("mqttInsecure")
        form.addRow("Broker URL", self.url)
        form.addRow("Topic filter", self.topic)
        form.addRow("Username", self.username)
        form.addRow("Password", self.password)
        form.addRow("TLS CA file", ca_row)
        form.addRow("", self.insecure)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Connect")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _browse_ca(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "CA certificate", "", "PEM (*.pem *.crt);;All (*)"
        )
        if path:
            self.ca.setText(path)

    def feed(self) -> tuple[str, dict[str, Any]]:
        """(url, options) for ``open_feed``."""
        opts: dict[str, Any] = {"topic": self.topic.text().strip() or None}
        if self.username.text():
            opts["username"] = self.username.text()
            opts["password"] = self.password.text()
        if self.ca.text().strip():
            opts["ca"] = self.ca.text().strip()
            opts["tls"] = True
        if self.insecure.isChecked():
            opts["insecure"] = True
        return self.url.text().strip(), opts


class LiveMenu:
    """The Feeds menu (one per window; acts on the current scene's LiveTools)."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        bar = window.menuBar()
        self.menu = window.menuBar().addMenu("Fee&ds")
        self.menu.setObjectName("feedsMenu")
        help_action = next((a for a in bar.actions() if a.text() == "&Help"), None)
        if help_action is not None:  # keep Help last
            bar.removeAction(self.menu.menuAction())
            bar.insertMenu(help_action, self.menu)
        self.sim_action = self._add("&Simulator", self._on_sim, checkable=True)
        self.mqtt_action = self._add("Connect to &MQTT…", self.mqtt_dialog)
        self.replay_action = self._add("&Replay log…", self.replay_dialog)
        self.disconnect_action = self._add("&Disconnect all", self._on_disconnect_all)
        self.menu.addSeparator()
        self.overlay_action = self._add(
            "Show status &overlay", self._on_overlay, checkable=True, shortcut="Ctrl+L"
        )
        self.overlay_action.setChecked(True)
        self.alarms_action = self._add(
            "&Alarms and event log", self._on_alarms, shortcut="Ctrl+Shift+A"
        )
        self.sync()

    def _add(
        self, text: str, slot: Any, *, checkable: bool = False, shortcut: str | None = None
    ) -> QAction:
        action = QAction(text, self.window)
        action.setCheckable(checkable)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        self.menu.addAction(action)
        return action

    @property
    def tools(self) -> LiveTools | None:
        return getattr(self.window, "live", None)

    def sync(self) -> None:
        """Menu checks follow the model (a feed may stop by itself)."""
        tools = self.tools
        enabled = tools is not None
        for a in (self.sim_action, self.mqtt_action, self.replay_action, self.overlay_action):
            a.setEnabled(enabled)
        self.sim_action.blockSignals(True)
        self.sim_action.setChecked(enabled and tools.controller.simulator() is not None)  # type: ignore[union-attr]
        self.sim_action.blockSignals(False)
        self.disconnect_action.setEnabled(enabled and bool(tools.controller.sources))  # type: ignore[union-attr]

    def _on_sim(self, on: bool) -> None:
        if self.tools is not None:
            if on and self.tools.controller.simulator() is None:
                self.tools.connect("sim:")
            elif not on:
                self.tools.controller.set_simulator(False)
        self.sync()

    def mqtt_dialog(self) -> None:
        if self.tools is None:
            return
        dlg = MqttDialog(self.window)
        if dlg.exec() == QDialog.DialogCode.Accepted:
            url, opts = dlg.feed()
            self.tools.connect(url, **opts)

    def replay_dialog(self) -> None:
        if self.tools is None:
            return
        path, _ = QFileDialog.getOpenFileName(
            self.window,
            "Replay a status log",
            "",
            "Status logs (*.jsonl *.json *.csv);;All files (*)",
        )
        if not path:
            return
        speed, ok = QInputDialog.getDouble(
            self.window,
            "Replay speed",
            "Times real time (0 = as fast as possible):",
            10.0,
            0.0,
            10_000.0,
            1,
        )
        if ok:
            self.tools.connect(f"file:{path}", speed=speed)

    def _on_disconnect_all(self) -> None:
        if self.tools is not None:
            self.tools.controller.disconnect_all()
        self.sync()

    def _on_overlay(self, on: bool) -> None:
        if self.tools is not None:
            self.tools.set_overlay(on)

    def _on_alarms(self) -> None:
        if self.tools is not None:
            self.tools.show_tab("alarms")
