"""The figures the synthetic world is built to, each with where it comes from.

docs/synthetic-world.md shows the same table, and a test checks that the docs,
these numbers and a generated world agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Figure:
    value: float
    source: str


@dataclass(frozen=True)
class Calibration:
    businesses_per_scale: int = 1000

    # Shares of all businesses in the world (holding companies and franchisors come on top).
    category_shares: dict[str, float] = field(
        default_factory=lambda: {
            "imb": 0.16,
            "chain": 0.12,
            "independent": 0.24,
            "reflexology": 0.14,
            "medical": 0.12,
            "other": 0.22,
        }
    )

    # IMB network sizes (businesses, reopened premises included): weight of each size 1..15.
    network_size_weights: tuple[float, ...] = (
        0.22, 0.17, 0.13, 0.10, 0.08, 0.06, 0.05, 0.04, 0.03, 0.03, 0.025, 0.02, 0.02, 0.015, 0.015,
    )
    controllers_per_network_weights: tuple[float, ...] = (0.55, 0.30, 0.15)  # 1, 2, 3 controllers

    figures: dict[str, Figure] = field(
        default_factory=lambda: {
            "imb_filing_names_controller": Figure(
                0.25,
                "Polaris, Hidden in Plain Sight (2018): about 1 in 4 massage-business records named a real person",
            ),
            "imb_filing_names_owner": Figure(
                0.20,
                "Polaris, Hidden in Plain Sight (2018): about 1 in 5 named any owner",
            ),
            "imb_has_filing": Figure(0.85, "assumption: some IMBs operate with no registry record"),
            "imb_reopened_share": Figure(
                0.20,
                "Polaris (2018): exposed IMBs often close and reopen at the same premises under a new name; share assumed",
            ),
            "imb_review_board_share": Figure(
                0.80, "Polaris indicators: advertising on sex-buyer review boards; share assumed"
            ),
            "network_holding_company_share": Figure(0.40, "assumption: controllers' holding companies"),
            "worker_licensed_share": Figure(0.50, "assumption: about half of IMB workers hold a therapist license"),
            "east_asian_reflexology_owner_share": Figure(
                0.80, "world design: legitimate reflexology owned mostly by East-Asian owners, for the fairness audit"
            ),
            "east_asian_independent_owner_share": Figure(
                0.30, "world design: a share of legitimate independent spas have East-Asian owners"
            ),
            "east_asian_imb_controller_share": Figure(
                0.85, "Polaris hotline data: IMB workers mostly recent immigrants from China or South Korea; controllers assumed alike"
            ),
            "late_hours_legit_foot_share": Figure(0.30, "world design: some legitimate foot spas open late"),
        }
    )

    def value(self, name: str) -> float:
        return self.figures[name].value


DEFAULT = Calibration()
