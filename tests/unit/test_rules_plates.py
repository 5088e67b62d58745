"""Plate folding and the confusion-tolerant watch-list match."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pipeline.rules.plates import fold_plate, match_plate, plate_variants
from tests.unit.rule_factories import T0, plate_entry


@pytest.mark.parametrize(
    ("a", "b"),
    [("蒙K8A0B8", "蒙K8AOB8"), ("蒙K12345", "蒙KI2345"), ("蒙K80000", "蒙KBODD0"), ("蒙KD1234", "蒙K01234")],
)
def test_look_alikes_fold_together(a: str, b: str) -> None:
    assert fold_plate(a) == fold_plate(b)


@pytest.mark.parametrize(
    ("a", "b"), [("蒙K12345", "蒙K12346"), ("蒙B12345", "蒙812345"), ("蒙K1234Z", "蒙K12342")]
)
def test_different_plates_stay_apart(a: str, b: str) -> None:
    # The issuing-authority letter (蒙B) is never folded; Z/2 is not a confusion class (yet).
    assert fold_plate(a) != fold_plate(b)


def test_variants_start_with_the_plate_and_share_its_fold() -> None:
    variants = list(plate_variants("蒙K80B1X"))
    assert variants[0] == "蒙K80B1X"
    assert len(variants) == len(set(variants)) == 2 * 3 * 2 * 2
    assert {fold_plate(v) for v in variants} == {fold_plate("蒙K80B1X")}


def test_variants_are_bounded_for_a_pathological_plate() -> None:
    assert len(list(plate_variants("蒙K00000000"))) <= 1025


def test_exact_entry_wins_over_look_alikes() -> None:
    watch = {"蒙K8A0B8": plate_entry("蒙K8A0B8", priority=3), "蒙K8AOB8": plate_entry("蒙K8AOB8", priority=1)}
    match = match_plate(watch, "蒙K8A0B8", T0)
    assert match is not None and match.exact and match.entry.plate == "蒙K8A0B8"


def test_look_alike_matches_the_most_urgent_entry() -> None:
    watch = {"蒙K8AOB8": plate_entry("蒙K8AOB8", priority=3), "蒙K8ADB8": plate_entry("蒙K8ADB8", priority=1)}
    match = match_plate(watch, "蒙K8A0B8", T0)
    assert match is not None and not match.exact and match.entry.plate == "蒙K8ADB8"


def test_expired_entries_do_not_match() -> None:
    watch = {"蒙K8AOB8": plate_entry("蒙K8AOB8", expires_at=T0)}
    assert match_plate(watch, "蒙K8A0B8", T0) is None
    assert match_plate(watch, "蒙K8A0B8", T0 - timedelta(seconds=1)) is not None
