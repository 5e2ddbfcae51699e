"""``python -m kimi_core.emulator``: the old way to start ``python -m kimi_emulator``."""

import sys

from kimi_emulator.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
