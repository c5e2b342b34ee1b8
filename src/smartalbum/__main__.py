"""``python -m smartalbum``."""

from smartalbum.cli import main

raise SystemExit(main())
