"""The errors cocdesk raises on purpose.

Every message is written for the person at the keyboard and never carries the
value of a sealed field: these strings reach stderr and the screen.
"""

from cocdesk import exit_codes


class CocdeskError(Exception):
    """Base of every error meant for the user; `exit_code` maps it for the CLI."""

    exit_code = exit_codes.ERROR


class UsageProblem(CocdeskError):
    """The command was called the wrong way."""

    exit_code = exit_codes.USAGE


class WrongPassphrase(CocdeskError):
    """The passphrase did not open the member's key."""

    exit_code = exit_codes.ACCESS_DENIED


class NotAMember(CocdeskError):
    """The named member does not exist, or may not open what was asked."""

    exit_code = exit_codes.ACCESS_DENIED


class IntegrityFailure(CocdeskError):
    """Stored data failed an integrity check: tampering or corruption."""

    exit_code = exit_codes.INTEGRITY


class BadReport(CocdeskError):
    """A report (JSON or form) is malformed; the message names what is wrong."""


class BadPlaybook(CocdeskError):
    """A playbook file is malformed; the message names file, line and key."""


class RuleRefused(CocdeskError):
    """A domain rule refused a move; the message says why."""


class NotFound(CocdeskError):
    """A case, member or vault that was asked for does not exist."""


class VaultExists(CocdeskError):
    """`init` was asked to create a vault where one already is."""


class VaultBusy(CocdeskError):
    """Another process held the vault's write lock past the busy timeout."""
