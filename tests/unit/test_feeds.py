"""Feed sources without a broker: the simulator, replay, recording, URLs, bad input.

Everything runs through the real pipeline (``StatusStore`` / ``MessageQueue``) on the
sample's real networks; a store's clock is pinned where a test needs "now".
"""

from __future__ import annotations

import json
import math
import statistics
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pytest

from alatau_twin.core.network import Network
from alatau_twin.core.status import MessageQueue, StatusStore, parse_message
from alatau_twin.io.feeds import FeedError, open_feed
from alatau_twin.io.feeds.record import Recorder
from alatau_twin.io.feeds.replay import ReplaySource, read_log
from alatau_twin.io.feeds.simulator import FAULTS, Simulator, SimulatorSource

START = 1_790_000_000.0  # 2026-09-21 14:13 UTC
DAY = 86400.0


def _payload(raw) -> dict:
    return json.loads(raw.payload)


def _local_hour(t: float) -> float:
    return ((t / 3600.0) + 5.0) % 24.0


@pytest.fixture(scope="module")
def two_days(sample_scene):
    """Two simulated days of the sample at a low telemetry rate (one shared run)."""
    sim = Simulator(sample_scene.networks, seed=11, start=START, rate=0.25)
    return sim.messages_between(START, START + 2 * DAY)


def _store(scene, now: float = START + 3 * DAY, **kw) -> StatusStore:
    return StatusStore.for_networks(scene.networks, clock=lambda: now, **kw)


def _run_replay(path: Path, queue: MessageQueue, **kw) -> ReplaySource:
    src = ReplaySource(path, **kw)
    src.start(queue)
    assert src.join(30)
    return src


# -- simulator ---------------------------------------------------------------------
def test_simulator_same_seed_same_messages_other_seed_others(sample_scene) -> None:
    nets = sample_scene.networks
    a = Simulator(nets, seed=7, start=START, rate=4.0).messages_between(START, START + 1800)
    b = Simulator(nets, seed=7, start=START, rate=4.0).messages_between(START, START + 1800)
    c = Simulator(nets, seed=8, start=START, rate=4.0).messages_between(START, START + 1800)
    n_elements = sum(len(net.element_ids()) for net in nets.values())
    # a snapshot of every element, then 7,200 reports (less those cut off upstream)
    assert len(a) > n_elements + 6000
    assert a == b  # byte for byte: topics, payloads, times
    assert a != c


def test_simulator_does_not_depend_on_how_time_is_chunked(sample_scene) -> None:
    nets = sample_scene.networks
    whole = Simulator(nets, seed=3, start=START, rate=1.0).messages_between(START, START + 3600)
    sim = Simulator(nets, seed=3, start=START, rate=1.0)
    parts = []
    t = START
    for step in (0.1, 7.0, 33.3, 600.0, 1.0, 1500.0, 1458.6):
        parts += sim.messages_between(t, t + step)
        t += step
    assert t == pytest.approx(START + 3600)
    assert parts == whole
    with pytest.raises(ValueError, match="cannot go back"):
        sim.messages_between(START, START + 1)


def test_every_simulated_message_is_accepted_by_the_pipeline(sample_scene, two_days) -> None:
    store = _store(sample_scene)
    result = store.ingest(two_days)
    assert result.accepted == len(two_days)
    assert not result.rejected
    assert store.counts()["unknown"] == 0  # every element reported within two days


