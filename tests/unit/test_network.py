"""Network model: multigraph links, rings, trace, what-if, validation and speed; and the
sample's power, water and roads networks traced the way a user asks about them."""

from __future__ import annotations

import time

import numpy as np
import pytest

from alatau_twin.core.network import Network, Trace
from alatau_twin.core.scene import Scene


def _ring() -> Network:
    """S -> A, then a bidirectional ring A - B - C - D - A; T hangs off C (b1, b2),
    E off B (b3). Checked by hand below."""
    n = Network("power")
    n.add_node("S", type="supply", source=True)
    for node in ("A", "B", "C", "D"):
        n.add_node(node, type="substation")
    n.add_node("T", type="transformer")
    n.add_node("E", type="transformer")
    n.add_link("L0", "S", "A", type="line")
    for lid, a, b in (("AB", "A", "B"), ("BC", "B", "C"), ("CD", "C", "D"), ("DA", "D", "A")):
        n.add_link(lid, a, b, bidirectional=True, type="ring")
    n.add_link("CT", "C", "T", type="feeder")
    n.add_link("BE", "B", "E", type="feeder")
    n.serves = {"T": ["b1", "b2"], "E": ["b3"]}
    return n


def test_cutting_one_side_of_a_ring_loses_nothing_both_sides_the_buildings_behind() -> None:
    n = _ring()
    assert n.buildings_without_supply() == set()
    for side in ("AB", "BC", "CD", "DA"):
        assert n.what_if([side]) == set(), side
    # C sits between BC and CD: cut both and C, T and T's buildings are lost.
    assert n.what_if(["BC", "CD"]) == {"b1", "b2"}
    assert n.supplied_elements(["BC", "CD"]) == {"S", "A", "B", "D", "E", "L0", "AB", "DA", "BE"}
    # Both sides of B: B and E go dark.
    assert n.what_if(["AB", "BC"]) == {"b3"}
    assert n.what_if(["L0"]) == {"b1", "b2", "b3"}
    assert n.what_if(["C"]) == {"b1", "b2"}


def test_a_bidirectional_link_counts_once_everywhere() -> None:
    n = _ring()
    assert n.graph.number_of_edges() == 11  # 4 ring links stored both ways
    assert n.link_ids == ["L0", "AB", "BC", "CD", "DA", "CT", "BE"]
    assert n.element_ids() == ["S", "A", "B", "C", "D", "T", "E", *n.link_ids]
    s = n.summary()
    assert (s["nodes"], s["links"], s["bidirectional_links"]) == (7, 7, 4)
    assert s["link_types"] == {"line": 1, "ring": 4, "feeder": 2}
    assert s["components"] == 1 and s["buildings_served"] == 3
    assert n.link_endpoints()["AB"] == ("A", "B")
    assert n.is_bidirectional("AB") and not n.is_bidirectional("CT")
    assert (n.element_kind("AB"), n.element_kind("C")) == ("link", "node")
    assert n.has_element("DA") and not n.has_element("ZZ")
    with pytest.raises(KeyError, match="unknown power element 'ZZ'"):
        n.element_kind("ZZ")


def test_trace_a_ring_substation_highlights_the_ring_upstream_and_its_feeder_down() -> None:
    tr = _ring().trace("C")
    assert isinstance(tr, Trace) and tr.element == "C"
    assert tr.upstream_nodes == {"S", "A", "B", "D"}
    assert tr.upstream_links == {"L0", "AB", "BC", "CD", "DA"}
    assert tr.downstream_nodes == {"T"} and tr.downstream_links == {"CT"}
    assert tr.buildings == {"b1", "b2"}


def test_trace_a_feeder_and_a_ring_link() -> None:
    n = _ring()
    feeder = n.trace("CT")
    assert feeder.upstream_nodes == {"C", "B", "D", "A", "S"}
    assert feeder.downstream_nodes == {"T"} and feeder.downstream_links == set()
    assert feeder.buildings == {"b1", "b2"}
    # Nothing lies strictly beyond a ring link: both its ends are fed the other way too.
    ring = n.trace("AB")
    assert ring.upstream_nodes == {"S", "A", "B", "C", "D"}
    assert ring.downstream_nodes == set() and ring.buildings == set()
    # A radial chain: everything beyond the cut is downstream.
    with_chain = _ring()
    with_chain.add_node("T2", type="transformer")
    with_chain.add_link("TT2", "T", "T2", type="feeder")
    with_chain.serves["T2"] = ["b4"]
    tr = with_chain.trace("CT")
    assert tr.downstream_nodes == {"T", "T2"} and tr.downstream_links == {"TT2"}
    assert tr.buildings == {"b1", "b2", "b4"}
    assert with_chain.what_if(["CT"]) == {"b1", "b2", "b4"}


