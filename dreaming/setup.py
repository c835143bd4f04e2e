"""`python -m dreaming.setup`: fetch and convert the default weights into the cache, once."""
from __future__ import annotations

import sys

from .errors import DreamError
from . import weights


def main() -> int:
    try:
        path = weights.ensure_inception_2015()
    except DreamError as exc:
        print(f"setup: {exc}", file=sys.stderr)
        return 2
    print(f"setup: weights ready at {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
