from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from gongzhi.core.identity import normalize_phone
from gongzhi.partners.models import Organisation, Partner, Role, Skill, Team, TeamMembership


def _clean_phone(value: str) -> str:
    return normalize_phone(value) if value else ""


class PartnerForm(forms.ModelForm):
    class Meta:
        model = Partner
        fields = [
            "resident",
            "name",
            "phone",
            "kind",
            "community",
            "compound",
            "building",
            "skills",
            "roles",
            "is_party_member",
            "status",
            "joined_on",
        ]
        widgets = {"phone": forms.TextInput}

    def clean_phone(self) -> str:
        return _clean_phone(self.cleaned_data["phone"])


class OrganisationForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = [
            "name",
            "kind",
            "subdistrict",
            "community",
            "compound",
            "contact_name",
            "contact_phone",
            "address",
            "description",
        ]
        widgets = {"contact_phone": forms.TextInput}

    def clean_contact_phone(self) -> str:
        return _clean_phone(self.cleaned_data["contact_phone"])


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    search_fields = ["name"]


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    form = PartnerForm
    list_display = ["name", "kind", "community", "compound", "building", "status", "phone_col"]
    list_filter = ["kind", "status", "community", "skills", "roles"]
    list_select_related = ["community", "compound", "building__compound"]
    search_fields = ["name"]
    autocomplete_fields = ["resident", "building", "compound"]
    filter_horizontal = ["skills", "roles"]

    @admin.display(description=_("phone"))
    def phone_col(self, obj: Partner) -> str:
        return obj.phone_masked


class MembershipInline(admin.TabularInline):
    model = TeamMembership
    autocomplete_fields = ["partner"]
    extra = 1


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "community", "compound", "leader"]
    list_filter = ["kind", "community"]
    list_select_related = ["community", "compound", "leader"]
    search_fields = ["name"]
    autocomplete_fields = ["leader", "compound", "building"]
    inlines = [MembershipInline]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    form = OrganisationForm
    list_display = ["name", "kind", "subdistrict", "community", "compound", "contact_col"]
    list_filter = ["kind", "subdistrict", "community"]
    list_select_related = ["subdistrict", "community", "compound"]
    search_fields = ["name"]

    @admin.display(description=_("contact phone"))
    def contact_col(self, obj: Organisation) -> str:
        return obj.contact_phone_masked
