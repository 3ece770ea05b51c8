"""Engineers' networks into the model: GIS layers or EPANET models (io: no Qt, no VTK).

An engineer brings a network as GIS layers (a line layer of pipes or cables and a point
layer of nodes, in one GeoPackage or in two files) or as an EPANET ``.inp`` model. Either
becomes a core :class:`~alatau_twin.core.network.Network` (tracing, what-if, live status)
plus a line and a point layer in the scene frame, both with ``id`` and ``network``
columns like the sample's networks, so the network is drawn, pickable and coloured by
live status. A :class:`~alatau_twin.core.network.NetworkReport` names the ids of dangling
ends, isolated parts and duplicates: a network drawn in a GIS is rarely topologically
clean, and the user must see where.

Topology comes from from/to node attributes when the lines carry them, else from
snapping line ends to nodes (or to each other) within a tolerance. An EPANET model has no
coordinate reference system: it is placed by a CRS and an origin, or drawn in model
coordinates with a warning. networkx and wntr are imported only when a network is read
(wntr alone takes ~5 s), so sniffing a vector file for network columns stays cheap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from alatau_twin.core.attributes import AttributeTable
from alatau_twin.core.frame import SceneFrame
from alatau_twin.core.layers import Layer, LayerReport, LineLayer, PointLayer
from alatau_twin.core.style import CATEGORY_PALETTE, NETWORK_COLORS

if TYPE_CHECKING:  # networkx costs ~0.4 s to import; sniffing a file must not pay it
    from alatau_twin.core.network import Network, NetworkReport

__all__ = [
    "DEFAULT_SNAP_M",
    "NetworkImport",
    "NetworkImportError",
    "NetworkLineLayer",
    "read_epanet",
    "read_network",
    "read_network_gis",
    "read_network_source",
    "sniff_network",
]

DEFAULT_SNAP_M = 0.5
# Column names (matched case-insensitively), most specific first.
FROM_TO_COLUMNS = (
    ("from_id", "to_id"),
    ("from", "to"),
    ("from_node", "to_node"),
    ("start_node", "end_node"),
    ("node1", "node2"),
    ("us_node", "ds_node"),
)
ID_COLUMNS = ("id", "fid", "asset_id", "name")
# GeoPackage geometry types of polygon layers: never lines or points by declaration.
_POLYGON_TYPES = frozenset({"POLYGON", "MULTIPOLYGON", "CURVEPOLYGON", "MULTISURFACE"})
TYPE_COLUMNS = ("type", "class")
SOURCE_COLUMNS = ("source", "is_source")
DIRECTED_COLUMNS = ("oneway", "directed")
# Node types where supply enters a network (lower case); "... supply" also counts.
SOURCE_TYPES = frozenset(
    {
        "reservoir", "tank", "intake", "source", "supply", "substation supply",
        "supply substation", "grid supply", "generator", "power plant", "wellfield", "well",
    }
)  # fmt: skip
# EPANET links that pass water one way only: pumps, and these valves (plus pipes with a
# check valve); other pipes and valves carry flow either way.
EPANET_ONE_WAY_VALVES = frozenset({"PRV", "PSV", "FCV"})
_OWN_COLUMNS = {"id", "network", "type", "from_id", "to_id", "source"}


class NetworkImportError(ValueError):
    """A network that cannot be read; the message names the file and the reason."""


class NetworkLineLayer(LineLayer):
    """The link layer of an imported network; it carries the network itself so the
    loader can put it into ``scene.networks`` (``read_source`` returns layers only)."""

    def __init__(
        self,
        name: str,
        lines: list[np.ndarray],
        table: AttributeTable,
        *,
        network_name: str,
        network_model: Network,
        network_report: NetworkReport,
        **kw: Any,
    ) -> None:
        super().__init__(name, lines, table, **kw)
        self.network_name = network_name
        self.network_model = network_model
        self.network_report = network_report
        self.network_points: PointLayer | None = None  # the nodes' layer


@dataclass
class NetworkImport:
    """What an import gives: the graph, its two layers, the report and the frame."""

    name: str
    network: Network
    lines: NetworkLineLayer
    points: PointLayer
    report: NetworkReport
    frame: SceneFrame

    @property
    def layers(self) -> list[Layer]:
        return [self.lines, self.points]


@dataclass
class _Element:
    """A node or link on its way into the network, in local scene coordinates."""

    id: str
    type: str
    xy: np.ndarray  # (1, 2) for a node, (k, 2) polyline for a link
    attrs: dict[str, Any] = field(default_factory=dict)
    a: str = ""
    b: str = ""
    source: bool = False
    bidirectional: bool = True
    terminal: bool = False


class _Ids:
    """Unique ids across nodes and links: a repeated id is renamed ``id#2``, ``id#3``
    (and reported), a missing one is generated without clashing with any given id."""

    def __init__(self, given: set[str]) -> None:
        self.given = given
        self.used: set[str] = set()
        self.duplicates: list[str] = []
        self._next: dict[str, int] = {}

    def take(self, raw: str | None, prefix: str) -> str:
        if raw is None:
            k = self._next.get(prefix, 1)
            while f"{prefix}{k}" in self.given or f"{prefix}{k}" in self.used:
                k += 1
            self._next[prefix] = k + 1
            self.used.add(f"{prefix}{k}")
            return f"{prefix}{k}"
        if raw not in self.used:
            self.used.add(raw)
            return raw
        if raw not in self.duplicates:
            self.duplicates.append(raw)
        k = 2
        while f"{raw}#{k}" in self.used or f"{raw}#{k}" in self.given:
            k += 1
        self.used.add(f"{raw}#{k}")
        return f"{raw}#{k}"


# ---------------------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------------------


def read_network(
    sources: str | Path | Sequence[str | Path],
    frame: SceneFrame | None = None,
    *,
    name: str | None = None,
    crs: str | None = None,
    origin: tuple[float, float] | None = None,
    snap: float = DEFAULT_SNAP_M,
) -> NetworkImport:
    """An EPANET ``.inp`` or GIS layers (one file or several) as a network."""
    paths = _paths(sources)
    if any(p.suffix.lower() == ".inp" for p in paths):
        if len(paths) != 1:
            raise NetworkImportError(
                f"{', '.join(map(str, paths))}: an EPANET model is one .inp file on its own"
            )
        return read_epanet(paths[0], frame, name=name or "water", crs=crs, origin=origin)
    return read_network_gis(paths, frame, name=name, crs=crs, snap=snap)


def read_network_source(
    paths: Path | Sequence[Path], frame: SceneFrame | None, opts: Any, default_crs: str | None
) -> tuple[list[Layer], SceneFrame]:
    """The loader's entry: ``opts`` is a ``SourceOptions`` (network, snap, origin, crs)."""
    snap = getattr(opts, "snap", None)
    imp = read_network(
        paths,
        frame,
        name=getattr(opts, "network", None),
        crs=getattr(opts, "crs", None) or default_crs,
        origin=getattr(opts, "origin", None),
        snap=DEFAULT_SNAP_M if snap is None else float(snap),
    )
    return imp.layers, imp.frame


