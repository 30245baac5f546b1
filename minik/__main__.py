"""``python -m minik``."""

import sys

from minik.cli.main import main

sys.exit(main())
