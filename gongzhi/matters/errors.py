"""The matters app's refused write (``core.services.ServiceError``); a leaf module, so that
selectors, forms and the chat paste can raise it without importing the services."""

from typing import ClassVar

from gongzhi.core.services import ServiceError


class MatterError(ServiceError):
    """A refused write to a matter. ``code`` is stable for API clients; ``message`` is
    translated. Codes not listed here or in ``ServiceError.COMMON`` answer 400."""

    statuses: ClassVar[dict[str, int]] = {
        "not_reporter": 403,
        "field_not_allowed": 403,
        "too_early": 409,
    }
