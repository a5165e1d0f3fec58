"""The figures the synthetic world is built to, each with where it comes from.

docs/synthetic-world.md shows the same table, and a test checks that the docs,
these numbers and a generated world agree. A figure is either published (its
source is named) or an assumption, stated as "assumption: ..." with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

MASSAGE_CATEGORIES = ("imb", "chain", "independent", "reflexology")
LEGIT_CATEGORIES = ("chain", "independent", "reflexology", "medical", "other")


@dataclass(frozen=True)
class Figure:
    value: float
    source: str


def standard_figures() -> dict[str, Figure]:
    return {
        "imb_prevalence": Figure(
            0.10,
            "assumption: IMBs among all massage businesses (illicit, chain, independent, reflexology); "
            "no published local rate, and issue 10 asks for about 10% so that false positives weigh as they would in the field",
        ),
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
        "imb_successor_keeps_phone": Figure(
            0.50,
            "assumption: a business reopened at the same premises often keeps the number its customers know",
        ),
        "imb_network_phone_share": Figure(
            0.60,
            "Polaris, Hidden in Plain Sight (2018): networks share phone numbers; share of locations advertising "
            "a network booking phone assumed",
        ),
        "imb_review_board_share": Figure(
            0.80, "Polaris indicators: advertising on sex-buyer review boards; share assumed"
        ),
        "network_holding_company_share": Figure(0.40, "assumption: controllers' holding companies"),
        "network_controllers_hidden_share": Figure(
            0.20,
            "assumption: in a share of networks the controllers appear only as registered agent or as manager of a "
            "holding company, never as officer of a storefront business (Polaris: 1 in 4 records name a real person)",
        ),
        "network_worker_officer_share": Figure(
            0.30,
            "assumption: networks with two or more filings that name one worker as officer on 2-3 of them; the "
            "nominee pattern reported in issue 10",
        ),
        "worker_licensed_share": Figure(0.50, "assumption: about half of IMB workers hold a therapist license"),
        "worker_moved_share": Figure(
            0.02,
            "assumption: rare; licensed IMB workers also licensed at a business of a second network "
            "(hotline data: frequent turnover of workers)",
        ),
        "colocated_share": Figure(
            0.06,
            "assumption: legitimate single businesses in a hotel, plaza or office suite with 1-3 others, "
            "sharing its switchboard phone (issue 10: restaurants in one hotel)",
        ),
        "legit_turnover_share": Figure(
            0.04,
            "assumption: legitimate single businesses that took over the premises of a closed, unrelated one",
        ),
        "legit_successor_keeps_phone": Figure(
            0.30, "assumption: a new business at the premises sometimes takes over the old line"
        ),
        "false_board_review_share_other": Figure(
            0.02,
            "assumption: legitimate massage businesses not East-Asian-owned with a sex-buyer board listing "
            "(mistake, wishful thinking, harassment); a few percent",
        ),
        "false_board_review_share_east_asian": Figure(
            0.06,
            "assumption: three times the rate for East-Asian-owned ones; worker advocates (Red Canary Song) report "
            "that suspicion falls on legitimate Asian-owned businesses",
        ),
        "common_name_share": Figure(
            0.03,
            "assumption: people carrying one of their group's few very common full names, so unrelated people "
            "share a name (as Maria Garcia or Wang Wei do)",
        ),
        "east_asian_reflexology_owner_share": Figure(
            0.80, "world design: legitimate reflexology owned mostly by East-Asian owners, for the fairness audit"
        ),
        "east_asian_independent_owner_share": Figure(
            0.30, "world design: a share of legitimate independent spas have East-Asian owners"
        ),
        "east_asian_imb_controller_share": Figure(
            0.85,
            "Polaris hotline data: IMB workers mostly recent immigrants from China or South Korea; controllers assumed alike",
        ),
        "late_hours_legit_foot_share": Figure(0.30, "world design: some legitimate foot spas open late"),
    }


@dataclass(frozen=True)
class Calibration:
    businesses_per_scale: int = 1000

    # Shares of the legitimate businesses (IMBs come from the prevalence; holding companies and
    # franchisors come on top).
    legit_shares: dict[str, float] = field(
        default_factory=lambda: {
            "chain": 0.14,
            "independent": 0.29,
            "reflexology": 0.17,
            "medical": 0.14,
            "other": 0.26,
        }
    )

    # IMB network sizes (businesses, reopened premises included): weight of each size 1..n.
    network_size_weights: tuple[float, ...] = (
        0.22, 0.17, 0.13, 0.10, 0.08, 0.06, 0.05, 0.04, 0.03, 0.03, 0.025, 0.02, 0.02, 0.015, 0.015,
    )
    controllers_per_network_weights: tuple[float, ...] = (0.55, 0.30, 0.15)  # 1, 2, 3 controllers

    figures: dict[str, Figure] = field(default_factory=standard_figures)

    def value(self, name: str) -> float:
        return self.figures[name].value

    def with_prevalence(self, prevalence: float) -> Calibration:
        """The same calibration with another share of IMBs among massage businesses."""
        if not 0 < prevalence < 1:
            raise ValueError("prevalence must be between 0 and 1 (exclusive)")
        old = self.figures["imb_prevalence"]
        figures = {**self.figures, "imb_prevalence": Figure(prevalence, old.source)}
        return replace(self, figures=figures)

    def category_counts(self, total: int) -> dict[str, int]:
        """Businesses per category for a world of `total`: IMBs make up the prevalence among massage
        businesses, and the legitimate categories keep their shares of the rest."""
        p = self.value("imb_prevalence")
        massage_legit = sum(self.legit_shares[c] for c in MASSAGE_CATEGORIES if c != "imb")
        # n_imb / (n_imb + (total - n_imb) * massage_legit) = p, solved for n_imb.
        n_imb = round(p * massage_legit * total / (1 - p + p * massage_legit))
        counts = {"imb": n_imb}
        for category, share in self.legit_shares.items():
            counts[category] = round(share * (total - n_imb))
        return counts

    def expected_filings(self) -> tuple[float, float]:
        """Over the network-size weights: the expected number of filings per network, and the chance
        a network has at least one."""
        weights = self.network_size_weights
        total = sum(weights)
        has = self.value("imb_has_filing")
        mean = sum(w * k * has for k, w in enumerate(weights, start=1)) / total
        any_filing = sum(w * (1 - (1 - has) ** k) for k, w in enumerate(weights, start=1)) / total
        return mean, any_filing

    def controller_extra_filing_share(self) -> float:
        """How often a filing after a network's first names a controller.

        In a network whose controllers are not hidden, the first filing always names one (so
        `network_controllers_hidden_share` is what separates the two kinds); the later ones name one
        at the rate that keeps `imb_filing_names_controller` over all IMB filings.
        """
        mean, any_filing = self.expected_filings()
        visible = 1 - self.value("network_controllers_hidden_share")
        wanted = self.value("imb_filing_names_controller") * mean / visible
        return min(1.0, max(0.0, (wanted - any_filing) / max(mean - any_filing, 1e-9)))


DEFAULT = Calibration()
