"""A seeded, deterministic simulator of the city's networks (io: a feed source).

:class:`Simulator` is pure: no threads, no clock. It is a discrete-event simulation
over the scene's networks and answers :meth:`Simulator.messages_between` with the raw
messages a SCADA gateway would publish in that interval. Random draws happen only
inside event handlers, in event order, from one generator per network, so

* the same seed, start and networks give the same messages, byte for byte;
* ``messages_between(a, b) + messages_between(b, c) == messages_between(a, c)``: a
  threaded source that ticks ten times a second gets what a test gets in one call;
* adding a network (roads) does not reshuffle the others' events.

The model (rates are for a *stressed network in time-lapse*: the shapes are
plausible, the frequencies are raised so that a demo shows something happening; see
``docs/FEEDS.md`` and ``fault_scale``):

* **snapshot**: at the start, one report of every element (all networks), so the
  picture is complete at once (about 9,500 messages on the sample, roads included).
* **telemetry**: a round robin over every power and water element (a seeded order, so
  consecutive reports spread over the city) at ``rate`` reports per simulated second.
  Power: load in % of rating following a daily curve (night trough, morning and
  evening peaks, Asia/Almaty local time), each element with its own peak; above 90 %
  it reports ``degraded`` (back to ``ok`` under 87 %). Sources report MW (the solar
  park follows the sun), the battery its state of charge. Water: pressure in bar at
  junctions and reservoirs, falling with the daily demand curve (below 2.5 bar:
  ``degraded``), flows on mains and plants. Elements cut off from every source (by a
  fault upstream) send nothing, like a de-energised RTU.
* **faults**: a Poisson process per element with a rate per element type; a fault
  lasts a log-normal repair time around a median per type, then the element reports
  ``ok`` (or ``degraded``) with "repaired after ...".
* **planned maintenance**: each local midnight, a Poisson number of windows per network
  (1-4 h, starting 08:00-16:00 local) on eligible elements, announced as
  ``maintenance`` with the window in the message and ended with ``ok``.
* **roads** (when the scene has a ``roads`` network): occasional closures (``offline``
  with the reason) and reopenings.
* **construction** (when a schedule is given): every ``progress_interval`` simulated
  seconds a progress report for one building under construction on that date, with
  the schedule's as-built percent.

:class:`SimulatorSource` runs a simulator in a thread in real time, ``speedup`` times
faster than the wall clock. Timestamps in the payloads are always *wall-clock* times
(the moment each message is due), so the store's "future timestamp" check passes and
a recording replays at the pace it was made; the model's own clock (time of day of
the load curve, fault and repair durations) runs ``speedup`` times faster from
``start``.
"""

from __future__ import annotations

import copy
import datetime as dt
import heapq
import math
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from alatau_twin.core.status import (
    DEGRADED,
    FAULT,
    MAINTENANCE,
    OFFLINE,
    OK,
    STATUSES,
    RawMessage,
    StatusMessage,
    encode_status,
)
from alatau_twin.io.feeds.base import FeedSource
from alatau_twin.io.feeds.codec import encode_progress

HOUR = 3600.0
DAY = 86400.0
ALMATY_UTC_OFFSET_H = 5.0  # Kazakhstan is UTC+5 everywhere since 2024-03-01

# Daily profiles, one value per local hour (peak = 1.0), interpolated linearly.
# Electricity: night trough, a morning rise, an evening peak around 19-20 h.
POWER_CURVE = np.array(
    [0.52, 0.47, 0.44, 0.43, 0.44, 0.50, 0.62, 0.76, 0.83, 0.82, 0.80, 0.79,
     0.80, 0.79, 0.78, 0.79, 0.83, 0.90, 0.97, 1.00, 0.98, 0.91, 0.78, 0.63]
)  # fmt: skip
# Water demand: sharp morning and evening peaks, low at night.
WATER_CURVE = np.array(
    [0.30, 0.25, 0.22, 0.22, 0.26, 0.42, 0.75, 0.98, 1.00, 0.85, 0.72, 0.68,
     0.70, 0.66, 0.62, 0.64, 0.70, 0.80, 0.92, 0.97, 0.88, 0.70, 0.52, 0.38]
)  # fmt: skip

