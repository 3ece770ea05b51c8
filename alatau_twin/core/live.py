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
# Trace colours: cyan towards the sources, green for what the element feeds (magenta
# was the selection's colour, and the traced element is usually the selection).
TRACE_UP = (0, 200, 255)
TRACE_DOWN = (60, 230, 90)
TRACE_SERVED = (160, 235, 170)
# Elements marked out of service for a what-if: a cold grey-blue no status uses.
WHAT_IF_COLOR = (120, 130, 160)
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
    # Of ``seconds``: alarms and the event log (the rest is trace and recolouring).
    alarm_seconds: float = 0.0

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


# True for status codes that cut supply: a lookup table turns a code array into a cut
# mask in one fancy-index (np.isin sorted both arrays on every call).
_CUT_LUT = np.zeros(256, bool)
_CUT_LUT[list(CUTS_SUPPLY)] = True


def _prewarm_scipy() -> None:
    """Import scipy's graph routines in the background (~0.4 s): the first fault must
    not wait for an import, and the viewer's first frame must not either."""
    import sys
    import threading

    if "scipy.sparse.csgraph" in sys.modules:
        return

    def work() -> None:
        import scipy.sparse.csgraph  # noqa: F401

    threading.Thread(target=work, name="prewarm-scipy", daemon=True).start()


