"""`python -m bot` is the `tokendesk` command."""

from bot.cli import main

raise SystemExit(main())