def test_two_links_may_join_the_same_nodes() -> None:
    n = Network("water")
    n.add_node("R", type="reservoir", source=True)
    n.add_node("J", type="junction")
    n.add_link("MAIN-A", "R", "J", type="main")
    n.add_link("MAIN-B", "R", "J", type="main")
    n.serves = {"J": ["h1"]}
    assert n.link_ids == ["MAIN-A", "MAIN-B"]
    assert n.what_if(["MAIN-A"]) == set()
    assert n.what_if(["MAIN-A", "MAIN-B"]) == {"h1"}


def test_ids_are_unique_across_nodes_and_links() -> None:
    n = _ring()
    with pytest.raises(ValueError, match="duplicate power link id 'AB'"):
        n.add_link("AB", "A", "C")
    with pytest.raises(ValueError, match="already a node"):
        n.add_link("C", "A", "D")
    with pytest.raises(ValueError, match="already a link"):
        n.add_node("BC")
    with pytest.raises(KeyError, match="unknown node 'Z'"):
        n.add_link("AZ", "A", "Z")


def test_what_if_does_not_blame_an_element_for_an_existing_outage() -> None:
    n = _ring()
    n.add_node("X", type="junction")  # no link: an isolated part, never supplied
    n.serves["X"] = ["b9"]
    assert n.buildings_without_supply() == {"b9"}
    assert n.what_if(["CT"]) == {"b1", "b2"}
    assert n.what_if(["unknown-id"]) == set()  # ids of other networks are ignored


def test_validate_names_dangling_ends_and_isolated_parts() -> None:
    n = _ring()
    n.add_node("J1", type="junction")  # a line drawn to nowhere
    n.add_link("DJ1", "D", "J1", type="line")
    n.add_node("R2", type="reservoir")  # a terminal type, not dangling
    n.add_link("AR2", "A", "R2", type="line")
    n.add_node("P1", type="junction")
    n.add_node("P2", type="junction")
    n.add_link("P12", "P1", "P2", type="line")
    rep = n.validate()
    assert rep.dangling_ends == ["J1", "P1", "P2"]  # the isolated part ends both ways too
    assert rep.isolated_parts == [["P1", "P12", "P2"]]
    assert rep.components == 2 and rep.sources == ["S"]
    assert rep.nodes == 11 and rep.links == 10
    assert not rep.ok
    text = " ".join(rep.problems())
    assert "J1" in text and "P12" in text
    assert rep.to_dict()["isolated_parts"] == [["P1", "P12", "P2"]]


def _feeders(n_feeders: int = 100, per: int = 50) -> Network:
    """~5,000 nodes: a bidirectional ring of feeder heads from one source, each head
    with a radial chain of transformers, each serving three buildings."""
    n = Network("power")
    n.add_node("SRC", type="supply", source=True)
    for f in range(n_feeders):
        n.add_node(f"H{f}", type="substation")
        prev = f"H{f}"
        for k in range(per - 1):
            t = f"T{f}-{k}"
            n.add_node(t, type="transformer")
            n.add_link(f"F{f}-{k}", prev, t, type="feeder")
            n.serves[t] = [f"b{f}-{k}-{j}" for j in range(3)]
            prev = t
    for f in range(n_feeders):
        n.add_link(f"R{f}", f"H{f}", f"H{(f + 1) % n_feeders}", bidirectional=True)
    n.add_link("IN", "SRC", "H0", type="line")
    return n


def test_supplied_elements_is_fast_on_5000_nodes() -> None:
    n = _feeders()
    assert len(n.node_ids) == 5001
    n.supplied_elements(["F3-10"])  # builds the adjacency once
    cuts = [["F3-10"], ["R7", "R40"], ["H12", "T50-3"], ["R1", "R2"]]
    best = min(_timed(lambda cut=cut: n.supplied_elements(cut)) for cut in cuts for _ in range(5))
    assert best < 0.010, f"{best * 1000:.1f} ms"
    # Right as well as fast: the chain beyond a cut is out, a ring link alone costs nothing.
    assert len(n.what_if(["F3-10"])) == 3 * (49 - 10)
    assert n.what_if(["R7"]) == set()
    assert len(n.what_if(["R1", "R2"])) == 3 * 49  # H2 hangs between two cuts


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


# --- the sample twin ---------------------------------------------------------------


