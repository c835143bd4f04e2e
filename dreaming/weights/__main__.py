"""`dreambot-weights` (or `python -m dreaming.weights`): fetch and convert the default
weights into the cache, once; later runs only verify the cached file's hash."""
from __future__ import annotations

import sys

from dreaming.errors import DreamError
from dreaming.weights.fetch import ensure_inception_2015
from dreaming.weights.pins import CONVERTED_NAME, cache_dir


def main() -> int:
    already = (cache_dir() / CONVERTED_NAME).is_file()
    try:
        path = ensure_inception_2015()  # verifies the cached file's hash every time
    except DreamError as exc:
        print(f"setup: {exc}", file=sys.stderr)
        return 2
    if not already:  # say it once, when it happened; later runs stay quiet
        print(f"setup: weights ready at {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
