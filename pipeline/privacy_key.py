"""The privacy stage's HMAC key for local runs (``warmcity demo``, ``warmcity evaluate``).

Production sets ``WARMCITY_PRIVACY_HMAC_KEY``; a local run without it gets a key generated once into the
run dir, so that tokens stay the same from one run to the next (``stages/privacy.py`` uses the key).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import replace

from pydantic import SecretStr

from pipeline.settings import PrivacySettings, Settings

KEY_FILE = "privacy.key"


def with_demo_key(settings: Settings, echo: Callable[[str], None]) -> Settings:
    """Settings with an HMAC key: the configured one, or one generated once into the run dir (demo only)."""
    if settings.privacy.hmac_key.get_secret_value():
        return settings
    key_file = settings.stack.run_dir / KEY_FILE
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
        echo(f"  generated a demo HMAC key in {key_file} (set WARMCITY_PRIVACY_HMAC_KEY in production)")
    key = key_file.read_text().strip()
    os.environ["WARMCITY_PRIVACY_HMAC_KEY"] = key  # the worker process inherits it
    return replace(settings, privacy=PrivacySettings(hmac_key=SecretStr(key)))
