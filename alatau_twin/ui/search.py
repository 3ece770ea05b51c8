"""Find features by id, name or value across all layers, and the search box (ui: Qt).

:func:`search_features` is plain numpy over the layers' attribute tables (one vectorised
pass per column, no per-row Python), so it is tested without widgets. :class:`SearchBar`
is the thin Qt front: a line edit, a popup list of hits, and on activation one
assignment to the model (``scene.select``) plus a ``flyRequested`` for the camera.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QEvent, QObject, QPoint, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QWidget,
)

from alatau_twin.core.layers import Layer
from alatau_twin.core.scene import Scene
from alatau_twin.ui.attribute_table import column_kind, lower

#: Hits listed at most; the popup says how many more matched.
DEFAULT_LIMIT = 200


@dataclass(frozen=True)
class SearchHit:
    """One found feature: ``layer`` and ``row`` select it; ``label`` is what a list shows.

    ``match`` says why it matched (``"use: office"``) when that is not in the label.
    """

    layer: str
    row: int
    id: str
    label: str
    match: str = ""


class SearchResults(list[SearchHit]):
    """Hits in rank order (at most ``limit``) and ``total``, how many features matched."""

    total: int = 0

    @property
    def more(self) -> int:
        """Matches beyond the listed hits."""
        return max(self.total - len(self), 0)


def _lower_strings(values: np.ndarray) -> np.ndarray | None:
    """Lower-cased text of a string column ('' for missing); None if not a string column."""
    if column_kind(values) != "text":
        return None
    text = values.astype(str)
    if values.dtype.kind == "O":
        text[np.equal(values, None)] = ""
    return lower(text)


class _LayerText:
    """A layer's string columns, lower-cased once per search (each column on demand)."""

    def __init__(self, layer: Layer) -> None:
        self.layer = layer
        self._cache: dict[str, np.ndarray | None] = {}

    def column(self, name: str) -> np.ndarray | None:
        if name not in self._cache:
            values = self.layer.table.get(name)
            self._cache[name] = None if values is None else _lower_strings(values)
        return self._cache[name]

    def string_columns(self) -> list[str]:
        return [c for c in self.layer.table.columns if self.column(c) is not None]


def _label(layer: Layer, row: int) -> tuple[str, str]:
    """(id, "id — name (layer)") of one feature; the name part is left out when blank."""
    table = layer.table
    ids = table.get("id")
    fid = str(ids[row]) if ids is not None and ids[row] is not None else f"#{row + 1}"
    names = table.get("name")
    name = names[row] if names is not None else None
    if isinstance(name, str) and name.strip():
        return fid, f"{fid} — {name} ({layer.name})"
    return fid, f"{fid} ({layer.name})"


def search_features(scene: Scene, text: str, limit: int = DEFAULT_LIMIT) -> SearchResults:
    """Features matching ``text``, best first, across all layers.

    Ranking, each tier in layer order then row order, each feature listed once:

    1. the exact id (``scene.find_feature``), then ids equal ignoring case;
    2. ``name`` containing the text (case-insensitive);
    3. any other string column containing it (``id``, ``use``, ``district``...).

    Numbers are not searched here (the attribute table's filter does that). The result
    holds at most ``limit`` hits; ``result.total`` counts every match.
    """
    results = SearchResults()
    needle = text.strip()
    if not needle:
        return results
    low = needle.lower()
    layers = [x for x in scene.layers if x.n_features and x.table.columns]
    texts = {x.name: _LayerText(x) for x in layers}
    taken = {x.name: np.zeros(x.n_features, dtype=bool) for x in layers}
    total = 0

    def add(layer: Layer, mask: np.ndarray, match: str | None = None) -> None:
        nonlocal total
        new = mask & ~taken[layer.name]
        taken[layer.name] |= new
        rows = np.flatnonzero(new)
        total += len(rows)
        room = limit - len(results)
        for row in rows[: max(room, 0)].tolist():
            fid, label = _label(layer, row)
            why = ""
            if match is not None:
                why = f"{match}: {layer.table[match][row]}"
            results.append(SearchHit(layer.name, row, fid, label, why))

    # 1. Exact id, then the same id in any case.
    exact = scene.find_feature(needle)
    if exact is not None and exact[0] in taken:
        layer = scene.layers[exact[0]]
        mask = np.zeros(layer.n_features, dtype=bool)
        mask[exact[1]] = True
        add(layer, mask)
    for layer in layers:
        ids = texts[layer.name].column("id")
        if ids is not None:
            add(layer, ids == low)
    # 2. Names containing the text.
    for layer in layers:
        names = texts[layer.name].column("name")
        if names is not None:
            add(layer, np.strings.find(names, low) >= 0)
    # 3. Any other string value containing it; the first matching column says why.
    for layer in layers:
        lt = texts[layer.name]
        for col in lt.string_columns():
            if col == "name":
                continue
            values = lt.column(col)
            assert values is not None
            add(layer, np.strings.find(values, low) >= 0, None if col == "id" else col)

    results.total = total
    return results


