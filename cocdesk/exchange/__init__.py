"""Files in and out: case exports (and later reports, bundles)."""
