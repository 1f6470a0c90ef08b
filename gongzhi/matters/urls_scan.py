"""The short, stable links printed on QR posters: /r/b/<building>/ and /r/c/<compound>/."""

from django.urls import path

from gongzhi.matters import scan

app_name = "scan"
urlpatterns = [
    path("b/<int:pk>/", scan.report_building, name="building"),
    path("c/<int:pk>/", scan.report_compound, name="compound"),
]