def test_daily_load_curve_peaks_in_the_evening_and_dips_at_night(two_days) -> None:
    by_hour: dict[int, list[float]] = defaultdict(list)
    pressure: dict[int, list[float]] = defaultdict(list)
    for raw in two_days:
        p = _payload(raw)
        hour = int(_local_hour(raw.received))
        if "/P-TS-" in raw.topic and p.get("unit") == "%":
            by_hour[hour].append(p["value"])
            # degraded means overloaded, with hysteresis between 87 % and 90 %
            if p["status"] == "degraded":
                assert p["value"] > 87.0 and "above 90 %" in p["message"]
            elif p["status"] == "ok":
                assert p["value"] <= 90.0
        if "/W-J-" in raw.topic and p.get("unit") == "bar":
            pressure[hour].append(p["value"])
    mean = {h: statistics.fmean(v) for h, v in by_hour.items()}
    assert len(mean) == 24
    evening, night = (mean[19] + mean[20]) / 2, (mean[3] + mean[4]) / 2
    assert evening > 1.8 * night
    assert max(mean, key=mean.get) in (18, 19, 20, 21)
    assert min(mean, key=mean.get) in (1, 2, 3, 4, 5)
    # Water: pressure sags at the morning demand peak and recovers at night.
    assert statistics.fmean(pressure[8]) < statistics.fmean(pressure[3]) - 0.8


def test_faults_are_repaired_after_plausible_times(sample_scene, two_days) -> None:
    kinds = {
        eid: d.get("type")
        for net in sample_scene.networks.values()
        for eid, d in net.graph.nodes(data=True)
    }
    kinds |= {
        d["id"]: d.get("type")
        for net in sample_scene.networks.values()
        for _, _, d in net.graph.edges(data=True)
    }
    open_faults: dict[str, float] = {}
    repaired: list[tuple[str, float]] = []
    for raw in two_days:
        p = _payload(raw)
        eid = raw.topic.split("/")[2]
        if p["status"] == "fault" and eid not in open_faults:
            open_faults[eid] = raw.received
        elif p["status"] != "fault" and eid in open_faults:
            assert p["message"].startswith("repaired after")
            repaired.append((eid, raw.received - open_faults.pop(eid)))
    assert len(repaired) > 50  # lively: a few faults an hour on the sample
    for eid, seconds in repaired:
        median = FAULTS[kinds[eid]].repair_min * 60
        assert median / 4 - 1 <= seconds <= median * 4 + 1
    # What is still open began within the longest repair time before the end.
    longest = max(f.repair_min for f in FAULTS.values()) * 60 * 4
    assert all(t > START + 2 * DAY - longest for t in open_faults.values())


def test_planned_maintenance_is_announced_in_working_hours_and_ends(two_days) -> None:
    starts = [
        r for r in two_days if _payload(r)["status"] == "maintenance"
        and _payload(r)["message"].startswith("planned maintenance")
    ]  # fmt: skip
    assert starts
    first_seen: dict[str, float] = {}
    for r in starts:
        first_seen.setdefault(r.topic, r.received)
    ends = {
        r.topic
        for r in two_days
        if _payload(r).get("message", "").startswith("maintenance complete")
    }
    assert ends
    for topic, t in first_seen.items():
        assert 8.0 <= _local_hour(t) < 16.0
        if t < START + 2 * DAY - 4 * 3600:
            assert topic in ends


def test_roads_close_and_reopen_when_the_scene_has_roads(sample_scene) -> None:
    roads = Network("roads")
    for i in range(21):
        roads.add_node(f"R-N{i}", type="junction")
    for i in range(20):
        roads.add_link(f"R-S{i}", f"R-N{i}", f"R-N{i + 1}", type="street")
    nets = {**sample_scene.networks, "roads": roads}
    sim = Simulator(nets, seed=5, start=START, rate=0.0, snapshot=False)
    msgs = sim.messages_between(START, START + DAY)
    road = [(r.topic, _payload(r)) for r in msgs if r.topic.startswith("alatau/roads/")]
    closed = [p for _, p in road if p["status"] == "offline"]
    reopened = [p for _, p in road if p["status"] == "ok"]
    assert 20 <= len(closed) <= 130  # about 3 an hour
    assert all(p["message"].startswith("closed: ") for p in closed)
    assert all(p["message"] == "reopened" for p in reopened)
    assert len(closed) - len(reopened) in (0, 1, 2, 3)
    # Adding a network does not reshuffle the others' events.
    base = Simulator(sample_scene.networks, seed=5, start=START, rate=0.0, snapshot=False)
    power = [r for r in msgs if r.topic.startswith("alatau/power/")]
    assert power == [
        r for r in base.messages_between(START, START + DAY) if r.topic.startswith("alatau/power/")
    ]


