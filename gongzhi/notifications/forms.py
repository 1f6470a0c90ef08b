from django import forms
from django.utils.translation import gettext_lazy as _

from gongzhi.notifications.models import PreferredChannel


class PreferenceForm(forms.Form):
    channel = forms.ChoiceField(label=_("Tell me by"), choices=PreferredChannel.choices)
    wecom_user_id = forms.CharField(label=_("WeCom user ID"), max_length=64, required=False)
    quiet_start = forms.TimeField(label=_("Quiet from"))
    quiet_end = forms.TimeField(label=_("Quiet until"))
