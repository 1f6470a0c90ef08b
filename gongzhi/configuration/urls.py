app_name = "configuration"
urlpatterns = []
