"""Packets: an analyst reviews a network's packet and releases it to an agency; the agency's investigators
read the release. A release is a snapshot: the packet as the read layer let it out, stored as JSON with its
digest, so what the agency holds never changes when the warehouse is rebuilt.

Hotline cases are never part of the snapshot. A released packet is shown with the hotline signals on its
businesses as counts, read at view time; an investigator also sees the case details a survivor consented to
share with their very agency as law enforcement (cases.packets), asked at every read and download, so a
revoked or expired consent stops the next one."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict
from datetime import datetime

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from harborlight.cases.consent import FIELD_LABELS
from harborlight.cases.packets import case_details_for_agency
from harborlight.read import packet as read_packet
from harborlight.report.page import escape
from harborlight.respond.packet import Packet, render_html
from harborlight.stages.runs import latest_run_id
from harborlight.store import audit, casework
from harborlight.store.models import PacketRelease
from harborlight.web import policy
from harborlight.web.params import MAX_ID, RowId, RowIdField
from harborlight.web.context import Context, signed_in
from harborlight.web.hotline import HotlineSignals, confirmed_in_store, hotline_signals_for, summarize
from harborlight.web.render import page

router = APIRouter()


class AgencyChoice(BaseModel):
    id: int
    name: str


class ReleaseLine(BaseModel):
    release_id: int
    network_id: str
    agency_id: int
    agency: str
    released_at: datetime
    note: str
    digest: str


class Releases(BaseModel):
    releases: list[ReleaseLine]


class PacketReview(BaseModel):
    network_id: str
    packet: Packet  # respond/packet.Packet: pseudonyms and redacted text only
    agencies: list[AgencyChoice]


class ReleaseRequest(BaseModel):
    network_id: str = Field(min_length=1, max_length=80)
    agency_id: RowIdField
    note: str = Field(default="", max_length=4000)


class Released(BaseModel):
    release_id: int
    network_id: str
    agency_id: int
    digest: str


class SharedField(BaseModel):
    field: str  # one of cases.consent.PERSONAL_FIELDS
    label: str
    values: list[str]


class SharedCase(BaseModel):
    case_ref: str
    fields: list[SharedField]


class ReleasedPacket(BaseModel):
    release: ReleaseLine
    networks_run: str
    packet: Packet  # respond/packet.Packet: pseudonyms and redacted text only
    hotline: HotlineSignals  # hotline cases on the packet's businesses, as counts, read now
    shared_cases: list[SharedCase]  # investigators: what survivors consented to share with their agency, read now


def _line(release: PacketRelease, agencies: dict[int, str]) -> ReleaseLine:
    return ReleaseLine(release_id=release.id, network_id=release.network_id, agency_id=release.agency_id,
                       agency=agencies.get(release.agency_id, ""), released_at=release.released_at,
                       note=release.note, digest=release.packet_digest)


def releases(context: Context) -> Releases:
    with context.store.session() as session:
        names = casework.agency_names(session)
        return Releases(releases=[_line(r, names) for r in casework.releases_for(session, context.user)])


def review(context: Context, network_id: str) -> PacketReview:
    """The packet as it would be released: read now, through the read layer, as the analyst sees it."""
    built = read_packet(context.warehouse(), network_id, context.viewer, context.protection(),
                        extra_signals=confirmed_in_store(context))
    with context.store.session() as session:
        agencies = [AgencyChoice(id=a.id, name=a.name) for a in casework.agencies(session)]
    return PacketReview(network_id=network_id, packet=built, agencies=agencies)


def release(context: Context, request: ReleaseRequest) -> Released:
    """Read the packet, snapshot it, check it once more against protection, then store the release and its
    audit entry in one transaction. A refused packet stores nothing."""
    warehouse = context.warehouse()
    built = read_packet(warehouse, request.network_id, context.viewer, context.protection(),
                        extra_signals=confirmed_in_store(context))
    snapshot = json.dumps(asdict(built), sort_keys=True, default=str)
    # The last check, on exactly the text that will be stored: no controller who is protected, no protected
    # identity anywhere in the snapshot or the note.
    context.protection().refuse(f"the packet of network {request.network_id}",
                                [c["entity_id"] for c in built.controllers], [snapshot, request.note])
    run = latest_run_id(warehouse, "networks")
    with context.store.writing() as session:
        made = casework.release_packet(session, network_id=request.network_id, agency_id=request.agency_id,
                                       note=request.note, packet_json=snapshot,
                                       packet_digest=hashlib.sha256(snapshot.encode("utf-8")).hexdigest(),
                                       networks_run=str(run) if run is not None else "", by=context.user)
        return Released(release_id=made.id, network_id=made.network_id, agency_id=made.agency_id,
                        digest=made.packet_digest)


def _allowed_release(context: Context, release_id: int) -> PacketRelease:
    """The release, once the viewer may read it (investigators: their agency's only, and the read is audited)."""
    with context.store.session() as session:
        found = casework.release(session, release_id)
    policy.require_release(context.store, context.user, found)
    return found


def shared_cases(context: Context, release: PacketRelease, case_refs: set[str], agency: str) -> list[SharedCase]:
    """The case details survivors consented to share with the release's agency as law enforcement, for an
    investigator of that agency only; asked now, through the consent gate (which audits what it unseals)."""
    if context.user.role != "investigator" or context.user.agency_id != release.agency_id or not case_refs:
        return []
    with context.store.writing() as session:
        found = case_details_for_agency(session, context.workspace.keyring(), case_refs, agency, context.user)
        return [SharedCase(case_ref=d.case_ref, fields=[SharedField(field=name, label=FIELD_LABELS[name], values=values)
                                                        for name, values in d.fields.items()]) for d in found]


def released(context: Context, release_id: int) -> ReleasedPacket:
    """A release as stored: the snapshot, never a fresh read of the warehouse; the hotline part read now."""
    found = _allowed_release(context, release_id)
    with context.store.session() as session:
        names = casework.agency_names(session)
    packet = Packet(**json.loads(found.packet_json))
    signals = hotline_signals_for(context, [b["entity_id"] for b in packet.businesses])
    return ReleasedPacket(release=_line(found, names), networks_run=found.networks_run, packet=packet,
                          hotline=summarize(signals),
                          shared_cases=shared_cases(context, found, {s.case_ref for s in signals},
                                                    names.get(found.agency_id, "")))


def shared_cases_html(hotline: HotlineSignals, cases: list[SharedCase]) -> str:
    """The download's hotline part: counts, and the consented case details when the downloader may have them."""
    parts = ["<section id='hotline-cases'><h2>Hotline cases</h2>",
             f"<p>{hotline.contacts} hotline contact{'' if hotline.contacts == 1 else 's'} mention these businesses; "
             f"languages needed: {escape(', '.join(hotline.languages) or 'English or not recorded')}.</p>"]
    if cases:
        parts.append("<h3>Case details shared with your agency</h3>")
        for case in cases:
            parts.append(f"<h4>{escape(case.case_ref)}</h4><ul>")
            parts += [f"<li>{escape(f.label)}: {escape('; '.join(f.values))}</li>" for f in case.fields]
            parts.append("</ul>")
    parts.append("</section>")
    return "".join(parts)


@router.get("/api/packets", name="api_packets", response_model=Releases)
def api_packets(context: Context = Depends(signed_in)) -> Releases:
    """Packets released: all of them for analysts, those released to their agency for investigators."""
    return releases(context)


@router.get("/packets", name="packets_page", response_class=HTMLResponse, include_in_schema=False)
def packets_page(request: Request, context: Context = Depends(signed_in)) -> HTMLResponse:
    return page(request, "packets.html", releases(context), context=context, title="Packets")


@router.get("/api/packets/new", name="api_packet_review", response_model=PacketReview)
def api_packet_review(network: str = Query(min_length=1, max_length=80),
                      context: Context = Depends(signed_in)) -> PacketReview:
    """A network's packet as it would be released, and the agencies it may be released to."""
    return review(context, network)


@router.get("/packets/new", name="packet_review_page", response_class=HTMLResponse, include_in_schema=False)
def packet_review_page(request: Request, network: str = Query(min_length=1, max_length=80),
                       context: Context = Depends(signed_in)) -> HTMLResponse:
    return page(request, "packet_review.html", review(context, network), context=context,
                title=f"Release the packet of {network}")


@router.post("/api/packets", name="api_packet_release", response_model=Released, status_code=201)
def api_packet_release(body: ReleaseRequest, context: Context = Depends(signed_in)) -> Released:
    """Release a network's packet to an agency: a snapshot is stored with its digest, and audited."""
    return release(context, body)


@router.post("/packets", name="packet_release", include_in_schema=False)
def packet_release(network_id: str = Form(""), agency_id: int = Form(..., ge=1, le=MAX_ID), note: str = Form(""),
                   context: Context = Depends(signed_in)) -> Response:
    made = release(context, ReleaseRequest(network_id=network_id, agency_id=agency_id, note=note))
    return RedirectResponse(f"/packets/{made.release_id}", status_code=303)


@router.get("/api/packets/{release_id}", name="api_packet", response_model=ReleasedPacket)
def api_packet(release_id: RowId, context: Context = Depends(signed_in)) -> ReleasedPacket:
    """A released packet, from its stored snapshot."""
    return released(context, release_id)


@router.get("/packets/{release_id}", name="packet_page", response_class=HTMLResponse, include_in_schema=False)
def packet_page(request: Request, release_id: RowId, context: Context = Depends(signed_in)) -> HTMLResponse:
    data = released(context, release_id)
    return page(request, "packet.html", data, context=context, title=f"Packet of {data.release.network_id}")


@router.get("/packets/{release_id}/download", name="packet_download", include_in_schema=False)
def packet_download(release_id: RowId, context: Context = Depends(signed_in)) -> Response:
    """The stored snapshot as one printable HTML file, downloaded; the export is audited. The hotline part is
    read now: counts, and case details only for an investigator whose agency a survivor consented to."""
    data = released(context, release_id)
    found = data.release
    head, _, tail = render_html(data.packet).rpartition("</body>")
    html = head + shared_cases_html(data.hotline, data.shared_cases) + "</body>" + tail
    with context.store.writing() as session:
        audit.append(session, "export", context.actor, f"release:{found.release_id}", {"network": found.network_id})
    # Only safe characters in the file name, whatever the network id holds.
    name = re.sub(r"[^A-Za-z0-9._-]", "_", f"packet-{found.network_id}-release-{found.release_id}.html")
    return HTMLResponse(html, headers={"Content-Disposition": f'attachment; filename="{name}"'})