def sniff_network(path: Path) -> bool:
    """Does this vector file hold a network: lines with from/to node columns and
    points, in one layer or two? Reads schemas only (mixed-geometry layers: the
    geometry types), so loading ordinary vector files stays as fast as before."""
    if path.suffix.lower() in (".parquet", ".inp") or not path.exists():
        return False
    from alatau_twin.io.gpkg import single_feature_table

    # A GeoPackage with one polygon table and no from/to columns holds no network, as
    # its schema in SQLite says, without importing pyogrio (and pandas, ~0.6-1.0 s).
    table = single_feature_table(path)
    if (
        table is not None
        and table.geometry_type in _POLYGON_TYPES
        and _from_to([name for name, _ in table.fields]) is None
    ):
        return False
    try:
        import pyogrio

        layers = [(str(n), str(g)) for n, g in pyogrio.list_layers(path)]
        has_lines = has_points = False
        for layer, gtype in layers:
            g = gtype.lower()
            if g in ("none", ""):
                continue
            fields = [str(f) for f in pyogrio.read_info(path, layer=layer)["fields"]]
            pair = _from_to(fields) is not None
            if "point" in g:
                has_points = True
            elif "line" in g:
                has_lines = has_lines or pair
            elif pair:  # mixed geometry (GeoJSON): look at the types themselves
                import shapely
                from pyogrio.raw import read

                _, _, wkb, _ = read(path, layer=layer, columns=[])
                types = set(shapely.get_type_id(shapely.from_wkb(wkb)).tolist())
                has_lines = has_lines or bool(types & {1, 2, 5})
                has_points = has_points or bool(types & {0, 4})
        return has_lines and has_points
    except Exception:  # an unreadable file is the vector reader's to report, by name
        return False


