"""The layer panel: one checkable row per layer, synced both ways (ui: Qt).

The widget never owns state: ticking a box assigns ``layer.visible`` on the model,
and the row follows the model's ``visibility_changed`` and the layer list's
insert/remove signals (the napari model/view split, kept small).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from alatau_twin.core.layers import Layer
from alatau_twin.core.scene import LayerList


class LayerListWidget(QListWidget):
    """Checkable list of the scene's layers; the check box is the layer's visibility."""

    def __init__(self, layers: LayerList, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("layerList")
        self._layers = layers
        self._items: dict[int, QListWidgetItem] = {}
        for layer in layers:
            self._add(layer)
        layers.inserted.connect(self._add)
        layers.removed.connect(self._remove)
        self.itemChanged.connect(self._on_item_changed)

    def _icon(self, layer: Layer) -> QIcon:
        pm = QPixmap(14, 14)
        c = layer.colors[0] if layer.n_features else (150, 160, 120)
        pm.fill(QColor(int(c[0]), int(c[1]), int(c[2])))
        return QIcon(pm)

    def _add(self, layer: Layer) -> None:
        item = QListWidgetItem(self._icon(layer), layer.name)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked if layer.visible else Qt.CheckState.Unchecked)
        item.setToolTip(f"{layer.name}: {layer.kind}, {layer.n_features:,} features")
        item.setData(Qt.ItemDataRole.UserRole, layer.name)
        self.addItem(item)
        self._items[id(layer)] = item
        layer.visibility_changed.connect(self._sync_from_model)

    def _remove(self, layer: Layer) -> None:
        layer.visibility_changed.disconnect(self._sync_from_model)
        item = self._items.pop(id(layer), None)
        if item is not None:
            self.takeItem(self.row(item))

    def _sync_from_model(self, _visible: bool) -> None:
        self.blockSignals(True)
        for layer in self._layers:
            item = self._items.get(id(layer))
            if item is not None:
                state = Qt.CheckState.Checked if layer.visible else Qt.CheckState.Unchecked
                item.setCheckState(state)
        self.blockSignals(False)

    def _on_item_changed(self, item: QListWidgetItem) -> None:
        name = item.data(Qt.ItemDataRole.UserRole)
        if name in self._layers:
            self._layers[name].visible = item.checkState() == Qt.CheckState.Checked

    def item_for(self, name: str) -> QListWidgetItem:
        return self._items[id(self._layers[name])]

    def close_model(self) -> None:
        """Disconnect from the model (the window calls this on close)."""
        self._layers.inserted.disconnect(self._add)
        self._layers.removed.disconnect(self._remove)
        for layer in self._layers:
            layer.visibility_changed.disconnect(self._sync_from_model)
