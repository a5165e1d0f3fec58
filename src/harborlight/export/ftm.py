"""`harborlight export --format ftm`: FollowTheMoney entities as JSON lines, for OCCRP Aleph.

Businesses and agent companies are Company entities, persons Person entities, premises
Address entities; officer ties are Directorship (a company managing another is
Ownership), registered agents Representation, and workers' license ties Employment.
A protected person is a Person with a pseudonym and nothing else.
"""

from __future__ import annotations

import json
from pathlib import Path

from followthemoney import model

from harborlight.export.files import atomic_text_file
from harborlight.export.shown import shown_entities, shown_ties
from harborlight.read.guard import Guard
from harborlight.read.viewer import ANALYST, Viewer
from harborlight.warehouse import Warehouse

SCHEMA = {"business": "Company", "agent": "Company", "person": "Person", "premises": "Address"}
FILE_NAME = "entities.ftm.json"
# Every entity names the data set it belongs to, as Aleph and OpenSanctions exports do: the
# export is harborlight's resolved view, one data set, so `import ftm` reads it back as one source.
DATASET = "harborlight"


def _entity(schema: str, entity_id: str):
    proxy = model.make_entity(schema)
    proxy.id = entity_id
    proxy.context["datasets"] = [DATASET]
    return proxy


def ftm_entities(warehouse: Warehouse, viewer: Viewer = ANALYST):
    """Yield FollowTheMoney entity proxies for everything `viewer` may be shown."""
    guard = Guard.of(warehouse, viewer)
    entities = {e.entity_id: e for e in shown_entities(warehouse, viewer, guard)}
    for e in entities.values():
        proxy = _entity(SCHEMA[e.kind], e.entity_id)
        if e.kind == "premises":
            proxy.add("full", e.name)
            proxy.add("city", e.city)
            proxy.add("region", e.state)
            proxy.add("country", "us")
        else:
            proxy.add("name", e.name)
            if not e.protected:
                proxy.add("address", ", ".join(x for x in (e.address, e.city, e.state, e.zip) if x) or None)
            if e.risk_score is not None:
                proxy.add("notes", f"harborlight risk {e.risk_score:.3f} ({e.risk_band})")
            if e.network_id:
                proxy.add("keywords", e.network_id)
        yield proxy
    for i, tie in enumerate(shown_ties(warehouse, viewer, guard)):
        node = entities.get(tie.node_id)
        if node is None or tie.business_id not in entities:
            continue
        link_id = f"{tie.kind}-{tie.node_id}-{tie.business_id}-{i}"
        if tie.kind == "located_at":
            company = _entity("Company", tie.business_id)
            company.add("addressEntity", tie.node_id)
            yield company
            continue
        if tie.kind == "licensed_to_work_at":
            link = _entity("Employment", link_id)
            link.add("employee", tie.node_id)
            link.add("employer", tie.business_id)
        elif tie.kind == "registered_agent":
            link = _entity("Representation", link_id)
            link.add("agent", tie.node_id)
            link.add("client", tie.business_id)
            link.add("role", "registered agent")
        elif node.kind == "business":
            link = _entity("Ownership", link_id)
            link.add("owner", tie.node_id)
            link.add("asset", tie.business_id)
            link.add("role", tie.role)
        else:
            link = _entity("Directorship", link_id)
            link.add("director", tie.node_id)
            link.add("organization", tie.business_id)
            link.add("role", tie.role)
        link.add("recordId", tie.record)
        yield link


def export_ftm(warehouse: Warehouse, out: Path, viewer: Viewer = ANALYST) -> int:
    count = 0
    with atomic_text_file(out / FILE_NAME) as handle:
        for proxy in ftm_entities(warehouse, viewer):
            handle.write(json.dumps(proxy.to_dict(), ensure_ascii=False, sort_keys=True) + "\n")
            count += 1
    return count