# ---------------------------------------------------------------------------------------
# GIS layers
# ---------------------------------------------------------------------------------------


def read_network_gis(
    sources: str | Path | Sequence[str | Path],
    frame: SceneFrame | None = None,
    *,
    name: str | None = None,
    crs: str | None = None,
    snap: float = DEFAULT_SNAP_M,
) -> NetworkImport:
    """A network from GIS layers: every line feature is a link, every point a node.

    ``sources`` is one file (a GeoPackage with a line and a point layer, or a GeoJSON
    with both) or several. Links join the nodes named in their from/to columns when
    present (``from_id``/``to_id``, ``from``/``to``, ``from_node``/``to_node``,
    ``start_node``/``end_node``, ``node1``/``node2``, ``us_node``/``ds_node``); otherwise
    each line end snaps to the nearest node within ``snap`` metres, or to other line
    ends there (a new junction). Ids come from ``id``, ``fid``, ``asset_id`` or ``name``
    (else generated), types from ``type`` or ``class``; sources from a ``source``
    column or a source-like type (reservoir, tank, intake, ... supply). Links carry
    supply both ways unless a ``oneway``/``directed`` column says otherwise.
    """
    import shapely

    paths = _paths(sources)
    lines = _Features()
    points = _Features()
    warnings: list[str] = []
    src_label = ", ".join(str(p) for p in paths)
    for path in paths:
        for layer in _layer_names(path):
            geoms, cols, layer_crs = _read_layer(path, layer)
            src = layer_crs or crs
            where = f"{path}" + (f" (layer {layer})" if layer is not None else "")
            if src is None:
                raise NetworkImportError(
                    f"{where}: the file has no CRS; give one with --crs EPSG:XXXX "
                    "(or a crs in the project's [[layers]] entry)"
                )
            ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
            if (~ok).any():
                warnings.append(f"{where}: {int((~ok).sum())} empty geometries skipped")
            geoms, cols = geoms[ok], {k: v[ok] for k, v in cols.items()}
            if not len(geoms):
                continue
            if frame is None:
                from alatau_twin.io.vector import frame_for

                frame = frame_for(geoms, _crs(src, where))
            geoms = _to_local(geoms, _crs(src, where), frame)
            types = shapely.get_type_id(geoms)
            is_line, is_point = np.isin(types, (1, 2, 5)), np.isin(types, (0, 4))
            other = ~(is_line | is_point)
            if other.any():
                warnings.append(f"{where}: {int(other.sum())} polygon features ignored")
            lines.extend(geoms[is_line], {k: v[is_line] for k, v in cols.items()})
            points.extend(geoms[is_point], {k: v[is_point] for k, v in cols.items()})
    if not len(lines):
        raise NetworkImportError(f"{src_label}: no line features (links) to build a network")
    assert frame is not None
    name = name or _network_name(lines, paths[0])
    nodes, links, dups, more = _gis_topology(lines, points, snap)
    return _assemble(name, nodes, links, frame, src_label, dups, warnings + more)


class _Features:
    """Geometries and attribute columns gathered from one or more layers."""

    def __init__(self) -> None:
        self.geoms: list[Any] = []
        self.cols: dict[str, list[Any]] = {}

    def __len__(self) -> int:
        return len(self.geoms)

    def extend(self, geoms: np.ndarray, cols: dict[str, np.ndarray]) -> None:
        n0 = len(self.geoms)
        self.geoms.extend(geoms.tolist())
        for k, v in cols.items():
            self.cols.setdefault(k, [None] * n0).extend(v.tolist())
        for v in self.cols.values():
            v.extend([None] * (len(self.geoms) - len(v)))

    def column(self, names: Sequence[str]) -> str | None:
        """The first of ``names`` present, matched case-insensitively."""
        lower = {k.lower(): k for k in self.cols}
        return next((lower[n] for n in names if n in lower), None)


