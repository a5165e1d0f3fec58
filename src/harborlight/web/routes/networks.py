"""One network: its page, its graph (Cytoscape elements for static/network.js) and its controllers.

Investigators read these too, but only for networks released to their agency: every loader here
calls `policy.require_network` before reading anything (it refuses, or audits the read). The graph
is built only from the read layer's NetworkView, so a protected person can appear in it only as the
pseudonym the view already holds, and never under their entity id.
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from harborlight import read
from harborlight.web import policy
from harborlight.web.context import Context, signed_in
from harborlight.web.hotline import HotlineSignals, hotline_summary
from harborlight.web.render import page
from harborlight.web.routes.findings import NoteLine, notes_of

router = APIRouter()


class Member(BaseModel):
    business_id: str
    name: str
    risk_score: float | None
    risk_band: str | None


class Tie(BaseModel):
    business_id: str
    kind: str
    phrase: str  # how the tie reads: "officer of", "registered agent of", ...
    record: str  # record_type:source:record_id


class ControlFact(BaseModel):
    evidence: str  # manager_role, registered_agent, holdings, network_address, persistence_across_successors
    business_id: str
    record: str


class ControllerPage(BaseModel):
    network_id: str
    person_id: str
    name: str
    score: float
    ties: list[Tie]
    evidence: list[ControlFact]


class TimelineEntry(BaseModel):
    street: str
    business_id: str
    name: str
    first_seen: date | None
    last_seen: date | None


class ProtectedTie(BaseModel):
    pseudonym: str
    business_ids: list[str]


class NetworkPage(BaseModel):
    network_id: str
    risk_score: float | None
    members: list[Member]
    controllers: list[ControllerPage]
    timeline: list[TimelineEntry]
    protected: list[ProtectedTie]  # protected people: pseudonyms only, never names or ids
    protected_count: int
    operations: list[str]
    cities: list[str]
    notes: list[NoteLine]  # analysts' notes; empty for other roles
    hotline: HotlineSignals  # hotline cases an advocate confirmed mention its businesses: counts, never a survivor


def controller_part(c: read.Controller) -> ControllerPage:
    return ControllerPage(
        network_id=c.network_id, person_id=c.person_id, name=c.name, score=c.score,
        ties=[Tie(business_id=t.business_id, kind=t.kind, phrase=read.tie_phrase(t.kind), record=t.record) for t in c.ties],
        evidence=[ControlFact(**f._asdict()) for f in c.evidence])


def view_of(context: Context, network_id: str) -> read.NetworkView:
    """The network as the viewer may see it; an investigator's scope is checked (and audited) first."""
    policy.require_network(context.store, context.user, network_id)
    return context.remember("network_view", network_id, make=lambda: read.network_view(
        context.warehouse(), network_id, context.viewer, context.protection()))


def network(context: Context, network_id: str) -> NetworkPage:
    v = view_of(context, network_id)
    return NetworkPage(
        network_id=v.network_id, risk_score=v.risk_score, members=[Member(**m._asdict()) for m in v.members],
        controllers=[controller_part(c) for c in v.controllers],
        timeline=[TimelineEntry(**t._asdict()) for t in v.timeline],
        protected=[ProtectedTie(pseudonym=p.pseudonym, business_ids=list(p.business_ids)) for p in v.protected_ties],
        protected_count=v.protected_count, operations=list(v.operations), cities=list(v.cities),
        notes=notes_of(context, "network", v.network_id),
        hotline=hotline_summary(context, [m.business_id for m in v.members]))


@router.get("/api/networks/{network_id}", name="api_network", response_model=NetworkPage)
def api_network(network_id: str, context: Context = Depends(signed_in)) -> NetworkPage:
    """One network: members, controllers with their ties and evidence, the premises timeline, protected people
    as pseudonyms, and the hotline signals on its businesses (counts only)."""
    return network(context, network_id)


@router.get("/networks/{network_id}", name="network_page", response_class=HTMLResponse, include_in_schema=False)
def network_page(request: Request, network_id: str, context: Context = Depends(signed_in)) -> HTMLResponse:
    return page(request, "network.html", network(context, network_id), context=context, title=network_id)


# --- the graph ----------------------------------------------------------------------------------

