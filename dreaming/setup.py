"""`python -m dreaming.setup`: fetch and convert the default weights into the cache, once."""
from __future__ import annotations

import sys

from .errors import DreamError
from . import weights


def main() -> int:
    already = (weights.cache_dir() / weights.CONVERTED_NAME).is_file()
    try:
        path = weights.ensure_inception_2015()  # verifies the cached file's hash every time
    except DreamError as exc:
        print(f"setup: {exc}", file=sys.stderr)
        return 2
    if not already:  # say it once, when it happened; later runs stay quiet
        print(f"setup: weights ready at {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