def _paths(sources: str | Path | Sequence[str | Path]) -> list[Path]:
    if isinstance(sources, str | Path):
        return [Path(sources)]
    return [Path(s) for s in sources]


def _layer_names(path: Path) -> list[str | None]:
    if not path.exists():
        raise NetworkImportError(f"{path}: no such file")
    if path.suffix.lower() == ".parquet":
        return [None]
    try:
        import pyogrio

        layers = pyogrio.list_layers(path)
    except Exception as exc:  # pyogrio raises several types; name the file
        raise NetworkImportError(f"{path}: cannot read as a GIS vector file ({exc})") from None
    names = [str(n) for n, g in layers if g is not None and str(g).lower() != "none"]
    return names if len(names) > 1 else [None]


def _read_layer(path: Path, layer: str | None) -> tuple[np.ndarray, dict[str, np.ndarray], Any]:
    from alatau_twin.io.vector import _read_features

    try:
        geoms, data, crs = _read_features(path, layer)
    except Exception as exc:
        raise NetworkImportError(f"{path}: cannot read as a GIS vector file ({exc})") from None
    return geoms, dict(data.cols), crs


def _crs(value: Any, where: str) -> Any:
    from pyproj import CRS

    try:
        return CRS.from_user_input(value)
    except Exception as exc:  # pyproj's CRSError; name the file and the value
        raise NetworkImportError(f"{where}: cannot use CRS {value!r} ({exc})") from None


def _to_local(geoms: np.ndarray, src: Any, frame: SceneFrame) -> np.ndarray:
    import shapely
    from pyproj import Transformer

    origin = np.array([frame.origin_e, frame.origin_n])
    if src.to_epsg() == frame.epsg:
        return shapely.transform(geoms, lambda xy: xy - origin)
    tr = Transformer.from_crs(src, frame.epsg, always_xy=True)
    return shapely.transform(
        geoms, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])) - origin
    )


def _network_name(lines: _Features, path: Path) -> str:
    col = lines.column(("network",))
    if col is not None:
        values = {t for t in (_text(v) for v in lines.cols[col]) if t}
        if len(values) == 1:
            return values.pop()
    return path.name.split(".")[0]


def _text(v: Any) -> str | None:
    """An attribute value as an id or type: None for missing, ``3`` for 3.0."""
    if v is None:
        return None
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float):
        if not np.isfinite(v):
            return None
        if v.is_integer():
            return str(int(v))
    s = str(v).strip()
    return s or None


def _truthy(v: Any) -> bool:
    if v is None:
        return False
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, bool | int | float):
        return bool(v) and v == v  # NaN is not true
    return str(v).strip().lower() in ("true", "yes", "y", "t", "1")


def _is_source_type(typ: str) -> bool:
    t = typ.strip().lower()
    return t in SOURCE_TYPES or t.endswith(" supply")


def _from_to(columns: Sequence[str]) -> tuple[str, str] | None:
    lower = {c.lower(): c for c in columns}
    for a, b in FROM_TO_COLUMNS:
        if a in lower and b in lower:
            return lower[a], lower[b]
    return None


def _line_coords(geom: Any) -> tuple[np.ndarray, bool]:
    """(x, y) vertices of a line; a multi-line merged when its parts join (else the
    parts run one after another and the flag says so)."""
    import shapely

    if geom.geom_type == "MultiLineString":
        merged = shapely.line_merge(geom)
        if merged.geom_type == "LineString":
            geom = merged
        else:
            return shapely.get_coordinates(geom)[:, :2], True
    return shapely.get_coordinates(geom)[:, :2], False


