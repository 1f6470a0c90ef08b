from django.urls import path

from gongzhi.partners import views, views_io

app_name = "partners"
urlpatterns = [
    path("", views.partner_list_view, name="partners"),
    path("<int:pk>/", views.partner_detail, name="partner"),
    path("teams/", views.team_list_view, name="teams"),
    path("teams/<int:pk>/", views.team_detail, name="team"),
    path("organisations/", views.organisation_list_view, name="organisations"),
    path("organisations/<int:pk>/", views.organisation_detail, name="organisation"),
    path("import/", views_io.import_partners_view, name="import"),
    path("import/template.xlsx", views_io.partners_template_view, name="import_template"),
]
