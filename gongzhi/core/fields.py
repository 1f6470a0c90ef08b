"""Model fields for personal data."""

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
