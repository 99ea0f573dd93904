"""Test helper: texts written for tests or training must not be evaluation questions."""

from __future__ import annotations

from training.evalsets import held_out


def assert_apart(texts: list[str]) -> None:
    """No text is, or nearly is, a question of an evaluation set (this project's, and
    ../shared/evalsets when it is beside the clone): `training.evalsets.near_duplicate`."""
    held = held_out()
    close = [t for t in texts if t in held]
    assert close == [], close[:5]
