"""Import of governance partners from Excel, and the template to fill."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from gongzhi.core.excel import xlsx_response
from gongzhi.partners.excel import import_partners, partners_template
from gongzhi.partners.rules import can_import_partners
from gongzhi.places.community_io import import_page


@login_required
@require_http_methods(["GET", "POST"])
def import_partners_view(request: HttpRequest) -> HttpResponse:
    return import_page(
        request,
        importer=import_partners,
        permitted=can_import_partners(request.user),
        template="partners/import.html",
        done_url="partners:partners",
        done_message=_("Imported %(count)d partners."),
    )


@login_required
@require_GET
def partners_template_view(request: HttpRequest) -> HttpResponse:
    return xlsx_response("合伙人导入模板.xlsx", partners_template())
