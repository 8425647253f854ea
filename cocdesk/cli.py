"""The `cocdesk` command: argument parsing, passphrases, exit codes. No rules live here."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from cocdesk import __version__, exit_codes
from cocdesk.errors import CocdeskError, IntegrityFailure, UsageProblem

if TYPE_CHECKING:
    import argparse

    from cocdesk.service import Desk, Session

MAX_REPORT_BYTES = 16 * 1024 * 1024


def build_parser() -> argparse.ArgumentParser:
    """The grammar of every command: built only when a command is given (see _app_only)."""
    import argparse

    class _Parser(argparse.ArgumentParser):
        """argparse that reports a usage error as one line and exit code 2."""

        def error(self, message: str) -> NoReturn:
            raise UsageProblem(f"{message} (see `{self.prog} --help`)")

    p = _Parser(prog="cocdesk", description="Offline, sealed Code of Conduct response desk.")
    p.add_argument("--version", action="version", version=f"cocdesk {__version__}")
    p.add_argument(
        "--data-dir",
        metavar="DIR",
        help="vault folder (default: COCDESK_HOME or the platform's data folder)",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    demo = sub.add_parser("demo", help="open the app on a throwaway vault of fictional cases")
    demo.add_argument(
        "--cases", type=int, metavar="N", help="how many fictional cases (default: seven stories)"
    )

    init = sub.add_parser("init", help="create a vault non-interactively")
    init.add_argument("--event", required=True, help="the event's name")
    init.add_argument("--member", required=True, help="the first team member's name")
    init.add_argument("--role", default="lead", help="their role (default: lead)")
    init.add_argument("--playbook", metavar="FILE", help="the event's own playbook TOML")

    member = sub.add_parser("member", help="team members")
    member_sub = member.add_subparsers(dest="member_command", metavar="ACTION", parser_class=_Parser)
    member_sub.required = True
    madd = member_sub.add_parser("add", help="(lead or chair) add a team member; a chair only by the chair")
    madd.add_argument("name")
    madd.add_argument("--role", required=True, help="responder, lead or chair")
    mdel = member_sub.add_parser("delegate", help="(chair) name a member who may make announcements")
    mdel.add_argument("name")
    member_sub.add_parser("list", help="the team: names, roles, cases held")
    mrem = member_sub.add_parser("remove", help="(lead or chair) take a member off the team")
    mrem.add_argument("name")
    member_sub.add_parser("passphrase", help="change your own passphrase (COCDESK_NEW_PASSPHRASE or asked)")
    mre = member_sub.add_parser(
        "reenrol", help="(lead or chair) a new key for a member who forgot their passphrase"
    )
    mre.add_argument("name")

    conflict = sub.add_parser("conflict", help="declare your conflict of interest in a case, or lift one")
    conflict.add_argument("case", metavar="CASE")
    conflict.add_argument("--lift", metavar="NAME", help="(lead or chair) lift NAME's recusal instead")

    add = sub.add_parser("add", help="take a report from JSON (FILE, or - for stdin)")
    add.add_argument("file", metavar="FILE")

    lst = sub.add_parser("list", help="the case queue")
    lst.add_argument("--json", action="store_true", help="machine-readable output")

    exp = sub.add_parser("export", help="one case, decrypted, to stdout")
    exp.add_argument("case", metavar="CASE")
    exp.add_argument("--format", choices=("md", "json"), default="md")

    report = sub.add_parser("report", help="reports for publishing")
    report_sub = report.add_subparsers(dest="report_kind", metavar="KIND", parser_class=_Parser)
    report_sub.required = True
    transparency = report_sub.add_parser(
        "transparency", help="anonymised counts by category, status and action; never a name"
    )
    transparency.add_argument("--format", choices=("md", "json"), default="md")

    sub.add_parser("verify", help="check the audit chain and the database's integrity")

    backup = sub.add_parser("backup", help="write a sealed copy of the vault")
    backup.add_argument("path", metavar="PATH")
    _handoff_parsers(sub, member_sub, _Parser)

    restore = sub.add_parser("restore", help="(lead or chair) replace the vault with a verified backup")
    restore.add_argument("path", metavar="PATH")
    restore.add_argument("--yes", action="store_true", help="do not ask before replacing the vault")

    purge = sub.add_parser("purge", help="(lead or chair) crypto-shred closed cases past retention")
    purge.add_argument("case", metavar="CASE", nargs="?", help="purge this one case instead")
    purge.add_argument("--list", action="store_true", help="only list the cases past retention")
    purge.add_argument("--yes", action="store_true", help="do not ask before purging")
    return p


def _handoff_parsers(sub: Any, member_sub: Any, parser_class: type) -> None:
    """Bundles and ban lists: files sealed to one person's public key."""
    mkey = member_sub.add_parser(
        "pubkey", help="print a member's public key (yours by default), to seal bundles to"
    )
    mkey.add_argument("name", nargs="?")
    bundle = sub.add_parser("bundle", help="cases sealed to one recipient: another laptop or the committee")
    bundle_sub = bundle.add_subparsers(dest="bundle_command", metavar="ACTION", parser_class=parser_class)
    bundle_sub.required = True
    bexp = bundle_sub.add_parser("export", help="seal the cases you hold (or --case ...) to a public key")
    bexp.add_argument("--to", required=True, metavar="PUBLIC_KEY_FILE", help="from `cocdesk member pubkey`")
    bexp.add_argument("--case", nargs="+", metavar="CASE", help="only these cases")
    bexp.add_argument("--out", metavar="PATH", help="the bundle file (default: a new file here)")
    bimp = bundle_sub.add_parser("import", help="merge a bundle sealed to you into this vault")
    bimp.add_argument("file", metavar="FILE")
    bimp.add_argument(
        "--from",
        dest="sender",
        metavar="FINGERPRINT",
        help="the sender's key fingerprint (`cocdesk member pubkey` shows it); needed without a terminal",
    )
    ban = sub.add_parser("banlist", help="next year's ban list: keyed tags only, sealed to its holder")
    ban_sub = ban.add_subparsers(dest="banlist_command", metavar="ACTION", parser_class=parser_class)
    ban_sub.required = True
    lexp = ban_sub.add_parser("export", help="(lead or chair) write the ban list, sealed to a public key")
    lexp.add_argument("--to", required=True, metavar="PUBLIC_KEY_FILE", help="from `cocdesk member pubkey`")
    lexp.add_argument("--out", metavar="PATH", help="the list file (default: a new file here)")
    lchk = ban_sub.add_parser(
        "check", help="is NAME (or a badge, an e-mail address) on a ban list sealed to you?"
    )
    lchk.add_argument("name", metavar="NAME")
    lchk.add_argument("--file", required=True, metavar="FILE", help="the ban list file")


