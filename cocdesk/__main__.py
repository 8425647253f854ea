"""`python -m cocdesk` runs the same command as the `cocdesk` script."""

from cocdesk.cli import main

raise SystemExit(main())
