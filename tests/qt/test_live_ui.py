"""Live status in the real window under Xvfb: what a user sees when messages arrive.

Messages go through the real ``MessageQueue`` and the window's own pump timer (or a
real feed: the simulator, a replayed log file, a Mosquitto broker); we look at pixels,
table rows, labels and the camera, never at mocks.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from alatau_twin.core.live import LOSS_COLORS
from alatau_twin.core.status import RawMessage
from alatau_twin.core.views import CameraView

pytestmark = pytest.mark.qt


def show(window, qtbot) -> None:
    with qtbot.waitSignal(window.first_frame, timeout=30_000):
        window.show()
        window.scheduler.request()


def status(eid: str, word: str, t: float | None = None, network: str = "power", **kw) -> RawMessage:
    t = time.time() if t is None else t
    body = json.dumps({"status": word, "time": t, **kw})
    return RawMessage(f"alatau/{network}/{eid}/status", body, time.time(), "test")


def radial_transformer(scene) -> tuple[str, set[str]]:
    """A transformer whose outage darkens exactly the buildings it serves."""
    net = scene.networks["power"]
    points = scene.layers["Power stations"]
    for tid, typ in zip(points.table["id"], points.table["type"], strict=True):
        served = set(net.serves.get(str(tid), []))
        if typ == "transformer" and served and net.buildings_without_supply([tid]) == served:
            return str(tid), served
    raise AssertionError("no transformer found")


def look_down_at(window, layer: str, row: int, distance: float = 900.0) -> tuple[float, ...]:
    """Camera straight above a point feature; returns the feature's position."""
    pos = tuple(float(v) for v in window.scene.layers[layer].points[row])
    window.scene_view.apply_view(CameraView.orbit("probe", pos, distance, elevation=89.0))
    window.render_now()
    return pos


def pixels_around(window, pos, radius: int = 3) -> np.ndarray:
    """Rendered RGB pixels around a world position (a (k, 3) array)."""
    ren = window.plotter.renderer
    ren.SetWorldPoint(*pos, 1.0)
    ren.WorldToDisplay()
    dx, dy, _ = ren.GetDisplayPoint()
    img = np.asarray(window.plotter.screenshot(None, return_img=True))
    h = img.shape[0]
    y, x = h - 1 - round(dy), round(dx)
    patch = img[max(0, y - radius) : y + radius + 1, max(0, x - radius) : x + radius + 1, :3]
    return patch.reshape(-1, 3).astype(int)


def is_red(px: np.ndarray) -> np.ndarray:
    return (px[:, 0] > 150) & (px[:, 0] > 2.2 * px[:, 1]) & (px[:, 0] > 2.2 * px[:, 2])


def wait_pumped(qtbot, window, n_before: int, timeout: int = 5000) -> None:
    qtbot.waitUntil(lambda: window.live.controller.pumps > n_before, timeout=timeout)


def test_a_fault_through_the_queue_turns_the_element_red_and_adds_an_alarm(
    make_window, qtbot, fresh_sample_scene
) -> None:
    window = make_window(fresh_sample_scene)
    show(window, qtbot)
    tid, served = radial_transformer(fresh_sample_scene)
    points = fresh_sample_scene.layers["Power stations"]
    pos = look_down_at(window, "Power stations", points.table.index_of(tid))
    assert not is_red(pixels_around(window, pos)).any(), "the transformer is red before the fault"

    ctl = window.live.controller
    adapter = window.scene_view.adapters["Buildings"]
    mesh, rgb = adapter.mesh, adapter.mesh.cell_data["rgb"].view(np.ndarray)
    n = ctl.pumps
    ctl.queue.put(status(tid, "fault", message="transformer trip"))
    wait_pumped(qtbot, window, n)
    window.render_now()
    # In place: the same VTK mesh and colour buffer, no geometry rebuilt.
    assert window.scene_view.adapters["Buildings"].mesh is mesh
    assert np.shares_memory(adapter.mesh.cell_data["rgb"].view(np.ndarray), rgb)
    assert is_red(pixels_around(window, pos)).sum() >= 4, "the faulted transformer is not red"

    buildings = fresh_sample_scene.layers["Buildings"]
    dark = {
        str(buildings.table["id"][r])
        for r in np.flatnonzero(np.all(buildings.colors == LOSS_COLORS["power"], axis=1))
    }
    assert dark == served
    dock = window.live.alarms
    dock.refresh(force=True)
    rows = [(a.element_id, a.severity_name, a.message) for a in dock.model.alarms]
    assert rows == [(tid, "critical", "transformer trip")]
    assert dock.model.data(dock.model.index(0, 3)) == tid
    assert "1 alarm" in window.live.badge.text()
    # The presenter's KPI strip reads the same live state.
    kpis = window.kpi_provider()
    assert kpis["Active alarms"] == "1 (1 critical)"
    assert float(kpis["Network availability"].rstrip("%")) < 100.0


