"""Encryption of personal data at rest (ID-card numbers, phones).

Values are Fernet tokens (AES-128-CBC + HMAC-SHA256). ``GONGZHI_FIELD_KEY`` holds one or more
keys separated by commas, newest first: the first encrypts, every key decrypts, so keys can be
rotated without downtime (``gongzhi rotate_field_key`` re-encrypts old rows and recomputes
digests). A keyed digest (HMAC-SHA256 with a key derived from the newest field key) lets the database enforce uniqueness
and find a person by ID number without storing the number in clear.
"""

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def generate_field_key() -> str:
    return Fernet.generate_key().decode()


def _keys(raw: str) -> list[bytes]:
    return [key.strip().encode() for key in raw.split(",") if key.strip()]


@lru_cache(maxsize=4)
def _fernet_for(raw: str) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key) for key in _keys(raw)])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "GONGZHI_FIELD_KEY must be comma-separated url-safe base64 32-byte keys"
        ) from exc


@lru_cache(maxsize=4)
def _digest_key_for(raw: str) -> bytes:
    # Derived from the newest key; `gongzhi rotate_field_key` recomputes stored digests.
    newest = _keys(raw)[0]
    return hashlib.sha256(b"gongzhi-digest:" + base64.urlsafe_b64decode(newest)).digest()


def fernet() -> MultiFernet:
    return _fernet_for(settings.GONGZHI_FIELD_KEY)


def encrypt(value: str) -> str:
    return fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "A personal-data field cannot be decrypted with GONGZHI_FIELD_KEY"
        ) from exc


def rotate(token: str) -> str:
    return fernet().rotate(token.encode()).decode()


def digest(value: str) -> str:
    return hmac.new(
        _digest_key_for(settings.GONGZHI_FIELD_KEY), value.encode(), "sha256"
    ).hexdigest()
