"""The SQLite store (sqlite-utils only): connection, schema, repositories, audit log."""
