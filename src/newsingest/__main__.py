"""``python -m newsingest`` runs the command-line interface."""

import sys

from newsingest.cli import main

sys.exit(main())
