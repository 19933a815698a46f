"""`python -m vivace`: the `vivace` command, for environments where its script is not on PATH."""

import sys

from vivace.cli import main

if __name__ == "__main__":
    sys.exit(main())