# -- passphrases and members --------------------------------------------------------
def _ask_secret(prompt: str, env_name: str = "COCDESK_PASSPHRASE") -> str:
    if not sys.stdin.isatty():
        # Name the variable that was missing: a new passphrase has its own.
        raise UsageProblem(f"no passphrase: set {env_name} or run in a terminal")
    import getpass

    return getpass.getpass(prompt)


def _passphrase() -> str:
    env = os.environ.get("COCDESK_PASSPHRASE")
    return env if env is not None else _ask_secret("Passphrase: ")


def _new_passphrase(env_name: str, who: str) -> str:
    from cocdesk.domain.passphrase import problem

    env = os.environ.get(env_name)
    if env is not None:
        chosen = env
    else:
        chosen = _ask_secret(f"New passphrase for {who}: ", env_name)
        if _ask_secret("Same passphrase again: ", env_name) != chosen:
            raise UsageProblem("the two passphrases differ; nothing was changed")
    refused = problem(chosen)
    if refused:
        raise UsageProblem(refused)
    return chosen


def _member(names: list[str]) -> str:
    env = os.environ.get("COCDESK_MEMBER")
    if env:
        return env
    if len(names) == 1:
        return names[0]
    if not sys.stdin.isatty():
        raise UsageProblem("which member? set COCDESK_MEMBER")
    return input(f"Member ({', '.join(names)}): ").strip()


# -- commands ----------------------------------------------------------------------------
def _folder(args: argparse.Namespace) -> Path:
    from cocdesk.paths import data_dir

    return data_dir(args.data_dir)


@contextmanager
def _unlocked(args: argparse.Namespace, check: bool = True) -> Iterator[tuple[Desk, Session]]:
    """The vault, unlocked by the member the environment or the terminal names; locked and
    closed however the command ends. `check=False`: verify reports what unlock would refuse."""
    from cocdesk.service import Desk

    desk = Desk.open(_folder(args))
    session: Session | None = None
    try:
        session = desk.unlock(_member(desk.member_names()), _passphrase(), check=check)
        yield desk, session
    finally:
        if session is not None:
            session.lock()
        desk.close()


