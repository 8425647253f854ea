"""Where cocdesk keeps its files: --data-dir, then COCDESK_HOME, then platformdirs."""

import os
from pathlib import Path

import platformdirs

DB_NAME = "cocdesk.db"


def data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The folder holding the vault, chosen by flag, environment, then platform default."""
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get("COCDESK_HOME")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir("cocdesk", appauthor=False))


def database_path(folder: Path) -> Path:
    """The vault's SQLite file inside a data folder."""
    return folder / DB_NAME


def state_dir() -> Path:
    """This laptop's own records about vaults, outside any vault's folder.

    COCDESK_STATE, then the platform's state folder (platformdirs).
    """
    env = os.environ.get("COCDESK_STATE")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_state_dir("cocdesk", appauthor=False))
