"""The live overlay on the real sample (and a synthetic city): faults shade exactly the
buildings that lose supply, alarms follow, colours change in place, the time cursor
replays history, what-if counts buildings and residents. No mocks: real scenes, real
messages through the real store."""

from __future__ import annotations

import json

import numpy as np
import pytest

from alatau_twin.core.live import (
    LOSS_COLORS,
    STATUS_COLORS,
    TRACE_UP,
    WHAT_IF_COLOR,
    LiveStatus,
)
from alatau_twin.core.status import CUTS_SUPPLY, RawMessage, StatusMessage

T0 = 1_800_000_000.0  # a fixed "now" (2027-01-15) so tests do not depend on the clock


def status(network: str, eid: str, word: str, t: float, **extra) -> RawMessage:
    body = {"status": word, "time": t, **extra}
    return RawMessage(f"alatau/{network}/{eid}/status", json.dumps(body), t, "test")


def push(live: LiveStatus, *raws: RawMessage):
    return live.apply(live.store.ingest(list(raws)))


def radial_feeder(scene) -> tuple[str, str, set[str]]:
    """A 10 kV feeder whose outage darkens exactly its transformer's buildings."""
    net = scene.networks["power"]
    ends = net.link_endpoints()
    lines = scene.layers["Power lines"]
    for lid, typ in zip(lines.table["id"], lines.table["type"], strict=True):
        if typ != "10 kV feeder":
            continue
        head = ends[lid][1]
        served = set(net.serves.get(head, []))
        if served and net.buildings_without_supply([lid]) == served:
            return str(lid), head, served
    raise AssertionError("the sample has no radial feeder")


@pytest.fixture()
def live(fresh_sample_scene):
    lv = LiveStatus(fresh_sample_scene, clock=lambda: T0 + 3600)
    yield lv
    lv.close()


def test_a_feeder_fault_shades_exactly_its_transformers_buildings_and_raises_a_critical_alarm(
    live,
):
    scene = live.scene
    feeder, _transformer, served = radial_feeder(scene)
    buildings = scene.layers["Buildings"]
    lines = scene.layers["Power lines"]
    before_b = buildings.colors.copy()
    before_l = lines.colors.copy()
    frow = lines.table.index_of(feeder)

    up = push(live, status("power", feeder, "fault", T0, message="cable fault"))

    assert up.status_changes == 1 and up.networks_traced == ["power"]
    assert set(live.without_supply("power")) == served
    rows = np.array([buildings.table.index_of(b) for b in served])
    dark = np.all(buildings.colors == LOSS_COLORS["power"], axis=1)
    assert set(np.flatnonzero(dark)) == set(rows.tolist())
    others = np.ones(buildings.n_features, bool)
    others[rows] = False
    assert np.array_equal(buildings.colors[others], before_b[others])
    assert tuple(lines.colors[frow]) == STATUS_COLORS["fault"]
    alarm = live.alarms.active[("power", feeder)]
    assert alarm.severity_name == "critical" and alarm.message == "cable fault"
    assert live.availability()["power"] < 1.0

    up = push(live, status("power", feeder, "ok", T0 + 60))
    assert live.alarms.active == {}
    assert live.without_supply("power") == []
    assert np.array_equal(buildings.colors, before_b)
    assert np.array_equal(lines.colors, before_l)
    assert [e.kind for e in live.alarms.events] == ["raised", "cleared"]


def test_colours_change_in_place_on_the_same_layers_for_the_changed_rows_only(live):
    scene = live.scene
    feeder, _, served = radial_feeder(scene)
    buildings = scene.layers["Buildings"]
    lines = scene.layers["Power lines"]
    ids = (id(buildings), id(buildings.colors), id(lines), id(lines.colors))
    emitted: dict[str, list] = {"Buildings": [], "Power lines": [], "other": []}

    def recorder(name):
        return lambda rows: emitted[name].append(rows)

    slots = {}
    for layer in scene.layers:
        name = layer.name if layer.name in emitted else "other"
        slots[layer.name] = recorder(name)
        layer.colors_changed.connect(slots[layer.name])
    try:
        push(live, status("power", feeder, "fault", T0))
    finally:
        for layer in scene.layers:
            layer.colors_changed.disconnect(slots[layer.name])

    assert ids == (id(buildings), id(buildings.colors), id(lines), id(lines.colors))
    assert scene.layers["Buildings"] is buildings
    # One partial update per layer, never "all rows" (None), never another layer.
    assert emitted["other"] == []
    assert [r is None for r in emitted["Buildings"] + emitted["Power lines"]] == [False, False]
    (brows,) = emitted["Buildings"]
    assert {str(buildings.table["id"][r]) for r in brows} == served
    (lrows,) = emitted["Power lines"]
    assert lrows.tolist() == [lines.table.index_of(feeder)]