def _feeder_chain_ends(power: Network) -> list[str]:
    ends = power.link_endpoints()
    tails = {a for a, _ in ends.values()}
    return [lid for lid, (_, b) in ends.items() if lid.startswith("P-F10-") and b not in tails]


def test_sample_feeder_fault_cuts_exactly_its_transformers_buildings(sample_scene: Scene) -> None:
    power = sample_scene.networks["power"]
    ends = power.link_endpoints()
    last = _feeder_chain_ends(power)
    assert last
    for lid in last[:20]:
        transformer = ends[lid][1]
        assert power.what_if([lid]) == set(power.serves[transformer]) != set(), lid
    # Higher up a chain a fault cuts every transformer beyond it: its trace downstream.
    first = next(i for i in power.link_ids if i.endswith("-01") and i not in last)
    tr = power.trace(first)
    beyond = {b for t in tr.downstream_nodes for b in power.serves.get(t, [])}
    assert len(tr.downstream_nodes) >= 2
    assert power.what_if([first]) == beyond == set(tr.buildings)
    assert "P-SS-" in " ".join(tr.upstream_nodes)


def test_sample_110kv_ring_link_out_alone_cuts_nothing(sample_scene: Scene) -> None:
    power = sample_scene.networks["power"]
    ring = [lid for lid in power.link_ids if power.is_bidirectional(lid)]
    assert len(ring) == 5 and all(lid.startswith("P-L110-") for lid in ring)
    for lid in ring:
        assert power.what_if([lid]) == set(), lid
    # Two ring links around Golden isolate it: its transformers go dark.
    golden = power.what_if(["P-L110-GATE-GOLDEN", "P-L110-ZHETYGEN-GOLDEN"])
    assert golden == power.trace("P-SS-GOLDEN").buildings != set()


def test_sample_roads_closing_a_dead_end_street_cuts_the_buildings_on_it(
    sample_scene: Scene,
) -> None:
    roads = sample_scene.networks["roads"]
    layer = sample_scene.layers["Roads"]
    assert sorted(roads.link_ids) == sorted(layer.table["id"].tolist())
    assert all(roads.is_bidirectional(lid) for lid in roads.link_ids[:50])
    assert roads.buildings_without_supply() == set()
    assert roads.summary()["components"] == 1
    assert roads.validate().ok  # dead-end streets are typed so, not drawing errors
    ends = roads.link_endpoints()
    types = dict(roads.graph.nodes(data="type"))
    dead = [
        lid
        for lid, (a, b) in ends.items()
        if roads.serves.get(lid) and "dead end" in (types[a], types[b])
    ]
    assert len(dead) > 50
    for lid in dead[:25]:
        assert roads.what_if([lid]) == set(roads.serves[lid]), lid
    # The street's dead-end node lies downstream of the segment in a trace.
    a, b = ends[dead[0]]
    tail = a if types[a] == "dead end" else b
    assert tail in roads.trace(dead[0]).downstream_nodes


def test_sample_roads_enter_at_the_scene_edge_and_serve_every_building_once(
    sample_scene: Scene,
) -> None:
    roads = sample_scene.networks["roads"]
    xmin, xmax, ymin, ymax = sample_scene.terrain.grid.bounds
    assert len(roads.sources) >= 3
    for s in roads.sources:
        d = roads.graph.nodes[s]
        assert d["type"] == "entry"
        assert min(d["x"] - xmin, xmax - d["x"], d["y"] - ymin, ymax - d["y"]) <= 2500
    ids = sample_scene.layers["Buildings"].table["id"].tolist()
    served = [b for bs in roads.serves.values() for b in bs]
    assert sorted(served) == sorted(ids)
    # Highways give no direct access: a segment of the A3 closed alone cuts nobody off.
    a3 = [lid for lid in roads.link_ids if lid.startswith("RD-A3")]
    assert a3 and not any(roads.serves.get(lid) for lid in a3)
    assert roads.what_if([a3[len(a3) // 2]]) == set()


def test_sample_buildings_have_estimated_residents(sample_scene: Scene) -> None:
    import shapely

    b = sample_scene.layers["Buildings"]
    t = b.table
    res = np.asarray(t["residents"])
    homes = np.isin(t["use"].astype(str), ["residential", "house"])
    assert (res[~homes] == 0).all() and (res[homes] > 0).all()
    area = shapely.area(b.footprints)
    expect = np.round(np.asarray(t["floors"]) * area * 0.8 / 30.0)
    assert np.array_equal(res[homes], expect[homes].astype(np.int64))
    assert 100_000 < res.sum() < 1_000_000  # Alatau today ~55,000; the plan ~1.9 M
