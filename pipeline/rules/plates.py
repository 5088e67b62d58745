"""Plate text as recognition sees it: confused characters, and a watch-list match tolerant of them.

Checkpoint cameras confuse O/D with 0, I with 1 and B with 8 (I and O are never issued, so a listed 'O' is
itself a typist's confusion). A plate's *folded* form maps every character of a confusion class to one
representative, after the two leading characters (province and issuing-authority letter, which are never
confused with digits); two plates with the same folded form may be the same plate. Matching never looks
the whole list through: it tries the read's few variants against the list's keys. This module must not
decide severity or keep state.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime

from pipeline.contracts.reference import PlateWatchEntry

# Each class: its representative first. Extend here (Z/2, S/5, G/6) if vendors report those confusions.
CONFUSION_CLASSES: tuple[str, ...] = ("0OD", "1I", "8B")
_PREFIX = 2  # province character and issuing-authority letter: never folded
_MAX_VARIANTS = 1024  # 3^6 is the worst real plate; a pathological one is cut off here, not looped over
_CLASS_OF = {char: members for members in CONFUSION_CLASSES for char in members}


def fold_plate(plate: str) -> str:
    """The plate with every confusable character replaced by its class's representative."""
    return plate[:_PREFIX] + "".join(_CLASS_OF.get(c, c)[0] for c in plate[_PREFIX:])


def plate_variants(plate: str) -> Iterator[str]:
    """Every plate with the same folded form as ``plate``, ``plate`` itself first."""
    yield plate
    choices = [_CLASS_OF.get(c, c) for c in plate[_PREFIX:]]
    for number, chars in enumerate(itertools.product(*choices)):
        if number >= _MAX_VARIANTS:
            return
        variant = plate[:_PREFIX] + "".join(chars)
        if variant != plate:
            yield variant


@dataclass(frozen=True)
class PlateMatch:
    entry: PlateWatchEntry
    exact: bool  # False: the read differs from the listed plate by confusable characters only


def match_plate(watchlist: Mapping[str, PlateWatchEntry], plate: str, when: datetime) -> PlateMatch | None:
    """The active entry ``plate`` matches: the exact entry if listed, else the most urgent look-alike."""
    exact = watchlist.get(plate)
    if exact is not None and exact.active_at(when):
        return PlateMatch(exact, exact=True)
    best: PlateWatchEntry | None = None
    for variant in plate_variants(plate):
        entry = watchlist.get(variant)
        if entry is not None and entry.active_at(when) and (best is None or entry.priority < best.priority):
            best = entry
    return None if best is None else PlateMatch(best, exact=False)
