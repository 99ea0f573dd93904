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
- Wrong passwords are slowed per client (bot/app/state.py, `Attempts`), here as on the
  staff page.
"""

from __future__ import annotations

from urllib.parse import unquote

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from bot.app.state import AppState

STAFF_HEADER = "x-staff-password"
HOSTS_VARIABLE = "SMABOT_ALLOWED_HOSTS"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "Referrer-Policy": "same-origin",
}


def client_of(request) -> str:
    """The client's address (uvicorn has applied SMABOT_TRUSTED_PROXIES already)."""
    client = getattr(request, "client", None)
    return getattr(client, "host", None) or "?"


def allowed_hosts(server_name: str) -> list[str]:
    import os

    listed = os.environ.get(HOSTS_VARIABLE, "").strip()
    if listed:
        return [h.strip() for h in listed.split(",") if h.strip()]
    own = [] if server_name in ("0.0.0.0", "::", "") else [server_name]
    return [*own, "127.0.0.1", "localhost", "::1", "[::1]"]


def add_edge(app: FastAPI, state: AppState, server_name: str) -> None:
    """The middleware above; call after the app's other middleware (it runs first)."""
    from starlette.middleware.trustedhost import TrustedHostMiddleware

    def refuse(status: int, message: str) -> JSONResponse:
        return JSONResponse({"error": message}, status_code=status, headers=SECURITY_HEADERS)

    @app.middleware("http")
    async def edge(request: Request, call_next):
        path = request.url.path
        if path.startswith(("/gradio_api/file=", "/gradio_api/file/", "/file=")):
            return refuse(404, "Nothing is served here.")
        if path.rstrip("/") == "/gradio_api/upload" and request.method == "POST":
            refused = staff_only(request)
            if refused is not None:
                return refused
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    def staff_only(request: Request) -> JSONResponse | None:
        if not state.staff_enabled:
            return refuse(403, "Uploads are off: the staff view is off.")
        given = unquote(request.headers.get(STAFF_HEADER, ""))
        why = state.staff_refusal(given, client_of(request))
        return None if why is None else refuse(403, f"Uploads need the staff password. {why}")

    @app.middleware("http")
    async def no_forwarded_host(request: Request, call_next):
        # Gradio would build its root URL from it (bot/app/api.py: no proxy is trusted
        # for it; a proxy passes the Host header instead)
        request.scope["headers"] = [
            (k, v) for k, v in request.scope["headers"] if k != b"x-forwarded-host"
        ]
        return await call_next(request)

    app.add_middleware(
        TrustedHostMiddleware, allowed_hosts=allowed_hosts(server_name), www_redirect=False
    )
