"""The queue: every case this member may open, with age, status and what is overdue."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Static

from cocdesk.domain.deadlines import age, overdue
from cocdesk.domain.retention import cases_phrase
from cocdesk.errors import CocdeskError
from cocdesk.tui.literal import cell

if TYPE_CHECKING:
    from cocdesk.playbook import Playbook
    from cocdesk.service.cases import CaseService, CaseSummary
    from cocdesk.service.retention import RetainedCase

HELP = """\
The queue lists every case you may open, oldest first. A case you stepped out
of (a conflict of interest) is listed last, as "stepped out", and cannot be opened.

Age is time since the report was taken; Last step is time since anything was
recorded. "ack" marks a report nobody has acted on within the playbook's
acknowledgement time; "decide" one still undecided past the decision time.

Enter opens the highlighted case. n starts a new report with first contact.
/ filters as you type, across everything in the cases you may open. s changes
the sort column; S reverses it. t opens the team. r shows the transparency
report: anonymised counts to publish. h hands cases on: public keys, sealed
bundles in and out, and next year's ban list.

A closed or referred case is kept for the playbook's retention days after its
last update; then a line below the queue says so, and P (a lead or the chair)
purges those cases: every sealed word of them is deleted, only the anonymised
counts stay. Backups written before still hold them.
"""

COLUMNS = ("Case", "Age", "Status", "Category", "!", "Holder", "Last step", "Late")
SORTS: tuple[tuple[str, Callable[[CaseSummary], object]], ...] = (
    ("case", lambda c: c.id),
    ("age", lambda c: c.created_at),
    ("status", lambda c: c.status.value),
    ("category", lambda c: c.category),
    ("urgency", lambda c: (not c.urgent, c.id)),
    ("holder", lambda c: c.holder.casefold()),
    ("last step", lambda c: c.updated_at),
)


def parse_stamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class QueueScreen(Screen[None]):
    HELP = HELP
    AUTO_FOCUS = "#queue-table"
    BINDINGS = [
        Binding("enter", "open_case", "Open", show=True, tooltip="Open the highlighted case"),
        Binding("n", "new_report", "New report", tooltip="First contact, then intake"),
        Binding("slash", "filter", "Filter", key_display="/", tooltip="Filter as you type"),
        Binding("s", "sort", "Sort", tooltip="Sort by the next column"),
        Binding("t", "team", "Team", tooltip="The team: members, roles, passphrases"),
        # Not in the footer (it is full at 80 columns): in help (?), the palette and the README.
        Binding(
            "r",
            "report",
            "Report",
            show=False,
            tooltip="The transparency report: anonymised counts to publish",
        ),
        Binding("h", "handoff", "Handoff", show=False, tooltip="Public keys, sealed bundles, the ban list"),
        Binding("S", "reverse", "Reverse", show=False, tooltip="Reverse the sort"),
        Binding(
            "P",
            "purge",
            "Purge expired",
            show=False,
            tooltip="Crypto-shred the closed cases past the retention days (lead or chair)",
        ),
        Binding("escape", "clear_filter", "Clear filter", show=False),
    ]

    class OpenCase(Message):
        def __init__(self, case_id: str) -> None:
            super().__init__()
            self.case_id = case_id

    class NewReport(Message):
        pass

    class OpenTeam(Message):
        pass

    class OpenHandoff(Message):
        pass

    class OpenReport(Message):
        pass

    class PurgeExpired(Message):
        pass

    def __init__(
        self,
        cases: CaseService,
        playbook: Playbook,
        now: Callable[[], datetime],
        recused_from: Callable[[], set[str]] | None = None,
        expired: Callable[[], list[RetainedCase]] | None = None,
        may_purge: bool = False,
    ) -> None:
        super().__init__()
        self.cases = cases
        self.recused_from = recused_from
        self.expired = expired
        self.may_purge = may_purge
        self.stepped_out: list[str] = []
        self.playbook = playbook
        self.now = now
        self.rows: list[CaseSummary] = []
        self.search: dict[str, str] | None = None
        self.sort_index = 0
        self.reverse = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder="Filter: type to search every case you may open", id="queue-filter")
        yield DataTable(id="queue-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="queue-reminder")
        yield Static("", id="queue-status")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(*COLUMNS)
        self.query_one("#queue-filter").display = False
        table.focus()

    def on_unmount(self) -> None:
        # Decrypted search text lives only as long as this screen.
        self.search = None
        self.rows = []
        self.stepped_out = []

    def on_screen_resume(self) -> None:
        # Runs when first shown and whenever a screen above closes (a new report,
        # an edit): the one place the rows load. While locking, this screen is
        # briefly on top again on its way out: then it must not read.
        if not self.cases.session.locked:
            self.reload()

    def reload(self) -> None:
        self.rows = self.cases.list_cases()
        # Cases this member stepped out of: that they exist, nothing more.
        self.stepped_out = sorted(self.recused_from()) if self.recused_from else []
        self.search = None
        self.refresh_table()
        self.remind()

    def remind(self) -> None:
        """One calm line when finished cases are past retention (plain columns only: no key)."""
        line = self.query_one("#queue-reminder", Static)
        try:
            count = len(self.expired()) if self.expired else 0
        except CocdeskError as exc:
            # A case record altered in the file: say so here rather than stop the queue.
            line.display = True
            line.update(Content(f"Cannot check retention: {exc}"))
            return
        line.display = count > 0
        if count:
            who = ("P purges " if self.may_purge else "a lead or the chair purges ") + (
                "it" if count == 1 else "them"
            )
            days = self.playbook.retention_days
            line.update(Content(f"{cases_phrase(count)} past the {days}-day retention — {who}"))

    def refresh_table(self) -> None:
        table = self.query_one(DataTable)
        query = self.query_one("#queue-filter", Input).value.strip().casefold()
        name, key = SORTS[self.sort_index]
        rows = sorted(self.rows, key=key, reverse=self.reverse)  # type: ignore[arg-type]
        if query and self.search is not None:
            rows = [r for r in rows if all(word in self.search.get(r.id, "") for word in query.split())]
        now = self.now()
        ack = timedelta(hours=self.playbook.acknowledge_within_hours)
        decide = timedelta(days=self.playbook.decide_within_days)
        table.clear()
        for r in rows:
            created, last = parse_stamp(r.created_at), parse_stamp(r.updated_at)
            late = overdue(r.status, created, last, now, ack, decide)
            table.add_row(
                cell(r.id),
                cell(age(created, now)),
                cell(r.status.value.replace("_", " ")),
                cell(r.category or "—"),
                cell("!" if r.urgent else ""),
                cell(r.holder),
                cell(age(last, now)),
                cell(" ".join(late)),
                key=r.id,
            )
        if not query:
            for case_id in self.stepped_out:
                table.add_row(
                    cell(case_id),
                    cell(""),
                    cell("stepped out"),
                    *(cell("") for _ in COLUMNS[3:]),
                    key=case_id,
                )
        shown = f"{len(rows)} of {len(self.rows)} cases" if query else f"{len(self.rows)} cases"
        if self.stepped_out and not query:
            shown += f" · {len(self.stepped_out)} stepped out"
        if not self.rows:
            shown = "No cases yet: press n when someone comes to report"
        direction = " (reversed)" if self.reverse else ""
        searching = " · preparing search…" if query and self.search is None else ""
        self.query_one("#queue-status", Static).update(
            Content(f"{shown} · sorted by {name}{direction}{searching}")
        )

    # -- actions -------------------------------------------------------------------
    def action_open_case(self) -> None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        if key:
            self.post_message(self.OpenCase(key))

    @on(DataTable.RowSelected)
    def row_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self.post_message(self.OpenCase(event.row_key.value))

    def action_new_report(self) -> None:
        self.post_message(self.NewReport())

    def action_team(self) -> None:
        self.post_message(self.OpenTeam())

    def action_handoff(self) -> None:
        self.post_message(self.OpenHandoff())

    def action_report(self) -> None:
        self.post_message(self.OpenReport())

    def action_purge(self) -> None:
        self.post_message(self.PurgeExpired())

    def action_filter(self) -> None:
        box = self.query_one("#queue-filter", Input)
        box.display = True
        box.focus()
        if self.search is None:
            self.build_search()

    def action_clear_filter(self) -> None:
        box = self.query_one("#queue-filter", Input)
        box.value = ""
        box.display = False
        self.query_one(DataTable).focus()
        self.refresh_table()

    def action_sort(self) -> None:
        self.sort_index = (self.sort_index + 1) % len(SORTS)
        self.refresh_table()

    def action_reverse(self) -> None:
        self.reverse = not self.reverse
        self.refresh_table()

    @on(Input.Changed, "#queue-filter")
    def filter_changed(self) -> None:
        self.refresh_table()

    @on(Input.Submitted, "#queue-filter")
    def filter_done(self) -> None:
        self.query_one(DataTable).focus()

    # -- the search text: decrypted once, in a thread, kept in memory only -----------
    class SearchReady(Message):
        def __init__(self, texts: dict[str, str]) -> None:
            super().__init__()
            self.texts = texts

    @work(thread=True, exclusive=True, group="search", exit_on_error=False, description="search text")
    def build_search(self) -> None:
        self.post_message(self.SearchReady(self.cases.search_texts()))

    @on(SearchReady)
    def search_ready(self, message: SearchReady) -> None:
        self.search = message.texts
        self.refresh_table()
