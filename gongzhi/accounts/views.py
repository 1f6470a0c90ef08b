import time

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import PasswordChangeView
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from gongzhi.accounts import rules, services
from gongzhi.accounts.letters import letters_pdf
from gongzhi.accounts.models import (
    AccountEvent,
    ApiToken,
    CodePurpose,
    Profile,
    SignUp,
    SignUpStatus,
)
from gongzhi.accounts.secondfactor import (
    REQUIRED_ROLES,
    enrolment_device,
    has_second_factor,
    qr_svg,
    recovery_codes_left,
    recovery_codes_renew,
    second_factor_confirm,
    second_factor_required,
    second_factor_reset,
    second_factor_verify,
    secret_text,
)
from gongzhi.accounts.services import AccountError
from gongzhi.core.addresses import client_address
from gongzhi.people.models import Resident
from gongzhi.people.selectors import resident_list
from gongzhi.places.models import Community
from gongzhi.places.selectors import building_get


def _safe_next(request: HttpRequest) -> str:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        return ""
    return next_url


def _bad_phone() -> AccountError:
    return AccountError("bad_phone", _("Enter an 11-digit mobile number, e.g. 13812345678."))


def _login(request: HttpRequest, user) -> None:
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")


# A password accepted, the second factor still to come: who, since when, with what name.
PENDING_KEY = "gz_pending_login"
PENDING_SECONDS = 300


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request)
    status = 200
    if request.method == "POST":
        username = request.POST.get("username", "").strip()
        password = request.POST.get("password", "")
        address = client_address(request)
        try:
            user = services.login_attempt(
                request=request, username=username, password=password, address=address
            )
        except AccountError as error:
            messages.error(request, error.message)
            status = error.status
        else:
            if has_second_factor(user):
                request.session[PENDING_KEY] = {
                    "user": user.pk,
                    "at": int(time.time()),
                    "username": username,
                    "next": next_url,
                }
                return redirect("accounts:login_code")
            login(request, user)
            services.login_completed(user=user, username=username, address=address)
            return redirect(next_url or "core:home")
    return render(request, "accounts/login.html", {"next": next_url}, status=status)


@require_http_methods(["GET", "POST"])
def login_code(request: HttpRequest) -> HttpResponse:
    """The second step of a login: the authenticator's code, or a recovery code."""
    pending = request.session.get(PENDING_KEY)
    if not pending or time.time() - pending["at"] > PENDING_SECONDS:
        request.session.pop(PENDING_KEY, None)
        messages.info(request, _("Enter your username and password again."))
        return redirect("accounts:login")
    user = get_user_model().objects.filter(pk=pending["user"], is_active=True).first()
    if user is None:
        return redirect("accounts:login")
    status = 200
    if request.method == "POST":
        try:
            device = second_factor_verify(user=user, code=request.POST.get("code", ""))
        except AccountError as error:
            messages.error(request, error.message)
            status = error.status
        else:
            del request.session[PENDING_KEY]
            _login(request, user)
            otp_login(request, device)
            services.login_completed(
                user=user, username=pending["username"], address=client_address(request)
            )
            if isinstance(device, StaticDevice):
                messages.warning(
                    request,
                    _("You used a recovery code; %(left)s are left.")
                    % {"left": recovery_codes_left(user)},
                )
            return redirect(pending["next"] or "core:home")
    return render(request, "accounts/login_code.html", status=status)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("accounts:login")


