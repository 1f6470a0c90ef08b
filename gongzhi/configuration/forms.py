"""The settings forms: they only shape what the page sends into the dict the services take;
the services check the values (so the page and the API refuse with the same message)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from gongzhi.matters.models import Category, Tier, WorkingMode
from gongzhi.partners.models import OrganisationKind, PartnerKind, Role, TeamKind
from gongzhi.volunteering.models import ActivityKind, EarningUnit


def _blank(choices):
    return [("", "—"), *choices]


def _optional_id(label) -> forms.TypedChoiceField:
    """A choice of one of the community's rows by id (choices set by the form), or none."""
    return forms.TypedChoiceField(
        label=label, choices=(), coerce=int, empty_value=None, required=False
    )


def _checkboxes(label, choices) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=label, choices=choices, required=False, widget=forms.CheckboxSelectMultiple
    )


class SettingsForm(forms.Form):
    def values(self) -> dict:
        return dict(self.cleaned_data)


class TierForm(SettingsForm):
    """Rules and deadlines are set per tier, or per category within it."""

    tier = forms.ChoiceField(label=_("Tier"), choices=Tier.choices)
    category = forms.ChoiceField(
        label=_("Category (empty: the whole tier)"),
        choices=_blank(Category.choices),
        required=False,
    )


class RuleForm(TierForm):
    working_mode = forms.ChoiceField(label=_("Working mode"), choices=WorkingMode.choices)
    partner_kinds = _checkboxes(_("Partner kinds"), PartnerKind.choices)
    role_codes = _checkboxes(_("Roles"), ())  # the roles are read when the form is made
    team_kinds = _checkboxes(_("Team kinds"), TeamKind.choices)
    organisation_kinds = _checkboxes(_("Organisation kinds"), OrganisationKind.choices)
    whistle_organisation_ids = forms.TypedMultipleChoiceField(
        label=_("Whistle to (hard matters)"),
        choices=(),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    whistle_response_hours = forms.IntegerField(label=_("Whistle answer within (hours)"))
    match_skill = forms.BooleanField(label=_("Prefer a matching skill"), required=False)
    propose_meeting = forms.BooleanField(label=_("Propose to the next meeting"), required=False)
    auto_assign = forms.BooleanField(
        label=_("Assign the best candidate automatically"), required=False
    )

    def __init__(self, *args, organisations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role_codes"].choices = list(Role.objects.values_list("code", "name"))
        self.fields["whistle_organisation_ids"].choices = [(o.pk, o.name) for o in organisations]


class PolicyForm(TierForm):
    acknowledge_hours = forms.IntegerField(label=_("Acknowledge within (hours)"), initial=24)
    resolve_days = forms.IntegerField(label=_("Resolve within (days)"))
    working_days = forms.BooleanField(label=_("Count working days only"), required=False)


class EarningForm(SettingsForm):
    kind = forms.ChoiceField(label=_("Activity kind"), choices=ActivityKind.choices)
    unit = forms.ChoiceField(label=_("Unit"), choices=EarningUnit.choices)
    points = forms.IntegerField(label=_("Points per unit"))
    cap_per_activity = forms.IntegerField(label=_("Cap per activity"), required=False)
    publicity_days = forms.IntegerField(label=_("Publicity days"), initial=7)
    valid_from = forms.DateField(
        label=_("Valid from"), widget=forms.DateInput(attrs={"type": "date"})
    )
    valid_to = forms.DateField(
        label=_("Valid to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class StarForm(SettingsForm):
    thresholds = forms.CharField(
        label=_("Hours for each star, in order"), help_text=_("For example: 100, 300, 600")
    )
    publicity_days = forms.IntegerField(label=_("Publicity days"), initial=7)

    def values(self) -> dict:
        # Parsing only; the service refuses anything that is not increasing whole hours.
        parts = [p.strip() for p in self.cleaned_data["thresholds"].replace("，", ",").split(",")]
        thresholds = [int(p) if p.isdigit() else p for p in parts if p]
        return {"thresholds": thresholds, "publicity_days": self.cleaned_data["publicity_days"]}


class TeamForm(SettingsForm):
    name = forms.CharField(label=_("Name"), max_length=60)
    kind = forms.ChoiceField(label=_("Kind"), choices=TeamKind.choices)
    compound_id = _optional_id(_("Compound"))
    leader_id = _optional_id(_("Leader"))
    focus = forms.CharField(label=_("Focus"), max_length=200, required=False)

    def __init__(self, *args, compounds=(), partners=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["compound_id"].choices = _blank([(c.pk, c.name) for c in compounds])
        self.fields["leader_id"].choices = _blank([(p.pk, p.name) for p in partners])


class ItemForm(SettingsForm):
    name = forms.CharField(label=_("Name"), max_length=60)
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    price = forms.IntegerField(label=_("Price in points"))
    stock = forms.IntegerField(label=_("Stock"), initial=0)
    per_person_limit = forms.IntegerField(label=_("Limit per person"), required=False)
    pickup_days = forms.IntegerField(label=_("Days to pick up"), initial=7)
    active = forms.BooleanField(label=_("On sale"), required=False, initial=True)
    photo = forms.FileField(
        label=_("Photo"),
        required=False,
        help_text=_("JPEG, PNG or WebP, at most 2 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )

    def values(self) -> dict:
        values = dict(self.cleaned_data)
        values.pop("photo", None)
        return values


class VenueForm(SettingsForm):
    name = forms.CharField(label=_("Name"), max_length=60)
    compound_id = _optional_id(_("Compound"))
    address = forms.CharField(label=_("Address"), max_length=120, required=False)
    capacity = forms.IntegerField(label=_("Seats"), required=False)

    def __init__(self, *args, compounds=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["compound_id"].choices = _blank([(c.pk, c.name) for c in compounds])


class HolidayForm(SettingsForm):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    name = forms.CharField(label=_("Name"), max_length=30)
    is_workday = forms.BooleanField(label=_("Weekend working day (调休)"), required=False)
