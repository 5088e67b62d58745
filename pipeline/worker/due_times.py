"""When each key of the rule state will next need time to act on it, remembered between timer passes.

The rules' timer (``detection_agents.DetectionAgents.tick_rules``) looks at every stored key of the rules
whose turn it is and sends a tick for those due. Asking a stored state when it is due means decoding it
(JSON, then the rule's pydantic model), a few microseconds a key; ``plate.cloned`` holds a state per
plate read in the last two hours, hundreds of thousands in the city, so every ten minutes that pass
would hold the event loop, and every message behind it, for seconds.
The detect agent already has the new state in hand when it stores one, so it notes the state's due time
here (``note``); the timer reads it back (``due``) and decodes only the keys it has never seen.

A remembered time is right only while this worker is the only one writing the key. That holds between
two rebalances: a key's partition belongs to one worker, and only its detect agent writes it. After a
rebalance the table may hold states another worker wrote (recovered from the changelog), so the worker
``clear``s everything on every assignment and revocation, and the next pass decodes each key once again.
Pure and in memory: nothing of it is stored; a restarted worker starts empty.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime


class DueTimes:
    def __init__(self) -> None:
        self._due: dict[bytes, datetime | None] = {}

    def note(self, key: bytes, due: datetime | None, deleted: bool = False) -> None:
        """``key``'s state was just written (``deleted``: removed) and is next due at ``due``."""
        if deleted:
            self._due.pop(key, None)
        else:
            self._due[key] = due

    def due(self, key: bytes, decode: Callable[[], datetime | None]) -> datetime | None:
        """When ``key`` is next due; ``decode`` works it out from the stored state when it is not known."""
        try:
            return self._due[key]
        except KeyError:
            found = self._due[key] = decode()
            return found

    def clear(self) -> None:
        self._due.clear()

    def __len__(self) -> int:
        return len(self._due)
