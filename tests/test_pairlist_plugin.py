"""BotpyScannerPairList is loaded by the plain freqtrade CLI and webserver (botpy_ext's .pth
import hook, see botpy_ext/freqtrade_plugins), also after a forced reinstall of freqtrade."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pandas as pd
import requests

from tests.helpers import (
    BIN,
    CONFIG_DIR,
    REPO,
    TEST_SECRETS,
    answers,
    free_port,
    freqtrade,
    freqtrade_env,
    overlay_config,
    running_simulator,
    wait_until,
)

WHEELHOUSE = Path(sys.prefix) / "wheelhouse"  # filled by `make install`
LINK_SIGNAL = pd.Timestamp("2024-01-13T14:19:00Z")  # precision_breakout-1 of the synthetic market
FROZEN_AFTER_SIGNAL = ["--clock", "frozen", "--start", (LINK_SIGNAL + pd.Timedelta(seconds=90))
                       .isoformat()]
SCANNER_CHAIN = [{"method": "StaticPairList"}, {"method": "BotpyScannerPairList"}]

PROBE = """
from freqtrade.constants import AVAILABLE_PAIRLISTS
from freqtrade.config_schema.config_schema import CONF_SCHEMA
from freqtrade.resolvers.pairlist_resolver import PairListResolver
found = PairListResolver.search_all_objects({"user_data_dir": None}, False)
print("BotpyScannerPairList" in AVAILABLE_PAIRLISTS)
print("BotpyScannerPairList" in CONF_SCHEMA["properties"]["pairlists"]["items"]["properties"]
      ["method"]["enum"])
print([x["class"].__module__ for x in found if x["name"] == "BotpyScannerPairList"])
"""


def python(code: str) -> list[str]:
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, cwd="/")
    assert result.returncode == 0, result.stderr
    return result.stdout.split("\n")


def test_a_new_interpreter_registers_the_name_and_the_search_path():
    assert python(PROBE)[:3] == ["True", "True", "['BotpyScannerPairList']"]


def test_the_hook_itself_imports_neither_freqtrade_nor_pandas():
    assert python("import sys; print(sorted({'freqtrade', 'pandas'} & set(sys.modules)))")[0] \
        == "[]"


def test_no_file_is_added_to_freqtrade():
    """The mechanism writes nothing into freqtrade's folder: every file there is freqtrade's,
    except a FreqUI build in the folder `freqtrade install-ui` (and `botpy install-ui`) fills."""
    recorded = {str(f) for f in metadata.files("freqtrade") if f.parts[0] == "freqtrade"}
    package = Path(metadata.distribution("freqtrade").locate_file("freqtrade"))
    ui_build = package / "rpc" / "api_server" / "ui" / "installed"
    on_disk = {str(p.relative_to(package.parent)) for p in package.rglob("*")
               if p.is_file() and "__pycache__" not in p.parts
               and (not p.is_relative_to(ui_build) or p.name == ".gitkeep")}
    assert on_disk - recorded == set()


def test_pairlist_runs_after_a_forced_reinstall_of_freqtrade(synthetic_market, tmp_path, userdir):
    wheels = list(WHEELHOUSE.glob("freqtrade-2026.9-*.whl"))
    assert wheels, f"no freqtrade wheel in {WHEELHOUSE}: run `make install` (it downloads it)"
    reinstall = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--force-reinstall", "--no-deps",
         "--no-index", "--find-links", str(WHEELHOUSE), "freqtrade==2026.9"],
        capture_output=True, text=True, timeout=600)
    assert reinstall.returncode == 0, reinstall.stderr
    assert python(PROBE)[:3] == ["True", "True", "['BotpyScannerPairList']"]
    with running_simulator(synthetic_market, *FROZEN_AFTER_SIGNAL) as base:
        config = overlay_config(tmp_path, "base", base, pairs=[".*/USDT"],
                                pairlists=SCANNER_CHAIN)
        result = freqtrade("test-pairlist", "-c", str(config), "--userdir", str(userdir),
                           "--print-json")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Using resolved pairlist BotpyScannerPairList" in result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1])[0] == "LINK/USDT"


def test_webserver_offers_and_evaluates_the_scanner(synthetic_market, tmp_path, userdir):
    """FreqUI's Pairlist Config page: the scanner with its parameters, and an evaluation."""
    port = free_port()
    bots_file = userdir / "scanner" / "scanner.json"  # a bot of this user directory writes it
    bots_file.parent.mkdir(parents=True, exist_ok=True)
    bots_file.write_text('{"whitelist": ["the bot\'s"]}')
    with running_simulator(synthetic_market, *FROZEN_AFTER_SIGNAL) as base:
        config = overlay_config(tmp_path, "base", base, pairs=[".*/USDT"],
                                pairlists=SCANNER_CHAIN, add_config_files=[
                                    str(CONFIG_DIR / "base.json"),
                                    str(CONFIG_DIR / "api-server.json")],
                                api_server={"listen_port": port})
        proc = subprocess.Popen(
            [str(BIN / "freqtrade"), "webserver", "-c", str(config), "--userdir", str(userdir)],
            cwd=REPO, env=freqtrade_env(**TEST_SECRETS), stdout=subprocess.DEVNULL,
            stderr=(tmp_path / "webserver.log").open("w"))
        api = f"http://127.0.0.1:{port}/api/v1"
        auth = ("botpy", TEST_SECRETS["FREQTRADE__API_SERVER__PASSWORD"])
        try:
            wait_until(lambda: proc.poll() is not None or answers(f"{api}/ping"), 120)
            assert proc.poll() is None, (tmp_path / "webserver.log").read_text()[-3000:]
            available = requests.get(f"{api}/pairlists/available", auth=auth, timeout=30).json()
            scanner = next(p for p in available["pairlists"]
                           if p["name"] == "BotpyScannerPairList")
            assert not scanner["is_pairlist_generator"]
            assert scanner["params"]["min_score"]["default"] == 60.0
            job = requests.post(f"{api}/pairlists/evaluate", auth=auth, timeout=30, json={
                "pairlists": SCANNER_CHAIN, "blacklist": [], "stake_currency": "USDT"}).json()
            result = {}

            def evaluated() -> bool:
                answer = requests.get(f"{api}/pairlists/evaluate/{job['job_id']}", auth=auth,
                                      timeout=30)
                result.update(answer.json() if answer.ok else {})
                return answer.ok

            wait_until(evaluated, 120, interval=1)
            assert result["status"] == "success", result
            assert result["result"]["whitelist"][0] == "LINK/USDT"
            # a trial evaluation leaves the running bot's scanner file (the dashboard's) alone
            assert bots_file.read_text() == '{"whitelist": ["the bot\'s"]}'
        finally:
            proc.terminate()
            proc.wait(timeout=60)
            bots_file.unlink(missing_ok=True)
