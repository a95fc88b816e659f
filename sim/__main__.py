"""``python -m sim``: the same as the ``tradewar`` command."""

import sys

from sim.cli import main

sys.exit(main())
