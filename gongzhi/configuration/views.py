"""The settings pages (社区设置): one list-and-add page and one edit page per kind of setting,
the team members and join requests, and the change log.

Every kind of setting is described once in ``SECTIONS`` (its form, its rows and cells, its
``services.Setting``); the same three views serve all of them through ``setting_create``,
``setting_update`` and ``setting_delete``. Staff see and change their community; officials see
their subdistrict (and keep the holiday calendar); everyone else gets a 403.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from gongzhi.accounts.scope import directory_reach, restrict
from gongzhi.configuration import forms, rules, selectors, services
from gongzhi.configuration.services import ConfigError
from gongzhi.core.files import private_file
from gongzhi.listing.pages import paginate as page_of
from gongzhi.matters.views import _photo_refused, _with_photo_limit
from gongzhi.partners.models import Organisation, Partner
from gongzhi.pickers.selectors import PickError, resolve
from gongzhi.places.models import Community, Compound
from gongzhi.points.models import ShopItem


def _viewer(request: HttpRequest) -> None:
    if not rules.can_view(request.user):
        raise PermissionDenied(_("Only community staff may see the settings."))


def _community(request: HttpRequest) -> Community | None:
    """The community new settings go to: the staff member's own."""
    community_id = rules.own_community_id(request.user)
    return Community.objects.filter(pk=community_id).first() if community_id else None


def _form_kwargs(section_slug: str, community: Community | None) -> dict:
    """Choices that depend on the community (its compounds, partners, organisations)."""
    if community is None:
        return {}
    if section_slug == "rules":
        orgs = Organisation.objects.filter(community=community) | Organisation.objects.filter(
            community__isnull=True, subdistrict_id=community.subdistrict_id
        )
        return {"organisations": orgs.order_by("name")}
    compounds = Compound.objects.filter(community=community).order_by("name")
    if section_slug == "teams":
        partners = Partner.objects.active().filter(community=community).order_by("name")
        return {"compounds": compounds, "partners": partners}
    if section_slug == "venues":
        return {"compounds": compounds}
    return {}


@dataclass(frozen=True)
class Section:
    """One kind of setting on the pages: the service's ``Setting`` plus how it is shown."""

    slug: str
    title: Callable
    form: type
    rows: Callable  # user -> the queryset the page lists (and finds objects in)
    setting: services.Setting
    columns: tuple
    cells: Callable  # object -> the cells of its row
    initial: Callable | None = None  # object -> the edit form's values, if not the service's

    def values(self, obj) -> dict:
        if self.initial is not None:
            return self.initial(obj)
        return services.setting_values(self.setting, obj)


def _tier_cells(obj) -> list:
    return [
        obj.get_tier_display(),
        obj.get_category_display() if obj.category else _("all categories"),
    ]