POWER_DEGRADED_ON, POWER_DEGRADED_OFF = 90.0, 87.0  # % load, with hysteresis
WATER_DEGRADED_ON, WATER_DEGRADED_OFF = 2.5, 2.7  # bar, with hysteresis


@dataclass(frozen=True)
class FaultModel:
    """Fault behaviour of an element type: mean time between faults (simulated
    hours), median repair time (minutes) and what the operator's screen would say."""

    mtbf_h: float
    repair_min: float
    causes: tuple[str, ...]


# Per element type (the ``type`` attribute of nodes and links). Missing types: no faults.
FAULTS: dict[str, FaultModel] = {
    # power
    "transformer": FaultModel(40, 90, ("transformer trip", "overload trip", "oil temperature")),
    "10 kV feeder": FaultModel(50, 120, ("cable fault", "earth fault", "breaker trip")),
    "110 kV line": FaultModel(1500, 60, ("line trip, auto-reclose failed",)),
    "220 kV line": FaultModel(2000, 60, ("line trip, auto-reclose failed",)),
    "substation": FaultModel(3000, 45, ("busbar protection trip",)),
    "solar": FaultModel(800, 120, ("inverter fault",)),
    "battery": FaultModel(800, 120, ("battery management fault",)),
    "hydro": FaultModel(5000, 30, ("generator unit trip",)),
    "supply": FaultModel(5000, 30, ("grid supply interruption",)),
    "service": FaultModel(2000, 60, ("connection fault",)),
    # water
    "district main": FaultModel(150, 240, ("main burst", "leak detected")),
    "village main": FaultModel(150, 240, ("main burst", "leak detected")),
    "supply main": FaultModel(3000, 360, ("main burst",)),
    "transmission main": FaultModel(3000, 360, ("main burst",)),
    "raw water main": FaultModel(3000, 360, ("main burst",)),
    "wellfield main": FaultModel(2000, 240, ("main burst",)),
    "connection": FaultModel(2000, 240, ("leak detected",)),
    "booster station": FaultModel(200, 180, ("pump failure", "pump motor trip")),
    "intake": FaultModel(2000, 120, ("intake screen blocked",)),
    "treatment plant": FaultModel(2000, 120, ("treatment process alarm",)),
    "wellfield": FaultModel(1500, 120, ("well pump failure",)),
    "valve chamber": FaultModel(2000, 90, ("valve actuator fault",)),
}
GENERIC_FAULT = FaultModel(500, 120, ("fault",))  # elements of networks we do not know
ROAD_CLOSURE = FaultModel(0, 60, ("road works", "traffic accident", "public event"))
ROAD_CLOSURES_PER_HOUR = 3.0  # across the whole roads network
# Planned maintenance windows per network per day, per element of the network.
MAINTENANCE_PER_ELEMENT_DAY = {"power": 0.02, "water": 0.025}
MAINTENANCE_TYPES = {
    "power": {"transformer", "10 kV feeder", "substation", "110 kV line", "solar", "battery"},
    "water": {"district main", "village main", "booster station", "valve chamber", "junction"},
}

# Telemetry kinds: (unit, peak range drawn per element) per element type.
_LOAD = "load"
_PRESSURE = "pressure"
POWER_LOAD_PEAK = {
    "transformer": (68.0, 97.0),
    "10 kV feeder": (60.0, 95.0),
    "substation": (55.0, 85.0),
    "110 kV line": (40.0, 80.0),
    "220 kV line": (40.0, 75.0),
}
WATER_FLOW_LPS = {
    "raw water main": 1000.0,
    "transmission main": 900.0,
    "supply main": 400.0,
    "connection": 300.0,
    "wellfield main": 200.0,
    "district main": 60.0,
    "village main": 25.0,
}