def test_bad_out_of_order_and_unknown_messages_are_counted_by_reason_and_change_nothing(live):
    feeder, _, _ = radial_feeder(live.scene)
    push(live, status("power", feeder, "ok", T0))
    colors = live.scene.layers["Buildings"].colors.copy()
    up = push(
        live,
        status("power", feeder, "fault", T0 - 10),  # older than what we have
        status("power", "NO-SUCH-ELEMENT", "fault", T0),
        status("gas", "G1", "fault", T0),
        RawMessage(f"alatau/power/{feeder}/status", b"{not json", T0, "test"),
        RawMessage(f"alatau/power/{feeder}/status", '{"status": "on fire"}', T0, "test"),
    )
    assert up.accepted == 0 and up.rejected == 5 and up.status_changes == 0
    stats = live.store.stats["test"]
    assert dict(stats.rejected) == {
        "out of order": 1,
        "unknown element": 1,
        "unknown network": 1,
        "malformed json": 1,
        "bad status": 1,
    }
    assert "NO-SUCH-ELEMENT" in stats.examples["unknown element"]
    assert live.store.status_of("power", feeder) == "ok"
    assert live.alarms.active == {}
    assert np.array_equal(live.scene.layers["Buildings"].colors, colors)


def test_the_time_cursor_replays_statuses_and_lost_supply_as_they_were(live):
    feeder, _, served = radial_feeder(live.scene)
    push(live, status("power", feeder, "ok", T0))
    push(live, status("power", feeder, "fault", T0 + 100))
    push(live, status("power", feeder, "ok", T0 + 200))
    assert live.without_supply("power") == []

    live.set_view_time(T0 + 150)
    row = live.store.row("power", feeder)
    assert live.codes_now()[row] in CUTS_SUPPLY
    assert set(live.without_supply("power")) == served
    lines = live.scene.layers["Power lines"]
    assert tuple(lines.colors[lines.table.index_of(feeder)]) == STATUS_COLORS["fault"]

    live.set_view_time(T0 + 50)
    assert live.without_supply("power") == []
    live.set_view_time(None)
    assert live.without_supply("power") == []
    assert live.store.status_of("power", feeder) == "ok"


def test_supply_trace_matches_the_network_for_random_cuts(fresh_sample_scene):
    live = LiveStatus(fresh_sample_scene, clock=lambda: T0)
    rng = np.random.default_rng(5)
    try:
        for name, net in fresh_sample_scene.networks.items():
            ids = net.element_ids()
            for k in (1, 3, 10, 40):
                cut = [ids[i] for i in rng.choice(len(ids), k, replace=False)]
                expected = net.buildings_without_supply(cut)
                got = live._lost_mask(name, cut)
                assert {live._bkey_ids[i] for i in np.flatnonzero(got)} == expected, (name, cut)
    finally:
        live.close()


def test_what_if_counts_the_buildings_and_residents_that_lose_supply():
    from alatau_twin.io.synthetic import add_synthetic_power_network, synthetic_city_scene

    scene = synthetic_city_scene(3000)
    add_synthetic_power_network(scene, substations=4, feeders_per_substation=4)
    net = scene.networks["power"]
    live = LiveStatus(scene, clock=lambda: T0)
    try:
        feeder = "SYN-F-01-02-03"  # the 4th segment of a feeder: everything beyond goes
        expected = net.what_if([feeder])
        assert expected, "the synthetic feeder serves buildings"
        table = scene.layers["Buildings"].table
        people = sum(float(table["residents"][table.index_of(b)]) for b in expected)

        impact = live.impact("power", [feeder])
        assert impact["buildings"] == len(expected)
        assert set(impact["building_ids"]) == expected
        assert impact["residents"] == round(people) > 0
        assert live.without_supply("power") == []  # impact() changes nothing

        live.set_out_of_service("power", [feeder], True)
        assert set(live.without_supply("power")) == expected
        assert live.what_if_impact()["residents"] == impact["residents"]
        lines = scene.layers["Power lines"]
        assert tuple(lines.colors[lines.table.index_of(feeder)]) == WHAT_IF_COLOR
        # A real fault upstream is not blamed on the what-if.
        push(live, status("power", "SYN-F-01-02-00", "fault", T0))
        assert live.what_if_impact()["buildings"] == 0
        live.clear_what_if()
        push(live, status("power", "SYN-F-01-02-00", "ok", T0 + 1))
        assert live.without_supply("power") == []
        assert tuple(lines.colors[lines.table.index_of(feeder)]) != WHAT_IF_COLOR
    finally:
        live.close()


