"""A rebuild from the staff view, in its own process: at lower priority (`NICE`) and on
`SMABOT_BUILD_THREADS` threads (default 1), so on a small server the families' replies
keep a core while the new index is embedded. The app loads the result when it is done
(bot/app/state.py); until then it answers from the index it has.

    python -m bot.app.rebuild      # what the app runs: builds for SMABOT_CORPUS/INDEX/MODEL
                                   # and prints the build summary as one JSON line
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import asdict

from bot.build import BuildSummary
from bot.config import Config
from bot.errors import SmabotError

NICE = 10
THREADS_VARIABLE = "SMABOT_BUILD_THREADS"


def build_in_child(config: Config) -> BuildSummary:
    """Build `config`'s index in a child process; its summary, or SmabotError saying why
    not (the previous index is untouched then)."""
    threads = os.environ.get(THREADS_VARIABLE) or "1"
    env = {
        **os.environ,
        "SMABOT_CORPUS": str(config.corpus_dir),
        "SMABOT_INDEX": str(config.index_dir),
        "SMABOT_MODEL": config.model,
        "OMP_NUM_THREADS": threads,
        "MKL_NUM_THREADS": threads,
        "TOKENIZERS_PARALLELISM": "false",
        "HF_HUB_OFFLINE": os.environ.get("HF_HUB_OFFLINE", "1"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot.app.rebuild"], env=env, capture_output=True, text=True
    )
    lines = done.stdout.strip().splitlines()
    try:
        data = json.loads(lines[-1]) if lines else {}
    except json.JSONDecodeError:
        data = {}
    if "error" in data:
        raise SmabotError(data["error"])
    if done.returncode != 0 or "version" not in data:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1][:300]
        raise SmabotError(
            f"The rebuild stopped (exit code {done.returncode}: {tail}); the previous index "
            "is still in use.",
            "Run `smabot index` on the server to see the whole message.",
        )
    return BuildSummary(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


def main() -> None:
    os.nice(NICE)
    import torch

    from bot.build import build_index

    torch.set_num_threads(int(os.environ.get(THREADS_VARIABLE) or "1"))
    try:
        summary = build_index(Config.from_env(), progress=False, echo=lambda m: None)
    except SmabotError as err:
        print(json.dumps({"error": str(err)}), flush=True)
        sys.exit(1)
    print(json.dumps(asdict(summary)), flush=True)


if __name__ == "__main__":
    main()
