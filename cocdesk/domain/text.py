"""Making stored text safe to show: every character visible, none interpreted."""

from __future__ import annotations

import unicodedata


def visible(text: str, keep: str = "\n\t") -> str:
    """Replace control and format characters (ESC, C1, bidi overrides...) by a visible
    `⟨U+XXXX⟩`, so stored text can never drive the terminal. Storage keeps the exact
    string; only what is displayed is mapped."""
    out: list[str] = []
    for ch in text:
        if ch not in keep and unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp"):
            out.append(f"⟨U+{ord(ch):04X}⟩")
        else:
            out.append(ch)
    return "".join(out)