def _gis_topology(
    lines: _Features, points: _Features, snap: float
) -> tuple[list[_Element], list[_Element], list[str], list[str]]:
    """Nodes and links with their ends resolved; duplicate ids and warnings."""
    import shapely

    warnings: list[str] = []
    pid, lid = points.column(ID_COLUMNS), lines.column(ID_COLUMNS)
    p_raw = [_text(v) for v in points.cols[pid]] if pid else [None] * len(points)
    l_raw = [_text(v) for v in lines.cols[lid]] if lid else [None] * len(lines)
    ft = _from_to(list(lines.cols))
    ends_raw: list[list[str | None]] = (
        [[_text(v) for v in lines.cols[ft[0]]], [_text(v) for v in lines.cols[ft[1]]]]
        if ft
        else [[None] * len(lines), [None] * len(lines)]
    )
    given = {r for r in p_raw + l_raw if r}
    given |= {r for col in ends_raw for r in col if r}
    ids = _Ids(given)

    ptype, psrc = points.column(TYPE_COLUMNS), points.column(SOURCE_COLUMNS)
    nodes: list[_Element] = []
    node_of_raw: dict[str, str] = {}
    for i, g in enumerate(points.geoms):
        nid = ids.take(p_raw[i], "node-")
        if p_raw[i] is not None:
            node_of_raw.setdefault(p_raw[i], nid)
        typ = (_text(points.cols[ptype][i]) if ptype else None) or "node"
        xy = np.asarray(shapely.get_coordinates(g)[:1, :2])
        src = (_truthy(points.cols[psrc][i]) if psrc else False) or _is_source_type(typ)
        attrs = {k: v[i] for k, v in points.cols.items()}
        nodes.append(_Element(nid, typ, xy, attrs, source=src))
    multi = sum(1 for g in points.geoms if g.geom_type == "MultiPoint")
    if multi:
        warnings.append(f"{multi} multi-point nodes placed at their first point")

    ltype = lines.column(TYPE_COLUMNS)
    directed = lines.column(DIRECTED_COLUMNS)
    bidir_col = lines.column(("bidirectional",))
    links: list[_Element] = []
    loose: list[tuple[int, int, np.ndarray]] = []  # (link, end 0/1, xy) still to join
    unknown: list[str] = []
    broken = 0
    for i, g in enumerate(lines.geoms):
        xy, gap = _line_coords(g)
        broken += gap
        link_id = ids.take(l_raw[i], "link-")
        typ = (_text(lines.cols[ltype][i]) if ltype else None) or "link"
        both = not (directed and _truthy(lines.cols[directed][i]))
        if bidir_col and lines.cols[bidir_col][i] is not None:
            both = _truthy(lines.cols[bidir_col][i])
        attrs = {k: v[i] for k, v in lines.cols.items()}
        link = _Element(link_id, typ, xy, attrs, bidirectional=both)
        for end in (0, 1):
            ref = ends_raw[end][i]
            p = xy[0] if end == 0 else xy[-1]
            if ref is None:
                loose.append((len(links), end, p))
                continue
            if ref not in node_of_raw:  # a node the point layer lacks: put it at the end
                nid = ids.take(ref, "node-")
                node_of_raw[ref] = nid
                nodes.append(_Element(nid, "junction", p[None, :].copy()))
                unknown.append(ref)
            if end == 0:
                link.a = node_of_raw[ref]
            else:
                link.b = node_of_raw[ref]
        links.append(link)
    if broken:
        warnings.append(f"{broken} multi-part lines whose parts do not join: drawn part by part")
    if unknown:
        warnings.append(
            f"links refer to {len(unknown)} node id(s) missing from the nodes: "
            f"{_short(unknown)} (added at the line ends)"
        )
    if loose:
        _snap_ends(loose, links, nodes, ids, snap, warnings)
    return nodes, links, ids.duplicates, warnings


