"""The Alarms dock: active alarms, the event log and the feeds' health (ui: Qt).

Three tabs over the scene's live status, none holding state of its own:

- **Alarms**: active alarms by severity, then unacknowledged, then newest (the order of
  :meth:`AlarmBook.sorted_alarms`); Acknowledge / Acknowledge all; a click selects the
  element and flies the camera to it.
- **Event log**: the bounded log of transitions, newest first.
- **Sources**: per feed, its connection state, messages accepted, and messages rejected
  by reason with an example, so bad input is visible where it came from.

Models are refreshed on a timer (at most 4 Hz) and only when something changed, so a
storm of 10,000 transitions costs one table reset, not 10,000.
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from alatau_twin.core.alarms import Alarm, Event
from alatau_twin.ui.live import STATE_COLORS, LiveController, clock_text, hex_of, status_rgb

SEVERITY_COLORS = {3: "#d0342c", 2: "#f5a623", 1: "#9c5ce6", 0: "#7a8490"}
REFRESH_MS = 250
Index = QModelIndex | QPersistentModelIndex


def _dot(color: str, size: int = 12) -> QIcon:
    pix = QPixmap(size, size)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setBrush(QColor(color))
    p.setPen(Qt.PenStyle.NoPen)
    p.drawEllipse(1, 1, size - 2, size - 2)
    p.end()
    return QIcon(pix)


class _SnapshotModel(QAbstractTableModel):
    """A read-only table over a list that is replaced whole (alarms, events): the
    docks refresh at a few hertz from the model, never edit rows in place."""

    COLUMNS: tuple[str, ...] = ()

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.rows: list[Any] = []

    def set_rows(self, rows: list[Any]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.COLUMNS[section]
        return None


class AlarmTableModel(_SnapshotModel):
    """A snapshot of the active alarms, in the alarm book's order."""

    COLUMNS = ("Severity", "Time", "Network", "Element", "Status", "Ack", "Message")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._icons = {k: _dot(c) for k, c in SEVERITY_COLORS.items()}

    @property
    def alarms(self) -> list[Alarm]:
        return self.rows

    def set_alarms(self, alarms: list[Alarm]) -> None:
        self.set_rows(alarms)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        a = self.alarms[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                a.severity_name,
                clock_text(a.raised),
                a.network,
                a.element_id,
                a.status_name,
                "✓" if a.acknowledged else "",
                a.message,
            )[col]
        if role == Qt.ItemDataRole.DecorationRole and col == 0:
            return self._icons.get(a.severity)
        if role == Qt.ItemDataRole.ForegroundRole and col == 4:
            return QBrush(QColor(hex_of(status_rgb(a.status_name, text=True))))
        if role == Qt.ItemDataRole.FontRole and not a.acknowledged:
            from PySide6.QtGui import QFont

            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            return (
                f"{a.network} {a.element_id}: {a.status_name} since "
                f"{clock_text(a.raised, with_date=True)}"
                + (f" (updated {clock_text(a.updated)})" if a.updated == a.updated else "")
                + (f"\n{a.message}" if a.message else "")
            )
        return None


