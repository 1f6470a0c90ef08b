"""The fast decryption path reads exactly the tokens Fernet reads, and refuses what it refuses."""

import base64
import threading

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from gongzhi.core import crypto

VALUES = ["", "1", "13812345678", "027-84841234", "420105196005170011", "x" * 16, "汉字" * 20]


def test_reads_what_the_library_writes_and_the_library_reads_ours(settings):
    key = Fernet(settings.GONGZHI_FIELD_KEY.split(",")[0].encode())
    for value in VALUES:
        token = key.encrypt(value.encode()).decode()
        assert crypto._decrypt_fast(token, settings.GONGZHI_FIELD_KEY) == value.encode()
        assert crypto.decrypt(token) == value
        assert key.decrypt(crypto.encrypt(value).encode()).decode() == value


def test_older_keys_still_decrypt_on_the_fast_path(settings):
    old_token = crypto.encrypt("13812345678")
    settings.GONGZHI_FIELD_KEY = f"{crypto.generate_field_key()},{settings.GONGZHI_FIELD_KEY}"
    assert crypto._decrypt_fast(old_token, settings.GONGZHI_FIELD_KEY) == b"13812345678"
    assert crypto.decrypt(old_token) == "13812345678"


def _resign(settings, data: bytes) -> str:
    """``data`` (version, timestamp, IV, ciphertext) with a valid HMAC of the current key."""
    import hmac

    secret = base64.urlsafe_b64decode(settings.GONGZHI_FIELD_KEY.split(",")[0])
    return base64.urlsafe_b64encode(data + hmac.digest(secret[:16], data, "sha256")).decode()


def test_what_the_library_refuses_is_refused(settings):
    token = crypto.encrypt("420105196005170011")
    data = base64.urlsafe_b64decode(token)
    tampered = bytearray(data)
    tampered[30] ^= 1
    other_key = Fernet(Fernet.generate_key()).encrypt(b"13812345678").decode()
    # A valid signature over a ciphertext whose padding is wrong (the last block cut off).
    bad_padding = _resign(settings, data[: -32 - 16])
    bad = [
        base64.urlsafe_b64encode(bytes(tampered)).decode(),
        other_key,
        bad_padding,
        _resign(settings, b"\x81" + data[1:-32]),  # another version byte
        token[:-4],
        "not a token",
        "令牌",
    ]
    for value in bad:
        assert crypto._decrypt_fast(value, settings.GONGZHI_FIELD_KEY) is None, value
        with pytest.raises(ImproperlyConfigured):
            crypto.decrypt(value)


def test_threads_share_nothing_that_breaks(settings):
    tokens = {value: crypto.encrypt(value) for value in VALUES}
    errors = []

    def work() -> None:
        for _round in range(200):
            for value, token in tokens.items():
                if crypto.decrypt(token) != value:
                    errors.append(value)

    threads = [threading.Thread(target=work) for _n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
