"""The mix of the city's traffic: how the rate is shared between the event types at each local hour.

Heartbeats come first (a fixed cadence, see ``cameras``); the rest of the rate is shared by the background
streams in proportion to their natural rates at the hour, i.e. devices x events per device x the stream's
daily curve. So the mix follows the registry (the small profile has few cameras) and the hour (plate reads
dominate in daytime, at night heartbeats and counters weigh more), whatever total rate is asked for.
If none of the selected streams is active at an hour, they share it by their peak rates instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import accumulate

from pipeline.simulate.streams import EventStream

HEARTBEAT = "camera_heartbeat"


class MixTable:
    """Cumulative weights of the background streams for each local hour, computed once."""

    def __init__(self, streams: Sequence[EventStream], heartbeat_rate: float, rate_per_s: float) -> None:
        self._tables: list[tuple[tuple[EventStream, ...], tuple[float, ...]]] = []
        self._heartbeat_share = min(1.0, heartbeat_rate / rate_per_s)
        for hour in range(24):
            weights = [(s, s.rate_at(hour)) for s in streams]
            active = [(s, w) for s, w in weights if w > 0]
            if not active:
                active = [(s, s.peak_rate()) for s in streams if s.peak_rate() > 0]
            self._tables.append((tuple(s for s, _ in active), tuple(accumulate(w for _, w in active))))

    def table(self, hour: int) -> tuple[tuple[EventStream, ...], tuple[float, ...]]:
        return self._tables[hour]

    def shares(self, hour: int) -> dict[str, float]:
        """Expected share of the messages by event type at ``hour`` (before retries and follow-ups)."""
        streams, cumulative = self._tables[hour]
        rest = 1.0 - self._heartbeat_share
        shares = {HEARTBEAT: self._heartbeat_share} if self._heartbeat_share else {}
        previous = 0.0
        for stream, top in zip(streams, cumulative, strict=True):
            shares[stream.schema] = shares.get(stream.schema, 0.0) + rest * (top - previous) / cumulative[-1]
            previous = top
        return shares
