"""Vault-wide settings: event name, playbook text, creation time."""

from __future__ import annotations

import sqlite_utils


def get(db: sqlite_utils.Database, key: str, default: str | None = None) -> str | None:
    rows = list(db.table("meta").rows_where("key = ?", [key]))
    return str(rows[0]["value"]) if rows else default


def put(db: sqlite_utils.Database, key: str, value: str) -> None:
    db.table("meta").upsert({"key": key, "value": value}, pk="key")
