"""The live overlay: status store + alarms + outage trace + colours, in one place (core).

``LiveStatus`` is what the viewer, ``alatau-twin watch`` and the benchmarks drive. Once
per frame its owner calls :meth:`LiveStatus.pump` with the feed queue; the batch is
parsed and applied to the :class:`~alatau_twin.core.status.StatusStore`, transitions
raise or clear alarms, and only if some element started or stopped cutting supply is
the graph traced again. Colours then change *in place* for the touched rows only
(``Layer.set_colors(colors, rows)``): network elements by status, buildings by lost
service. Nothing here renders; the render adapters follow the layers' signals and the
render scheduler coalesces all of it into one render.

Colour rules (shared with the legend): an element that is ``ok`` (or not reported yet)
keeps its network colour, so power and water stay recognisable and only exceptions
stand out; abnormal statuses get :data:`STATUS_COLORS`. A traced element's upstream and
downstream are tinted; a fault inside a trace stays red. Buildings that lose power,
water or road access are shaded by the most important loss.
"""

from __future__ import annotations

import time as _time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from psygnal import Signal

from alatau_twin.core.alarms import AlarmBook
from alatau_twin.core.layers import BuildingLayer, Layer
from alatau_twin.core.status import (
    CUTS_SUPPLY,
    OK,
    STATUSES,
    UNKNOWN,
    ApplyResult,
    MessageQueue,
    ProgressMessage,
    StatusStore,
    StatusTimeline,
)

if TYPE_CHECKING:
    from alatau_twin.core.scene import Scene

# RGB per status; None = keep the element's own network colour.
STATUS_COLORS: dict[str, tuple[int, int, int] | None] = {
    "ok": None,
    "degraded": (245, 166, 35),
    "fault": (226, 35, 35),
    "maintenance": (156, 92, 230),
    "offline": (35, 35, 40),
    "unknown": None,
}
# Legend swatches for the statuses that keep their own colour.
STATUS_LEGEND_OK = (60, 170, 90)
TRACE_UP = (0, 200, 255)
TRACE_DOWN = (255, 60, 200)
TRACE_SERVED = (255, 150, 220)
# Lost service, by priority: the first that applies wins.
LOSS_ORDER = ("power", "water", "roads")
LOSS_COLORS: dict[str, tuple[int, int, int]] = {
    "power": (52, 56, 82),
    "water": (70, 140, 190),
    "roads": (190, 140, 70),
}
LOSS_LABELS = {
    "power": "without power",
    "water": "without water",
    "roads": "no road access",
}


@dataclass
class LiveUpdate:
    """What one :meth:`LiveStatus.pump` did, for the UI and ``watch``."""

    accepted: int = 0
    rejected: int = 0
    status_changes: int = 0
    alarms_changed: int = 0
    networks_traced: list[str] = field(default_factory=list)
    buildings_changed: int = 0
    progress: int = 0
    seconds: float = 0.0

    @property
    def anything(self) -> bool:
        return bool(
            self.status_changes or self.buildings_changed or self.progress or self.alarms_changed
        )


@dataclass
class _Feature:
    """Where a store element is drawn: a layer and a row in it."""

    layer: Layer
    layer_rows: np.ndarray
    store_rows: np.ndarray


