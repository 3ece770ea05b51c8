"""Benchmark: generating the embedded Alatau sample twin vs extruding its buildings.

The sample opens when a user types ``alatau-twin`` with no argument, so its generation
time is start-up time. Reports

* ``sample_build``: best-of-3 seconds for :func:`build_sample_scene` (terrain load,
  layouts, one extrusion of all buildings, networks, schedule, views), against the
  seconds to extrude just its building footprints in the same run: the geometry floor
  no generator of this twin can beat.

No Qt, no VTK: imports happen inside ``run`` as the benchmark protocol asks.
"""

from __future__ import annotations

from alatau_twin.benchmarking import BenchResult, best_of

NAME = "sample"
DESCRIPTION = (
    "Build the embedded Alatau sample twin (~14.5k buildings, roads, power and water "
    "networks, schedule); baseline: extruding its building footprints alone"
)

TARGET_SECONDS = 5.0


def run(quick: bool = False) -> list[BenchResult]:
    """Time the whole sample build and the extrusion floor (best of 3; 1 in quick mode)."""
    from alatau_twin.core.extrude import extrude_footprints
    from alatau_twin.io.sample import build_sample_scene

    repeat = 1 if quick else 3
    scenes = []

    def build() -> None:
        scenes.append(build_sample_scene())

    figure = best_of(build, repeat)
    scene = scenes[-1]
    layer = scene.layers["Buildings"]
    footprints = layer.footprints
    height = layer.table["height"]
    base = layer.base
    baseline = best_of(lambda: extrude_footprints(footprints, height, base=base), repeat)
    power, water = scene.networks["power"], scene.networks["water"]
    details = {
        "buildings": layer.n_features,
        "triangles": layer.mesh.n_triangles,
        "power_nodes": power.graph.number_of_nodes(),
        "power_links": len(power.link_ids),
        "water_nodes": water.graph.number_of_nodes(),
        "water_links": len(water.link_ids),
        "schedule_tasks": len(scene.schedule) if scene.schedule is not None else 0,
        "repeat": repeat,
    }
    return [
        BenchResult(
            name="sample_build",
            figure=figure,
            unit="s",
            baseline=baseline,
            baseline_label="extrude_footprints on the sample's buildings only",
            target=f"whole sample under {TARGET_SECONDS:.0f} s",
            passed=figure < TARGET_SECONDS,
            details=details,
        )
    ]


if __name__ == "__main__":
    for result in run():
        print(result.to_dict())
