"""Corroboration: the high band needs two independent kinds of source; one record counts once."""

from __future__ import annotations

import pytest

from harborlight.indicators.corroboration import corroboration
from harborlight.indicators.explain import explain_risk, risk_text
from harborlight.indicators.scoring import default_model, score

# Nine ordinary listings in the same city set the local price median at $90 an hour.
ORDINARY = [
    {"source": "site", "record_id": f"o{i}", "site_kind": "review_site", "business_name": f"Ordinary Studio {i}",
     "address": f"{200 + i} Oak Ave", "city": "Miami", "state": "FL", "price": "$90/hr"}
    for i in range(1, 10)
]
SPA = {"business_name": "Pearl Garden Spa", "address": "10 Palm Rd", "city": "Miami", "state": "FL"}


def board_post(own_listing: bool = True) -> dict[str, list[dict]]:
    """A legitimate-looking spa with one sex-buyer board listing and one board post, and (with
    `own_listing`) its own review-site listing with late hours and a low price: one record."""
    listings = [{"source": "board", "record_id": "b1", "site_kind": "review_board", **SPA}]
    if own_listing:
        listings.append({"source": "site", "record_id": "s1", "site_kind": "review_site", **SPA,
                         "hours": "10am-2am", "price": "$40/hr"})
    return {
        "listings": ORDINARY + listings,
        "reviews": [{"source": "board", "record_id": "b1-r1", "listing_record_id": "b1",
                     "text": "Table shower then FS, YMMV."}],
    }


def spa_score(warehouse) -> tuple[float, str, bool, str]:
    return warehouse.rows(
        """SELECT s.risk_score, s.risk_band, s.held_below_high, s.source_kinds
           FROM business_scores s JOIN record_entities re USING (entity_id) WHERE re.record_id = 'b1'"""
    )[0]


@pytest.fixture
def scored_records(load_resolved, fresh_warehouse):
    """Load, resolve and score the given records; returns the spa's (score, band, held, kinds)."""

    def run(files: dict[str, list[dict]]):
        load_resolved(files)
        score(fresh_warehouse)
        return spa_score(fresh_warehouse)

    return run


def test_one_board_review_alone_never_reaches_the_high_band(scored_records):
    risk_score, band, held, kinds = scored_records(board_post())
    assert band == "elevated"
    assert risk_score < 0.7
    assert held is True
    assert kinds == "review_board"  # hours and price on its own listing weigh less than one kind needs


def tip(text: str) -> dict:
    return {"source": "hotline", "record_id": "T1", "received_at": "2022-01-01T10:00:00Z", "channel": "call",
            "text": text, "business_name": "Pearl Garden Spa"}


def test_a_board_post_and_a_hotline_tip_reporting_control_reach_the_high_band(scored_records):
    files = board_post()
    files["tips"] = [tip("Caller says the women cannot leave and the owner keeps her passport.")]
    risk_score, band, held, kinds = scored_records(files)
    assert band == "high" and risk_score >= 0.7 and held is False
    assert kinds.split(";") == ["review_board", "hotline"]


def test_a_tip_reporting_no_conduct_does_not_corroborate_a_board_post(scored_records, fresh_warehouse):
    files = board_post()
    files["tips"] = [tip("Caller unsure whether a busy spa with late hours is legitimate; no other concerns.")]
    _, band, held, kinds = scored_records(files)
    assert band == "elevated" and held is True and kinds == "review_board"
    (strength, excerpt) = fresh_warehouse.rows(
        "SELECT strength, excerpt FROM indicator_evidence WHERE indicator_id = 'hotline_tip'")[0]
    assert strength == pytest.approx(0.4)
    assert "reports no conduct" in excerpt and "unsure" not in excerpt


def test_cues_in_one_review_count_once(scored_records):
    files = board_post(own_listing=False)
    files["listings"].append({"source": "site", "record_id": "s2", "site_kind": "review_site", **SPA})
    # Two cues of +0.8 each, in one review: one witness, +0.8, short of a kind of its own.
    files["reviews"].append({"source": "site", "record_id": "s2-r1", "listing_record_id": "s2",
                             "text": "The windows are all covered and there was a bigger tip expected."})
    _, band, held, kinds = scored_records(files)
    assert band == "elevated" and held is True and kinds == "review_board"


def test_the_same_cues_from_two_reviewers_corroborate(scored_records, fresh_warehouse):
    files = board_post(own_listing=False)
    files["listings"].append({"source": "site", "record_id": "s2", "site_kind": "review_site", **SPA})
    files["reviews"] += [
        {"source": "site", "record_id": "s2-r1", "listing_record_id": "s2", "text": "The windows are all covered."},
        {"source": "site", "record_id": "s2-r2", "listing_record_id": "s2", "text": "Then a bigger tip was expected."},
    ]
    _, band, held, kinds = scored_records(files)
    assert band == "high" and held is False and kinds.split(";") == ["review_board", "review_site"]
    (entity_id,) = fresh_warehouse.rows("SELECT entity_id FROM record_entities WHERE record_id = 'b1'")[0]
    by_kind = corroboration(fresh_warehouse, default_model().weights)[entity_id].by_kind
    assert by_kind["review_site"] == pytest.approx(0.8 + 0.8)  # one +0.8 cue in each of two reviews


def test_explain_says_why_a_business_is_held_below_high(scored_records, fresh_warehouse):
    scored_records(board_post())
    (entity_id,) = fresh_warehouse.rows("SELECT entity_id FROM record_entities WHERE record_id = 'b1'")[0]
    risk = explain_risk(fresh_warehouse, entity_id)
    assert risk.held_below_high and risk.source_kinds == ["review_board"]
    text = "\n".join(risk_text(risk))
    assert "held below the high band" in text and "review board" in text


@pytest.mark.parametrize("text", [
    "Not an AMP, do not bother. Straight massage, nothing offered.",
    "Anyone know if this place has extras? Pretty sure it does.",
    "Asked for the special and got shown the door.",
])
def test_a_board_post_saying_none_was_offered_or_only_guessing_is_not_sexual_service_evidence(
    text, scored_records, fresh_warehouse
):
    files = board_post(own_listing=False)
    files["reviews"][0]["text"] = text
    scored_records(files)
    fired = {i for (i,) in fresh_warehouse.rows("SELECT DISTINCT indicator_id FROM indicator_evidence")}
    assert "sex_buyer_board_listing" in fired and "sexual_service_language" not in fired


def test_a_board_post_reporting_a_service_still_counts_beside_one_denying_it(scored_records, fresh_warehouse):
    files = board_post(own_listing=False)
    files["reviews"].append({"source": "board", "record_id": "b1-r2", "listing_record_id": "b1",
                             "text": "Legit massage, do not bother."})
    scored_records(files)
    records = fresh_warehouse.rows(
        "SELECT record_id FROM indicator_evidence WHERE indicator_id = 'sexual_service_language'")
    assert records == [("b1-r1",)]
