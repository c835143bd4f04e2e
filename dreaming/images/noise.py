"""A seeded noise picture to dream from when there is no photo: "what does this neuron see".

The Inceptionism post grew its pictures from noise; feature-visualisation work (lucid)
found that the kind of noise matters. White noise puts most of its energy in the finest
pixels, and gradient ascent from it paints a harsh high-frequency mesh. Here the noise has
the spectrum of natural photos instead, amplitude falling as 1/frequency (lucid's
"decay_power" 1), so coarse blotches and fine grain are both present and the network can
grow structure at every scale. It sits close to grey (a standard deviation of `AMPLITUDE`
levels around 128): a faint start that the dream, not the noise, paints over.
"""
from __future__ import annotations

import numpy as np

#: standard deviation of the noise, in 0-255 levels, around mid-grey
AMPLITUDE = 24.0


def noise_image(size: tuple[int, int], seed: int, *, amplitude: float = AMPLITUDE) -> np.ndarray:
    """uint8 (height, width, 3) 1/f noise around grey; the same `seed` gives the same pixels."""
    height, width = size
    rng = np.random.default_rng(seed)
    # Frequencies of a real 2-D FFT, in cycles per pixel; the lowest is one cycle per image.
    fy = np.fft.fftfreq(height)[:, None]
    fx = np.fft.rfftfreq(width)[None, :]
    falloff = 1.0 / np.maximum(np.hypot(fx, fy), 1.0 / max(height, width))
    falloff[0, 0] = 0.0  # no constant term: the mean is set to grey below
    spectrum = rng.standard_normal((3, *falloff.shape)) + 1j * rng.standard_normal((3, *falloff.shape))
    planes = np.fft.irfft2(spectrum * falloff, s=(height, width))
    planes *= amplitude / (planes.std() + 1e-12)
    pixels = 128.0 + np.moveaxis(planes, 0, -1)
    return np.clip(np.rint(pixels), 0, 255).astype(np.uint8)
