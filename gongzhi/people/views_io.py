"""Import of households and residents from Excel, and the template to fill."""

from functools import partial

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from gongzhi.core.excel import xlsx_response
from gongzhi.people.excel import import_residents, residents_template
from gongzhi.people.rules import can_import_residents
from gongzhi.places.community_io import import_page


@login_required
@require_http_methods(["GET", "POST"])
def import_residents_view(request: HttpRequest) -> HttpResponse:
    return import_page(
        request,
        importer=partial(import_residents, request=request),
        permitted=can_import_residents(request.user),
        template="people/import.html",
        done_url="people:residents",
        done_message=_("Imported %(count)d residents."),
    )


@login_required
@require_GET
def residents_template_view(request: HttpRequest) -> HttpResponse:
    return xlsx_response("居民导入模板.xlsx", residents_template())
