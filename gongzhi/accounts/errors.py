"""The refusal of every accounts service (a ``ServiceError``: the API answers it by itself)."""

from typing import ClassVar

from gongzhi.core.services import ServiceError


class AccountError(ServiceError):
    """A refused account write or login: nothing was changed."""

    statuses: ClassVar[dict[str, int]] = {
        "rate_limited": 429,
        "login_throttled": 429,
        "otp_throttled": 429,
        "bad_login": 401,
        "token_expired": 401,
        "token_revoked": 401,
        "resident_taken": 409,
        "no_account": 404,
    }