class LiveStatus:
    """Live state of a scene's networks and its projection onto the scene's layers."""

    updated = Signal(object)  # LiveUpdate
    what_if_changed = Signal()
    trace_changed = Signal()

    def __init__(
        self,
        scene: Scene,
        *,
        history: int = 256,
        clock: Callable[[], float] = _time.time,
        sample_every_s: float = 1.0,
    ) -> None:
        self.scene = scene
        ids = set(scene.schedule.feature_ids.tolist()) if scene.schedule is not None else set()
        self.store = StatusStore.for_networks(
            scene.networks, history=history, clock=clock, progress_ids=ids
        )
        self.clock = clock
        self.alarms = AlarmBook()
        self.timeline = StatusTimeline()
        self.sample_every_s = sample_every_s
        self._last_sample = -np.inf
        self.enabled = True
        self.view_time: float | None = None  # None = live; else show history at t
        self.trace_element: tuple[str, str] | None = None
        self._features: list[_Feature] = []
        self._base: dict[int, np.ndarray] = {}  # id(layer) -> base colours
        self._writing = False
        self._index_buildings()
        self._index_features()
        self._cut: dict[str, frozenset[str]] = {n: frozenset() for n in scene.networks}
        self.lost: dict[str, np.ndarray] = {}  # network -> bool per building key
        for n in scene.networks:
            self.lost[n] = np.zeros(len(self._bkeys), bool)
        self._recompute_all()

    # -- indexing ------------------------------------------------------------------
    def _index_buildings(self) -> None:
        """Every building id -> (layer, row), and per network the (element, building)
        serve pairs as arrays, so lost service is a bincount, not a set operation."""
        self._blayers = [
            x for x in self.scene.building_layers() if "id" in x.table and x.n_features
        ]
        keys: dict[str, int] = {}
        self._bkey_layer: list[int] = []
        self._bkey_row: list[int] = []
        for li, layer in enumerate(self._blayers):
            for r, fid in enumerate(layer.table["id"].tolist()):
                if str(fid) not in keys:
                    keys[str(fid)] = len(keys)
                    self._bkey_layer.append(li)
                    self._bkey_row.append(r)
        self._bkeys = keys
        self._bkey_layer_a = np.asarray(self._bkey_layer, np.int64)
        self._bkey_row_a = np.asarray(self._bkey_row, np.int64)
        res = np.zeros(len(keys))
        for li, layer in enumerate(self._blayers):
            col = layer.table.get("residents")
            if col is not None:
                sel = self._bkey_layer_a == li
                res[sel] = np.nan_to_num(np.asarray(col, float)[self._bkey_row_a[sel]])
        self.residents = res
        self._pairs: dict[str, tuple[list[str], np.ndarray, np.ndarray]] = {}
        for name, net in self.scene.networks.items():
            elems: list[str] = []
            e_idx: list[int] = []
            b_idx: list[int] = []
            for e, bs in net.serves.items():
                ei = len(elems)
                elems.append(e)
                for b in bs:
                    k = keys.get(str(b))
                    if k is not None:
                        e_idx.append(ei)
                        b_idx.append(k)
            self._pairs[name] = (elems, np.asarray(e_idx, np.int64), np.asarray(b_idx, np.int64))

    def _index_features(self) -> None:
        """Network layers (an ``id`` and a ``network`` column) -> store rows."""
        self._features = []
        for layer in self.scene.layers:
            if isinstance(layer, BuildingLayer) or "id" not in layer.table:
                continue
            if "network" not in layer.table:
                continue
            nets = layer.table["network"].tolist()
            ids = layer.table["id"].tolist()
            lr, sr = [], []
            for r, (n, fid) in enumerate(zip(nets, ids, strict=True)):
                row = self.store.networks.get(str(n), {}).get(str(fid))
                if row is not None:
                    lr.append(r)
                    sr.append(row)
            if lr:
                self._features.append(
                    _Feature(layer, np.asarray(lr, np.int64), np.asarray(sr, np.int64))
                )
                self._base[id(layer)] = layer.colors.copy()
                layer.colors_changed.connect(self._on_external_colors)
        for layer in self._blayers:
            self._base[id(layer)] = layer.colors.copy()
            layer.colors_changed.connect(self._on_external_colors)

    def close(self) -> None:
        """Disconnect from the layers (the scene outlives this overlay)."""
        for f in self._features:
            f.layer.colors_changed.disconnect(self._on_external_colors)
        for layer in self._blayers:
            layer.colors_changed.disconnect(self._on_external_colors)
        self._features = []

    def _on_external_colors(self, rows: Any) -> None:
        """Someone restyled a layer: take its colours as the new base, re-apply on top."""
        if self._writing:
            return
        sender = Signal.sender()
        if sender is None:
            return
        self._base[id(sender)] = sender.colors.copy()
        if self.enabled:
            self._paint_layer(sender)

    # -- the per-frame entry point -----------------------------------------------------
    def pump(self, queue: MessageQueue, max_items: int | None = None) -> LiveUpdate:
        """Drain the queue, apply, trace if needed, recolour in place."""
        return self.apply(queue.drain_into(self.store, max_items))

    def apply(self, result: ApplyResult) -> LiveUpdate:
        t0 = _time.perf_counter()
        up = LiveUpdate(accepted=result.accepted, rejected=sum(result.rejected.values()))
        up.status_changes = len(result.changed)
        keys = self.store.key
        trans = []
        cut_changed: set[str] = set()
        for row, old, new, when in result.transitions:
            net, eid = keys(row)
            trans.append((net, eid, old, new, when, str(self.store.text[row])))
            if (old in CUTS_SUPPLY) != (new in CUTS_SUPPLY):
                cut_changed.add(net)
        up.alarms_changed = self.alarms.apply(trans)
        if result.progress:
            up.progress = self._apply_progress(result.progress)
        if self.view_time is None:
            for net in sorted(cut_changed):
                up.buildings_changed += self._retrace(net)
                up.networks_traced.append(net)
            if len(result.changed) and self.enabled:
                self._paint_elements(result.changed)
        now = self.clock()
        if now - self._last_sample >= self.sample_every_s:
            self.timeline.sample(now, self.store, self.availability())
            self._last_sample = now
        up.seconds = _time.perf_counter() - t0
        self.updated.emit(up)
        return up

    def _apply_progress(self, msgs: list[ProgressMessage]) -> int:
        sched = self.scene.schedule
        if sched is None:
            return 0
        for m in msgs:
            day = np.datetime64(int(m.time), "s").astype("datetime64[D]")
            dates, pct = sched.reports.get(m.feature_id, (np.zeros(0, "datetime64[D]"), []))
            keep = np.asarray(dates) != day
            sched.reports[m.feature_id] = (
                np.r_[np.asarray(dates)[keep], day].astype("datetime64[D]"),
                np.r_[np.asarray(pct, float)[keep], m.percent],
            )
        sched.invalidate()
        if self.scene.date is not None:
            self.scene.set_date(self.scene.date, getattr(self.scene, "progress_mode", "actual"))
        return len(msgs)

    # -- supply ----------------------------------------------------------------------
    def _retrace(self, network: str) -> int:
        """Recompute which buildings lost ``network``'s service; recolour the changes."""
        cut = frozenset(self.store.cut_ids(network))
        if cut == self._cut.get(network) and network in self.lost:
            return 0
        self._cut[network] = cut
        new = self._lost_mask(network, cut)
        changed = np.flatnonzero(new != self.lost[network])
        self.lost[network] = new
        if len(changed) and self.enabled:
            self._paint_buildings(changed)
        return len(changed)

    def _lost_mask(self, network: str, cut: Iterable[str]) -> np.ndarray:
        net = self.scene.networks[network]
        elems, e_idx, b_idx = self._pairs[network]
        n = len(self._bkeys)
        if not len(e_idx):
            return np.zeros(n, bool)
        cut = set(cut)
        live = net.supplied_elements(cut) if cut else None
        if live is None:
            return np.zeros(n, bool)
        elem_live = np.fromiter((e in live for e in elems), bool, len(elems))
        served = np.zeros(n, bool)
        served[b_idx] = True
        supplied = np.zeros(n, bool)
        supplied[b_idx[elem_live[e_idx]]] = True
        return served & ~supplied

    def _recompute_all(self) -> None:
        for net in self.scene.networks:
            self._cut[net] = frozenset(self.store.cut_ids(net))
            self.lost[net] = self._lost_mask(net, self._cut[net])
        if self.enabled:
            self.repaint()

    def without_supply(self, network: str) -> list[str]:
        """Building ids without ``network``'s service now."""
        keys = list(self._bkeys)
        return [keys[i] for i in np.flatnonzero(self.lost.get(network, []))]

    def availability(self) -> dict[str, float]:
        """Share of served buildings that have supply, per network (1.0 = all)."""
        out = {}
        for net, (_, _e, b_idx) in self._pairs.items():
            served = np.zeros(len(self._bkeys), bool)
            served[b_idx] = True
            n = int(served.sum())
            out[net] = 1.0 if n == 0 else 1.0 - float(self.lost[net][served].sum()) / n
        return out

    # -- what-if and trace -----------------------------------------------------------
    def set_out_of_service(self, network: str, element_ids: Iterable[str], on: bool = True) -> int:
        """Mark elements out of service (what-if) or back; returns buildings changed."""
        for eid in element_ids:
            self.store.out_of_service[self.store.row(network, eid)] = on
        n = self._retrace(network)
        self.what_if_changed.emit()
        return n

    def clear_what_if(self) -> None:
        nets = {self.store.key(int(r))[0] for r in np.flatnonzero(self.store.out_of_service)}
        self.store.out_of_service[:] = False
        for net in sorted(nets):
            self._retrace(net)
        self.what_if_changed.emit()

    def what_if_ids(self) -> list[tuple[str, str]]:
        return [self.store.key(int(r)) for r in np.flatnonzero(self.store.out_of_service)]

    def impact(self, network: str, element_ids: Iterable[str]) -> dict[str, Any]:
        """Buildings and residents that would lose supply if these elements went out,
        on top of what is already out now (does not change any state)."""
        cut_now = set(self.store.cut_ids(network))
        before = self._lost_mask(network, cut_now)
        after = self._lost_mask(network, cut_now | set(element_ids))
        extra = after & ~before
        keys = list(self._bkeys)
        return {
            "network": network,
            "elements": sorted(element_ids),
            "buildings": int(extra.sum()),
            "residents": round(float(self.residents[extra].sum())),
            "building_ids": [keys[i] for i in np.flatnonzero(extra)],
        }

    def set_trace(self, network: str | None, element_id: str | None = None) -> Any:
        """Highlight upstream and downstream of an element (None clears). Returns the
        network's Trace object (or None)."""
        old = self.trace_element
        self.trace_element = None if network is None else (network, str(element_id))
        self._trace = None
        if self.trace_element is not None:
            net = self.scene.networks[network]  # type: ignore[index]
            self._trace = net.trace(str(element_id))
        if old != self.trace_element and self.enabled:
            self.repaint()
        self.trace_changed.emit()
        return self._trace

    # -- history view (the time cursor) ------------------------------------------------
    def set_view_time(self, t: float | None) -> None:
        """Show the status history at epoch ``t`` (None: back to live)."""
        self.view_time = t
        if self.enabled:
            self.repaint()

    def codes_now(self) -> np.ndarray:
        if self.view_time is None:
            return self.store.code
        return self.store.codes_at(self.view_time)

    # -- painting --------------------------------------------------------------------
    def set_enabled(self, on: bool) -> None:
        """Overlay on: status/lost-service colours; off: the layers' own colours."""
        self.enabled = bool(on)
        self.repaint()

    def repaint(self) -> None:
        for f in self._features:
            self._paint_layer(f.layer)
        for layer in self._blayers:
            self._paint_layer(layer)

    def _paint_layer(self, layer: Layer) -> None:
        if isinstance(layer, BuildingLayer):
            li = self._blayers.index(layer)
            keys = np.flatnonzero(self._bkey_layer_a == li)
            self._paint_buildings(keys)
            return
        for f in self._features:
            if f.layer is layer:
                self._paint_feature(f, None)

    def _paint_elements(self, store_rows: np.ndarray) -> None:
        for f in self._features:
            hit = np.isin(f.store_rows, store_rows)
            if hit.any():
                self._paint_feature(f, np.flatnonzero(hit))

    def _element_colors(self, f: _Feature, idx: np.ndarray) -> np.ndarray:
        base = self._base[id(f.layer)][f.layer_rows[idx]].copy()
        if not self.enabled:
            return base
        codes = self.codes_now()[f.store_rows[idx]]
        tr = getattr(self, "_trace", None)
        if tr is not None and self.trace_element is not None:
            net = self.trace_element[0]
            up = set(tr.upstream_nodes) | set(tr.upstream_links)
            down = set(tr.downstream_nodes) | set(tr.downstream_links)
            for j, sr in enumerate(f.store_rows[idx].tolist()):
                n, eid = self.store.key(sr)
                if n != net:
                    continue
                if eid in down:
                    base[j] = TRACE_DOWN
                elif eid in up:
                    base[j] = TRACE_UP
        for code, name in enumerate(STATUSES):
            rgb = STATUS_COLORS[name]
            if rgb is None or code in (OK, UNKNOWN):
                continue
            base[codes == code] = rgb
        return base

    def _paint_feature(self, f: _Feature, idx: np.ndarray | None) -> None:
        if idx is None:
            idx = np.arange(len(f.layer_rows))
        colors = self._element_colors(f, idx)
        self._writing = True
        try:
            f.layer.set_colors(colors, f.layer_rows[idx])
        finally:
            self._writing = False

    def _paint_buildings(self, keys: np.ndarray) -> None:
        keys = np.asarray(keys, np.int64)
        if not len(keys):
            return
        tr = getattr(self, "_trace", None) if self.enabled else None
        served_trace = None
        if tr is not None:
            served_trace = np.zeros(len(self._bkeys), bool)
            for b in tr.buildings:
                k = self._bkeys.get(str(b))
                if k is not None:
                    served_trace[k] = True
        for li, layer in enumerate(self._blayers):
            sel = keys[self._bkey_layer_a[keys] == li]
            if not len(sel):
                continue
            rows = self._bkey_row_a[sel]
            colors = self._base[id(layer)][rows].copy()
            if self.enabled:
                if served_trace is not None:
                    colors[served_trace[sel]] = TRACE_SERVED
                for net in reversed(LOSS_ORDER):
                    lost = self.lost.get(net)
                    if lost is not None:
                        colors[lost[sel]] = LOSS_COLORS[net]
            self._writing = True
            try:
                layer.set_colors(colors, rows)
            finally:
                self._writing = False

    # -- reporting -------------------------------------------------------------------
    def summary(self) -> dict[str, Any]:
        """Plain data for ``watch``: messages by reason, elements by status, buildings
        and residents without each service."""
        snap = self.store.snapshot()
        accepted = sum(s["accepted"] for s in snap["sources"].values())
        rejected: dict[str, int] = {}
        for s in snap["sources"].values():
            for k, v in s["rejected"].items():
                rejected[k] = rejected.get(k, 0) + v
        without = {}
        for net in self.scene.networks:
            mask = self.lost[net]
            without[net] = {
                "buildings": int(mask.sum()),
                "residents": round(float(self.residents[mask].sum())),
            }
        return {
            "messages": {
                "accepted": accepted,
                "rejected": sum(rejected.values()),
                "rejected_by_reason": dict(sorted(rejected.items())),
            },
            "elements": snap["elements"],
            "elements_by_status": snap["by_status"],
            "elements_by_network": snap["by_network"],
            "without_service": without,
            "availability": {k: round(v, 4) for k, v in self.availability().items()},
            "alarms": self.alarms.counts(),
            "sources": snap["sources"],
        }

    def legend_entries(self) -> list[tuple[str, tuple[int, int, int]]]:
        """(label, RGB) for the on-screen legend while the overlay is on."""
        out: list[tuple[str, tuple[int, int, int]]] = [("ok", STATUS_LEGEND_OK)]
        for name in ("degraded", "fault", "maintenance", "offline"):
            rgb = STATUS_COLORS[name]
            assert rgb is not None
            out.append((name, rgb))
        for net in LOSS_ORDER:
            if net in self.scene.networks:
                out.append((LOSS_LABELS[net], LOSS_COLORS[net]))
        return out
