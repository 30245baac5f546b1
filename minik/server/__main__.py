"""``python -m minik.server run`` (the control plane) and ``python -m minik.server delete [--all]``."""

import sys

from minik.server.main import main

sys.exit(main(sys.argv[1:]))
