"""`python -m engine.cli ...`: the headless command line (how a detached run is started)."""

import sys

from engine.cli import main

sys.exit(main())