SECTIONS = {
    section.slug: section
    for section in (
        Section(
            slug="rules",
            title=gettext_lazy("Responsibility list (责任清单)"),
            form=forms.RuleForm,
            rows=selectors.responsibility_rules,
            setting=services.RESPONSIBILITY_RULE,
            columns=(
                gettext_lazy("Tier"),
                gettext_lazy("Category"),
                gettext_lazy("Working mode"),
                gettext_lazy("Roles"),
                gettext_lazy("Automatic"),
            ),
            cells=lambda rule: [
                *_tier_cells(rule),
                rule.get_working_mode_display(),
                "、".join(r.name for r in rule.roles.all()),
                _("yes") if rule.auto_assign else "",
            ],
        ),
        Section(
            slug="deadlines",
            title=gettext_lazy("Deadlines"),
            form=forms.PolicyForm,
            rows=selectors.deadline_policies,
            setting=services.DEADLINE_POLICY,
            columns=(
                gettext_lazy("Tier"),
                gettext_lazy("Category"),
                gettext_lazy("Acknowledge within (hours)"),
                gettext_lazy("Resolve within (days)"),
            ),
            cells=lambda policy: [
                *_tier_cells(policy),
                policy.acknowledge_hours,
                policy.resolve_days,
            ],
        ),
        Section(
            slug="earning",
            title=gettext_lazy("Points-earning rules"),
            form=forms.EarningForm,
            rows=selectors.earning_rules,
            setting=services.EARNING_RULE,
            columns=(
                gettext_lazy("Activity kind"),
                gettext_lazy("Points per unit"),
                gettext_lazy("Valid from"),
                gettext_lazy("Valid to"),
            ),
            cells=lambda rule: [
                rule.get_kind_display(),
                f"{rule.points} {rule.get_unit_display()}",
                rule.valid_from,
                rule.valid_to or "",
            ],
        ),
        Section(
            slug="stars",
            title=gettext_lazy("Star levels"),
            form=forms.StarForm,
            rows=selectors.star_schemes,
            setting=services.STAR_SCHEME,
            columns=(gettext_lazy("Hours for each star, in order"), gettext_lazy("Publicity days")),
            cells=lambda s: [" / ".join(str(h) for h in s.thresholds), s.publicity_days],
            initial=lambda s: {
                "thresholds": ", ".join(str(h) for h in s.thresholds),
                "publicity_days": s.publicity_days,
            },
        ),
        Section(
            slug="teams",
            title=gettext_lazy("Teams"),
            form=forms.TeamForm,
            rows=selectors.teams,
            setting=services.TEAM,
            columns=(gettext_lazy("Name"), gettext_lazy("Kind"), gettext_lazy("Members")),
            cells=lambda team: [team.name, team.get_kind_display(), team.member_count],
        ),
        Section(
            slug="shop",
            title=gettext_lazy("Shop items"),
            form=forms.ItemForm,
            rows=selectors.shop_items,
            setting=services.SHOP_ITEM,
            columns=(
                gettext_lazy("Name"),
                gettext_lazy("Price in points"),
                gettext_lazy("Stock"),
                gettext_lazy("Limit per person"),
                gettext_lazy("On sale"),
            ),
            cells=lambda item: [
                item.name,
                item.price,
                item.stock,
                item.per_person_limit or "",
                _("yes") if item.active else _("no"),
            ],
        ),
        Section(
            slug="venues",
            title=gettext_lazy("Venues"),
            form=forms.VenueForm,
            rows=selectors.venues,
            setting=services.VENUE,
            columns=(gettext_lazy("Name"), gettext_lazy("Compound"), gettext_lazy("Seats")),
            cells=lambda v: [v.name, v.compound.name if v.compound else "", v.capacity or ""],
        ),
        Section(
            slug="holidays",
            title=gettext_lazy("Public holidays and working weekends"),
            form=forms.HolidayForm,
            rows=selectors.public_holidays,
            setting=services.PUBLIC_HOLIDAY,
            columns=(gettext_lazy("Date"), gettext_lazy("Name"), gettext_lazy("Working day")),
            cells=lambda h: [h.date, h.name, _("yes") if h.is_workday else ""],
        ),
    )
}


def _section(slug: str) -> Section:
    section = SECTIONS.get(slug)
    if section is None:
        raise Http404
    return section


def _may_edit(request, section: Section, community_id: int | None) -> bool:
    if section.setting.national:
        return rules.can_edit_holidays(request.user)
    return rules.can_configure(request.user, community_id)


def _form(section: Section, community, **kwargs):
    return section.form(**_form_kwargs(section.slug, community), **kwargs)


def _save(http: HttpRequest, call: Callable, **kwargs) -> bool:
    """Run one service; a refusal is shown on the page and changes nothing."""
    try:
        call(actor=http.user, **kwargs)
    except ConfigError as exc:
        messages.error(http, exc.message)
        return False
    messages.success(http, _("Saved."))
    return True


def _submitted(request: HttpRequest, section: Section, community, may_change: bool, write):
    """Handle a posted add or edit form: None once ``write`` (``setting_create`` or
    ``setting_update`` with the object bound) saved it, else the form to show again."""
    if not may_change:
        raise PermissionDenied(_("You may not change the settings of this community."))
    form = _form(section, community, data=request.POST, files=request.FILES)
    if _photo_refused(request):
        messages.error(request, _("A photo may be at most 2 MB."))
    elif form.is_valid() and _save(
        request,
        write,
        setting=section.setting,
        values=form.values(),
        attach=services.photo_attachment(form.cleaned_data.get("photo")),
    ):
        return None
    return form


