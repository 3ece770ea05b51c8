"""MQTT: status from a real broker, and the publisher behind ``feed simulate`` (io).

:class:`MqttSource` is a paho-mqtt 2 client (``CallbackAPIVersion.VERSION2``) whose
network loop runs in paho's own thread (``connect_async`` + ``loop_start``): it
subscribes to the topic filter (default ``alatau/#``) on *every* (re)connect, because
a broker that restarted has forgotten our subscription, and puts each message on the
model's queue as a :class:`~alatau_twin.core.status.RawMessage` stamped with the local
receive time. Validation happens in the pipeline, never here: a malformed payload is
counted there like any other.

The connection state goes ``connecting`` -> ``connected``; a lost connection is
``reconnecting`` while paho retries with exponential back-off (``reconnect_min`` ..
``reconnect_max`` seconds, doubling each attempt); a broker that refuses us (bad
credentials) is ``error`` with the broker's reason, and is retried too; ``stop()``
ends in ``stopped``. Each change carries a line of detail for the UI and ``watch``.

:class:`MqttPublisher` connects synchronously (so ``feed simulate`` can say at once
that the broker is unreachable) and publishes what a feed puts into it.
"""

from __future__ import annotations

import logging
import os
import ssl
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from alatau_twin.core.status import RawMessage
from alatau_twin.io.feeds.base import FeedError, FeedSource, Sink, StateCallback

log = logging.getLogger(__name__)

DEFAULT_TOPIC = "alatau/#"


@dataclass(frozen=True)
class MqttOptions:
    """Where and how to connect. ``ca``/``cert``/``key`` are PEM files for TLS;
    ``insecure`` skips certificate and host name checks (test brokers only)."""

    host: str = "localhost"
    port: int = 1883
    topic: str = DEFAULT_TOPIC
    username: str | None = None
    password: str | None = None
    tls: bool = False
    ca: str | None = None
    cert: str | None = None
    key: str | None = None
    insecure: bool = False
    client_id: str = ""
    keepalive: int = 30
    qos: int = 0
    reconnect_min: int = 1
    reconnect_max: int = 30
    connect_timeout: float = 5.0

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def url(self) -> str:
        """The URL without the password (for names, logs and summaries)."""
        scheme = "mqtts" if self.tls else "mqtt"
        user = f"{self.username}@" if self.username else ""
        topic = "" if self.topic == DEFAULT_TOPIC else "/" + self.topic
        return f"{scheme}://{user}{self.host}:{self.port}{topic}"

    def with_(self, **changes: Any) -> MqttOptions:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def make_client(opts: MqttOptions, role: str = "watch") -> Any:
    """A configured paho client (credentials, TLS, back-off); not yet connected."""
    import paho.mqtt.client as mqtt

    client_id = opts.client_id or f"alatau-twin-{role}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=True)
    client.suppress_exceptions = True  # a bug in a callback must not end the loop thread
    if opts.username is not None:
        client.username_pw_set(opts.username, opts.password)
    if opts.tls:
        for label, path in (("CA", opts.ca), ("certificate", opts.cert), ("key", opts.key)):
            if path and not os.path.isfile(path):
                raise FeedError(f"TLS {label} file {path!r} does not exist")
        try:
            client.tls_set(
                ca_certs=opts.ca,
                certfile=opts.cert,
                keyfile=opts.key,
                cert_reqs=ssl.CERT_NONE if opts.insecure else ssl.CERT_REQUIRED,
            )
        except (ssl.SSLError, OSError, ValueError) as exc:
            raise FeedError(f"TLS set-up failed: {exc}") from None
        if opts.insecure:
            client.tls_insecure_set(True)
    client.reconnect_delay_set(
        min_delay=max(1, int(opts.reconnect_min)), max_delay=max(1, int(opts.reconnect_max))
    )
    client.connect_timeout = opts.connect_timeout
    return client


def stopped_detail(received: int, before: str, why: str) -> str:
    """The "stopped" state's detail: messages received, and the state the feed was in
    unless it was connected (e.g. it never reached the broker, and why)."""
    detail = f"{received} messages received"
    if before not in ("connected", "stopped"):
        detail += f"; was {before}: {why}"
    return detail


