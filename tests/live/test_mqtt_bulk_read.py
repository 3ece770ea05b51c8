"""The buffered MQTT read path (``io/feeds/mqtt.py``): what it delivers must be exactly
what paho's own reader delivers, from a real broker and from a socket that hands the
bytes over a few at a time.

Why these tests exist: the bulk reader parses MQTT packets itself and leans on paho's
internals, so a paho upgrade or a parsing slip would silently lose or garble messages.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from typing import Any

import paho.mqtt.client as mqtt

from alatau_twin.core.status import MessageQueue, StatusStore
from alatau_twin.io.feeds import open_feed
from alatau_twin.io.feeds.mqtt import MqttOptions, bulk_read_supported, make_client

from .conftest import Broker
from .test_mqtt import drain_until, wait_until


def _subscriber(
    port: int, *, bulk: bool, qos: int = 0
) -> tuple[Any, list[tuple[bytes, bytes]], list[int]]:
    """A connected, subscribed client that records (topic, payload) in arrival order,
    and counts the messages paho's own reader delivered (``on_message``)."""
    got: list[tuple[bytes, bytes]] = []
    one_by_one = [0]
    ready = threading.Event()
    client = make_client(
        MqttOptions(host="127.0.0.1", port=port), role="test", on_batch=got.extend if bulk else None
    )

    def on_message(c: Any, u: Any, msg: Any) -> None:
        got.append((bytes(msg._topic), bytes(msg.payload)))
        one_by_one[0] += 1

    def on_subscribe(*_: Any) -> None:
        ready.set()

    client.on_message = on_message
    client.on_subscribe = on_subscribe
    client.on_connect = lambda c, *_: c.subscribe("alatau/#", qos=qos)
    client.connect("127.0.0.1", port)
    client.loop_start()
    assert ready.wait(10), "no SUBACK from the broker"
    return client, got, one_by_one


def test_the_installed_paho_takes_the_bulk_path() -> None:
    # If a paho upgrade removes what the reader relies on, say so here rather than
    # falling back to the slow path unnoticed.
    assert bulk_read_supported(), "paho's internals changed: see _bulk_client_class"
    client = make_client(MqttOptions(), on_batch=lambda batch: None)
    assert type(client).__name__ == "BulkClient"
    assert type(make_client(MqttOptions())) is mqtt.Client  # no on_batch: paho's own


def test_bulk_reader_delivers_exactly_what_paho_delivers(mosquitto: Broker) -> None:
    bulk, bulk_got, bulk_paho = _subscriber(mosquitto.port, bulk=True)
    plain, plain_got, plain_paho = _subscriber(mosquitto.port, bulk=False)
    # A QoS 1 subscription: the broker sends QoS 1 packets, which go through paho's own
    # handler (and are acknowledged) in between the bulk-parsed QoS 0 ones.
    acked, acked_got, acked_paho = _subscriber(mosquitto.port, bulk=True, qos=1)
    sent: list[tuple[bytes, bytes]] = []
    pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    pub.connect("127.0.0.1", mosquitto.port)
    pub.loop_start()
    try:
        sizes = [0, 1, 90, 127, 128, 16_383, 16_384, 200_000, 2_100_000]  # 1-4 length bytes
        infos = []
        for k in range(3_000):
            size = sizes[k % len(sizes)] if k % 50 == 0 else 60
            topic = f"alatau/power/P-{k}/status" if k % 7 else f"alatau/water/Ж-вода-{k}/status"
            payload = (b'{"status": "ok", "n": %d}' % k).ljust(size, b" ")
            sent.append((topic.encode(), payload))
            infos.append(pub.publish(topic, payload, qos=k % 2, retain=k == 10))
        for info in infos:
            info.wait_for_publish(10)
        for got in (bulk_got, plain_got, acked_got):
            assert wait_until(lambda got=got: len(got) >= len(sent), 30), len(got)
        time.sleep(0.2)  # nothing extra may follow
    finally:
        pub.disconnect()
        pub.loop_stop()
        for c in (bulk, plain, acked):
            c.disconnect()
            c.loop_stop()
    # Both QoS 0 subscribers get the broker's order; every message exactly once, intact.
    assert bulk_got == plain_got
    assert sorted(bulk_got) == sorted(sent)
    assert plain_paho[0] == len(sent) and bulk_paho[0] == 0
    assert 0 < bulk.bulk_reads < len(sent) / 2  # many messages per read, not one each
    # The QoS 1 subscriber: the QoS 1 half came one by one through paho (acknowledged,
    # so the broker may hold some back and reorder), the QoS 0 half in batches.
    assert sorted(acked_got) == sorted(sent)
    assert acked_paho[0] == len(sent) // 2


