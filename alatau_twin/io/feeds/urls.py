"""Feed URLs: one string names any source, for the CLI, projects and the UI (io).

===============================================  =========================================
``sim:``, ``sim:?seed=7&rate=200&speedup=60``    the simulator (needs the scene's networks)
``file:PATH``, ``file:PATH?speed=10``            replay of a JSON Lines or CSV log
``mqtt://[user:pass@]host[:port][/topic/filter]``  an MQTT broker (default port 1883)
``mqtts://...?ca=ca.pem&cert=c.pem&key=k.pem``   MQTT over TLS (default port 8883)
===============================================  =========================================

Options may be given in the query string or as keyword arguments (keywords win).
A topic filter may contain ``+`` and ``#``; since ``#`` also starts a URL fragment,
``mqtt://host/alatau/power/#`` is understood as the filter ``alatau/power/#`` (and
``%23`` works too). Anything else is a :class:`~alatau_twin.io.feeds.base.FeedError`
that names the accepted forms.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from alatau_twin.io.feeds.base import FeedError, FeedSource

FORMS = (
    "sim: (the simulator), sim:?seed=7&rate=200, file:PATH (replay a .jsonl/.csv log), "
    "file:PATH?speed=10, mqtt://[user:pass@]host:port[/topic/filter], mqtts://host:port"
)
_SIM_KEYS = {"seed": int, "rate": float, "speedup": float, "duration": float, "tick": float,
             "fault_scale": float, "start": float, "name": str, "record": str,
             "snapshot": "bool"}  # fmt: skip
_FILE_KEYS = {"speed": float, "format": str, "max_gap": float, "name": str, "record": str,
              "backpressure": "bool", "chunk": int}  # fmt: skip
_MQTT_KEYS = {"topic": str, "username": str, "password": str, "ca": str, "cert": str,
              "key": str, "insecure": "bool", "client_id": str, "keepalive": int, "qos": int,
              "reconnect_min": int, "reconnect_max": int, "connect_timeout": float,
              "name": str, "record": str, "tls": "bool"}  # fmt: skip


def _convert(key: str, value: Any, kinds: Mapping[str, Any], url: str) -> Any:
    kind = kinds.get(key)
    if kind is None:
        raise FeedError(
            f"unknown option {key!r} in feed {url!r}; known: {', '.join(sorted(kinds))}"
        )
    if value is None:
        return None
    if kind == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "true", "yes", "on", ""):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        raise FeedError(f"option {key}={value!r} in {url!r} must be true or false")
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise FeedError(f"option {key}={value!r} in {url!r} must be {kind.__name__}") from None


def _options(
    url: str, query: str, overrides: Mapping[str, Any], kinds: Mapping[str, Any]
) -> dict[str, Any]:
    opts: dict[str, Any] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        opts[key] = _convert(key, value, kinds, url)
    for key, value in overrides.items():
        if value is not None:
            opts[key] = _convert(key, value, kinds, url)
    return opts


def feed_kind(url: str) -> str:
    """``sim``, ``file``, ``mqtt`` (TLS included) or a :class:`FeedError`."""
    lower = url.strip().lower()
    if lower == "sim" or lower.startswith("sim:"):
        return "sim"
    if lower.startswith("file:"):
        return "file"
    if lower.startswith(("mqtt://", "mqtts://")):
        return "mqtt"
    raise FeedError(f"unknown feed {url!r}: use {FORMS}")


def parse_mqtt_url(url: str, **overrides: Any) -> Any:
    """:class:`~alatau_twin.io.feeds.mqtt.MqttOptions` from an ``mqtt(s)://`` URL."""
    from alatau_twin.io.feeds.mqtt import DEFAULT_TOPIC, MqttOptions

    text = url.strip()
    fragment_topic = ""
    if "#" in text:  # '#' is the multi-level wildcard, not a fragment, in our URLs
        text, rest = text.split("#", 1)
        if "?" in rest:
            rest, query_tail = rest.split("?", 1)
            text = f"{text}?{query_tail}"
        if rest:
            raise FeedError(f"in {url!r}, '#' must end the topic filter")
        fragment_topic = "#"
    parts = urlsplit(text)
    tls = parts.scheme.lower() == "mqtts"
    try:
        port = parts.port
    except ValueError:
        raise FeedError(f"bad port in feed {url!r}") from None
    host = parts.hostname
    if not host:
        raise FeedError(f"feed {url!r} has no host: use mqtt://host:port")
    path = unquote(parts.path.lstrip("/"))
    topic = (path + fragment_topic) or DEFAULT_TOPIC
    opts = _options(url, parts.query, overrides, _MQTT_KEYS)
    opts.pop("name", None)
    opts.pop("record", None)
    tls = bool(opts.pop("tls", tls))
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    base = MqttOptions(
        host=host,
        port=port or (8883 if tls else 1883),
        topic=topic,
        username=username,
        password=password,
        tls=tls,
    )
    return base.with_(**opts)


def _split_plain(url: str, prefix: str) -> tuple[str, str]:
    body = url.strip()[len(prefix) :]
    path, _, query = body.partition("?")
    return path, query


def open_feed(
    url: str,
    networks: Mapping[str, Any] | None = None,
    schedule: Any = None,
    **options: Any,
) -> FeedSource:
    """A feed source for ``url`` (not started). ``networks`` are needed by ``sim:``;
    ``schedule`` lets the simulator report construction progress. ``record=PATH``
    tees every message into a JSON Lines file that ``file:PATH`` replays."""
    kind = feed_kind(url)
    if kind == "sim":
        from alatau_twin.io.feeds.simulator import SimulatorSource

        _, query = _split_plain(url, "sim:" if ":" in url else "sim")
        opts = _options(url, query, options, _SIM_KEYS)
        if not networks:
            raise FeedError("the simulator needs a scene with networks (power, water)")
        try:
            return SimulatorSource(networks, schedule=schedule, **opts)
        except ValueError as exc:
            raise FeedError(f"{url}: {exc}") from None
    if kind == "file":
        from alatau_twin.io.feeds.replay import ReplaySource

        path, query = _split_plain(url, "file:")
        if path.startswith("//"):  # file:///abs/path
            path = path[2:]
        path = unquote(path)
        if not path:
            raise FeedError(f"feed {url!r} names no file: use file:PATH")
        opts = _options(url, query, options, _FILE_KEYS)
        if "format" in opts:
            opts["fmt"] = opts.pop("format")
        return ReplaySource(path, **opts)
    from alatau_twin.io.feeds.mqtt import MqttSource

    extra = {k: v for k, v in options.items() if k not in ("name", "record")}
    mqtt_opts = parse_mqtt_url(url, **extra)
    query = urlsplit(url.split("#", 1)[0]).query
    named = dict(parse_qsl(query))
    name = options.get("name") or named.get("name")
    record = options.get("record") or named.get("record")
    return MqttSource(mqtt_opts, name=name, record=record)
