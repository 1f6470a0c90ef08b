from django.urls import path

from gongzhi.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/code/", views.login_code, name="login_code"),
    path("logout/", views.logout_view, name="logout"),
    path("2fa/", views.two_factor, name="two_factor"),
    path("2fa/reset/", views.two_factor_reset, name="two_factor_reset"),
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("sign-up/", views.sign_up, name="sign_up"),
    path("waiting/", views.waiting, name="waiting"),
    path("join/<str:code>/", views.join, name="join"),
    path("letter/", views.letter_use, name="letter"),
    path("pending/", views.pending, name="pending"),
    path("pending/<int:pk>/", views.pending_detail, name="pending_detail"),
    path("letters/<int:building_pk>/", views.letters_download, name="letters"),
    path("residents/<int:resident_pk>/access/", views.resident_access, name="resident_access"),
    path("password/", views.PasswordChange.as_view(), name="password_change"),
    path("password/reset/", views.password_reset, name="password_reset"),
]
