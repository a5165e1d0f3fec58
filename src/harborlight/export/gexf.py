"""`harborlight export --format gexf`: the network graph for Gephi (GEXF 1.3).

Nodes are businesses, persons, agent companies and premises, with their kind, risk,
network and whether they are protected; edges are the ties between them, labelled by
kind. A protected person is a node with a pseudonym as its label and nothing else.
"""

from __future__ import annotations

from pathlib import Path
import re
from xml.sax.saxutils import quoteattr as _quoteattr

from harborlight.export.files import atomic_text_file
from harborlight.export.shown import shown_entities, shown_ties
from harborlight.read.guard import Guard
from harborlight.read.viewer import ANALYST, Viewer
from harborlight.warehouse import Warehouse

FILE_NAME = "graph.gexf"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def quoteattr(value: str) -> str:
    """An XML attribute value; characters XML 1.0 cannot carry (from hostile input) are dropped."""
    return _quoteattr(_NOT_XML.sub("", value))
ATTRIBUTES = (("0", "kind", "string"), ("1", "risk_score", "double"), ("2", "network_id", "string"), ("3", "protected", "boolean"))


def gexf_lines(warehouse: Warehouse, viewer: Viewer = ANALYST):
    guard = Guard.of(warehouse, viewer)
    entities = shown_entities(warehouse, viewer, guard)
    known = {e.entity_id for e in entities}
    yield '<?xml version="1.0" encoding="UTF-8"?>'
    yield '<gexf xmlns="http://gexf.net/1.3" version="1.3">'
    yield '  <graph mode="static" defaultedgetype="undirected">'
    yield '    <attributes class="node">'
    for attr_id, title, kind in ATTRIBUTES:
        yield f'      <attribute id="{attr_id}" title="{title}" type="{kind}"/>'
    yield "    </attributes>"
    yield "    <nodes>"
    for e in entities:
        values = (e.kind, "" if e.risk_score is None else f"{e.risk_score:.4f}", e.network_id or "", str(e.protected).lower())
        attvalues = "".join(f'<attvalue for="{a[0]}" value={quoteattr(v)}/>' for a, v in zip(ATTRIBUTES, values) if v != "")
        yield f"      <node id={quoteattr(e.entity_id)} label={quoteattr(e.name)}><attvalues>{attvalues}</attvalues></node>"
    yield "    </nodes>"
    yield "    <edges>"
    for i, tie in enumerate(t for t in shown_ties(warehouse, viewer, guard) if t.node_id in known and t.business_id in known):
        yield f'      <edge id="{i}" source={quoteattr(tie.node_id)} target={quoteattr(tie.business_id)} label={quoteattr(tie.kind)}/>'
    yield "    </edges>"
    yield "  </graph>"
    yield "</gexf>"


def export_gexf(warehouse: Warehouse, out: Path, viewer: Viewer = ANALYST) -> int:
    lines = 0
    with atomic_text_file(out / FILE_NAME) as handle:
        for line in gexf_lines(warehouse, viewer):
            handle.write(line + "\n")
            lines += 1
    return lines
