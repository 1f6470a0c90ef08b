from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PickersConfig(AppConfig):
    name = "gongzhi.pickers"
    label = "pickers"
    verbose_name = _("pickers")
