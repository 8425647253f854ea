"""`cocdesk report transparency [--format md|json]`: a published table, reproduced from entered reports.

Ten fictional reports go in through `cocdesk add` (JSON, as a script at the desk would enter
them); the meetings, decisions, talks and closings are recorded through the service, as the
app does. The report must then print exactly the table an event would publish.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from cocdesk.domain.status import Status
from cocdesk.domain.steps import Attendee, ChosenAction, Decision, Meeting, Outcome, Talk
from cocdesk.playbook.loader import default_text
from cocdesk.service import CaseService, Desk
from cocdesk.service.steps import StepService
from tests.cli.test_cli import PW, Run

EVENT = "PyColorado 2026"

# (category, reported person's name, what happens: outcome and action codes, where it ends)
ENTERED: list[tuple[str, str, str, tuple[str, ...], Status]] = [
    ("harassment", "Alex Fictional", "actions", ("warning", "avoid-contact"), Status.CLOSED),
    ("harassment", "Blair Madeup", "actions", ("leave-event", "ban"), Status.COMMUNICATED),
    ("harassment", "Cory Invented", "escrow", (), Status.CLOSED),
    ("exclusionary-language", "Dana Sample", "actions", ("warning",), Status.CLOSED),
    ("exclusionary-language", "Eli Example", "actions", ("warning", "no-social-events"), Status.DECIDED),
    ("physical-contact", "Fran Notreal", "actions", ("warning", "no-alcohol"), Status.COMMUNICATED),
    ("disruption", "Gale Pretend", "actions", ("talk-ended", "recording-withheld"), Status.CLOSED),
    ("sexual-imagery", "Hal Standin", "actions", ("no-action",), Status.CLOSED),
    ("outside-scope", "Ira Unknown", "referred", (), Status.REFERRED),
    ("other", "Jun Placeholder", "", (), Status.REPORTED),
]
DETAILS = {"avoid-contact": "the reporter", "ban": "three years", "talk-ended": "Saturday's lightning talk"}
SUMMARIES = {
    "C-0001": "An attendee was warned and asked to keep away from the person who reported.",
    "C-0002": "An attendee was asked to leave and banned from the next three events.",
    "C-0007": "A talk was ended early; its recording will not be published.",
}

PUBLISHED_MD = """\
# Transparency report: PyColorado 2026

Reports received: 10

## By category

| Category | Code | Reports |
|---|---|---:|
| Unwelcome physical contact | `physical-contact` | 1 |
| Harassment, intimidation, stalking | `harassment` | 3 |
| Sexist, racist, homophobic, transphobic, ableist or otherwise exclusionary jokes or language | `exclusionary-language` | 2 |
| Sexual language or imagery | `sexual-imagery` | 1 |
| Sustained disruption of talks or events | `disruption` | 1 |
| Not a Code of Conduct matter; referred elsewhere | `outside-scope` | 1 |
| Other | `other` | 1 |

## By status

| Status | Reports |
|---|---:|
| Reported | 1 |
| Decided | 1 |
| Communicated | 2 |
| Closed | 5 |
| Referred | 1 |

## By action taken

A report may lead to several actions, or to none.

| Action | Code | Reports |
|---|---|---:|
| No action: the behaviour was found not to breach the Code of Conduct | `no-action` | 1 |
| A verbal or written warning | `warning` | 4 |
| Must avoid contact with, and stay away from, named people for the rest of the event | `avoid-contact` | 1 |
| Barred from evening or social events | `no-social-events` | 1 |
| Refused alcohol at events | `no-alcohol` | 1 |
| Talk ended early | `talk-ended` | 1 |
| Talk recording or slides not published | `recording-withheld` | 1 |
| Asked to leave the event immediately, without refund | `leave-event` | 1 |
| Banned from future events, for a period or indefinitely | `ban` | 1 |

## In brief

One line per case, written by the response team.

