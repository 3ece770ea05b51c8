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

import functools
import logging
import os
import ssl
import threading
import time
import uuid
from collections.abc import Callable, Iterable
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


# One read takes whatever the socket holds, up to this much: at 5,000 messages/s of
# ~100 bytes that is every message since the last wake-up.
READ_BYTES = 1 << 18
# The QoS bits of a PUBLISH's first byte (the other low bits are DUP and RETAIN).
_PUBLISH, _QOS_BITS = 0x30, 0x06

BatchCallback = Callable[[list[tuple[bytes, bytes]]], None]


@functools.cache
def _bulk_client_class() -> type:
    """paho's ``Client`` with a buffered read path for QoS 0 messages.

    Why: paho reads a packet with a ``select`` and three ``recv`` calls and builds an
    ``MQTTMessage`` for it; measured here that is ~50 us a message, a quarter of a
    core at 5,000 messages/s on a machine whose two cores the software renderer
    wants. This class reads everything the socket holds in one ``recv`` and parses the
    packets itself: QoS 0 PUBLISH packets (the whole of a status feed) go to
    ``on_batch`` as ``(topic, payload)`` bytes pairs, one call per read; every other
    packet (CONNACK, SUBACK, PINGRESP, QoS 1/2 publishes and their handshakes) is
    handed to paho's own handler exactly as paho's reader would. Connecting, TLS,
    credentials, keepalive and reconnecting with back-off stay paho's.

    It relies on paho 2's internals (``_in_packet``, ``_packet_handle``,
    ``_sock_recv``, ``_loop_rc_handle``, ``_msgtime_mutex``); :func:`bulk_read_supported`
    checks they are there, and without them (or with MQTT 5, or no ``on_batch``) the
    client reads the way paho does.
    """
    import paho.mqtt.client as mqtt
    from paho.mqtt.exception import MalformedPacket

    success = mqtt.MQTTErrorCode.MQTT_ERR_SUCCESS

    class BulkClient(mqtt.Client):  # type: ignore[misc]
        on_batch: BatchCallback | None = None

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._buf_sock: Any = None  # the socket _buf's bytes came from
            self._buf = bytearray()  # the start of a packet still on its way
            self.bulk_reads = 0  # reads that took the buffered path (tests, benchmarks)

        def reconnect(self) -> Any:
            self._buf_sock, self._buf = None, bytearray()  # a new socket starts afresh
            return super().reconnect()

        def loop_read(self, max_packets: int = 1) -> Any:
            if self.on_batch is None or self._protocol == mqtt.MQTTv5:
                return super().loop_read(max_packets)
            sock = self._sock
            if sock is None:
                return mqtt.MQTTErrorCode.MQTT_ERR_NO_CONN
            if sock is not self._buf_sock:
                self._buf_sock, self._buf = sock, bytearray()
            try:
                data = self._sock_recv(READ_BYTES)
            except BlockingIOError:
                return success
            except OSError as err:
                self._easy_log(mqtt.MQTT_LOG_ERR, "failed to receive on socket: %s", err)
                return self._loop_rc_handle(mqtt.MQTTErrorCode.MQTT_ERR_CONN_LOST)
            if not data:
                return self._loop_rc_handle(mqtt.MQTTErrorCode.MQTT_ERR_CONN_LOST)
            self.bulk_reads += 1
            with self._msgtime_mutex:
                self._last_bytes_received = mqtt.time_func()
            buf = self._buf
            buf += data
            rc = self._parse(sock, buf)
            return self._loop_rc_handle(rc) if rc else success

        def _parse(self, sock: Any, buf: bytearray) -> Any:
            """Handle every complete packet in ``buf`` and keep the incomplete rest."""
            batch: list[tuple[bytes, bytes]] = []
            pos, end_of_data, rc = 0, len(buf), success
            while end_of_data - pos >= 2:
                command = buf[pos]
                # The remaining length: 1-4 bytes of 7 bits, least significant first.
                length, shift, i, complete = 0, 0, pos + 1, False
                while i < end_of_data and i - pos <= 4:
                    byte = buf[i]
                    i += 1
                    length |= (byte & 127) << shift
                    if not byte & 128:
                        complete = True
                        break
                    shift += 7
                if not complete:
                    if i - pos > 4:
                        rc = mqtt.MQTTErrorCode.MQTT_ERR_PROTOCOL
                    break  # otherwise the rest of the length is on its way
                end = i + length
                if end > end_of_data:
                    break
                if command & 0xF0 == _PUBLISH and not command & _QOS_BITS:
                    # A 2-byte topic length, the topic, then the payload (QoS 0: no id).
                    topic_end = end + 1  # malformed unless the body holds the length
                    if length >= 2:
                        topic_end = i + 2 + ((buf[i] << 8) | buf[i + 1])
                    if topic_end > end:
                        self._easy_log(mqtt.MQTT_LOG_DEBUG, "Received malformed PUBLISH")
                        rc = mqtt.MQTTErrorCode.MQTT_ERR_PROTOCOL
                        break
                    batch.append((bytes(buf[i + 2 : topic_end]), bytes(buf[topic_end:end])))
                else:
                    if batch:  # keep the order of QoS 0 and other messages
                        self._deliver(batch)
                        batch = []
                    rc = self._handle(command, buf[i:end], length, buf[pos + 1 : i])
                    pos = end
                    if rc or self._sock is not sock:
                        break
                    continue
                pos = end
            if batch:
                self._deliver(batch)
            if self._sock is sock:
                del buf[:pos]
            return rc

        def _handle(self, command: int, body: bytearray, length: int, count: bytearray) -> Any:
            """One packet through paho's own handler, set up as its reader would."""
            self._in_packet = {
                "command": command,
                "have_remaining": 1,
                "remaining_count": list(count),
                "remaining_mult": 1,
                "remaining_length": length,
                "packet": body,
                "to_process": 0,
                "pos": 0,
            }
            try:
                rc = self._packet_handle()
            except MalformedPacket as exc:
                self._easy_log(mqtt.MQTT_LOG_DEBUG, "Received malformed packet: %s", exc)
                rc = mqtt.MQTTErrorCode.MQTT_ERR_PROTOCOL
            self._in_packet = {
                "command": 0,
                "have_remaining": 0,
                "remaining_count": [],
                "remaining_mult": 1,
                "remaining_length": 0,
                "packet": bytearray(b""),
                "to_process": 0,
                "pos": 0,
            }
            return rc

        def _deliver(self, batch: list[tuple[bytes, bytes]]) -> None:
            callback = self.on_batch
            if callback is None:
                return
            try:
                callback(batch)
            except Exception:  # a bug in a callback must not end the network loop
                log.exception("MQTT: a batch of %d messages could not be handled", len(batch))

    return BulkClient


