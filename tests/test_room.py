"""The waiting room before the model (bot/app/room.py): seats, a bounded line served
slowest client first, a slower newcomer taking the fastest caller's place, a wait that
ends, a caller who goes away giving back its place, and paces with a fake clock."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.app import room as room_module
from bot.app.room import STRANGER_PACE, FairRoom


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def occupy(room: FairRoom, client: str, log: list, release: asyncio.Event) -> asyncio.Task:
    """Ask for a seat; log (client, seated); hold the seat until `release`."""

    async def run():
        async with room.seat(client) as seated:
            log.append((client, seated))
            if seated:
                await release.wait()

    return asyncio.create_task(run())


async def until(condition) -> None:
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.002)
    raise AssertionError("timed out")


def test_seats_then_a_line_then_busy_at_once():
    async def main():
        room = FairRoom(seats=1, waiting=1)
        log: list = []
        release = asyncio.Event()
        first = occupy(room, "a", log, release)
        await until(lambda: log == [("a", True)])
        second = occupy(room, "b", log, release)
        await until(lambda: len(room.line) == 1)
        async with room.seat("c") as seated:  # the line is full and c sent no less than b
            log.append(("c", seated))
        release.set()
        await asyncio.gather(first, second)
        assert log == [("a", True), ("c", False), ("b", True)]
        assert room.free == 1 and room.line == []

    asyncio.run(main())


def test_a_slower_newcomer_takes_the_fastest_place():
    async def main():
        room = FairRoom(seats=1, waiting=1)
        for _ in range(5):  # the flooder has sent five requests at once
            room.heard("flooder")
        log: list = []
        release = asyncio.Event()
        holder = occupy(room, "holder", log, release)
        await until(lambda: log == [("holder", True)])
        flooder = occupy(room, "flooder", log, release)
        await until(lambda: len(room.line) == 1)
        family = occupy(room, "family", log, release)
        await until(lambda: ("flooder", False) in log)  # told busy at once
        assert [t.client for t in room.line] == ["family"]
        release.set()
        await asyncio.gather(holder, flooder, family)
        assert log == [("holder", True), ("flooder", False), ("family", True)]

    asyncio.run(main())


def test_the_line_is_served_slowest_first():
    async def main():
        clock = Clock()
        room = FairRoom(seats=1, waiting=3, clock=clock)
        for gap in (0, 0.25, 0.25):  # "busy" asks four times a second; "other" every ten
            clock.now += gap
            room.heard("busy")
        room.heard("other")
        clock.now += 10
        room.heard("other")
        log: list = []
        release = asyncio.Event()
        tasks = [occupy(room, "holder", log, release)]
        await until(lambda: log == [("holder", True)])
        for n, client in enumerate(("busy", "quiet", "other"), start=1):
            tasks.append(occupy(room, client, log, release))
            await until(lambda n=n: len(room.line) == n)
        # paces 0.3 (band -2), a stranger's 0.5 (band -1), 3.125 (band 1)
        assert [t.client for t in room.line] == ["other", "quiet", "busy"]
        release.set()
        await asyncio.gather(*tasks)
        assert [c for c, _ in log] == ["holder", "other", "quiet", "busy"]

    asyncio.run(main())


def test_nobody_waits_longer_than_max_wait():
    async def main():
        room = FairRoom(seats=1, waiting=1, max_wait=0.2)
        log: list = []
        release = asyncio.Event()
        holder = occupy(room, "holder", log, release)
        await until(lambda: log == [("holder", True)])
        start = time.monotonic()
        async with room.seat("late") as seated:
            waited = time.monotonic() - start
        assert seated is False and 0.15 < waited < 2 and room.line == []
        release.set()
        await holder
        assert room.free == 1

    asyncio.run(main())


def test_a_caller_who_goes_away_gives_back_its_place():
    async def main():
        room = FairRoom(seats=1, waiting=2)
        log: list = []
        release = asyncio.Event()
        holder = occupy(room, "holder", log, release)
        await until(lambda: log == [("holder", True)])
        gone = occupy(room, "gone", log, release)
        await until(lambda: len(room.line) == 1)
        gone.cancel()  # the connection closed while it waited
        await until(lambda: room.line == [])
        release.set()
        await holder
        assert room.free == 1 and log == [("holder", True)]

    asyncio.run(main())


def test_a_clients_pace_weighs_its_newest_gap_by_half():
    clock = Clock()
    room = FairRoom(seats=10, waiting=0, clock=clock)
    room.heard("x")
    assert room.pace("x") == STRANGER_PACE == 0.5  # one request: no gap yet
    for gap, pace in ((1, 0.75), (1, 0.875), (10, 0.4875), (0, 0.5 / 0.01 + 0.24375)):
        clock.now += gap
        room.heard("x")
        assert room.pace("x") == pytest.approx(pace)
    assert room.pace("stranger") == STRANGER_PACE


def test_the_clients_remembered_are_bounded(monkeypatch):
    monkeypatch.setattr(room_module, "MAX_CLIENTS_TRACKED", 50)
    room = FairRoom(seats=1, waiting=0)
    for i in range(200):
        room.heard(f"10.0.0.{i}")
    assert len(room.recent) == 50 and "10.0.0.199" in room.recent


def test_paces_within_a_factor_of_two_are_first_come_first_served():
    async def main():
        clock = Clock()
        room = FairRoom(seats=1, waiting=3, clock=clock)
        for client, gap in (("first", 1.0), ("second", 1.5)):  # paces 0.75 and ~0.58
            room.heard(client)
            clock.now += gap
            room.heard(client)
        log: list = []
        release = asyncio.Event()
        tasks = [occupy(room, "holder", log, release)]
        await until(lambda: log == [("holder", True)])
        for n, client in enumerate(("first", "second"), start=1):
            tasks.append(occupy(room, client, log, release))
            await until(lambda n=n: len(room.line) == n)
        release.set()
        await asyncio.gather(*tasks)
        assert [c for c, _ in log] == ["holder", "first", "second"]

    asyncio.run(main())


def test_a_family_who_loaded_the_page_first_takes_a_strangers_place():
    """The gate hears a load of the families' page (bot/app/page.py): a family that typed
    for three seconds asks at pace 0.5/3.02 + 0.25 (band -2), ahead of strangers (0.5, band
    -1) filling the line at a flood's first second; one that asks right after loading
    the page is plainly a script (band 5) and is told "busy"."""

    async def main():
        clock = Clock()
        room = FairRoom(seats=1, waiting=2, clock=clock)
        room.heard("family")  # GET /
        clock.now += 3
        room.heard("script")  # GET /, 3 s later
        log: list = []
        release = asyncio.Event()
        tasks = [occupy(room, "holder", log, release)]
        await until(lambda: log == [("holder", True)])
        for n, client in enumerate(("stranger 1", "stranger 2"), start=1):
            room.heard(client)
            tasks.append(occupy(room, client, log, release))
            await until(lambda n=n: len(room.line) == n)
        clock.now += 0.02
        room.heard("script")  # its question, 0.02 s after its page
        tasks.append(occupy(room, "script", log, release))
        await until(lambda: ("script", False) in log)
        room.heard("family")  # its question, 3.02 s after its page
        assert room.pace("family") == pytest.approx(0.5 / 3.02 + 0.25)
        tasks.append(occupy(room, "family", log, release))
        await until(lambda: ("stranger 2", False) in log)
        assert [t.client for t in room.line] == ["family", "stranger 1"]
        release.set()
        await asyncio.gather(*tasks)
        assert [c for c, seated in log if seated] == ["holder", "family", "stranger 1"]

    asyncio.run(main())
