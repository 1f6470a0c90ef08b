from django.contrib import admin
from django.urls import include, path

from gongzhi.api import api
from gongzhi.insights import views_matters
from gongzhi.matters import urls as matters_urls

handler404 = "gongzhi.core.errors.page_not_found"

urlpatterns = [
    # First: every request is resolved against the patterns in order, and the API's clients
    # (the intake above all) call it far more often than anyone opens a page.
    path("api/v1/", api.urls),
    path("", include("gongzhi.todo.urls_home")),
    path("accounts/", include("gongzhi.accounts.urls")),
    path("r/", include("gongzhi.matters.urls_scan")),
    path("places/", include("gongzhi.places.urls")),
    path("people/", include("gongzhi.people.urls")),
    path("partners/", include("gongzhi.partners.urls")),
    # The matters dashboard reads the insights rollup: it is an insights view, routed here
    # under the matters namespace (``matters:dashboard``), so that matters never imports insights.
    path(
        "matters/",
        include(
            (
                [
                    path("dashboard/", views_matters.dashboard, name="dashboard"),
                    *matters_urls.urlpatterns,
                ],
                matters_urls.app_name,
            )
        ),
    ),
    path("meetings/", include("gongzhi.meetings.urls")),
    path("inbox/", include("gongzhi.notifications.urls")),
    path("mediation/", include("gongzhi.mediation.urls")),
    path("points/", include("gongzhi.points.urls")),
    path("honours/", include("gongzhi.honours.urls")),
    path("volunteering/", include("gongzhi.volunteering.urls")),
    path("projects/", include("gongzhi.projects.urls")),
    path("experiences/", include("gongzhi.experiences.urls")),
    path("network/", include("gongzhi.network.urls")),
    path("insights/", include("gongzhi.insights.urls")),
    path("pick/", include("gongzhi.pickers.urls")),
    path("dashboard/", include("gongzhi.insights.urls_dashboard")),
    path("todo/", include("gongzhi.todo.urls")),
    path("visits/", include("gongzhi.visits.urls")),
    path("settings/", include("gongzhi.configuration.urls")),
    path("hotline/", include("gongzhi.hotline.urls")),
    path("party/", include("gongzhi.party.urls")),
    path("open311/", include("gongzhi.open311.urls")),
    path("maps/", include("gongzhi.maps.urls")),
    path("audit/", include("gongzhi.audit.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
