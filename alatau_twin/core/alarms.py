"""Alarms and the event log, driven by status transitions (core: no Qt).

An alarm is raised when an element goes from a healthy status into one with a severity
(fault, offline: critical; degraded: warning; maintenance, unknown: info) and cleared
when it returns to ok. Operators acknowledge alarms; an acknowledged alarm stays listed
until it clears, so nobody loses sight of a fault they have seen but not fixed. The
event log keeps the last ``maxlen`` transitions (a ring: memory stays flat).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from psygnal import Signal

from alatau_twin.core.status import OK, SEVERITY, SEVERITY_NAMES, STATUSES, UNKNOWN


@dataclass(slots=True)
class Alarm:
    """One active alarm on one element (slots: a storm raises thousands per batch)."""

    alarm_id: int
    network: str
    element_id: str
    status: int
    severity: int
    raised: float  # epoch seconds of the transition
    message: str = ""
    acknowledged: bool = False
    updated: float = math.nan

    @property
    def status_name(self) -> str:
        return STATUSES[self.status]

    @property
    def severity_name(self) -> str:
        return SEVERITY_NAMES[self.severity]


class Event(NamedTuple):
    """A line of the event log (immutable; a tuple, not a frozen dataclass, because
    a frozen dataclass's ``__init__`` cost ~2 us and a storm logs 10,000 per batch)."""

    time: float
    network: str
    element_id: str
    kind: str  # raised, cleared, changed, acknowledged, what-if
    old: str
    new: str
    message: str = ""


@dataclass
class AlarmBook:
    """Active alarms keyed by (network, element id) plus a bounded event log."""

    maxlen: int = 5000
    active: dict[tuple[str, str], Alarm] = field(default_factory=dict)
    events: deque[Event] = field(default_factory=deque)
    _next_id: int = 1

    changed = Signal()  # alarms raised, cleared or acknowledged

    def __post_init__(self) -> None:
        self.events = deque(self.events, maxlen=self.maxlen)

    def transition(
        self, network: str, element_id: str, old: int, new: int, when: float, message: str = ""
    ) -> Event | None:
        """Record one status change; returns the event logged (None if no change)."""
        if old == new:
            return None
        key = (network, element_id)
        sev = SEVERITY[new]
        alarm = self.active.get(key)
        if new == OK or (sev == 0):
            if alarm is None:
                if old == UNKNOWN:
                    return None  # first report of a healthy element: not news
                ev = Event(when, network, element_id, "changed", STATUSES[old], STATUSES[new])
            else:
                del self.active[key]
                ev = Event(when, network, element_id, "cleared", STATUSES[old], STATUSES[new])
        elif new == UNKNOWN and old == UNKNOWN:
            return None
        elif alarm is None:
            self.active[key] = Alarm(
                self._next_id, network, element_id, new, sev, when, message, False, when
            )
            self._next_id += 1
            ev = Event(when, network, element_id, "raised", STATUSES[old], STATUSES[new], message)
        else:
            # Worse news re-opens an acknowledged alarm; milder news keeps the ack.
            if sev > alarm.severity:
                alarm.acknowledged = False
            alarm.status, alarm.severity, alarm.updated = new, sev, when
            alarm.message = message or alarm.message
            ev = Event(when, network, element_id, "changed", STATUSES[old], STATUSES[new], message)
        self.events.append(ev)
        return ev

    def apply(self, transitions: Iterable[tuple[str, str, int, int, float, str]]) -> int:
        """Many transitions ``(network, id, old, new, time, message)``; emits once."""
        n = 0
        for network, eid, old, new, when, msg in transitions:
            if self.transition(network, eid, old, new, when, msg) is not None:
                n += 1
        if n:
            self.changed.emit()
        return n

    def acknowledge(self, network: str, element_id: str, when: float) -> bool:
        alarm = self.active.get((network, element_id))
        if alarm is None or alarm.acknowledged:
            return False
        alarm.acknowledged = True
        self.events.append(
            Event(when, network, element_id, "acknowledged", alarm.status_name, alarm.status_name)
        )
        self.changed.emit()
        return True

    def acknowledge_all(self, when: float) -> int:
        n = 0
        for alarm in list(self.active.values()):
            if not alarm.acknowledged:
                alarm.acknowledged = True
                self.events.append(
                    Event(
                        when,
                        alarm.network,
                        alarm.element_id,
                        "acknowledged",
                        alarm.status_name,
                        alarm.status_name,
                    )
                )
                n += 1
        if n:
            self.changed.emit()
        return n

    def sorted_alarms(self) -> list[Alarm]:
        """Most severe first, then unacknowledged first, then newest first."""
        return sorted(self.active.values(), key=lambda a: (-a.severity, a.acknowledged, -a.raised))

    def counts(self) -> dict[str, int]:
        out = {"critical": 0, "warning": 0, "info": 0, "unacknowledged": 0}
        for a in self.active.values():
            out[a.severity_name] = out.get(a.severity_name, 0) + 1
            out["unacknowledged"] += not a.acknowledged
        return out