def test_construction_progress_reports_match_the_schedule(sample_scene) -> None:
    sched = sample_scene.schedule
    sim = Simulator(sample_scene.networks, seed=1, start=START, schedule=sched, rate=0.0)
    msgs = [r for r in sim.messages_between(START, START + 6 * 3600) if "/construction/" in r.topic]
    assert 60 <= len(msgs) <= 80  # one every 5 simulated minutes
    for raw in msgs:
        parsed = parse_message(raw)
        day = np.datetime64(int(raw.received + 5 * 3600), "s").astype("datetime64[D]")
        frac = sched.actual_progress(day)[sched.row_of(parsed.feature_id)]
        assert 0.0 < frac < 1.0  # under construction on that (local) date
        assert parsed.percent == pytest.approx(frac * 100, abs=0.051)


def test_simulator_source_emits_wall_clock_times_and_speeds_up_the_model(sample_scene) -> None:
    queue = MessageQueue()
    src = SimulatorSource(
        sample_scene.networks, seed=2, rate=400, speedup=600, tick=0.05, snapshot=False
    )
    t0 = time.time()
    src.start(queue)
    time.sleep(1.0)
    src.stop()
    assert src.join(5)
    t1 = time.time()
    batch, dropped = queue.drain()
    assert not dropped
    assert 250 <= len(batch) <= 700
    assert all(t0 - 0.01 <= r.received <= t1 for r in batch)
    # the model ran ~600x: its clock moved about ten minutes in that second
    assert src.simulator is not None and 400 < src.simulator.now - t0 < 900
    store = StatusStore.for_networks(sample_scene.networks)  # real clock: nothing "future"
    assert store.ingest(batch).accepted == len(batch)
    assert src.states_seen() == ["connected", "stopped"]


# -- record and replay -------------------------------------------------------------
def _state(store: StatusStore) -> tuple:
    return (
        store.code.tobytes(),
        store.time.tobytes(),
        store.value.tobytes(),
        store.h_time.tobytes(),
        store.h_code.tobytes(),
        store.h_next.tobytes(),
        list(store.text),
        {k: v.to_dict() | {"state": "", "detail": ""} for k, v in store.stats.items()},
    )


def test_replay_of_a_recording_is_deterministic_and_faithful(sample_scene, tmp_path) -> None:
    sim = Simulator(
        sample_scene.networks, seed=4, start=START, rate=2.0, source="sim", snapshot=False
    )
    msgs = sim.messages_between(START, START + 3600)
    # A recording holds what arrived, malformed messages included.
    from alatau_twin.core.status import RawMessage

    msgs.insert(100, RawMessage("alatau/power/P-TS-GATE-01/status", b"{oops", START + 5, "sim"))
    log = tmp_path / "session.jsonl"
    with Recorder(log) as rec:
        rec.put_many(msgs)
    direct = _store(sample_scene)
    direct.ingest(msgs)

    states = []
    for _ in range(2):
        store = _store(sample_scene)
        queue = MessageQueue()
        src = _run_replay(log, queue, name="sim", chunk=997)
        assert src.state == "finished" and src.sent == len(msgs)
        while len(queue):
            queue.drain_into(store, max_items=1500)  # batch edges differ from the replay's
        states.append(_state(store))
    assert states[0] == states[1]
    assert states[0] == _state(direct)
    assert direct.stats["sim"].rejected == Counter({"malformed json": 1})


def test_replay_speed_follows_timestamp_gaps(tmp_path) -> None:
    log = tmp_path / "slow.jsonl"
    lines = [
        {"network": "power", "id": "P-TS-GATE-01", "status": "ok", "time": START + i}
        for i in range(4)
    ]
    log.write_text("".join(json.dumps(x) + "\n" for x in lines))
    for speed, lo, hi in ((10.0, 0.27, 1.5), (0.0, 0.0, 0.25)):
        queue = MessageQueue()
        t0 = time.monotonic()
        _run_replay(log, queue, speed=speed)
        assert lo <= time.monotonic() - t0 <= hi
        assert len(queue) == 4


