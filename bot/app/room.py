"""The waiting room before the model: a few seats, a bounded line, and a fair order.

Every way in that runs the model (bot/app/api.py's `Gate`) takes a seat here first:

- `seats` questions are answered at once (the reader's and the encoder's micro-batching
  gather them into one forward pass);
- up to `waiting` more wait in line, ordered by each client's pace band (requests a
  second, within a factor of two; first come, first served within a band). The pace is
  worked out from the gaps between the requests the gate hears from the client
  (`heard`, refused ones included), each new gap weighing `PACE_WEIGHT`. A client never
  heard before is taken to ask every two seconds (`STRANGER_PACE`) until its second
  request. Someone who asks now and then goes before clients sending as fast as they
  can, whose pace shows from their second request, even from addresses never seen
  before. Loading the families' page counts as a request (bot/app/page.py), so a family
  who opened it and typed for more than about two seconds asks its first question
  ahead of strangers: at the first second of a flood from new addresses, nothing else
  tells a family from a flooder (benchmarks/flood.py);
- when the line is full, a newcomer in a slower band than the last in line takes that
  place (that caller is told "busy" at once); otherwise the newcomer is told "busy";
- nobody waits longer than `max_wait` seconds (then "busy").

Waiting happens on the event loop, not in a worker thread: only seated questions take a
thread (bot/app/api.py). Holding a thread per waiting or refused request let a flood's
threads fight the model's for the interpreter (benchmarks/flood.py: 8 questions a
second answered instead of 70). Every method is called from the event loop.

Why not first come, first served: a hundred addresses each asking at its rate filled the
waiting room, and families' questions arriving among them were turned away "busy" 217
times of 259 (benchmarks/flood.py on the JSON routes, before this room). A decaying
count of requests instead of a pace let a new flood outrank families for its first
seconds. Paces are kept for at most `MAX_CLIENTS_TRACKED` addresses (least recently
heard dropped), so memory stays flat.

Left out: weights per route (a staff test waits in the same line); memory of clients
across restarts; telling many slow clients from many families (they are just load); a
flood whose every address loads the page and waits before its first request (each
such address has one question ranked as a family's, then its pace shows).
"""

from __future__ import annotations

import asyncio
import itertools
import math
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

PACE_WEIGHT = 0.5  # weight of a client's newest gap between requests in its pace
MIN_GAP = 0.01  # seconds: requests closer than this count as this close
STRANGER_PACE = 0.5  # requests a second, of a client until its second request
MAX_WAIT = 10.0  # seconds
MAX_CLIENTS_TRACKED = 10_000


@dataclass(eq=False)
class _Ticket:
    client: str
    pace: float  # the client's requests a second when it arrived
    order: int  # arrival order, to break ties
    called: asyncio.Future | None = None  # set when seated or told "busy"
    seated: bool = False

    @property
    def key(self) -> tuple[int, int]:
        """(pace band, arrival): paces within a factor of two are first come, first
        served, so clients of about the same pace do not overtake each other by chance."""
        return math.floor(math.log2(max(self.pace, 1e-6))), self.order

    def call(self) -> None:
        if self.called is not None and not self.called.done():
            self.called.set_result(None)


class FairRoom:
    """`async with room.seat(client) as seated:` (True: answer now; False: "busy")."""

    def __init__(
        self,
        seats: int,
        waiting: int,
        max_wait: float = MAX_WAIT,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.free, self.waiting = seats, waiting
        self.max_wait, self.clock = max_wait, clock
        self.line: list[_Ticket] = []  # sorted by key, at most `waiting` long
        self.recent: OrderedDict[str, tuple[float, float]] = OrderedDict()  # (pace, when)
        self.order = itertools.count()

    def heard(self, client: str) -> None:
        """Note one request from `client` (the gate calls this for every request)."""
        now = self.clock()
        pace, when = self.recent.pop(client, (STRANGER_PACE, None))
        if when is not None:
            gap = max(now - when, MIN_GAP)
            pace = PACE_WEIGHT / gap + (1 - PACE_WEIGHT) * pace
        self.recent[client] = (pace, now)
        while len(self.recent) > MAX_CLIENTS_TRACKED:
            self.recent.popitem(last=False)

    def pace(self, client: str) -> float:
        """`client`'s requests a second, as last heard (`STRANGER_PACE` for a stranger)."""
        return self.recent.get(client, (STRANGER_PACE, 0.0))[0]

    @asynccontextmanager
    async def seat(self, client: str) -> AsyncIterator[bool]:
        ticket = self._arrive(client)
        seated = ticket is not None and await self._wait(ticket)
        try:
            yield seated
        finally:
            if seated:
                self._leave()

    def _arrive(self, client: str) -> _Ticket | None:
        """A ticket seated or in line, or None: told "busy" at once."""
        ticket = _Ticket(client, self.pace(client), next(self.order))
        if self.free > 0 and not self.line:
            self.free -= 1
            ticket.seated = True
            return ticket
        if len(self.line) >= self.waiting:
            if not self.line or self.line[-1].key <= ticket.key:
                return None
            self.line.pop().call()  # the busiest in line: told "busy"
        self.line.append(ticket)
        self.line.sort(key=lambda t: t.key)
        return ticket

    async def _wait(self, ticket: _Ticket) -> bool:
        if ticket.seated:
            return True
        ticket.called = asyncio.get_running_loop().create_future()
        try:
            await asyncio.wait_for(asyncio.shield(ticket.called), self.max_wait)
        except TimeoutError:
            pass
        except asyncio.CancelledError:  # the caller went away: give back what it held
            if ticket.seated:
                self._leave()
            elif ticket in self.line:
                self.line.remove(ticket)
            raise
        if not ticket.seated and ticket in self.line:
            self.line.remove(ticket)  # waited too long
        return ticket.seated

    def _leave(self) -> None:
        if self.line:
            nxt = self.line.pop(0)
            nxt.seated = True
            nxt.call()
        else:
            self.free += 1
