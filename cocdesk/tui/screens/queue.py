"""The queue: every case this member may open, with age, status and what is overdue."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from rich.cells import cell_len
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Static

from cocdesk.domain.deadlines import age, overdue
from cocdesk.domain.retention import cases_phrase
from cocdesk.domain.status import Status
from cocdesk.errors import CocdeskError
from cocdesk.tui.literal import shown
from cocdesk.tui.widgets.queue_table import Column, QueueTable

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


STEPPED_OUT = "stepped out"


def parse_stamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def stamp(moment: datetime) -> str:
    # The stored form (service.clock.stamp), not imported: the service package loads storage.
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


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
        self.by_id: dict[str, CaseSummary] = {}
        self.ordered: list[str] = []  # every case id, in the sort order
        self.search: dict[str, str] | None = None
        self.sort_index = 0
        self.reverse = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder="Filter: type to search every case you may open", id="queue-filter")
        yield QueueTable(self.cells, id="queue-table")
        yield Static("", id="queue-reminder")
        yield Static("", id="queue-status")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(QueueTable)
        table.set_columns([Column(label, len(label)) for label in COLUMNS])
        self.query_one("#queue-filter").display = False
        table.focus()

    def on_unmount(self) -> None:
        # Decrypted search text lives only as long as this screen.
        self.search = None
        self.rows = []
        self.by_id = {}
        self.ordered = []
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
        self.by_id = {r.id: r for r in self.rows}
        self.query_one(QueueTable).set_columns(self.columns())
        self.sort_rows()
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

    # -- the table: ids in order here, cells made only for the rows on screen --------
    def cells(self, case_id: str) -> tuple[str, ...]:
        """One row's cells, as stored text (the table makes control characters visible)."""
        r = self.by_id.get(case_id)
        if r is None:  # a case this member stepped out of: that it exists, nothing more
            return (case_id, "", STEPPED_OUT, *("" for _ in COLUMNS[3:]))
        now = self.now()
        created, last = parse_stamp(r.created_at), parse_stamp(r.updated_at)
        ack = timedelta(hours=self.playbook.acknowledge_within_hours)
        decide = timedelta(days=self.playbook.decide_within_days)
        late = overdue(r.status, created, last, now, ack, decide)
        return (
            r.id,
            age(created, now),
            _status(r.status),
            r.category or "—",
            "!" if r.urgent else "",
            r.holder,
            age(last, now),
            " ".join(late),
        )

    def columns(self) -> list[Column]:
        """Widths from the few distinct values of each column, never by measuring every row.

        Ages are widest for the oldest stamp (or "59m"); "Late" is wide only if a case
        still waiting for a step is older than the shortest limit.
        """
        now = self.now()
        ack = timedelta(hours=self.playbook.acknowledge_within_hours)
        decide = timedelta(days=self.playbook.decide_within_days)
        since = stamp(now - min(ack, decide))  # stored stamps compare as text
        waiting = {Status.REPORTED, Status.IN_REVIEW}
        may_be_late = any(r.status in waiting and r.created_at < since for r in self.rows)
        oldest = min((r.created_at for r in self.rows), default="")
        stalest = min((r.updated_at for r in self.rows), default="")
        statuses = {_status(r.status) for r in self.rows} | ({STEPPED_OUT} if self.stepped_out else set())
        widest = {
            "Case": {*self.by_id, *self.stepped_out},
            "Age": {"59m", age(parse_stamp(oldest), now) if oldest else ""},
            "Status": statuses,
            "Category": {r.category or "—" for r in self.rows},
            "!": {"!"},
            "Holder": {r.holder for r in self.rows},
            "Last step": {"59m", age(parse_stamp(stalest), now) if stalest else ""},
            "Late": {"ack decide" if may_be_late else ""},
        }
        return [
            Column(label, max([cell_width(label), *(cell_width(v) for v in widest[label])]))
            for label in COLUMNS
        ]

    def sort_rows(self) -> None:
        """Sort once (on loading, s and S); the filter keeps this order."""
        _, key = SORTS[self.sort_index]
        self.ordered = [r.id for r in sorted(self.rows, key=key, reverse=self.reverse)]  # type: ignore[arg-type]
        self.refresh_table()

    def refresh_table(self) -> None:
        table = self.query_one(QueueTable)
        query = self.query_one("#queue-filter", Input).value.strip().casefold()
        name, _ = SORTS[self.sort_index]
        ids = self.ordered
        if query and self.search is not None:
            search, words = self.search, query.split()
            ids = [i for i in ids if all(word in search.get(i, "") for word in words)]
        table.set_rows(ids if query else [*ids, *self.stepped_out])
        shown = f"{len(ids)} of {len(self.rows)} cases" if query else f"{len(self.rows)} cases"
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
        key = self.query_one(QueueTable).cursor_key
        if key:
            self.post_message(self.OpenCase(key))

    @on(QueueTable.RowSelected)
    def row_selected(self, event: QueueTable.RowSelected) -> None:
        self.post_message(self.OpenCase(event.key))

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
        self.query_one(QueueTable).focus()
        self.refresh_table()

    def action_sort(self) -> None:
        self.sort_index = (self.sort_index + 1) % len(SORTS)
        self.sort_rows()

    def action_reverse(self) -> None:
        self.reverse = not self.reverse
        self.sort_rows()

    @on(Input.Changed, "#queue-filter")
    def filter_changed(self) -> None:
        self.refresh_table()

    @on(Input.Submitted, "#queue-filter")
    def filter_done(self) -> None:
        self.query_one(QueueTable).focus()

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


def _status(status: Status) -> str:
    return status.value.replace("_", " ")


def cell_width(text: str) -> int:
    return cell_len(shown(text))