class EventLogModel(_SnapshotModel):
    """A snapshot of the event log, newest first."""

    COLUMNS = ("Time", "Event", "Network", "Element", "From", "To", "Message")

    @property
    def events(self) -> list[Event]:
        return self.rows

    def set_events(self, events: list[Event]) -> None:
        self.set_rows(events)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        e = self.events[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return (clock_text(e.time), e.kind, e.network, e.element_id, e.old, e.new, e.message)[
                index.column()
            ]
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == 5:
            return QBrush(QColor(hex_of(status_rgb(e.new, text=True))))
        return None


class AlarmsDock(QDockWidget):
    """Alarms, event log and sources of one scene's live status."""

    # (network, element id) the user clicked: the window selects it and flies there.
    flyRequested = Signal(str, str)

    def __init__(self, controller: LiveController, parent: QWidget | None = None) -> None:
        super().__init__("Alarms", parent)
        self.setObjectName("alarmsDock")
        self.controller = controller
        self.live = controller.live
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("alarmTabs")

        # Alarms tab.
        page = QWidget(self)
        lay = QVBoxLayout(page)
        lay.setContentsMargins(4, 4, 4, 4)
        bar = QHBoxLayout()
        self.summary = QLabel("", page)
        self.summary.setObjectName("alarmSummary")
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.ack_button = QPushButton("Acknowledge", page)
        self.ack_button.setObjectName("ackButton")
        self.ack_button.clicked.connect(self.acknowledge_selected)
        self.ack_all_button = QPushButton("Acknowledge all", page)
        self.ack_all_button.setObjectName("ackAllButton")
        self.ack_all_button.clicked.connect(self.acknowledge_all)
        bar.addWidget(self.summary, 1)
        bar.addWidget(self.ack_button)
        bar.addWidget(self.ack_all_button)
        lay.addLayout(bar)
        self.model = AlarmTableModel(self)
        self.table = self._table(self.model, "alarmTable", (80, 70, 60, 170, 90, 40))
        self.table.clicked.connect(self._on_clicked)
        self.table.activated.connect(self._on_clicked)
        lay.addWidget(self.table)
        self.tabs.addTab(page, "Alarms")

        # Event log tab.
        self.log_model = EventLogModel(self)
        self.log_table = self._table(self.log_model, "eventLog", (70, 90, 60, 170, 90, 90))
        self.log_table.doubleClicked.connect(self._on_log_clicked)
        self.tabs.addTab(self.log_table, "Event log")

        # Sources tab.
        self.sources = QTreeWidget(self)
        self.sources.setObjectName("sourcesTree")
        self.sources.setHeaderLabels(["Source / reason", "State", "Accepted", "Rejected", "Detail"])
        self.sources.setRootIsDecorated(True)
        self.sources.setUniformRowHeights(True)
        self.tabs.addTab(self.sources, "Sources")
        self.setWidget(self.tabs)

        self._dirty = {"alarms": True, "log": True, "sources": True}
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self._tick)
        self._last_refresh = 0.0
        self._timer.start()
        self.live.alarms.changed.connect(self._on_alarms_changed)
        controller.updated.connect(self._on_updated)
        controller.sources_changed.connect(self._on_sources_changed)
        self.tabs.currentChanged.connect(lambda _i: self.refresh())
        self.refresh()

    @staticmethod
    def _table(model: QAbstractTableModel, name: str, widths: tuple[int, ...]) -> QTableView:
        view = QTableView()
        view.setObjectName(name)
        view.setModel(model)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        view.verticalHeader().setVisible(False)
        view.verticalHeader().setDefaultSectionSize(22)
        view.setAlternatingRowColors(True)
        header = view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for col, width in enumerate(widths):
            view.setColumnWidth(col, width)
        return view

    # -- change tracking ---------------------------------------------------------------
    def _on_alarms_changed(self) -> None:
        self._dirty["alarms"] = self._dirty["log"] = True

    def _on_updated(self, up: Any) -> None:
        self._dirty["sources"] = True
        if up.status_changes:
            self._dirty["log"] = True

    def _on_sources_changed(self) -> None:
        self._dirty["sources"] = True

    def show_tab(self, which: str) -> None:
        self.tabs.setCurrentIndex({"alarms": 0, "log": 1, "sources": 2}.get(which, 0))
        self.refresh(force=True)

    def _tick(self) -> None:
        # While the 3D view moves, at most one redraw every BUSY_REFRESH_S (hold_refresh).
        if not self.controller.hold_refresh(self._last_refresh):
            self.refresh()

    def refresh(self, force: bool = False) -> None:
        """Redraw what changed (only the visible tab's heavy tables)."""
        self._last_refresh = time.perf_counter()
        current = self.tabs.currentIndex()
        if self._dirty["alarms"] or force:
            self._dirty["alarms"] = False
            self._refresh_alarms()
        if (self._dirty["log"] or force) and (current == 1 or force):
            self._dirty["log"] = False
            self.log_model.set_events(list(reversed(self.live.alarms.events)))
        if (self._dirty["sources"] or force) and (current == 2 or force):
            self._dirty["sources"] = False
            self._refresh_sources()

    def _refresh_alarms(self) -> None:
        book = self.live.alarms
        keys = {(a.network, a.element_id) for a in self.selected_alarms()}
        self.model.set_alarms(book.sorted_alarms())
        if keys:
            sel = self.table.selectionModel()
            for row, a in enumerate(self.model.alarms):
                if (a.network, a.element_id) in keys:
                    sel.select(
                        self.model.index(row, 0),
                        sel.SelectionFlag.Select | sel.SelectionFlag.Rows,
                    )
        c = book.counts()
        parts = []
        for sev, key in ((3, "critical"), (2, "warning"), (1, "info")):
            if c.get(key):
                parts.append(
                    f"<span style='color:{SEVERITY_COLORS[sev]}'>●</span> {c[key]:,} {key}"
                )
        text = " &nbsp; ".join(parts) if parts else "No active alarms"
        if c.get("unacknowledged"):
            text += f" &nbsp; <b>{c['unacknowledged']:,} unacknowledged</b>"
        self.summary.setText(text)
        n = sum(c.get(k, 0) for k in ("critical", "warning", "info"))
        self.tabs.setTabText(0, f"Alarms ({n:,})" if n else "Alarms")
        self.ack_all_button.setEnabled(bool(c.get("unacknowledged")))

    def _refresh_sources(self) -> None:
        store = self.live.store
        expanded = {
            self.sources.topLevelItem(i).text(0)
            for i in range(self.sources.topLevelItemCount())
            if self.sources.topLevelItem(i).isExpanded()
        }
        self.sources.clear()
        feeds = self.controller.sources
        names = list(dict.fromkeys([*feeds, *sorted(store.stats)]))
        for name in names:
            st = store.stats.get(name) or store.source(name)
            source = feeds.get(name)
            state = source.state if source is not None else (st.state if st.state != "idle" else "")
            detail = source.detail if source is not None else st.detail
            item = QTreeWidgetItem(
                [name or "(unnamed)", state, f"{st.accepted:,}", f"{st.rejected_total:,}", detail]
            )
            item.setToolTip(4, detail)
            if state:
                item.setIcon(1, _dot(STATE_COLORS.get(state, "#7a8490")))
            if st.rejected_total:
                item.setForeground(3, QBrush(QColor("#d0342c")))
            for reason, n in sorted(st.rejected.items(), key=lambda kv: -kv[1]):
                example = st.examples.get(reason, "")
                child = QTreeWidgetItem(
                    [reason, "", "", f"{n:,}", f"e.g. {example}" if example else ""]
                )
                child.setToolTip(4, example)
                item.addChild(child)
            self.sources.addTopLevelItem(item)
            item.setExpanded(name in expanded or bool(st.rejected_total))
        for col in range(4):
            self.sources.resizeColumnToContents(col)

    # -- actions -------------------------------------------------------------------
    def selected_alarms(self) -> list[Alarm]:
        rows = (
            {i.row() for i in self.table.selectionModel().selectedRows()}
            if self.table.selectionModel()
            else set()
        )
        return [self.model.alarms[r] for r in sorted(rows) if r < len(self.model.alarms)]

    def acknowledge_selected(self) -> int:
        now = time.time()
        n = sum(
            self.live.alarms.acknowledge(a.network, a.element_id, now)
            for a in self.selected_alarms()
        )
        self.refresh(force=True)
        return n

    def acknowledge_all(self) -> int:
        n = self.live.alarms.acknowledge_all(time.time())
        self.refresh(force=True)
        return n

    def _on_clicked(self, index: QModelIndex) -> None:
        if 0 <= index.row() < len(self.model.alarms):
            a = self.model.alarms[index.row()]
            self.flyRequested.emit(a.network, a.element_id)

    def _on_log_clicked(self, index: QModelIndex) -> None:
        if 0 <= index.row() < len(self.log_model.events):
            e = self.log_model.events[index.row()]
            self.flyRequested.emit(e.network, e.element_id)

    def close_model(self) -> None:
        self._timer.stop()
        self.live.alarms.changed.disconnect(self._on_alarms_changed)
