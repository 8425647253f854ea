"""The demo vault: fictional cases only, so anyone can try cocdesk without real data."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

from nacl import pwhash

from cocdesk.domain.report import Report, ReportedPerson, Reporter, Witness
from cocdesk.domain.roles import Role
from cocdesk.domain.status import Status
from cocdesk.domain.steps import (
    Attendee,
    ChosenAction,
    Decision,
    Meeting,
    Objective,
    Outcome,
    ReporterFollowUp,
    Talk,
)
from cocdesk.service import CaseService, Desk, TeamService
from cocdesk.service.cases import Tick
from cocdesk.service.clock import Clock, stamp, utc_now
from cocdesk.service.session import Session
from cocdesk.service.steps import StepService
from cocdesk.store.connection import write
from cocdesk.vault.kdf import PRODUCTION, KdfParams

PASSPHRASE = "demo"
# A throwaway vault of fictional data: libsodium's INTERACTIVE cost keeps start-up quick.
DEMO_KDF = KdfParams(
    opslimit=pwhash.argon2id.OPSLIMIT_INTERACTIVE, memlimit=pwhash.argon2id.MEMLIMIT_INTERACTIVE
)
EVENT = "DemoCon 2026"
LEAD = "Robin Lead"

# (hours before now, report, note or None, how far along the procedure it is)
CASES: tuple[tuple[float, Report, str | None, str], ...] = (
    (
        240,
        Report(
            description="A speaker made repeated jokes about women not understanding compilers during the "
            "11:00 talk in Room A. Several people walked out.",
            taken_by="Kim Responder",
            reporter=Reporter(name="Alex Example", contact="alex@example.org"),
            incident_at="Friday 11:00",
            location="Room A",
            category="exclusionary-language",
            reported=(ReportedPerson(name="Pat Placeholder", badge="S-104", affiliation="Speaker"),),
            witnesses=(Witness(name="Jordan Sample", contact="front row, green jacket"),),
        ),
        "Talk recording is paused for review.",
        "appealed",
    ),
    (
        200,
        Report(
            description="Jamie made comments about my appearance at lunch. I don't want anything done "
            "unless it happens again.",
            taken_by="Robin Lead",
            reporter=Reporter(name="Riley Mock", contact="riley@example.org"),
            incident_at="Friday 12:30",
            location="Lunch hall",
            category="unprofessional-conduct",
            reported=(ReportedPerson(name="Jamie Invented", badge="S-311"),),
            reporter_suggestions="Nothing unless it happens again.",
        ),
        None,
        "escrow",
    ),
    (
        50,
        Report(
            description="A lost wallet was reported to the CoC desk by mistake; it belongs with the venue.",
            taken_by="Robin Lead",
            reporter=Reporter(name="Drew Demo", contact="drew@example.org"),
            location="Registration",
            category="outside-scope",
        ),
        "Passed to venue lost-and-found at 14:10.",
        "referred",
    ),
    (
        30,
        Report(
            description="Someone kept following me between sessions and waited outside the bathroom.",
            taken_by="Robin Lead",
            transcribed=True,
            reporter=Reporter(
                anonymous=True, identification_concerns="Worried they will find out who reported."
            ),
            incident_at="Saturday, all afternoon",
            location="Hallway B and the sponsor hall",
            ongoing=True,
            category="harassment",
            reported=(ReportedPerson(name="Casey Fictional", badge="A-2231", appearance="orange beanie"),),
            urgent=True,
        ),
        None,
        "decided",
    ),
    (
        8,
        Report(
            description="At the evening social an attendee put an arm around me twice after I said no.",
            taken_by="Kim Responder",
            reporter=Reporter(name="Sam Sample", contact="+1 555 0100"),
            incident_at="Saturday 20:30",
            location="Social venue, upstairs bar",
            category="physical-contact",
            reported=(ReportedPerson(name="Casey Fictional", appearance="orange beanie"),),
            witnesses=(Witness(name="Lee Example", contact="lee@example.org"),),
            reporter_suggestions="I'd like them not to be at tomorrow's social.",
        ),
        None,
        "reported",
    ),
    (
        3,
        Report(
            description="Slides in the lightning talk included a sexual image unrelated to the topic.",
            taken_by="Kim Responder",
            reporter=Reporter(name="Morgan Mock", contact="morgan@example.org"),
            incident_at="Sunday 09:40",
            location="Main hall",
            category="sexual-imagery",
            reported=(ReportedPerson(name="Jamie Invented", badge="S-311", affiliation="Lightning talks"),),
        ),
        None,
        "in_review",
    ),
    (
        0.5,
        Report(
            description="Shouting over the panel Q&A for ten minutes; the moderator could not continue.",
            taken_by="Robin Lead",
            reporter=Reporter(name="Taylor Trial"),
            incident_at="just now",
            location="Room C",
            ongoing=False,
            category="disruption",
            reported=(ReportedPerson(name="Unknown", appearance="grey hoodie, tall"),),
        ),
        None,
        "reported",
    ),
)

FIRST_CONTACT = ("DO: Stay calm and listen; use no words that judge.", "DO: Thank them for reporting.")


def _carry(lead: Session, chair: Session, case_id: str, stage: str, moment: dict[str, datetime]) -> None:
    """Walk one demo case through the procedure as far as `stage`, an hour a step."""
    steps, playbook = StepService(lead), lead.playbook

    def later() -> None:
        moment["at"] += timedelta(hours=1)

    if stage == "referred":
        steps.decide(case_id, Decision(Outcome.REFERRED, referred_to="Venue lost-and-found desk"))
        return
    if stage == "reported":
        return
    present = tuple(Attendee(m.id, m.name, present=True) for m in steps.team())
    objectives = tuple(Objective(text, done=True) for text in playbook.meeting_objectives)
    later()
    steps.record_meeting(
        case_id, Meeting(present, objectives, talk_lead=LEAD, reporter_followup="Kim Responder")
    )
    if stage == "in_review":
        return
    later()
    if stage == "escrow":
        steps.decide(
            case_id,
            Decision(Outcome.ESCROW, rationale="The reporter asked that nothing happen unless it repeats."),
        )
        return
    if stage == "decided":
        chosen = (
            ChosenAction("avoid-contact", "the reporter, for the rest of the event"),
            ChosenAction("no-social-events"),
        )
        steps.decide(
            case_id, Decision(Outcome.ACTIONS, chosen, "Repeated following after being asked to stop.")
        )
        return
    chosen = (ChosenAction("warning", "written"), ChosenAction("recording-withheld", "Friday 11:00, Room A"))
    steps.decide(case_id, Decision(Outcome.ACTIONS, chosen, "The jokes demeaned a group of attendees."))
    later()
    steps.record_talk(
        case_id,
        Talk(
            told_what_reported=True,
            their_side="Meant as light humour; did not see the harm.",
            actions_told=True,
        ),
    )
    steps.record_reporter_followup(case_id, ReporterFollowUp(told_outcome=True, note="Told by e-mail."))
    later()
    CaseService(lead).move(case_id, Status.CLOSED)
    later()
    StepService(chair).receive_appeal(
        case_id, stamp(moment["at"])[:10], "Asks that the recording be published."
    )


# The words of the generated cases (`--cases N`): every name and place made up.
FIRST = ("Alex", "Sam", "Jordan", "Casey", "Morgan", "Taylor", "Drew", "Jamie", "Lee", "Robin", "Avery")
LAST = ("Example", "Sample", "Placeholder", "Fictional", "Mock", "Trial", "Invented", "Demo")
PLACES = ("Room A", "Room B", "Hallway B", "Main hall", "Sponsor hall", "Registration", "Social venue")
LOOKS = ("orange beanie", "grey hoodie", "green jacket", "red scarf", "blue cap", "yellow lanyard")
DEEDS = (
    "kept interrupting the speaker and made comments about women in compilers",
    "followed me between sessions and waited outside the bathroom",
    "put an arm around me twice after I said no",
    "showed an unrelated sexual image on a slide",
    "shouted over the panel Q&A for ten minutes",
    "made jokes about accents at the registration desk",
    "took photos of attendees without asking",
)
BATCH = 500  # generated cases per transaction: one fsync each, not one per case


def fictional_report(rng: random.Random, categories: tuple[str, ...]) -> Report:
    """A made-up report, varied enough that the queue's filter narrows as one types."""
    place, look = rng.choice(PLACES), rng.choice(LOOKS)
    return Report(
        description=f"Someone in a {look} {rng.choice(DEEDS)} near {place}.",
        taken_by=rng.choice((LEAD, "Kim Responder")),
        reporter=Reporter(name=f"{rng.choice(FIRST)} {rng.choice(LAST)}", contact="someone@example.org"),
        incident_at=rng.choice(("Friday", "Saturday", "Sunday")) + " afternoon",
        location=place,
        category=rng.choice(categories),
        reported=(
            ReportedPerson(
                name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                badge=f"A-{rng.randint(1000, 9999)}",
                appearance=look,
            ),
        ),
        witnesses=(Witness(name=f"{rng.choice(FIRST)} {rng.choice(LAST)}"),),
        urgent=rng.random() < 0.05,
    )


