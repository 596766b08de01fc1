"""Graphs in files, and the JSON form kept in the study database.

Readable formats, chosen by extension:

- edge list (``.edges``, ``.edgelist``, ``.txt``, ``.csv``): one ``u v`` per line (``u,v`` in
  CSV), ``#`` starts a comment, a line with a single id adds an isolated node, a trailing weight
  or ``{...}`` data column (as `nx.write_edgelist` writes) is ignored, a CSV header such as
  ``source,target`` is skipped. Integer ids become ints and, if all ids are integers, the nodes
  are sorted (node order decides the DAG's orientation, so 0..n-1 stays 0..n-1); otherwise they
  keep the order of first appearance. Undirected unless ``directed=True``.
- GraphML (``.graphml``): directedness from the file; integer ids become ints.
- node-link JSON (``.json``), as `nx.node_link_data` writes it, with either "edges" or "links".

Pickle is never read: a pickle can run arbitrary code. Parallel edges are merged.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import networkx as nx

from randrnn.errors import RandRNNError, check_name

EDGE_LIST_SUFFIXES = (".edges", ".edgelist", ".txt", ".csv")
SUFFIXES = (*EDGE_LIST_SUFFIXES, ".graphml", ".json")
# What parsers raise on malformed content (XML ParseError is a SyntaxError; JSON and decoding
# errors are ValueErrors).
_READ_ERRORS = (ValueError, KeyError, TypeError, SyntaxError, OSError, nx.NetworkXError)
_CSV_HEADERS = {"source", "target", "u", "v", "from", "to", "src", "dst", "node", "id"}


def _node_id(token: str) -> int | str:
    try:
        return int(token)
    except ValueError:
        return token


def _is_data_column(token: str) -> bool:
    if token.startswith("{"):
        return True
    try:
        float(token)
    except ValueError:
        return False
    return True


def _read_edge_list(path: Path, text: str, directed: bool) -> nx.Graph:
    g = nx.DiGraph() if directed else nx.Graph()
    csv = path.suffix.lower() == ".csv"
    first = True
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if csv:
            tokens = [t.strip() for t in line.split(",")]
            if first and {t.lower() for t in tokens[:2]} <= _CSV_HEADERS:
                first = False
                continue
        else:
            tokens = line.split(None, 2)  # a third column may be a {...} dict with spaces
        first = False
        if len(tokens) == 1 and tokens[0]:
            g.add_node(_node_id(tokens[0]))
        elif len(tokens) >= 2 and all(tokens[:2]) and all(map(_is_data_column, tokens[2:])):
            g.add_edge(_node_id(tokens[0]), _node_id(tokens[1]))
        else:
            raise RandRNNError(f"{path}: line {lineno} is not 'u v': {raw.strip()!r}")
    if all(isinstance(v, int) for v in g.nodes):  # node order decides the DAG: keep 0..n-1
        ordered = g.__class__()
        ordered.add_nodes_from(sorted(g.nodes))
        ordered.add_edges_from(g.edges)
        g = ordered
    return g


def _relabel_int(g: nx.Graph) -> nx.Graph:
    """Relabel string ids that are all integers to ints (keeping node order)."""
    try:
        mapping = {v: int(v) for v in g.nodes}
    except (TypeError, ValueError):
        return g
    if len(set(mapping.values())) != len(mapping):
        return g
    return nx.relabel_nodes(g, mapping, copy=True)


def _node_link(data: Any) -> nx.Graph:
    if not isinstance(data, dict) or "nodes" not in data:
        raise ValueError("not node-link data (no 'nodes' key)")
    key = "links" if "links" in data and "edges" not in data else "edges"
    data = {**data, key: data.get(key, [])}
    return nx.node_link_graph(data, edges=key)


def _simple(g: nx.Graph) -> nx.Graph:
    if g.is_multigraph():
        return nx.DiGraph(g) if g.is_directed() else nx.Graph(g)
    return g


def read_graph(path: str | Path, directed: bool | None = None) -> nx.Graph:
    """Read a graph file (edge list, GraphML or node-link JSON); see the module docstring.

    `directed=None` takes directedness from the file (edge lists: undirected); False makes a
    directed file undirected; True reads an edge list as directed and refuses an undirected
    GraphML or JSON file. Any problem raises RandRNNError naming the file.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".pkl", ".pickle", ".gpickle"):
        raise RandRNNError(f"{path}: pickle files are not read (they can run code); use GraphML")
    check_name("graph format", suffix, SUFFIXES, where=str(path))
    if not path.is_file():
        raise RandRNNError(f"{path}: no such file")
    try:
        if suffix in EDGE_LIST_SUFFIXES:
            g = _read_edge_list(path, path.read_text(encoding="utf-8"), bool(directed))
        elif suffix == ".graphml":
            g = _relabel_int(nx.read_graphml(path))
        else:
            g = _node_link(json.loads(path.read_text(encoding="utf-8")))
    except _READ_ERRORS as exc:  # malformed content of any kind: one line naming the file
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise RandRNNError(f"{path}: cannot read {suffix[1:]} graph: {detail}") from None
    g = _simple(g)
    if g.number_of_nodes() == 0:
        raise RandRNNError(f"{path}: graph has no nodes")
    if directed is True and not g.is_directed():
        raise RandRNNError(f"{path}: the file declares an undirected graph, not a directed one")
    if directed is False and g.is_directed():
        g = nx.Graph(g.to_undirected())
    return g


def to_json(g: nx.Graph) -> str:
    """Node-link JSON of `g` (nodes in order, edges, directedness), as stored in a study."""
    return json.dumps(nx.node_link_data(g, edges="edges"), separators=(",", ":"))


def from_json(s: str) -> nx.Graph:
    """The graph stored by `to_json` (also accepts the older "links" key)."""
    try:
        return _node_link(json.loads(s))
    except (ValueError, KeyError, TypeError, nx.NetworkXError) as exc:
        raise RandRNNError(f"stored graph JSON is malformed: {exc}") from None
