"""`botpy dashboard`: the scanner view and the History CSV export, served on 127.0.0.1.

The page reads the scanner JSON the pairlist writes, and the bot's whitelist and closed trades
through freqtrade's REST API. The API login stays in this process (from the environment or the
user directory's `.secrets.env`): the browser never holds it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import requests
from fastapi import FastAPI, HTTPException
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.middleware.trustedhost import TrustedHostMiddleware

from botpy_ext.dashboard.history import closed_trades, to_csv

PAGE = Path(__file__).parent / "static" / "scanner.html"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost")
API_TIMEOUT = 10.0


@dataclass(frozen=True)
class FreqtradeApi:
    """freqtrade's REST API with the user's login (HTTP basic auth, as freqtrade accepts)."""

    url: str
    username: str
    password: str

    def get(self, path: str, **params) -> dict | list:
        try:
            answer = requests.get(f"{self.url.rstrip('/')}/api/v1/{path}", params=params,
                                  auth=(self.username, self.password), timeout=API_TIMEOUT)
        except requests.RequestException as exc:
            raise HTTPException(502, f"freqtrade API at {self.url} unreachable: {exc}") from None
        if answer.status_code == 401:
            raise HTTPException(502, f"freqtrade API at {self.url} refused the login of "
                                f"{self.username!r}")
        if not answer.ok:
            raise HTTPException(502, f"freqtrade API /{path} answered {answer.status_code}")
        return answer.json()


def served_hosts(bind: str) -> list[str]:
    """The names a browser may call the dashboard by: the loopback ones, and the address it is
    bound to when that is one address (not 0.0.0.0). A page of another site that renames
    itself to 127.0.0.1 (DNS rebinding) still sends its own name and is refused."""
    return [*LOOPBACK_HOSTS, *([bind] if bind not in (*LOOPBACK_HOSTS, "0.0.0.0", "::") else [])]


def create_app(api: FreqtradeApi, scanner_json: Path,
               hosts: list[str] | tuple[str, ...] = LOOPBACK_HOSTS) -> FastAPI:
    app = FastAPI(title="BOTPY dashboard", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(hosts))

    @app.get("/", response_class=HTMLResponse)
    def page() -> str:
        return PAGE.read_text()

    @app.get("/scanner.json")
    def scanner() -> JSONResponse:
        if not scanner_json.exists():
            raise HTTPException(404, f"no scanner output yet at {scanner_json}: is the bot "
                                "running with BotpyScannerPairList?")
        return JSONResponse(json.loads(scanner_json.read_text()))

    @app.get("/bot/whitelist")
    def whitelist() -> dict:
        return api.get("whitelist")

    @app.get("/history.csv")
    def history() -> Response:
        trades = closed_trades(lambda limit, offset: api.get("trades", limit=limit,
                                                             offset=offset))
        name = f"botpy-history-{datetime.now(UTC):%Y%m%d-%H%M}.csv"
        return Response(to_csv(trades), media_type="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    return app
