"""Making stored text safe to show: every character visible, none interpreted."""

from __future__ import annotations

import unicodedata

# Characters that are not text: C0/C1 controls and DEL (Cc: ESC starts every terminal
# escape sequence), invisible format characters (Cf: bidi overrides, zero-width), lone
# surrogates (Cs) and the line and paragraph separators (Zl, Zp).
HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def first_hidden(text: str, keep: str = "") -> str | None:
    """The first character of `text` that `visible` would replace, or None."""
    return next((ch for ch in text if ch not in keep and unicodedata.category(ch) in HIDDEN_CATEGORIES), None)


def visible(text: str, keep: str = "\n\t") -> str:
    """Replace control and format characters (ESC, C1, bidi overrides...) by a visible
    `⟨U+XXXX⟩`, so stored text can never drive the terminal. Storage keeps the exact
    string; only what is displayed is mapped."""
    out: list[str] = []
    for ch in text:
        if ch not in keep and unicodedata.category(ch) in HIDDEN_CATEGORIES:
            out.append(f"⟨U+{ord(ch):04X}⟩")
        else:
            out.append(ch)
    return "".join(out)
