"""docs/city.md quotes ``warmcity registry summary`` for both profiles; the quotes must stay true."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.city import REFERENCE_KEYS
from pipeline.city.summary import summary_text
from tests.unit.test_city import built

DOC = Path(__file__).resolve().parents[2] / "docs" / "city.md"


@pytest.mark.parametrize("profile", ["city", "small"])
def test_docs_quote_the_current_summary(profile: str) -> None:
    block = f"`warmcity registry summary --profile {profile}`:\n\n```\n{summary_text(built(profile))}\n```"
    assert block in DOC.read_text(encoding="utf-8"), f"regenerate the {profile} summary in docs/city.md"


def test_docs_name_every_reference_topic_the_city_publishes() -> None:
    text = DOC.read_text(encoding="utf-8")
    for name, key in REFERENCE_KEYS.items():
        assert f"`<prefix>.ref.{name}`" in text and f"`{key}`" in text
