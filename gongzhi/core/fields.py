"""Model fields for personal data, and a shared constraint condition."""

import functools
import operator

from django.db import models

from gongzhi.core import crypto


class EncryptedTextField(models.TextField):
    """Holds a string encrypted at rest; the Python value is the clear text.

    The column only ever contains a Fernet token. It cannot be filtered on: pair it with a
    digest column (see ``gongzhi.core.crypto.digest``) when lookups are needed.
    """

    description = "Text encrypted at rest"

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return crypto.decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(value)


def exactly_one(*fields: str) -> models.Q:
    """A CheckConstraint condition: exactly one of the nullable ``fields`` is set (the owner of a
    matter, the scope of a profile, the target of a visit …)."""
    return functools.reduce(
        operator.or_,
        (models.Q(**{f"{other}__isnull": other != field for other in fields}) for field in fields),
    )
