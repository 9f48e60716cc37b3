"""`python -m adapters.emulator ...` = `batchdeck emulator ...`."""

import sys

from .cli import main

sys.exit(main(sys.argv[1:]))
