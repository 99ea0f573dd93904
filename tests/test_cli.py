"""The `smabot` command: output shapes, JSONL order, one-line errors and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.index.versions import current_version


def run(config, *args, input=None):
    flags = ["--corpus", str(config.corpus_dir), "--index", str(config.index_dir)]
    command, rest = args[0], list(args[1:])
    return CliRunner().invoke(main, [command, *flags, *rest], input=input)


def test_ask_prints_quotes_and_sources(built):
    result = run(built, "ask", "Is Zolgensma a cure for SMA?")
    assert result.exit_code == 0, result.output
    assert "“No, Zolgensma" in result.output and "[1]" in result.output
    assert "Sources:" in result.output and "medically reviewed drug information" in result.output
    assert "not medical advice" in result.output


def test_ask_json_is_one_object_with_the_documented_fields(built):
    result = run(built, "ask", "--json", "What is SMA type 2?")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["kind"] == "answer" and data["latency_ms"] > 0
    assert {"text", "doc_id", "title", "start", "end", "score"} <= set(data["quotes"][0])


def test_jsonl_answers_every_line_in_order_and_reports_bad_lines(built, tmp_path):
    lines = [
        json.dumps({"id": "q1", "question": "What causes SMA?"}),
        "this is not json",
        json.dumps({"question": "How is Zolgensma given?"}),
        json.dumps({"id": "q4", "question": "   "}),
        json.dumps(
            {
                "id": "q5",
                "question": "and how long does it take?",
                "history": ["How is Zolgensma given?"],
            }
        ),
    ]
    path = tmp_path / "questions.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run(built, "ask", "--jsonl", str(path))
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == 5
    assert out[0]["id"] == "q1" and out[0]["kind"] == "answer"
    assert "not valid JSON" in out[1]["error"]
    assert "id" not in out[2] and out[2]["kind"] == "answer"
    assert out[3]["id"] == "q4" and "empty" in out[3]["error"]
    assert "takes about one hour" in out[4]["quotes"][0]["text"]
    assert result.exit_code == 1  # some lines failed


def test_jsonl_from_stdin(built):
    result = run(built, "ask", "--jsonl", "-", input='{"id": "a", "question": "What is SMA?"}\n')
    assert result.exit_code == 0
    assert json.loads(result.stdout)["id"] == "a"


@pytest.mark.parametrize(
    "args, message",
    [
        (("ask", ""), "The question is empty"),
        (("ask",), "Give a question"),
        (("ask", "--jsonl", "/no/such/file.jsonl"), "No such file or directory"),
    ],
)
def test_errors_are_one_line_with_a_non_zero_exit(built, args, message):
    result = run(built, *args)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


def test_a_long_question_gets_a_note(built):
    result = run(built, "ask", "--json", "What causes SMA? " + "x" * 3000)
    data = json.loads(result.stdout)
    assert data["notes"] and "first 2,000" in data["notes"][0]


def test_a_corrupt_index_names_the_fix_and_index_repairs_it(scratch_built):
    config = scratch_built
    (current_version(config.index_dir) / "chunks.json").write_text("[[")
    result = run(config, "ask", "What is SMA?")
    assert result.exit_code == 1
    assert "damaged" in result.output and "smabot index --rebuild" in result.output
    assert "Traceback" not in result.output
    repaired = run(config, "index", "--quiet")
    assert repaired.exit_code == 0 and "Index updated" in repaired.output
    assert run(config, "ask", "What is SMA?").exit_code == 0


def test_ask_builds_a_missing_index_first_and_says_so(scratch):
    result = run(scratch, "ask", "What is SMA?")
    assert result.exit_code == 0, result.output
    assert "No index yet: building it first" in result.output
    assert "“" in result.output


def test_index_reports_a_summary(built):
    result = run(built, "index")
    assert result.exit_code == 0
    assert "already up to date" in result.output
    assert (
        "4 documents" in result.output and "chunks" in result.output and "tokens" in result.output
    )


def test_the_console_script_is_installed():
    out = subprocess.run(
        [sys.executable, "-m", "bot.cli", "--help"], capture_output=True, text=True
    )
    assert out.returncode == 0 and "index" in out.stdout and "ask" in out.stdout
