"""The workspace keeps read results while it serves: once per read, arguments and role, and never too many."""

from __future__ import annotations

from harborlight.web import workspace as workspace_module


def test_a_remembered_read_is_made_once_and_a_failed_one_is_not_kept(workspace):
    ws = workspace()
    made = []
    assert ws.remember(("overview", "analyst"), lambda: made.append(1) or "result") == "result"
    assert ws.remember(("overview", "analyst"), lambda: made.append(1) or "other") == "result"
    assert ws.remember(("overview", "investigator"), lambda: made.append(1) or "theirs") == "theirs"
    assert len(made) == 2

    def fails():
        raise LookupError("no such network")

    for _ in range(2):
        try:
            ws.remember(("network_view", "analyst", "net-x"), fails)
        except LookupError:
            pass
    assert ("network_view", "analyst", "net-x") not in ws._remembered


def test_the_workspace_keeps_a_bounded_number_of_reads(workspace, monkeypatch):
    monkeypatch.setattr(workspace_module, "REMEMBERED", 3)
    ws = workspace()
    for n in range(5):
        ws.remember(("read", n), lambda n=n: n)
    assert list(ws._remembered) == [("read", 2), ("read", 3), ("read", 4)]
