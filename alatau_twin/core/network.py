"""Infrastructure networks as directed multigraphs with stable ids (core: no Qt, no VTK).

A network (power, water, roads) is a graph from sources to consumers. Each element (node
or link) has a stable id and may *serve* buildings directly; a building loses service
when every path from a source to an element serving it is cut. Tracing therefore walks
the graph, not the geometry, so it works the same for the sample and imported networks.

Links are edges of a ``MultiDiGraph`` keyed by their id, so two links may join the same
two nodes (twin mains, parallel cables). A *bidirectional* link (a ring, a looped main,
a road) carries supply either way: it is stored as two directed edges with one id and
counts once everywhere. Live status messages ask "what is still supplied?" after every
batch, so tracing walks adjacency lists built once per change of the graph instead of
copying the graph per call (about 3 ms for 5,000 nodes, against ~40 ms for a copy).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import networkx as nx

ElementKind = Literal["node", "link"]

# Node types that legitimately end a line: where supply is delivered or stored, not a
# drawing error. A degree-1 node of another type is reported as a dangling end.
TERMINAL_TYPES = frozenset(
    {
        "transformer", "reservoir", "tank", "consumer", "customer", "load", "demand",
        "meter", "hydrant", "outlet", "battery", "service", "building", "end", "dead end",
        "cul-de-sac",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Trace:
    """What lies upstream and downstream of one element, for highlighting a pick.

    *Upstream* is every node and link that can carry live supply to the element without
    passing through it (in a ring or a mesh that is the whole loop: flow direction there
    is not fixed). *Downstream* is what the element can feed without going back into its
    upstream. ``buildings`` are the buildings served by the element itself and by its
    downstream elements. Which buildings *depend* on the element is
    :meth:`Network.what_if`, not this: a node fed from two sides is downstream of both.
    """

    element: str
    upstream_nodes: frozenset[str]
    upstream_links: frozenset[str]
    downstream_nodes: frozenset[str]
    downstream_links: frozenset[str]
    buildings: frozenset[str]

    @property
    def upstream(self) -> frozenset[str]:
        return self.upstream_nodes | self.upstream_links

    @property
    def downstream(self) -> frozenset[str]:
        return self.downstream_nodes | self.downstream_links


@dataclass
class NetworkReport:
    """Counts and topology problems of a network, each problem naming element ids.

    ``dangling_ends`` are degree-1 nodes that are neither sources nor terminal consumers
    (usually a line drawn short of the node it should meet); ``isolated_parts`` are
    connected parts without a source (sorted element ids of each); ``duplicate_ids``
    are ids an import found more than once (filled by the importer, which renames them).
    """

    network: str
    nodes: int = 0
    links: int = 0
    node_types: dict[str, int] = field(default_factory=dict)
    link_types: dict[str, int] = field(default_factory=dict)
    components: int = 0
    sources: list[str] = field(default_factory=list)
    dangling_ends: list[str] = field(default_factory=list)
    isolated_parts: list[list[str]] = field(default_factory=list)
    duplicate_ids: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.dangling_ends or self.isolated_parts or self.duplicate_ids)

    def problems(self, limit: int = 12) -> list[str]:
        """The problems as sentences a user can act on (ids listed, long lists cut)."""
        out = []
        if self.duplicate_ids:
            out.append(f"duplicate ids (renamed id#2, ...): {_id_list(self.duplicate_ids, limit)}")
        if self.dangling_ends:
            out.append(
                f"{len(self.dangling_ends)} dangling end(s) (degree-1 nodes that are not "
                f"sources or consumers): {_id_list(self.dangling_ends, limit)}"
            )
        for part in self.isolated_parts:
            out.append(f"isolated part without a source: {_id_list(part, limit)}")
        return out + list(self.warnings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "network": self.network,
            "nodes": self.nodes,
            "links": self.links,
            "node_types": dict(self.node_types),
            "link_types": dict(self.link_types),
            "components": self.components,
            "sources": list(self.sources),
            "dangling_ends": list(self.dangling_ends),
            "isolated_parts": [list(p) for p in self.isolated_parts],
            "duplicate_ids": list(self.duplicate_ids),
            "warnings": list(self.warnings),
        }


def _id_list(ids: list[str], limit: int) -> str:
    text = ", ".join(ids[:limit])
    return text + (f", ... ({len(ids)} in all)" if len(ids) > limit else "")


@dataclass
class _Topology:
    """Adjacency derived from the graph, per node: (link id, neighbour) pairs, plus the
    neighbours and link ids as frozensets so a breadth-first search advances a whole
    frontier with C-level set unions (~4x faster than edge-by-edge in Python)."""

    stamp: tuple[int, int]
    out_adj: dict[str, list[tuple[str, str]]]
    in_adj: dict[str, list[tuple[str, str]]]
    nbrs_out: dict[str, frozenset[str]]
    nbrs_in: dict[str, frozenset[str]]
    links_out: dict[str, frozenset[str]]
    links_in: dict[str, frozenset[str]]
    all_links: frozenset[str] = frozenset()
    # Everything supplied with nothing out of service, per tuple of sources.
    baseline: dict[tuple[str, ...], frozenset[str]] = field(default_factory=dict)


@dataclass
class Network:
    """A supply graph: nodes and links with stable ids, sources, and what each serves.

    Nodes are element ids (stations, substations, pumps, junctions); every link is also
    an element: the key (and the ``id`` attribute) of its edge. ``serves`` maps an
    element id to the building ids it supplies directly. ``sources`` are the node ids
    where supply enters. Build it through :meth:`add_node` and :meth:`add_link`, which
    keep ids unique across nodes and links (a status message names one element) and
    keep the adjacency used for tracing up to date. (networkx counts a multigraph's
    edges in O(edges), too slow to check on every trace, so edges added to ``graph``
    directly are not seen by tracing.)
    """

    kind: str
    graph: nx.MultiDiGraph = field(default_factory=nx.MultiDiGraph)
    serves: dict[str, list[str]] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    # link id -> (from node, to node, bidirectional), in insertion order.
    _links: dict[str, tuple[str, str, bool]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _topo: _Topology | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # A graph handed in ready-made: index its links once.
        for a, b, k, d in self.graph.edges(keys=True, data=True):
            lid = str(d.get("id", k))
            if lid not in self._links:
                self._links[lid] = (a, b, bool(d.get("bidirectional", False)))

    def add_node(self, node_id: str, **attrs: Any) -> None:
        if node_id in self.graph:
            raise ValueError(f"duplicate {self.kind} node id {node_id!r}")
        if node_id in self._link_table():
            raise ValueError(f"duplicate {self.kind} id {node_id!r}: already a link")
        self.graph.add_node(node_id, **attrs)
        self._topo = None
        if attrs.get("source"):
            self.sources.append(node_id)

    def add_link(
        self, link_id: str, a: str, b: str, *, bidirectional: bool = False, **attrs: Any
    ) -> None:
        """Add link ``link_id`` from ``a`` to ``b``; ``bidirectional`` carries supply both
        ways (rings, looped mains, roads). Ids are unique across links *and* nodes."""
        links = self._link_table()
        if link_id in links:
            raise ValueError(f"duplicate {self.kind} link id {link_id!r}")
        if link_id in self.graph:
            raise ValueError(f"duplicate {self.kind} id {link_id!r}: already a node")
        for n in (a, b):
            if n not in self.graph:
                raise KeyError(f"{self.kind} link {link_id!r} refers to unknown node {n!r}")
        data = {**attrs, "id": link_id, "bidirectional": bool(bidirectional)}
        self.graph.add_edge(a, b, key=link_id, **data)
        if bidirectional and a != b:
            self.graph.add_edge(b, a, key=link_id, **data)
        links[link_id] = (a, b, bool(bidirectional))
        self._topo = None

    def _link_table(self) -> dict[str, tuple[str, str, bool]]:
        """Links by id: (from node, to node, bidirectional)."""
        return self._links

    def _topology(self) -> _Topology:
        """Adjacency for tracing, built once after the last change."""
        g = self.graph
        stamp = (len(g), len(self._links))
        topo = self._topo
        if topo is None or topo.stamp != stamp:
            out_adj: dict[str, list[tuple[str, str]]] = {n: [] for n in g.nodes}
            in_adj: dict[str, list[tuple[str, str]]] = {n: [] for n in g.nodes}
            for a, b, k, d in g.edges(keys=True, data=True):
                lid = str(d.get("id", k))
                out_adj[a].append((lid, b))
                in_adj[b].append((lid, a))
            topo = self._topo = _Topology(
                stamp,
                out_adj,
                in_adj,
                {n: frozenset(m for _, m in v) for n, v in out_adj.items()},
                {n: frozenset(m for _, m in v) for n, v in in_adj.items()},
                {n: frozenset(lid for lid, _ in v) for n, v in out_adj.items()},
                {n: frozenset(lid for lid, _ in v) for n, v in in_adj.items()},
                frozenset(self._links),
            )
        return topo

    @property
    def link_ids(self) -> list[str]:
        """Link ids in insertion order, each once (a bidirectional link too)."""
        return list(self._link_table())

    @property
    def node_ids(self) -> list[str]:
        return list(self.graph.nodes)

    def element_ids(self) -> list[str]:
        return self.node_ids + self.link_ids

    def has_element(self, element_id: str) -> bool:
        return element_id in self.graph or element_id in self._link_table()

    def element_kind(self, element_id: str) -> ElementKind:
        """``"node"`` or ``"link"``; KeyError for an id this network does not have."""
        if element_id in self.graph:
            return "node"
        if element_id in self._link_table():
            return "link"
        raise KeyError(f"unknown {self.kind} element {element_id!r}")

    def is_bidirectional(self, link_id: str) -> bool:
        return self._link_table()[link_id][2]

    def link_endpoints(self) -> dict[str, tuple[str, str]]:
        """(from, to) of every link as it was added (a bidirectional link once)."""
        return {lid: (a, b) for lid, (a, b, _) in self._link_table().items()}

    def served_buildings(self) -> set[str]:
        return {b for bs in self.serves.values() for b in bs}

    def _supply_bfs(self, out: set[str] | frozenset[str]) -> tuple[set[str], set[str]]:
        """(nodes, links) reachable from the live sources, skipping ``out`` ids."""
        topo = self._topology()
        nbrs = topo.nbrs_out
        out_nodes = {x for x in out if x in nbrs}
        # Nodes with an out-of-service link leaving them get a filtered neighbour set.
        special: dict[str, frozenset[str]] = {}
        links = self._link_table()
        for x in out:
            link = links.get(x)
            if link is None:
                continue
            a, b, both = link
            for u in (a, b) if both else (a,):
                special[u] = frozenset(m for lid, m in topo.out_adj[u] if lid not in out)
        reached = {s for s in self.sources if s in nbrs and s not in out_nodes}
        frontier = set(reached)
        while frontier:
            nxt: set[str] = set()
            if special:
                for u in frontier:
                    nxt |= special.get(u, nbrs[u])
            else:
                for u in frontier:
                    nxt |= nbrs[u]
            nxt -= reached
            nxt -= out_nodes
            reached |= nxt
            frontier = nxt
        if 2 * len(reached) > len(nbrs):  # mostly supplied: subtract the few cut off
            # A link from an unreached node to a reached one is either directed that
            # way (not supplied) or out of service itself or at an out-of-service end.
            unreached = nbrs.keys() - reached
            supplied = set(topo.all_links)
            supplied -= set().union(*[topo.links_out[u] for u in unreached])
        else:
            supplied = set().union(*[topo.links_out[u] for u in reached])
        if out:
            supplied -= out
            for n in out_nodes:
                supplied -= topo.links_in[n]
        return reached, supplied

    def supplied_elements(self, out_of_service: Iterable[str] = ()) -> set[str]:
        """Element ids (nodes and links) still reachable from a live source.

        Ids this network does not have are ignored, so one set of out-of-service ids
        can be asked of every network.
        """
        out = out_of_service if isinstance(out_of_service, set | frozenset) else set(out_of_service)
        if not out:  # the common "all in service" question, answered once per change
            topo = self._topology()
            key = tuple(self.sources)
            if key not in topo.baseline:
                nodes, links = self._supply_bfs(out)
                topo.baseline[key] = frozenset(nodes | links)
            return set(topo.baseline[key])
        nodes, links = self._supply_bfs(out)
        nodes |= links
        return nodes

    def buildings_without_supply(self, out_of_service: Iterable[str] = ()) -> set[str]:
        """Buildings none of whose serving elements is still supplied."""
        live = self.supplied_elements(out_of_service)
        dark = {b for e, bs in self.serves.items() if e not in live for b in bs}
        if dark:  # a building served by a live element too keeps its supply
            for e, bs in self.serves.items():
                if e in live and not dark.isdisjoint(bs):
                    dark.difference_update(bs)
        return dark

    def what_if(self, out_of_service: Iterable[str]) -> set[str]:
        """Buildings that lose supply *because of* these elements being out of service.

        Buildings already without supply (an isolated part, a missing source) are not
        blamed on them.
        """
        return self.buildings_without_supply(out_of_service) - self.buildings_without_supply(())

    def _ends(self, element_id: str) -> tuple[list[str], list[str]]:
        """(entry nodes, exit nodes) of an element: the node itself, or a link's tail and
        head (both ends both ways for a bidirectional link)."""
        if element_id in self.graph:
            return [element_id], [element_id]
        link = self._link_table().get(element_id)
        if link is None:
            raise KeyError(f"unknown {self.kind} element {element_id!r}")
        a, b, both = link
        return ([a, b], [b, a]) if both else ([a], [b])

    @staticmethod
    def _reach(
        starts: Iterable[str],
        nbrs: dict[str, frozenset[str]],
        allowed: set[str] | None = None,
        blocked: set[str] | frozenset[str] = frozenset(),
    ) -> set[str]:
        """Nodes reachable from ``starts`` (included) through ``nbrs``, entering only
        ``allowed`` nodes (None: any) and never ``blocked`` ones."""
        seen = set(starts)
        frontier = set(seen)
        while frontier:
            nxt: set[str] = set()
            for u in frontier:
                nxt |= nbrs[u]
            nxt -= seen
            nxt -= blocked
            if allowed is not None:
                nxt &= allowed
            seen |= nxt
            frontier = nxt
        return seen

    def _links_between(
        self, candidates: set[str], tails: set[str], heads: set[str], skip: str
    ) -> set[str]:
        """Links among ``candidates`` that run from a node in ``tails`` to one in
        ``heads`` (either way round for a bidirectional link)."""
        links = self._link_table()
        out = set()
        for lid in candidates:
            a, b, both = links[lid]
            if lid != skip and (
                (a in tails and b in heads) or (both and b in tails and a in heads)
            ):
                out.add(lid)
        return out

    def downstream(self, element_id: str) -> set[str]:
        """Nodes that can be fed through ``element_id`` (a node or a link id): the
        element's head node(s) and everything reachable from them."""
        _, exits = self._ends(element_id)
        return self._reach(exits, self._topology().nbrs_out)

    def upstream(self, element_id: str) -> set[str]:
        """Nodes that can feed ``element_id``: its tail node(s) and their ancestors."""
        entries, _ = self._ends(element_id)
        return self._reach(entries, self._topology().nbrs_in)

    def trace(self, element_id: str) -> Trace:
        """Upstream and downstream of one element (see :class:`Trace`).

        Upstream: walk backwards from the element through nodes that stay supplied
        without it. Downstream: walk forwards from it, never into its upstream. On a
        radial feeder that is "towards the source" and "beyond"; on a ring both sides
        are upstream and nothing lies strictly downstream of a ring link.
        """
        entries, exits = self._ends(element_id)
        topo = self._topology()
        e = element_id
        is_node = e in self.graph
        live, _ = self._supply_bfs({e})
        live.discard(e)
        # Upstream: backwards from the element through nodes supplied without it.
        up_start = {n for n in entries if n in live}
        targets = {e} if is_node else set(entries)
        up = self._reach(up_start | targets, topo.nbrs_in, allowed=live, blocked={e})
        up -= targets - up_start
        heads = up | targets
        up_links = self._links_between(
            set().union(*[topo.links_in[n] for n in heads]), up, heads, e
        )
        # Downstream: forwards from the element, never back into its upstream.
        starts = {n for n in exits if n not in up}
        down = self._reach(starts, topo.nbrs_out, blocked=up | {e})
        down.discard(e)
        tails = down | ({e} if is_node else set())
        down_links = self._links_between(
            set().union(*[topo.links_out[n] for n in tails]), tails, down, e
        )
        buildings = {b for x in (e, *down, *down_links) for b in self.serves.get(x, ())}
        return Trace(
            e,
            frozenset(up),
            frozenset(up_links),
            frozenset(down),
            frozenset(down_links),
            frozenset(buildings),
        )

    def _type_counts(self) -> tuple[dict[str, int], dict[str, int]]:
        node_types: dict[str, int] = {}
        for _, d in self.graph.nodes(data=True):
            t = str(d.get("type", "node"))
            node_types[t] = node_types.get(t, 0) + 1
        link_types: dict[str, int] = {}
        seen: set[str] = set()
        for _, _, k, d in self.graph.edges(keys=True, data=True):
            lid = str(d.get("id", k))
            if lid in seen:  # the second edge of a bidirectional link
                continue
            seen.add(lid)
            t = str(d.get("type", "link"))
            link_types[t] = link_types.get(t, 0) + 1
        return node_types, link_types

    def validate(self) -> NetworkReport:
        """Counts plus dangling ends and isolated parts, each naming element ids."""
        links = self._link_table()
        degree = dict.fromkeys(self.graph.nodes, 0)
        only_link: dict[str, str] = {}
        for lid, (a, b, _) in links.items():
            degree[a] += 1
            degree[b] += 1
            only_link[a] = only_link[b] = lid
        sources = set(self.sources)
        dangling = []
        for n, d in self.graph.nodes(data=True):
            if degree[n] != 1 or n in sources or d.get("terminal") or self.serves.get(n):
                continue
            if str(d.get("type", "")).lower() in TERMINAL_TYPES:
                continue
            if self.serves.get(only_link[n]):  # the end of a service line or a cul-de-sac
                continue
            dangling.append(str(n))
        parts = []
        link_of: dict[str, list[str]] = {}
        for lid, (a, _, _) in links.items():
            link_of.setdefault(a, []).append(lid)
        components = list(nx.weakly_connected_components(self.graph))
        for comp in components:
            if comp & sources:
                continue
            ids = [str(n) for n in comp] + [lid for n in comp for lid in link_of.get(n, ())]
            parts.append(sorted(ids))
        node_types, link_types = self._type_counts()
        return NetworkReport(
            network=self.kind,
            nodes=self.graph.number_of_nodes(),
            links=len(links),
            node_types=node_types,
            link_types=link_types,
            components=len(components),
            sources=list(self.sources),
            dangling_ends=sorted(dangling),
            isolated_parts=sorted(parts),
        )

    def summary(self) -> dict[str, Any]:
        """Counts, components, sources and problems, for ``info`` (JSON-ready)."""
        report = self.validate()
        return {
            "kind": self.kind,
            "nodes": report.nodes,
            "links": report.links,
            "bidirectional_links": sum(1 for *_, both in self._link_table().values() if both),
            "node_types": report.node_types,
            "link_types": report.link_types,
            "components": report.components,
            "sources": report.sources,
            "dangling_ends": report.dangling_ends,
            "isolated_parts": report.isolated_parts,
            "buildings_served": len(self.served_buildings()),
        }
