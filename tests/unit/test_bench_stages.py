"""``warmcity bench stages``: the city mix through our stages in memory, every event accounted for, the
garbage collector left as it was found."""

from __future__ import annotations

import gc
from dataclasses import replace

from pydantic import SecretStr

from pipeline.bench.stages import measure_stages
from pipeline.settings import PrivacySettings, Settings
from pipeline.worker.heap import FIRST_GENERATION_THRESHOLD, freeze_heap, tune_collector


def settings() -> Settings:
    return replace(Settings.load(), privacy=PrivacySettings(hmac_key=SecretStr("k" * 32)))


def test_every_event_is_enriched_or_dead_lettered_and_gc_is_restored() -> None:
    before = gc.get_threshold()
    result = measure_stages(settings(), 400)
    assert result.events == result.messages == 400
    assert result.enriched + result.dead_letters == 400
    assert result.cpu_s > 0 and result.us_per_event > 0
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
    assert result.as_dict()["cpu_us_per_event"] == round(result.us_per_event, 1)


def test_envelopes_hold_the_same_events_in_fewer_messages() -> None:
    single = measure_stages(settings(), 400)
    district = measure_stages(settings(), 400, gateway="district")
    assert district.messages < district.events == 400
    assert (district.enriched, district.dead_letters) == (single.enriched, single.dead_letters)


def test_the_profile_is_printed_when_asked() -> None:
    result = measure_stages(settings(), 100, profile=True, tuned_gc=False)
    assert result.profile is not None and "process_batch" in result.profile


def test_tune_and_freeze() -> None:
    thresholds = gc.get_threshold()
    try:
        tune_collector()
        assert gc.get_threshold()[0] == FIRST_GENERATION_THRESHOLD
        assert freeze_heap() == gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