def test_a_feed_with_a_qos_1_subscription_gets_every_message(
    mosquitto: Broker, sample_scene
) -> None:
    store = StatusStore.for_networks(sample_scene.networks)
    queue = MessageQueue()
    feed = open_feed(mosquitto.url + "?qos=1", sample_scene.networks)
    feed.start(queue)
    try:
        assert feed.wait_for_state("connected", 10), feed.detail
        pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
        pub.connect("127.0.0.1", mosquitto.port)
        pub.loop_start()
        infos = [
            pub.publish("alatau/power/P-TS-GATE-01/status", '{"status": "fault"}', qos=1),
            pub.publish("alatau/water/W-BOOST/status", '{"status": "degraded"}', qos=0),
            pub.publish("alatau/power/P-TS-GATE-01/status", "{broken", qos=1),
        ]
        for info in infos:
            info.wait_for_publish(5)
        pub.disconnect()
        pub.loop_stop()
        assert drain_until(queue, store, 3) == 3
    finally:
        feed.stop()
        feed.join(5)
    assert store.status_of("power", "P-TS-GATE-01") == "fault"
    assert store.status_of("water", "W-BOOST") == "degraded"
    assert dict(store.stats[feed.name].rejected) == {"malformed json": 1}


def _packet(command: int, body: bytes) -> bytes:
    """An MQTT packet: the command byte, the remaining length, the body."""
    n, length = len(body), bytearray()
    while True:
        byte, n = n & 127, n >> 7
        length.append(byte | (128 if n else 0))
        if not n:
            return bytes([command]) + bytes(length) + body


def _publish0(topic: bytes, payload: bytes) -> bytes:
    return _packet(0x30, struct.pack("!H", len(topic)) + topic + payload)


class TricklingBroker:
    """Just enough of a broker over a real socket: CONNACK, SUBACK, then the given
    bytes in pieces of ``step`` bytes, as a slow or fragmenting network delivers them.
    Counts connections, so a test can see the client drop a broken one and return."""

    def __init__(self, stream: bytes, step: int) -> None:
        self.stream, self.step = stream, step
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _read_packet(self, conn: socket.socket) -> int:
        head = conn.recv(1)
        n, shift = 0, 0
        while True:
            byte = conn.recv(1)[0]
            n |= (byte & 127) << shift
            shift += 7
            if not byte & 128:
                break
        body = b""
        while len(body) < n:
            body += conn.recv(n - len(body))
        return head[0] if head else 0

    def _serve(self) -> None:
        self.server.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self.server.accept()
            except TimeoutError:
                continue
            self.connections += 1
            with conn:
                conn.settimeout(5)
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # small segments
                try:
                    assert self._read_packet(conn) == 0x10  # CONNECT
                    conn.sendall(_packet(0x20, b"\x00\x00"))  # CONNACK, accepted
                    assert self._read_packet(conn) & 0xF0 == 0x80  # SUBSCRIBE
                    conn.sendall(_packet(0x90, b"\x00\x01\x00"))  # SUBACK, id 1, QoS 0
                    for i in range(0, len(self.stream), self.step):
                        conn.sendall(self.stream[i : i + self.step])
                        time.sleep(0.0005)
                    while not self._stop.is_set() and conn.recv(1024):
                        pass  # the client's pings, until it hangs up
                except (OSError, AssertionError, IndexError):
                    pass

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.server.close()


def test_packets_split_anywhere_arrive_whole_and_a_broken_one_drops_the_connection(
    sample_scene,
) -> None:
    messages = [
        # 1- and 2-byte remaining lengths (the padding passes 127 bytes at k = 33).
        (f"alatau/power/P-{k}/status".encode(), b'{"status": "ok", "n": %d}' % k + b" " * (k * 3))
        for k in range(60)
    ]
    # Good packets, a PINGRESP in between, then a PUBLISH whose topic length runs past
    # its end: the client must deliver the good ones and then drop the connection.
    stream = b"".join(_publish0(t, p) for t, p in messages[:30]) + _packet(0xD0, b"")
    stream += b"".join(_publish0(t, p) for t, p in messages[30:])
    broken = _packet(0x30, struct.pack("!H", 500) + b"alatau/x")
    broker = TricklingBroker(stream + broken, step=3)
    queue = MessageQueue()
    feed = open_feed(f"mqtt://127.0.0.1:{broker.port}?reconnect_max=1", sample_scene.networks)
    feed.start(queue)
    try:
        assert feed.wait_for_state("connected", 10), feed.detail
        got: list[tuple[bytes, bytes]] = []

        def all_arrived() -> bool:
            got.extend((r.topic.encode(), bytes(r.payload)) for r in queue.drain()[0])
            return len(got) >= len(messages)

        assert wait_until(all_arrived, 20), len(got)
        # The broken packet: the client hangs up and connects again (and is sent the
        # same stream, so the same messages arrive a second time).
        assert wait_until(lambda: broker.connections >= 2, 15), feed.state
        assert wait_until(lambda: all_arrived() and len(got) >= 2 * len(messages), 20)
    finally:
        feed.stop()
        feed.join(5)
        broker.close()
    assert got[: len(messages)] == messages
    assert got[len(messages) : 2 * len(messages)] == messages
    assert "reconnecting" in feed.states_seen()