def _snap_ends(
    loose: list[tuple[int, int, np.ndarray]],
    links: list[_Element],
    nodes: list[_Element],
    ids: _Ids,
    snap: float,
    warnings: list[str],
) -> None:
    """Join line ends without from/to to the nearest node within ``snap`` metres, else
    to each other (ends within ``snap`` of each other become one new junction)."""
    import shapely

    ends = shapely.points(np.array([p for _, _, p in loose]))
    to_node = np.full(len(loose), -1)
    n_points = len(nodes)
    if n_points:
        tree = shapely.STRtree(shapely.points(np.vstack([n.xy[0] for n in nodes])))
        ei, ni = tree.query_nearest(ends, max_distance=snap, all_matches=False)
        to_node[ei] = ni
    free = np.flatnonzero(to_node < 0)
    parent = list(range(len(loose)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    if len(free):
        pairs = shapely.STRtree(ends[free]).query(ends[free], predicate="dwithin", distance=snap)
        for i, j in pairs[:, pairs[0] < pairs[1]].T.tolist():
            ri, rj = find(int(free[i])), find(int(free[j]))
            if ri != rj:
                parent[max(ri, rj)] = min(ri, rj)
    junction: dict[int, str] = {}
    for k, (li, end, _) in enumerate(loose):
        if to_node[k] >= 0:
            nid = nodes[int(to_node[k])].id
        else:
            root = find(k)
            if root not in junction:
                junction[root] = ids.take(None, "junction-")
                nodes.append(_Element(junction[root], "junction", loose[root][2][None, :].copy()))
            nid = junction[root]
        if end == 0:
            links[li].a = nid
        else:
            links[li].b = nid
    snapped = int((to_node >= 0).sum())
    warnings.append(
        f"topology by snapping within {snap:g} m: {snapped} line end(s) met a node, "
        f"{len(loose) - snapped} met other line ends ({len(junction)} new junction(s))"
    )


def _short(ids: list[str], limit: int = 10) -> str:
    return ", ".join(ids[:limit]) + (f", ... ({len(ids)} in all)" if len(ids) > limit else "")


# ---------------------------------------------------------------------------------------
# EPANET
# ---------------------------------------------------------------------------------------


def read_epanet(
    path: str | Path,
    frame: SceneFrame | None = None,
    *,
    name: str = "water",
    crs: str | None = None,
    origin: tuple[float, float] | None = None,
) -> NetworkImport:
    """An EPANET ``.inp`` model through wntr: junctions, reservoirs and tanks (the
    sources), pipes, pumps and valves with their types, diameters and lengths (SI).

    EPANET coordinates have no CRS. With ``crs`` and/or ``origin`` (x, y added to every
    model coordinate) the model is placed in the world; with neither it is drawn in
    model coordinates around the scene origin, and the report says so.
    """
    path = Path(path)
    if not path.exists():
        raise NetworkImportError(f"{path}: no such file")
    try:
        import wntr  # lazily: ~5 s of imports
    except ImportError:
        raise NetworkImportError(
            f"{path}: reading EPANET models needs the 'wntr' package (pip install wntr)"
        ) from None
    try:
        wn = wntr.network.WaterNetworkModel(str(path))
    except Exception as exc:  # wntr raises many types for a bad model; name the file
        raise NetworkImportError(f"{path}: cannot read as an EPANET model ({exc})") from None
    warnings: list[str] = []
    names = list(wn.node_name_list)
    model_xy = np.array(
        [wn.get_node(n).coordinates or (np.nan, np.nan) for n in names], float
    ).reshape(-1, 2)
    missing = ~np.isfinite(model_xy).all(axis=1)
    if missing.any():
        warnings.append(
            f"{int(missing.sum())} node(s) without coordinates placed at the model's "
            f"centre: {_short([names[i] for i in np.flatnonzero(missing)])}"
        )
        centre = np.nanmean(model_xy[~missing], axis=0) if (~missing).any() else np.zeros(2)
        model_xy[missing] = centre
    place, frame, note = _epanet_placement(path, model_xy, frame, crs, origin)
    if note:
        warnings.append(note)
    where = dict(zip(names, place(model_xy), strict=True))

    nodes: list[_Element] = []
    for n in names:
        node = wn.get_node(n)
        typ = str(node.node_type).lower()
        attrs: dict[str, Any] = {}
        terminal = False
        if typ == "junction":
            attrs["elevation_m"] = round(float(node.elevation), 3)
            demand = float(node.base_demand or 0.0)
            attrs["base_demand_l_s"] = round(demand * 1000.0, 4)
            terminal = demand > 0  # a consumer may end a line
        elif typ == "tank":
            attrs["elevation_m"] = round(float(node.elevation), 3)
            attrs["diameter_m"] = round(float(node.diameter), 3)
        elif typ == "reservoir":
            attrs["head_m"] = round(float(node.base_head), 3)
        nodes.append(
            _Element(
                str(n), typ, where[n][None, :], attrs, source=typ in ("reservoir", "tank"),
                terminal=terminal,
            )
        )  # fmt: skip
    links: list[_Element] = []
    node_ids = set(map(str, names))
    renamed: list[str] = []
    for lname in wn.link_name_list:
        link = wn.get_link(lname)
        typ = str(link.link_type).lower()
        a, b = str(link.start_node_name), str(link.end_node_name)
        attrs: dict[str, Any] = {"epanet_id": str(lname)}
        # EPANET keeps node and link ids apart ("20" may be both); here an id names one
        # element (a status message names it), so such a link becomes "pipe 20".
        lid = str(lname) if str(lname) not in node_ids else f"{typ} {lname}"
        if lid != str(lname):
            renamed.append(str(lname))
        both = True
        if typ == "pipe":
            attrs["diameter_mm"] = round(float(link.diameter) * 1000.0, 1)
            attrs["length_m"] = round(float(link.length), 2)
            attrs["roughness"] = float(link.roughness)
            attrs["check_valve"] = bool(link.check_valve)
            both = not link.check_valve
        elif typ == "pump":
            attrs["pump_type"] = str(link.pump_type)
            both = False
        elif typ == "valve":
            attrs["valve_type"] = str(link.valve_type)
            attrs["diameter_mm"] = round(float(link.diameter) * 1000.0, 1)
            both = str(link.valve_type).upper() not in EPANET_ONE_WAY_VALVES
        attrs["status"] = _status(link.initial_status)
        vertices = [tuple(v) for v in (link.vertices or [])]
        xy = np.vstack(
            [where[a], *(place(np.array(vertices, float)) if vertices else []), where[b]]
        )
        links.append(_Element(lid, typ, xy, attrs, a=a, b=b, bidirectional=both))
    if renamed:
        warnings.append(
            f"{len(renamed)} link id(s) equal to node ids, named '<type> <id>' "
            f"(column epanet_id keeps the model's id): {_short(renamed)}"
        )
    return _assemble(name, nodes, links, frame, str(path), [], warnings)


def _status(value: Any) -> str:
    text = getattr(value, "name", None) or str(value)
    return str(text).split(".")[-1].capitalize()


def _epanet_placement(
    path: Path,
    model_xy: np.ndarray,
    frame: SceneFrame | None,
    crs: str | None,
    origin: tuple[float, float] | None,
) -> tuple[Any, SceneFrame, str]:
    """A function from model (x, y) to local scene (x, y), the frame, and a note."""
    shift = np.zeros(2) if origin is None else np.asarray(origin, float).reshape(2)
    if crs is None and origin is None:
        frame = frame or SceneFrame()
        note = (
            f"{path.name}: an EPANET model has no coordinate reference system; drawn in "
            "model coordinates around the scene origin. Give --crs EPSG:XXXX --origin X,Y "
            "(or crs and origin in the project's [[layers]] entry) to place it."
        )
        return (lambda xy: np.asarray(xy, float)), frame, note
    note = ""
    if crs is None:
        frame = frame or SceneFrame()
        crs = f"EPSG:{frame.epsg}"
        note = f"{path.name}: no CRS given; the origin is taken in the scene's CRS ({crs})"
    src = _crs(crs, str(path))
    world = model_xy + shift
    if frame is None:
        from alatau_twin.io.georef import frame_for_crs

        frame = frame_for_crs(src, world[:, 0], world[:, 1])
    f = frame
    if src.to_epsg() == f.epsg:

        def place(xy: np.ndarray) -> np.ndarray:
            return np.asarray(xy, float) + shift - np.array([f.origin_e, f.origin_n])

    else:
        from pyproj import Transformer

        tr = Transformer.from_crs(src, f.epsg, always_xy=True)

        def place(xy: np.ndarray) -> np.ndarray:
            w = np.asarray(xy, float).reshape(-1, 2) + shift
            e, n = tr.transform(w[:, 0], w[:, 1])
            return np.column_stack([e, n]) - np.array([f.origin_e, f.origin_n])

    return place, f, note


# ---------------------------------------------------------------------------------------
# Assembly: network, layers, report
# ---------------------------------------------------------------------------------------


def _assemble(
    name: str,
    nodes: list[_Element],
    links: list[_Element],
    frame: SceneFrame,
    source: str,
    duplicates: list[str],
    warnings: list[str],
) -> NetworkImport:
    from alatau_twin.core.network import Network

    net = Network(kind=name)
    for n in nodes:
        x, y = (round(float(v), 3) for v in n.xy[0])
        extra = {"terminal": True} if n.terminal else {}
        net.add_node(n.id, type=n.type, x=x, y=y, source=n.source, **extra)
    for k in links:
        net.add_link(k.id, k.a, k.b, bidirectional=k.bidirectional, type=k.type)
    report = net.validate()
    report.duplicate_ids = list(duplicates)
    report.warnings = list(warnings)

    color = NETWORK_COLORS.get(name, CATEGORY_PALETTE[0])
    label = name
    line_table = _table(
        {
            "id": [k.id for k in links],
            "network": [name] * len(links),
            "type": [k.type for k in links],
            "from_id": [k.a for k in links],
            "to_id": [k.b for k in links],
            "bidirectional": [k.bidirectional for k in links],
        },
        [k.attrs for k in links],
    )
    lrep = LayerReport(source=source)
    lrep.add("links", len(links))
    lrep.add("renamed_duplicates", sum(1 for k in links if "#" in k.id))
    lrep.warnings.extend(report.problems())
    lines = NetworkLineLayer(
        f"{label} links",
        [np.column_stack([k.xy, np.full(len(k.xy), 1.0)]) for k in links],
        line_table,
        style="network",
        report=lrep,
        group=label.capitalize(),
        network_name=name,
        network_model=net,
        network_report=report,
    )
    lines.draped = False  # type: ignore[attr-defined]  # lifted onto a terrain if any
    lines.colors[:] = color
    point_table = _table(
        {
            "id": [n.id for n in nodes],
            "network": [name] * len(nodes),
            "type": [n.type for n in nodes],
            "source": [n.source for n in nodes],
        },
        [n.attrs for n in nodes],
    )
    prep = LayerReport(source=source)
    prep.add("nodes", len(nodes))
    prep.add("sources", sum(n.source for n in nodes))
    xy = np.vstack([n.xy[0] for n in nodes]) if nodes else np.zeros((0, 2))
    extent = float(np.ptp(xy, axis=0).max()) if len(xy) > 1 else 100.0
    size = float(np.clip(extent / 150.0, 1.0, 40.0))
    points = PointLayer(
        f"{label} nodes",
        np.column_stack([xy, np.full(len(xy), 2.0)]),
        point_table,
        size=np.array([2.0 * size if n.source else size for n in nodes]),
        report=prep,
        group=label.capitalize(),
    )
    points.draped = False  # type: ignore[attr-defined]
    points.colors[:] = color
    lines.network_points = points
    return NetworkImport(name, net, lines, points, report, frame)


def _table(own: dict[str, list[Any]], attrs: list[dict[str, Any]]) -> AttributeTable:
    """Our columns first, then the file's other attributes (numbers as floats)."""
    cols: dict[str, Any] = dict(own)
    keys: list[str] = []
    for a in attrs:
        keys += [k for k in a if k not in keys]
    for k in keys:
        if k.lower() in _OWN_COLUMNS or k in cols:
            continue
        values = [_plain(a.get(k)) for a in attrs]
        numeric = (
            v is None or (isinstance(v, int | float) and not isinstance(v, bool)) for v in values
        )
        if all(numeric):
            cols[k] = np.array([np.nan if v is None else v for v in values], float)
        else:
            cols[k] = np.array(values, dtype=object)
    return AttributeTable(cols)


def _plain(v: Any) -> Any:
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not np.isfinite(v):
        return None
    return v
