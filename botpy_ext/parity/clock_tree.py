"""`python -m botpy_ext.parity.clock_tree SPEC.json`: the simulator and `freqtrade trade` of a
Virtual parity run as children of one process, so that both share one libfaketime clock.

libfaketime fakes a clock from the moment a process starts. Started under Debian's `faketime`
wrapper with FAKETIME_DONT_RESET=1, every process of the tree continues the clock of the tree
(the wrapper keeps its start in shared memory) instead of starting its own: the simulator and
the bot read the same time to the microsecond, whenever each of them was started. Two processes
given the same FAKETIME spec separately would be apart by their start-up latency times the
speed, enough for the bot to ask for a candle the simulator has not closed yet.

SPEC: {"simulator": argv, "simulator_log": path, "ping": url, "bot": argv, "bot_log": path}.
The bot's secrets come in this process's environment. It runs until the bot exits; SIGTERM or
SIGINT goes on to the bot; the simulator is stopped last.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import requests

from botpy_ext.processes import forwarding_to, spawn

SIMULATOR_START_S = 120.0  # fake seconds (the tree's clock) the simulator may take to answer


def answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).ok
    except requests.RequestException:
        return False


def start_simulator(spec: dict) -> subprocess.Popen:
    with Path(spec["simulator_log"]).open("w") as log:
        proc = spawn(spec["simulator"], stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + SIMULATOR_START_S
    while not answers(spec["ping"]):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.terminate()
            raise SystemExit(f"the simulator did not start (see {spec['simulator_log']})")
        time.sleep(0.1)
    return proc


def main(spec_path: str) -> int:
    spec = json.loads(Path(spec_path).read_text())
    simulator = start_simulator(spec)
    try:
        with Path(spec["bot_log"]).open("w") as log:
            bot = spawn(spec["bot"], stdout=subprocess.DEVNULL, stderr=log)
        with forwarding_to(bot):
            return bot.wait()
    finally:
        simulator.terminate()
        simulator.wait(timeout=60)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
