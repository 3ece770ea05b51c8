"""The inspector dock: every attribute of the selected feature, basis first (ui: Qt).

It reads ``scene.selection`` and the layer's attribute table; it never owns state. The
feature's ``basis`` (fact, derived, illustrative) is shown at the top with what it
means, because a twin that mixes sourced facts with illustration must say which is which.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QDockWidget,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from alatau_twin.core.scene import Scene, Selection

BASIS_TEXT = {
    "fact": "Fact: from a cited public source.",
    "derived": "Derived: computed from real data (e.g. from the SRTM terrain).",
    "illustrative": "Illustrative: a plausible placeholder, not a surveyed or planned value.",
}
BASIS_COLOR = {"fact": "#2e7d32", "derived": "#1565c0", "illustrative": "#b26a00"}


class InspectorDock(QDockWidget):
    """Shows the selected feature's attributes; follows ``scene.selection_changed``."""

    def __init__(self, scene: Scene, parent: QWidget | None = None) -> None:
        super().__init__("Inspector", parent)
        self.setObjectName("inspectorDock")
        self.scene = scene
        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(6, 6, 6, 6)
        self.title = QLabel("Click a building or a network element to inspect it.")
        self.title.setObjectName("inspectorTitle")
        self.title.setWordWrap(True)
        font = QFont(self.title.font())
        font.setBold(True)
        self.title.setFont(font)
        self.basis = QLabel("")
        self.basis.setObjectName("inspectorBasis")
        self.basis.setWordWrap(True)
        self.table = QTableWidget(0, 2, body)
        self.table.setObjectName("inspectorTable")
        self.table.setHorizontalHeaderLabels(["Attribute", "Value"])
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(
            0, QHeaderView.ResizeMode.ResizeToContents
        )
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        layout.addWidget(self.title)
        layout.addWidget(self.basis)
        layout.addWidget(self.table, 1)
        self._layout = layout
        self.setWidget(body)
        scene.selection_changed.connect(self._on_selection)
        self.show_selection(scene.selection)

    def _on_selection(self, new: Selection, _old: Selection) -> None:
        self.show_selection(new)

    def show_selection(self, sel: Selection) -> None:
        if not sel:
            self.title.setText("Click a building or a network element to inspect it.")
            self.basis.setText("")
            self.table.setRowCount(0)
            return
        layer = self.scene.layers[sel.layer]
        if len(sel.rows) > 1:
            self.title.setText(f"{len(sel.rows):,} features selected in {layer.name}")
        row = sel.rows[0]
        attrs = layer.table.row(row)
        fid = attrs.get("id", row)
        name = attrs.get("name") or ""
        if len(sel.rows) == 1:
            self.title.setText(f"{fid}" + (f" — {name}" if name else "") + f"  ({layer.name})")
        basis = str(attrs.get("basis", ""))
        if basis:
            color = BASIS_COLOR.get(basis, "#555555")
            self.basis.setText(
                f"<span style='color:{color}; font-weight:bold'>basis: {basis}</span> — "
                f"{BASIS_TEXT.get(basis, '')}"
            )
        else:
            self.basis.setText("basis: not stated in the source data")
        extra = self._extra_rows(layer.name, str(fid))
        items = [(k, v) for k, v in attrs.items()] + extra
        self.table.setRowCount(len(items))
        for i, (k, v) in enumerate(items):
            key = QTableWidgetItem(str(k))
            value = QTableWidgetItem(_fmt(v))
            if k == "basis":
                value.setForeground(QColor(BASIS_COLOR.get(str(v), "#555555")))
            self.table.setItem(i, 0, key)
            self.table.setItem(i, 1, value)

    def _extra_rows(self, layer_name: str, fid: str) -> list[tuple[str, Any]]:
        """Network facts that are not columns: what an element serves, and supply paths."""
        out: list[tuple[str, Any]] = []
        for kind, net in self.scene.networks.items():
            served = net.serves.get(fid)
            if served is not None:
                out.append((f"{kind}: buildings served", len(served)))
            if fid in net.graph:
                # Strictly downstream (trace): on a ring "everything reachable" would be
                # the whole ring and all it feeds, which says nothing about this node.
                out.append((f"{kind}: downstream nodes", len(net.trace(fid).downstream_nodes)))
        return out

    def add_panel(self, widget: QWidget) -> None:
        """Show another view of the selection (e.g. live status) above the attributes:
        panels follow ``scene.selection_changed`` themselves, the inspector only hosts."""
        self._layout.insertWidget(self._layout.indexOf(self.table), widget)

    def close_model(self) -> None:
        self.scene.selection_changed.disconnect(self._on_selection)


def _fmt(v: Any) -> str:
    if isinstance(v, float | np.floating):
        return f"{v:,.2f}" if np.isfinite(v) else "—"
    if v is None or v == "":
        return "—"
    return str(v)
