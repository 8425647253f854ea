"""One case written to a plaintext file from the app: recorded first, mode 0600, never overwriting."""

from __future__ import annotations

from pathlib import Path

from cocdesk.errors import UsageProblem
from cocdesk.exchange import case_export
from cocdesk.exchange.files import write_new
from cocdesk.service.access import AccessService
from cocdesk.service.cases import CaseService
from cocdesk.service.session import Session

FORMATS = ("md", "json")


def write_case(session: Session, case_id: str, fmt: str, path: Path) -> None:
    """The case, decrypted, in `fmt` at `path`; the audit log has `case.exported` before any byte."""
    if fmt not in FORMATS:
        raise UsageProblem(f"the format is md or json, not {fmt[:10]}")
    view = CaseService(session).open_case(case_id)
    text = (
        case_export.to_json(view) + "\n" if fmt == "json" else case_export.to_markdown(view, session.playbook)
    )
    write_new(path, text, before=lambda: AccessService(session).record_exported(case_id))
