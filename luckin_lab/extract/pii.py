"""Personal data on landing: contract columns marked ``pii: true`` (phone numbers, emails)
are masked by default, hashed with a secret key on request, kept only when asked for.

``mask`` is irreversible and needs no key (keeps an email's domain and a phone's last two
digits: enough for data-quality checks). ``hash`` is a keyed HMAC-SHA256, so the same
person gets the same token in every snapshot (joins and de-duplication still work) but the
token cannot be brute-forced back to a phone number without the key.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Literal

import pandas as pd

from luckin_lab.extract.errors import SettingsError

PiiMode = Literal["mask", "hash", "keep"]
PII_MODES: tuple[str, ...] = ("mask", "hash", "keep")
_DIGIT = re.compile(r"\d")


def mask_value(value: str) -> str:
    """``+1-212-555-8816`` -> ``+*-***-***-**16``; ``jane.doe@example.com`` -> ``j***@example.com``."""
    if "@" in value:
        local, _, domain = value.rpartition("@")
        return f"{local[:1]}***@{domain}"
    digits = [m.start() for m in _DIGIT.finditer(value)]
    keep = set(digits[-2:])
    return "".join("*" if i in digits and i not in keep else ch for i, ch in enumerate(value))


def hash_value(value: str, key: bytes) -> str:
    return "h:" + hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def protect(series: pd.Series, mode: PiiMode, key: bytes | None = None) -> pd.Series:
    """Mask, hash or keep one column; NULL stays NULL."""
    if mode == "keep":
        return series
    if mode == "hash":
        if not key:
            raise SettingsError(
                "--pii hash needs a secret key: set LUCKIN_LAB_PII_KEY or pii_key in "
                ".luckin_lab.local.yaml (use the same key for every snapshot)"
            )
        return series.map(lambda v: v if v is None or pd.isna(v) else hash_value(str(v), key))
    if mode == "mask":
        return series.map(lambda v: v if v is None or pd.isna(v) else mask_value(str(v)))
    raise SettingsError(f"unknown PII mode {mode!r}; use one of {PII_MODES}")