# Event kinds (heap entries: (time, seq, kind, element index, extra)).
_SNAPSHOT, _FAULT, _REPAIR, _MAINT_START, _MAINT_END, _DAY, _PROGRESS, _CLOSE, _REOPEN = range(9)


def _curve(profile: np.ndarray, hour: float) -> float:
    """Linear interpolation in a 24-value daily profile at a fractional local hour."""
    h = hour % 24.0
    i = int(h)
    f = h - i
    return float(profile[i] * (1.0 - f) + profile[(i + 1) % 24] * f)


def _hhmm(t: float, offset_h: float) -> str:
    d = dt.datetime.fromtimestamp(t + offset_h * HOUR, dt.UTC)
    return d.strftime("%H:%M")


def _duration_text(seconds: float) -> str:
    minutes = round(seconds / 60.0)
    h, m = divmod(minutes, 60)
    return f"{h} h {m:02d} min" if h else f"{m} min"


@dataclass
class _Element:
    network: str
    eid: str
    type: str
    telemetry: str  # "load", "pressure", "flow", "mw", "soc", "" (status only)
    p1: float = 0.0  # peak load %, base pressure, capacity...
    p2: float = 0.0  # pressure drop at peak demand...
    fault: FaultModel | None = None
    state: int = OK
    cause: str = ""
    until: float = math.nan  # end of the current fault/maintenance/closure
    is_link: bool = False


