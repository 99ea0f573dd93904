"""The chat app, one FastAPI app: the families' page (`/`, plain HTML, bot/app/page.py),
the source viewer (`/source/...`), the JSON API (`/api/ask`), and Gradio for the staff
page (`/staff`) and the Gradio API (`ask`, `feedback`).

    python app.py            # or: smabot app

Binds to 127.0.0.1:7860 unless `GRADIO_SERVER_NAME` / `GRADIO_SERVER_PORT` say otherwise,
and never opens a public share link. Builds the index first if there is none.
"""

from __future__ import annotations

import os
from pathlib import Path

from bot.app.state import AppState
from bot.config import Config

CSS = (Path(__file__).parent / "style.css").read_text(encoding="utf-8")
# Gradio marks an empty file or table with a bare <div aria-label="Empty value">, which
# ARIA forbids (axe-core: aria-prohibited-attr); give such divs the role their label needs.
# Its upload area is labelled "Click to upload or drop files" over the visible "Drop File
# Here - or - Click to Upload" (axe-core: label-content-name-mismatch): let the visible
# words name it.
# The staff page's uploads carry the password typed in its box (bot/app/edge.py refuses
# any other upload); Gradio's client calls the global fetch for them.
HEAD = """<script>
const smabotFetch = window.fetch;
window.fetch = function (input, init) {
  const url = typeof input === "string" ? input : (input && input.url) || "";
  if (url.includes("/gradio_api/upload")) {
    const box = document.querySelector("#staff-password input, #staff-password textarea");
    const headers = new Headers((init && init.headers) || {});
    if (box && box.value) headers.set("X-Staff-Password", encodeURIComponent(box.value));
    init = Object.assign({}, init, {headers});
  }
  return smabotFetch.call(this, input, init);
};
new MutationObserver(() => {
  for (const d of document.querySelectorAll("div.empty[aria-label]:not([role])"))
    d.setAttribute("role", "img");
  for (const d of document.querySelectorAll('[aria-label="Click to upload or drop files"]'))
    d.removeAttribute("aria-label");
}).observe(document.documentElement, {childList: true, subtree: true});
</script>"""


