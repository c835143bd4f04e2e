"""bench/gpu_check.py runs under JAX without TensorFlow, so borrowed GPU time isn't spent on its bugs."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def test_gpu_check_dreams_on_jax_on_the_cpu():
    pytest.importorskip("jax")
    from dreaming.weights import resolve

    # TensorFlow is made unimportable, as on the GPU machine: the script must not need it.
    blocker = "import sys; sys.modules['tensorflow'] = None; sys.argv = sys.argv[1:]; "
    run = f"{blocker}import runpy; runpy.run_path(sys.argv[0], run_name='__main__')"
    done = subprocess.run(
        [sys.executable, "-c", run, str(REPO / "bench" / "gpu_check.py"), "--weights", str(resolve()),
         "--size", "120", "--presets", "keras", "--precisions", "fp32"],
        env={**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"},
        capture_output=True, text=True, timeout=600, cwd=REPO)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [line.split() for line in done.stdout.splitlines() if line.startswith("keras ")]
    assert len(rows) == 1 and rows[0][1] == "fp32"
    seconds, tflops, tflop = map(float, rows[0][2:5])
    assert seconds > 0 and tflop > 0