def build(
    folder: Path, now: Clock = utc_now, params: KdfParams = PRODUCTION, cases: int | None = None
) -> Desk:
    """Create the demo vault in `folder` (which must not hold one) and fill it.

    `cases`: how many in all (default: the seven stories). Beyond the stories, made-up
    reports dated over the 60 days before them, sealed like any other, written
    `BATCH` to a transaction so 5,000 take seconds; time and memory grow linearly.
    """
    moment = {"at": now()}

    def clock() -> datetime:
        return moment["at"]

    moment["at"] = now() - timedelta(days=10)
    desk = Desk.create(folder, EVENT, LEAD, PASSPHRASE, role=Role.LEAD, params=params, clock=clock)
    # Its members' keys use `params`, below the production floor (DEMO_KDF, or a test's
    # fast profile): this throwaway vault of fictional cases is unlocked at that cost.
    desk.kdf_floor = params
    session = desk.unlock(LEAD, PASSPHRASE)
    TeamService(session).add_member("Kim Responder", Role.RESPONDER, PASSPHRASE, params)
    TeamService(session).add_member("Avery Chair", Role.CHAIR, PASSPHRASE, params)
    chair = desk.unlock("Avery Chair", PASSPHRASE)
    service = CaseService(session)
    total = len(CASES) if cases is None else max(cases, 0)
    _generate(service, desk, moment, now() - timedelta(days=70), max(total - len(CASES), 0))
    for hours, report, note, stage in CASES[:total]:
        moment["at"] = now() - timedelta(hours=hours)
        ticks = tuple(Tick(item, stamp(moment["at"])) for item in FIRST_CONTACT)
        case_id = service.add_report(report, first_contact=ticks)
        moment["at"] += timedelta(minutes=20)
        if note:
            service.add_note(case_id, note)
        _carry(session, chair, case_id, stage, moment)
    chair.lock()
    moment["at"] = now()
    desk.remember_member(session)
    session.lock()
    desk.clock = now
    return desk


def _generate(
    service: CaseService, desk: Desk, moment: dict[str, datetime], start: datetime, count: int
) -> None:
    """`count` made-up reports from `start` on, oldest first, before the stories."""
    rng = random.Random(2026)  # the same vault every time
    categories = desk.playbook.category_codes
    step = timedelta(days=60) / max(count, 1)
    moment["at"] = start
    for first in range(0, count, BATCH):
        # One transaction per batch: every case in it is written whole, or none is.
        with write(service.session.db):
            for _ in range(min(BATCH, count - first)):
                moment["at"] += step
                service.add_report(fictional_report(rng, categories))
