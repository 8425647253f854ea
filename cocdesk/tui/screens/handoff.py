"""Handing cases on: public keys, sealed bundles in and out, and next year's ban list.

Every file made here is sealed to one person's public key (theirs from
`cocdesk member pubkey` or the k key on this screen), so a lost stick leaks
nothing. The screen asks for paths and shows what happened; the handoff and
ban-list services do the work.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from cocdesk.errors import CocdeskError
from cocdesk.service.banlist import BanlistService
from cocdesk.service.handoff import HandoffService, Imported
from cocdesk.tui.literal import literal
from cocdesk.tui.screens.modals import ConfirmModal, FormModal

HELP = """\
Cases leave this laptop only sealed to one person's public key, or in a backup
sealed as the vault is (v).

k writes your public key to a file: hand it to whoever will send you cases.
b writes a bundle of the cases you hold (or the ones you name), sealed to the
public key in a file you choose. i takes in a bundle sealed to you: first it says
whose key sealed it (check the fingerprint with the sender); then new cases are
added, ones already here are updated, and where both sides changed the same
thing, both versions are kept and shown on the case. Importing twice, or an
older bundle from the same key, changes nothing. Names, notes and steps in a
bundle are its sender's word: shown with the key that brought them, and nobody
here is stepped out of a case by one. w (a lead or the chair) writes next year's ban list: only keyed tags
of people under a ban, sealed to next year's holder. c checks a name against a
ban list sealed to you: yes or no, nothing more.
"""

EXPLAIN = (
    "v  a backup of the whole vault, sealed as it is (VACUUM INTO)\n"
    "k  your public key, to a file for whoever will send you cases\n"
    "b  a bundle out: the cases you hold, sealed to someone's public key\n"
    "i  a bundle in: merge one sealed to you (twice changes nothing)\n"
    "w  next year's ban list, sealed to its holder (a lead or the chair)\n"
    "c  check a name against a ban list sealed to you"
)


class HandoffScreen(Screen[None]):
    HELP = HELP
    PALETTE_AREA = "handoff"
    BINDINGS = [
        # Not in the footer (full at 80 columns): listed on the screen, in help and the palette.
        Binding("v", "backup", "Backup", show=False, tooltip="A sealed copy of the whole vault"),
        Binding("k", "public_key", "My key", tooltip="Write your public key to a file"),
        Binding("b", "bundle_out", "Bundle out", tooltip="Seal cases to someone's public key"),
        Binding("i", "bundle_in", "Bundle in", tooltip="Merge a bundle sealed to you"),
        Binding("w", "banlist_out", "Ban list", tooltip="Write next year's ban list (lead or chair)"),
        Binding("c", "banlist_check", "Check name", tooltip="Check a name against a ban list"),
        Binding("escape", "back", "Back", tooltip="Back to the queue"),
    ]

    def __init__(
        self,
        handoff: HandoffService,
        banlist: BanlistService,
        home: Path,
        backup: Callable[[Path], None],
    ) -> None:
        super().__init__()
        self.handoff = handoff
        self.banlist = banlist
        self.home = home  # where suggested file names point
        self.backup = backup  # writes a sealed copy of the vault (service/copies.py)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Content("Handing cases on"), classes="title")
        with VerticalScroll(id="handoff-body"):
            yield Static(Content(EXPLAIN), id="handoff-keys")
            yield Static(self._key_line(), id="handoff-fingerprint")
            yield Static("", id="handoff-result")
        yield Footer()

    def _key_line(self) -> Content:
        # Read out over the phone, it proves a key file came from you.
        return Content(f"Your public key's fingerprint: {self.handoff.fingerprint()}")

    def on_mount(self) -> None:
        self.query_one("#handoff-result").display = False  # until there is something to say

    def say(self, text: str) -> None:
        box = self.query_one("#handoff-result", Static)
        box.update(literal(text))
        box.display = True

    def _suggest(self, name: str) -> str:
        return str(self.home / name)

    def _run(self, title: str, work: Callable[[], str]) -> None:
        """Run one service call, showing its error as a line rather than raising."""
        try:
            said = work()
        except CocdeskError as exc:
            self.say(f"{title}: {exc}")
            self.app.notify(str(exc), title=title, severity="error")
            return
        except Exception as exc:  # noqa: BLE001 - a file from outside must not end the app
            # No message text: it could quote what the file held.
            self.say(f"{title}: could not be done ({type(exc).__name__}); nothing was written")
            self.app.notify(f"could not be done ({type(exc).__name__})", title=title, severity="error")
            return
        if said:
            self.say(said)
            self.app.notify(said.splitlines()[0], title=title)

    # -- actions -------------------------------------------------------------------------
    def action_backup(self) -> None:
        def chosen(values: list[str] | None) -> None:
            if values:
                target = _path(values[0])

                def write() -> str:
                    self.backup(target)
                    return (
                        f"Wrote a sealed backup to {target}. It opens only with a member's "
                        "passphrase; delete it with the retention days, as the cases go."
                    )

                self._run("Backup", write)

        self.app.push_screen(
            FormModal(
                "A sealed backup of the whole vault",
                [("File (a new one)", False)],
                initial=[self._suggest("cocdesk-backup.db")],
            ),
            chosen,
        )

    def action_public_key(self) -> None:
        me = self.handoff.session.member_name

        def chosen(values: list[str] | None) -> None:
            if values:
                target = _path(values[0])

                def write() -> str:
                    from cocdesk.exchange.files import write_new

                    write_new(target, self.handoff.public_key_text().encode("utf-8"))
                    return f"Wrote your public key to {target}. It is public: send it any way you like."

                self._run("Public key", write)

        name = "".join(ch for ch in me if ch.isalnum()) or "member"
        self.app.push_screen(
            FormModal("Write your public key to", [("File", False)], initial=[self._suggest(f"{name}.pub")]),
            chosen,
        )

    def action_bundle_out(self) -> None:
        def chosen(values: list[str] | None) -> None:
            if not values:
                return
            key_file, target, named = _path(values[0]), _path(values[1]), values[2].split()

            def export() -> str:
                from cocdesk.exchange.bundle import read_public_key

                key = read_public_key(key_file)
                done = self.handoff.export(key, target, [c.upper() for c in named] or None)
                lines = [f"Wrote {len(done.case_ids)} case(s) to {target}, sealed to key {done.fingerprint}."]
                if done.left_out:
                    lines.append(f"Left out {done.left_out} case(s) you do not hold (stepped out).")
                return "\n".join(lines)

            self._run("Bundle out", export)

        self.app.push_screen(
            FormModal(
                "A bundle out: sealed to one public key",
                [
                    ("Their public key file", False),
                    ("Write the bundle to", False),
                    ("Cases (blank: all you hold)", False),
                ],
                initial=["", self._suggest("cocdesk-bundle.sealed"), ""],
            ),
            chosen,
        )

    def action_bundle_in(self) -> None:
        def chosen(values: list[str] | None) -> None:
            if not values:
                return
            source = _path(values[0])

            def opened() -> str:
                from cocdesk.exchange.files import read_file

                received = self.handoff.open_(read_file(source, "bundle"))
                before = "exchanged with before" if received.known else "NEVER exchanged with before"
                said = f"Bundle from {received.sender}, key {received.fingerprint} ({before})."

                def answered(yes: bool | None) -> None:
                    if yes:
                        self._run("Bundle in", lambda: _imported(self.handoff.take_in(received)))
                    else:
                        self.say(f"{said}\nNothing was taken in.")

                # Anyone with your public key can seal a bundle to you: a person checks
                # the sender's key before anything is written.
                self.app.push_screen(
                    ConfirmModal(
                        f"{said}\n\nIs this the key you expected (compare the fingerprint with the "
                        f"sender's)? Take in {len(received.bundle.cases)} case(s)?"
                    ),
                    answered,
                )
                self.say(said)
                return ""  # nothing to announce yet: the dialog asks first

            self._run("Bundle in", opened)

        self.app.push_screen(FormModal("A bundle in: sealed to you", [("Bundle file", False)]), chosen)

    def action_banlist_out(self) -> None:
        def chosen(values: list[str] | None) -> None:
            if not values:
                return
            key_file, target = _path(values[0]), _path(values[1])

            def export() -> str:
                from cocdesk.exchange.bundle import read_public_key

                key = read_public_key(key_file)
                done = self.banlist.export(key, target)
                lines = [
                    f"Wrote {done.people} identifier(s) from {done.cases} case(s) with a ban to {target}."
                ]
                if done.left_out:
                    lines.append(f"Left out {done.left_out} case(s) with a ban you stepped out of.")
                return "\n".join(lines)

            self._run("Ban list", export)

        self.app.push_screen(
            FormModal(
                "Next year's ban list: keyed tags only",
                [("Next holder's public key file", False), ("Write the list to", False)],
                initial=["", self._suggest("cocdesk-banlist.sealed")],
            ),
            chosen,
        )

    def action_banlist_check(self) -> None:
        def chosen(values: list[str] | None) -> None:
            if not values:
                return
            source, name = _path(values[0]), values[1]

            def check() -> str:
                from cocdesk.exchange.files import read_file

                answer = self.banlist.check(read_file(source, "ban list"), name)
                said = (
                    f"Yes: on the ban list of {answer.event}. Ask that team for its terms."
                    if answer.listed
                    else f"No: not on the ban list of {answer.event}."
                )
                return f"{said}\nThe list was sealed by key {answer.sealed_by}: check it is that team's."

            self._run("Ban list", check)

        self.app.push_screen(
            FormModal(
                "Check a name against a ban list",
                [("Ban list file", False), ("Name, badge or e-mail", False)],
            ),
            chosen,
        )

    def action_back(self) -> None:
        self.dismiss()


def _path(text: str) -> Path:
    return Path(text.strip()).expanduser()


def _imported(done: Imported) -> str:
    lines = [f"Bundle from {done.sender} ({done.event}), key {done.fingerprint}."]
    lines += [f"Added {here} (their {theirs})." for here, theirs in done.added]
    lines += [f"Updated {here} (their {theirs})." for here, theirs in done.updated]
    lines += [f"{here}: both versions of {field} kept (see the case)." for here, field in done.conflicts]
    lines += [f"Not taken in: their {theirs}: {why}." for theirs, why in done.refused]
    lines += [
        f"{here}: the sender's record says {name} stepped out there (not applied here)."
        for here, name in done.stepped_out_there
    ]
    if done.unchanged:
        lines.append(f"{len(done.unchanged)} case(s) already up to date.")
    return "\n".join(lines)
