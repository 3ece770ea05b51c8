"""Encoding helpers shared by the feeds (io).

:func:`~alatau_twin.core.status.encode_status` lives in core next to the parser; the
construction progress payload has no encoder there, so the simulator and the
publisher use this one, which mirrors it.
"""

from __future__ import annotations

import datetime as dt
import json

from alatau_twin.core.status import progress_topic


def iso_time(t: float) -> str:
    """Epoch seconds as ISO 8601 UTC with a ``Z`` (what every feed writes)."""
    return dt.datetime.fromtimestamp(t, dt.UTC).isoformat().replace("+00:00", "Z")


def encode_progress(feature_id: str, percent: float, t: float) -> tuple[str, bytes]:
    """(topic, payload) of a construction progress report."""
    body = {"percent": round(float(percent), 2), "time": iso_time(t)}
    return progress_topic(feature_id), json.dumps(body).encode()