@login_required
def index(request: HttpRequest) -> HttpResponse:
    _viewer(request)
    pending = selectors.join_requests(request.user, pending_only=True).count()
    return render(
        request,
        "configuration/index.html",
        {"sections": SECTIONS.values(), "pending": pending},
    )


@_with_photo_limit
@login_required
def section_list(request: HttpRequest, slug: str) -> HttpResponse:
    _viewer(request)
    section = _section(slug)
    community = _community(request)
    may_add = _may_edit(request, section, community.pk if community else None)
    form = _form(section, community)
    if request.method == "POST":
        write = partial(services.setting_create, community=community)
        form = _submitted(request, section, community, may_add, write)
        if form is None:
            return redirect("configuration:section", slug=slug)
    rows = page_of(request, section.rows(request.user))
    return render(
        request,
        "configuration/section.html",
        {
            "section": section,
            "page": rows,
            "rows": [(obj, section.cells(obj)) for obj in rows.object_list],
            "form": form,
            "may_add": may_add,
        },
    )


def _object(request, section: Section, pk: int):
    return get_object_or_404(section.rows(request.user), pk=pk)


@_with_photo_limit
@login_required
def section_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    _viewer(request)
    section = _section(slug)
    obj = _object(request, section, pk)
    community = getattr(obj, "community", None)
    may_edit = _may_edit(request, section, getattr(obj, "community_id", None))
    form = _form(section, community, initial=section.values(obj))
    if not may_edit:
        for form_field in form.fields.values():
            form_field.disabled = True
    if request.method == "POST":
        write = partial(services.setting_update, obj=obj)
        form = _submitted(request, section, community, may_edit, write)
        if form is None:
            return redirect("configuration:section", slug=slug)
    context = {"section": section, "obj": obj, "form": form, "may_edit": may_edit}
    if section.slug == "teams":
        context["members"] = obj.memberships.all()
        context["requests"] = selectors.join_requests(request.user, pending_only=True).filter(
            team=obj
        )
    return render(request, "configuration/edit.html", context)


@require_POST
@login_required
def section_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    _viewer(request)
    section = _section(slug)
    obj = _object(request, section, pk)
    _save(request, services.setting_delete, setting=section.setting, obj=obj)
    return redirect("configuration:section", slug=slug)


@require_POST
@login_required
def team_member_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Add the partners chosen in the picker (kind "partner", the team's community)."""
    _viewer(request)
    team = _object(request, SECTIONS["teams"], pk)
    try:
        partners = resolve(
            request.user, request.POST.getlist("partner"), "partner", community=team.community
        )
    except PickError as exc:
        messages.error(request, exc.message)
        return redirect("configuration:edit", slug="teams", pk=pk)
    if not partners:
        messages.error(request, _("Choose a partner."))
    for partner in partners:
        if not _save(request, services.team_member_add, team=team, partner_id=partner.pk):
            break
    return redirect("configuration:edit", slug="teams", pk=pk)


@require_POST
@login_required
def team_member_remove(request: HttpRequest, pk: int, partner_pk: int) -> HttpResponse:
    _viewer(request)
    team = _object(request, SECTIONS["teams"], pk)
    _save(request, services.team_member_remove, team=team, partner_id=partner_pk)
    return redirect("configuration:edit", slug="teams", pk=pk)


@require_POST
@login_required
def join_request_answer(request: HttpRequest, pk: int, rid: int, action: str) -> HttpResponse:
    _viewer(request)
    if action not in ("accept", "decline"):
        raise Http404
    team = _object(request, SECTIONS["teams"], pk)
    join = get_object_or_404(selectors.join_requests(request.user).filter(team=team), pk=rid)
    call = (
        services.team_join_request_accept
        if action == "accept"
        else services.team_join_request_decline
    )
    _save(request, call, request=join)
    return redirect("configuration:edit", slug="teams", pk=pk)


@login_required
def change_log(request: HttpRequest) -> HttpResponse:
    _viewer(request)
    return render(
        request,
        "configuration/log.html",
        {"page": page_of(request, selectors.changes(request.user))},
    )


@login_required
def shop_photo(request: HttpRequest, pk: int) -> FileResponse:
    """A shop item's photo, for everyone who may see the community's shop."""
    item = get_object_or_404(restrict(ShopItem.objects.all(), directory_reach(request.user)), pk=pk)
    return private_file(item.photo)
