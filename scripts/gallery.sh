#!/usr/bin/env bash
# Regenerate the README's gallery: each photo preset on the sample photo, a zoom animation, two
# neurons dreamt from noise and a guided dream, all with seed 2015.
# Usage: bash scripts/gallery.sh   (writes docs/gallery/cat-PRESET.jpg, cat-zoom.webp, noise-PRESET.jpg, cat-guided.jpg)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mkdir -p docs/gallery
for preset in classic textures patterns creatures nightmare subtle; do
    .venv/bin/python -m dreaming docs/sample-cat.jpg --preset "$preset" --seed 2015 --max-side 512 \
        -o "docs/gallery/cat-$preset.jpg" -q
done
# The endless zoom: 24 frames, each 5% closer and dreamt again (writes docs/gallery/cat-zoom.webp).
.venv/bin/python -m dreaming docs/sample-cat.jpg --frames 24 --zoom 1.05 --seed 2015 --max-side 320 \
    -o docs/gallery/cat-zoom.webp -q
# What one neuron sees, dreamt from seeded noise (writes docs/gallery/noise-PRESET.jpg).
for preset in neuron insects; do
    .venv/bin/python -m dreaming --from-noise 384x384 --preset "$preset" --seed 2015 \
        -o "docs/gallery/noise-$preset.jpg" -q
done
# A guided dream: the cat's dream steered toward the features of a coffee cup (scikit-image's
# `coffee`, CC0, kept as docs/sample-guide.jpg; writes docs/gallery/cat-guided.jpg).
.venv/bin/python -m dreaming docs/sample-cat.jpg --guide docs/sample-guide.jpg --seed 2015 --max-side 512 \
    -o docs/gallery/cat-guided.jpg -q