def create_app(state: AppState):
    """(FastAPI app, Gradio Blocks) for a loaded state."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import warnings

    import gradio as gr
    from fastapi import FastAPI

    from bot.app.api import MAX_WAITING, Gate, add_api_routes, quiet_errors
    from bot.app.chat import add_chat_api
    from bot.app.edge import add_edge
    from bot.app.page import add_page_routes
    from bot.app.source import add_source_route
    from bot.app.staff import build_staff

    # we turn SSR off ourselves (it does not work for mounted multipage apps)
    warnings.filterwarnings("ignore", message="SSR mode is not supported")
    gate = Gate()
    # uploads and other files Gradio keeps are deleted an hour after they arrive
    with gr.Blocks(title="smabot API", delete_cache=(600, 3600)) as demo:
        add_chat_api(state, gate)
    with demo.route("Staff", "/staff"):
        build_staff(state)
    # Every Gradio event waits in one bounded queue (a full queue answers 503 at once);
    # `/gradio_api/run/...`, which would skip the queue, is closed.
    demo.queue(max_size=MAX_WAITING, default_concurrency_limit=1, api_open=False)
    bound_gradio_memory(demo)
    quiet_gradio_errors(demo)
    app = FastAPI(title="smabot", docs_url=None, redoc_url=None, openapi_url=None)
    add_api_routes(app, state, gate)
    add_edge(app, state, gate, os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"))
    add_page_routes(app, state, gate)  # before Gradio's mount: `/` is the families' page
    add_source_route(app, state)
    app = gr.mount_gradio_app(
        app,
        demo,
        path="/",
        css=CSS,
        head=HEAD,
        ssr_mode=False,
        max_file_size="10mb",
        show_error=True,
        footer_links=["api"],
        run_history=False,  # no staff password or family message kept in the browser
        enable_monitoring=False,  # /monitoring/summary would be public
    )
    for route in app.routes:  # Gradio's own FastAPI app, mounted at "/"
        if getattr(route, "app", None) is not None and hasattr(route.app, "get_blocks"):
            quiet_errors(route.app)
    return app, demo


TRUSTED_PROXIES_VARIABLE = "SMABOT_TRUSTED_PROXIES"

# Gradio keeps each session's state and undelivered messages in memory, up to 10,000 and
# 2,000 sessions; every API call is a new session, so at about 120 KB each the server grew
# ~120 MB per 1,000 questions until those caps (benchmarks/soak.py). Our sessions carry
# little worth keeping: only replies not yet collected, and at most 36 Gradio events are
# running or queued at once (4 + the queue's 32). 256 kept a flood's abandoned replies
# (~30 MB, benchmarks/flood.py); 64 keep ~8 MB.
SESSIONS_KEPT = 64


def bound_gradio_memory(demo) -> None:
    """Cap the per-session structures Gradio keeps (state, pending messages) and its
    record of past events (10,000 by default, read only by the monitoring we turn off)."""
    from gradio.utils import LRUCache

    demo.state_session_capacity = SESSIONS_KEPT
    demo._queue.pending_messages_per_session = LRUCache(SESSIONS_KEPT)
    demo._queue.ANALYTICS_MAX_EVENTS = SESSIONS_KEPT


def tame_malloc() -> bool:
    """Ask glibc's allocator to give memory back: buffers over 128 KB mapped on their own
    (returned when freed, instead of a threshold that grows to 32 MB and keeps them in
    the heap), the heap trimmed past 256 KB free, two arenas instead of 8 per core.
    Call first thing in the server process. False where there is no glibc (nothing done).
    benchmarks/flood.py, RSS 10 s after the flood: +132 MB without, +106 MB with the same
    settings given as MALLOC_* environment variables."""
    import ctypes
    import ctypes.util

    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    m_trim_threshold, m_mmap_threshold, m_arena_max = -1, -3, -8  # glibc's <malloc.h>
    settings = ((m_mmap_threshold, 128 * 1024), (m_trim_threshold, 256 * 1024), (m_arena_max, 2))
    return all(mallopt(option, value) == 1 for option, value in settings)


def quiet_gradio_errors(demo) -> None:
    """Gradio prints a call with too few inputs to the log with the inputs it got (a
    staff password, a family's message); say only the counts, to the caller."""
    import gradio as gr

    def validate_inputs(block_fn, inputs: list) -> None:
        if len(inputs) < len(block_fn.inputs):
            raise gr.Error(
                f"This call needs {len(block_fn.inputs)} inputs; it sent {len(inputs)}.",
                print_exception=False,
            )

    demo.validate_inputs = validate_inputs


def main(config: Config | None = None) -> None:
    import logging
    import sys

    import uvicorn

    from bot.errors import SmabotError

    tame_malloc()
    # one line per event, never a message's text: see bot/app/staff.py and bot/app/api.py
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s: %(message)s")
    config = config or Config.from_env()
    host = os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1")
    port = int(os.environ.get("GRADIO_SERVER_PORT", "7860"))
    try:
        state = AppState.load(config)
    except SmabotError as err:
        print(f"smabot: {err}", file=sys.stderr)
        sys.exit(err.exit_code)
    app, _ = create_app(state)
    staff = "on" if state.staff_enabled else "off (set SMABOT_STAFF_PASSWORD to turn it on)"
    print(
        f"smabot is ready at http://{host}:{port}/  (staff view: {staff}; "
        f"feedback: {state.feedback.describe()})",
        flush=True,
    )
    # X-Forwarded-For is believed only from these (comma-separated addresses or networks)
    proxies = os.environ.get(TRUSTED_PROXIES_VARIABLE, "").strip()
    # clients keep event streams open; don't let them hold up a stop for long
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="warning",
        timeout_graceful_shutdown=3,
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies or None,
    )
