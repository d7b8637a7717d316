"""``python -m socialcare_local`` is the ``socialcare`` command."""

from socialcare_local.cli import main

raise SystemExit(main())
