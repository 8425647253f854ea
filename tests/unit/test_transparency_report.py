"""The transparency report on a real vault: counts of every case, public summaries checked for names.

The counts need no key (recused and purged cases count); the summaries come only from cases
the member holds, and any that names a person in a case is left out and counted as such.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from cocdesk.domain.report import ReportedPerson, Witness
from cocdesk.domain.steps import ChosenAction, Decision, Outcome, ReporterFollowUp, Talk
from cocdesk.domain.tally import Tally
from cocdesk.domain.transparency import SUMMARY_LIMIT, TransparencyReport, shown, summary_problem
from cocdesk.errors import BadPlaybook, NotAMember, RuleRefused, UsageProblem
from cocdesk.exchange.transparency import to_json, to_markdown
from cocdesk.playbook import parse_playbook
from cocdesk.playbook.loader import default_text
from cocdesk.service import Desk, Session, TeamService
from cocdesk.service.access import AccessService
from cocdesk.service.transparency import transparency_report
from cocdesk.store import audit
from cocdesk.store import tally as tally_store
from cocdesk.store.connection import write
from cocdesk.vault.kdf import FAST_FOR_TESTS
from tests.conftest import LEAD, sample_report
from tests.security.test_plaintext_scan import marked_report, new_marker
from tests.unit.test_service_steps import OTHERS, Team, passphrase

WARNED = "An attendee was warned after unwanted comments at a social event."


@pytest.fixture
def team(desk: Desk, session: Session) -> Team:
    """Robin (lead) and Kim (responder), Avery (chair), Jo (lead), as in test_service_steps."""
    ids = {LEAD: session.member_id}
    for name, role in OTHERS.items():
        ids[name] = TeamService(session).add_member(name, role, passphrase(name), FAST_FOR_TESTS)
    return Team(desk, ids, {LEAD: session, **{n: desk.unlock(n, passphrase(n)) for n in OTHERS}})


def decided(team: Team, case_id: str, *codes: str) -> None:
    """Meeting (Robin and Kim present), then a decision taking `codes`."""
    steps = team.steps(LEAD)
    steps.record_meeting(case_id, team.meeting(LEAD, "Kim"))
    details = {"avoid-contact": "the reporter", "ban": "two years", "other": "a letter"}
    actions = tuple(ChosenAction(c, details.get(c, "")) for c in codes)
    steps.decide(case_id, Decision(Outcome.ACTIONS, actions, rationale="the team agreed"))


# -- the domain: small counts and the summary's form -------------------------------------------
@pytest.mark.parametrize(
    ("count", "below", "published"),
    [
        (0, 3, 0),
        (1, 3, "fewer than 3"),
        (2, 3, "fewer than 3"),
        (3, 3, 3),
        (7, 3, 7),
        (1, 0, 1),
        (2, 0, 2),
        (1, 1, 1),
        (4, 5, "fewer than 5"),
        (5, 5, 5),
    ],
)
def test_a_count_from_1_to_below_minus_1_is_published_as_fewer_than(
    count: int, below: int, published: int | str
) -> None:
    assert shown(count, below) == published


def test_small_counts_are_withheld_everywhere_in_the_json_total_included() -> None:
    tally = Tally(2, {"harassment": 2}, {"closed": 1, "decided": 1}, {"warning": 1})
    report = TransparencyReport("E", tally, small_counts_below=3)
    assert report.to_data() == {
        "event": "E",
        "total": "fewer than 3",
        "by_category": {"harassment": "fewer than 3"},
        "by_status": {"closed": "fewer than 3", "decided": "fewer than 3"},
        "by_action": {"warning": "fewer than 3"},
    }
    off = TransparencyReport("E", tally)
    assert off.to_data()["total"] == 2 and off.to_data()["by_status"] == {"closed": 1, "decided": 1}


def test_a_public_summary_is_one_short_line() -> None:
    assert summary_problem(WARNED) is None
    assert summary_problem("") is None  # clears it
    assert summary_problem("one\ntwo") == "a public summary is one line"
    assert summary_problem("one\rtwo") == "a public summary is one line"
    assert summary_problem("x" * SUMMARY_LIMIT) is None
    assert (
        summary_problem("x" * (SUMMARY_LIMIT + 1))
        == f"a public summary is at most {SUMMARY_LIMIT} characters"
    )


# -- the counts --------------------------------------------------------------------------------
def test_every_case_counts_once_by_category_and_status_and_once_per_action(team: Team) -> None:
    cases = team.cases(LEAD)
    a = cases.add_report(sample_report())  # harassment
    b = cases.add_report(sample_report(category="threat"))
    c = cases.add_report(sample_report(category=""))
    decided(team, a, "warning", "no-social-events")
    decided(team, b, "ban")
    report = transparency_report(team.sessions[LEAD])
    assert report.tally == Tally(
        3,
        {"harassment": 1, "threat": 1, "uncategorised": 1},
        {"decided": 2, "reported": 1},
        {"warning": 1, "no-social-events": 1, "ban": 1},
    )
    assert json.loads(to_json(report)) == {
        "event": "PyColorado 2026",
        "total": 3,
        "by_category": {"harassment": 1, "threat": 1, "uncategorised": 1},
        "by_status": {"decided": 2, "reported": 1},
        "by_action": {"ban": 1, "no-social-events": 1, "warning": 1},
    }
    assert c  # the uncategorised case is counted, not dropped


def test_the_purged_tally_is_added_to_the_live_cases(session: Session) -> None:
    from cocdesk.service import CaseService

    cases = CaseService(session)
    for category in ("harassment", "threat"):
        cases.purge(cases.add_report(sample_report(category=category)))
    cases.add_report(sample_report())
    report = transparency_report(session)
    assert report.tally == Tally(3, {"harassment": 2, "threat": 1}, {"reported": 3}, {})


def test_counts_that_disagree_with_the_audit_log_stop_the_report(session: Session) -> None:
    """Older settings copied back over a purge (a valid MAC, but stale) are caught by the log."""
    from cocdesk.errors import IntegrityFailure

    with write(session.db):
        tally_store.add_purged(
            session.db, session.event_keys, Tally(2, {"harassment": 2}, {"closed": 2}, {"ban": 1})
        )
    with pytest.raises(IntegrityFailure, match="disagree with the audit log's 0 purge"):
        transparency_report(session)


def test_a_case_deleted_in_the_file_stops_the_report(session: Session) -> None:
    from cocdesk.errors import IntegrityFailure
    from cocdesk.service import CaseService

    gone = CaseService(session).add_report(sample_report())
    with session.db.conn:
        for table in ("case_fields", "blind_index", "case_keys"):
            session.db.execute(f"DELETE FROM {table} WHERE case_id = ?", [gone])
        session.db.execute("DELETE FROM cases WHERE id = ?", [gone])
    with pytest.raises(IntegrityFailure, match="recorded in the audit log but missing"):
        transparency_report(session)


def test_making_the_report_is_in_the_audit_log(session: Session) -> None:
    transparency_report(session)
    made = [e for e in audit.entries(session.db) if e.kind == "report.transparency"]
    assert len(made) == 1 and made[0].member_id == session.member_id and made[0].case_id is None


# -- the public summaries ----------------------------------------------------------------------
def test_a_summary_is_sealed_audited_on_the_timeline_and_in_the_report(team: Team) -> None:
    case_id = team.cases(LEAD).add_report(sample_report())
    team.steps(LEAD).save_public_summary(case_id, f"  {WARNED}  ")
    view = team.cases(LEAD).open_case(case_id)
    assert view.steps.public_summary is not None
    assert view.steps.public_summary.text == WARNED  # kept without the spaces around it
    assert view.steps.public_summary.by == LEAD
    assert view.timeline[-1].what == "public summary saved (passed the privacy check)"
    raw = team.sessions[LEAD].db.execute("SELECT ciphertext FROM case_fields WHERE field = 'public_summary'")
    assert b"warned" not in raw.fetchone()[0]
    assert transparency_report(team.sessions[LEAD]).summaries == (WARNED,)


def test_a_summary_naming_someone_in_any_case_is_refused_with_the_words(team: Team) -> None:
    steps = team.steps(LEAD)
    a = team.cases(LEAD).add_report(sample_report())  # names Sam Smith, Ana Example, Lee
    b = team.cases(LEAD).add_report(sample_report(category="threat", reported=(), witnesses=()))
    with pytest.raises(RuleRefused) as refused:
        steps.save_public_summary(b, "Sam Smith was asked to leave.")
    assert str(refused.value) == "the summary names or may name someone in a case: Sam, Smith, Sam Smith"
    assert team.cases(LEAD).open_case(b).steps.public_summary is None
    with pytest.raises(UsageProblem, match="one line"):
        steps.save_public_summary(a, "two\nlines")
    steps.save_public_summary(a, WARNED)
    steps.save_public_summary(a, "")  # clears it: no line in the report
    assert transparency_report(team.sessions[LEAD]).summaries == ()


def test_a_summary_that_names_someone_reported_later_is_left_out_and_counted(team: Team) -> None:
    cases, steps = team.cases(LEAD), team.steps(LEAD)
    a = cases.add_report(sample_report())
    b = cases.add_report(sample_report(category="threat"))
    steps.save_public_summary(a, WARNED)
    steps.save_public_summary(b, "Quinn Harper's talk was ended early.")  # nobody called Quinn yet
    cases.add_report(sample_report(witnesses=(Witness("Quinn Harper", "quinn@example.org"),)))
    report = transparency_report(team.sessions[LEAD])
    assert report.summaries == (WARNED,)
    assert report.left_out == 1
    text = to_markdown(report, team.sessions[LEAD].playbook)
    assert "Quinn" not in text and "Left out — names a person: 1 summary." in text


def test_recused_cases_are_counted_but_their_summaries_are_not_read(team: Team) -> None:
    cases, steps = team.cases(LEAD), team.steps(LEAD)
    a = cases.add_report(sample_report())
    b = cases.add_report(sample_report(category="threat"))
    steps.save_public_summary(a, WARNED)
    steps.save_public_summary(b, "A threat was referred to venue security.")
    AccessService(team.sessions["Kim"]).declare_conflict(b)
    kims = transparency_report(team.sessions["Kim"])
    assert kims.tally.total == 2 and kims.tally.by_category == {"harassment": 1, "threat": 1}
    assert kims.summaries == (WARNED,) and kims.unreadable == 1 and kims.left_out == 0
    text = to_markdown(kims, team.sessions["Kim"].playbook)
    assert "referred to venue" not in text
    assert "Not read — recused: the summaries of 1 case to which" in text
    robins = transparency_report(team.sessions[LEAD])
    assert robins.summaries == (WARNED, "A threat was referred to venue security.")
    assert robins.unreadable == 0


def test_a_recused_member_cannot_write_the_cases_summary(team: Team) -> None:
    case_id = team.cases(LEAD).add_report(sample_report())
    AccessService(team.sessions["Kim"]).declare_conflict(case_id)
    with pytest.raises(NotAMember, match="stepped out of"):
        team.steps("Kim").save_public_summary(case_id, WARNED)


# -- what the Markdown holds -------------------------------------------------------------------
def test_no_marker_of_any_other_sealed_field_reaches_the_report(team: Team) -> None:
    """Markers in every sealed field of a decided, talked-about, announced case: only the summary shows."""
    markers: dict[str, str] = {}
    cases, steps = team.cases(LEAD), team.steps(LEAD)
    case_id = cases.add_report(marked_report("v1", markers))

    def m(where: str) -> str:
        marker = new_marker()
        markers[marker] = where
        return marker

    cases.add_note(case_id, f"note {m('note')}")
    meeting = team.meeting(LEAD, "Kim")
    steps.record_meeting(case_id, replace(meeting, others_followup=m("meeting"), followup_by=m("by")))
    steps.decide(
        case_id,
        Decision(
            Outcome.ACTIONS,
            (ChosenAction("avoid-contact", m("details")),),
            rationale=m("rationale"),
        ),
    )
    steps.record_talk(case_id, Talk(True, m("their side"), True, note=m("talk note")))
    steps.save_announcement(case_id, f"draft {m('announcement')}", m("upset"))
    steps.save_message(case_id, "reporter", m("message"))
    steps.record_reporter_followup(case_id, ReporterFollowUp(True, m("held on"), m("followup note")))
    team.steps("Avery").receive_appeal(case_id, "2026-05-03", m("appeal"))
    team.steps("Avery").answer_appeal(case_id, m("answer"), stands=True)
    published = f"An attendee must avoid someone for the rest of the event {new_marker()}"
    steps.save_public_summary(case_id, published)
    report = transparency_report(team.sessions[LEAD])
    text = to_markdown(report, team.sessions[LEAD].playbook) + to_json(report)
    shown_markers = [where for marker, where in markers.items() if marker in text]
    assert shown_markers == []
    assert published in text  # the one sealed field that is written to be published


def test_markdown_has_the_labels_codes_and_the_small_counts_note(team: Team) -> None:
    cases = team.cases(LEAD)
    for category in ("harassment", "harassment", "harassment", "threat"):
        cases.add_report(sample_report(category=category))
    playbook = parse_playbook(
        default_text().replace("small_counts_below = 0", "small_counts_below = 3"), "event.toml"
    )
    report = replace(transparency_report(team.sessions[LEAD]), small_counts_below=playbook.small_counts_below)
    text = to_markdown(report, playbook)
    assert text.startswith("# Transparency report: PyColorado 2026\n\nReports received: 4\n")
    assert 'Counts from 1 to 2 are shown as "fewer than 3"' in text
    # 4 reports, 1 threat hidden: 4 - 3 would give it away, so harassment's 3 is withheld too.
    assert "| Harassment, intimidation, stalking | `harassment` | withheld |" in text
    assert "| Threats or violence | `threat` | fewer than 3 |" in text
    assert "| Reported | 4 |" in text
    assert "No actions taken." in text and "No summaries were written." in text


def test_hostile_text_in_a_summary_is_shown_not_obeyed(team: Team) -> None:
    case_id = team.cases(LEAD).add_report(sample_report(reported=(ReportedPerson(name="Sam Smith"),)))
    team.steps(LEAD).save_public_summary(case_id, "Warned [bold]x[/] \x1b[2J \u202e done")
    text = to_markdown(transparency_report(team.sessions[LEAD]), team.sessions[LEAD].playbook)
    assert "\x1b" not in text and "\u202e" not in text
    assert "- Warned [bold]x[/] ⟨U+001B⟩[2J ⟨U+202E⟩ done" in text


def test_the_event_playbook_setting_is_validated_with_file_line_and_key() -> None:
    good = default_text().replace("small_counts_below = 0", "small_counts_below = 3")
    assert parse_playbook(good, "event.toml").small_counts_below == 3
    without = default_text().replace("small_counts_below = 0\n", "")
    assert parse_playbook(without, "event.toml").small_counts_below == 0
    line = next(i for i, t in enumerate(default_text().splitlines(), 1) if t.startswith("small_counts_below"))
    for bad in ('"3"', "-1", "101", "true", "2.5"):
        with pytest.raises(BadPlaybook) as refused:
            parse_playbook(
                default_text().replace("small_counts_below = 0", f"small_counts_below = {bad}"), "e.toml"
            )
        assert str(refused.value) == (
            f"e.toml, line {line}: public.small_counts_below: must be a whole number from 0 to 100"
        )


def test_no_version_of_a_summary_reaches_any_file_in_the_clear(team: Team) -> None:
    """SECURITY.md battery 3 for the public summary: three edits, the db, -wal and -shm scanned."""
    from pathlib import Path

    from tests.security.test_plaintext_scan import files_under, scan

    session = team.sessions[LEAD]
    case_id = team.cases(LEAD).add_report(sample_report())
    markers = {new_marker(): f"summary v{n}" for n in range(3)}
    for marker in markers:
        team.steps(LEAD).save_public_summary(case_id, f"A warning was given {marker}.")
    folder = Path(session.db.conn.execute("PRAGMA database_list").fetchone()[2]).parent
    found = files_under(folder)
    assert any(p.name.endswith("-wal") for p in found)
    assert scan(found, markers) == []


def test_a_hidden_count_cannot_be_worked_out_by_subtraction() -> None:
    from cocdesk.domain.transparency import WITHHELD, published

    table = published({"harassment": 5, "threat": 1, "other": 0}, 3, sums_to_total=True)
    assert table == {"harassment": WITHHELD, "threat": "fewer than 3", "other": 0}
    # Nothing hidden, nothing withheld; and actions (not adding up to the total) only hide.
    assert published({"harassment": 5, "threat": 4}, 3, sums_to_total=True) == {"harassment": 5, "threat": 4}
    assert published({"ban": 1, "warning": 7}, 3, sums_to_total=False) == {
        "ban": "fewer than 3",
        "warning": 7,
    }
