"""Derive reference activations of the ORIGINAL inception-2015 network, once, with torch.

Not run by the test suite (torch is not a dependency). How the JSON beside it was made:

    python -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install torch==2.13.0 numpy
    .venv/bin/python tests/reference/make_inception_reference.py input /tmp/ref_input.npy
    /tmp/torchenv/bin/python tests/reference/make_inception_reference.py torch ~/.cache/dreambot/inception-2015.pt \
        /tmp/ref_input.npy tests/reference/inception2015_activations.json

The input is a fixed 299x299 crop of scikit-image's `chelsea` photo, scaled (x - 128) / 128
as the original graph expects. For a few blocks we record the per-channel spatial means of
the first 16 channels and the overall mean: numbers the converted Keras model must reproduce.
"""
from __future__ import annotations

import json
import sys

import numpy as np

BLOCKS = {"mixed0": "mixed", "mixed2": "mixed_2", "mixed5": "mixed_5", "mixed7": "mixed_7",
          "mixed9": "mixed_9"}
CHANNELS = 16


def reference_input() -> np.ndarray:
    """299x299x3 float32 in [-1, 1): a crop of a real photo, no resampling involved."""
    import skimage.data
    crop = skimage.data.chelsea()[:299, 76:375].astype(np.float32)
    return (crop - 128.0) / 128.0


def torch_activations(pt_path: str, x: np.ndarray) -> dict:
    import torch
    net = torch.jit.load(pt_path).net.layers
    out, h = {}, torch.from_numpy(x.transpose(2, 0, 1)[None].copy())
    wanted = {v: k for k, v in BLOCKS.items()}
    with torch.no_grad():
        for name, module in net.named_children():
            h = module(h)
            if name in wanted:
                a = h[0].numpy()
                out[wanted[name]] = {"channel_means": a[:CHANNELS].mean(axis=(1, 2)).tolist(),
                                     "mean": float(a.mean()), "shape": list(a.shape[1:]) + [a.shape[0]]}
    return out


if __name__ == "__main__":
    if sys.argv[1] == "input":
        np.save(sys.argv[2], reference_input())
    else:
        acts = torch_activations(sys.argv[2], np.load(sys.argv[3]))
        with open(sys.argv[4], "w") as f:
            json.dump({"source": "inception-2015 via torch.jit", "activations": acts}, f, indent=1)
