"""Infrastructure networks as directed graphs with stable ids (core: no Qt, no VTK).

A network (power, water) is a graph from sources to consumers. Each element (node or
link) has a stable id and may *serve* buildings directly; a building loses service
when every path from a source to an element serving it is cut. Tracing therefore walks
the graph, not the geometry, so it works the same for the sample and imported networks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx


@dataclass
class Network:
    """A directed supply graph.

    Nodes are element ids (stations, substations, pumps, junctions); every link is also
    an element, stored as an edge attribute ``id``. ``serves`` maps an element id to the
    building ids it supplies directly. ``sources`` are the node ids where supply enters.
    """

    kind: str
    graph: nx.DiGraph = field(default_factory=nx.DiGraph)
    serves: dict[str, list[str]] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)

    def add_node(self, node_id: str, **attrs: Any) -> None:
        if node_id in self.graph:
            raise ValueError(f"duplicate {self.kind} node id {node_id!r}")
        self.graph.add_node(node_id, **attrs)
        if attrs.get("source"):
            self.sources.append(node_id)

    def add_link(self, link_id: str, a: str, b: str, **attrs: Any) -> None:
        for n in (a, b):
            if n not in self.graph:
                raise KeyError(f"{self.kind} link {link_id!r} refers to unknown node {n!r}")
        self.graph.add_edge(a, b, id=link_id, **attrs)

    @property
    def link_ids(self) -> list[str]:
        return [d["id"] for _, _, d in self.graph.edges(data=True)]

    @property
    def node_ids(self) -> list[str]:
        return list(self.graph.nodes)

    def element_ids(self) -> list[str]:
        return self.node_ids + self.link_ids

    def link_endpoints(self) -> dict[str, tuple[str, str]]:
        return {d["id"]: (a, b) for a, b, d in self.graph.edges(data=True)}

    def served_buildings(self) -> set[str]:
        return {b for bs in self.serves.values() for b in bs}

    def _supplied_graph(self, out_of_service: Iterable[str]) -> nx.DiGraph:
        out = set(out_of_service)
        g = nx.DiGraph()
        g.add_nodes_from(n for n in self.graph.nodes if n not in out)
        g.add_edges_from(
            (a, b)
            for a, b, d in self.graph.edges(data=True)
            if d["id"] not in out and a not in out and b not in out
        )
        return g

    def supplied_elements(self, out_of_service: Iterable[str] = ()) -> set[str]:
        """Element ids (nodes and links) still reachable from a live source."""
        out = set(out_of_service)
        g = self._supplied_graph(out)
        live_sources = [s for s in self.sources if s in g]
        reached: set[str] = set(live_sources)
        for s in live_sources:
            reached |= nx.descendants(g, s)
        links = {
            d["id"]
            for a, b, d in self.graph.edges(data=True)
            if a in reached and b in reached and d["id"] not in out
        }
        return reached | links

    def buildings_without_supply(self, out_of_service: Iterable[str] = ()) -> set[str]:
        """Buildings none of whose serving elements is still supplied."""
        live = self.supplied_elements(out_of_service)
        supplied = {b for e, bs in self.serves.items() if e in live for b in bs}
        return self.served_buildings() - supplied

    def downstream(self, element_id: str) -> set[str]:
        """Nodes fed through ``element_id`` (a node or a link id)."""
        ends = self.link_endpoints()
        start = ends[element_id][1] if element_id in ends else element_id
        if start not in self.graph:
            raise KeyError(f"unknown {self.kind} element {element_id!r}")
        return {start} | nx.descendants(self.graph, start)

    def upstream(self, element_id: str) -> set[str]:
        ends = self.link_endpoints()
        start = ends[element_id][0] if element_id in ends else element_id
        if start not in self.graph:
            raise KeyError(f"unknown {self.kind} element {element_id!r}")
        return {start} | nx.ancestors(self.graph, start)

    def summary(self) -> dict[str, Any]:
        types: dict[str, int] = {}
        for _, d in self.graph.nodes(data=True):
            t = str(d.get("type", "node"))
            types[t] = types.get(t, 0) + 1
        link_types: dict[str, int] = {}
        for _, _, d in self.graph.edges(data=True):
            t = str(d.get("type", "link"))
            link_types[t] = link_types.get(t, 0) + 1
        return {
            "kind": self.kind,
            "nodes": self.graph.number_of_nodes(),
            "links": self.graph.number_of_edges(),
            "node_types": types,
            "link_types": link_types,
            "components": nx.number_weakly_connected_components(self.graph),
            "sources": list(self.sources),
            "buildings_served": len(self.served_buildings()),
        }
