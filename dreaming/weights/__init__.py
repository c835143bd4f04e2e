"""The model's weights: where they come from, the one-time conversion, and the cache.

- `pins`: the pinned hashes and names, the cache folder, and the checks on every file;
- `torchzip`: reads a TorchScript archive's tensors with zipfile, pickle and numpy (no torch);
- `convert`: maps Google's inception-2015 tensors onto Keras' InceptionV3;
- `fetch`: turns a `--weights` source into a verified file, fetching and converting once;
- `__main__`: the `dreambot-weights` command (`python -m dreaming.weights`).
"""
from __future__ import annotations

from dreaming.weights.fetch import ensure_inception_2015, resolve
from dreaming.weights.pins import CONVERTED_NAME, DEFAULT_SOURCE, FIX, IMAGENET_FIX, cache_dir

__all__ = ["CONVERTED_NAME", "DEFAULT_SOURCE", "FIX", "IMAGENET_FIX", "cache_dir",
           "ensure_inception_2015", "resolve"]