def test_trace_tints_upstream_and_downstream_and_clears(live):
    scene = live.scene
    feeder, transformer, _served = radial_feeder(scene)
    lines = scene.layers["Power lines"]
    before = lines.colors.copy()
    trace = live.set_trace("power", feeder)
    assert trace.element == feeder and transformer in trace.downstream_nodes
    changed = np.flatnonzero(np.any(lines.colors != before, axis=1))
    assert len(changed) >= 1
    assert lines.table.index_of(feeder) not in changed.tolist()  # the element keeps its own
    assert ("trace: upstream", TRACE_UP) in live.legend_entries()
    live.set_trace(None)
    assert np.array_equal(lines.colors, before)


def test_a_storm_of_ten_thousand_changes_recolours_quickly_and_fully():
    """The benchmark's scenario in small: one batch, every element, then recovery."""
    from alatau_twin.io.synthetic import add_synthetic_power_network, synthetic_city_scene

    scene = synthetic_city_scene(20_000)
    add_synthetic_power_network(scene, substations=8, transformers_per_feeder=12)
    live = LiveStatus(scene, clock=lambda: T0 + 86_400)
    base = scene.layers["Buildings"].colors.copy()
    ids = list(live.store.networks["power"])
    try:
        faults = [StatusMessage("power", e, 2, T0 + i) for i, e in enumerate(ids)]
        up = live.apply(live.store.apply(faults))
        assert up.status_changes == len(ids) and len(live.alarms.active) == len(ids)
        assert live.availability()["power"] == 0.0
        assert np.all(scene.layers["Buildings"].colors == LOSS_COLORS["power"])
        ok = [StatusMessage("power", e, 0, T0 + 20_000 + i) for i, e in enumerate(ids)]
        live.apply(live.store.apply(ok))
        assert live.alarms.active == {} and live.availability()["power"] == 1.0
        assert np.array_equal(scene.layers["Buildings"].colors, base)
    finally:
        live.close()


def test_a_project_names_its_feeds_and_keeps_them_when_saved(tmp_path):
    from alatau_twin.core.scene import Scene
    from alatau_twin.io.project import apply_project_views, read_project, save_project

    project = tmp_path / "city.toml"
    project.write_text(
        'version = 1\ntitle = "t"\nsources = []\n'
        '[[feeds]]\nurl = "mqtt://broker:1883/alatau/#"\n'
        '[[feeds]]\nurl = "file:logs/day.jsonl?speed=10"\n'
    )
    doc = read_project(project)
    log = (tmp_path / "logs" / "day.jsonl").resolve()
    assert doc["feeds"] == ["mqtt://broker:1883/alatau/#", f"file:{log}?speed=10"]
    scene = Scene()
    apply_project_views(scene, doc)
    assert scene.metadata["feeds"] == doc["feeds"]
    again = read_project(save_project(scene, tmp_path / "copy.toml"))
    assert again["feeds"] == doc["feeds"]

    project.write_text('version = 1\n[[feeds]]\nname = "no url"\n')
    with pytest.raises(ValueError, match="feeds\\[0\\] needs a url"):
        read_project(project)


def test_live_progress_through_the_pipeline_grows_a_building_at_the_cursor(live):
    """A construction progress message (``alatau/construction/<id>/progress``) goes
    through the same queue and store as status, becomes an as-built report, and the
    building under the cursor grows in place."""
    scene = live.scene
    layer = scene.building_layers()[0]
    day = np.datetime64(int(T0), "s").astype("datetime64[D]")
    scene.set_date(day)
    # A building planned to start after the cursor: nothing built yet.
    ids = layer.table["id"]
    start = scene.schedule.planned_start[scene.schedule.rows_for(ids)]
    row = int(np.flatnonzero(start > day + 365)[0])
    fid = str(ids[row])
    assert layer.progress[row] == 0.0
    top_before = layer.mesh.points[:, 2].max()
    body = {"percent": 40.0, "time": T0}
    raw = RawMessage(f"alatau/construction/{fid}/progress", json.dumps(body), T0, "site")
    update = push(live, raw)
    assert update.progress == 1
    assert layer.progress[row] == pytest.approx(0.40)
    assert scene.schedule.actual_progress(day)[scene.schedule.row_of(fid)] == pytest.approx(0.4)
    assert layer.mesh.points[:, 2].max() >= top_before  # same mesh, points moved in place
    # An unknown feature is rejected with a reason, not silently applied.
    bad = RawMessage("alatau/construction/NOPE/progress", json.dumps(body), T0, "site")
    push(live, bad)
    assert live.store.stats["site"].rejected["unknown element"] == 1
