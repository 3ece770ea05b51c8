"""Benchmark: vectorised footprint extrusion vs per-building trimesh extrusion.

Builds a deterministic synthetic city (seeded rng) of footprints laid on a grid over
~30 x 30 km: mostly rotated rectangles, ~10% L-shapes, ~3% courtyard blocks and ~1%
two-part MultiPolygons, heights 5-200 m on a gently sloping terrain. Reports

* ``extrude_<N>k``: best-of-3 seconds for :func:`extrude_footprints` on the full layer
  (100k footprints; 20k in quick mode), against per-building
  ``trimesh.creation.extrude_polygon`` measured on a tenth of the layer and
  extrapolated linearly;
* ``speedup_vs_trimesh_<M>k``: trimesh time / our time on the same M footprints (10k;
  2k in quick mode).

No Qt, no VTK: imports happen inside ``run`` as the benchmark protocol asks.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from alatau_twin.benchmarking import BenchResult, best_of
from alatau_twin.io.synthetic import synthetic_city

NAME = "extrusion"
DESCRIPTION = (
    "Extrude a synthetic city of 100k building footprints (rectangles, L-shapes, "
    "courtyards, multipolygons) into one merged mesh; baseline: per-building "
    "trimesh.creation.extrude_polygon"
)

TARGET_SECONDS_PER_100K = 1.5
TARGET_SPEEDUP = 50.0


def _extrude_with_trimesh(geoms: np.ndarray, height: np.ndarray, base: np.ndarray) -> Any:
    """The naive approach: one trimesh per polygon part, moved to its base, then merged."""
    import shapely
    import trimesh

    meshes = []
    for geom, h, z in zip(geoms, height, base, strict=True):
        for part in shapely.get_parts(geom):
            m = trimesh.creation.extrude_polygon(part, float(h))
            m.apply_translation((0.0, 0.0, float(z)))
            meshes.append(m)
    return trimesh.util.concatenate(meshes)


def run(quick: bool = False) -> list[BenchResult]:
    """Measure the full layer and the trimesh comparison; see the module docstring."""
    from alatau_twin.core.extrude import extrude_footprints

    n_full = 20_000 if quick else 100_000
    n_cmp = n_full // 10
    geoms, height, base = synthetic_city(n_full)

    mesh = extrude_footprints(geoms, height, base=base)
    t_full = best_of(lambda: extrude_footprints(geoms, height, base=base), repeat=3)

    g_cmp, h_cmp, b_cmp = geoms[:n_cmp], height[:n_cmp], base[:n_cmp]
    t_ours_cmp = best_of(lambda: extrude_footprints(g_cmp, h_cmp, base=b_cmp), repeat=5)
    # The baseline is slow and its noise is small relative to its length: one run.
    t_trimesh_cmp = best_of(lambda: _extrude_with_trimesh(g_cmp, h_cmp, b_cmp), repeat=1)

    target_s = TARGET_SECONDS_PER_100K * n_full / 100_000
    speedup = t_trimesh_cmp / t_ours_cmp
    details: dict[str, Any] = {
        "footprints": n_full,
        "triangles": mesh.n_triangles,
        "points": mesh.n_points,
        "roof_triangles": int(np.count_nonzero(mesh.cell_data["surface"] == 2)),
        "quick": quick,
    }
    k_full, k_cmp = n_full // 1000, n_cmp // 1000
    return [
        BenchResult(
            name=f"extrude_{k_full}k",
            figure=t_full,
            unit="s",
            baseline=t_trimesh_cmp * (n_full / n_cmp),
            baseline_label=(
                f"per-building trimesh.creation.extrude_polygon on {k_cmp}k footprints, "
                f"extrapolated x{n_full // n_cmp} to {k_full}k"
            ),
            target=f"<= {target_s:g} s",
            passed=t_full <= target_s,
            details=details,
        ),
        BenchResult(
            name=f"speedup_vs_trimesh_{k_cmp}k",
            figure=speedup,
            unit="x",
            baseline=1.0,
            baseline_label=f"per-building trimesh.creation.extrude_polygon on {k_cmp}k (=1x)",
            target=f">= {TARGET_SPEEDUP:g}x",
            passed=speedup >= TARGET_SPEEDUP,
            details={
                "footprints": n_cmp,
                "ours_s": t_ours_cmp,
                "trimesh_s": t_trimesh_cmp,
            },
        ),
    ]


if __name__ == "__main__":
    import json
    import sys

    for result in run(quick="--quick" in sys.argv):
        print(json.dumps(result.to_dict(), indent=2))