def _take_rgb(colors: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``colors[rows]`` for (n, 3) uint8, taking rows as 3-byte items (2-3x faster
    than fancy-indexing 2-D rows, which matters for 100k-building recolours)."""
    items = np.ascontiguousarray(colors, np.uint8).view("V3").ravel()
    return items[rows].view(np.uint8).reshape(len(rows), 3)


class _SupplyIndex:
    """One network's topology as integer arrays, for tracing supply on every batch.

    Elements are numbered nodes first, then links; ``rows`` maps them to store rows.
    Each directed edge (a bidirectional link has two) is (tail, head, link) and edges are
    sorted by tail (CSR), so "what do live sources still reach" is a breadth-first walk
    over arrays: ~1 ms for 5,000 transformers where building a networkx graph per batch
    took ~40 ms and more. Same answer as :meth:`Network.supplied_elements`: a node is live
    when a path of uncut links and nodes joins it to an uncut source; a link is live when
    it is uncut and carries supply from a live node into an uncut one. Built once per
    overlay: the topology of a network does not change during a session.
    """

    def __init__(self, net: Any, store: StatusStore, network: str, bkeys: dict[str, int]):
        g = net.graph
        nodes = [str(n) for n in g.nodes]
        node_of = {n: i for i, n in enumerate(nodes)}
        if g.is_multigraph():
            edges = [(a, b, str(d.get("id", k))) for a, b, k, d in g.edges(keys=True, data=True)]
        else:
            edges = [(a, b, str(d.get("id", f"{a}->{b}"))) for a, b, d in g.edges(data=True)]
        link_of: dict[str, int] = {}
        for _, _, lid in edges:
            link_of.setdefault(lid, len(link_of))
        self.n_nodes, self.n_links = len(nodes), len(link_of)
        tail = np.fromiter((node_of[str(a)] for a, _, _ in edges), np.int64, len(edges))
        head = np.fromiter((node_of[str(b)] for _, b, _ in edges), np.int64, len(edges))
        link = np.fromiter((link_of[lid] for *_, lid in edges), np.int64, len(edges))
        order = np.argsort(tail, kind="stable")
        self.tail, self.head, self.link = tail[order], head[order], link[order]
        self.starts = np.searchsorted(self.tail, np.arange(self.n_nodes + 1))
        self.sources = np.array([node_of[s] for s in net.sources if s in node_of], np.int64)
        self.element_of = {**node_of, **{k: v + self.n_nodes for k, v in link_of.items()}}
        ids = store.networks.get(network, {})
        self.rows = np.array(
            [ids.get(e, -1) for e in [*nodes, *link_of]], np.int64
        )  # store row per element (-1: not registered)
        pe: list[int] = []
        pb: list[int] = []
        for e, bs in net.serves.items():
            ei = self.element_of.get(str(e))
            if ei is None:
                continue
            for b in bs:
                k = bkeys.get(str(b))
                if k is not None:
                    pe.append(ei)
                    pb.append(k)
        self.pair_e = np.asarray(pe, np.int64)
        self.pair_b = np.asarray(pb, np.int64)
        self.served = np.zeros(len(bkeys), bool)
        self.served[self.pair_b] = True
        self.n_served = int(self.served.sum())

    def cut_mask(self, store: StatusStore) -> np.ndarray:
        """Per element: stops supply now (fault, maintenance, offline, or what-if)."""
        ok = self.rows >= 0
        out = np.zeros(len(self.rows), bool)
        r = self.rows[ok]
        out[ok] = _CUT_LUT[store.code[r].astype(np.intp)] | store.out_of_service[r]
        return out

    def mask_of(self, ids: Iterable[str]) -> np.ndarray:
        out = np.zeros(len(self.rows), bool)
        for e in ids:
            i = self.element_of.get(str(e))
            if i is not None:
                out[i] = True
        return out

    def live(self, cut: np.ndarray) -> np.ndarray:
        """Per element: still supplied from a live source with these elements cut.

        A breadth-first walk in C (scipy's csgraph, from a virtual node joined to every
        live source) over the uncut edges: ~0.3 ms whatever the graph's depth. A walk
        by frontiers in numpy cost ~50 us per level, 4 ms for the sample's road network
        (80 levels), on every batch that changed a cut.
        """
        from scipy.sparse import csr_matrix
        from scipy.sparse.csgraph import breadth_first_order

        nn = self.n_nodes
        cut_node, cut_link = cut[:nn], cut[nn:]
        usable = ~cut_link[self.link] & ~cut_node[self.head]
        sources = self.sources[~cut_node[self.sources]]
        walk = usable & ~cut_node[self.tail]
        # Edges are sorted by tail already: build the CSR arrays directly (scipy's
        # COO -> CSR conversion would sort them again); row ``nn`` is the virtual source.
        indptr = np.zeros(nn + 2, np.int64)
        np.cumsum(np.bincount(self.tail[walk], minlength=nn), out=indptr[1 : nn + 1])
        indptr[nn + 1] = indptr[nn] + len(sources)
        indices = np.concatenate([self.head[walk], sources]).astype(np.int32)
        graph = csr_matrix(
            (np.ones(len(indices), np.int8), indices, indptr.astype(np.int32)),
            shape=(nn + 1, nn + 1),
        )
        order = breadth_first_order(graph, nn, directed=True, return_predecessors=False)
        reached = np.zeros(nn + 1, bool)
        reached[order] = True
        reached = reached[:nn]
        link_live = np.zeros(self.n_links, bool)
        carried = usable & reached[self.tail]
        link_live[self.link[carried]] = True
        return np.concatenate([reached, link_live])

    def lost(self, cut: np.ndarray) -> np.ndarray:
        """Per building key: served by this network but by no live element."""
        if not len(self.pair_e):
            return np.zeros(len(self.served), bool)
        if not cut.any():
            return np.zeros(len(self.served), bool)
        live = self.live(cut)
        supplied = np.zeros(len(self.served), bool)
        supplied[self.pair_b[live[self.pair_e]]] = True
        return self.served & ~supplied


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
        self._view_codes: np.ndarray | None = None
        self.trace_element: tuple[str, str] | None = None
        self._features: list[_Feature] = []
        self._base: dict[int, np.ndarray] = {}  # id(layer) -> base colours
        self._writing = False
        self._index_buildings()
        self._index_features()
        self._index_rows()
        self._supply = {
            n: _SupplyIndex(net, self.store, n, self._bkeys) for n, net in scene.networks.items()
        }
        if scene.networks:
            _prewarm_scipy()
        self._trace: Any = None
        self._trace_state = np.zeros(len(self.store), np.int8)  # 1 upstream, 2 downstream
        self._trace_served = np.zeros(len(self._bkeys), bool)
        self._cut: dict[str, np.ndarray] = {}  # network -> cut mask per element
        self.lost: dict[str, np.ndarray] = {}  # network -> bool per building key
        for n in scene.networks:
            self.lost[n] = np.zeros(len(self._bkeys), bool)
        self._recompute_all()

    # -- indexing ------------------------------------------------------------------
    def _index_rows(self) -> None:
        """Network index of every store row (-1: a network the scene does not have)."""
        self._net_names = list(self.scene.networks)
        where = {n: i for i, n in enumerate(self._net_names)}
        self._row_net = np.full(len(self.store), -1, np.int64)
        for name, ids in self.store.networks.items():
            if name in where and ids:
                self._row_net[np.fromiter(ids.values(), np.int64, len(ids))] = where[name]

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
        self._bkey_ids: list[str] = list(keys)

    def _index_features(self) -> None:
        """Network layers (an ``id`` and a ``network`` column) -> store rows."""
        self._features = []
        for layer in self.scene.layers:
            if isinstance(layer, BuildingLayer) or "id" not in layer.table:
                continue
            ids = layer.table["id"].tolist()
            if "network" in layer.table:
                nets = layer.table["network"].tolist()
            else:
                # A layer without a network column (the sample's Roads) still belongs
                # to a network when its ids are that network's elements: road closures
                # then show on the road itself.
                net = self._network_of_ids(ids)
                if net is None:
                    continue
                nets = [net] * len(ids)
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

    def _network_of_ids(self, ids: list[Any]) -> str | None:
        """The network whose element ids cover most of ``ids`` (at least half)."""
        best, best_n = None, 0
        for name, known in self.store.networks.items():
            n = sum(1 for fid in ids if str(fid) in known)
            if n > best_n:
                best, best_n = name, n
        return best if ids and best_n * 2 >= len(ids) else None

    def close(self) -> None:
        """Give the layers their own colours back and disconnect (the scene outlives
        this overlay: another window, or the next overlay, starts from a clean model)."""
        if self.enabled and self._features is not None:
            self.enabled = False
            self.repaint()
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
        text = self.store.text
        tr = result.transitions
        # Networks with a status change; _retrace compares cut masks and returns at
        # once when nothing started or stopped cutting supply.
        cut_changed: set[str] = set()
        if len(result.changed):
            if len(self._row_net) != len(self.store):
                self._index_rows()
            nets = np.unique(self._row_net[result.changed])
            cut_changed = {self._net_names[i] for i in nets.tolist() if i >= 0}
        t_alarm = _time.perf_counter()
        up.alarms_changed = self.alarms.apply((*keys(r), o, c, w, text[r]) for r, o, c, w in tr)
        up.alarm_seconds = _time.perf_counter() - t_alarm
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
            # A live report is what is true on its day: reports dated after it were
            # projections (the sample simulates its as-built history to 2035) and
            # would cap it ("never ahead of a later report"), so they are dropped.
            keep = np.asarray(dates) < day
            sched.reports[m.feature_id] = (
                np.r_[np.asarray(dates)[keep], day].astype("datetime64[D]"),
                np.r_[np.asarray(pct, float)[keep], m.percent],
            )
        sched.invalidate()
        if self.scene.date is not None:
            # Same cursor, new reports: set_date would skip an unchanged day, so the
            # buildings are regrown explicitly (in place, like any cursor move).
            from alatau_twin.core.construction import apply_construction

            apply_construction(self.scene, force=True)
        return len(msgs)

    # -- supply ----------------------------------------------------------------------
    def _cut_mask(
        self, network: str, codes: np.ndarray | None = None, what_if: bool = True
    ) -> np.ndarray:
        """Per element of ``network``: cuts supply under ``codes`` (default: as shown),
        counting what-if marks unless ``what_if`` is False."""
        idx = self._supply[network]
        codes = self.codes_now() if codes is None else codes
        ok = idx.rows >= 0
        out = np.zeros(len(idx.rows), bool)
        r = idx.rows[ok]
        cut = _CUT_LUT[codes[r].astype(np.intp)]
        out[ok] = (cut | self.store.out_of_service[r]) if what_if else cut
        return out

    def _retrace(self, network: str) -> int:
        """Recompute which buildings lost ``network``'s service; recolour the changes."""
        cut = self._cut_mask(network)
        old = self._cut.get(network)
        if old is not None and np.array_equal(cut, old) and network in self.lost:
            return 0
        self._cut[network] = cut
        new = self._supply[network].lost(cut)
        changed = np.flatnonzero(new != self.lost[network])
        self.lost[network] = new
        if len(changed) and self.enabled:
            self._paint_buildings(changed)
        return len(changed)

    def _lost_mask(self, network: str, cut: Iterable[str] | np.ndarray) -> np.ndarray:
        """Buildings without ``network``'s service with ``cut`` (ids or a mask) cut."""
        idx = self._supply[network]
        mask = cut if isinstance(cut, np.ndarray) else idx.mask_of(cut)
        return idx.lost(mask)

    def _recompute_all(self) -> None:
        for net in self.scene.networks:
            self._cut[net] = self._cut_mask(net)
            self.lost[net] = self._supply[net].lost(self._cut[net])
        if self.enabled:
            self.repaint()

    def without_supply(self, network: str) -> list[str]:
        """Building ids without ``network``'s service now."""
        keys = self._bkey_ids
        return [keys[i] for i in np.flatnonzero(self.lost.get(network, []))]

    def availability(self) -> dict[str, float]:
        """Share of served buildings that have supply, per network (1.0 = all)."""
        out = {}
        for net, idx in self._supply.items():
            n = idx.n_served
            out[net] = 1.0 if n == 0 else 1.0 - float(np.count_nonzero(self.lost[net])) / n
        return out

    def served(self) -> dict[str, int]:
        """Buildings each network serves (the denominators of :meth:`availability`)."""
        return {net: idx.n_served for net, idx in self._supply.items()}

    # -- what-if and trace -----------------------------------------------------------
    def set_out_of_service(self, network: str, element_ids: Iterable[str], on: bool = True) -> int:
        """Mark elements out of service (what-if) or back; returns buildings changed."""
        rows = [self.store.row(network, eid) for eid in element_ids]
        self.store.out_of_service[rows] = on
        n = self._retrace(network)
        if self.enabled:
            self._paint_elements(np.asarray(rows, np.int64))
        self.what_if_changed.emit()
        return n

    def clear_what_if(self) -> None:
        marked = np.flatnonzero(self.store.out_of_service)
        nets = {self.store.key(int(r))[0] for r in marked}
        self.store.out_of_service[:] = False
        for net in sorted(nets):
            self._retrace(net)
        if self.enabled and len(marked):
            self._paint_elements(marked)
        self.what_if_changed.emit()

    def what_if_ids(self) -> list[tuple[str, str]]:
        return [self.store.key(int(r)) for r in np.flatnonzero(self.store.out_of_service)]

    def impact(self, network: str, element_ids: Iterable[str]) -> dict[str, Any]:
        """Buildings and residents that would lose supply if these elements went out,
        on top of what is already out now (does not change any state)."""
        ids = [str(e) for e in element_ids]
        idx = self._supply[network]
        cut_now = self._cut_mask(network, self.store.code)
        before = idx.lost(cut_now)
        after = idx.lost(cut_now | idx.mask_of(ids))
        extra = after & ~before
        keys = self._bkey_ids
        return {
            "network": network,
            "elements": sorted(ids),
            "buildings": int(extra.sum()),
            "residents": round(float(self.residents[extra].sum())),
            "building_ids": [keys[i] for i in np.flatnonzero(extra)],
        }

    def what_if_impact(self) -> dict[str, Any]:
        """Buildings and residents without supply *because of* the what-if marks (what
        is out anyway, by faults, is not counted), per network and in total."""
        per: dict[str, dict[str, int]] = {}
        total = np.zeros(len(self._bkeys), bool)
        for net, idx in self._supply.items():
            marked = idx.rows >= 0
            marked[marked] = self.store.out_of_service[idx.rows[marked]]
            if not marked.any():
                continue
            real = self._cut_mask(net, self.store.code, what_if=False)
            extra = idx.lost(real | marked) & ~idx.lost(real)
            per[net] = {
                "buildings": int(extra.sum()),
                "residents": round(float(self.residents[extra].sum())),
            }
            total |= extra
        return {
            "buildings": int(total.sum()),
            "residents": round(float(self.residents[total].sum())),
            "by_network": per,
        }

    def services_of(self, building_id: str) -> dict[str, bool]:
        """Per network serving this building: True if it has supply now (as shown)."""
        k = self._bkeys.get(str(building_id))
        if k is None:
            return {}
        return {
            net: not bool(self.lost[net][k]) for net, idx in self._supply.items() if idx.served[k]
        }

    def set_trace(self, network: str | None, element_id: str | None = None) -> Any:
        """Highlight upstream and downstream of an element (None clears). Returns the
        network's Trace object (or None).

        The trace becomes two masks (per store row: upstream/downstream; per building:
        served downstream) once here, so painting stays vectorised however long the
        trace stays on while messages arrive.
        """
        old = self.trace_element
        self.trace_element = None if network is None else (network, str(element_id))
        self._trace = None
        self._trace_state[:] = 0
        self._trace_served[:] = False
        if self.trace_element is not None:
            net = self.scene.networks[network]  # type: ignore[index]
            tr = self._trace = net.trace(str(element_id))
            ids = self.store.networks.get(str(network), {})
            for state, group in (
                (1, (*tr.upstream_nodes, *tr.upstream_links)),
                (2, (*tr.downstream_nodes, *tr.downstream_links)),
            ):
                rows = [ids[e] for e in group if e in ids]
                self._trace_state[rows] = state
            bk = self._bkeys
            self._trace_served[[bk[b] for b in map(str, tr.buildings) if b in bk]] = True
        if old != self.trace_element and self.enabled:
            self.repaint()
        self.trace_changed.emit()
        return self._trace

    # -- history view (the time cursor) ------------------------------------------------
    def set_view_time(self, t: float | None) -> None:
        """Show the status history at epoch ``t`` (None: back to live).

        Element colours *and* lost service follow the cursor: the trace is recomputed
        from the statuses as they were, so scrubbing back shows who was dark then.
        """
        self.view_time = t
        self._view_codes = None
        codes = self.codes_now()
        for net in self.scene.networks:
            self._cut[net] = self._cut_mask(net, codes)
            self.lost[net] = self._supply[net].lost(self._cut[net])
        if self.enabled:
            self.repaint()

    def codes_now(self) -> np.ndarray:
        """Status code per store row as shown: live, or as of the time cursor."""
        if self.view_time is None:
            return self.store.code
        if self._view_codes is None or len(self._view_codes) != len(self.store):
            self._view_codes = self.store.codes_at(self.view_time)
        return self._view_codes

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
        rows = f.store_rows[idx]
        codes = self.codes_now()[rows]
        if self._trace is not None:
            state = self._trace_state[rows]
            base[state == 1] = TRACE_UP
            base[state == 2] = TRACE_DOWN
        for code, name in enumerate(STATUSES):
            rgb = STATUS_COLORS[name]
            if rgb is None or code in (OK, UNKNOWN):
                continue
            base[codes == code] = rgb
        base[self.store.out_of_service[rows]] = WHAT_IF_COLOR
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
        served_trace = self._trace_served if self._trace is not None else None
        for li, layer in enumerate(self._blayers):
            sel = keys[self._bkey_layer_a[keys] == li]
            if not len(sel):
                continue
            # A city-wide change (a blackout and its recovery) repaints the whole
            # layer from its base in one pass: gathering most rows one by one costs
            # more than copying all of them, here and in the render adapter.
            whole = len(sel) > 0.2 * layer.n_features
            if whole:
                sel, rows, identity = self._layer_keys(li)
                colors = self._base[id(layer)].copy()
            else:
                rows = self._bkey_row_a[sel]
                colors = _take_rgb(self._base[id(layer)], rows)
                identity = True
            if self.enabled:
                paint = [(served_trace, TRACE_SERVED)] if served_trace is not None else []
                paint += [(self.lost.get(n), LOSS_COLORS[n]) for n in reversed(LOSS_ORDER)]
                for mask, rgb in paint:
                    if mask is None or not mask.any():
                        continue
                    # One building layer holding every key in order: the mask is the rows.
                    m = mask if (whole and identity and len(mask) == len(sel)) else mask[sel]
                    colors[m if identity else rows[m]] = rgb
            self._writing = True
            try:
                layer.set_colors(colors, None if whole else rows)
            finally:
                self._writing = False

    def _layer_keys(self, li: int) -> tuple[np.ndarray, np.ndarray, bool]:
        """(keys, rows, rows are 0..n-1) of one building layer, in key order (cached)."""
        cache = self.__dict__.setdefault("_layer_keys_cache", {})
        if li not in cache:
            keys = np.flatnonzero(self._bkey_layer_a == li)
            rows = self._bkey_row_a[keys]
            n = self._blayers[li].n_features
            identity = len(rows) == n and bool(np.array_equal(rows, np.arange(n)))
            cache[li] = (keys, rows, identity)
        return cache[li]

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
        if self.store.out_of_service.any():
            out.append(("what-if outage", WHAT_IF_COLOR))  # short: the legend box is narrow
        if self._trace is not None:
            out += [("trace: upstream", TRACE_UP), ("trace: downstream", TRACE_DOWN)]
        return out
