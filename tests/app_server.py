"""Launch `python app.py` on a free port, on its own copy of a built corpus and index."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from bot.config import PROJECT_ROOT, Config

PASSWORD = "correct horse battery staple"


@dataclass
class Server:
    url: str
    config: Config  # what the server runs on
    process: subprocess.Popen

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(
    built: Config,
    root: Path,
    password: str | None = PASSWORD,
    *,
    share: bool = False,
    env_extra: dict[str, str] | None = None,
) -> Server:
    """An app on a copy of `built`'s corpus and index in `root`, or (`share`) on the very
    same folders, as replicas run; its log is `root / "app.log"`."""
    root.mkdir(parents=True, exist_ok=True)
    if share:
        config = built.with_(feedback_db=root / "feedback.sqlite3")
    else:
        shutil.copytree(built.corpus_dir, root / "corpus")
        shutil.copytree(built.index_dir, root / "index")
        config = Config(
            corpus_dir=root / "corpus",
            index_dir=root / "index",
            feedback_db=root / "feedback.sqlite3",
        )
    port = free_port()
    env = {
        **os.environ,
        "SMABOT_CORPUS": str(config.corpus_dir),
        "SMABOT_INDEX": str(config.index_dir),
        "SMABOT_FEEDBACK_DB": str(config.feedback_db),
        "GRADIO_SERVER_PORT": str(port),
        "HF_HUB_OFFLINE": "1",
        **(env_extra or {}),
    }
    env.pop("SMABOT_STAFF_PASSWORD", None)
    if password:
        env["SMABOT_STAFF_PASSWORD"] = password
    log = (root / "app.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "app.py"], cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"app.py exited: {(root / 'app.log').read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return Server(url, config, proc)
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("app.py did not start within 120 s")
