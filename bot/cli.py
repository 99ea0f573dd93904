"""The `smabot` command: `index`, `ask`, `chat`, `eval`.

Settings come from flags, then `SMABOT_*` environment variables, then defaults (see
`bot.config`). Errors print one line on stderr and exit non-zero; nothing prints a
traceback for a problem a person can fix.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import click

from bot.config import Config
from bot.errors import QuestionError, SmabotError

_settings = [
    click.option(
        "--corpus", type=click.Path(path_type=Path), help="Corpus folder [env: SMABOT_CORPUS]."
    ),
    click.option(
        "--index",
        "index_dir",
        type=click.Path(path_type=Path),
        help="Index folder [env: SMABOT_INDEX].",
    ),
    click.option("--model", help="sentence-transformers model name or path [env: SMABOT_MODEL]."),
]


def settings(f):
    for option in reversed(_settings):
        f = option(f)
    return f


def make_config(corpus: Path | None, index_dir: Path | None, model: str | None) -> Config:
    return Config.from_env(corpus_dir=corpus, index_dir=index_dir, model=model)


def fail(err: SmabotError) -> None:
    click.echo(f"smabot: {err}", err=True)
    sys.exit(err.exit_code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="smabot")
def main() -> None:
    """Answers questions about SMA with quotes from curated documents."""


@main.command()
@settings
@click.option(
    "--rebuild", is_flag=True, help="Embed everything again, ignoring the previous index."
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bars.")
def index(corpus, index_dir, model, rebuild, quiet):
    """Build the index, or update it when the corpus or settings changed."""
    from bot.build import build_index

    config = make_config(corpus, index_dir, model)
    try:
        summary = build_index(
            config, rebuild=rebuild, progress=not quiet, echo=lambda m: click.echo(m, err=True)
        )
    except KeyboardInterrupt:
        click.echo("smabot: interrupted; the previous index (if any) is still in use.", err=True)
        sys.exit(130)
    except SmabotError as err:
        fail(err)
    click.echo(summary.describe())


@main.command()
@settings
@click.argument("question", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the reply as one JSON object.")
@click.option(
    "--jsonl",
    type=click.File("r", encoding="utf-8"),
    help='Read {"id", "question"} objects, one a line ("-" for stdin); print one reply a line.',
)
@click.option(
    "--history",
    multiple=True,
    help="An earlier message of the conversation (repeatable, oldest first).",
)
@click.option("--debug", is_flag=True, help="Include retrieval details in --json output.")
def ask(corpus, index_dir, model, question, as_json, jsonl, history, debug):
    """Answer QUESTION with quotes from the documents."""
    if (question is None) == (jsonl is None):
        fail(
            QuestionError(
                "Give a question, or --jsonl FILE (not both).",
                'Example: smabot ask "What is SMA type 2?"',
            )
        )
    config = make_config(corpus, index_dir, model)
    bot = load_bot(config)
    if jsonl is not None:
        sys.exit(_ask_jsonl(bot, jsonl, debug))
    try:
        reply = bot.answer(question, history)
    except SmabotError as err:
        fail(err)
    if as_json:
        click.echo(json.dumps(reply.to_json(include_debug=debug), ensure_ascii=False))
    else:
        click.echo(reply.plain())


@main.command()
@settings
def chat(corpus, index_dir, model):
    """Ask questions one after another in the terminal (Ctrl-D to stop)."""
    bot = load_bot(make_config(corpus, index_dir, model))
    history: list[str] = []
    click.echo(
        "Ask a question about SMA. Answers are quotes from the documents, not medical advice."
    )
    while True:
        try:
            question = click.prompt("\nyou", prompt_suffix="> ", default="", show_default=False)
        except (EOFError, click.Abort):
            click.echo()
            return
        if not question.strip():
            continue
        try:
            reply = bot.answer(question, history)
        except SmabotError as err:
            click.echo(f"smabot: {err}", err=True)
            continue
        history.append(question)
        click.echo("\n" + reply.plain())


@main.command("eval")
@settings
@click.option(
    "--set",
    "sets",
    multiple=True,
    type=click.Path(path_type=Path),
    help="A question set (JSONL), repeatable. Default: evals/sets/dev.jsonl.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as one JSON object.")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="Write replies.jsonl, metrics.json and report.html here.",
)
@click.option(
    "--min",
    "mins",
    multiple=True,
    metavar="METRIC=VALUE",
    help="Fail unless METRIC >= VALUE (repeatable; 'heldout.hit@1' for a split).",
)
@click.option(
    "--max",
    "maxs",
    multiple=True,
    metavar="METRIC=VALUE",
    help="Fail unless METRIC <= VALUE (repeatable).",
)
@click.option("--no-defaults", is_flag=True, help="Ignore the thresholds in pyproject.toml.")
@click.option("--url", help="Score a running smabot app through its Gradio API instead.")
@click.option(
    "--compare",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="An earlier metrics JSON (from --json or --out) to compare with.",
)
def eval_(corpus, index_dir, model, sets, as_json, out, mins, maxs, no_defaults, url, compare):
    """Score the bot on question sets: behaviour, retrieval, quotes, latency."""
    from evals.command import main as run_eval

    config = make_config(corpus, index_dir, model)
    try:
        status = run_eval(
            config, load_bot, sets, as_json, out, mins, maxs, no_defaults, url, compare, click.echo
        )
    except SmabotError as err:
        fail(err)
    sys.exit(status)


@main.command()
@settings
def app(corpus, index_dir, model):
    """Start the chat app (same as `python app.py`)."""
    from bot.app import main as serve

    try:
        serve(make_config(corpus, index_dir, model))
    except SmabotError as err:
        fail(err)


def load_bot(config: Config):
    """The bot for `config`, building the index first when there is none yet (a stale or
    damaged index is refused with its fix, as `ask` promises)."""
    from bot.bot import Bot

    try:
        return Bot.load_or_build(config, echo=lambda m: click.echo(m, err=True))
    except SmabotError as err:
        fail(err)


def _read_jsonl(stream) -> Iterator[tuple[int, dict | None, str | None]]:
    for n, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as err:
            yield n, None, f"line {n}: not valid JSON ({err.msg})"
            continue
        if not isinstance(obj, dict) or not isinstance(obj.get("question"), str):
            yield n, obj if isinstance(obj, dict) else None, f'line {n}: needs a "question" string'
            continue
        yield n, obj, None


def _ask_jsonl(bot, stream, debug: bool) -> int:
    """One reply (or {"id", "error"}) per input line, in order. Exit status 1 if any failed."""
    failed = 0
    try:
        for _, obj, error in _read_jsonl(stream):
            out: dict = {"id": obj.get("id")} if obj and "id" in obj else {}
            if error is None:
                try:
                    history = obj.get("history") or []
                    out.update(bot.answer(obj["question"], history).to_json(include_debug=debug))
                except SmabotError as err:
                    error = str(err)
            if error is not None:
                failed += 1
                out["error"] = error
                click.echo(f"smabot: {error}", err=True)
            click.echo(json.dumps(out, ensure_ascii=False))
    except UnicodeDecodeError as err:
        fail(SmabotError(f"The input is not UTF-8 text (byte {err.start}).", "Save it as UTF-8."))
    return 1 if failed else 0


if __name__ == "__main__":
    main()
