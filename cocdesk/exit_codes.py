"""Exit codes of the `cocdesk` command (DESIGN.md: scripts rely on them)."""

OK = 0
ERROR = 1
USAGE = 2
ACCESS_DENIED = 3  # wrong passphrase, or not a member
INTEGRITY = 4  # tampering or corruption
