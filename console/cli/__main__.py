"""`python -m console.cli`: the same entry point as the `batchdeck` script."""

from console.cli.main import main

raise SystemExit(main())
