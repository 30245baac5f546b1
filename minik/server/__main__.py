"""``python -m minik.server run``."""

import sys

from minik.server.main import main

sys.exit(main(sys.argv[1:]))
