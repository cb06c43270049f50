"""Packaging, docker-compose structure, secrets and the `botpy` launcher's refusals."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess

import yaml

from botpy_ext.secrets import API_SECRETS, api_secrets
from botpy_ext.simulator.client_config import DEFAULT_BASE_URL, simulator_exchange
from tests.helpers import BIN, CONFIG_DIR, REPO


class TestDockerCompose:
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    service = compose["services"]["botpy"]
    dockerfile = (REPO / service["build"]["dockerfile"]).read_text().splitlines()

    def test_built_from_the_official_freqtrade_image_of_the_pinned_version(self):
        assert self.dockerfile[1] == "FROM freqtradeorg/freqtrade:2026.9"

    def test_installs_botpy_ext_from_files_that_exist(self):
        copies = [line.split()[2:-1] for line in self.dockerfile if line.startswith("COPY")]
        for sources in copies:
            for source in sources:
                assert (REPO / source).exists(), source
        assert any("pip install" in line and "/opt/botpy" in line for line in self.dockerfile)

    def test_freqtrade_ui_published_on_loopback_only(self):
        assert self.service["ports"] == ["127.0.0.1:8080:8080"]

    def test_user_data_mounted(self):
        assert "./user_data:/freqtrade/user_data" in self.service["volumes"]

    def test_paper_mode_by_default(self):
        assert self.service["command"][-2:] == ["trade", "paper"]
        assert (CONFIG_DIR / "paper.json").exists()

    def test_dashboard_next_to_the_bot_on_loopback_only(self):
        dashboard = self.compose["services"]["dashboard"]
        assert dashboard["image"] == self.service["image"]
        assert dashboard["ports"] == ["127.0.0.1:8090:8090"]
        assert dashboard["command"][2:] == ["dashboard", "--api", "http://botpy:8080", "--host",
                                            "0.0.0.0"]
        assert "./user_data:/freqtrade/user_data" in dashboard["volumes"]
        assert not any("PASSWORD" in key for key in dashboard.get("environment", {}))

    def test_no_password_written(self):
        environment = self.service.get("environment", {})
        assert not any("PASSWORD" in key or "SECRET" in key for key in environment)
        assert self.service["env_file"][0]["required"] is False


def test_simulator_config_file_matches_the_code():
    """user_data/config/exchange-simulator.json is what `simulator_exchange()` builds."""
    import json

    stored = json.loads((CONFIG_DIR / "exchange-simulator.json").read_text())
    assert stored == {"exchange": simulator_exchange(DEFAULT_BASE_URL)}


class TestSecrets:
    def test_generated_once_private_and_stable(self, tmp_path):
        path = tmp_path / ".secrets.env"
        first, created = api_secrets({}, path)
        assert created and set(first) == set(API_SECRETS)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        second, created_again = api_secrets({}, path)
        assert second == first and not created_again
        assert all(not value.isdigit() and len(value) > 20 for value in first.values())

    def test_environment_takes_precedence(self, tmp_path):
        env = {"FREQTRADE__API_SERVER__PASSWORD": "from-env"}
        values, _ = api_secrets(env, tmp_path / ".secrets.env")
        assert values["FREQTRADE__API_SERVER__PASSWORD"] == "from-env"
        assert "from-env" not in (tmp_path / ".secrets.env").read_text()


def test_live_mode_refuses_to_start_without_exchange_keys(tmp_path):
    shutil.copytree(CONFIG_DIR, tmp_path / "config")  # the project's configs
    env = {k: v for k, v in os.environ.items() if not k.startswith("FREQTRADE__")}
    result = subprocess.run(
        [str(BIN / "botpy"), "--userdir", str(tmp_path), "trade", "live"],
        capture_output=True, text=True, env=env, timeout=60,
    )
    assert result.returncode == 2
    assert "FREQTRADE__EXCHANGE__KEY" in result.stderr


def test_dashboard_refuses_to_start_without_the_api_login(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("FREQTRADE__")}
    result = subprocess.run(
        [str(BIN / "botpy"), "--userdir", str(tmp_path), "dashboard"],
        capture_output=True, text=True, env=env, timeout=60,
    )
    assert result.returncode == 2
    assert "FREQTRADE__API_SERVER__PASSWORD" in result.stderr
    assert str(tmp_path / ".secrets.env") in result.stderr


def test_no_parameter_file_next_to_the_strategy():
    """freqtrade loads `BotpyStrategy.json` beside the strategy (hyperopt writes it there): one
    left in the repository would silently change every run."""
    from tests.helpers import STRATEGIES

    assert sorted(p.name for p in STRATEGIES.iterdir() if p.suffix == ".json") == []