- An attendee was warned and asked to keep away from the person who reported.
- An attendee was asked to leave and banned from the next three events.
- A talk was ended early; its recording will not be published.
"""

PUBLISHED_JSON = {
    "event": "PyColorado 2026",
    "total": 10,
    "by_category": {
        "disruption": 1,
        "exclusionary-language": 2,
        "harassment": 3,
        "other": 1,
        "outside-scope": 1,
        "physical-contact": 1,
        "sexual-imagery": 1,
    },
    "by_status": {"closed": 5, "communicated": 2, "decided": 1, "referred": 1, "reported": 1},
    "by_action": {
        "avoid-contact": 1,
        "ban": 1,
        "leave-event": 1,
        "no-action": 1,
        "no-alcohol": 1,
        "no-social-events": 1,
        "recording-withheld": 1,
        "talk-ended": 1,
        "warning": 4,
    },
}

FEWER = "fewer than 3"
SMALL_COUNTS_JSON = {
    "event": "PyColorado 2026",
    "total": 10,
    "by_category": {
        "disruption": FEWER,
        "exclusionary-language": FEWER,
        "harassment": "withheld",  # else 10 minus the rest would give the hidden counts away
        "other": FEWER,
        "outside-scope": FEWER,
        "physical-contact": FEWER,
        "sexual-imagery": FEWER,
    },
    "by_status": {
        "closed": "withheld",
        "communicated": FEWER,
        "decided": FEWER,
        "referred": FEWER,
        "reported": FEWER,
    },
    "by_action": {
        "avoid-contact": FEWER,
        "ban": FEWER,
        "leave-event": FEWER,
        "no-action": FEWER,
        "no-alcohol": FEWER,
        "no-social-events": FEWER,
        "recording-withheld": FEWER,
        "talk-ended": FEWER,
        "warning": 4,
    },
}


def enter_the_event(folder: Path, monkeypatch: pytest.MonkeyPatch, playbook: Path | None = None) -> Run:
    """A vault with Robin (lead) and Kim, the ten reports entered by `cocdesk add`, each case taken
    as far as ENTERED says through the service, and three public summaries written."""
    monkeypatch.setenv("COCDESK_PASSPHRASE", PW)
    monkeypatch.setenv("COCDESK_MEMBER", "Robin")  # two members now: say who is at the keyboard
    run = Run(folder, monkeypatch)
    init = ["init", "--event", EVENT, "--member", "Robin"] + (
        ["--playbook", str(playbook)] if playbook else []
    )
    assert run(*init)[0] == 0
    assert run("member", "add", "Kim", "--role", "responder", COCDESK_NEW_PASSPHRASE="kim passphrase")[0] == 0
    for i, (category, name, _, _, _) in enumerate(ENTERED, 1):
        report = {
            "description": f"What {name} did, as told at the desk.",
            "category": category,
            "reported": [{"name": name, "badge": f"B-{100 + i}"}],
        }
        assert run("add", "-", stdin=json.dumps(report)) == (0, f"C-{i:04d}\n", "")

    desk = Desk.open(folder)
    try:
        session = desk.unlock("Robin", PW)
        steps, cases = StepService(session), CaseService(session)
        present = Meeting((Attendee(1, "Robin", present=True), Attendee(2, "Kim", present=True)))
        for i, (_, _, outcome, codes, end) in enumerate(ENTERED, 1):
            case_id = f"C-{i:04d}"
            if outcome == "referred":
                steps.decide(case_id, Decision(Outcome.REFERRED, referred_to="the venue's security team"))
            elif outcome:
                steps.record_meeting(case_id, present)
                actions = tuple(ChosenAction(c, DETAILS.get(c, "")) for c in codes)
                steps.decide(case_id, Decision(Outcome(outcome), actions, rationale="agreed"))
            if (
                end in (Status.COMMUNICATED, Status.CLOSED)
                and outcome == "actions"
                and codes != ("no-action",)
            ):
                steps.record_talk(case_id, Talk(told_what_reported=True, actions_told=True))
            if end == Status.CLOSED and outcome == "actions":
                cases.move(case_id, Status.CLOSED)
            assert cases.row(case_id).status == end, case_id
        for case_id, text in SUMMARIES.items():
            steps.save_public_summary(case_id, text)
    finally:
        desk.close()
    return run


def test_the_published_table_is_reproduced_from_the_entered_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = enter_the_event(tmp_path / "vault", monkeypatch)
    assert run("report", "transparency") == (0, PUBLISHED_MD, "")
    assert run("report", "transparency", "--format", "md") == (0, PUBLISHED_MD, "")
    code, out, err = run("report", "transparency", "--format", "json")
    assert (code, err) == (0, "")
    assert json.loads(out) == PUBLISHED_JSON
    assert out == json.dumps(PUBLISHED_JSON, indent=2, sort_keys=True) + "\n"  # sorted keys, ASCII
    assert list(json.loads(out)) == ["by_action", "by_category", "by_status", "event", "total"]


def test_an_event_that_asks_for_it_publishes_small_counts_as_fewer_than_3(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    playbook = tmp_path / "event.toml"
    playbook.write_text(default_text().replace("small_counts_below = 0", "small_counts_below = 3"), "utf-8")
    run = enter_the_event(tmp_path / "vault", monkeypatch, playbook)
    code, out, _ = run("report", "transparency", "--format", "json")
    assert code == 0 and json.loads(out) == SMALL_COUNTS_JSON
    code, out, _ = run("report", "transparency")
    assert code == 0
    assert "| Harassment, intimidation, stalking | `harassment` | withheld |" in out
    assert "| Unwelcome physical contact | `physical-contact` | fewer than 3 |" in out
    assert "| Closed | withheld |" in out and "| Referred | fewer than 3 |" in out
    assert 'Counts from 1 to 2 are shown as "fewer than 3"' in out


def test_no_name_badge_or_account_of_any_report_reaches_the_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = enter_the_event(tmp_path / "vault", monkeypatch)
    for fmt in ("md", "json"):
        _, out, _ = run("report", "transparency", "--format", fmt)
        for _, name, _, _, _ in ENTERED:
            for word in (*name.split(), "B-1", "as told at the desk", "venue's security", "three years"):
                assert word not in out, (fmt, word)


def test_a_bad_format_or_no_kind_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COCDESK_PASSPHRASE", PW)
    run = Run(tmp_path / "vault", monkeypatch)
    assert run("init", "--event", EVENT, "--member", "Robin")[0] == 0
    code, out, err = run("report", "transparency", "--format", "pdf")
    assert (code, out) == (2, "") and err.count("\n") == 1 and "invalid choice: 'pdf'" in err
    code, out, err = run("report")
    assert (code, out) == (2, "") and err.startswith("cocdesk: ") and err.count("\n") == 1
    code, out, err = run("report", "transparency", COCDESK_PASSPHRASE="not the passphrase")
    assert (code, out) == (3, "") and err.count("\n") == 1


def test_an_empty_vault_reports_zero(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COCDESK_PASSPHRASE", PW)
    run = Run(tmp_path / "vault", monkeypatch)
    assert run("init", "--event", EVENT, "--member", "Robin")[0] == 0
    code, out, _ = run("report", "transparency", "--format", "json")
    assert code == 0
    assert json.loads(out) == {
        "event": EVENT,
        "total": 0,
        "by_category": {},
        "by_status": {},
        "by_action": {},
    }
    code, out, _ = run("report", "transparency")
    assert code == 0 and "Reports received: 0" in out and "No reports." in out


def test_an_export_is_recorded_as_an_export(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`cocdesk export` writes plaintext to stdout: the audit log says `case.exported`."""
    monkeypatch.setenv("COCDESK_PASSPHRASE", PW)
    run = Run(tmp_path / "vault", monkeypatch)
    assert run("init", "--event", EVENT, "--member", "Robin")[0] == 0
    assert run("add", "-", stdin=json.dumps({"description": "x"}))[0] == 0
    assert run("export", "C-0001")[0] == 0
    code, out, _ = run("export", "C-0001", "--format", "json")
    assert code == 0
    timeline = [t["what"] for t in json.loads(out)["timeline"]]
    assert timeline == ["report taken", "case exported in plaintext (a copy outside the vault)"]


def test_a_count_edited_in_the_file_is_refused_with_exit_4(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Plain columns carry a MAC: a category changed outside cocdesk is not published."""
    monkeypatch.setenv("COCDESK_PASSPHRASE", PW)
    run = Run(tmp_path / "vault", monkeypatch)
    assert run("init", "--event", EVENT, "--member", "Robin")[0] == 0
    assert run("add", "-", stdin=json.dumps({"description": "x", "category": "harassment"}))[0] == 0
    db = sqlite3.connect(tmp_path / "vault" / "cocdesk.db")
    with db:
        db.execute("UPDATE cases SET category = 'threat' WHERE id = 'C-0001'")
    db.close()
    for fmt in ("md", "json"):
        code, out, err = run("report", "transparency", "--format", fmt)
        assert (code, out) == (4, "") and err == "cocdesk: case C-0001 was altered outside cocdesk\n"
