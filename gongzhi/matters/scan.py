"""Scan to report (扫码上报): the public page behind a poster's QR code.

The place comes from the link. A signed-in user reports as themselves; anyone else proves a
mobile number with an SMS code, and the matter records that number (encrypted) as the
reporter's contact so that the community can reply. Every report goes through
``matter_submit``, like any other.
"""

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from gongzhi.accounts import services
from gongzhi.accounts.models import CodePurpose
from gongzhi.accounts.services import AccountError
from gongzhi.core.addresses import client_address
from gongzhi.matters import services as matters
from gongzhi.matters.models import MAX_TEXT_LENGTH, Channel
from gongzhi.matters.services import MatterError
from gongzhi.places.models import Building, Compound
from gongzhi.places.posters import place_title


class ScanReportForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("What is the problem?"),
        max_length=MAX_TEXT_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    phone = forms.CharField(label=gettext_lazy("Mobile number"), max_length=20, required=False)
    code = forms.CharField(label=gettext_lazy("SMS code"), max_length=10, required=False)


def _signed_in(user) -> bool:
    """Users who report as themselves: anyone with a role (a sign-up still waiting has none)."""
    return user.is_authenticated and (user.is_superuser or hasattr(user, "profile"))


@require_http_methods(["GET", "POST"])
def report_building(request: HttpRequest, pk: int) -> HttpResponse:
    building = get_object_or_404(Building.objects.select_related("compound__community"), pk=pk)
    return _report(request, building, matters.resolve_place(building=building))


@require_http_methods(["GET", "POST"])
def report_compound(request: HttpRequest, pk: int) -> HttpResponse:
    compound = get_object_or_404(Compound.objects.select_related("community"), pk=pk)
    return _report(request, compound, matters.resolve_place(compound=compound))


def _report(request: HttpRequest, place, where: dict) -> HttpResponse:
    community = where["community"]
    form = ScanReportForm(request.POST or None)
    error = None
    as_self = _signed_in(request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if "send_code" in request.POST and not as_self:
                services.phone_code_send(
                    phone=data["phone"],
                    purpose=CodePurpose.REPORT,
                    address=client_address(request),
                )
                return render(
                    request,
                    "accounts/scan_report.html",
                    _context(place, community, form, as_self, code_sent=True),
                )
            matter = _submit(request, data, where, as_self)
        except (AccountError, MatterError) as exc:
            error = exc.message
        else:
            if as_self:
                return redirect("matters:detail", pk=matter.pk)
            return render(
                request, "accounts/scan_thanks.html", {"matter": matter, "community": community}
            )
    context = _context(place, community, form, as_self, error=error)
    return render(request, "accounts/scan_report.html", context, status=400 if error else 200)


def _submit(request: HttpRequest, data: dict, where: dict, as_self: bool):
    text = matters.clean_text(data["text"])  # before the code is used up
    if as_self:
        return matters.matter_submit(
            actor=request.user, text=text, channel=Channel.ONLINE_WEB, place=where
        )
    if not (data["phone"] or "").strip():
        raise AccountError(
            "phone_required",
            _(
                "Reports without a verified mobile number are not accepted: enter your number, "
                "get a code by SMS and enter it, or log in."
            ),
        )
    # The code is used up (or the wrong try counted) in its own transaction, before the report.
    phone = services.phone_code_verify(
        phone=data["phone"], purpose=CodePurpose.REPORT, code=data["code"]
    )
    # No account: the matter has no actor; the verified number is how the community
    # answers (matters keep it encrypted and send status changes to it).
    return matters.matter_submit(
        actor=None, text=text, channel=Channel.ONLINE_WEB, place=where, reporter_contact=phone
    )


def _context(place, community, form, as_self, *, error=None, code_sent=False) -> dict:
    here = reverse(
        "scan:building" if isinstance(place, Building) else "scan:compound", args=[place.pk]
    )
    return {
        "place": place,
        "title": place_title(place),
        "community": community,
        "form": form,
        "as_self": as_self,
        "error": error,
        "code_sent": code_sent,
        "here": here,
    }
