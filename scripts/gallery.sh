#!/usr/bin/env bash
# Regenerate the README's gallery: each built-in preset on the sample photo, seed 2015.
# Usage: bash scripts/gallery.sh   (writes docs/gallery/cat-PRESET.jpg)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mkdir -p docs/gallery
for preset in classic textures patterns creatures nightmare subtle; do
    .venv/bin/python -m dreaming docs/sample-cat.jpg --preset "$preset" --seed 2015 --max-side 512 \
        -o "docs/gallery/cat-$preset.jpg" -q
done
