"""Headless Chromium driven over the DevTools protocol (Debian's `chromium` package)."""

from __future__ import annotations

import base64
import itertools
import json
import re
import shutil
import subprocess
import time
from pathlib import Path

import requests
from websockets.sync.client import connect

DEVTOOLS = re.compile(r"DevTools listening on (ws://\S+)")


def chromium_binary() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Browser:
    """One headless Chromium with one page; `evaluate` runs JavaScript in it."""

    def __init__(self, profile: Path, width: int = 1400, height: int = 900) -> None:
        binary = chromium_binary()
        assert binary, "Debian's chromium package is not installed (apt-get install chromium)"
        self.proc = subprocess.Popen(
            [binary, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--remote-debugging-port=0", f"--user-data-dir={profile}",
             f"--window-size={width},{height}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        endpoint = self._endpoint()
        port = endpoint.split(":")[2].split("/")[0]
        page = next(t for t in requests.get(f"http://127.0.0.1:{port}/json", timeout=10).json()
                    if t["type"] == "page")
        self._connection = connect(page["webSocketDebuggerUrl"], max_size=None)
        self.socket = self._connection.__enter__()
        self.ids = itertools.count(1)

    def _endpoint(self) -> str:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            if match := DEVTOOLS.search(line):
                return match.group(1)
        raise AssertionError("chromium did not start its DevTools endpoint")

    def call(self, method: str, **params) -> dict:
        call_id = next(self.ids)
        self.socket.send(json.dumps({"id": call_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv(timeout=60))
            if message.get("id") == call_id:
                assert "error" not in message, message["error"]
                return message["result"]

    def open(self, url: str) -> None:
        self.call("Page.navigate", url=url)

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True,
                           awaitPromise=True)
        assert "exceptionDetails" not in result, result["exceptionDetails"]
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        # right after Page.navigate the old or an empty document may still be there
        # (document.body null): an expression that throws counts as "not yet"
        guarded = (f"(() => {{ try {{ return Boolean({expression}); }} "
                   f"catch (e) {{ return false; }} }})()")
        while time.monotonic() < deadline:
            if self.evaluate(guarded):
                return
            time.sleep(0.25)
        raise AssertionError(f"{expression} not true within {timeout} s")

    def screenshot(self, path: Path) -> None:
        data = self.call("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        self._connection.__exit__(None, None, None)
        self.proc.terminate()
        self.proc.wait(timeout=30)
