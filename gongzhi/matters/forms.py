"""Forms of the matters pages. They check the shape of the input; the services decide the rest
(permissions, states, places in reach) and their ``MatterError`` is shown as the form's error."""

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gongzhi.core.identity import normalize_phone
from gongzhi.core.text import clean_text
from gongzhi.matters.models import (
    MAX_TEXT_LENGTH,
    Category,
    Channel,
    Priority,
    Satisfaction,
    Tier,
    WorkingMode,
)

# The services refuse photos over 5 MB; the upload handler stops reading a bigger one at once.
from gongzhi.matters.services import PHOTO_MAX_BYTES, validate_photo

PHOTO_ACCEPT = "image/jpeg,image/png,image/webp"


class TextField(forms.CharField):
    """Free text as people type it, with control characters dropped at the door
    (``core.text.clean_text``; tabs and line breaks stay)."""

    def to_python(self, value):
        return clean_text(super().to_python(value))


class PhotoSizeLimit(FileUploadHandler):
    """Stops receiving a file as soon as it passes the photo limit, so nothing of it is kept.

    Put it first in ``request.upload_handlers`` (before the body is read); the names of refused
    fields end up in ``refused``.
    """

    def __init__(self, request=None, limit: int = PHOTO_MAX_BYTES):
        super().__init__(request)
        self.limit = limit
        self.refused: set[str] = set()

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.limit:
            self.refused.add(self.field_name)
            raise SkipFile
        return raw_data

    def file_complete(self, file_size):
        return None


def photo_too_big_message() -> str:
    return gettext("A photo may be at most 5 MB.")


class PhotoMixin:
    """An optional ``photo`` field checked by content, and refused early when too big."""

    def __init__(self, *args, refused_photo: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.refused_photo = refused_photo

    def clean_photo(self):
        if self.refused_photo:
            raise ValidationError(photo_too_big_message())
        photo = self.cleaned_data.get("photo")
        if photo:
            validate_photo(photo)
        return photo


def photo_field():
    return forms.FileField(
        label=_("Photo"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": PHOTO_ACCEPT}),
        help_text=_("JPEG, PNG or WebP, at most 5 MB."),
    )


def text_field():
    return TextField(
        label=_("What is the matter?"),
        max_length=MAX_TEXT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("Please describe the matter.")},
    )


class IntakeForm(PhotoMixin, forms.Form):
    """Staff, grid workers and partners take in a matter for a resident (or anonymously).

    The place is the most specific of community → compound → building → household; the
    querysets are the places the user may see (the view sets them).
    """

    text = text_field()
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    community = forms.ModelChoiceField(label=_("Community"), queryset=None, required=False)
    compound = forms.ModelChoiceField(label=_("Compound"), queryset=None, required=False)
    building = forms.ModelChoiceField(label=_("Building"), queryset=None, required=False)
    household = forms.ModelChoiceField(label=_("Household"), queryset=None, required=False)
    reporter = forms.ModelChoiceField(label=_("Reporter"), queryset=None, required=False)
    reporter_name = TextField(label=_("Name (if anonymous)"), max_length=40, required=False)
    reporter_contact = forms.CharField(
        label=_("Contact phone (optional)"), max_length=20, required=False
    )
    priority = forms.ChoiceField(
        label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL
    )
    handled_on_spot = forms.BooleanField(
        label=_("Already handled on the spot"),
        required=False,
        help_text=_("A small matter you have dealt with yourself: it is recorded as done."),
    )
    resolution_note = TextField(
        label=_("What was done"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    photo = photo_field()

    def __init__(
        self,
        *args,
        communities,
        compounds,
        buildings,
        households,
        residents,
        on_spot: bool = False,
        **kw,
    ):
        """``on_spot``: offer on-the-spot handling (grid workers and community staff)."""
        super().__init__(*args, **kw)
        if not on_spot:
            del self.fields["handled_on_spot"], self.fields["resolution_note"]
        self.fields["community"].queryset = communities
        self.fields["compound"].queryset = compounds
        self.fields["building"].queryset = buildings
        self.fields["household"].queryset = households
        self.fields["reporter"].queryset = residents

    def clean_reporter_contact(self):
        contact = self.cleaned_data["reporter_contact"].strip()
        if not contact:
            return ""
        return normalize_phone(contact)

    def clean(self):
        data = super().clean()
        household, building = data.get("household"), data.get("building")
        compound, community = data.get("compound"), data.get("community")
        if household and building and household.unit.building_id != building.pk:
            self.add_error("household", gettext("This household is not in the chosen building."))
        if building and compound and building.compound_id != compound.pk:
            self.add_error("building", gettext("This building is not in the chosen compound."))
        if compound and community and compound.community_id != community.pk:
            self.add_error("compound", gettext("This compound is not in the chosen community."))
        if not (household or building or compound or community) and not self.has_error("community"):
            self.add_error("community", gettext("Choose the place the matter concerns."))
        return data

    def place_kwargs(self) -> dict:
        return {
            level: self.cleaned_data.get(level)
            for level in ("community", "compound", "building", "household")
        }


class ReportForm(PhotoMixin, forms.Form):
    """A resident reports a matter: where (any building or compound of their community)."""

    text = text_field()
    where = forms.ChoiceField(label=_("Where"))
    photo = photo_field()

    def __init__(self, *args, places: list, **kwargs):
        """``places``: choices, grouped as (group label, [(value, label), …])."""
        super().__init__(*args, **kwargs)
        self.fields["where"].choices = places
        self.fields["where"].error_messages["invalid_choice"] = _(
            "Choose one of the places offered."
        )


class ClassifyForm(forms.Form):
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    tier = forms.ChoiceField(label=_("Tier"), choices=Tier.choices)


class AssignForm(forms.Form):
    """The owners come from the type-ahead picker as repeated ``owners`` fields ("partner:12",
    "user:7" …); the view resolves them with ``pickers.selectors.resolve``."""

    working_mode = forms.ChoiceField(
        label=_("Working mode"), choices=[("", "—"), *WorkingMode.choices], required=False
    )
    note = TextField(label=_("Note"), max_length=500, required=False)


class NoteForm(forms.Form):
    note = TextField(label=_("Note"), max_length=500, required=False)


class MergeForm(forms.Form):
    into = forms.IntegerField(label=_("Merge into matter number"), min_value=1)


class ReferForm(forms.Form):
    to = TextField(label=_("Referred to"), max_length=120)
    reason = TextField(label=_("Reason"), max_length=500)


class ReasonForm(forms.Form):
    reason = TextField(label=_("Reason"), max_length=500)


class WithdrawForm(forms.Form):
    reason = TextField(label=_("Reason (optional)"), max_length=500, required=False)


class FeedbackForm(forms.Form):
    satisfaction = forms.ChoiceField(
        label=_("Are you satisfied with how it was handled?"),
        choices=Satisfaction.choices,
        widget=forms.RadioSelect,
    )
    comment = TextField(
        label=_("Comment (optional)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