def test_acknowledging_an_alarm_marks_it_and_calms_the_badge(
    make_window, qtbot, fresh_sample_scene
) -> None:
    window = make_window(fresh_sample_scene)
    show(window, qtbot)
    tid, _ = radial_transformer(fresh_sample_scene)
    ctl, dock = window.live.controller, window.live.alarms
    n = ctl.pumps
    ctl.queue.put_many([status(tid, "fault"), status("P-SUP-220", "degraded")])
    wait_pumped(qtbot, window, n)
    dock.refresh(force=True)
    assert "new" in window.live.badge.text()
    assert [a.severity_name for a in dock.model.alarms] == ["critical", "warning"]

    dock.table.selectRow(0)
    qtbot.mouseClick(dock.ack_button, Qt.MouseButton.LeftButton)
    assert dock.model.data(dock.model.index(0, 5)) == "✓"
    assert dock.model.data(dock.model.index(1, 5)) == ""
    qtbot.mouseClick(dock.ack_all_button, Qt.MouseButton.LeftButton)
    assert all(a.acknowledged for a in dock.model.alarms)
    assert "new" not in window.live.badge.text()
    assert not dock.ack_all_button.isEnabled()
    kinds = [e.kind for e in ctl.live.alarms.events]
    assert kinds.count("acknowledged") == 2


