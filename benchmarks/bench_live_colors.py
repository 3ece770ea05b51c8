"""Live status on a 100k-building city: the cost of a batch of status changes.

A synthetic city of 100,000 buildings (``synthetic_city_scene``) gets a radial power
network (``add_synthetic_power_network``: 20 substations, 200 feeders, 5,000
transformers, ~10,000 elements, every building served by its nearest transformer), and
an off-screen ``SceneView`` draws it, so colour changes go all the way into the VTK
arrays as in the app. Every element first reports ``ok`` (not timed). Then a batch of
10,000 status changes (every element but a few flips: most to ``degraded``, 1 % to
``fault``) is applied, then the recovery batch (all back to ``ok``). Reports:

- ``live_colors_10k``: the colour update of one batch *before the render*: outage trace
  of the network + recolouring network elements and buildings in place + the render
  adapters' in-place VTK array writes (``LiveUpdate.seconds`` minus alarm bookkeeping),
  median of the fault and recovery batches over the repeats; target <= 10 ms. Baseline:
  what an overlay without in-place updates does, rebuilding the buildings' VTK mesh
  with the new colours; recolouring every feature from scratch in place
  (``LiveStatus.repaint``) is reported in the details;
- ``live_apply_10k``: all of ``LiveStatus.apply`` for the batch, i.e. plus raising or
  clearing 10,000 alarms and logging them (reported against the same baseline);
- ``live_colors_blackout``: the same with 10 % faults (95 % of the city loses power, so
  nearly every building's colour changes).

No Qt: the off-screen plotter is the same render adapter the window uses.
"""

from __future__ import annotations

import gc
import os
import statistics
import time
from typing import Any

from alatau_twin.benchmarking import BenchResult

NAME = "live_colors"
DESCRIPTION = (
    "100k-building city + 10k-element power network: colour update of a batch of 10,000 "
    "status changes (trace + in-place recolour + VTK arrays) vs recolouring from scratch"
)
TARGET_S = 0.010


def _scene(n: int) -> tuple[Any, dict[str, int]]:
    from alatau_twin.io.synthetic import add_synthetic_power_network, synthetic_city_scene

    scene = synthetic_city_scene(n)
    if n >= 100_000:
        counts = add_synthetic_power_network(scene)
    else:  # --quick: a smaller network for a smaller city
        counts = add_synthetic_power_network(scene, substations=8, transformers_per_feeder=12)
    return scene, counts


def _batches(live: Any, fault_share: float, seed: int, t0: float) -> tuple[list, list]:
    """(fault batch, recovery batch): 10,000 distinct elements each (or all there are)."""
    import numpy as np

    from alatau_twin.core.status import DEGRADED, FAULT, OK, StatusMessage

    ids = list(live.store.networks["power"])
    rng = np.random.default_rng(seed)
    pick = rng.permutation(len(ids))[: min(10_000, len(ids))]
    faults = rng.random(len(pick)) < fault_share
    bad = [
        StatusMessage("power", ids[i], FAULT if f else DEGRADED, t0 + k, 50.0, "%", "batch")
        for k, (i, f) in enumerate(zip(pick.tolist(), faults.tolist(), strict=True))
    ]
    good = [
        StatusMessage("power", ids[i], OK, t0 + 20_000 + k, 90.0, "%", "")
        for k, i in enumerate(pick.tolist())
    ]
    return bad, good


def _geometry_rebuild(scene: Any, repeat: int) -> float:
    """Median seconds to redraw the buildings the naive way: a new VTK mesh with the new
    colours, added to a plotter in place of the old one (no render)."""
    from alatau_twin.render.adapters import polydata_from_mesh
    from alatau_twin.render.offscreen import offscreen_plotter
    from alatau_twin.render.vtkkit import add_prop, mesh_actor

    layer = scene.building_layers()[0]
    scratch = offscreen_plotter((800, 600))
    times = []
    try:
        for _ in range(repeat):
            t = time.perf_counter()
            mesh = polydata_from_mesh(layer.mesh)
            mesh.cell_data["rgb"] = layer.colors[layer.mesh.cell_data["feature_index"]]
            actor = add_prop(scratch, mesh_actor(mesh, scalars="rgb"), "buildings")
            times.append(time.perf_counter() - t)
            scratch.remove_actor(actor, render=False)
    finally:
        scratch.close()
    return statistics.median(times)


