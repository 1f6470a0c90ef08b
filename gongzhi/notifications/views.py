"""The in-app inbox: unread first, mark read (htmx), open the matter a notification is about."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gongzhi.core.identity import mask_phone
from gongzhi.listing.pages import is_partial
from gongzhi.notifications.forms import PreferenceForm
from gongzhi.notifications.models import Notification
from gongzhi.notifications.selectors import phones_of, preference_of
from gongzhi.notifications.services import notification_mark_read, notification_preference_set


def notification_get(user, pk: int) -> Notification:
    """The user's own notification (404 for anyone else's)."""
    return get_object_or_404(Notification.objects.filter(user=user), pk=pk)


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    rows = Notification.objects.filter(user=request.user).order_by(
        F("read_at").asc(nulls_first=True), "-created_at", "-id"
    )
    page = Paginator(rows, 30).get_page(request.GET.get("page"))
    unread = Notification.objects.filter(user=request.user, read_at__isnull=True).count()
    return render(
        request,
        "notifications/inbox.html",
        {"page": page, "rows": page.object_list, "unread": unread},
    )


@login_required
@require_POST
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    notification = notification_get(request.user, pk)
    notification_mark_read(user=request.user, ids=[notification.pk])
    if is_partial(request):
        notification.refresh_from_db()
        return render(request, "notifications/_row.html", {"n": notification})
    return redirect("notifications:inbox")


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    notification_mark_read(user=request.user)
    return redirect("notifications:inbox")


@login_required
@require_GET
def open_notification(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark the notification read and go to what it is about (only links on this site)."""
    notification = notification_get(request.user, pk)
    notification_mark_read(user=request.user, ids=[notification.pk])
    link = notification.link
    if link.startswith("/") and url_has_allowed_host_and_scheme(link, allowed_hosts=None):
        return redirect(link)
    return redirect("notifications:inbox")


def _hhmm(value) -> str:
    return value.strftime("%H:%M") if hasattr(value, "strftime") else (value or "")


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    """How the user wants to be told beyond the inbox (phone-first page)."""
    pref = preference_of(request.user)
    initial = {
        "channel": pref.channel,
        "wecom_user_id": pref.wecom_user_id,
        "quiet_start": pref.quiet_start,
        "quiet_end": pref.quiet_end,
    }
    form = PreferenceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            notification_preference_set(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect(f"{request.path}?saved=1")
    phone = phones_of([request.user]).get(request.user.pk, "")
    return render(
        request,
        "notifications/preferences.html",
        {
            "form": form,
            "phone": mask_phone(phone),
            "saved": "saved" in request.GET,
            "quiet_start": _hhmm(form["quiet_start"].value()),
            "quiet_end": _hhmm(form["quiet_end"].value()),
        },
    )
