"""Pure rules: cases, people, statuses and moves between them. No I/O, no UI."""
