"""An investigation packet built from the read layer's network view, so it holds only what the view lets out."""

from __future__ import annotations

from collections.abc import Sequence

from harborlight.cases.signals import Signal
from harborlight.protection import Protection
from harborlight.read.freshness import require_current
from harborlight.read.guard import Guard
from harborlight.read.network import network_view
from harborlight.read.viewer import Viewer
from harborlight.respond.packet import Packet, packet_from_view
from harborlight.warehouse import Warehouse


def packet(warehouse: Warehouse, network_id: str, viewer: Viewer, protection: Protection | None = None,
           extra_signals: Sequence[Signal] = ()) -> Packet:
    """The packet for one network as `viewer` may see it. NotFound for an unknown network. `extra_signals`:
    hotline signals an advocate confirmed in the operational store; the packet counts them with the
    warehouse's (each case once), as counts and languages only."""
    require_current(warehouse, "networks")
    guard = Guard.of(warehouse, viewer, protection)
    view = network_view(warehouse, network_id, viewer, guard.protection, extra_signals=extra_signals)
    return packet_from_view(warehouse, view, guard)
