"""`python -m sim` is the `tabletop` command."""

import sys

from sim.cli import main

sys.exit(main())
