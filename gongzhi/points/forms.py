from django import forms
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from gongzhi.points.models import ShopItem


class ItemForm(forms.ModelForm):
    """A shop item of one community (``community_id`` is fixed by the view)."""

    class Meta:
        model = ShopItem
        fields = [
            "name",
            "description",
            "price",
            "stock",
            "per_person_limit",
            "pickup_days",
            "active",
        ]

    add_stock = forms.IntegerField(
        label=_("Add to stock"),
        required=False,
        help_text=_("Units delivered (negative to take some off the shelf)"),
    )

    def __init__(self, *args, community_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.community_id = community_id
        if self.instance.pk:
            # Stock of an item on sale changes only by a relative update, never a stale value.
            del self.fields["stock"]
        else:
            del self.fields["add_stock"]

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        taken = ShopItem.objects.filter(community_id=self.community_id, name=name)
        if taken.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("The shop already has an item with this name."))
        return name

    def clean_price(self):
        price = self.cleaned_data["price"]
        if price is None or price < 1:
            raise forms.ValidationError(_("The price must be at least 1 point."))
        return price

    def clean_stock(self):
        stock = self.cleaned_data["stock"]
        if stock is None or stock < 0:
            raise forms.ValidationError(_("Stock cannot be negative."))
        return stock

    @transaction.atomic
    def save(self, commit=True):
        item = super().save(commit=False)
        if item.pk is None:
            item.community_id = self.community_id
            item.save()
            return item
        item.save(update_fields=[f for f in self.Meta.fields if f != "stock"])
        delta = self.cleaned_data.get("add_stock") or 0
        if delta:
            changed = ShopItem.objects.filter(pk=item.pk, stock__gte=-delta).update(
                stock=F("stock") + delta
            )
            if not changed:
                raise StockError(_("There are fewer units in stock than you want to take off."))
        item.refresh_from_db(fields=["stock"])
        return item


class StockError(Exception):
    pass
