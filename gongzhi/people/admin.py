from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from gongzhi.audit.models import AuditAction
from gongzhi.audit.services import record
from gongzhi.core.identity import normalize_id_number, normalize_phone
from gongzhi.people.models import Resident, Tag


class ResidentForm(forms.ModelForm):
    """Validates the ID number and phone the same way imports do."""

    class Meta:
        model = Resident
        fields = ["household", "name", "gender", "birth_date", "id_number", "phone", "relation"]
        widgets = {"id_number": forms.TextInput, "phone": forms.TextInput}

    def clean_id_number(self) -> str:
        value = self.cleaned_data["id_number"]
        return normalize_id_number(value) if value else ""

    def clean_phone(self) -> str:
        value = self.cleaned_data["phone"]
        return normalize_phone(value) if value else ""


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "sensitive"]
    list_filter = ["sensitive"]
    search_fields = ["name"]


@admin.register(Resident)
class ResidentAdmin(admin.ModelAdmin):
    form = ResidentForm
    fields = [*ResidentForm.Meta.fields, "tags"]
    # Lists never show personal data in clear: only the masked forms.
    list_display = ["name", "gender", "household", "relation", "id_masked", "phone_masked_col"]
    list_filter = ["gender", "relation", "tags", "household__unit__building__compound"]
    list_select_related = ["household__unit__building__compound"]
    search_fields = ["name"]
    autocomplete_fields = ["household"]
    filter_horizontal = ["tags"]

    @admin.display(description=_("ID-card number"))
    def id_masked(self, obj: Resident) -> str:
        return obj.id_number_masked

    @admin.display(description=_("phone"))
    def phone_masked_col(self, obj: Resident) -> str:
        return obj.phone_masked

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # The change form shows the ID number and phone in full.
        if request.method == "GET" and str(object_id).isdigit():
            resident = Resident.objects.filter(pk=object_id).first()
            if resident is not None:
                record(
                    request,
                    AuditAction.DECRYPT,
                    f"resident:{resident.pk}",
                    place=resident,
                    detail={"fields": ["id_number", "phone"], "page": "admin"},
                )
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj: Resident, form, change) -> None:
        # The digest that keeps one person once must follow the ID number.
        obj.set_id_number(form.cleaned_data["id_number"])
        super().save_model(request, obj, form, change)
        record(
            request,
            AuditAction.CHANGE,
            f"resident:{obj.pk}",
            place=obj,
            detail={"op": "update" if change else "create", "fields": sorted(form.changed_data)},
        )

    def delete_model(self, request, obj: Resident) -> None:
        record(
            request, AuditAction.CHANGE, f"resident:{obj.pk}", place=obj, detail={"op": "delete"}
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset) -> None:
        for resident in queryset:
            record(
                request,
                AuditAction.CHANGE,
                f"resident:{resident.pk}",
                place=resident,
                detail={"op": "delete"},
            )
        super().delete_queryset(request, queryset)
