"""The demo vault: fictional cases only, so anyone can try cocdesk without real data."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from nacl import pwhash

from cocdesk.domain.report import Report, ReportedPerson, Reporter, Witness
from cocdesk.domain.roles import Role
from cocdesk.domain.status import Status
from cocdesk.service import CaseService, Desk, TeamService
from cocdesk.service.cases import Tick
from cocdesk.service.clock import Clock, stamp, utc_now
from cocdesk.vault.kdf import PRODUCTION, KdfParams

PASSPHRASE = "demo"
# A throwaway vault of fictional data: libsodium's INTERACTIVE cost keeps start-up quick.
DEMO_KDF = KdfParams(
    opslimit=pwhash.argon2id.OPSLIMIT_INTERACTIVE, memlimit=pwhash.argon2id.MEMLIMIT_INTERACTIVE
)
EVENT = "DemoCon 2026"
LEAD = "Robin Lead"

# (hours before now, report, note or None, move to)
CASES: tuple[tuple[float, Report, str | None, Status | None], ...] = (
    (
        200,
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
        None,
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
        None,
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
        None,
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
        Status.REFERRED,
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
        None,
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
        None,
    ),
)

FIRST_CONTACT = ("DO: Stay calm and listen; use no words that judge.", "DO: Thank them for reporting.")


def build(folder: Path, now: Clock = utc_now, params: KdfParams = PRODUCTION) -> Desk:
    """Create the demo vault in `folder` (which must not hold one) and fill it."""
    moment = {"at": now()}

    def clock() -> datetime:
        return moment["at"]

    moment["at"] = now() - timedelta(days=10)
    desk = Desk.create(folder, EVENT, LEAD, PASSPHRASE, role=Role.LEAD, params=params, clock=clock)
    session = desk.unlock(LEAD, PASSPHRASE)
    TeamService(session).add_member("Kim Responder", Role.RESPONDER, PASSPHRASE, params)
    TeamService(session).add_member("Avery Chair", Role.CHAIR, PASSPHRASE, params)
    cases = CaseService(session)
    for hours, report, note, move in CASES:
        moment["at"] = now() - timedelta(hours=hours)
        ticks = tuple(Tick(item, stamp(moment["at"])) for item in FIRST_CONTACT)
        case_id = cases.add_report(report, first_contact=ticks)
        moment["at"] += timedelta(minutes=20)
        if note:
            cases.add_note(case_id, note)
        if move:
            cases.move(case_id, move)
    moment["at"] = now()
    desk.remember_member(session)
    session.lock()
    desk.clock = now
    return desk
