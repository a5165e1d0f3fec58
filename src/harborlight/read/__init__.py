"""The read layer: every view of the warehouse as a typed result, protection applied, freshness checked.

The CLI, the report, packets and (next) the web API read through these functions. Each takes
a `Viewer`; each checks first that what it reads is current; each result holds only
pseudonyms for protected people and only redacted record text.
"""

from harborlight.read.dossier import BusinessDossier, business_dossier
from harborlight.read.network import Controller, NetworkView, controller, network_view, tie_phrase
from harborlight.read.outcomes import Outcomes, outcomes
from harborlight.read.premises import PremisesTimeline, premises_timeline
from harborlight.read.search import SearchResults, search
from harborlight.read.viewer import ANALYST, ROLES, Viewer

__all__ = [
    "ANALYST", "ROLES", "BusinessDossier", "Controller", "NetworkView", "Outcomes", "PremisesTimeline",
    "SearchResults", "Viewer", "business_dossier", "controller", "network_view", "outcomes", "packet",
    "premises_timeline", "search", "tie_phrase",
]


def __getattr__(name: str):
    # `packet` is loaded on first use: respond/packet.py reads its record text through this
    # package, so importing it here would make the two import each other.
    if name == "packet":
        from harborlight.read.packets import packet

        return packet
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