def cmd_init(args: argparse.Namespace, out: TextIO) -> int:
    from cocdesk.domain.roles import parse_role
    from cocdesk.playbook import load_file
    from cocdesk.service import Desk

    try:
        role = parse_role(args.role)
    except ValueError as exc:
        raise UsageProblem(str(exc)) from None
    text, source = None, "default.toml"
    if args.playbook:
        _, text = load_file(Path(args.playbook))
        source = args.playbook
    folder = _folder(args)
    if Desk.exists(folder):
        from cocdesk.errors import VaultExists

        raise VaultExists(f"a vault already exists in {folder}")
    passphrase = _new_passphrase("COCDESK_PASSPHRASE", args.member)
    desk = Desk.create(
        folder,
        args.event,
        args.member,
        passphrase,
        role=role,
        playbook_text=text,
        playbook_source=source,
    )
    desk.close()
    print(f"created the vault for {args.event} in {folder}", file=out)
    return exit_codes.OK


def cmd_member_add(args: argparse.Namespace, out: TextIO) -> int:
    from cocdesk.domain.roles import parse_role
    from cocdesk.service import TeamService

    try:
        role = parse_role(args.role)
    except ValueError as exc:
        raise UsageProblem(str(exc)) from None
    with _unlocked(args) as (desk, session):
        team = TeamService(session)
        team.check_add(role)  # refused before their passphrase is typed twice
        passphrase = _new_passphrase("COCDESK_NEW_PASSPHRASE", args.name)
        team.add_member(args.name, role, passphrase)
    print(f"added {args.name} as {role.value}", file=out)
    return exit_codes.OK


def cmd_member_delegate(args: argparse.Namespace, out: TextIO) -> int:
    from cocdesk.domain.text import visible
    from cocdesk.service.steps import StepService

    with _unlocked(args) as (desk, session):
        StepService(session).name_delegate(args.name)
    print(f"{visible(args.name, keep='')} may now mark announcements as made", file=out)
    return exit_codes.OK


def cmd_member_list(args: argparse.Namespace, out: TextIO) -> int:
    from cocdesk.domain.text import visible
    from cocdesk.service import TeamService

    with _unlocked(args) as (desk, session):
        members = TeamService(session).members()
    print(f"{'name':<24} {'role':<10} {'state':<8} cases  delegate", file=out)
    for m in members:
        state = "active" if m.active else "removed"
        delegate = "yes" if m.delegate else ""
        print(
            f"{visible(m.name, keep=''):<24} {m.role.value:<10} {state:<8} {m.cases:>5}  {delegate}", file=out
        )
    return exit_codes.OK


def cmd_member_remove(args: argparse.Namespace, out: TextIO) -> int:
    from cocdesk.domain.text import visible
    from cocdesk.service import TeamService

    with _unlocked(args) as (desk, session):
        rekeyed = TeamService(session).remove_member(args.name)
    name = visible(args.name, keep="")
    print(f"removed {name}; {rekeyed} case(s) re-keyed. What they saw before, they saw.", file=out)
    return exit_codes.OK


def cmd_member_passphrase(args: argparse.Namespace, out: TextIO) -> int:
    from cocdesk.service import Desk, TeamService

    desk = Desk.open(_folder(args))
    try:
        current = _passphrase()
        session = desk.unlock(_member(desk.member_names()), current)
        new = _new_passphrase("COCDESK_NEW_PASSPHRASE", session.member_name)
        TeamService(session).change_passphrase(current, new)
    finally:
        desk.close()
    print("passphrase changed", file=out)
    return exit_codes.OK


def cmd_member_reenrol(args: argparse.Namespace, out: TextIO) -> int:
    from cocdesk.domain.text import visible
    from cocdesk.service import TeamService

    with _unlocked(args) as (desk, session):
        team = TeamService(session)
        team.check_reenrol(args.name)  # refused before a new passphrase is typed twice
        new = _new_passphrase("COCDESK_NEW_PASSPHRASE", args.name)
        given = team.reenrol(args.name, new)
    print(f"re-enrolled {visible(args.name, keep='')} with a new key; {given} case(s) sealed to it", file=out)
    return exit_codes.OK


