"""``python -m litetrack`` entry point."""

import sys

from litetrack.cli import main

if __name__ == "__main__":
    sys.exit(main())