# ---- second factor --------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def two_factor(request: HttpRequest) -> HttpResponse:
    """One page for the second factor: set it up (QR code, first code, recovery codes shown
    once), confirm it for this session, or renew the recovery codes."""
    user = request.user
    next_url = _safe_next(request)
    enrolled = has_second_factor(user)
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        code = request.POST.get("code", "")
        try:
            if not enrolled:
                device, codes = second_factor_confirm(user=user, code=code)
                otp_login(request, device)
                return render(
                    request, "accounts/recovery_codes.html", {"codes": codes, "next": next_url}
                )
            if action == "renew":
                codes = recovery_codes_renew(user=user, code=code)
                return render(
                    request, "accounts/recovery_codes.html", {"codes": codes, "next": next_url}
                )
            device = second_factor_verify(user=user, code=code)
            otp_login(request, device)
            return redirect(next_url or "core:home")
        except AccountError as error:
            messages.error(request, error.message)
            status = error.status
    context = {
        "enrolled": enrolled,
        "verified": user.is_verified(),
        "required": second_factor_required(user),
        "next": next_url,
    }
    if enrolled:
        context["codes_left"] = recovery_codes_left(user)
    else:
        device = enrolment_device(user)
        context["qr"] = qr_svg(device)
        context["secret"] = secret_text(device)
    return render(request, "accounts/two_factor.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_reset(request: HttpRequest) -> HttpResponse:
    """Superusers: who has a second factor, and resetting one (a lost phone)."""
    if not request.user.is_superuser:
        raise PermissionDenied
    User = get_user_model()
    if request.method == "POST":
        user = get_object_or_404(User, pk=request.POST.get("user") or 0)
        second_factor_reset(actor=request.user, user=user, request=request)
        messages.success(
            request,
            _("The second factor of %(name)s was reset; they set it up again at the next login.")
            % {"name": user.get_full_name() or user.username},
        )
        return redirect(f"{reverse('accounts:two_factor_reset')}?q={user.username}")
    query = request.GET.get("q", "").strip()
    users = User.objects.filter(is_active=True).select_related("profile").order_by("username")
    if query:
        users = users.filter(Q(username__icontains=query) | Q(first_name__icontains=query))
    else:
        users = users.filter(
            Q(is_superuser=True) | Q(profile__role__in=[r.value for r in REQUIRED_ROLES])
        )
    users = list(users[:100])
    enrolled = set(
        TOTPDevice.objects.filter(user__in=users, confirmed=True).values_list("user_id", flat=True)
    )
    rows = [(user, user.pk in enrolled) for user in users]
    return render(request, "accounts/two_factor_reset.html", {"rows": rows, "q": query})


# ---- API tokens -----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    """我的访问令牌: the user's own API tokens; a new one is shown once, here."""
    created = None
    status = 200
    if request.method == "POST":
        try:
            days = int(request.POST.get("days") or settings.GONGZHI_TOKEN_DAYS)
        except ValueError:
            days = 0
        try:
            created = services.api_token_issue(
                user=request.user, name=request.POST.get("name", ""), days=days
            )
        except AccountError as error:
            messages.error(request, error.message)
            status = error.status
    rows = ApiToken.objects.filter(user=request.user).order_by("-created_at", "-id")
    return render(
        request,
        "accounts/tokens.html",
        {
            "rows": rows,
            "created": created,
            "now": timezone.now(),
            "default_days": settings.GONGZHI_TOKEN_DAYS,
        },
        status=status,
    )


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    try:
        services.api_token_revoke(actor=request.user, token=token)
    except AccountError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The token %(name)s no longer works.") % {"name": token.name})
    return redirect("accounts:tokens")


# ---- sign-up --------------------------------------------------------------------------------


class SignUpForm(forms.Form):
    phone = forms.CharField(label=gettext_lazy("Mobile number"), max_length=20)
    code = forms.CharField(label=gettext_lazy("SMS code"), max_length=10, required=False)
    name = forms.CharField(label=gettext_lazy("Real name"), max_length=40, required=False)
    password = forms.CharField(
        label=gettext_lazy("Password"), max_length=128, required=False, widget=forms.PasswordInput
    )
    community = forms.ModelChoiceField(
        label=gettext_lazy("Your community"),
        queryset=Community.objects.order_by("name"),
        required=False,
        empty_label="—",
    )
    letter_code = forms.CharField(
        label=gettext_lazy("Invitation code (on the household letter)"),
        max_length=20,
        required=False,
    )


def _send_code(request: HttpRequest, phone: str, purpose: str) -> AccountError | None:
    """Send a code; returns the refusal or None (and says that the code is on its way)."""
    try:
        services.phone_code_send(phone=phone, purpose=purpose, address=client_address(request))
    except AccountError as error:
        return error
    messages.success(request, _("The code is on its way by SMS. It is valid for 10 minutes."))
    return None


@require_http_methods(["GET", "POST"])
def sign_up(request: HttpRequest) -> HttpResponse:
    """The phone page: number → code → name and password; the community when the registry
    cannot tell (preset from a scanned place or an invitation letter)."""
    next_url = _safe_next(request)
    initial = {
        "community": request.GET.get("community") or None,
        "letter_code": request.GET.get("letter", ""),
    }
    form = SignUpForm(request.POST or None, initial=initial)
    error = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if "send_code" in request.POST:
            error = _send_code(request, data["phone"], CodePurpose.SIGN_UP)
        else:
            try:
                result = services.account_sign_up(
                    phone=data["phone"],
                    code=data["code"],
                    name=data["name"],
                    password=data["password"],
                    community=data["community"],
                    letter_code=data["letter_code"],
                )
            except AccountError as exc:
                error = exc
            else:
                _login(request, result.user)
                if result.linked:
                    messages.success(
                        request, _("Welcome! Your account is linked to your household.")
                    )
                    return redirect(next_url or "core:home")
                return redirect("accounts:waiting")
    elif request.method == "POST":
        error = _bad_phone()
    communities = Community.objects.count()
    return render(
        request,
        "accounts/sign_up.html",
        {"form": form, "error": error, "next": next_url, "show_community": communities > 1},
        status=error.status if error else 200,
    )


@login_required
def waiting(request: HttpRequest) -> HttpResponse:
    """A signed-up person waiting for staff; they may use an invitation letter meanwhile."""
    signup = SignUp.objects.filter(user=request.user).select_related("community").first()
    if signup is None or signup.status == SignUpStatus.LINKED:
        return redirect("core:home")
    return render(request, "accounts/waiting.html", {"signup": signup})


@require_http_methods(["GET", "POST"])
def join(request: HttpRequest, code: str) -> HttpResponse:
    """The link of an invitation letter's QR code."""
    if not request.user.is_authenticated:
        return redirect(f"{reverse('accounts:sign_up')}?letter={code}")
    if request.method == "POST":
        return _use_letter(request, code)
    return render(request, "accounts/join.html", {"code": code})


@login_required
@require_POST
def letter_use(request: HttpRequest) -> HttpResponse:
    """The code typed on the waiting page."""
    return _use_letter(request, request.POST.get("code", ""))


def _use_letter(request: HttpRequest, code: str) -> HttpResponse:
    try:
        signup = services.letter_redeem(user=request.user, code=code)
    except AccountError as error:
        messages.error(request, error.message)
        return redirect("accounts:waiting")
    if signup.status == SignUpStatus.LINKED:
        messages.success(request, _("Your account is now linked to your household."))
        return redirect("core:home")
    messages.success(
        request,
        _("Thank you. The community staff will confirm you as a member of the household."),
    )
    return redirect("accounts:waiting")


# ---- the staff queue ------------------------------------------------------------------------


def _queue(user):
    return rules.signups_visible(user, SignUp.objects.select_related("user__phone", "household"))


def _is_staff(user) -> bool:
    return user.is_superuser or rules.staff_community(user) is not None


@login_required
def pending(request: HttpRequest) -> HttpResponse:
    """The sign-ups waiting for this community's staff, oldest first."""
    if not _is_staff(request.user):
        raise PermissionDenied
    rows = _queue(request.user).filter(status=SignUpStatus.PENDING).order_by("created_at", "id")
    return render(request, "accounts/pending.html", {"rows": rows[:200]})


@login_required
@require_http_methods(["GET", "POST"])
def pending_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if not _is_staff(request.user):
        raise PermissionDenied
    signup = get_object_or_404(_queue(request.user), pk=pk)
    if request.method == "POST":
        try:
            if "reject" in request.POST:
                services.signup_reject(
                    actor=request.user, signup=signup, note=request.POST.get("note", "")
                )
                messages.success(request, _("The sign-up was rejected."))
            else:
                resident = Resident.objects.filter(pk=request.POST.get("resident") or 0).first()
                if resident is None:
                    raise AccountError("bad_resident", _("Choose a resident."))
                services.signup_confirm(actor=request.user, signup=signup, resident=resident)
                messages.success(
                    request, _("%(name)s is now linked to the household.") % {"name": signup.name}
                )
        except AccountError as error:
            messages.error(request, error.message)
            return redirect("accounts:pending_detail", pk=signup.pk)
        return redirect("accounts:pending")
    query = request.GET.get("q", "").strip() or signup.name
    candidates = list(resident_list(request.user, search=query)[:20])
    household_members = list(signup.household.residents.all()) if signup.household_id else []
    return render(
        request,
        "accounts/pending_detail.html",
        {
            "signup": signup,
            "q": query,
            "candidates": candidates,
            "household_members": household_members,
            "linked": set(
                Profile.objects.filter(
                    resident__in=[r.pk for r in candidates + household_members]
                ).values_list("resident_id", flat=True)
            ),
        },
    )


# ---- letters and access ---------------------------------------------------------------------


@login_required
@require_POST
def letters_download(request: HttpRequest, building_pk: int) -> HttpResponse:
    """Print the building's letters (the earlier ones stop working)."""
    building = building_get(request.user, building_pk)
    try:
        letters = services.letters_issue(actor=request.user, building=building)
        base = settings.GONGZHI_PUBLIC_URL or request.build_absolute_uri("/")
        pdf = letters_pdf(building=building, letters=letters, base_url=base)
    except AccountError as error:
        if error.status == 403:
            raise PermissionDenied from None
        messages.error(request, error.message)
        return redirect("places:building", pk=building.pk)
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = f"letters-{slugify(building.compound.name, allow_unicode=True)}-{building.pk}.pdf"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{filename}"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def resident_access(request: HttpRequest, resident_pk: int) -> HttpResponse:
    """Staff see a resident's account and can reset its access."""
    resident = get_object_or_404(Resident.objects.with_place(), pk=resident_pk)
    if not rules.can_link_resident(request.user, resident):
        raise PermissionDenied
    if request.method == "POST":
        try:
            services.account_access_reset(
                actor=request.user, resident=resident, address=client_address(request)
            )
        except AccountError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("The password no longer works; a reset code was sent to the account's phone."),
            )
        return redirect("accounts:resident_access", resident_pk=resident.pk)
    profile = Profile.objects.select_related("user__phone").filter(resident=resident).first()
    events = (
        AccountEvent.objects.filter(user=profile.user).select_related("actor").order_by("-at")[:20]
        if profile
        else []
    )
    return render(
        request,
        "accounts/resident_access.html",
        {"resident": resident, "account": profile.user if profile else None, "events": events},
    )