def cmd_conflict(args: argparse.Namespace, out: TextIO) -> int:
    from cocdesk.domain.text import visible
    from cocdesk.service.access import AccessService

    with _unlocked(args) as (desk, session):
        access = AccessService(session)
        if args.lift:
            access.lift(args.case, args.lift)
            said = f"lifted {visible(args.lift, keep='')}'s recusal from {visible(args.case, keep='')}"
        else:
            access.declare_conflict(args.case)
            said = f"you stepped out of {visible(args.case, keep='')}; it was re-keyed without you"
    print(said, file=out)
    return exit_codes.OK


def cmd_member_pubkey(args: argparse.Namespace, out: TextIO) -> int:
    from cocdesk.service.handoff import HandoffService

    with _unlocked(args) as (desk, session):
        text = HandoffService(session).public_key_text(args.name)
    out.write(visible_lines(text))
    return exit_codes.OK


MEMBER_COMMANDS: dict[str, Callable[[argparse.Namespace, TextIO], int]] = {
    "add": cmd_member_add,
    "delegate": cmd_member_delegate,
    "list": cmd_member_list,
    "remove": cmd_member_remove,
    "passphrase": cmd_member_passphrase,
    "reenrol": cmd_member_reenrol,
    "pubkey": cmd_member_pubkey,
}


