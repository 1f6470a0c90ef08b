"""Which community an import or a management command works on, and the upload page of an
import: the parts of registry import and export that read the place tree (the generic reading
and writing of ``.xlsx`` files is ``core.xlsx_read`` and ``core.xlsx_write``)."""

from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.management import BaseCommand, CommandError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from gongzhi.core.excel import system_user
from gongzhi.core.xlsx_read import ImportResult, RowError
from gongzhi.places.models import Community


def import_community(user, community, *, permitted: bool):
    """The community an import writes into: the user's own, or ``community`` if they may.

    Staff import into their own community; superusers (and the ``system_user`` of management
    commands) must name one. Raises ``PermissionDenied`` when the user may not import there.
    """
    if not permitted:
        raise PermissionDenied(_("You may not import into the registry."))
    profile = getattr(user, "profile", None) if hasattr(user, "profile") else None
    own_id = profile.community_id_resolved if profile is not None else None
    if community is None:
        if own_id is None:
            raise ValueError("an import by a user without a community needs community=")
        return Community.objects.get(pk=own_id)
    if not isinstance(community, Community):
        community = Community.objects.get(pk=community)
    if not user.is_superuser and community.pk != own_id:
        raise PermissionDenied(_("You may only import into your own community."))
    return community


def import_page(
    request: HttpRequest,
    *,
    importer: Callable[..., ImportResult],
    permitted: bool,
    template: str,
    done_url: str,
    done_message: str,
) -> HttpResponse:
    """The upload page of an import: GET shows the form, POST imports the file.

    Errors are shown as a table (row, column, reason) with status 400 and nothing is written.
    Superusers, who have no community of their own, choose one on the form.
    """
    if not permitted:
        raise PermissionDenied
    communities = (
        Community.objects.select_related("subdistrict") if request.user.is_superuser else None
    )
    errors: list[RowError] = []
    if request.method == "POST":
        community = None
        if communities is not None:
            community_id = request.POST.get("community", "")
            community = (
                communities.filter(pk=community_id).first() if community_id.isdigit() else None
            )
            if community is None:
                errors.append(RowError(0, "", _("Choose the community to import into.")))
        upload = request.FILES.get("file")
        if upload is None:
            errors.append(RowError(0, "", _("Choose an .xlsx file to upload.")))
        if not errors:
            result = importer(upload, user=request.user, community=community)
            if result.ok:
                messages.success(request, done_message % {"count": result.created})
                return redirect(done_url)
            errors = result.errors
    context = {
        "errors": errors,
        "communities": communities,
        "max_size": settings.GONGZHI_MAX_UPLOAD_BYTES,
    }
    return render(request, template, context, status=400 if errors else 200)


def command_community(name: str | None) -> Community:
    """The community a management command works on: ``--community NAME``, or the only one."""
    if name:
        matches = list(Community.objects.filter(name=name)[:2])
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise CommandError(_("There is no community named %(name)s.") % {"name": name})
        raise CommandError(_("Several communities are named %(name)s.") % {"name": name})
    matches = list(Community.objects.all()[:2])
    if len(matches) == 1:
        return matches[0]
    raise CommandError(_("Say which community with --community NAME."))


class ImportCommand(BaseCommand):
    """``gongzhi import_<entity> FILE [--community NAME]``, run as the system with full rights."""

    importer: Callable[..., ImportResult]

    def add_arguments(self, parser):
        parser.add_argument("file", help="an .xlsx file with the template's Chinese headers")
        parser.add_argument("--community", help="community name (needed if there are several)")

    def handle(self, *args, file: str, community: str | None, **options):
        result = self.importer(
            Path(file), user=system_user(), community=command_community(community)
        )
        if not result.ok:
            for error in result.errors:
                self.stderr.write(error.describe())
            raise CommandError(
                _("Nothing was imported: %(count)d errors.") % {"count": len(result.errors)}
            )
        self.stdout.write(_("Imported: %(count)d rows.") % {"count": result.created})