# ---- passwords ------------------------------------------------------------------------------


class PasswordChange(PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("core:home")

    def form_valid(self, form):
        response = super().form_valid(form)
        services.password_changed(user=self.request.user)
        messages.success(self.request, _("Your password was changed."))
        return response


class ResetForm(forms.Form):
    phone = forms.CharField(label=gettext_lazy("Mobile number"), max_length=20)
    code = forms.CharField(label=gettext_lazy("SMS code"), max_length=10, required=False)
    password = forms.CharField(
        label=gettext_lazy("New password"),
        max_length=128,
        required=False,
        widget=forms.PasswordInput,
    )


@require_http_methods(["GET", "POST"])
def password_reset(request: HttpRequest) -> HttpResponse:
    form = ResetForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if "send_code" in request.POST:
            error = _send_code(request, data["phone"], CodePurpose.RESET)
        else:
            try:
                services.password_reset_by_code(
                    phone=data["phone"], code=data["code"], password=data["password"]
                )
            except AccountError as exc:
                error = exc
            else:
                messages.success(request, _("Your new password is set. Log in with your number."))
                return redirect("accounts:login")
    elif request.method == "POST":
        error = _bad_phone()
    return render(
        request,
        "accounts/password_reset.html",
        {"form": form, "error": error},
        status=error.status if error else 200,
    )
