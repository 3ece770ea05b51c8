"""Scene summaries for ``alatau-twin info`` (io layer: plain data, no Qt, no VTK).

One function builds a JSON-ready dict; another formats it for a terminal. Keeping the
dict the single source means ``info --json`` and the human text never disagree.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from alatau_twin.core.construction import counts_at
from alatau_twin.core.layers import BuildingLayer, Layer
from alatau_twin.core.scene import Scene
from alatau_twin.core.schedule import phase_of


def _layer_summary(layer: Layer) -> dict[str, Any]:
    s = layer.summary()
    b = layer.bounds()
    s["visible"] = layer.visible
    s["bounds_local"] = [round(v, 2) for v in b]
    s["report"] = layer.report.to_dict()
    if "basis" in layer.table:
        s["basis"] = layer.table.value_counts("basis")
    if isinstance(layer, BuildingLayer) and "use" in layer.table:
        s["by_use"] = layer.table.value_counts("use")
    if isinstance(layer, BuildingLayer) and "district" in layer.table:
        s["by_district"] = layer.table.value_counts("district")
    return s


def _networks_summary(scene: Scene) -> dict[str, Any]:
    """Per network: counts by type, components, sources and problems (dangling ends,
    isolated parts; duplicate ids that an import found and renamed)."""
    reports = scene.metadata.get("network_reports", {})
    out = {}
    for name, net in sorted(scene.networks.items()):
        s = net.summary()
        s["duplicate_ids"] = list(reports.get(name, {}).get("duplicate_ids", []))
        out[name] = s
    return out


def _ids(ids: list[str], limit: int = 8) -> str:
    return ", ".join(ids[:limit]) + (f", ... ({len(ids)} in all)" if len(ids) > limit else "")


def _network_lines(name: str, n: dict[str, Any]) -> list[str]:
    """One network in words: what it holds, how it hangs together, what is wrong."""
    served = f", serves {n['buildings_served']:,} buildings" if n["buildings_served"] else ""
    out = [
        f"  {name:<8} {n['nodes']:,} nodes, {n['links']:,} links, "
        f"{n['components']} component(s){served}",
        "      nodes: " + ", ".join(f"{k} {v:,}" for k, v in n["node_types"].items()),
        "      links: " + ", ".join(f"{k} {v:,}" for k, v in n["link_types"].items()),
        f"      sources ({len(n['sources'])}): {_ids(n['sources']) or 'none'}",
    ]
    if n["dangling_ends"]:
        out.append(f"      ! {len(n['dangling_ends'])} dangling end(s): {_ids(n['dangling_ends'])}")
    for part in n["isolated_parts"]:
        out.append(f"      ! isolated part without a source: {_ids(part)}")
    if n.get("duplicate_ids"):
        out.append(f"      ! duplicate ids (renamed id#2 ...): {_ids(n['duplicate_ids'])}")
    return out


def scene_summary(scene: Scene) -> dict[str, Any]:
    """Everything `info` reports, as plain JSON-serialisable values."""
    f = scene.frame
    xmin, xmax, ymin, ymax, zmin, zmax = scene.bounds()
    corners_x = np.array([xmin, xmax, xmax, xmin])
    corners_y = np.array([ymin, ymin, ymax, ymax])
    lon, lat = f.to_lonlat(corners_x, corners_y)
    out: dict[str, Any] = {
        "title": scene.info.title,
        "crs": {"epsg": f.epsg, "name": f.crs_name},
        "origin": {"easting": f.origin_e, "northing": f.origin_n},
        "bounds_local": {
            "xmin": round(xmin, 2),
            "xmax": round(xmax, 2),
            "ymin": round(ymin, 2),
            "ymax": round(ymax, 2),
            "zmin": round(zmin, 2),
            "zmax": round(zmax, 2),
        },
        "bounds_lonlat": {
            "west": round(float(lon.min()), 6),
            "east": round(float(lon.max()), 6),
            "south": round(float(lat.min()), 6),
            "north": round(float(lat.max()), 6),
        },
        "extent_km": [round((xmax - xmin) / 1000, 2), round((ymax - ymin) / 1000, 2)],
        "layers": [_layer_summary(layer) for layer in scene.layers],
        "networks": _networks_summary(scene),
        "views": sorted(scene.views),
        "basis_note": scene.info.basis_note,
        "messages": list(scene.metadata.get("messages", [])),
    }
    if scene.schedule is not None:
        start, finish = scene.schedule.date_range()
        sched: dict[str, Any] = {
            "tasks": len(scene.schedule),
            "planned_start": str(start),
            "planned_finish": str(finish),
            "with_progress_reports": len(scene.schedule.reports),
        }
        if scene.date is not None:
            actual = scene.schedule.progress(scene.date, "actual")
            planned = scene.schedule.progress(scene.date, "planned")
            phases, counts = np.unique(phase_of(actual).astype(str), return_counts=True)
            sched["date"] = str(scene.date)
            sched["by_phase"] = {str(p): int(c) for p, c in zip(phases, counts, strict=True)}
            sched["percent_complete_actual"] = round(float(actual.mean() * 100), 2)
            sched["percent_complete_planned"] = round(float(planned.mean() * 100), 2)
            # Buildings by phase, as built and as planned, and by schedule status.
            sched["buildings"] = counts_at(scene, scene.date)
        out["schedule"] = sched
    # Imported plans and how they linked (io.schedule_import.apply_schedule records them).
    imports = scene.metadata.get("schedule_imports")
    if imports:
        out["schedule_imports"] = [
            {**entry["summary"], "replace": entry["replace"], "link": entry["link"]}
            for entry in imports
        ]
    return out


def format_summary(s: dict[str, Any]) -> str:
    """The summary as aligned text for a terminal."""
    b, ll = s["bounds_local"], s["bounds_lonlat"]
    lines = [
        s["title"],
        f"CRS      EPSG:{s['crs']['epsg']} ({s['crs']['name']}), local origin "
        f"E {s['origin']['easting']:,.0f} N {s['origin']['northing']:,.0f}",
        f"Bounds   x {b['xmin']:,.0f}..{b['xmax']:,.0f} m, y {b['ymin']:,.0f}..{b['ymax']:,.0f} m, "
        f"z {b['zmin']:,.0f}..{b['zmax']:,.0f} m  ({s['extent_km'][0]} x {s['extent_km'][1]} km)",
        f"Lat/lon  {ll['south']:.4f}..{ll['north']:.4f} N, {ll['west']:.4f}..{ll['east']:.4f} E",
        "",
        "Layers",
    ]
    for layer in s["layers"]:
        extra = f", {layer['triangles']:,} triangles" if "triangles" in layer else ""
        lines.append(
            f"  {layer['name']:<18} {layer['kind']:<10} {layer['features']:>7,} features{extra}"
        )
        counts = layer["report"]["counts"]
        if counts:
            lines.append("      " + ", ".join(f"{k}: {v:,}" for k, v in counts.items()))
        if "basis" in layer:
            lines.append(
                "      basis: " + ", ".join(f"{k} {v:,}" for k, v in layer["basis"].items())
            )
        for w in layer["report"]["warnings"]:
            lines.append(f"      ! {w}")
    if s["networks"]:
        lines += ["", "Networks"]
        for name, n in s["networks"].items():
            lines += _network_lines(name, n)
    if "schedule" in s:
        sc = s["schedule"]
        lines += [
            "",
            f"Schedule {sc['tasks']:,} tasks, {sc['planned_start']} .. {sc['planned_finish']}",
        ]
        if "date" in sc:
            lines.append(
                f"  at {sc['date']}: {sc['percent_complete_actual']}% built "
                f"(plan {sc['percent_complete_planned']}%)"
            )
            lines.append("  " + ", ".join(f"{k} {v:,}" for k, v in sc["by_phase"].items()))
            b = sc.get("buildings", {})
            if b.get("buildings"):
                lines.append(
                    f"  {b['buildings']:,} buildings: "
                    + ", ".join(f"{k} {v:,}" for k, v in b["by_status"].items() if v)
                )
    for imp in s.get("schedule_imports", []):
        lk = imp["link"]
        lines.append(
            f"  from {imp['file']}: {imp['tasks']:,} tasks ({imp['summary_tasks']} summary, "
            f"{imp['milestones']} milestones); {lk['linked_tasks']} linked to "
            f"{lk['linked_features']:,} features by {lk['task_field']} = {lk['by']}, "
            f"{len(lk['unlinked_tasks'])} unlinked; {lk['unscheduled_features']:,} features "
            "not in this plan"
        )
    if s["views"]:
        lines += ["", "Views    " + ", ".join(s["views"])]
    if s["basis_note"]:
        lines += ["", s["basis_note"]]
    for m in s["messages"]:
        lines.append(f"! {m}")
    return "\n".join(lines) + "\n"