class Simulator:
    """Deterministic discrete-event simulation of the networks' status messages.

    ``start`` is the simulated epoch (seconds, UTC) the clock begins at; ``rate`` the
    telemetry reports per *simulated* second; ``fault_scale`` multiplies every fault
    and closure rate (0 switches faults off; about 0.01 gives real-world rates).
    ``snapshot`` first reports every element once (roads included), so a viewer has a
    full picture at once instead of "unknown" until the round robin comes by.
    ``utc_offset_h`` places the daily curves in local time (Alatau: UTC+5).
    """

    def __init__(
        self,
        networks: Mapping[str, Any],
        *,
        seed: int = 0,
        start: float | None = None,
        schedule: Any = None,
        rate: float = 50.0,
        fault_scale: float = 1.0,
        maintenance: bool = True,
        snapshot: bool = True,
        progress_interval: float = 300.0,
        utc_offset_h: float = ALMATY_UTC_OFFSET_H,
        source: str = "sim",
    ) -> None:
        self.seed = int(seed)
        self.start = float(time.time() if start is None else start)
        self.now = self.start
        self.rate = max(0.0, float(rate))
        self.fault_scale = max(0.0, float(fault_scale))
        self.maintenance = maintenance
        self.snapshot = snapshot
        self.schedule = schedule
        self.progress_interval = float(progress_interval)
        self.offset_h = float(utc_offset_h)
        self.source = source
        self.networks = dict(networks)
        self.rngs: dict[str, random.Random] = {
            name: random.Random(f"alatau-sim:{self.seed}:{name}") for name in self.networks
        }
        self._rng_build = random.Random(f"alatau-sim:{self.seed}:construction")
        self.elements: list[_Element] = []
        self._by_net: dict[str, list[int]] = {}
        self._build_elements()
        # Telemetry round robin over power/water (and unknown networks), seeded order.
        order = [i for i, e in enumerate(self.elements) if e.network != "roads"]
        random.Random(f"alatau-sim:{self.seed}:order").shuffle(order)
        self._rr = order
        self._rr_k = 0  # index of the next telemetry report (report k is at start + k/rate)
        # Supply trace per network: recomputed lazily after a cut changes.
        self._supplied: dict[str, set[str] | None] = {n: None for n in self.networks}
        self._heap: list[tuple[float, int, int, int, float]] = []
        self._seq = 0
        self._progress_day: tuple[int, list[int], np.ndarray] | None = None
        self.emitted = 0
        self._init_events()

    # -- set-up --------------------------------------------------------------------
    def _build_elements(self) -> None:
        for name, net in self.networks.items():
            rng = self.rngs[name]
            idx: list[int] = []
            g = net.graph
            items: list[tuple[str, str, bool]] = [
                (str(n), str(d.get("type", "node")), False) for n, d in g.nodes(data=True)
            ]
            # A bidirectional link is two directed edges with one id: one element.
            link_type: dict[str, str] = {}
            for _, _, d in g.edges(data=True):
                link_type.setdefault(str(d["id"]), str(d.get("type", "link")))
            items += [(lid, t, True) for lid, t in link_type.items()]
            for eid, etype, is_link in items:
                el = _Element(name, eid, etype, "", is_link=is_link)
                if name == "power":
                    self._power_params(el, rng)
                elif name == "water":
                    self._water_params(el, rng)
                elif name == "roads":
                    el.fault = None  # closures are drawn network-wide
                else:
                    el.fault = GENERIC_FAULT
                idx.append(len(self.elements))
                self.elements.append(el)
            self._by_net[name] = idx

    @staticmethod
    def _power_params(el: _Element, rng: random.Random) -> None:
        el.fault = FAULTS.get(el.type)
        if el.type in POWER_LOAD_PEAK:
            lo, hi = POWER_LOAD_PEAK[el.type]
            el.telemetry, el.p1 = _LOAD, rng.uniform(lo, hi)
        elif el.type in ("supply", "hydro"):
            # Installed or contracted capacity in MW (Kapshagay hydro: 364 MW, a fact).
            el.telemetry, el.p1 = "mw", 364.0 if el.type == "hydro" else rng.uniform(350, 500)
        elif el.type == "solar":
            el.telemetry, el.p1 = "solar", rng.uniform(80, 120)
        elif el.type == "battery":
            el.telemetry, el.p1 = "soc", rng.uniform(0.85, 1.0)

    @staticmethod
    def _water_params(el: _Element, rng: random.Random) -> None:
        el.fault = FAULTS.get(el.type)
        if el.type == "junction":
            el.telemetry = _PRESSURE
            el.p1, el.p2 = rng.uniform(4.2, 5.2), rng.uniform(1.0, 2.6)
        elif el.type == "reservoir":
            el.telemetry = _PRESSURE
            el.p1, el.p2 = rng.uniform(3.0, 3.8), rng.uniform(0.2, 0.5)
        elif el.type == "booster station":
            el.telemetry = _PRESSURE
            el.p1, el.p2 = rng.uniform(6.0, 6.8), rng.uniform(0.3, 0.7)
        elif el.type in ("intake", "treatment plant", "wellfield"):
            cap = {"intake": 9000.0, "treatment plant": 8500.0, "wellfield": 1200.0}[el.type]
            el.telemetry, el.p1 = "flow_m3h", cap * rng.uniform(0.9, 1.1)
        elif el.type in WATER_FLOW_LPS:
            el.telemetry, el.p1 = "flow", WATER_FLOW_LPS[el.type] * rng.uniform(0.7, 1.3)

    def _push(self, t: float, kind: int, idx: int = -1, extra: float = 0.0) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (t, self._seq, kind, idx, extra))

    def _init_events(self) -> None:
        for i, el in enumerate(self.elements):
            if el.fault is not None and el.fault.mtbf_h > 0 and self.fault_scale > 0:
                self._push(self.now + self._next_fault_in(el), _FAULT, i)
        if "roads" in self.networks and self.fault_scale > 0:
            self._push(self.now + self._next_closure_in(), _CLOSE)
        if self.snapshot:
            self._push(self.now, _SNAPSHOT)
        self._push(self.now, _DAY)
        if self.schedule is not None and len(self.schedule) and self.progress_interval > 0:
            self._push(self.now + self.progress_interval, _PROGRESS)

    def _next_fault_in(self, el: _Element) -> float:
        assert el.fault is not None
        lam = self.fault_scale / (el.fault.mtbf_h * HOUR)
        return self.rngs[el.network].expovariate(lam)

    def _next_closure_in(self) -> float:
        return self.rngs["roads"].expovariate(self.fault_scale * ROAD_CLOSURES_PER_HOUR / HOUR)

    def _repair_time(self, el: _Element, model: FaultModel) -> float:
        median = model.repair_min * 60.0
        t = median * math.exp(self.rngs[el.network].gauss(0.0, 0.5))
        return min(max(t, median / 4.0), median * 4.0)

    # -- the clock -----------------------------------------------------------------
    def local_hour(self, t: float) -> float:
        return ((t / HOUR) + self.offset_h) % 24.0

    def messages_between(
        self, t0: float, t1: float, stamp: Callable[[float], float] | None = None
    ) -> list[RawMessage]:
        """Messages due in simulated time ``[t0, t1)``, in time order.

        Calls must move forward: ``t0`` may not be before the end of the previous call
        (a gap is simulated silently). ``stamp`` maps a simulated time to the time
        written in the payload and ``received`` (default: the simulated time itself).
        """
        if t0 < self.now - 1e-9:
            raise ValueError(f"simulator is at {self.now}; cannot go back to {t0}")
        out: list[RawMessage] = []
        if t0 > self.now:
            self._advance(t0, None, stamp)
        self._advance(t1, out, stamp)
        self.emitted += len(out)
        return out

    def _advance(
        self, t1: float, out: list[RawMessage] | None, stamp: Callable[[float], float] | None
    ) -> None:
        heap = self._heap
        n_rr = len(self._rr)
        while True:
            t_rep = self.start + self._rr_k / self.rate if self.rate > 0 and n_rr else math.inf
            t_evt = heap[0][0] if heap else math.inf
            if min(t_rep, t_evt) >= t1:
                break
            if t_evt <= t_rep:
                t, _, kind, idx, extra = heapq.heappop(heap)
                self.now = t
                self._handle(t, kind, idx, extra, out, stamp)
            else:
                self.now = t_rep
                idx = self._rr[self._rr_k % n_rr]
                self._rr_k += 1
                self._report(t_rep, idx, out, stamp)
        self.now = max(self.now, t1)

    # -- events --------------------------------------------------------------------
    def _handle(
        self,
        t: float,
        kind: int,
        idx: int,
        extra: float,
        out: list[RawMessage] | None,
        stamp: Callable[[float], float] | None,
    ) -> None:
        if kind == _SNAPSHOT:
            for i in range(len(self.elements)):
                self._report(t, i, out, stamp)
            return
        if kind == _DAY:
            self._plan_day(t)
            return
        if kind == _PROGRESS:
            self._progress(t, out, stamp)
            self._push(t + self.progress_interval, _PROGRESS)
            return
        if kind == _CLOSE:
            self._close_road(t, out, stamp)
            self._push(t + self._next_closure_in(), _CLOSE)
            return
        el = self.elements[idx]
        if kind == _FAULT:
            assert el.fault is not None
            if el.state in (OK, DEGRADED):
                el.state, el.cause = FAULT, self.rngs[el.network].choice(el.fault.causes)
                repair = self._repair_time(el, el.fault)
                el.until = t + repair
                self._cut_changed(el)
                self._emit(out, stamp, el, t, FAULT, math.nan, "", el.cause)
                self._push(t + repair, _REPAIR, idx, t)
            else:  # already out of service: this fault does not happen
                self._push(t + self._next_fault_in(el), _FAULT, idx)
        elif kind == _REPAIR:
            if el.state == FAULT:
                el.state, el.cause, el.until = OK, "", math.nan
                self._cut_changed(el)
                value, unit, status, why = self._reading(el, t)
                text = f"repaired after {_duration_text(t - extra)}" + (f"; {why}" if why else "")
                self._emit(out, stamp, el, t, status, value, unit, text)
            assert el.fault is not None
            self._push(t + self._next_fault_in(el), _FAULT, idx)
        elif kind == _MAINT_START:
            if el.state in (OK, DEGRADED):
                el.state, el.until = MAINTENANCE, extra
                el.cause = f"planned maintenance {_hhmm(t, self.offset_h)}-" + _hhmm(
                    extra, self.offset_h
                )
                self._cut_changed(el)
                self._emit(out, stamp, el, t, MAINTENANCE, math.nan, "", el.cause)
                self._push(extra, _MAINT_END, idx)
        elif kind == _MAINT_END:
            if el.state == MAINTENANCE:
                el.state, el.cause, el.until = OK, "", math.nan
                self._cut_changed(el)
                value, unit, status, why = self._reading(el, t)
                text = "maintenance complete" + (f"; {why}" if why else "")
                self._emit(out, stamp, el, t, status, value, unit, text)
        elif kind == _REOPEN:
            if el.state == OFFLINE:
                el.state, el.cause, el.until = OK, "", math.nan
                self._emit(out, stamp, el, t, OK, math.nan, "", "reopened")

    def _plan_day(self, t: float) -> None:
        """At local midnight (and at start): plan today's maintenance windows."""
        local = t + self.offset_h * HOUR
        day_start = math.floor(local / DAY) * DAY - self.offset_h * HOUR
        if self.maintenance and self.fault_scale > 0:
            for name, per in MAINTENANCE_PER_ELEMENT_DAY.items():
                if name not in self.networks:
                    continue
                rng = self.rngs[name]
                types = MAINTENANCE_TYPES[name]
                eligible = [i for i in self._by_net[name] if self.elements[i].type in types]
                if not eligible:
                    continue
                n = _poisson(rng, per * len(self._by_net[name]))
                for _ in range(n):
                    idx = rng.choice(eligible)
                    begin = day_start + HOUR * (8 + 0.25 * rng.randrange(32))  # 08:00-15:45
                    end = begin + HOUR * rng.choice((1.0, 1.5, 2.0, 3.0, 4.0))
                    if begin >= t:
                        self._push(begin, _MAINT_START, idx, end)
        self._push(day_start + DAY, _DAY)

    def _close_road(
        self, t: float, out: list[RawMessage] | None, stamp: Callable[[float], float] | None
    ) -> None:
        rng = self.rngs["roads"]
        links = [
            i
            for i in self._by_net["roads"]
            if self.elements[i].is_link and self.elements[i].state == OK
        ]
        if not links:
            return
        idx = rng.choice(links)
        el = self.elements[idx]
        el.state, el.cause = OFFLINE, "closed: " + rng.choice(ROAD_CLOSURE.causes)
        duration = self._repair_time(el, ROAD_CLOSURE)
        el.until = t + duration
        self._emit(out, stamp, el, t, OFFLINE, math.nan, "", el.cause)
        self._push(t + duration, _REOPEN, idx)

    def _progress(
        self, t: float, out: list[RawMessage] | None, stamp: Callable[[float], float] | None
    ) -> None:
        sched = self.schedule
        day = math.floor((t + self.offset_h * HOUR) / DAY)
        if self._progress_day is None or self._progress_day[0] != day:
            date = np.datetime64(day, "D")
            frac = np.asarray(sched.actual_progress(date))
            rows = np.flatnonzero((frac > 0.0) & (frac < 1.0)).tolist()
            self._progress_day = (day, rows, frac)
        _, rows, frac = self._progress_day
        if not rows:
            return
        row = self._rng_build.choice(rows)
        if out is None:
            return
        fid = str(sched.feature_ids[row])
        when = stamp(t) if stamp else t
        topic, payload = encode_progress(fid, round(float(frac[row]) * 100.0, 1), when)
        out.append(RawMessage(topic, payload, when, self.source))

    # -- telemetry -----------------------------------------------------------------
    def _cut_changed(self, el: _Element) -> None:
        self._supplied[el.network] = None

    def _is_supplied(self, el: _Element) -> bool:
        net = self.networks[el.network]
        if not getattr(net, "sources", None):
            return True
        live = self._supplied.get(el.network)
        if live is None:
            cut = [
                e.eid
                for e in (self.elements[i] for i in self._by_net[el.network])
                if e.state in (FAULT, MAINTENANCE, OFFLINE)
            ]
            live = self._supplied[el.network] = set(net.supplied_elements(cut))
        return el.eid in live

    def _reading(self, el: _Element, t: float) -> tuple[float, str, int, str]:
        """(value, unit, status, message) the element would report now when in service."""
        rng = self.rngs[el.network]
        hour = self.local_hour(t)
        status = OK
        text = ""
        kind = el.telemetry
        if kind == _LOAD:
            value = el.p1 * _curve(POWER_CURVE, hour) * (1.0 + rng.gauss(0.0, 0.02))
            limit = POWER_DEGRADED_OFF if el.state == DEGRADED else POWER_DEGRADED_ON
            if value > limit:
                status, text = DEGRADED, f"load {value:.0f} % above {POWER_DEGRADED_ON:.0f} %"
            return value, "%", status, text
        if kind == _PRESSURE:
            value = el.p1 - el.p2 * _curve(WATER_CURVE, hour) + rng.gauss(0.0, 0.05)
            limit = WATER_DEGRADED_OFF if el.state == DEGRADED else WATER_DEGRADED_ON
            if value < limit:
                status = DEGRADED
                text = f"pressure {value:.1f} bar below {WATER_DEGRADED_ON:.1f} bar"
            return max(value, 0.0), "bar", status, text
        if kind == "flow":
            value = el.p1 * _curve(WATER_CURVE, hour) * (1.0 + rng.gauss(0.0, 0.03))
            return max(value, 0.0), "L/s", status, text
        if kind == "flow_m3h":
            value = el.p1 * (0.55 + 0.45 * _curve(WATER_CURVE, hour)) * (1 + rng.gauss(0, 0.02))
            return value, "m3/h", status, text
        if kind == "mw":
            value = el.p1 * (0.45 + 0.5 * _curve(POWER_CURVE, hour)) * (1 + rng.gauss(0, 0.02))
            return min(value, el.p1), "MW", status, text
        if kind == "solar":
            sun = math.sin(math.pi * (hour - 6.5) / 12.5) if 6.5 < hour < 19.0 else 0.0
            value = el.p1 * max(sun, 0.0) ** 1.2 * rng.uniform(0.75, 1.0)
            return value, "MW", status, text
        if kind == "soc":
            # Charges from the solar park by day, discharges into the evening peak.
            value = el.p1 * (50.0 + 40.0 * math.sin(2 * math.pi * (hour - 10.0) / 24.0))
            return value, "%", status, text
        return math.nan, "", status, text

    def _report(
        self,
        t: float,
        idx: int,
        out: list[RawMessage] | None,
        stamp: Callable[[float], float] | None,
    ) -> None:
        el = self.elements[idx]
        if el.state in (FAULT, MAINTENANCE, OFFLINE):
            # Heartbeat of an element out of service: its status and why.
            self._emit(out, stamp, el, t, el.state, math.nan, "", el.cause)
            return
        if el.network != "roads" and not self._is_supplied(el):
            return  # cut off upstream: a de-energised station sends nothing
        value, unit, status, text = self._reading(el, t)
        el.state = status
        self._emit(out, stamp, el, t, status, value, unit, text)

    def _emit(
        self,
        out: list[RawMessage] | None,
        stamp: Callable[[float], float] | None,
        el: _Element,
        t: float,
        status: int,
        value: float,
        unit: str,
        text: str,
    ) -> None:
        if out is None:
            return
        when = round(stamp(t) if stamp else t, 3)
        msg = StatusMessage(el.network, el.eid, status, when, value, unit, text, self.source)
        topic, payload = encode_status(msg)
        out.append(RawMessage(topic, payload, when, self.source))

    # -- inspection (tests, docs) --------------------------------------------------
    def status_counts(self) -> dict[str, int]:
        """The simulator's own view of element states (not what a store received)."""
        counts = dict.fromkeys(STATUSES, 0)
        for el in self.elements:
            counts[STATUSES[el.state]] += 1
        return counts


