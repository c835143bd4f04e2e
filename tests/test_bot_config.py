"""The operator's config.yaml: defaults, every section read, env overrides, one-line errors."""
from __future__ import annotations

import dataclasses
import textwrap
from pathlib import Path

import pytest
import yaml

from bot.config import DEFAULT_PRIVACY_REMINDER, Config, ConfigError, load_config

REPO = Path(__file__).resolve().parent.parent

FULL = """
discord:
  token: file-token
  api_base: http://127.0.0.1:9/api/v10
  prefix: "?"
  dev_guild: 1234
  sync_commands: false
pool:
  workers: 2
  max_queue: 5
  per_user: 1
  job_timeout: 90
limits:
  max_side: 800
  octaves: 4
  steps: 30
  step_size: 0.03
  max_frames: 12
  max_attachment_mb: 8
  max_megapixels: 24
  max_work: 60
dream:
  default_preset: textures
  presets_files: [ours.yaml]
  recent_image_minutes: 2
  progress_interval: 5
  privacy_reminder: Be kind.
"""


def write(tmp_path, text: str):
    path = tmp_path / "config.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_no_file_means_the_defaults():
    config = load_config(None, env={})
    assert config == Config()
    assert config.dream.privacy_reminder == DEFAULT_PRIVACY_REMINDER and config.discord.token == ""


def test_every_section_is_read(tmp_path):
    config = load_config(write(tmp_path, FULL), env={})

    assert (config.discord.token, config.discord.prefix, config.discord.dev_guild) == ("file-token", "?", 1234)
    assert config.discord.sync_commands is False
    assert (config.pool.workers, config.pool.max_queue, config.pool.per_user) == (2, 5, 1)
    assert config.pool.job_timeout == 90.0 and isinstance(config.pool.job_timeout, float)
    assert config.caps == {"max_side": 800, "octaves": 4, "steps": 30, "step_size": 0.03, "frames": 12}
    assert (config.limits.max_attachment_mb, config.limits.max_megapixels) == (8.0, 24.0)
    assert config.limits.max_work == 60.0 and isinstance(config.limits.max_work, float)
    assert config.dream.presets_files == ("ours.yaml",) and config.dream.privacy_reminder == "Be kind."
    assert (config.dream.recent_image_minutes, config.dream.progress_interval) == (2.0, 5.0)


def test_environment_overrides_token_and_api_base(tmp_path):
    env = {"DISCORD_TOKEN": "env-token", "DISCORD_API_BASE": "http://fake:1/api/v10"}
    config = load_config(write(tmp_path, FULL), env=env)
    assert (config.discord.token, config.discord.api_base) == ("env-token", "http://fake:1/api/v10")
    assert config.discord.prefix == "?", "the rest of the file still applies"


def test_the_token_is_not_in_the_configs_repr(tmp_path):
    config = load_config(write(tmp_path, FULL), env={"DISCORD_TOKEN": "s3cret-token"})
    assert "s3cret-token" not in repr(config) and "s3cret-token" not in str(config.discord)


@pytest.mark.parametrize("text, message", [
    ("pool:\n  max_queu: 3\n", "unknown config key 'pool.max_queu'; did you mean 'max_queue'?"),
    ("dreams:\n  prefix: '!'\n", "unknown config key 'dreams'; did you mean 'dream'?"),
    ("pool:\n  workers: 0\n", "config key 'pool.workers' must be 'auto' or at least 1"),
    ("pool:\n  workers: two\n", "config key 'pool.workers' must be 'auto' or at least 1"),
    ("pool:\n  max_queue: true\n", "config key 'pool.max_queue' must be int, not True"),
    ("pool:\n  job_timeout: soon\n", "config key 'pool.job_timeout' must be float, not 'soon'"),
    ("limits:\n  max_side: 50\n", "config key 'limits.max_side' must be between 75 and 8192"),
    ("limits:\n  max_frames: 0\n", "config key 'limits.max_frames' must be between 1 and 360"),
    ("limits:\n  max_work: 0\n", "config key 'limits.max_work' must be above 0 (units of work)"),
    ("limits:\n  max_work: lots\n", "config key 'limits.max_work' must be float or null, not 'lots'"),
    ("dream:\n  presets_files: ours.yaml\n", "config key 'dream.presets_files' must be a list of strings"),
    ("dream:\n  progress_interval: 0.2\n", "config key 'dream.progress_interval' must be at least 1 second"),
    ("discord: [token]\n", "discord must be a mapping of keys to values"),
    ("- just\n- a list\n", "the config must be a mapping of keys to values"),
    ("pool: {workers: 2\n", "cannot read"),
])
def test_bad_config_is_one_line_naming_the_key(tmp_path, text, message):
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text), env={})
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_missing_file_says_what_to_do(tmp_path):
    with pytest.raises(ConfigError, match=r"config file not found: .*nope\.yaml \(copy config\.yaml\.example\)"):
        load_config(tmp_path / "nope.yaml", env={})


def test_the_example_config_is_valid_and_shows_the_defaults():
    """config.yaml.example documents every key with its default: loading it changes nothing."""
    example = load_config(REPO / "config.yaml.example", env={})
    assert example == Config()


def test_every_config_key_is_documented_in_the_example():
    raw = yaml.safe_load((REPO / "config.yaml.example").read_text())
    for section in dataclasses.fields(Config):
        keys = {f.name for f in dataclasses.fields(getattr(Config(), section.name))}
        assert set(raw[section.name]) == keys, section.name
