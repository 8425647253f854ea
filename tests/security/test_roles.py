"""Battery 14 (SECURITY.md): every power of each role, tried by every other role.

Each power is tried by a responder (Kim), a lead (Lee), the lead who created the vault
(Robin) and the chair (Avery), once through the services and once through the command
(`cocdesk.cli.main`, in-process, as a script runs it). A refusal names its rule in one
line (exit 1 from the CLI) and leaves the database byte-identical; a power the role has
goes through.

Who may do what (cocdesk/domain/roles.py): the procedure's duties (PROCEDURE.md "Roles",
§6, §8, §9), and the team's administration, on which PROCEDURE.md is silent, ranked
responder < lead < chair: nobody adds, removes or re-enrols a member whose role is above
their own (re-enrolling someone is choosing their passphrase: becoming them). The one
exception: while the team has no chair, the lead who created the vault adds the first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from nacl.public import PrivateKey

from cocdesk.domain.roles import Role, may_add_member, may_reenrol, may_remove_member
from cocdesk.domain.steps import Talk
from cocdesk.errors import CocdeskError, NotAMember, RuleRefused, WrongPassphrase
from cocdesk.exchange import bundle as bundle_format
from cocdesk.service import CaseService, Desk, Session, TeamService
from cocdesk.service.access import AccessService
from cocdesk.service.banlist import BanlistService
from cocdesk.service.retention import RetentionService
from cocdesk.service.steps import StepService
from cocdesk.vault import kdf
from cocdesk.vault.kdf import FAST_FOR_TESTS
from tests.cli.test_cli import Run
from tests.conftest import FROZEN, sample_report

# -- the team -------------------------------------------------------------------------------------
TEAM = {  # Robin created the vault (member 1); Jo, Sky and Cass are the ones acted upon
    "Robin": Role.LEAD,
    "Avery": Role.CHAIR,
    "Lee": Role.LEAD,
    "Kim": Role.RESPONDER,
    "Jo": Role.RESPONDER,
    "Sky": Role.LEAD,
    "Cass": Role.CHAIR,
}
ACTORS = ("Kim", "Lee", "Robin", "Avery")  # a responder, a lead, the vault's creator, the chair


def pw(name: str) -> str:
    return f"{name.lower()}'s passphrase"


# -- the rules, as the refusals name them ---------------------------------------------------------
ADD = "only a lead or the chair may add team members"
ADD_CHAIR = (
    "only the chair may add a chair (the lead who created the vault adds the first, while there is none)"
)
REMOVE = "only a lead or the chair may remove team members"
REMOVE_CHAIR = "only the chair may remove a chair"
REMOVE_SELF = "another lead or the chair removes you from the team"
REENROL = "only a lead or the chair may re-enrol a member"
REENROL_CHAIR = "only the chair may re-enrol a chair (re-enrolling someone means choosing their passphrase)"
REENROL_SELF = "change your own passphrase instead (you know the current one)"
DELEGATE = "only the chair names delegates for announcements"
LIFT = "only a lead or the chair lifts a recusal"
PURGE = "only a lead or the chair may purge a case"
BANLIST = "only a lead or the chair may hand on the ban list"
TALK = "only a lead speaks with the reported person"
APPEAL = "appeals go to the conference chair, who answers them"
ANNOUNCE = "only the chair, or a delegate the chair named, makes a public announcement"


@dataclass(frozen=True)
class Ctx:
    """What a power needs besides the actor: a folder for files, a recipient key file."""

    folder: Path
    recipient: Path


@dataclass(frozen=True)
class Power:
    name: str
    service: Callable[[Session, Ctx, str], object]  # (actor's session, ctx, actor's name)
    cli: Callable[[Ctx, str], list[str]] | None  # the command's words, or None: the app only
    refused: dict[str, str] = field(default_factory=dict)  # actor -> the rule named; others may
    # Procedure steps are tried on a case in the wrong state: a role that may take the step
    # is let through the role rule and stopped by the case's state (another sentence).
    past_the_role_only: bool = False


def _add(role: Role) -> Callable[[Session, Ctx, str], object]:
    return lambda s, c, me: TeamService(s).add_member("Max", role, pw("Max"), FAST_FOR_TESTS)


POWERS = [
    Power(
        "add a responder",
        _add(Role.RESPONDER),
        lambda c, me: ["member", "add", "Max", "--role", "responder"],
        {"Kim": ADD},
    ),
    Power(
        "add a lead", _add(Role.LEAD), lambda c, me: ["member", "add", "Max", "--role", "lead"], {"Kim": ADD}
    ),
    Power(
        "add a chair",
        _add(Role.CHAIR),
        lambda c, me: ["member", "add", "Max", "--role", "chair"],
        {"Kim": ADD, "Lee": ADD_CHAIR, "Robin": ADD_CHAIR},
    ),
    Power(
        "remove a responder",
        lambda s, c, me: TeamService(s).remove_member("Jo"),
        lambda c, me: ["member", "remove", "Jo"],
        {"Kim": REMOVE},
    ),
    Power(
        "remove a lead",
        lambda s, c, me: TeamService(s).remove_member("Sky"),
        lambda c, me: ["member", "remove", "Sky"],
        {"Kim": REMOVE},
    ),
    Power(
        "remove a chair",
        lambda s, c, me: TeamService(s).remove_member("Cass"),
        lambda c, me: ["member", "remove", "Cass"],
        {"Kim": REMOVE, "Lee": REMOVE_CHAIR, "Robin": REMOVE_CHAIR},
    ),
    Power(
        "remove yourself",
        lambda s, c, me: TeamService(s).remove_member(me),
        lambda c, me: ["member", "remove", me],
        {"Kim": REMOVE, "Lee": REMOVE_SELF, "Robin": REMOVE_SELF, "Avery": REMOVE_SELF},
    ),
    Power(
        "re-enrol a responder",
        lambda s, c, me: TeamService(s).reenrol("Jo", "chosen by another", FAST_FOR_TESTS),
        lambda c, me: ["member", "reenrol", "Jo"],
        {"Kim": REENROL},
    ),
    Power(
        "re-enrol a lead",
        lambda s, c, me: TeamService(s).reenrol("Sky", "chosen by another", FAST_FOR_TESTS),
        lambda c, me: ["member", "reenrol", "Sky"],
        {"Kim": REENROL},
    ),
    Power(
        "re-enrol a chair",
        lambda s, c, me: TeamService(s).reenrol("Cass", "chosen by another", FAST_FOR_TESTS),
        lambda c, me: ["member", "reenrol", "Cass"],
        {"Kim": REENROL, "Lee": REENROL_CHAIR, "Robin": REENROL_CHAIR},
    ),
    Power(
        "re-enrol yourself",
        lambda s, c, me: TeamService(s).reenrol(me, "chosen by myself", FAST_FOR_TESTS),
        lambda c, me: ["member", "reenrol", me],
        {"Kim": REENROL, "Lee": REENROL_SELF, "Robin": REENROL_SELF, "Avery": REENROL_SELF},
    ),
    Power(
        "name a delegate",
        lambda s, c, me: StepService(s).name_delegate("Jo"),
        lambda c, me: ["member", "delegate", "Jo"],
        {"Kim": DELEGATE, "Lee": DELEGATE, "Robin": DELEGATE},
    ),
    Power(
        "lift a recusal",
        lambda s, c, me: AccessService(s).lift("C-0001", "Jo"),
        lambda c, me: ["conflict", "C-0001", "--lift", "Jo"],
        {"Kim": LIFT},
    ),
    Power(
        "purge a case",
        lambda s, c, me: RetentionService(s).purge(["C-0001"]),
        lambda c, me: ["purge", "C-0001", "--yes"],
        {"Kim": PURGE},
    ),
    Power(
        "hand on the ban list",
        lambda s, c, me: BanlistService(s).export(
            bundle_format.read_public_key(c.recipient), c.folder / "ban.sealed"
        ),
        lambda c, me: ["banlist", "export", "--to", str(c.recipient), "--out", str(c.folder / "ban.sealed")],
        {"Kim": BANLIST},
    ),
    Power(
        "speak with the reported person",
        lambda s, c, me: StepService(s).record_talk("C-0001", Talk(told_what_reported=True)),
        None,
        {"Kim": TALK, "Avery": TALK},
        past_the_role_only=True,
    ),
    Power(
        "receive an appeal",
        lambda s, c, me: StepService(s).receive_appeal("C-0001", "2026-05-03", "they appeal"),
        None,
        {"Kim": APPEAL, "Lee": APPEAL, "Robin": APPEAL},
        past_the_role_only=True,
    ),
    Power(
        "make a public announcement",
        lambda s, c, me: StepService(s).mark_made("C-0001"),
        None,
        {"Kim": ANNOUNCE, "Lee": ANNOUNCE, "Robin": ANNOUNCE},
        past_the_role_only=True,
    ),
]
CELLS = [pytest.param(p, a, id=f"{p.name}-by-{a}") for p in POWERS for a in ACTORS]
CLI_CELLS = [pytest.param(p, a, id=f"{p.name}-by-{a}") for p in POWERS if p.cli for a in ACTORS]


# -- fixtures -------------------------------------------------------------------------------------
def build_team(folder: Path) -> None:
    """Robin makes the vault and adds everyone (Avery, the first chair, adds Cass); one case,
    C-0001, which Jo stepped out of (a conflict of interest); the vault closed, the WAL empty."""
    desk = Desk.create(
        folder, "PyColorado 2026", "Robin", pw("Robin"), params=FAST_FOR_TESTS, clock=lambda: FROZEN
    )
    try:
        robin = desk.unlock("Robin", pw("Robin"))
        for name, role in TEAM.items():
            if name not in ("Robin", "Cass"):
                TeamService(robin).add_member(name, role, pw(name), FAST_FOR_TESTS)
        TeamService(desk.unlock("Avery", pw("Avery"))).add_member(
            "Cass", Role.CHAIR, pw("Cass"), FAST_FOR_TESTS
        )
        CaseService(robin).add_report(sample_report("one"))
        AccessService(desk.unlock("Jo", pw("Jo"))).declare_conflict("C-0001")
    finally:
        desk.close()


@pytest.fixture
def ctx(tmp_path: Path) -> Ctx:
    folder = tmp_path / "vault"
    build_team(folder)
    recipient = tmp_path / "committee.pub"
    public = bytes(PrivateKey.generate().public_key)
    recipient.write_text(bundle_format.public_key_text(public, "Committee", "PyColorado 2027"), "utf-8")
    return Ctx(folder, recipient)


def files(folder: Path) -> dict[str, bytes]:
    """Every byte of the vault: the database and whatever -wal, -shm or -journal is beside it."""
    return {p.name: p.read_bytes() for p in sorted(folder.glob("cocdesk.db*"))}


# -- the table, through the services --------------------------------------------------------------
@pytest.mark.parametrize(("power", "actor"), CELLS)
def test_each_power_through_the_service(ctx: Ctx, power: Power, actor: str) -> None:
    desk = Desk.open(ctx.folder, clock=lambda: FROZEN)
    try:
        session = desk.unlock(actor, pw(actor))
        before = files(ctx.folder)
        rule = power.refused.get(actor)
        if rule is not None:
            with pytest.raises(RuleRefused) as caught:
                power.service(session, ctx, actor)
            assert str(caught.value) == rule
            assert files(ctx.folder) == before, "a refused change changed the vault"
        elif power.past_the_role_only:
            with pytest.raises(CocdeskError) as stopped:
                power.service(session, ctx, actor)
            assert str(stopped.value) not in (TALK, APPEAL, ANNOUNCE), "the role rule stopped a role that may"
        else:
            power.service(session, ctx, actor)
            assert files(ctx.folder) != before
    finally:
        desk.close()


# -- the table, through the command ---------------------------------------------------------------
@pytest.fixture
def run(ctx: Ctx, monkeypatch: pytest.MonkeyPatch) -> Run:
    # A new key made by the command (add, re-enrol) uses the fast test profile.
    monkeypatch.setattr(kdf, "enrolment_params", lambda: FAST_FOR_TESTS)
    monkeypatch.setenv("COCDESK_NEW_PASSPHRASE", "chosen by the actor")
    return Run(ctx.folder, monkeypatch)


@pytest.mark.parametrize(("power", "actor"), CLI_CELLS)
def test_each_power_through_the_command(ctx: Ctx, run: Run, power: Power, actor: str) -> None:
    assert power.cli is not None
    before = files(ctx.folder)
    code, out, err = run(*power.cli(ctx, actor), COCDESK_MEMBER=actor, COCDESK_PASSPHRASE=pw(actor))
    rule = power.refused.get(actor)
    if rule is not None:
        assert (code, out, err) == (1, "", f"cocdesk: {rule}\n")
        assert files(ctx.folder) == before, "a refused command changed the vault"
    else:
        assert (code, err) == (0, ""), err
        assert files(ctx.folder) != before


# -- the attacks, end to end --------------------------------------------------------------
def test_a_lead_cannot_reenrol_the_chair_and_then_unlock_as_the_chair(ctx: Ctx, run: Run) -> None:
    before = files(ctx.folder)
    for lead in ("Lee", "Robin"):
        code, out, err = run(
            "member",
            "reenrol",
            "Avery",
            COCDESK_MEMBER=lead,
            COCDESK_PASSPHRASE=pw(lead),
            COCDESK_NEW_PASSPHRASE="the lead chose this",
        )
        assert (code, out, err) == (1, "", f"cocdesk: {REENROL_CHAIR}\n")
    assert files(ctx.folder) == before
    code, _, err = run("member", "list", COCDESK_MEMBER="Avery", COCDESK_PASSPHRASE="the lead chose this")
    assert (code, err) == (3, "cocdesk: wrong passphrase\n")
    desk = Desk.open(ctx.folder)
    try:
        with pytest.raises(WrongPassphrase):
            desk.unlock("Avery", "the lead chose this")
        assert desk.unlock("Avery", pw("Avery")).role is Role.CHAIR
    finally:
        desk.close()


def test_a_lead_cannot_make_a_chair_who_then_names_delegates(ctx: Ctx, run: Run) -> None:
    before = files(ctx.folder)
    env = {"COCDESK_MEMBER": "Lee", "COCDESK_PASSPHRASE": pw("Lee"), "COCDESK_NEW_PASSPHRASE": "mallory's"}
    assert run("member", "add", "Mallory", "--role", "chair", **env) == (1, "", f"cocdesk: {ADD_CHAIR}\n")
    assert run("member", "delegate", "Lee", **env) == (1, "", f"cocdesk: {DELEGATE}\n")
    assert files(ctx.folder) == before
    code, _, err = run("member", "delegate", "Lee", COCDESK_MEMBER="Mallory", COCDESK_PASSPHRASE="mallory's")
    assert (code, err) == (3, "cocdesk: no team member is called 'Mallory'\n")


def test_the_lead_who_made_the_vault_adds_the_first_chair_and_no_other(tmp_path: Path) -> None:
    desk = Desk.create(tmp_path / "v", "PyColorado 2026", "Robin", pw("Robin"), params=FAST_FOR_TESTS)
    try:
        robin = TeamService(desk.unlock("Robin", pw("Robin")))
        robin.add_member("Lee", Role.LEAD, pw("Lee"), FAST_FOR_TESTS)
        lee = TeamService(desk.unlock("Lee", pw("Lee")))
        with pytest.raises(RuleRefused, match="^only the chair may add a chair"):
            lee.add_member("Mallory", Role.CHAIR, "mallory's", FAST_FOR_TESTS)  # another lead: never
        robin.add_member("Avery", Role.CHAIR, pw("Avery"), FAST_FOR_TESTS)  # no chair yet: the founder may
        with pytest.raises(RuleRefused) as caught:
            robin.add_member("Cass", Role.CHAIR, pw("Cass"), FAST_FOR_TESTS)  # there is one now
        assert str(caught.value) == ADD_CHAIR
        TeamService(desk.unlock("Avery", pw("Avery"))).add_member(
            "Cass", Role.CHAIR, pw("Cass"), FAST_FOR_TESTS
        )
        assert [(m.name, m.role) for m in robin.members() if m.role is Role.CHAIR] == [
            ("Avery", Role.CHAIR),
            ("Cass", Role.CHAIR),
        ]
        with pytest.raises(NotAMember):
            desk.unlock("Mallory", "mallory's")
    finally:
        desk.close()


def test_a_chair_reenrolled_by_another_chair_unlocks_with_the_new_passphrase(ctx: Ctx) -> None:
    desk = Desk.open(ctx.folder)
    try:
        TeamService(desk.unlock("Avery", pw("Avery"))).reenrol("Cass", "cass starts again", FAST_FOR_TESTS)
        with pytest.raises(WrongPassphrase):
            desk.unlock("Cass", pw("Cass"))
        cass = desk.unlock("Cass", "cass starts again")
        assert cass.role is Role.CHAIR
        assert [c.id for c in CaseService(cass).list_cases()] == ["C-0001"]
    finally:
        desk.close()


# -- the rule itself, pure ------------------------------------------------------------------------
RANK = {Role.RESPONDER: 0, Role.LEAD: 1, Role.CHAIR: 2}


@pytest.mark.parametrize("actor", list(Role))
@pytest.mark.parametrize("target", list(Role))
def test_nobody_adds_removes_or_reenrols_above_their_own_role(actor: Role, target: Role) -> None:
    above = RANK[target] > RANK[actor]
    manages = actor is not Role.RESPONDER
    for rule in (
        may_add_member(actor, target, founding=False),
        may_remove_member(actor, target),
        may_reenrol(actor, target),
    ):
        assert (rule is None) == (manages and not above), (actor, target, rule)
    # The one exception: the vault's creator adds the first chair.
    assert (may_add_member(actor, target, founding=True) is None) == manages
