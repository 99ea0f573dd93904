"""The doors around Gradio: who may upload, what is served back, which hosts are
answered, the headers on every reply, and how fast a staff password may be guessed.

- `POST /gradio_api/upload` needs the staff password in `X-Staff-Password` (the staff
  page sends what is typed in its password box; bot/app/__init__.py's HEAD script), so
  nobody else can fill the disk and no cross-site page can make a visitor's browser do
  it (a custom header needs a CORS preflight Gradio does not grant). Its size limit is
  Gradio's `max_file_size` and the body limit (bot/app/api.py); an upload is deleted
  once used (bot/app/staff.py), and whatever is left by Gradio's cache clean-up.
- `/gradio_api/file=...` serves nothing: families get nothing from Gradio but JSON, and
  staff downloads (CSV, reports) come inside the password-checked reply itself.
- Every reply says `X-Content-Type-Options: nosniff` and refuses framing
  (`X-Frame-Options: DENY`, CSP `frame-ancestors 'none'`).
- Only the hosts in `SMABOT_ALLOWED_HOSTS` are answered (default: the server's own name,
  `localhost`, `127.0.0.1`); `X-Forwarded-Host` is dropped. Gradio builds its `/config`
  root and the `/logout` redirect from these, so a forged Host is never echoed.
- A refused POST is answered after `REFUSAL_DELAY` s (bot/app/api.py), so a flood
  retrying at once cannot keep the event loop from the families' questions.
- Wrong passwords are slowed per client (bot/app/state.py, `Attempts`), here as on the
  staff page.
"""

from __future__ import annotations

import asyncio
from urllib.parse import unquote

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.datastructures import MutableHeaders

from bot.app.api import GRADIO_RUN_PREFIXES, REFUSAL_DELAY, Gate, client_of
from bot.app.state import AppState

STAFF_HEADER = "x-staff-password"
# a POST refused (403 no password, 429 over the rate, 503 busy or Gradio's queue full) is
# answered after REFUSAL_DELAY s: a client that retries at once otherwise costs the
# server as much in turning it away as a question costs to answer (benchmarks/flood.py)
REFUSALS = (403, 429, 503)
HOSTS_VARIABLE = "SMABOT_ALLOWED_HOSTS"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "Referrer-Policy": "same-origin",
}


def allowed_hosts(server_name: str) -> list[str]:
    import os

    listed = os.environ.get(HOSTS_VARIABLE, "").strip()
    if listed:
        return [h.strip() for h in listed.split(",") if h.strip()]
    own = [] if server_name in ("0.0.0.0", "::", "") else [server_name]
    return [*own, "127.0.0.1", "localhost", "::1", "[::1]"]


def add_edge(app: FastAPI, state: AppState, gate: Gate, server_name: str) -> None:
    """The doors above, and `gate`'s rate for Gradio's API, as one plain ASGI middleware
    (each of Starlette's `@app.middleware` layers costs every request a task and two
    streams; under a flood that is the families' latency). Call after the app's other
    middleware: it runs first."""
    from starlette.middleware.trustedhost import TrustedHostMiddleware

    app.add_middleware(Edge, state=state, gate=gate)
    app.add_middleware(
        TrustedHostMiddleware, allowed_hosts=allowed_hosts(server_name), www_redirect=False
    )


class Edge:
    """See the module's docstring."""

    def __init__(self, app, state: AppState, gate: Gate):
        self.app, self.state, self.gate = app, state, gate

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        # Gradio would build its root URL from X-Forwarded-Host; a proxy passes Host
        headers = [(k, v) for k, v in scope["headers"] if k != b"x-forwarded-host"]
        scope = {**scope, "headers": headers}

        refusing_post = scope["method"] == "POST"

        async def send_secured(message):
            if message["type"] == "http.response.start":
                if refusing_post and message["status"] in REFUSALS:
                    await asyncio.sleep(REFUSAL_DELAY)
                out = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    if name not in out:
                        out[name] = value
            await send(message)

        refused = self.refusal(Request(scope))
        if refused is not None:
            return await refused(scope, receive, send_secured)
        await self.app(scope, receive, send_secured)

    def refusal(self, request: Request) -> JSONResponse | None:
        path, method = request.url.path, request.method
        if path.startswith(("/gradio_api/file=", "/gradio_api/file/", "/file=")):
            return _refuse(404, "Nothing is served here.")
        if method == "POST" and path.startswith(GRADIO_RUN_PREFIXES):
            return self.gate.over_rate(request)
        if method == "POST" and path.rstrip("/") == "/gradio_api/upload":
            if not self.state.staff_enabled:
                return _refuse(403, "Uploads are off: the staff view is off.")
            given = unquote(request.headers.get(STAFF_HEADER, ""))
            why = self.state.staff_refusal(given, client_of(request))
            if why is not None:
                return _refuse(403, f"Uploads need the staff password. {why}")
        return None


def _refuse(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)
