"""The cocdesk app: unlock, then the queue; every screen change and lock goes through here.

Storage and crypto (sqlite-utils, PyNaCl) are imported in workers, after the
first frame: the unlock screen does not wait for them.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events, on, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.screen import Screen

from cocdesk.domain.roles import Role
from cocdesk.errors import CocdeskError, WrongPassphrase
from cocdesk.tui import stylesheet
from cocdesk.tui.commands import CocdeskCommands
from cocdesk.tui.literal import shown
from cocdesk.tui.screens.unlock import UnlockScreen

# Only the unlock screen is imported with the app: the others load after the first
# frame (warm_up), and each method imports the screens it uses.
if TYPE_CHECKING:
    from cocdesk.service import CaseService, Desk, Session
    from cocdesk.service.access import AccessService
    from cocdesk.service.drafts import DraftService
    from cocdesk.service.steps import StepService
    from cocdesk.tui.screens.case import CaseScreen
    from cocdesk.tui.screens.first_contact import FirstContactScreen
    from cocdesk.tui.screens.intake import IntakeScreen
    from cocdesk.tui.screens.meeting import MeetingScreen
    from cocdesk.tui.screens.queue import QueueScreen
    from cocdesk.tui.screens.setup import SetupScreen
    from cocdesk.tui.screens.step_form import StepForm
    from cocdesk.tui.screens.team import TeamScreen
    from cocdesk.tui.screens.transparency import TransparencyScreen
    from cocdesk.vault.kdf import KdfParams

IDLE_CHECK_SECONDS = 5.0


def _utc_now() -> datetime:
    # Not cocdesk.service.clock: importing the service package loads storage and crypto.
    return datetime.now(UTC)


class CocdeskApp(App[None]):
    # No CSS_PATH: the one stylesheet is read in two parts (tui/stylesheet.py).
    TITLE = "cocdesk"
    # Selecting text would copy it out through the terminal (OSC 52): no case data leaves that way.
    ALLOW_SELECT = False
    COMMANDS = App.COMMANDS | {CocdeskCommands}
    BINDINGS = [
        # Priority: a dialog (help, the palette, a question) must not stop it.
        Binding(
            "ctrl+l", "lock", "Lock", tooltip="Lock now: hide everything, forget the keys", priority=True
        ),
        Binding("question_mark", "help", "Help", key_display="?", tooltip="What this screen is for"),
    ]

    # -- messages from the workers ---------------------------------------------------
    class VaultOpened(Message):
        def __init__(self, desk: Desk | None, error: str | None = None) -> None:
            super().__init__()
            self.desk = desk
            self.error = error

    class Unlocked(Message):
        def __init__(self, session: Session | None, error: str | None = None) -> None:
            super().__init__()
            self.session = session
            self.error = error

    def __init__(
        self,
        folder: Path,
        *,
        clock: Callable[[], datetime] = _utc_now,
        idle_clock: Callable[[], float] = time.monotonic,
        demo_passphrase: str | None = None,
        kdf_floor: KdfParams | None = None,
    ) -> None:
        super().__init__()
        self.folder = folder
        self.clock = clock
        self.idle_clock = idle_clock
        self.demo_passphrase = demo_passphrase
        # Only `cocdesk demo` lowers it, for the throwaway vault it has just built.
        self.kdf_floor = kdf_floor
        self.desk: Desk | None = None
        self.session: Session | None = None
        self.cases: CaseService | None = None
        self.drafts: DraftService | None = None
        self.steps: StepService | None = None
        self.step_drafts: DraftService | None = None
        self.access: AccessService | None = None
        self.last_input = idle_clock()
        first_frame_css, self.later_css = stylesheet.read()
        self.stylesheet.add_source(first_frame_css, read_from=(str(stylesheet.PATH), ""))

    # -- start-up --------------------------------------------------------------------
    def get_default_screen(self) -> Screen[Any]:
        # The unlock screen is the bottom of the stack: the queue replaces it on unlock
        # and a new one replaces everything on lock, so no screen ever lies behind it
        # (and there is one screen fewer to build before the first frame).
        screen = UnlockScreen(self.demo_passphrase)
        # switch_screen pops the result slot that push_screen gives a screen; Textual
        # gives none to the default screen (textual#2650), so it gets one here.
        screen._push_result_callback(screen, None)
        return screen

    def on_mount(self) -> None:
        # After the first frame: the rest of the stylesheet, then the worker that imports
        # storage and crypto (a thread importing modules holds the interpreter the first
        # paint needs).
        self.call_after_refresh(self.load_later_css)
        self.call_after_refresh(self.open_vault)
        self.set_interval(IDLE_CHECK_SECONDS, self.lock_if_idle)

    def load_later_css(self) -> None:
        """The stylesheet's rules for every screen but the unlock screen."""
        if self.later_css:
            self.stylesheet.add_source(
                self.later_css, read_from=(str(stylesheet.PATH), "after the first frame")
            )
            self.later_css = ""
            self.stylesheet.parse()
            self.stylesheet.update(self)

    # Explicit descriptions: by default a worker is described by repr(args), which
    # would put a passphrase into Textual's log and devtools.
    @work(thread=True, exclusive=True, group="vault", exit_on_error=False, description="open vault")
    def open_vault(self) -> None:
        from cocdesk.service import Desk

        try:
            if not Desk.exists(self.folder):
                self.post_message(self.VaultOpened(None))
                return
            desk = Desk.open(self.folder, clock=self.clock)
            desk.kdf_floor = self.kdf_floor
            self.post_message(self.VaultOpened(desk))
        except Exception as exc:  # noqa: BLE001 - shown, never left spinning
            self.post_message(self.VaultOpened(None, _reason(exc)))

    @on(VaultOpened)
    async def vault_opened(self, message: VaultOpened) -> None:
        from cocdesk.tui.screens.setup import SetupScreen

        if message.error:
            self.screen_named(UnlockScreen).show_error(f"Cannot open the vault: {message.error}")
            return
        if message.desk is None:
            self.switch_screen(SetupScreen())
            return
        self.desk = message.desk
        self.sub_title = message.desk.event_name
        await self.show_unlock_details()
        self.call_after_refresh(warm_up)

    async def show_unlock_details(self) -> None:
        screen = self.screen_named(UnlockScreen)
        if self.desk is not None and screen is not None:
            await screen.show_vault(self.desk.event_name, self.desk.member_names(), self.desk.last_member())

    def screen_named(self, kind: type[Any]) -> Any:
        return next((s for s in reversed(self.screen_stack) if isinstance(s, kind)), None)

    # -- unlocking and first run -------------------------------------------------------
    @on(UnlockScreen.Submitted)
    def unlock_submitted(self, message: UnlockScreen.Submitted) -> None:
        if self.desk is None:
            return
        self.unlock(self.desk, message.member, message.passphrase)

    @work(thread=True, exclusive=True, group="vault", exit_on_error=False, description="unlock")
    def unlock(self, desk: Desk, member: str, passphrase: str) -> None:
        try:
            self.post_message(self.Unlocked(desk.unlock(member, passphrase)))
        except WrongPassphrase:
            self.post_message(self.Unlocked(None, "Wrong passphrase. Try again."))
        except Exception as exc:  # noqa: BLE001 - shown, never left spinning
            self.post_message(self.Unlocked(None, _reason(exc)))

    def setup_submitted(self, message: SetupScreen.Submitted) -> None:
        self.create_vault(message.event, message.member, message.passphrase)

    @work(thread=True, exclusive=True, group="vault", exit_on_error=False, description="create vault")
    def create_vault(self, event: str, member: str, passphrase: str) -> None:
        from cocdesk.service import Desk

        try:
            desk = Desk.create(self.folder, event, member, passphrase, role=Role.LEAD, clock=self.clock)
            session = desk.unlock(member, passphrase)
        except Exception as exc:  # noqa: BLE001 - shown on the form, never left spinning
            self.call_from_thread(self.setup_failed, _reason(exc))
            return
        # Handled in order on the event loop: the desk is set there, not from this thread.
        self.post_message(self.VaultOpened(desk))
        self.post_message(self.Unlocked(session))

    def setup_failed(self, error: str) -> None:
        from cocdesk.tui.screens.setup import SetupScreen

        screen = self.screen_named(SetupScreen)
        if screen is not None:
            screen.show_error(f"Not created: {error}")

    @on(Unlocked)
    def unlocked(self, message: Unlocked) -> None:
        from cocdesk.tui.screens.queue import QueueScreen

        if message.session is None:
            screen = self.screen_named(UnlockScreen)
            if screen is not None:
                screen.show_error(str(message.error))
            return
        from cocdesk.service import CaseService
        from cocdesk.service.access import AccessService
        from cocdesk.service.drafts import DraftService
        from cocdesk.service.steps import StepService

        assert self.desk is not None
        self.session = message.session
        self.cases = CaseService(message.session)
        self.steps = StepService(message.session)
        self.step_drafts = DraftService(message.session, "step")
        self.drafts = DraftService(message.session)
        with contextlib.suppress(CocdeskError):  # only a convenience: never block an unlock
            self.desk.remember_member(message.session)
        self.sub_title = (
            f"{self.desk.event_name} · {message.session.member_name} ({message.session.role.value})"
        )
        self.last_input = self.idle_clock()
        self.access = AccessService(message.session)
        from cocdesk.domain.roles import may_purge
        from cocdesk.service.retention import RetentionService

        # Help opened while the key was derived sits on the unlock screen: the queue
        # replaces the unlock screen itself, so it never stays behind.
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.switch_screen(
            QueueScreen(
                self.cases,
                self.desk.playbook,
                self.clock,
                self.access.recused_from,
                RetentionService(message.session).expired,
                may_purge(message.session.role) is None,
            )
        )
        try:
            draft = self.drafts.load()
        except CocdeskError as exc:
            # A draft that fails its check cannot be shown; say so rather than refuse to start.
            self.notify(f"Your saved draft could not be opened and was set aside: {exc}", severity="error")
            with contextlib.suppress(CocdeskError):
                self.drafts.discard()
            draft = None
        self.resume_step_draft()
        if draft:
            self.resume_draft(draft)

    def resume_step_draft(self) -> None:
        """Reopen a meeting, decision or follow-up form where the member left it."""
        from cocdesk.tui.screens.case import CaseScreen

        assert self.step_drafts and self.cases and self.steps
        try:
            draft = self.step_drafts.load()
            if not draft:
                return
            case_id, what = str(draft.get("case_id")), str(draft.get("what"))
            if what not in ("meeting", "decision", "followup"):
                raise CocdeskError("it is for no form cocdesk knows")
            view = self.cases.open_case(case_id)
            patterns = self.steps.patterns(case_id, view.report)
        except CocdeskError as exc:
            # The case may be gone or no longer this member's (a conflict declared).
            self.notify(f"Your unsaved form could not be reopened and was set aside: {exc}", severity="error")
            with contextlib.suppress(CocdeskError):
                self.step_drafts.discard()
            return
        assert self.desk is not None and self.access is not None
        self.access.record_opened(case_id)  # the draft reopens the case on screen: a read like any
        self.push_screen(CaseScreen(view, self.desk.playbook, patterns, self.access.access(case_id)))
        self.open_step(what, case_id, draft=draft.get("state"))
        self.notify(
            "Your unsaved changes were kept as a sealed draft; here they are.", title="Draft restored"
        )

    def resume_draft(self, draft: dict[str, Any]) -> None:
        from cocdesk.service.cases import Tick
        from cocdesk.tui.screens.intake import IntakeScreen

        assert self.cases and self.drafts and self.desk and self.session
        ticks = tuple(Tick(str(item), str(at)) for item, at in draft.get("ticks", []))
        editing = None
        case_id = draft.get("case_id")
        if isinstance(case_id, str):
            try:
                editing = (case_id, self.cases.open_case(case_id).report)
            except CocdeskError as exc:
                # An edit of a case this member can no longer open (stepped out,
                # purged) must not come back as a new report carrying its text.
                with contextlib.suppress(CocdeskError):
                    self.drafts.discard()
                self.notify(f"Your unsaved edit of {case_id} was set aside: {exc}", severity="error")
                return
        self.push_screen(
            IntakeScreen(
                self.cases,
                self.drafts,
                self.desk.playbook,
                self.session.member_name,
                ticks=ticks,
                editing=editing,
                draft=draft,
            )
        )
        self.notify("Your unsaved report was kept as a sealed draft; here it is.", title="Draft restored")

    # -- the team ----------------------------------------------------------------------
    class TeamDone(Message):
        def __init__(self, said: str | None, error: str | None = None) -> None:
            super().__init__()
            self.said = said
            self.error = error

    def open_team(self) -> None:
        from cocdesk.service import TeamService
        from cocdesk.tui.screens.team import TeamScreen

        assert self.session
        try:
            self.push_screen(TeamScreen(TeamService(self.session).members()))
        except CocdeskError as exc:
            self.notify(str(exc), title="Cannot show the team", severity="error")

    def open_handoff(self) -> None:
        from cocdesk.service.banlist import BanlistService
        from cocdesk.service.copies import backup
        from cocdesk.service.handoff import HandoffService
        from cocdesk.tui.screens.handoff import HandoffScreen

        assert self.session and self.desk
        try:
            self.push_screen(
                HandoffScreen(
                    HandoffService(self.session),
                    BanlistService(self.session),
                    Path.home(),
                    partial(backup, self.desk, self.session),
                )
            )
        except CocdeskError as exc:
            self.notify(str(exc), title="Cannot hand cases on", severity="error")

    def team_request(self, message: TeamScreen.Request) -> None:
        from cocdesk.domain.passphrase import problem
        from cocdesk.service import TeamService
        from cocdesk.tui.screens.modals import ConfirmModal, FormModal

        assert self.session and self.steps
        name, what = message.name, message.what
        # Said before the form is filled in: the answer could not be used. The same rules
        # (domain/roles.py) are judged again by the service when the change is made.
        reason = TeamService(self.session).refusal(what, name)
        if reason:
            self.notify(reason, title="Not allowed", severity="warning")
            return

        def passphrase_pair(values: list[str], first: int) -> str | None:
            if values[first] != values[first + 1]:
                return "the two passphrases differ"
            return problem(values[first])

        if what == "add":

            def added(values: list[str] | None) -> None:
                if values is None:
                    return
                wrong = passphrase_pair(values, 1) or (
                    None if values[0].strip() else "give the member's name"
                )
                if wrong:
                    self.notify(wrong, title="Not added", severity="warning")
                    return
                self.team_job("add_member", values[0], Role(values[3]), values[1])

            fields = [
                ("Name", False),
                ("Their passphrase (at least 8 characters)", True),
                ("Same again", True),
            ]
            roles = [r.value for r in Role]
            self.push_screen(
                FormModal("Add a team member: they type their own passphrase", fields, roles), added
            )
        elif what == "remove":

            def removed(yes: bool | None) -> None:
                if yes:
                    self.team_job("remove_member", name)

            self.push_screen(
                ConfirmModal(
                    f"Remove {name} from the team? Their keys are deleted and every case they held is "
                    "re-keyed. What they saw before, they saw.",
                    "Remove",
                    "Keep",
                ),
                removed,
            )
        elif what == "passphrase":

            def changed(values: list[str] | None) -> None:
                if values is None:
                    return
                wrong = passphrase_pair(values, 1)
                if wrong:
                    self.notify(wrong, title="Not changed", severity="warning")
                    return
                self.team_job("change_passphrase", values[0], values[1])

            fields = [("Your current passphrase", True), ("New passphrase", True), ("Same again", True)]
            self.push_screen(FormModal("Change your passphrase", fields), changed)
        elif what == "reenrol":

            def reenrolled(values: list[str] | None) -> None:
                if values is None:
                    return
                wrong = passphrase_pair(values, 0)
                if wrong:
                    self.notify(wrong, title="Not re-enrolled", severity="warning")
                    return
                self.team_job("reenrol", name, values[0])

            fields = [("Their new passphrase", True), ("Same again", True)]
            title = f"Re-enrol {name}: a new key; they type a new passphrase"
            self.push_screen(FormModal(title, fields), reenrolled)
        elif what == "delegate":
            try:
                self.steps.name_delegate(name)
            except CocdeskError as exc:
                self.notify(str(exc), title="Not named", severity="warning")
                return
            self.refresh_team(f"{name} may now mark announcements as made.")

    @work(thread=True, exclusive=True, group="team", exit_on_error=False, description="team change")
    def team_job(self, method: str, *args: Any) -> None:
        """Key derivation is slow: run the change in a thread, on its own connection."""
        from cocdesk.service import TeamService

        session = self.session
        if session is None:
            return
        said = {
            "add_member": "Added {0}.",
            "remove_member": "Removed {0}; the cases they held were re-keyed.",
            "change_passphrase": "Your passphrase was changed.",
            "reenrol": "{0} has a new key and passphrase.",
        }[method]
        try:
            with session.worker_copy() as copy:
                getattr(TeamService(copy), method)(*args)
        except CocdeskError as exc:
            self.post_message(self.TeamDone(None, str(exc)))
            return
        self.post_message(self.TeamDone(said.format(*args)))

    @on(TeamDone)
    def team_done(self, message: TeamDone) -> None:
        if self.session is None:
            return  # locked meanwhile: nothing about it is shown on the unlock screen
        if message.error:
            self.notify(message.error, title="Not done", severity="warning")
            return
        self.refresh_team(message.said or "Done.")

    def refresh_team(self, said: str) -> None:
        from cocdesk.service import TeamService
        from cocdesk.tui.screens.team import TeamScreen

        if self.session is None:
            return
        for screen in self.screen_stack:
            if isinstance(screen, TeamScreen):
                screen.show(TeamService(self.session).members())
        self.notify(said, title="Team")

    # -- retention: purging the closed cases past the playbook's days ------------------
    class PurgeDone(Message):
        def __init__(
            self, purged: tuple[str, ...], refused: tuple[str, ...], error: str | None = None
        ) -> None:
            super().__init__()
            self.purged = purged
            self.refused = refused  # one line each: the case and why it stays
            self.error = error

    def purge_expired(self) -> None:
        from cocdesk.domain.roles import may_purge
        from cocdesk.service.retention import RetentionService
        from cocdesk.tui.screens.modals import ConfirmModal

        assert self.session and self.desk
        reason = may_purge(self.session.role)
        if reason:  # said before listing anything: the answer could not be used
            self.notify(reason, title="Not allowed", severity="warning")
            return
        days = self.desk.playbook.retention_days
        try:
            expired = RetentionService(self.session).expired()
        except CocdeskError as exc:
            self.notify(str(exc), title="Cannot list the cases past retention", severity="error")
            return
        mine = [c.id for c in expired if c.blocked is None]
        theirs = [c for c in expired if c.blocked is not None]
        if not expired:
            self.notify(f"No closed case is past the {days}-day retention.")
            return
        if not mine:
            self.notify(
                " ".join(str(c.blocked) for c in theirs),
                title="None of them is yours to purge",
                severity="warning",
            )
            return
        prompt = (
            f"Purge {len(mine)} closed case{'s' if len(mine) > 1 else ''} past the {days}-day retention?\n\n"
            f"{', '.join(mine)}\n\n"
            "Every sealed word of them is deleted for good; only the anonymised counts stay. "
            "Backups written before now still hold them (sealed)."
        )
        if theirs:
            prompt += "\n\nNot yours to purge: " + " ".join(str(c.blocked) for c in theirs)

        def answered(yes: bool | None) -> None:
            if yes:
                self.purge_job(mine)

        self.push_screen(ConfirmModal(prompt, "Purge", "Keep"), answered)

    @work(thread=True, exclusive=True, group="purge", exit_on_error=False, description="purge")
    def purge_job(self, case_ids: list[str]) -> None:
        """VACUUM rewrites the whole file: in a thread, on its own connection."""
        from cocdesk.service.retention import NOT_YET_CLEAN, RetentionService

        session = self.session
        if session is None:
            return
        try:
            with session.worker_copy() as copy:
                outcome = RetentionService(copy).purge(case_ids, only_expired=True)
        except CocdeskError as exc:
            self.post_message(self.PurgeDone((), (), str(exc)))
            return
        except Exception as exc:  # noqa: BLE001 - a worker that dies says nothing: say it here
            self.post_message(self.PurgeDone((), (), f"the purge stopped ({type(exc).__name__})"))
            return
        refused = tuple(f"{case_id}: {error}" for case_id, error in outcome.refused)
        if not outcome.compacted:
            refused += (NOT_YET_CLEAN,)
        self.post_message(self.PurgeDone(outcome.purged, refused))

    @on(PurgeDone)
    def purge_done(self, message: PurgeDone) -> None:
        from cocdesk.tui.screens.queue import QueueScreen

        if self.session is None:
            return  # locked meanwhile: nothing about it is shown on the unlock screen
        for case_id in message.purged:
            self.session.forget_case_key(case_id)
        queue = self.screen_named(QueueScreen)
        if queue is not None:
            queue.reload()
        if message.error:
            self.notify(message.error, title="Not purged", severity="warning")
            return
        if message.purged:
            self.notify(
                f"Purged {', '.join(message.purged)}. Backups written before now still hold "
                "them (sealed): delete the ones older than the retention days.",
                title="Purged",
            )
        if message.refused:
            self.notify(" ".join(message.refused), title="Not purged", severity="warning")

    # -- the transparency report -------------------------------------------------------
    def open_report(self) -> None:
        from cocdesk.exchange.transparency import to_markdown
        from cocdesk.service.transparency import transparency_report
        from cocdesk.tui.screens.transparency import TransparencyScreen

        assert self.session and self.desk
        try:
            report = transparency_report(self.session)
        except CocdeskError as exc:
            self.notify(str(exc), title="No report", severity="error")
            return
        self.push_screen(TransparencyScreen(to_markdown(report, self.desk.playbook)))

    def write_report(self, message: TransparencyScreen.WriteRequested) -> None:
        from cocdesk.exchange.files import target_path, write_new
        from cocdesk.tui.screens.modals import FormModal

        def chosen(values: list[str] | None) -> None:
            if not values:
                return
            try:
                path = target_path(values[0])
                write_new(path, message.text)
            except CocdeskError as exc:
                self.notify(str(exc), title="Not written", severity="error")
                return
            self.notify(f"Wrote the transparency report to {path}.", title="Report")

        fields = [("File (a new one: nothing is overwritten)", False)]
        title = "Write the transparency report (Markdown) to a file"
        self.push_screen(FormModal(title, fields, initial=["~/cocdesk-transparency.md"]), chosen)

    # -- the queue and first contact ---------------------------------------------------
    def new_report(self) -> None:
        from cocdesk.tui.screens.first_contact import FirstContactScreen

        assert self.desk and self.session
        from cocdesk.service.team import leads

        self.push_screen(FirstContactScreen(self.desk.playbook, leads(self.session), self.session.now))

    def to_intake(self, message: FirstContactScreen.Continue) -> None:
        from cocdesk.tui.screens.intake import IntakeScreen

        assert self.cases and self.drafts and self.desk and self.session
        self.switch_screen(
            IntakeScreen(
                self.cases,
                self.drafts,
                self.desk.playbook,
                self.session.member_name,
                ticks=message.ticks,
                urgent=message.urgent,
            )
        )

    def leave_first_contact(self, message: FirstContactScreen.Leave) -> None:
        from cocdesk.tui.screens.modals import ConfirmModal

        if not message.touched:
            self.pop_screen()
            return

        def answered(leave: bool | None) -> None:
            if leave:
                self.pop_screen()

        self.push_screen(
            ConfirmModal("Leave first contact? The ticks are not kept.", "Leave", "Stay"), answered
        )

    def intake_saved(self, message: IntakeScreen.Saved) -> None:
        from cocdesk.tui.screens.case import CaseScreen

        self.pop_screen()
        self.notify(
            f"Saved as {message.case_id}." if message.new else f"{message.case_id} updated.", title="Saved"
        )
        case_screen = self.screen_named(CaseScreen)
        if case_screen is not None and self.cases is not None:
            case_screen.show(self.cases.open_case(message.case_id))

    def leave_intake(self, message: IntakeScreen.Leave) -> None:
        from cocdesk.tui.screens.modals import ConfirmModal

        if not message.dirty:
            if self.drafts is not None:
                self.drafts.discard()
            self.pop_screen()
            return

        def answered(discard: bool | None) -> None:
            if discard:
                if self.drafts is not None:
                    self.drafts.discard()
                self.pop_screen()

        self.push_screen(
            ConfirmModal("Discard the unsaved changes to this report?", "Discard", "Keep editing"), answered
        )

    # -- one case ----------------------------------------------------------------------
    def open_case(self, message: QueueScreen.OpenCase | MeetingScreen.OpenCase) -> None:
        from cocdesk.tui.screens.case import CaseScreen

        assert self.cases and self.steps and self.desk and self.access
        case_id = message.case_id
        try:
            if case_id in self.access.recused_from():
                raise CocdeskError(
                    f"you stepped out of {case_id} (a conflict of interest): it stays closed to you"
                )
            view = self.cases.open_case(case_id)
            patterns = self.steps.patterns(case_id, view.report)
            self.access.record_opened(case_id)
            access = self.access.access(case_id)
        except CocdeskError as exc:
            self.notify(str(exc), title="Cannot open the case", severity="error")
            return
        self.push_screen(CaseScreen(view, self.desk.playbook, patterns, access))

    def case_request(self, message: CaseScreen.Request) -> None:
        from cocdesk.tui.screens.intake import IntakeScreen
        from cocdesk.tui.screens.modals import MoveModal, NoteModal

        assert self.cases and self.drafts and self.desk and self.session
        cases, drafts, desk, case_id = self.cases, self.drafts, self.desk, message.case_id
        member = self.session.member_name

        def refresh() -> None:
            self.refresh_case(case_id)

        def write_note(initial: str = "") -> None:
            def noted(text: str | None) -> None:
                if not text:
                    return
                try:
                    cases.add_note(case_id, text)
                except CocdeskError as exc:
                    self.notify(f"Note not saved: {exc}", severity="error")
                    write_note(text)  # give the text back rather than lose it
                    return
                refresh()
                self.notify("Note saved (sealed).")

            self.push_screen(NoteModal(initial), noted)

        def moved(target: Any) -> None:
            if target is None:
                return
            try:
                cases.move(case_id, target)
                refresh()
            except CocdeskError as exc:
                self.notify(str(exc), title="Not moved", severity="warning")
                return
            self.notify(f"{case_id} is now {target.value.replace('_', ' ')}.")

        try:
            if message.what == "note":
                write_note()
            elif message.what == "edit":
                report = cases.open_case(case_id).report
                self.push_screen(
                    IntakeScreen(cases, drafts, desk.playbook, member, editing=(case_id, report))
                )
            elif message.what == "move":
                self.push_screen(MoveModal(cases.moves(case_id)), moved)
            elif message.what == "conflict":
                self.step_out(case_id)
            elif message.what == "lift":
                self.lift_recusal(case_id)
            elif message.what == "export":
                self.export_case(case_id)
            else:
                self.open_step(message.what, case_id)
        except CocdeskError as exc:
            self.notify(str(exc), severity="error")

    def step_out(self, case_id: str) -> None:
        from cocdesk.tui.screens.case import CaseScreen
        from cocdesk.tui.screens.modals import ConfirmModal
        from cocdesk.tui.screens.step_form import StepForm

        def answered(yes: bool | None) -> None:
            if not yes or self.access is None:
                return
            try:
                self.access.declare_conflict(case_id)
            except CocdeskError as exc:
                self.notify(str(exc), title="Not recorded", severity="warning")
                return
            while isinstance(self.screen, StepForm | CaseScreen):
                self.pop_screen()
            self.notify(f"You stepped out of {case_id}; it was re-keyed without you.", title=case_id)

        prompt = (
            f"Declare a conflict of interest in {case_id}? No reason is asked. Your key to the case "
            "is deleted at once and you cannot open it again unless a lead or the chair lifts it."
        )
        self.push_screen(ConfirmModal(prompt, "Step out", "Stay"), answered)

    def export_case(self, case_id: str) -> None:
        """Ask the format and file (the dialog warns it is plaintext), then write it, audited."""
        from cocdesk.exchange.case_file import write_case
        from cocdesk.exchange.files import target_path
        from cocdesk.tui.screens.export import ExportModal

        def chosen(answer: tuple[str, str] | None) -> None:
            if answer is None or self.session is None:
                return
            fmt, typed = answer
            try:
                path = target_path(typed)
                write_case(self.session, case_id, fmt, path)
            except CocdeskError as exc:
                self.notify(str(exc), title="Not exported", severity="error")
                return
            self.refresh_case(case_id)
            self.notify(
                f"Wrote {case_id} to {path} in plaintext. Delete it once it is passed on.",
                title="Exported",
                severity="warning",
            )

        self.push_screen(ExportModal(case_id), chosen)

    def lift_recusal(self, case_id: str) -> None:
        from cocdesk.domain.roles import may_lift_recusal
        from cocdesk.tui.screens.modals import ChoiceModal

        assert self.access is not None and self.session is not None
        reason = may_lift_recusal(self.session.role)
        if reason:  # say so before asking whose: the answer could not be used
            self.notify(reason, title="Not allowed", severity="warning")
            return
        access = self.access.access(case_id)
        if not access.recused:
            self.notify(f"Nobody has stepped out of {case_id}.")
            return

        def chosen(name: str | None) -> None:
            if name is None or self.access is None:
                return
            try:
                self.access.lift(case_id, name)
            except CocdeskError as exc:
                self.notify(str(exc), title="Not lifted", severity="warning")
                return
            self.refresh_case(case_id)
            self.notify(f"{name} may open {case_id} again.", title=case_id)

        self.push_screen(ChoiceModal(f"Lift whose recusal from {case_id}?", list(access.recused)), chosen)

    def refresh_case(self, case_id: str) -> None:
        """Redraw the case screen showing `case_id`, if there is one."""
        from cocdesk.tui.screens.case import CaseScreen

        assert self.cases and self.steps and self.access
        for screen in self.screen_stack:
            if isinstance(screen, CaseScreen) and screen.view.summary.id == case_id:
                view = self.cases.open_case(case_id)
                patterns = self.steps.patterns(case_id, view.report)
                screen.show(view, patterns, self.access.access(case_id))

    # -- the steps after intake: meeting, decision, follow-up ---------------------------
    def open_step(self, what: str, case_id: str, tab: str = "talk", draft: object = None) -> None:
        from cocdesk.tui.screens.decision import DecisionScreen
        from cocdesk.tui.screens.followup import FollowUpScreen
        from cocdesk.tui.screens.meeting import MeetingScreen

        assert self.cases and self.steps and self.desk and self.session
        view = self.cases.open_case(case_id)
        playbook, drafts = self.desk.playbook, self.step_drafts
        if what == "meeting":
            assert self.access is not None
            team, patterns = self.steps.team(), self.steps.patterns(case_id, view.report)
            out = self.access.recused(case_id)
            screen: StepForm = MeetingScreen(view, team, patterns, playbook, drafts, draft, out)
        elif what == "decision":
            if view.steps.decision is not None:
                self.notify(
                    "The decision is recorded; an appeal is the way to change it.", severity="warning"
                )
                return
            screen = DecisionScreen(view, playbook, drafts, draft)
        else:
            from cocdesk.domain.roles import may_announce

            s = self.session
            announce = may_announce(s.role, s.member_id in self.steps.delegates()) is None
            messages = self.steps.messages(case_id, view.steps)
            screen = FollowUpScreen(view, playbook, s.role.value, announce, messages, tab, drafts, draft)
        self.push_screen(screen)

    def leave_step(self, message: StepForm.Leave) -> None:
        from cocdesk.tui.screens.modals import ConfirmModal
        from cocdesk.tui.screens.step_form import StepForm

        form = self.screen

        def leave() -> None:
            if isinstance(form, StepForm):
                form.discard_draft()
            self.pop_screen()

        if not message.dirty:
            leave()
            return

        def answered(discard: bool | None) -> None:
            if discard:
                leave()

        self.push_screen(
            ConfirmModal("Leave without saving these changes?", "Leave", "Keep editing"), answered
        )

    def step_submitted(self, message: StepForm.Submitted) -> None:
        from cocdesk.tui.screens.modals import ConfirmModal
        from cocdesk.tui.screens.step_form import StepForm

        form = self.screen
        if not isinstance(form, StepForm):
            return
        if message.step == "decision":

            def answered(yes: bool | None) -> None:
                if yes:
                    self.record_step(form, message)

            self.push_screen(
                ConfirmModal(
                    "Record this decision? It is not edited afterwards; an appeal is the way to change it.",
                    "Record",
                    "Not yet",
                ),
                answered,
            )
            return
        self.record_step(form, message)

    def record_step(self, form: StepForm, message: StepForm.Submitted) -> None:
        """Ask the service to record one step; on refusal the form keeps everything typed."""
        from cocdesk.tui.screens.followup import FollowUpScreen

        assert self.steps and self.session
        steps, case_id, payload = self.steps, message.case_id, message.payload
        said = "Saved (sealed)."
        try:
            match message.step:
                case "meeting":
                    moved = steps.record_meeting(case_id, payload)
                    said = "Meeting recorded." + (
                        " The case is now in review."
                        if moved
                        else " A review needs two members present with no conflict of interest."
                    )
                case "decision":
                    status = steps.decide(case_id, payload)
                    said = f"Decision recorded: {case_id} is now {status.value.replace('_', ' ')}."
                case "talk":
                    moved = steps.record_talk(case_id, payload)
                    said = "Talk recorded." + (" The case is now communicated." if moved else "")
                case "reporter":
                    steps.record_reporter_followup(case_id, payload)
                case "appeal_received":
                    steps.receive_appeal(case_id, *payload)
                    said = "Appeal recorded. The report and its actions stand meanwhile."
                case "appeal_answer":
                    back = steps.answer_appeal(case_id, payload[0], payload[1] == "True")
                    said = f"Answer recorded; the case is {back.value.replace('_', ' ')} again."
                case "announcement":
                    steps.save_announcement(case_id, *payload)
                case "privacy":
                    if isinstance(form, FollowUpScreen):
                        form.show_flags(steps.privacy_flags(payload))
                    return
                case "ready":
                    steps.save_announcement(case_id, *payload)
                    steps.mark_ready(case_id)
                    said = "The announcement passed the privacy check and is ready."
                case "made":
                    steps.mark_made(case_id)
                    said = "Recorded: the announcement was made."
                case "message":
                    steps.save_message(case_id, *payload)
                case "summary":
                    steps.save_public_summary(case_id, payload)
                    said = "Public summary saved (sealed): the privacy check found nobody in it."
                case "public":
                    # The summary first: its privacy check refuses before anything is written.
                    steps.save_public_summary(case_id, payload[1])
                    try:
                        steps.save_announcement(case_id, *payload[0])
                    except CocdeskError as exc:
                        form.show_error(f"The public summary was saved; the announcement was not: {exc}")
                        return
                    said = "Saved (sealed): the announcement and the public summary."
        except CocdeskError as exc:
            form.show_error(f"Not recorded: {exc}")
            # (A refused "ready" names the flagged words in its reason: not computed twice.)
            return
        self.notify(said, title=case_id)
        self.after_step(form, case_id)

    def after_step(self, form: StepForm, case_id: str) -> None:
        from cocdesk.tui.screens.case import CaseScreen
        from cocdesk.tui.screens.followup import FollowUpScreen
        from cocdesk.tui.screens.step_form import StepForm

        assert self.cases and self.session and self.access
        form.saved()
        if self.session.member_id in self.access.recused(case_id):
            # The member declared a conflict: the case is no longer theirs to see.
            while isinstance(self.screen, StepForm | CaseScreen):
                self.pop_screen()
            self.notify(f"You stepped out of {case_id}; you can no longer open it.", title=case_id)
            return
        self.refresh_case(case_id)
        if isinstance(form, FollowUpScreen):
            tab = form.active_tab
            self.pop_screen()
            self.open_step("followup", case_id, tab)
        else:
            self.pop_screen()

    # -- locking -----------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "lock" and self.session is None:
            return None  # nothing to lock: shown disabled in the footer
        return True

    def action_lock(self) -> None:
        from cocdesk.tui.screens.intake import IntakeScreen
        from cocdesk.tui.screens.step_form import StepForm

        if self.session is None:
            return
        try:
            for screen in self.screen_stack:
                if isinstance(screen, IntakeScreen | StepForm):
                    screen.flush_draft()
        finally:
            # Whatever happened to the draft, the lock happens.
            self.session.lock()
            self.session = self.cases = self.drafts = self.steps = self.step_drafts = self.access = None
            self.workers.cancel_all()
        if self.desk is not None:
            self.desk.checkpoint()
        # A toast may quote a case ("Saved as C-0007"): it goes with the rest.
        self.clear_notifications()
        # Drop every screen that held case data, so Escape or back reveals nothing.
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.switch_screen(UnlockScreen(self.demo_passphrase))
        self.sub_title = self.desk.event_name if self.desk else ""
        self.call_after_refresh(self.show_unlock_details)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(
            event, (events.Key, events.MouseDown, events.MouseScrollDown, events.MouseScrollUp, events.Paste)
        ):
            self.last_input = self.idle_clock()
        await super().on_event(event)

    def lock_if_idle(self) -> None:
        if self.session is None or self.desk is None:
            return
        limit = self.desk.playbook.idle_lock_minutes * 60
        if self.idle_clock() - self.last_input >= limit:
            self.action_lock()
            self.notify(f"Locked after {self.desk.playbook.idle_lock_minutes} idle minutes.")

    # -- help, palette, and what must never happen -------------------------------------
    def action_help(self) -> None:
        from cocdesk.tui.screens.modals import HelpModal

        screen = self.screen
        text = getattr(screen, "HELP", None) or "Press ctrl+p for every action, ctrl+l to lock."
        keys = [
            (b.key_display or b.key, b.description)
            for b in [*screen.BINDINGS, *self.BINDINGS]
            if isinstance(b, Binding) and b.description
        ]
        keys.append(("ctrl+p", "Command palette: every action, searchable"))
        title = type(screen).__name__.removesuffix("Screen") or "cocdesk"
        self.push_screen(HelpModal(f"Help — {title}", text, keys))

    def format_title(self, title: str, sub_title: str) -> Content:
        # The Header keeps markup out by itself, not control characters: an event
        # or member name edited in the file must not reach the terminal raw.
        return super().format_title(shown(title), shown(sub_title))

    def notify(self, message: str, *, markup: bool = False, **kwargs: Any) -> None:
        """Every toast is plain text, whoever asks (widgets pass markup=True by default),
        and a name's control characters are shown, never sent to the terminal."""
        if isinstance(kwargs.get("title"), str):
            kwargs["title"] = shown(kwargs["title"])
        super().notify(shown(message), markup=False, **kwargs)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        # The built-in "Screenshot" writes the screen, names included, to disk.
        for command in super().get_system_commands(screen):
            if command.title != "Screenshot":
                yield command
        if self.session is not None:
            # Another member takes the laptop: lock first, so nothing of yours stays open.
            yield SystemCommand("Switch member", "Lock, then unlock as another member", self.action_lock)

    def action_screenshot(self, filename: str | None = None, path: str | None = None) -> None:
        self.notify("Screenshots are off: they would write case data to disk.")

    def copy_to_clipboard(self, text: str) -> None:
        """Never: the terminal's clipboard (OSC 52) is outside the vault."""

    def _handle_exception(self, error: Exception) -> None:
        # Textual's default prints a traceback with show_locals=True: local
        # variables (names, accounts) would land in the scrollback. Say only what kind.
        self._return_code = 1
        if self._exception is None:
            self._exception = error
            self._exception_event.set()
        self._exit_renderables.append(
            Text(
                f"cocdesk stopped on an internal error ({type(error).__name__}). "
                "Saved cases are safe; unsaved typing was kept as a sealed draft where possible."
            )
        )
        self._close_messages_no_wait()

    def on_unmount(self) -> None:
        from cocdesk.tui.screens.intake import IntakeScreen
        from cocdesk.tui.screens.step_form import StepForm

        if self.session is not None:
            for screen in self.screen_stack:
                if isinstance(screen, IntakeScreen | StepForm):
                    screen.flush_draft()
            self.session.lock()
        if self.desk is not None:
            self.desk.close()

    # The screens' messages, by Textual's handler names (on_<screen>_<message>) rather
    # than @on(Screen.Message): that would import every screen before the first frame.
    on_setup_screen_submitted = setup_submitted
    on_queue_screen_open_team = open_team
    on_queue_screen_open_handoff = open_handoff
    on_team_screen_request = team_request
    on_queue_screen_new_report = new_report
    on_first_contact_screen_continue = to_intake
    on_first_contact_screen_leave = leave_first_contact
    on_intake_screen_saved = intake_saved
    on_intake_screen_leave = leave_intake
    on_queue_screen_open_case = open_case
    on_meeting_screen_open_case = open_case
    on_case_screen_request = case_request
    on_step_form_leave = leave_step
    on_step_form_submitted = step_submitted
    on_queue_screen_purge_expired = purge_expired
    on_queue_screen_open_report = open_report
    on_transparency_screen_write_requested = write_report


def warm_up() -> None:
    """Import the screens and services used once unlocked, while the passphrase is typed.

    On the event loop once the members are shown (in a thread, the imports slowed the
    key derivation and the queue after Enter): Enter then waits for neither.
    """
    import cocdesk.service.access
    import cocdesk.service.drafts
    import cocdesk.service.steps
    import cocdesk.tui.screens.case
    import cocdesk.tui.screens.first_contact
    import cocdesk.tui.screens.modals
    import cocdesk.tui.screens.queue  # noqa: F401


def _reason(exc: Exception) -> str:
    """What the screen says about a failure: our own message, or only the kind of error."""
    return str(exc) if isinstance(exc, CocdeskError) else f"internal error ({type(exc).__name__})"


def make_app(folder: Path, *, demo_passphrase: str | None = None, **kwargs: Any) -> CocdeskApp:
    """The one factory: the CLI and the tests run the same app."""
    return CocdeskApp(folder, demo_passphrase=demo_passphrase, **kwargs)