@functools.cache
def bulk_read_supported() -> bool:
    """True when the installed paho has what :func:`_bulk_client_class` relies on, and
    ``ALATAU_MQTT_BULK=0`` does not ask for paho's own reader (to compare the two)."""
    if os.environ.get("ALATAU_MQTT_BULK", "1") == "0":
        return False
    import paho.mqtt.client as mqtt

    probe = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    needed = ("_in_packet", "_sock", "_protocol", "_msgtime_mutex", "_last_bytes_received")
    if not callable(getattr(mqtt, "time_func", None)):
        return False
    methods = ("_packet_handle", "_sock_recv", "_loop_rc_handle", "_easy_log", "loop_read")
    return all(hasattr(probe, name) for name in needed) and all(
        callable(getattr(mqtt.Client, name, None)) for name in methods
    )


def make_client(
    opts: MqttOptions, role: str = "watch", *, on_batch: BatchCallback | None = None
) -> Any:
    """A configured paho client (credentials, TLS, back-off); not yet connected.

    With ``on_batch``, QoS 0 messages arrive through it in batches, read in bulk (see
    :func:`_bulk_client_class`), when the installed paho allows; otherwise through
    the client's ``on_message`` one by one, as paho delivers them.
    """
    import paho.mqtt.client as mqtt

    client_id = opts.client_id or f"alatau-twin-{role}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    bulk = on_batch is not None and bulk_read_supported()
    cls = _bulk_client_class() if bulk else mqtt.Client
    client = cls(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=True)
    if bulk:
        client.on_batch = on_batch
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
        client = self._client = make_client(self.options, on_batch=self._on_batch)
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

    def _on_batch(self, batch: list[tuple[bytes, bytes]]) -> None:
        """QoS 0 messages read in bulk (see :func:`make_client`): one queue hand-off
        for all of them, stamped with one receive time."""
        now, name = time.time(), self.name
        raws = []
        for topic, payload in batch:
            try:
                text = topic.decode("utf-8")
            except UnicodeDecodeError:
                text = topic.decode("utf-8", "replace")
            raws.append(RawMessage(text, payload, now, name))
        self.received += len(raws)
        if self._sink is not None:
            self._sink.put_many(raws)
            self.sent += len(raws)

    def _on_message(self, client: Any, userdata: Any, msg: Any) -> None:
        # One by one from paho's own reader (QoS 1/2, or no bulk reader): the same
        # hand-over as a bulk read of one message. ``_topic`` is the raw bytes that
        # paho's ``topic`` property decodes (and raises on when they are not UTF-8).
        try:
            self._on_batch([(bytes(msg._topic), bytes(msg.payload))])
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