def test_clicking_an_alarm_selects_the_element_and_flies_the_camera_there(
    make_window, qtbot, fresh_sample_scene
) -> None:
    window = make_window(fresh_sample_scene)
    show(window, qtbot)
    window.go_to_view("overview", duration_ms=0)
    tid, _ = radial_transformer(fresh_sample_scene)
    points = fresh_sample_scene.layers["Power stations"]
    target = points.points[points.table.index_of(tid)]
    ctl, dock = window.live.controller, window.live.alarms
    n = ctl.pumps
    ctl.queue.put(status(tid, "offline"))
    wait_pumped(qtbot, window, n)
    dock.show_tab("alarms")
    far = np.linalg.norm(np.array(window.plotter.camera.focal_point) - target)

    rect = dock.table.visualRect(dock.model.index(0, 3))
    qtbot.mouseClick(dock.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert fresh_sample_scene.selection.layer == "Power stations"
    assert fresh_sample_scene.selection.rows == (points.table.index_of(tid),)
    qtbot.waitUntil(lambda: not window.flight.running, timeout=5000)
    near = np.linalg.norm(np.array(window.plotter.camera.focal_point) - target)
    assert near < 50.0 < far
    assert "Live status" in window.live.panel.status.text()
    assert "OFFLINE" in window.live.panel.status.text()


def test_selecting_an_element_and_toggling_what_if_shows_the_impact(
    make_window, qtbot, fresh_sample_scene
) -> None:
    window = make_window(fresh_sample_scene)
    show(window, qtbot)
    tid, served = radial_transformer(fresh_sample_scene)
    points = fresh_sample_scene.layers["Power stations"]
    fresh_sample_scene.select("Power stations", [points.table.index_of(tid)])
    panel = window.live.panel
    assert panel.isVisible() and panel.what_if_button.isVisible()
    assert panel.impact.text() == ""

    qtbot.mouseClick(panel.what_if_button, Qt.MouseButton.LeftButton)
    assert panel.what_if_button.isChecked()
    text = panel.impact.text()
    assert f"{len(served):,} buildings" in text and "residents" in text
    live = window.live.controller.live
    assert set(live.without_supply("power")) == served
    assert panel.clear_button.isVisible()
    # The legend says what the grey element is.
    labels = [label for label, _ in window.scene_view.legend_entries()]
    assert "what-if outage" in labels

    qtbot.mouseClick(panel.clear_button, Qt.MouseButton.LeftButton)
    assert live.without_supply("power") == []
    assert not panel.what_if_button.isChecked()
    assert panel.impact.text() == ""

    qtbot.mouseClick(panel.trace_button, Qt.MouseButton.LeftButton)
    assert live.trace_element == ("power", tid)


def test_messages_are_decoded_in_the_child_process_and_reach_the_overlay(
    make_window, qtbot, fresh_sample_scene
) -> None:
    window = make_window(fresh_sample_scene)
    show(window, qtbot)
    ctl = window.live.controller
    decoder = ctl.decoder
    assert decoder is not None
    qtbot.waitUntil(lambda: decoder.ready, timeout=30_000)  # the viewer never waits
    proc = decoder.process
    assert proc.is_alive() and proc.pid != os.getpid()
    maps = Path(f"/proc/{proc.pid}/maps")
    if maps.exists():  # Linux: the child loaded neither Qt nor VTK (a lean spawn)
        libs = maps.read_text()
        assert "Qt6" not in libs and "vtk" not in libs.lower()
    tid, served = radial_transformer(fresh_sample_scene)
    others = [e for e in ctl.live.store.networks["water"]][:100]
    n = ctl.pumps
    ctl.queue.put_many(  # more than a small batch: this one goes to the child
        [
            *(status(e, "ok", network="water") for e in others),
            status(tid, "fault", message="transformer trip", value=12.5, unit="kV"),
            RawMessage("alatau/power/NO-SUCH/status", b'{"status": "ok"}', time.time(), "x"),
            RawMessage("alatau/power/P-SUP-220/status", b"{oops", time.time(), "x"),
        ]
    )
    wait_pumped(qtbot, window, n)
    assert ctl.last_update.accepted == len(others) + 1
    assert decoder.stats.batches == 1 and decoder.stats.local_batches == 0
    assert decoder.fallback_reason is None
    store = ctl.live.store
    assert store.status_of("power", tid) == "fault"
    row = store.row("power", tid)
    assert (store.value[row], store.unit[row], store.text[row]) == (12.5, "kV", "transformer trip")
    assert dict(store.stats["x"].rejected) == {"unknown element": 1, "malformed json": 1}
    assert ("power", tid) in ctl.live.alarms.active
    assert set(ctl.live.without_supply("power")) == served
    buildings = fresh_sample_scene.layers["Buildings"]
    dark = {
        str(buildings.table["id"][r])
        for r in np.flatnonzero(np.all(buildings.colors == LOSS_COLORS["power"], axis=1))
    }
    assert dark == served
    window.close()  # the scene's controller closes its decode process with it
    assert not proc.is_alive()


def test_five_thousand_messages_in_one_turn_make_at_most_one_render(
    make_window, qtbot, fresh_sample_scene
) -> None:
    window = make_window(fresh_sample_scene)
    show(window, qtbot)
    qtbot.wait(300)  # let the first frame's follow-ups (locators, legend) settle
    ctl = window.live.controller
    ids = ctl.live.store.networks["power"]
    names = list(ids)
    rng = np.random.default_rng(3)
    now = time.time()
    words = ("ok", "degraded", "fault", "maintenance")
    batch = [
        status(names[i], words[w], now + k * 1e-3, value=float(k % 97))
        for k, (i, w) in enumerate(
            zip(rng.integers(0, len(names), 5000), rng.integers(0, 4, 5000), strict=True)
        )
    ]
    frames, n = window.scheduler.frames, ctl.pumps
    assert ctl.queue.put_many(batch) == 5000
    wait_pumped(qtbot, window, n)
    qtbot.wait(400)
    assert ctl.last_update.accepted == 5000
    assert ctl.last_update.status_changes > 100
    assert window.scheduler.frames - frames == 1


def test_the_charts_draw_the_selection_history_counts_and_availability(
    make_window, qtbot, fresh_sample_scene
) -> None:
    window = make_window(fresh_sample_scene)
    show(window, qtbot)
    ctl = window.live.controller
    ctl.live.sample_every_s = 0.0  # a timeline sample per batch, not per second
    tid, _ = radial_transformer(fresh_sample_scene)
    t0 = time.time() - 100
    for k, word in enumerate(("ok", "ok", "degraded", "fault", "ok")):
        n = ctl.pumps
        ctl.queue.put(status(tid, word, t0 + 10 * k, value=40.0 + k, unit="%"))
        wait_pumped(qtbot, window, n)
    points = fresh_sample_scene.layers["Power stations"]
    fresh_sample_scene.select("Power stations", [points.table.index_of(tid)])
    charts = window.live.charts
    charts.show()
    charts.refresh()
    x, y = charts.value_curve.getData()
    assert list(y) == [40.0, 41.0, 42.0, 43.0, 44.0]
    assert np.allclose(x, [t0 + 10 * k for k in range(5)])
    assert f"{tid}: value (%)" in charts.value_plot.getPlotItem().titleLabel.text
    _, faults = charts.count_curves["fault"].getData()
    assert len(faults) == 5 and max(faults) == 1 and faults[-1] == 0
    _, power = charts.avail_curves["power"].getData()
    assert power.min() < 100.0 and power[-1] == 100.0


def test_the_status_bar_shows_each_feeds_state_and_the_menu_follows(
    make_window, qtbot, fresh_sample_scene, tmp_path
) -> None:
    window = make_window(fresh_sample_scene)
    show(window, qtbot)
    tools = window.live
    assert tools.feed_status.text() == "● no live feed"
    assert not window.live_menu.sim_action.isChecked()

    window.live_menu.sim_action.trigger()  # Feeds > Simulator
    qtbot.waitUntil(lambda: "● simulator" in tools.feed_status.text(), timeout=10_000)
    assert window.live_menu.sim_action.isChecked()
    qtbot.waitUntil(lambda: tools.controller.live.store.stats["sim"].accepted > 0, timeout=10_000)

    tid, _ = radial_transformer(fresh_sample_scene)
    log = tmp_path / "day.jsonl"
    t = time.time() + 100  # after anything the simulator said about it
    lines = [{"network": "power", "id": tid, "status": "ok", "time": t + k} for k in range(30)]
    log.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    tools.connect(f"file:{log}")
    qtbot.waitUntil(lambda: "replay finished" in tools.feed_status.text(), timeout=10_000)
    stats = tools.controller.live.store.stats
    qtbot.waitUntil(lambda: stats[f"file:{log}"].accepted == 30, timeout=5000)

    tools.connect("file:/no/such/log.jsonl")  # a problem is reported, not raised
    assert "does not exist" in window.messages.item(window.messages.count() - 1).text()

    window.live_menu.disconnect_action.trigger()
    assert tools.feed_status.text() == "● no live feed"
    assert not window.live_menu.sim_action.isChecked()


def test_a_malformed_message_is_counted_in_the_sources_tab_and_the_viewer_keeps_working(
    make_window, qtbot, fresh_sample_scene
) -> None:
    window = make_window(fresh_sample_scene)
    show(window, qtbot)
    ctl, dock = window.live.controller, window.live.alarms
    n = ctl.pumps
    ctl.queue.put_many(
        [
            RawMessage("alatau/power/P-SUP-220/status", b"{oops", time.time(), "broker-a"),
            RawMessage("alatau/power/P-SUP-220/status", b"\xff\xfe", time.time(), "broker-a"),
            RawMessage("alatau/power", b"{}", time.time(), "broker-a"),
        ]
    )
    wait_pumped(qtbot, window, n)
    dock.show_tab("sources")
    top = [dock.sources.topLevelItem(i) for i in range(dock.sources.topLevelItemCount())]
    item = next(i for i in top if i.text(0) == "broker-a")
    assert item.text(3) == "3"
    reasons = {item.child(k).text(0): item.child(k).text(3) for k in range(item.childCount())}
    assert reasons == {"malformed json": "2", "bad topic": "1"}
    assert "e.g. alatau/power" in item.child(0).text(4)
    assert "3 rejected" not in window.live.feed_status.text()  # not a feed of ours

    tid, _ = radial_transformer(fresh_sample_scene)
    n = ctl.pumps
    ctl.queue.put(status(tid, "fault"))
    wait_pumped(qtbot, window, n)
    assert ("power", tid) in ctl.live.alarms.active
    assert window.render_now() > 0


def test_the_window_connects_to_a_real_mqtt_broker_and_shows_a_published_fault(
    make_window, qtbot, fresh_sample_scene, tmp_path
) -> None:
    paho = pytest.importorskip("paho.mqtt.client")
    from tests.live.conftest import MOSQUITTO, Broker

    if MOSQUITTO is None:
        pytest.skip("mosquitto is not installed (apt install mosquitto)")
    broker = Broker(tmp_path)
    broker.start()
    try:
        window = make_window(fresh_sample_scene)
        show(window, qtbot)
        tools = window.live
        tools.connect(broker.url + "/alatau/#")
        qtbot.waitUntil(lambda: "MQTT connected" in tools.feed_status.text(), timeout=10_000)
        assert f"127.0.0.1:{broker.port}" in tools.feed_status.text()

        tid, served = radial_transformer(fresh_sample_scene)
        client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id="alatau-ui-test")
        client.connect("127.0.0.1", broker.port)
        client.loop_start()
        try:
            info = client.publish(
                f"alatau/power/{tid}/status",
                json.dumps({"status": "fault", "message": "published fault"}),
                qos=1,
            )
            info.wait_for_publish(5)
        finally:
            client.disconnect()
            client.loop_stop()
        live = tools.controller.live
        qtbot.waitUntil(lambda: ("power", tid) in live.alarms.active, timeout=10_000)
        assert set(live.without_supply("power")) == served
        tools.alarms.refresh(force=True)
        assert tools.alarms.model.alarms[0].message == "published fault"
        window.live_menu.disconnect_action.trigger()
        assert tools.feed_status.text() == "● no live feed"
    finally:
        broker.stop()


