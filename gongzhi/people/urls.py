from django.urls import path

from gongzhi.people import views, views_io

app_name = "people"
urlpatterns = [
    path("", views.resident_list_view, name="residents"),
    path("<int:pk>/", views.resident_detail, name="resident"),
    path("<int:pk>/full/", views.resident_full_numbers, name="resident_full"),
    path("households/", views.household_list_view, name="households"),
    path("households/<int:pk>/", views.household_detail, name="household"),
    path("import/", views_io.import_residents_view, name="import"),
    path("import/template.xlsx", views_io.residents_template_view, name="import_template"),
]
