"""One network as the `network` command prints it. The view itself is the read layer's
(`harborlight.read.network_view`): protection applied there, before any value leaves.

`network_view(warehouse, network_id)` here reads as the CLI's analyst; the API passes its viewer
to `harborlight.read.network_view` directly.
"""

from __future__ import annotations

from harborlight.protection import Protection
from harborlight.read.network import Controller, NetworkView, tie_phrase
from harborlight.read.network import network_view as read_network_view
from harborlight.read.viewer import ANALYST, Viewer
from harborlight.warehouse import Warehouse

__all__ = ["Controller", "NetworkView", "network_text", "network_view", "tie_phrase"]


def network_view(warehouse: Warehouse, network_id: str, viewer: Viewer = ANALYST,
                 protection: Protection | None = None) -> NetworkView:
    return read_network_view(warehouse, network_id, viewer, protection)


def network_text(view: NetworkView) -> list[str]:
    risk = "" if view.risk_score is None else f"  risk {view.risk_score:.3f}"
    lines = [f"{view.network_id}{risk}", ""]
    if view.cities:
        lines += [f"cities: {'; '.join(view.cities)}", ""]
    lines.append(f"businesses ({len(view.members)}):")
    for business_id, name, score, band in view.members:
        lines.append(f"  {business_id}  {name}" + ("" if score is None else f"  {score:.3f} {band}"))
    lines += ["", f"controllers ({len(view.controllers)}), strongest first:"]
    for c in view.controllers:
        lines.append(f"  {c.person_id}  {c.name}  score {c.score:.2f}")
        for business_id, kind, ref in c.ties:
            lines.append(f"      {tie_phrase(kind)} {business_id}  ({ref})")
    lines += ["", "premises timeline:"]
    for street, business_id, name, first, last in view.timeline:
        lines.append(f"  {street}: {name} ({business_id}) {first or '?'} to {last or 'open'}")
    lines += ["", f"protected people: {view.protected_count} (potential victims and probable nominees; never targets)"]
    if view.protected:
        lines.append("  " + ", ".join(view.protected))
    if view.operations:
        lines += ["", "enforcement operations naming its businesses (see `harborlight outcomes`):"]
        lines += [f"  {op}" for op in view.operations]
    return lines