CRAFTED = [
    '{"topic": "alatau/power/P-TS-GATE-01/status", "payload": {"status": "ok", "time": %(t100)s}}',
    "this is not json",
    "[1, 2, 3]",
    '{"topic": "power/P-TS-GATE-01", "payload": {"status": "ok"}}',
    '{"network": "power", "id": "P-TS-GATE-01", "time": %(t90)s}',
    '{"network": "power", "id": "P-TS-GATE-01", "status": "ok", "value": "high", "time": %(t80)s}',
    '{"network": "power", "id": "P-TS-GATE-01", "status": "exploded", "time": %(t70)s}',
    '{"network": "gas", "id": "G-1", "status": "ok", "time": %(t60)s}',
    '{"network": "power", "id": "P-NOPE", "status": "ok", "time": %(t60)s}',
    '{"network": "power", "id": "P-TS-GATE-01", "status": "FAULT", "time": "%(iso50)s"}',
    '{"network": "power", "id": "P-TS-GATE-01", "status": "ok", "time": %(t200)s}',
    '{"network": "power", "id": "P-TS-GATE-01", "status": "ok", "time": %(tfuture)s}',
    '{"feature_id": "GATE-ICONIC-1", "percent": 40, "time": %(t10)s}',
    '{"feature_id": "GATE-ICONIC-1", "percent": 140, "time": %(t10)s}',
    '{"hello": "world"}',
]


def test_bad_input_is_counted_by_reason_and_never_stops_the_feed(sample_scene, tmp_path) -> None:
    now = START
    fill = {
        "t100": now - 100,
        "t90": now - 90,
        "t80": now - 80,
        "t70": now - 70,
        "t60": now - 60,
        "iso50": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 50)),
        "t200": now - 200,
        "tfuture": now + DAY,
        "t10": now - 10,
    }
    ids = sample_scene.networks["water"].node_ids
    lines = [line % fill for line in CRAFTED]
    lines += [
        json.dumps({"network": "water", "id": ids[i % len(ids)], "status": "ok", "time": now - 5})
        for i in range(300)
    ]
    log = tmp_path / "crafted.jsonl"
    log.write_text("\n".join(lines) + "\n")

    store = _store(sample_scene, now=now)
    queue = MessageQueue(maxlen=len(CRAFTED) + 100)  # the 300-line burst floods it
    src = _run_replay(log, queue, name="crafted", backpressure=False)
    assert src.state == "finished"
    result = queue.drain_into(store)
    st = store.stats["crafted"]
    assert dict(st.rejected) == {
        "malformed json": 1,
        "not an object": 1,
        "bad topic": 1,
        "missing field": 2,  # no status; a record with no network/id/topic at all
        "wrong type": 2,  # value "high"; percent 140
        "bad status": 1,
        "unknown network": 1,
        "unknown element": 1,
        "out of order": 1,
        "future timestamp": 1,
        "flood": 200,
    }
    assert st.accepted == 3 + 100  # ok, FAULT (case-insensitive), progress + the first 100
    assert result.rejected["flood"] == 200
    assert store.status_of("power", "P-TS-GATE-01") == "fault"
    # The line number of a line that is not a message shows in the example.
    assert "crafted.jsonl/line 2/" in st.examples["malformed json"]
    assert "line 3/" in st.examples["not an object"]
    assert "P-NOPE" in st.examples["unknown element"]


