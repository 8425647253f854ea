"""Run as a child under a pty: the real `cocdesk` app, with opening a case made to crash
while a local variable holds case text (the crash output must not show it)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from cocdesk.service import cases as case_service  # noqa: E402
from tests.fast_cocdesk import use_fast_kdf  # noqa: E402

_original = case_service.CaseService.open_case


def _exploding(self: case_service.CaseService, case_id: str) -> case_service.CaseView:
    view = _original(self, case_id)
    secret_in_a_local = view.report.description  # noqa: F841 - what a show_locals traceback would print
    raise RuntimeError("a bug")


case_service.CaseService.open_case = _exploding  # type: ignore[method-assign]

if __name__ == "__main__":
    from cocdesk.cli import main

    use_fast_kdf()  # the test's vault is enrolled at the test KDF cost

    sys.exit(main(["--data-dir", sys.argv[1]]))