def _private_schedule(schedule: Any) -> Any:
    """A copy of a schedule whose report table the model may change meanwhile."""
    if schedule is None:
        return None
    snap = copy.copy(schedule)
    snap.reports = dict(schedule.reports)
    snap.invalidate()
    return snap


def _poisson(rng: random.Random, lam: float) -> int:
    """Knuth's Poisson draw (small means only), from our seeded generator."""
    if lam <= 0:
        return 0
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


class SimulatorSource(FeedSource):
    """The simulator as a live feed: emits in real time, ``speedup`` x faster.

    ``rate`` is telemetry messages per *wall-clock* second (transitions come on top);
    timestamps are wall-clock times, the model clock starts at ``start`` (default:
    now) and runs ``speedup`` times faster. ``duration`` (wall seconds) ends the feed
    with state ``finished``; without it the feed runs until stopped.
    """

    kind = "simulator"

    def __init__(
        self,
        networks: Mapping[str, Any],
        *,
        seed: int = 0,
        rate: float = 50.0,
        speedup: float = 60.0,
        schedule: Any = None,
        start: float | None = None,
        duration: float | None = None,
        tick: float = 0.1,
        fault_scale: float = 1.0,
        snapshot: bool = True,
        name: str = "sim",
        record: str | None = None,
    ) -> None:
        super().__init__(name, record=record)
        self.snapshot = snapshot
        if speedup <= 0:
            raise ValueError(f"speedup must be > 0, not {speedup}")
        # Private copies, taken here on the owner's thread: the feed thread then never
        # reads the model while the owner changes it (the live overlay adds progress
        # reports to the scene's schedule; tracing caches topology on the networks).
        self.networks = copy.deepcopy(dict(networks))
        schedule = _private_schedule(schedule)
        self.seed = int(seed)
        self.rate = float(rate)
        self.speedup = float(speedup)
        self.schedule = schedule
        self.start_at = start
        self.duration = duration
        self.tick = float(tick)
        self.fault_scale = float(fault_scale)
        self.simulator: Simulator | None = None
        self._wall0 = math.nan
        self._sim0 = math.nan

    def sim_time(self, wall: float | None = None) -> float:
        """The model clock at a wall-clock time (default: now)."""
        wall = time.time() if wall is None else wall
        return self._sim0 + (wall - self._wall0) * self.speedup

    def _run(self) -> None:
        wall0 = self._wall0 = time.time()
        sim0 = self._sim0 = wall0 if self.start_at is None else float(self.start_at)
        speed = self.speedup
        sim = self.simulator = Simulator(
            self.networks,
            seed=self.seed,
            start=sim0,
            schedule=self.schedule,
            rate=self.rate / speed,
            fault_scale=self.fault_scale,
            snapshot=self.snapshot,
            source=self.name,
        )

        def stamp(ts: float) -> float:
            return wall0 + (ts - sim0) / speed

        self.set_state(
            "connected",
            f"simulating seed {self.seed}, {self.rate:g} msg/s, time x{speed:g}",
        )
        end = math.inf if self.duration is None else wall0 + float(self.duration)
        while not self.stopping:
            now = min(time.time(), end)
            self.emit(sim.messages_between(sim.now, sim0 + (now - wall0) * speed, stamp))
            if now >= end:
                self.set_state("finished", f"{self.sent} messages in {self.duration:g} s")
                return
            self.sleep(self.tick)
        self.set_state("stopped", f"{self.sent} messages")