def test_csv_logs_replay_status_and_construction_rows(sample_scene, tmp_path) -> None:
    log = tmp_path / "ops.csv"
    log.write_text(
        "time,network,id,status,value,unit,message,percent\n"
        f"{START - 30},power,P-TS-GATE-01,degraded,93.5,%,hot afternoon,\n"
        "2026-09-21T14:13:00Z,water,W-BOOST,fault,,,pump failure,\n"
        f"{START - 10},power,P-TS-GATE-01,ok,high,%,,\n"
        f"{START - 5},construction,GATE-ICONIC-1,,,,,55.5\n"
        f"{START - 5},power,P-TS-GATE-02\n"
    )
    msgs = read_log(log, source="csv")
    assert len(msgs) == 5
    store = _store(sample_scene, now=START)
    result = store.ingest(msgs)
    assert store.status_of("power", "P-TS-GATE-01") == "degraded"
    assert store.value[store.row("power", "P-TS-GATE-01")] == 93.5
    assert store.status_of("water", "W-BOOST") == "fault"
    assert [p.percent for p in result.progress] == [55.5]
    assert dict(store.stats["csv"].rejected) == {"wrong type": 1, "missing field": 1}
    bad = tmp_path / "noheader.csv"
    bad.write_text("1,power,P-TS-GATE-01,ok\n")
    with pytest.raises(FeedError, match="header"):
        ReplaySource(bad)


# -- URLs --------------------------------------------------------------------------
def test_feed_urls_open_the_right_sources(sample_scene, tmp_path) -> None:
    log = tmp_path / "a b.jsonl"
    log.write_text("")
    nets = sample_scene.networks
    sim = open_feed("sim:?seed=7&rate=200&speedup=30", nets)
    assert isinstance(sim, SimulatorSource)
    assert (sim.seed, sim.rate, sim.speedup, sim.name) == (7, 200.0, 30.0, "sim")
    assert open_feed("sim:", nets, rate=5).rate == 5.0  # keywords win over the query
    rep = open_feed(f"file:{log}?speed=10", nets)
    assert isinstance(rep, ReplaySource) and rep.speed == 10.0 and rep.path == log
    assert open_feed(f"file://{log}", None).path == log
    mq = open_feed("mqtt://ops:s%3Acret@broker.example:1884/alatau/power/#?reconnect_max=5", nets)
    o = mq.options
    assert (o.host, o.port, o.topic, o.username, o.password) == (
        "broker.example",
        1884,
        "alatau/power/#",
        "ops",
        "s:cret",
    )
    assert o.reconnect_max == 5 and not o.tls
    assert "s:cret" not in mq.name  # the password never shows in a source name
    tls = open_feed("mqtts://broker.example?insecure=1", nets).options
    assert tls.tls and tls.port == 8883 and tls.insecure and tls.topic == "alatau/#"
    for url, message in (
        ("http://example.com/feed", "unknown feed"),
        ("sim:?sead=7", "unknown option 'sead'"),
        ("sim:?rate=fast", "must be float"),
        ("file:", "names no file"),
        (f"file:{tmp_path}/missing.jsonl", "does not exist"),
        ("mqtt://:1883", "no host"),
        ("mqtts://h?ca=/nonexistent/ca.pem", None),
    ):
        if message is None:
            src = open_feed(url, nets)  # the CA is only read when connecting
            with pytest.raises(FeedError, match="does not exist"):
                src.start(MessageQueue())
            continue
        with pytest.raises(FeedError, match=message):
            open_feed(url, nets)
    with pytest.raises(FeedError, match="needs a scene with networks"):
        open_feed("sim:", {})


def test_recording_tees_a_live_feed_to_a_replayable_log(sample_scene, tmp_path) -> None:
    log = tmp_path / "rec" / "live.jsonl"
    queue = MessageQueue()
    src = open_feed("sim:?rate=300&speedup=120&tick=0.05", sample_scene.networks, record=str(log))
    src.start(queue)
    time.sleep(0.6)
    src.stop()
    assert src.join(5)
    batch, _ = queue.drain()
    replayed = read_log(log, source="sim")
    assert len(replayed) == len(batch) > 50
    for a, b in zip(batch, replayed, strict=True):
        assert (a.topic, a.source) == (b.topic, b.source)
        assert math.isclose(a.received, b.received, abs_tol=1e-6)
        assert json.loads(a.payload) == json.loads(b.payload)