class MqttSource(FeedSource):
    """Status messages from an MQTT broker; reconnects by itself (see module doc)."""

    kind = "mqtt"

    def __init__(
        self, options: MqttOptions, *, name: str | None = None, record: str | None = None
    ) -> None:
        super().__init__(name or options.url(), record=record)
        self.options = options
        self.received = 0
        self.connects = 0
        self._client: Any = None

    # paho owns the network thread: start/stop/join drive it instead of _run.
    def start(self, queue: Sink, on_state: StateCallback | None = None) -> None:
        if self._client is not None:
            raise RuntimeError(f"feed {self.name!r} already started")
        self._on_state = on_state
        self._sink = self._wrap_sink(queue)
        self._stop_event.clear()
        client = self._client = make_client(self.options)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_connect_fail = self._on_connect_fail
        client.on_message = self._on_message
        self.set_state("connecting", f"connecting to {self.options.address}")
        try:
            client.connect_async(self.options.host, self.options.port, self.options.keepalive)
        except (OSError, ValueError) as exc:
            self.set_state("error", f"cannot connect to {self.options.address}: {exc}")
            raise FeedError(f"cannot connect to {self.options.address}: {exc}") from None
        client.loop_start()

    def stop(self) -> None:
        self._stop_event.set()
        client = self._client
        if client is None:
            return
        before, why = self.state, self.detail
        try:
            client.disconnect()
        except Exception:  # already down: nothing to say goodbye to
            pass
        client.loop_stop()
        self.set_state("stopped", stopped_detail(self.received, before, why))
        self._close_recorder()

    def join(self, timeout: float | None = None) -> bool:
        client = self._client
        thread = getattr(client, "_thread", None) if client is not None else None
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():
                return False
        self._close_recorder()
        return True

    @property
    def running(self) -> bool:
        client = self._client
        thread = getattr(client, "_thread", None) if client is not None else None
        return thread is not None and thread.is_alive()

    def _run(self) -> None:  # pragma: no cover - paho runs the loop
        raise NotImplementedError

    # -- paho callbacks (paho's thread) --------------------------------------------
    def _on_connect(
        self, client: Any, userdata: Any, flags: Any, reason_code: Any, properties: Any
    ) -> None:
        if reason_code.is_failure:
            hint = " (check username and password)" if "authori" in str(reason_code) else ""
            self.set_state(
                "error",
                f"{self.options.address} refused the connection: {reason_code}{hint}; "
                f"retrying every {self.options.reconnect_max} s at most",
            )
            return
        self.connects += 1
        client.subscribe(self.options.topic, qos=self.options.qos)
        again = " again" if self.connects > 1 else ""
        self.set_state(
            "connected",
            f"connected{again} to {self.options.address}, subscribed to {self.options.topic}",
        )

    def _on_disconnect(
        self, client: Any, userdata: Any, flags: Any, reason_code: Any, properties: Any
    ) -> None:
        if self.stopping:
            return
        if self.state == "error":
            return  # keep the broker's reason for refusing us on screen
        self.set_state(
            "reconnecting",
            f"lost {self.options.address} ({reason_code}); retrying with back-off "
            f"{self.options.reconnect_min}-{self.options.reconnect_max} s",
        )

    def _on_connect_fail(self, client: Any, userdata: Any) -> None:
        if self.stopping:
            return
        self.set_state(
            "reconnecting",
            f"cannot reach {self.options.address} (broker down or unreachable); retrying "
            f"with back-off {self.options.reconnect_min}-{self.options.reconnect_max} s",
        )

    def _on_message(self, client: Any, userdata: Any, msg: Any) -> None:
        try:
            try:
                topic = msg.topic
            except UnicodeDecodeError:
                topic = bytes(msg._topic).decode("utf-8", "replace")
            raw = RawMessage(topic, bytes(msg.payload), time.time(), self.name)
            self.received += 1
            if self._sink is not None:
                self._sink.put(raw)
                self.sent += 1
        except Exception:  # never let one message end the network loop
            log.exception("feed %s: could not queue a message", self.name)


class MqttPublisher:
    """Publishes raw messages to a broker: a sink for ``feed simulate``.

    :meth:`connect` fails fast with :class:`FeedError` when the broker is unreachable or
    refuses us; after that paho reconnects by itself, and messages published while the
    broker is away are counted in ``dropped`` (QoS 0 has no queue to wait in).
    """

    def __init__(self, options: MqttOptions, *, qos: int = 0) -> None:
        self.options = options
        self.qos = qos
        self.published = 0
        self.dropped = 0
        self._client: Any = None
        self._connected = threading.Event()
        self._refused = ""
        self._last: Any = None
        self._lock = threading.Lock()

    def connect(self, timeout: float = 10.0) -> None:
        client = self._client = make_client(self.options, role="publish")

        def on_connect(c: Any, u: Any, flags: Any, reason_code: Any, props: Any) -> None:
            if reason_code.is_failure:
                self._refused = str(reason_code)
            else:
                self._connected.set()

        def on_disconnect(c: Any, u: Any, flags: Any, reason_code: Any, props: Any) -> None:
            self._connected.clear()

        client.on_connect = on_connect
        client.on_disconnect = on_disconnect
        try:
            client.connect(self.options.host, self.options.port, self.options.keepalive)
        except (OSError, ValueError) as exc:
            raise FeedError(
                f"cannot connect to the MQTT broker at {self.options.address}: {exc}"
            ) from None
        client.loop_start()
        deadline = time.monotonic() + timeout
        while not self._connected.is_set() and time.monotonic() < deadline:
            if self._refused:
                self.close()
                raise FeedError(f"{self.options.address} refused the connection: {self._refused}")
            time.sleep(0.01)
        if not self._connected.is_set():
            self.close()
            raise FeedError(f"no answer from the MQTT broker at {self.options.address}")

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def put(self, raw: RawMessage) -> bool:
        client = self._client
        if client is None:
            return False
        info = client.publish(raw.topic, raw.payload, qos=self.qos)
        with self._lock:
            if info.rc == 0:
                self.published += 1
                self._last = info
                return True
            self.dropped += 1
            return False

    def put_many(self, raws: Iterable[RawMessage]) -> int:
        return sum(1 for raw in raws if self.put(raw))

    def close(self, flush_timeout: float = 5.0) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        last = self._last
        if last is not None and self._connected.is_set():
            try:
                last.wait_for_publish(flush_timeout)
            except (RuntimeError, ValueError):
                pass
        try:
            client.disconnect()
        except Exception:
            pass
        client.loop_stop()
