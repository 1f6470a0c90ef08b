from django import forms
from django.utils.translation import gettext_lazy as _

from gongzhi.core.text import clean_text
from gongzhi.mediation.models import MAX_TEXT_LENGTH, CaseKind, Outcome, ReferralTarget


class TextField(forms.CharField):
    """Free text as typed, without control characters (``core.text.clean_text``)."""

    def to_python(self, value):
        return clean_text(super().to_python(value))


class CaseForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=CaseKind.choices)
    place = forms.ChoiceField(label=_("Place"))
    description = TextField(
        label=_("Description"), max_length=MAX_TEXT_LENGTH, widget=forms.Textarea(attrs={"rows": 4})
    )
    parties = TextField(
        label=_("Parties, one per line"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, places=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].choices = places


class SessionForm(forms.Form):
    notes = TextField(
        label=_("Session notes"),
        max_length=MAX_TEXT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.choices)
    agreement_text = TextField(
        label=_("Agreement"),
        max_length=MAX_TEXT_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    referred_to = forms.ChoiceField(
        label=_("Referred to (if failed)"),
        choices=[("", "—"), *ReferralTarget.choices],
        required=False,
    )
    referral_note = TextField(label=_("Referral note"), max_length=200, required=False)


class FollowUpForm(forms.Form):
    follow_up = forms.IntegerField(widget=forms.HiddenInput)
    held = forms.TypedChoiceField(
        label=_("Did the agreement hold?"),
        choices=[("yes", _("yes, it held")), ("no", _("no, it broke down"))],
        coerce=lambda value: value == "yes",
    )
    notes = TextField(label=_("Notes"), max_length=MAX_TEXT_LENGTH, required=False)