def _read_report(name: str) -> object:
    import json

    from cocdesk.errors import BadReport

    label = "stdin" if name == "-" else name
    try:
        if name == "-":
            raw = sys.stdin.buffer.read(MAX_REPORT_BYTES + 1)
        else:
            with open(name, "rb") as fh:
                raw = fh.read(MAX_REPORT_BYTES + 1)
    except OSError as exc:
        raise BadReport(f"{label}: cannot read it: {exc.strerror}") from None
    if len(raw) > MAX_REPORT_BYTES:
        raise BadReport(f"{label}: larger than {MAX_REPORT_BYTES // (1024 * 1024)} MiB")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadReport(f"{label}: not UTF-8 text (byte {exc.start})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadReport(
            f"{label}: not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except RecursionError:
        raise BadReport(f"{label}: nested too deeply") from None


def cmd_add(args: argparse.Namespace, out: TextIO) -> int:
    from cocdesk.domain.report import parse_report
    from cocdesk.service import CaseService, Desk

    data = _read_report(args.file)
    desk = Desk.open(_folder(args))
    try:
        report = parse_report(data, desk.playbook.category_codes)
        session = desk.unlock(_member(desk.member_names()), _passphrase())
        case_id = CaseService(session).add_report(report)
    finally:
        desk.close()
    print(case_id, file=out)
    return exit_codes.OK


def cmd_list(args: argparse.Namespace, out: TextIO) -> int:
    from cocdesk.service import CaseService

    with _unlocked(args) as (desk, session):
        rows = CaseService(session).list_cases()
    if args.json:
        import json

        data = [
            {
                "id": r.id,
                "created_at": r.created_at,
                "updated_at": r.updated_at,
                "status": r.status.value,
                "category": r.category,
                "urgent": r.urgent,
                "holder": r.holder,
            }
            for r in rows
        ]
        # ASCII JSON: \u escapes keep every value exact and no byte can drive a terminal.
        print(json.dumps(data, ensure_ascii=True, indent=2), file=out)
        return exit_codes.OK
    from cocdesk.domain.text import visible

    print(f"{'case':<8} {'status':<13} {'!':<1} {'category':<22} {'taken':<20} holder", file=out)
    for r in rows:
        print(
            f"{r.id:<8} {r.status.value:<13} {'!' if r.urgent else ' '} "
            f"{r.category or '—':<22} {r.created_at:<20} {visible(r.holder, keep='')}",
            file=out,
        )
    if not rows:
        print("(no cases)", file=out)
    return exit_codes.OK


def cmd_export(args: argparse.Namespace, out: TextIO) -> int:
    from cocdesk.exchange import case_export
    from cocdesk.service import CaseService
    from cocdesk.service.access import AccessService

    with _unlocked(args) as (desk, session):
        view = CaseService(session).open_case(args.case)
        AccessService(session).record_exported(args.case)
        text = (
            case_export.to_json(view)
            if args.format == "json"
            else case_export.to_markdown(view, desk.playbook)
        )
    out.write(text if text.endswith("\n") else text + "\n")
    return exit_codes.OK


def cmd_report(args: argparse.Namespace, out: TextIO) -> int:
    from cocdesk.exchange import transparency
    from cocdesk.service.transparency import transparency_report

    with _unlocked(args) as (desk, session):
        report = transparency_report(session)
    text = (
        transparency.to_json(report)
        if args.format == "json"
        else transparency.to_markdown(report, session.playbook)
    )
    out.write(text if text.endswith("\n") else text + "\n")
    return exit_codes.OK


def cmd_verify(args: argparse.Namespace, out: TextIO) -> int:
    from cocdesk.service.integrity import verify

    with _unlocked(args, check=False) as (desk, session):
        problems = verify(session)
    if problems:
        from cocdesk.domain.text import visible

        for line in problems:
            print(visible(line, keep=""), file=out)
        raise IntegrityFailure(f"{len(problems)} integrity problem(s) found: {problems[0]}")
    print("ok: audit chain intact, database integrity ok", file=out)
    return exit_codes.OK


def cmd_backup(args: argparse.Namespace, out: TextIO) -> int:
    from cocdesk.service.copies import backup

    with _unlocked(args) as (desk, session):
        backup(desk, session, Path(args.path))
    print(f"wrote a sealed backup to {args.path}", file=out)
    return exit_codes.OK


def _recipient(path: str) -> bytes:
    from cocdesk.exchange.bundle import read_public_key

    return read_public_key(Path(path))


def _new_file(given: str | None, kind: str, clock_stamp: str) -> Path:
    if given:
        return Path(given)
    return Path(f"cocdesk-{kind}-{clock_stamp.replace(':', '').replace('-', '')}.sealed")


def cmd_bundle_export(args: argparse.Namespace, out: TextIO) -> int:
    from cocdesk.service.handoff import HandoffService

    recipient = _recipient(args.to)
    with _unlocked(args) as (desk, session):
        target = _new_file(args.out, "bundle", session.now())
        done = HandoffService(session).export(recipient, target, args.case)
    print(f"wrote {len(done.case_ids)} case(s) to {target}, sealed to key {done.fingerprint}", file=out)
    if done.left_out:
        print(
            f"left out {done.left_out} case(s) you do not hold (stepped out); "
            "a member who holds them can bundle them",
            file=out,
        )
    return exit_codes.OK


def _agreed(question: str, yes: bool, refused: str) -> bool:
    """--yes, or a y at the terminal; without a terminal, only --yes (never a silent default)."""
    if yes:
        return True
    if not sys.stdin.isatty():
        raise UsageProblem(f"{refused}: there is no terminal to ask; add --yes to confirm")
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")


def cmd_purge(args: argparse.Namespace, out: TextIO) -> int:
    from cocdesk.domain.retention import cases_phrase
    from cocdesk.domain.roles import may_purge
    from cocdesk.errors import RuleRefused
    from cocdesk.service.retention import BACKUPS_STILL_HOLD, NOT_YET_CLEAN, RetainedCase, RetentionService

    if args.list and (args.case or args.yes):
        raise UsageProblem("--list only lists: give no CASE and no --yes with it")
    expired: list[RetainedCase] = []
    with _unlocked(args) as (desk, session):
        retention = RetentionService(session)
        days = retention.days
        if args.case:
            # Refused before asking: nobody confirms a purge that cannot happen.
            case = retention.check(args.case)
            when = f"past the {days}-day retention" if case.past else f"NOT past the {days}-day retention"
            wanted = [case.id]
            question = (
                f"Purge {case.id} ({case.status.value.replace('_', ' ')}, {when})? "
                "Every sealed word of it is deleted for good."
            )
        else:
            expired = retention.expired()
            asking = args.list or not args.yes
            for c in expired:
                # Listed before the question; with --yes, only the outcome lines below.
                if asking or c.blocked:
                    why = f"  (not purged by you: {c.blocked})" if c.blocked else ""
                    print(f"{c.id:<8} {c.status.value:<9} last update {c.updated_at}{why}", file=out)
            if not expired:
                print(f"no closed case is past the {days}-day retention", file=out)
                return exit_codes.OK
            if args.list:
                print(f"{cases_phrase(len(expired))} past the {days}-day retention", file=out)
                return exit_codes.OK
            reason = may_purge(session.role)
            if reason:
                raise RuleRefused(reason)
            wanted = [c.id for c in expired if c.blocked is None]
            if not wanted:
                raise RuleRefused(f"none of the {len(expired)} case(s) past retention is yours to purge")
            question = f"Purge {len(wanted)} case(s)? Every sealed word of them is deleted for good."
        if not _agreed(question, args.yes, "nothing was purged"):
            print("nothing was purged", file=out)
            return exit_codes.OK
        outcome = retention.purge(wanted, only_expired=not args.case)
    for case_id in outcome.purged:
        print(f"{case_id} purged", file=out)
    if outcome.purged:
        print(f"note: {BACKUPS_STILL_HOLD}", file=out)
    if not outcome.compacted:
        print(f"note: {NOT_YET_CLEAN}", file=out)
    if args.case and outcome.refused:
        raise outcome.refused[0][1]
    for case_id, error in outcome.refused:
        print(f"{case_id} not purged: {error}", file=out)
    left = len(outcome.refused) + sum(1 for c in expired if c.blocked)
    if left:
        raise RuleRefused(f"{left} case(s) past retention were not purged (see above)")
    return exit_codes.OK


def cmd_restore(args: argparse.Namespace, out: TextIO) -> int:
    from cocdesk.domain.retention import cases_phrase
    from cocdesk.domain.text import visible
    from cocdesk.service.restore import BackupInfo, restore

    folder, source = _folder(args), Path(args.path)

    def credentials(names: list[str]) -> tuple[str, str]:
        return _member(names), _passphrase()

    def confirm(info: BackupInfo) -> bool:
        if not info.replaces:
            return True  # nothing to lose: a fresh folder just gets the backup
        # Said every time, --yes or not: a script's log then shows what a restore undid.
        if info.lacks:
            print(f"the backup lacks, against the vault in {folder}:", file=out)
            for line in info.lacks:
                print(f"  {visible(line, keep='')}", file=out)
        else:
            print(f"the backup lacks nothing the vault in {folder} holds", file=out)
        out.flush()
        return _agreed(
            f"Replace the vault in {folder} with this backup of {visible(info.event, keep='')} "
            f"({info.cases} case(s), last entry {info.last_entry_at})? Changes made since are lost.",
            args.yes,
            "nothing was restored",
        )

    done = restore(folder, source, credentials, confirm)
    if done is None:
        print("nothing was restored", file=out)
        return exit_codes.OK
    event = visible(done.info.event, keep="")
    print(f"restored {event} ({done.info.cases} case(s)) into {folder}; verify passed", file=out)
    if done.expired:
        # A backup can hold cases purged since it was written: the retention list says so.
        ids = ", ".join(done.expired)
        print(
            f"note: {cases_phrase(len(done.expired))} past retention ({ids}); `cocdesk purge` purges them",
            file=out,
        )
    return exit_codes.OK


def cmd_bundle_import(args: argparse.Namespace, out: TextIO) -> int:
    from cocdesk.domain.text import visible
    from cocdesk.exchange.files import read_file
    from cocdesk.service.handoff import HandoffService

    blob = read_file(Path(args.file), "bundle")
    with _unlocked(args) as (desk, session):
        handoff = HandoffService(session)
        received = handoff.open_(blob)
        sender = visible(received.sender, keep="")
        before = "exchanged with before" if received.known else "never exchanged with before"
        print(f"bundle from {sender}, key {received.fingerprint} ({before})", file=out, flush=True)
        # Anyone with your public key can seal a bundle to you: the sender's key is
        # checked by a person (or pinned with --from) before anything is written.
        if args.sender is not None:
            if args.sender.strip().lower() != received.fingerprint:
                raise IntegrityFailure(
                    f"the bundle was sealed by key {received.fingerprint}, not {args.sender.strip()[:40]}"
                )
        elif not sys.stdin.isatty():
            raise UsageProblem(
                f"nothing was taken in: check the sender's key and add --from {received.fingerprint}"
            )
        else:
            asked = f"Take in {len(received.bundle.cases)} case(s) from this key? [y/N] "
            if input(asked).strip().lower() not in ("y", "yes"):
                print("nothing was taken in", file=out)
                return exit_codes.OK
        done = handoff.take_in(received)
    for here, theirs in done.added:
        print(f"added    {here}  (their {visible(theirs, keep='')})", file=out)
    for here, theirs in done.updated:
        print(f"updated  {here}  (their {visible(theirs, keep='')})", file=out)
    for here, field in done.conflicts:
        print(f"conflict {here}  {field}: both versions kept, see the case's timeline", file=out)
    for theirs, why in done.refused:
        print(f"not taken in: their {visible(theirs, keep='')}: {why}", file=out)
    for here, name in done.stepped_out_there:
        # Their record only: a name there is not a member here (`cocdesk conflict` declares one).
        print(
            f"noted    {here}  {visible(name, keep='')} stepped out there (their record, not applied here)",
            file=out,
        )
    if done.unchanged:
        print(f"{len(done.unchanged)} case(s) already up to date", file=out)
    return exit_codes.OK


def cmd_banlist_export(args: argparse.Namespace, out: TextIO) -> int:
    from cocdesk.service.banlist import BanlistService

    recipient = _recipient(args.to)
    with _unlocked(args) as (desk, session):
        target = _new_file(args.out, "banlist", session.now())
        done = BanlistService(session).export(recipient, target)
    print(f"wrote {done.people} identifier(s) from {done.cases} case(s) with a ban to {target}", file=out)
    if done.left_out:
        print(f"left out {done.left_out} case(s) with a ban you stepped out of", file=out)
    return exit_codes.OK


def cmd_banlist_check(args: argparse.Namespace, out: TextIO) -> int:
    from cocdesk.domain.text import visible
    from cocdesk.exchange.files import read_file
    from cocdesk.service.banlist import BanlistService

    blob = read_file(Path(args.file), "ban list")
    with _unlocked(args) as (desk, session):
        answer = BanlistService(session).check(blob, args.name)
    event = visible(answer.event, keep="")
    if answer.listed:
        print(f"yes: on the ban list of {event} (ask that team for its terms)", file=out)
    else:
        print(f"no: not on the ban list of {event}", file=out)
    print(f"the list was sealed by key {answer.sealed_by}: check it is that team's", file=out)
    return exit_codes.OK


def visible_lines(text: str) -> str:
    from cocdesk.domain.text import visible

    return "".join(visible(line, keep="") + "\n" for line in text.splitlines())


HANDOFF_COMMANDS: dict[tuple[str, str], Callable[[argparse.Namespace, TextIO], int]] = {
    ("bundle", "export"): cmd_bundle_export,
    ("bundle", "import"): cmd_bundle_import,
    ("banlist", "export"): cmd_banlist_export,
    ("banlist", "check"): cmd_banlist_check,
}


# Textual settings (textual 8.2.8, textual/constants.py) that write what the app shows or
# what is typed somewhere outside the vault, in the clear: refused while set, whatever
# the value (Textual's own "off" values are one edit away from on).
RECORDING_SETTINGS = {
    "TEXTUAL_SCREENSHOT": "Textual would write the screen, case text included, to an SVG file",
    "TEXTUAL_SCREENSHOT_LOCATION": "it names where Textual writes the screen, case text included",
    "TEXTUAL_SCREENSHOT_FILENAME": "it names the file Textual writes the screen, case text included, to",
    "TEXTUAL_LOG": "Textual would write every message, typed text included, to a log file",
    "TEXTUAL_DEBUG": "Textual would write every key pressed, passphrases included, to keys.log",
    "TEXTUAL_DRIVER": "it hands the screen and every key to a driver the environment names",
}
# Features of the TEXTUAL variable that do the same (Textual strips and lowercases each).
RECORDING_FEATURES = {
    "debug": "Textual would print every error report in full, not the one calm line",
    "devtools": "Textual would send every message, typed text included, to devtools",
}


def _need_terminal() -> None:
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageProblem("the app needs a terminal; for scripts see `cocdesk --help`")
    # Checked before the app (and Textual's constants) is imported: case data must not
    # leave the vault in the clear through a setting nobody here chose.
    for name, why in RECORDING_SETTINGS.items():
        if name in os.environ:
            raise UsageProblem(f"refusing to run with {name} set: {why}; unset it")
    features = {f.strip().lower() for f in os.environ.get("TEXTUAL", "").split(",")}
    for feature, why in RECORDING_FEATURES.items():
        if feature in features:
            raise UsageProblem(f"refusing to run with TEXTUAL={feature}: {why}; unset it")


def cmd_app(args: argparse.Namespace, out: TextIO) -> int:
    return _run_app(args.data_dir)


def _run_app(data_dir: str | None) -> int:
    _need_terminal()
    from cocdesk.paths import data_dir as folder
    from cocdesk.tui.app import make_app

    app = make_app(folder(data_dir))
    app.run()
    return app.return_code or exit_codes.OK


def cmd_demo(args: argparse.Namespace, out: TextIO) -> int:
    """A throwaway vault of fictional cases, removed when the app closes."""
    _need_terminal()
    import shutil
    import tempfile

    from cocdesk import demo
    from cocdesk.tui.app import make_app

    folder = Path(tempfile.mkdtemp(prefix="cocdesk-demo-"))
    # This laptop's record of the throwaway vault goes with it (service/seen.py).
    os.environ["COCDESK_STATE"] = str(folder / "laptop-state")
    try:
        print("Preparing the demo vault (fictional cases)…", file=out, flush=True)
        demo.build(folder, params=demo.DEMO_KDF, cases=args.cases).close()
        app = make_app(folder, demo_passphrase=demo.PASSPHRASE, kdf_floor=demo.DEMO_KDF)
        app.run()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return app.return_code or exit_codes.OK


COMMANDS: dict[str, Callable[[argparse.Namespace, TextIO], int]] = {
    "init": cmd_init,
    "add": cmd_add,
    "list": cmd_list,
    "export": cmd_export,
    "report": cmd_report,
    "verify": cmd_verify,
    "backup": cmd_backup,
    "restore": cmd_restore,
    "purge": cmd_purge,
    "demo": cmd_demo,
    "conflict": cmd_conflict,
}


def _no_core_dumps() -> None:
    # A core dump would hold decrypted case data and keys (SECURITY.md, KeePassXC).
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ImportError, ValueError, OSError):
        pass


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run one command; every failure becomes one line on stderr and an exit code."""
    out = out or sys.stdout
    err = err or sys.stderr
    _no_core_dumps()
    try:
        words = list(sys.argv[1:] if argv is None else argv)
        app_folder = _app_only(words)
        if app_folder is not None:
            return _run_app(app_folder or None)
        args = build_parser().parse_args(words)
        if args.command is None:
            return cmd_app(args, out)
        if args.command == "member":
            return MEMBER_COMMANDS[args.member_command](args, out)
        if args.command in ("bundle", "banlist"):
            return HANDOFF_COMMANDS[(args.command, getattr(args, f"{args.command}_command"))](args, out)
        return COMMANDS[args.command](args, out)
    except CocdeskError as exc:
        _say(err, str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        _say(err, "interrupted; nothing was saved half-way")
        return 130
    except Exception as exc:  # noqa: BLE001 - last line of defence: no traceback, no values
        if _damaged_file(exc):
            # Not SQLite's own text: on a damaged file it can quote stored bytes.
            _say(err, f"the vault file is damaged or unreadable ({type(exc).__name__})")
            return exit_codes.INTEGRITY
        if isinstance(exc, OSError):
            _say(err, f"{exc.strerror or 'input/output error'}: {exc.filename or ''}".rstrip(": "))
            return exit_codes.ERROR
        _say(err, f"internal error ({type(exc).__name__}); nothing was saved half-way")
        return exit_codes.ERROR


def _damaged_file(exc: Exception) -> bool:
    # sqlite3 is loaded only by the commands that open a vault, not before the app's
    # first frame; an error from SQLite means it was.
    sqlite3 = sys.modules.get("sqlite3")
    return isinstance(exc, UnicodeDecodeError) or (
        sqlite3 is not None and isinstance(exc, sqlite3.DatabaseError)
    )


def _app_only(words: list[str]) -> str | None:
    """The --data-dir value ("" for none) when the words only open the app: `cocdesk`,
    `cocdesk --data-dir DIR` or `--data-dir=DIR`. These skip importing argparse and
    building every command's grammar, milliseconds the unlock screen's first paint
    would wait for. Anything else, a mistake included, is None: argparse reads it and
    says what is wrong."""
    if not words:
        return ""
    if len(words) == 2 and words[0] == "--data-dir" and words[1] and not words[1].startswith("-"):
        return words[1]
    if len(words) == 1 and words[0].startswith("--data-dir="):
        return words[0].removeprefix("--data-dir=") or None
    return None


def _say(err: TextIO, message: str, limit: int = 400) -> None:
    """Exactly one printable line on stderr, whatever the message holds."""
    from cocdesk.domain.text import visible

    line = visible(" ".join(message.splitlines()), keep="")
    print(f"cocdesk: {line[:limit]}{'…' if len(line) > limit else ''}", file=err)


if __name__ == "__main__":
    raise SystemExit(main())
