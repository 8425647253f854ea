"""The command line's grammar: every command, its arguments and their help.

Loaded only when a command is given: a plain `cocdesk`, which opens the app, does
not pay for building it (cocdesk.cli._app_only).
"""

from __future__ import annotations

import argparse
from typing import Any, NoReturn

from cocdesk import __version__
from cocdesk.errors import UsageProblem


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line and exit code 2."""

    def error(self, message: str) -> NoReturn:
        raise UsageProblem(f"{message} (see `{self.prog} --help`)")


def build_parser() -> argparse.ArgumentParser:
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
    madd = member_sub.add_parser("add", help="add a team member")
    madd.add_argument("name")
    madd.add_argument("--role", required=True, help="responder, lead or chair")
    mdel = member_sub.add_parser("delegate", help="(chair) name a member who may make announcements")
    mdel.add_argument("name")
    member_sub.add_parser("list", help="the team: names, roles, cases held")
    mrem = member_sub.add_parser("remove", help="(lead or chair) take a member off the team")
    mrem.add_argument("name")
    member_sub.add_parser("passphrase", help="change your own passphrase (COCDESK_NEW_PASSPHRASE or asked)")
    mre = member_sub.add_parser("reenrol", help="(lead) a new key for a member who forgot their passphrase")
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
    _handoff_parsers(sub, member_sub)

    restore = sub.add_parser("restore", help="replace the vault with a backup, verified first")
    restore.add_argument("path", metavar="PATH")
    restore.add_argument("--yes", action="store_true", help="do not ask before replacing the vault")

    purge = sub.add_parser("purge", help="(lead or chair) crypto-shred closed cases past retention")
    purge.add_argument("case", metavar="CASE", nargs="?", help="purge this one case instead")
    purge.add_argument("--list", action="store_true", help="only list the cases past retention")
    purge.add_argument("--yes", action="store_true", help="do not ask before purging")
    return p


def _handoff_parsers(sub: Any, member_sub: Any) -> None:
    """Bundles and ban lists: files sealed to one person's public key."""
    mkey = member_sub.add_parser(
        "pubkey", help="print a member's public key (yours by default), to seal bundles to"
    )
    mkey.add_argument("name", nargs="?")
    bundle = sub.add_parser("bundle", help="cases sealed to one recipient: another laptop or the committee")
    bundle_sub = bundle.add_subparsers(dest="bundle_command", metavar="ACTION", parser_class=_Parser)
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
    ban_sub = ban.add_subparsers(dest="banlist_command", metavar="ACTION", parser_class=_Parser)
    ban_sub.required = True
    lexp = ban_sub.add_parser("export", help="(lead or chair) write the ban list, sealed to a public key")
    lexp.add_argument("--to", required=True, metavar="PUBLIC_KEY_FILE", help="from `cocdesk member pubkey`")
    lexp.add_argument("--out", metavar="PATH", help="the list file (default: a new file here)")
    lchk = ban_sub.add_parser(
        "check", help="is NAME (or a badge, an e-mail address) on a ban list sealed to you?"
    )
    lchk.add_argument("name", metavar="NAME")
    lchk.add_argument("--file", required=True, metavar="FILE", help="the ban list file")