def run(quick: bool = False) -> list[BenchResult]:
    from alatau_twin.core.live import LiveStatus
    from alatau_twin.core.status import OK, StatusMessage
    from alatau_twin.render.offscreen import offscreen_plotter
    from alatau_twin.render.scene_view import SceneView

    n = 20_000 if quick else 100_000
    repeat = 2 if quick else 5
    scene, counts = _scene(n)
    plotter = offscreen_plotter((800, 600))
    view = SceneView(plotter, scene)
    view.screenshot()  # a first render: the arrays are on the GPU as in a live window
    t_base = 1.9e9
    live = LiveStatus(scene, clock=lambda: t_base + 1e8)  # every batch is "in the past"
    ids = list(live.store.networks["power"])
    live.apply(live.store.apply([StatusMessage("power", e, OK, t_base) for e in ids]))
    gc.freeze()  # as the viewer does once a scene is loaded (see ui/live.py LiveTools)

    clock = [t_base]

    def measure(fault_share: float, seed: int) -> dict[str, Any]:
        colors: list[float] = []
        totals: list[float] = []
        store_s: list[float] = []
        changed: list[int] = []
        for r in range(repeat):
            clock[0] += 100_000  # message times only move forward
            bad, good = _batches(live, fault_share, seed + r, clock[0])
            for batch in (bad, good):
                t = time.perf_counter()
                result = live.store.apply(batch)
                store_s.append(time.perf_counter() - t)
                up = live.apply(result)
                totals.append(up.seconds)
                colors.append(up.seconds - up.alarm_seconds)
                changed.append(up.buildings_changed)
        return {
            "colors": statistics.median(colors),
            "colors_max": max(colors),
            "total": statistics.median(totals),
            "store": statistics.median(store_s),
            "buildings_changed": int(statistics.median(changed)),
        }

    typical = measure(0.01, 11)
    blackout = measure(0.10, 29)
    repaints = []
    for _ in range(repeat):
        t = time.perf_counter()
        live.repaint()
        repaints.append(time.perf_counter() - t)
    repaint = statistics.median(repaints)
    baseline = _geometry_rebuild(scene, 3 if not quick else 1)
    live.close()
    view.close()
    plotter.close()
    gc.unfreeze()
    details = {
        "buildings": n,
        "triangles": int(scene.building_layers()[0].mesh.n_triangles),
        "network": counts,
        "elements": len(ids),
        "batch": min(10_000, len(ids)),
        "repeat": repeat,
        "typical_buildings_changed": typical["buildings_changed"],
        "typical_colors_max_s": typical["colors_max"],
        "typical_store_apply_s": typical["store"],
        "blackout_buildings_changed": blackout["buildings_changed"],
        "blackout_colors_max_s": blackout["colors_max"],
        "blackout_apply_s": blackout["total"],
        # Other work on this 2-core machine inflates every figure; say how busy it was.
        "load_average_1min": os.getloadavg()[0],
        "repaint_from_scratch_s": repaint,
    }
    k = f"{n // 1000}k"
    label = "rebuilding the buildings' VTK mesh with the new colours (no change tracking)"
    return [
        BenchResult(
            f"live_colors_{k}",
            typical["colors"],
            "s",
            baseline=baseline,
            baseline_label=label,
            target="<= 10 ms before the render",
            passed=typical["colors"] <= TARGET_S,
            details=details,
        ),
        BenchResult(
            f"live_apply_{k}",
            typical["total"],
            "s",
            baseline=baseline,
            baseline_label=label,
            target="reported (colours + 10,000 alarms raised or cleared and logged)",
            details=details,
        ),
        BenchResult(
            f"live_colors_blackout_{k}",
            blackout["colors"],
            "s",
            baseline=baseline,
            baseline_label=label,
            target="<= 10 ms before the render",
            passed=blackout["colors"] <= TARGET_S,
            details=details,
        ),
    ]


if __name__ == "__main__":
    for result in run():
        print(result.to_dict())
