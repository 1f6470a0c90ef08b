"""Sign in with the mobile number of an account as well as with the username."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from gongzhi.accounts.models import UserPhone
from gongzhi.core import crypto
from gongzhi.core.identity import _MOBILE_RE


class PhoneBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or not password or not _MOBILE_RE.match(username):
            return None
        owner = UserPhone.objects.select_related("user").filter(digest=crypto.digest(username))
        owner = owner.first()
        if owner is None:
            # Spend the same hashing time as a real check, as ModelBackend does.
            get_user_model()().set_password(password)
            return None
        user = owner.user
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
