"""The attribute table: one layer's features as a sortable, filterable table (ui: Qt).

Three pieces, napari/mnelab style (the widgets hold no state of their own):

- :class:`AttributeTableModel` shows a layer's :class:`~alatau_twin.core.attributes.AttributeTable`
  as a read-only Qt table. Cells are read lazily from the numpy columns, so 100k rows
  cost nothing until they scroll into view.
- :class:`FeatureFilterProxy` orders and filters those rows with numpy: the layer's
  ``filter_mask``, a quick text filter and the sort order are combined into one integer
  array ``proxy row -> feature row``. Sorting 100k rows is one ``np.argsort`` (ms);
  the class docstring says why it is not a ``QSortFilterProxyModel``.
- :class:`AttributeTableDock` puts a layer combo, a filter box, a row count and the view
  together. Picking rows assigns ``scene.select(...)``; the view follows
  ``scene.selection_changed`` (a click in 3D, a search hit), never the other way round.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from alatau_twin.core.layers import Layer
from alatau_twin.core.scene import Scene, Selection

_Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()

_KIND_LABEL = {
    "float": "number (shown to 2 decimals)",
    "int": "whole number",
    "bool": "yes/no",
    "text": "text",
    "mixed": "mixed values",
}


# -- column helpers (pure numpy; also used by the search bar) -----------------------
def column_kind(values: np.ndarray) -> str:
    """'float', 'int', 'bool', 'text' or 'mixed': decides formatting, alignment and sort.

    Object columns are classified by the Python types they hold (one ``set(map(type))``
    pass, ~3 ms per 100k rows); ``None`` counts as missing, not as a type.
    """
    kind = values.dtype.kind
    if kind == "f":
        return "float"
    if kind in "iu":
        return "int"
    if kind == "b":
        return "bool"
    if kind in "US":
        return "text"
    types = set(map(type, values.tolist())) - {type(None)}
    if not types:
        return "text"
    if all(issubclass(t, str) for t in types):
        return "text"
    if all(issubclass(t, (bool, np.bool_)) for t in types):
        return "bool"
    if all(issubclass(t, (int, np.integer)) and not issubclass(t, bool) for t in types):
        return "int"
    if all(issubclass(t, (int, float, np.integer, np.floating)) for t in types):
        return "float"
    return "mixed"


def format_value(value: Any) -> str:
    """How one cell reads: floats to 2 decimals, ints plainly, missing as blank."""
    if value is None:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (float, np.floating)):
        return "" if np.isnan(value) else f"{value:.2f}"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return str(value)


def column_text(values: np.ndarray) -> np.ndarray:
    """Every cell of a column as the text the table shows, as a numpy str array.

    The text filter matches what the user sees ("272" finds 272.00), so it searches
    these strings, not the raw values.
    """
    kind = values.dtype.kind
    if kind in "iuUS":
        return values.astype(str)
    if kind == "f":
        # An f-string pass is ~4x faster than np.char.mod and ~8x faster than
        # format_value per cell; missing values read as blank, as in the table.
        out = np.array([f"{v:.2f}" for v in values.tolist()], dtype=str)
        out[np.isnan(values)] = ""
        return out
    if kind == "O" and column_kind(values) == "text":
        out = values.astype(str)
        out[np.equal(values, None)] = ""
        return out
    # Bools and mixed objects: format cell by cell.
    return np.array([format_value(v) for v in values.tolist()], dtype=str)


def lower(text: np.ndarray) -> np.ndarray:
    """Lower-case a numpy str array: ASCII in one vectorised pass, the rest per cell.

    ``np.strings.lower`` loops in Python-level C (~60 ms per 100k cells); shifting the
    A-Z code points of the UCS-4 buffer takes a few ms. Rows holding any non-ASCII
    character (Kazakh and Russian names) are lowered properly by ``np.strings.lower``.
    """
    text = np.ascontiguousarray(text, dtype=str)
    width = text.dtype.itemsize // 4
    if len(text) == 0 or width == 0:
        return text
    codes = text.view(np.uint32).reshape(len(text), width).copy()
    codes[(codes >= 65) & (codes <= 90)] += 32
    out = codes.view(text.dtype).reshape(len(text))
    wide = (codes > 127).any(axis=1)
    if wide.any():
        out[wide] = np.strings.lower(text[wide])
    return out


def sort_key(values: np.ndarray) -> np.ndarray:
    """A float key per row whose order is the column's order; NaN (missing) sorts last.

    Numbers sort numerically; text sorts case-insensitively by its rank among the
    distinct values, so both directions are a single ``np.argsort`` of ``key``/``-key``.
    """
    kind = column_kind(values)
    if values.dtype.kind in "fiub":
        return values.astype(float)
    missing = np.equal(values, None) if values.dtype.kind == "O" else np.zeros(len(values), bool)
    if kind in ("float", "int", "bool"):
        filled = values.copy()
        filled[missing] = np.nan
        return filled.astype(float)
    text = lower(column_text(values))
    _, rank = np.unique(text, return_inverse=True)
    key = rank.astype(float)
    key[missing] = np.nan
    return key


def selection_runs(rows: np.ndarray) -> list[tuple[int, int]]:
    """Sorted rows as (first, last) runs of consecutive values: one Qt range per run."""
    rows = np.unique(np.asarray(rows, dtype=np.int64))
    if len(rows) == 0:
        return []
    breaks = np.flatnonzero(np.diff(rows) != 1)
    starts = np.concatenate([[0], breaks + 1])
    ends = np.concatenate([breaks, [len(rows) - 1]])
    return [(int(rows[s]), int(rows[e])) for s, e in zip(starts, ends, strict=True)]


# -- the source model ---------------------------------------------------------------
class AttributeTableModel(QAbstractTableModel):
    """A layer's attribute table as a read-only Qt table: one row per feature.

    Nothing is built per row: ``data()`` indexes the numpy column on demand, so the
    view only ever asks for the ~50 rows on screen. Derived arrays (sort keys, cell
    text for the filter) are computed once per column when first needed and dropped
    when the layer changes.
    """

    def __init__(self, layer: Layer | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._layer: Layer | None = None
        self._names: list[str] = []
        self._cols: list[np.ndarray] = []
        self._kinds: dict[int, str] = {}
        self._keys: dict[int, np.ndarray] = {}
        self._text: dict[int, np.ndarray] = {}
        self._bind(layer)

    # -- layer ---------------------------------------------------------------------
    @property
    def layer(self) -> Layer | None:
        return self._layer

    def set_layer(self, layer: Layer | None) -> None:
        """Show another layer's table (a model reset: views re-read only what they show)."""
        self.beginResetModel()
        self._bind(layer)
        self.endResetModel()

    def refresh(self) -> None:
        """Re-read the current layer's table (after columns were added or replaced)."""
        self.set_layer(self._layer)

    def _bind(self, layer: Layer | None) -> None:
        self._layer = layer
        table = layer.table if layer is not None else None
        self._names = list(table.columns) if table is not None else []
        self._cols = [table[name] for name in self._names] if table is not None else []
        self._kinds.clear()
        self._keys.clear()
        self._text.clear()

    # -- column access -------------------------------------------------------------
    @property
    def column_names(self) -> list[str]:
        return list(self._names)

    def column_values(self, column: int) -> np.ndarray:
        return self._cols[column]

    def column_kind(self, column: int) -> str:
        if column not in self._kinds:
            self._kinds[column] = column_kind(self._cols[column])
        return self._kinds[column]

    def sort_key(self, column: int) -> np.ndarray:
        """Float sort key of a column (cached): see :func:`sort_key`."""
        if column not in self._keys:
            self._keys[column] = sort_key(self._cols[column])
        return self._keys[column]

    def lower_text(self, column: int) -> np.ndarray:
        """Lower-cased cell text of a column (cached), for the text filter."""
        if column not in self._text:
            text = column_text(self._cols[column])
            # Formatted numbers and yes/no are lower-case already; only text needs lowering.
            if self.column_kind(column) in ("text", "mixed"):
                text = lower(text)
            self._text[column] = text
        return self._text[column]

    def cell(self, row: int, column: int, role: int) -> Any:
        """``data()`` by plain row/column, so the proxy need not build source indexes."""
        value = self._cols[column][row]
        if role == Qt.ItemDataRole.DisplayRole:
            return format_value(value)
        if role == Qt.ItemDataRole.UserRole:
            return value.item() if isinstance(value, np.generic) else value
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if self.column_kind(column) in ("float", "int"):
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            text = format_value(value)
            return text if len(text) > 30 else None
        return None

    # -- QAbstractTableModel -------------------------------------------------------
    def rowCount(self, parent: _Index = _ROOT) -> int:
        if parent.isValid() or not self._cols:
            return 0
        return len(self._cols[0])

    def columnCount(self, parent: _Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._cols)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        return self.cell(index.row(), index.column(), role)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Vertical:
            return str(section + 1) if role == Qt.ItemDataRole.DisplayRole else None
        if not 0 <= section < len(self._names):
            return None
        name = self._names[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return name
        if role == Qt.ItemDataRole.ToolTipRole:
            kind = _KIND_LABEL[self.column_kind(section)]
            return f"{name}: {kind}, {self.rowCount():,} features. Click to sort."
        return None


# -- the proxy ----------------------------------------------------------------------
class FeatureFilterProxy(QAbstractTableModel):
    """Sorts and filters an :class:`AttributeTableModel` with numpy, not per-row Python.

    State is one array, ``proxy row -> feature row`` (:attr:`rows`), plus its inverse.
    It is recomputed from the layer's ``filter_mask`` (followed through
    ``layer.filter_changed``), the text filter and the sort column, then announced as a
    model reset: the view re-reads only the visible rows, and the dock re-selects the
    scene's selection, which is the one authority on what is selected.

    A proxy in role (``setSourceModel``, ``mapToSource``, ``mapFromSource``), but a flat
    ``QAbstractTableModel`` in type, on purpose:

    - ``QSortFilterProxyModel`` sorts through a Python ``lessThan``: 11.3 s for 100k
      rows here, even comparing precomputed ranks.
    - ``QAbstractProxyModel`` needs Python ``index()``/``parent()``/``flags()``; Qt's
      selection model calls ``parent()`` per selected range per painted cell: showing
      5k scattered selected rows made 550k Python ``parent()`` calls (~3 s). A table
      model's ``parent()``, ``flags()`` and ``sibling()`` stay in C++.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._source: AttributeTableModel | None = None
        self._layer: Layer | None = None
        self._text = ""
        self._sort_column = -1
        self._sort_order = Qt.SortOrder.AscendingOrder
        self._rows = np.zeros(0, dtype=np.int64)
        self._pos = np.zeros(0, dtype=np.int64)

    # -- wiring --------------------------------------------------------------------
    def sourceModel(self) -> AttributeTableModel | None:
        return self._source

    def setSourceModel(self, model: AttributeTableModel) -> None:
        """Show ``model``'s rows; its resets (layer switches) reset this model too."""
        if not isinstance(model, AttributeTableModel):
            raise TypeError("FeatureFilterProxy works over an AttributeTableModel")
        old = self._source
        if old is not None:
            old.modelAboutToBeReset.disconnect(self.beginResetModel)
            old.modelReset.disconnect(self._on_source_reset)
        self.beginResetModel()
        self._source = model
        model.modelAboutToBeReset.connect(self.beginResetModel)
        model.modelReset.connect(self._on_source_reset)
        self._follow_layer(model.layer)
        self._recompute()
        self.endResetModel()

    def _on_source_reset(self) -> None:
        src = self._source
        assert src is not None
        self._follow_layer(src.layer)
        if self._sort_column >= src.columnCount():
            self._sort_column = -1
        self._recompute()
        self.endResetModel()

    def _follow_layer(self, layer: Layer | None) -> None:
        if layer is self._layer:
            return
        if self._layer is not None:
            self._layer.filter_changed.disconnect(self._on_layer_filter)
        self._layer = layer
        if layer is not None:
            layer.filter_changed.connect(self._on_layer_filter)

    def _on_layer_filter(self, _mask: object) -> None:
        self._update()

    def close_model(self) -> None:
        """Stop following the layer's filter (the dock calls this on close)."""
        self._follow_layer(None)

    # -- filtering and sorting -----------------------------------------------------
    @property
    def text_filter(self) -> str:
        return self._text

    def set_text_filter(self, text: str) -> None:
        """Keep rows where any cell's shown text contains ``text`` (case-insensitive)."""
        text = text.strip()
        if text != self._text:
            self._text = text
            self._update()

    @property
    def sort_column(self) -> int:
        return self._sort_column

    @property
    def sort_order(self) -> Qt.SortOrder:
        return self._sort_order

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Order rows by a column's raw values (-1: feature order). Stable; missing last."""
        self._sort_column = column if 0 <= column < self.columnCount() else -1
        self._sort_order = order
        self._update()

    def filter_mask(self) -> np.ndarray:
        """Rows that pass the layer filter and the text filter (bool per feature)."""
        src = self._source
        n = src.rowCount() if src is not None else 0
        mask = np.ones(n, dtype=bool)
        layer_mask = self._layer.filter_mask if self._layer is not None else None
        if layer_mask is not None and len(layer_mask) == n:
            mask &= layer_mask
        if self._text and src is not None and n:
            needle = self._text.lower()
            hit = np.zeros(n, dtype=bool)
            for c in range(src.columnCount()):
                hit |= np.strings.find(src.lower_text(c), needle) >= 0
            mask &= hit
        return mask

    def _update(self) -> None:
        self.beginResetModel()
        self._recompute()
        self.endResetModel()

    def _recompute(self) -> None:
        src = self._source
        mask = self.filter_mask()
        if src is None or self._sort_column < 0:
            rows = np.flatnonzero(mask)
        else:
            key = src.sort_key(self._sort_column)
            if self._sort_order == Qt.SortOrder.DescendingOrder:
                key = -key
            order = np.argsort(key, kind="stable")
            rows = order[mask[order]]
        self._rows = rows.astype(np.int64, copy=False)
        self._pos = np.full(len(mask), -1, dtype=np.int64)
        self._pos[self._rows] = np.arange(len(self._rows))

    # -- row mapping (vectorised) --------------------------------------------------
    @property
    def rows(self) -> np.ndarray:
        """Feature rows in display order (read-only view)."""
        view = self._rows.view()
        view.flags.writeable = False
        return view

    def source_rows(self, proxy_rows: Any) -> np.ndarray:
        """Feature rows for proxy rows (int array or slice)."""
        return self._rows[proxy_rows]

    def proxy_rows(self, source_rows: Any) -> np.ndarray:
        """Proxy rows for feature rows; -1 where the feature is filtered out."""
        rows = np.asarray(source_rows, dtype=np.int64)
        return self._pos[rows] if len(self._pos) else np.full(rows.shape, -1, np.int64)

    def mapToSource(self, proxy_index: _Index) -> QModelIndex:
        if not proxy_index.isValid() or self._source is None:
            return QModelIndex()
        return self._source.index(int(self._rows[proxy_index.row()]), proxy_index.column())

    def mapFromSource(self, source_index: _Index) -> QModelIndex:
        if not source_index.isValid() or source_index.row() >= len(self._pos):
            return QModelIndex()
        pos = int(self._pos[source_index.row()])
        return self.index(pos, source_index.column()) if pos >= 0 else QModelIndex()

    # -- QAbstractTableModel -------------------------------------------------------
    def rowCount(self, parent: _Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = _ROOT) -> int:
        src = self._source
        return 0 if parent.isValid() or src is None else src.columnCount()

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or self._source is None:
            return None
        return self._source.cell(int(self._rows[index.row()]), index.column(), role)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        src = self._source
        if src is None:
            return None
        if orientation == Qt.Orientation.Vertical:
            if role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(self._rows):
                return str(int(self._rows[section]) + 1)
            return None
        return src.headerData(section, orientation, role)


# -- the dock -----------------------------------------------------------------------
def _has_table(layer: Layer) -> bool:
    return layer.n_features > 0 and bool(layer.table.columns)


class AttributeTableDock(QDockWidget):
    """Layer combo + filter box + row count + table, synced with ``scene.selection``.

    ``flyRequested(layer, rows)`` asks the window to fly the camera to features
    (double-click or Enter on a row); the dock itself never touches the camera.
    """

    flyRequested = Signal(str, list)

    #: Delay between the last keystroke and re-filtering, so typing stays fluid.
    FILTER_DELAY_MS = 150
    #: Most separate runs of rows the view highlights for one scene selection.
    MAX_VIEW_RUNS = 5_000

    def __init__(self, scene: Scene, parent: QWidget | None = None) -> None:
        super().__init__("Attributes", parent)
        self.setObjectName("attributeTableDock")
        self.scene = scene
        self._syncing = False
        self._connected = False

        self.model = AttributeTableModel(parent=self)
        self.proxy = FeatureFilterProxy(self)
        self.proxy.setSourceModel(self.model)

        body = QWidget(self)
        self.layer_combo = QComboBox(body)
        self.layer_combo.setObjectName("tableLayer")
        self.layer_combo.setToolTip("Layer whose features the table lists")
        self.search = QLineEdit(body)
        self.search.setObjectName("tableSearch")
        self.search.setPlaceholderText("Filter rows…")
        self.search.setClearButtonEnabled(True)
        self.search.setToolTip("Show rows where any value contains this text")
        self.count_label = QLabel(body)
        self.count_label.setObjectName("tableCount")

        self.view = QTableView(body)
        self.view.setObjectName("attributeTable")
        self.view.setModel(self.proxy)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        self.view.verticalHeader().hide()
        # Uniform row heights: fixed sections, so 100k rows need no per-row measuring.
        vheader = self.view.verticalHeader()
        vheader.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vheader.setDefaultSectionSize(self.view.fontMetrics().height() + 6)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setResizeContentsPrecision(100)
        header.setMaximumSectionSize(360)
        header.setSortIndicatorClearable(True)
        # The header paints each section asking Qt whether its column (and its
        # neighbours) is fully selected, which walks every selected row through Python
        # rowCount/columnCount: ~5 s per repaint with 100k rows selected. It shows no
        # selection (highlightSections off), so it gets its own, always empty, model.
        header.setHighlightSections(False)
        header.setSelectionModel(QItemSelectionModel(self.proxy, header))
        # Feature order until the user clicks a header (else Qt sorts column 0 at once).
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.view.setSortingEnabled(True)

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.layer_combo, 1)
        top.addWidget(self.search, 2)
        top.addWidget(self.count_label)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.view, 1)
        self.setWidget(body)

        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(self.FILTER_DELAY_MS)
        self._filter_timer.timeout.connect(self.apply_text_filter)

        # Widget-side wiring (Qt objects we own; they die with the dock).
        self.layer_combo.currentIndexChanged.connect(self._on_combo_changed)
        self.search.textChanged.connect(self._filter_timer.start)
        self.search.returnPressed.connect(self.apply_text_filter)
        self.proxy.modelReset.connect(self._on_proxy_reset)
        self.view.selectionModel().selectionChanged.connect(self._on_view_selection)
        self.view.doubleClicked.connect(self._on_double_clicked)
        self.view.installEventFilter(self)

        # Model-side wiring: close_model() undoes exactly these.
        scene.layers.inserted.connect(self._on_layers_changed)
        scene.layers.removed.connect(self._on_layers_changed)
        scene.selection_changed.connect(self._on_scene_selection)
        self._connected = True

        self._rebuild_combo(prefer=self._default_layer_name())
        self._on_proxy_reset()

    # -- public --------------------------------------------------------------------
    @property
    def layer_name(self) -> str | None:
        """The layer the table shows (None when no layer has attributes)."""
        layer = self.model.layer
        return layer.name if layer is not None else None

    def show_layer(self, name: str) -> None:
        """List another layer's features (through the combo, so both stay in step)."""
        i = self.layer_combo.findData(name)
        if i < 0:
            raise KeyError(f"no layer with attributes named {name!r}")
        self.layer_combo.setCurrentIndex(i)

    def apply_text_filter(self) -> None:
        """Filter by the search box now (typing applies it after a short pause)."""
        self._filter_timer.stop()
        self.proxy.set_text_filter(self.search.text())

    def selected_rows(self) -> list[int]:
        """Feature rows (model rows, not view rows) selected in the view, ascending."""
        parts = [
            self.proxy.source_rows(slice(r.top(), r.bottom() + 1))
            for r in self.view.selectionModel().selection()
        ]
        if not parts:
            return []
        return [int(r) for r in np.unique(np.concatenate(parts))]

    def close_model(self) -> None:
        """Disconnect everything connected on the model (the window calls this on close)."""
        if not self._connected:
            return
        self._connected = False
        self._filter_timer.stop()
        self.scene.layers.inserted.disconnect(self._on_layers_changed)
        self.scene.layers.removed.disconnect(self._on_layers_changed)
        self.scene.selection_changed.disconnect(self._on_scene_selection)
        self.proxy.close_model()

    # -- layers --------------------------------------------------------------------
    def _default_layer_name(self) -> str | None:
        sel = self.scene.selection
        if sel and sel.layer in self.scene.layers and _has_table(self.scene.layers[sel.layer]):
            return sel.layer
        buildings = [x for x in self.scene.building_layers() if _has_table(x)]
        if buildings:
            return buildings[0].name
        return None

    def _rebuild_combo(self, prefer: str | None = None) -> None:
        current = prefer or self.layer_name
        self.layer_combo.blockSignals(True)
        self.layer_combo.clear()
        for layer in self.scene.layers:
            if _has_table(layer):
                self.layer_combo.addItem(f"{layer.name} ({layer.n_features:,})", layer.name)
        i = self.layer_combo.findData(current) if current is not None else -1
        if i < 0 and self.layer_combo.count():
            i = 0
        self.layer_combo.setCurrentIndex(i)
        self.layer_combo.blockSignals(False)
        self._on_combo_changed(i)

    def _on_layers_changed(self, _layer: Layer) -> None:
        self._rebuild_combo()

    def _on_combo_changed(self, i: int) -> None:
        name = self.layer_combo.itemData(i) if i >= 0 else None
        layer = self.scene.layers[name] if name in self.scene.layers else None
        if layer is self.model.layer:
            return
        # Another table's column N is another column: start in feature order.
        self.view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.model.set_layer(layer)  # the proxy resets; _on_proxy_reset re-selects
        self.view.resizeColumnsToContents()

    # -- selection: view -> scene --------------------------------------------------
    def _on_view_selection(self, *_: Any) -> None:
        if self._syncing or self.layer_name is None:
            return
        rows = self.selected_rows()
        self._syncing = True
        try:
            if rows:
                self.scene.select(self.layer_name, rows)
            elif self.scene.selection.layer == self.layer_name:
                self.scene.select(None)
        finally:
            self._syncing = False
        self._update_count()

    # -- selection: scene -> view --------------------------------------------------
    def _on_scene_selection(self, new: Selection, _old: Selection) -> None:
        if self._syncing:
            return
        if new.layer is not None and new.layer != self.layer_name:
            if self.layer_combo.findData(new.layer) >= 0:
                self.show_layer(new.layer)  # resets the proxy, which re-selects
                return
        self._update_count()
        self._select_in_view(new)

    def _on_proxy_reset(self) -> None:
        self._update_count()
        self._select_in_view(self.scene.selection)

    def _update_count(self) -> None:
        layer = self.model.layer
        total = layer.n_features if layer is not None else 0
        text = f"{self.proxy.rowCount():,} of {total:,} features"
        sel = self.scene.selection
        if sel and sel.layer == self.layer_name:
            text += f" · {len(sel.rows):,} selected"
        self.count_label.setText(text)

    def _select_in_view(self, sel: Selection) -> None:
        """Show ``sel`` in the view without feeding back into ``scene.select``."""
        selection = QItemSelection()
        first = -1
        if sel and sel.layer == self.layer_name:
            pos = self.proxy.proxy_rows(np.asarray(sel.rows, dtype=np.int64))
            pos = pos[pos >= 0]
            last_col = self.proxy.columnCount() - 1
            # Each run is one Qt range built by a Python call; past a few thousand
            # scattered runs the view highlights the first ones only (the scene keeps
            # the whole selection, and the count label says how many).
            for top, bottom in selection_runs(pos)[: self.MAX_VIEW_RUNS]:
                selection.select(self.proxy.index(top, 0), self.proxy.index(bottom, last_col))
            first = int(pos.min()) if len(pos) else -1
        sm = self.view.selectionModel()
        self._syncing = True
        try:
            # Clear first, then select: ClearAndSelect makes Qt diff the old and new
            # selections range by range, O(n*m) for scattered rows.
            sm.clearSelection()
            sm.select(
                selection,
                QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
            )
            if first >= 0:
                index = self.proxy.index(first, 0)
                sm.setCurrentIndex(index, QItemSelectionModel.SelectionFlag.NoUpdate)
                self.view.scrollTo(index, QAbstractItemView.ScrollHint.EnsureVisible)
        finally:
            self._syncing = False

    # -- fly-to --------------------------------------------------------------------
    def _request_fly(self, index: QModelIndex | None = None) -> None:
        name = self.layer_name
        if name is None:
            return
        rows = self.selected_rows()
        if not rows and index is not None and index.isValid():
            rows = [int(self.proxy.source_rows(index.row()))]
        if rows:
            self.flyRequested.emit(name, rows)

    def _on_double_clicked(self, index: QModelIndex) -> None:
        self._request_fly(index)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Enter flies to the selected rows; QTableView's own Enter handling emits
        # `activated`, which some styles also emit on a single click, so we don't use it.
        if (
            watched is self.view
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        ):
            self._request_fly(self.view.currentIndex())
            return True
        return super().eventFilter(watched, event)