class NodeData(BaseModel):
    id: str
    label: str
    kind: str  # business | controller | protected
    evidence: list[str]  # lines shown when the node is clicked


class Node(BaseModel):
    data: NodeData


class EdgeData(BaseModel):
    id: str
    source: str
    target: str
    kind: str
    label: str
    records: list[str]


class Edge(BaseModel):
    data: EdgeData


class Graph(BaseModel):
    """Cytoscape's elements: {nodes: [{data: {...}}], edges: [{data: {...}}]}."""

    nodes: list[Node]
    edges: list[Edge]


def _business_node(m) -> Node:
    risk = f"risk {m.risk_score:.3f} ({m.risk_band})" if m.risk_score is not None else "not scored"
    return Node(data=NodeData(id=m.business_id, label=m.name, kind="business", evidence=[m.business_id, risk]))


def _controller_node(c: read.Controller) -> Node:
    lines = [f"ranked controller, score {c.score:.3f}"]
    lines += [f"{read.tie_phrase(t.kind)} {t.business_id} ({t.record})" for t in c.ties]
    lines += [f"{f.evidence} at {f.business_id} ({f.record})" for f in c.evidence]
    return Node(data=NodeData(id=c.person_id, label=c.name, kind="controller", evidence=lines))


def graph(context: Context, network_id: str) -> Graph:
    """The network as nodes and edges: its businesses, its controllers tied to them (each edge with the
    records behind it), and its protected people as pseudonym nodes (the pseudonym is the id, so no entity
    id leaves), tied to their businesses without naming anyone."""
    v = view_of(context, network_id)
    nodes = [_business_node(m) for m in v.members] + [_controller_node(c) for c in v.controllers]
    members = {m.business_id for m in v.members}
    edges: dict[tuple[str, str, str], EdgeData] = {}
    for c in v.controllers:
        for t in c.ties:
            if t.business_id not in members:  # an edge must join two drawn nodes
                continue
            key = (c.person_id, t.business_id, t.kind)
            if key not in edges:
                edges[key] = EdgeData(id=f"{c.person_id}|{t.business_id}|{t.kind}", source=c.person_id,
                                      target=t.business_id, kind=t.kind, label=read.tie_phrase(t.kind), records=[])
            edges[key].records.append(t.record)
    for p in v.protected_ties:
        nodes.append(Node(data=NodeData(id=p.pseudonym, label=p.pseudonym, kind="protected", evidence=[
            "a protected person (a worker or a probable nominee): never named, never a target"])))
        for b in p.business_ids:
            if b in members:
                edges[(p.pseudonym, b, "tied")] = EdgeData(id=f"{p.pseudonym}|{b}", source=p.pseudonym, target=b,
                                                           kind="protected_tie", label="tied to", records=[])
    return Graph(nodes=nodes, edges=[Edge(data=e) for e in edges.values()])


@router.get("/api/networks/{network_id}/graph", name="api_network_graph", response_model=Graph)
def api_network_graph(network_id: str, context: Context = Depends(signed_in)) -> Graph:
    """The network's graph as Cytoscape elements; protected people appear only as pseudonym nodes."""
    return graph(context, network_id)


# --- one controller -----------------------------------------------------------------------------

def controller(context: Context, network_id: str, person_id: str) -> ControllerPage:
    policy.require_network(context.store, context.user, network_id)
    return controller_part(read.controller(context.warehouse(), network_id, person_id, context.viewer,
                                           context.protection()))


@router.get("/api/networks/{network_id}/controllers/{person_id}", name="api_controller", response_model=ControllerPage)
def api_controller(network_id: str, person_id: str, context: Context = Depends(signed_in)) -> ControllerPage:
    """One ranked controller of a network, with their ties and the evidence of control, each with its record."""
    return controller(context, network_id, person_id)


@router.get("/networks/{network_id}/controllers/{person_id}", name="controller_page", response_class=HTMLResponse,
            include_in_schema=False)
def controller_page(request: Request, network_id: str, person_id: str,
                    context: Context = Depends(signed_in)) -> HTMLResponse:
    data = controller(context, network_id, person_id)
    return page(request, "controller.html", data, context=context, title=data.name)