class SearchBar(QWidget):
    """A search box: Enter lists matching features; picking one selects it and flies there.

    ``flyRequested(layer, rows)`` is for the window to connect to the camera's fly-to,
    like :class:`~alatau_twin.ui.attribute_table.AttributeTableDock`'s.
    """

    flyRequested = Signal(str, list)

    #: Rows the popup shows before it scrolls.
    VISIBLE_ROWS = 12

    def __init__(
        self, scene: Scene, parent: QWidget | None = None, *, limit: int = DEFAULT_LIMIT
    ) -> None:
        super().__init__(parent)
        self.setObjectName("searchBar")
        self.scene = scene
        self.limit = limit
        self.last_results = SearchResults()
        self._connected = False

        self.edit = QLineEdit(self)
        self.edit.setObjectName("searchBox")
        self.edit.setPlaceholderText("Search id, name or value…")
        self.edit.setClearButtonEnabled(True)
        self.edit.setToolTip("Enter searches every layer: exact id first, then names, values")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit)

        # A Qt.Popup list, like QCompleter's: it closes on an outside click, and the
        # event filter passes typing back to the line edit.
        self.results = QListWidget(self)
        self.results.setObjectName("searchResults")
        self.results.setWindowFlags(Qt.WindowType.Popup)
        self.results.setUniformItemSizes(True)
        self.results.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.results.installEventFilter(self)

        self.edit.returnPressed.connect(self.run_search)
        self.results.itemActivated.connect(self._on_item_activated)
        self.results.itemClicked.connect(self._on_item_activated)

        # Model-side wiring: hits point at rows of layers, so a removed layer voids them.
        scene.layers.removed.connect(self._on_layer_removed)
        self._connected = True

    # -- search --------------------------------------------------------------------
    def run_search(self, text: str | None = None) -> SearchResults:
        """Search for ``text`` (default: the box's text) and list the hits in the popup."""
        if text is None:
            text = self.edit.text()
        elif text != self.edit.text():
            self.edit.setText(text)
        self.last_results = search_features(self.scene, text, self.limit)
        self._fill(text)
        return self.last_results

    def _fill(self, text: str) -> None:
        self.results.clear()
        if not text.strip():
            self.hide_results()
            return
        for hit in self.last_results:
            item = QListWidgetItem(hit.label)
            item.setData(Qt.ItemDataRole.UserRole, hit)
            if hit.match:
                item.setToolTip(hit.match)
            self.results.addItem(item)
        note = None
        if not self.last_results:
            note = f"No feature matches “{text.strip()}”"
        elif self.last_results.more:
            note = f"{self.last_results.more:,} more…"
        if note is not None:
            item = QListWidgetItem(note)
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            item.setData(Qt.ItemDataRole.UserRole, "")  # not a hit (and never None)
            self.results.addItem(item)
        if self.last_results:
            self.results.setCurrentRow(0)
        self._show_results()

    def _show_results(self) -> None:
        rows = min(self.results.count(), self.VISIBLE_ROWS)
        row_h = self.results.sizeHintForRow(0) if self.results.count() else 20
        frame = 2 * self.results.frameWidth()
        self.results.resize(max(self.edit.width(), 420), rows * max(row_h, 1) + frame + 2)
        self.results.move(self.edit.mapToGlobal(QPoint(0, self.edit.height())))
        self.results.show()

    def hide_results(self) -> None:
        self.results.hide()

    # -- activation ----------------------------------------------------------------
    def activate(self, hit: SearchHit) -> None:
        """Select the hit's feature in the scene and ask to fly there."""
        self.hide_results()
        self.scene.select(hit.layer, [hit.row])
        self.flyRequested.emit(hit.layer, [hit.row])

    def _on_item_activated(self, item: QListWidgetItem) -> None:
        # A double-click sends both itemClicked and itemActivated: act once, while shown.
        hit = item.data(Qt.ItemDataRole.UserRole)
        if isinstance(hit, SearchHit) and self.results.isVisible():
            self.activate(hit)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # The popup grabs the keyboard: keep arrows/Enter/Escape for it, hand the rest
        # (typing, Backspace) to the line edit, as QCompleter does.
        if watched is self.results and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            key = event.key()
            if key == Qt.Key.Key_Escape:
                self.hide_results()
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                item = self.results.currentItem()
                if item is not None and item.flags() & Qt.ItemFlag.ItemIsEnabled:
                    self._on_item_activated(item)
                return True
            nav = (
                Qt.Key.Key_Up,
                Qt.Key.Key_Down,
                Qt.Key.Key_PageUp,
                Qt.Key.Key_PageDown,
                Qt.Key.Key_Home,
                Qt.Key.Key_End,
            )
            if key not in nav:
                QApplication.sendEvent(self.edit, event)
                return True
        return super().eventFilter(watched, event)

    # -- model ---------------------------------------------------------------------
    def _on_layer_removed(self, layer: Layer) -> None:
        if any(hit.layer == layer.name for hit in self.last_results):
            self.last_results = SearchResults()
            self.results.clear()
            self.hide_results()

    def hideEvent(self, event: QEvent) -> None:  # type: ignore[override]
        self.hide_results()
        super().hideEvent(event)

    def close_model(self) -> None:
        """Disconnect from the model (the window calls this on close)."""
        if self._connected:
            self._connected = False
            self.scene.layers.removed.disconnect(self._on_layer_removed)
        self.hide_results()
