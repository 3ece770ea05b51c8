"""The scene: frame, layers, networks, schedule, views and the time cursor (core).

The scene is the one authority the app, the headless renderer and `info` read. Layers
are kept in an ordered list whose changes are announced, so the layer panel and the
render adapters follow the model instead of holding their own copies.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from psygnal import Signal

from alatau_twin.core.frame import SceneFrame
from alatau_twin.core.layers import Bounds, BuildingLayer, Layer, TerrainLayer, union_bounds
from alatau_twin.core.presentation import Deck, Tour
from alatau_twin.core.schedule import Schedule, to_day
from alatau_twin.core.views import CameraView, SavedView

if TYPE_CHECKING:  # networkx costs 0.36 s to import; scenes without networks never need it
    from alatau_twin.core.network import Network


class LayerList:
    """Ordered, named layers with insert/remove signals (napari's LayerList, smaller)."""

    inserted = Signal(object)  # the layer
    removed = Signal(object)

    def __init__(self) -> None:
        self._layers: list[Layer] = []

    def __iter__(self) -> Iterator[Layer]:
        return iter(list(self._layers))

    def __len__(self) -> int:
        return len(self._layers)

    def __getitem__(self, key: int | str) -> Layer:
        if isinstance(key, str):
            for layer in self._layers:
                if layer.name == key:
                    return layer
            raise KeyError(f"no layer named {key!r}; layers: {[x.name for x in self._layers]}")
        return self._layers[key]

    def __contains__(self, name: object) -> bool:
        return any(layer.name == name for layer in self._layers)

    def append(self, layer: Layer) -> Layer:
        if layer.name in self:
            raise ValueError(f"a layer named {layer.name!r} already exists")
        self._layers.append(layer)
        self.inserted.emit(layer)
        return layer

    def remove(self, layer: Layer) -> None:
        self._layers.remove(layer)
        self.removed.emit(layer)

    def names(self) -> list[str]:
        return [layer.name for layer in self._layers]


@dataclass
class SceneInfo:
    """Words about the scene for title bars, the About box and `info`."""

    title: str = "Untitled scene"
    description: str = ""
    basis_note: str = ""
    sources: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Selection:
    """Selected features: a layer name and row indices into its table (empty = none)."""

    layer: str | None = None
    rows: tuple[int, ...] = ()

    def __bool__(self) -> bool:
        return self.layer is not None and len(self.rows) > 0


class Scene:
    """Frame + layers + networks + schedule + named views + current date + selection."""

    # The time cursor moved (or its mode or colours changed): emitted with ``date`` (a
    # day). Everything that follows time listens here (construction, charts, the
    # infrastructure-status replay) and reads ``scene.time`` for the time of day.
    date_changed = Signal(object)
    # Plan/as-built mode or the construction colour mode changed (no arguments).
    construction_changed = Signal()
    # Emitted with the new Selection (the old one is passed second).
    selection_changed = Signal(object, object)

    def __init__(self, frame: SceneFrame | None = None, info: SceneInfo | None = None) -> None:
        self.frame = frame or SceneFrame()
        self.info = info or SceneInfo()
        self.layers = LayerList()
        self.networks: dict[str, Network] = {}
        self.schedule: Schedule | None = None
        self.views: dict[str, CameraView] = {}
        self.date: np.datetime64 | None = None
        # The cursor's date *and* time (datetime64[s], wall-clock time at the city).
        self.time: np.datetime64 | None = None
        self._progress_mode = "actual"
        self._color_by: str | None = None
        self.metadata: dict[str, Any] = {}
        self.selection = Selection()
        self.saved_views: dict[str, SavedView] = {}
        # Where the scene came from (files; empty = the embedded sample), for projects.
        self.sources: list[str] = []
        # Presentation: the slide deck and camera tour saved with the project.
        self.deck: Deck = Deck()
        self.tour: Tour = Tour()

    def capture_view(self, name: str, camera: CameraView) -> SavedView:
        """Save the camera, layer visibility and filters under ``name``."""
        view = SavedView(
            name,
            camera,
            {layer.name: layer.visible for layer in self.layers},
            {layer.name: layer.filter_text for layer in self.layers if layer.filter_text},
        )
        self.saved_views[name] = view
        return view

    def restore_layers(self, view: SavedView) -> list[str]:
        """Apply a saved view's visibility and filters; returns problems (not raised:
        a layer that is gone must not stop the rest of the view from restoring)."""
        from alatau_twin.core.expression import ExpressionError, compile_expression

        problems: list[str] = []
        for name, visible in view.visible.items():
            if name in self.layers:
                self.layers[name].visible = visible
            else:
                problems.append(f"view {view.name!r}: layer {name!r} no longer exists")
        for layer in self.layers:
            text = view.filters.get(layer.name, "")
            if not text:
                if layer.filter_mask is not None:
                    layer.set_filter(None)
                continue
            try:
                expr = compile_expression(text, layer.table.columns)
                layer.set_filter(expr.evaluate(layer.table), text)
            except ExpressionError as exc:
                problems.append(f"view {view.name!r}: filter on {layer.name}: {exc}")
        return problems

    def select(self, layer: str | None, rows: Any = ()) -> None:
        """Select features of one layer (by row) or clear with ``select(None)``.

        One selection for the whole scene: a click in 3D, a row in a table and a search
        result all go through here, and every view follows the signal.
        """
        if layer is not None and layer not in self.layers:
            raise KeyError(f"no layer named {layer!r}")
        rows_t = tuple(int(r) for r in np.atleast_1d(np.asarray(rows, dtype=np.int64)))
        new = Selection(layer, rows_t) if layer is not None and rows_t else Selection()
        if layer is not None:
            n = self.layers[layer].n_features
            bad = [r for r in rows_t if not 0 <= r < n]
            if bad:
                raise IndexError(f"{layer}: rows {bad[:5]} outside 0..{n - 1}")
        old, self.selection = self.selection, new
        if new != old:
            self.selection_changed.emit(new, old)

    def find_feature(self, feature_id: str) -> tuple[str, int] | None:
        """(layer name, row) of a feature id in any layer with an ``id`` column."""
        for layer in self.layers:
            if "id" not in layer.table:
                continue
            try:
                return layer.name, layer.table.index_of(feature_id)
            except KeyError:
                continue
        return None

    @property
    def terrain(self) -> TerrainLayer | None:
        for layer in self.layers:
            if isinstance(layer, TerrainLayer):
                return layer
        return None

    def building_layers(self) -> list[BuildingLayer]:
        return [x for x in self.layers if isinstance(x, BuildingLayer)]

    def bounds(self) -> Bounds:
        return union_bounds(
            [
                layer.bounds()
                for layer in self.layers
                if layer.n_features or isinstance(layer, TerrainLayer)
            ]
        )

    def set_date(self, date: Any, mode: str | None = None) -> None:
        """Move the time cursor to a day or a date-time (None: no cursor, all built).

        Buildings with a schedule grow in place to their progress in ``mode`` ("actual"
        as built, "planned"; None keeps :attr:`progress_mode`, a given mode sticks) and
        take the construction colours of :attr:`color_by`. Moving within one day
        changes no geometry.
        """
        from alatau_twin.core.construction import PROGRESS_MODES, apply_construction, to_time

        changed = mode is not None and mode != self._progress_mode
        if changed:
            if mode not in PROGRESS_MODES:
                raise ValueError(f"progress mode must be 'actual' or 'planned', not {mode!r}")
            self._progress_mode = str(mode)
        self.time = None if date is None else to_time(date)
        self.date = None if self.time is None else to_day(self.time)
        apply_construction(self)
        if changed:
            self.construction_changed.emit()
        self.date_changed.emit(self.date)

    @property
    def progress_mode(self) -> str:
        """ "actual" (as built) or "planned": what the buildings' heights show."""
        return self._progress_mode

    @progress_mode.setter
    def progress_mode(self, mode: str) -> None:
        self.set_date(self.time, mode)

    @property
    def color_by(self) -> str | None:
        """Construction colour mode for buildings: "phase", "status" or None (own style)."""
        return self._color_by

    @color_by.setter
    def color_by(self, mode: str | None) -> None:
        from alatau_twin.core.construction import COLOR_MODES

        if mode is not None and mode not in COLOR_MODES:
            raise ValueError(f"colour mode must be one of {COLOR_MODES} or None, not {mode!r}")
        if mode != self._color_by:
            self._color_by = mode
            self.set_date(self.time)
            self.construction_changed.emit()

    def feature_count(self) -> int:
        return sum(layer.n_features for layer in self.layers)
