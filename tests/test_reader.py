"""The shipped message reader reads the fixed messages exactly as when it was trained, and
refuses weights its card does not describe."""

from __future__ import annotations

import json
import shutil

import pytest

from bot.config import PROJECT_ROOT as ROOT
from bot.safety.reader import CARD, WEIGHTS, MessageReader, ReaderMismatch, windows

pytest.importorskip("torch")


@pytest.fixture(scope="module")
def reader() -> MessageReader:
    return MessageReader(threads=1)


def test_recorded_probabilities(reader):
    card = json.loads(CARD.read_text())
    assert len(card["oracle"]) >= 10
    for case in card["oracle"]:
        r = reader.read(case["message"], case["history"])
        views = [(r.conversation, case["conversation"]), (r.message, case["message_view"])]
        for got, want in views:
            assert got == pytest.approx(want, abs=1e-5), case["message"]
        assert [s.probabilities for s in r.sentences] == [
            pytest.approx(p, abs=1e-5) for p in case["sentences"]
        ]


def test_messages_read_together_read_as_they_do_alone(reader):
    """Concurrent messages share one padded forward pass (`read_many`); padding changes
    nothing: each reads as it does on its own."""
    card = json.loads(CARD.read_text())
    keys = [json.dumps([c["message"], c["history"]]) for c in card["oracle"]]
    together = reader.read_many(keys)
    for case, r in zip(card["oracle"], together, strict=True):
        assert r.conversation == pytest.approx(case["conversation"], abs=1e-5)
        assert [s.probabilities for s in r.sentences] == [
            pytest.approx(p, abs=1e-5) for p in case["sentences"]
        ]


def test_danger_in_one_sentence_is_shown(reader):
    case = next(c for c in json.loads(CARD.read_text())["oracle"] if "stockpiling" in c["message"])
    r = reader.read(case["message"], case["history"])
    assert r.decide(reader.thresholds) == "emergency"
    assert r.driver is not None
    assert "stockpiling" in case["message"][r.driver.start : r.driver.end]


def test_refuses_other_weights(tmp_path):
    weights = tmp_path / WEIGHTS.name
    shutil.copy(WEIGHTS, weights)
    with weights.open("r+b") as f:  # one byte of a tensor changed
        f.seek(-3, 2)
        byte = f.read(1)
        f.seek(-3, 2)
        f.write(bytes([byte[0] ^ 1]))
    with pytest.raises(ReaderMismatch):
        MessageReader(weights=weights)


def test_refuses_another_format(tmp_path):
    card = json.loads(CARD.read_text())
    card["format"] = "smabot-message-reader/0"
    path = tmp_path / CARD.name
    path.write_text(json.dumps(card))
    with pytest.raises(ReaderMismatch):
        MessageReader(card=path)


def test_a_long_message_is_read_in_windows(reader):
    # a benign page pasted after a question, longer than any training message: read whole
    # it would pass the emergency threshold on length alone, and past 256 tokens its end
    # would be cut off
    page = " ".join((ROOT / "corpus" / "zolgensma-is-it-a-cure.txt").read_text().split()[:400])
    limit = reader.thresholds["emergency"]
    assert len(windows(page)) > 2
    assert reader.read(page).emergency < limit
    danger = "Since this morning she has gone grey and floppy and I can hardly wake her."
    reading = reader.read(f"{page} {danger}")
    assert reading.emergency >= limit
    driver = reading.driver
    assert driver is not None and "grey" in f"{page} {danger}"[driver.start : driver.end]
