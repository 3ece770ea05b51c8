"""Feed sources for live infrastructure status (io): simulator, replay, MQTT.

All feeds hand raw messages to the same pipeline (:mod:`alatau_twin.core.status`)
through a :class:`~alatau_twin.core.status.MessageQueue`; see ``docs/FEEDS.md``.
Submodules import their libraries (paho-mqtt) only when used.
"""

from __future__ import annotations

from alatau_twin.io.feeds.base import FeedError, FeedSource
from alatau_twin.io.feeds.urls import feed_kind, open_feed

__all__ = ["FeedError", "FeedSource", "feed_kind", "open_feed"]