def test_the_mqtt_dialog_turns_its_fields_into_a_feed(make_window, qtbot, sample_scene) -> None:
    from alatau_twin.io.feeds.urls import parse_mqtt_url
    from alatau_twin.ui.live import MqttDialog

    window = make_window(sample_scene)
    dialog = MqttDialog(window)
    dialog.url.setText("mqtt://broker.example:8883")
    dialog.topic.setText("alatau/power/#")
    dialog.username.setText("ops")
    dialog.password.setText("s3cret")
    dialog.ca.setText("/etc/ssl/ca.pem")
    dialog.insecure.setChecked(True)
    url, options = dialog.feed()
    opts = parse_mqtt_url(url, **options)
    assert (opts.host, opts.port, opts.topic) == ("broker.example", 8883, "alatau/power/#")
    assert (opts.username, opts.password, opts.ca, opts.tls, opts.insecure) == (
        "ops",
        "s3cret",
        "/etc/ssl/ca.pem",
        True,
        True,
    )
    dialog.deleteLater()


def test_while_the_camera_moves_the_feed_is_applied_in_bigger_batches_and_nothing_is_lost(
    make_window, qtbot, fresh_sample_scene
) -> None:
    """An orbiting camera (a drag, a flight) makes the viewport 'moving': the pump then
    applies at most every BUSY_PUMP_S, the messages wait in the queue, and once the
    camera stops every message has been applied."""
    window = make_window(fresh_sample_scene)
    show(window, qtbot)
    ctl = window.live.controller
    tid, _served = radial_transformer(fresh_sample_scene)
    qtbot.waitUntil(lambda: not window.plotter.moving(), timeout=2000)  # the first frames
    cam = window.plotter.camera
    applied_at: list[float] = []
    ctl.updated.connect(lambda _up: applied_at.append(time.perf_counter()))
    before = ctl.live.store.source("test").accepted
    sent = 0
    end = time.perf_counter() + 2.0
    while time.perf_counter() < end:  # orbit one frame per turn, feeding as we go
        ctl.queue.put_many([status(tid, "ok", value=float(sent))])
        sent += 1
        cam.azimuth += 0.5
        window.render_now()
        assert window.plotter.moving()
        qtbot.wait(20)
    gaps = np.diff(applied_at)
    assert len(gaps) >= 3 and gaps.min() >= ctl.BUSY_PUMP_S * 0.9, gaps
    qtbot.waitUntil(lambda: not window.plotter.moving(), timeout=2000)
    qtbot.waitUntil(lambda: ctl.live.store.source("test").accepted - before == sent, timeout=5000)
