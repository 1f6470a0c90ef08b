"""Issue 12: API tokens expire and can be revoked, addresses users logged in from, new account
events; account events become append-only in the database."""

import datetime as dt

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.utils import timezone

from gongzhi.core.appendonly import AppendOnly


def expire_existing_tokens(apps, schema_editor):
    """Tokens issued before expiry existed get the default term from today."""
    ApiToken = apps.get_model("accounts", "ApiToken")
    ApiToken.objects.filter(expires_at__isnull=True).update(
        expires_at=timezone.now() + dt.timedelta(days=settings.GONGZHI_TOKEN_DAYS)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_signup_letters"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(null=True, verbose_name="expires"),
        ),
        migrations.RunPython(expire_existing_tokens, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(verbose_name="expires"),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="revoked_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="revoked"),
        ),
        migrations.AlterField(
            model_name="apitoken",
            name="created_at",
            field=models.DateTimeField(auto_now_add=True, verbose_name="created"),
        ),
        migrations.AlterField(
            model_name="apitoken",
            name="last_used_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="last used"),
        ),
        migrations.CreateModel(
            name="KnownAddress",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("address", models.GenericIPAddressField()),
                ("last_login_at", models.DateTimeField()),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "known address",
                "verbose_name_plural": "known addresses",
                "constraints": [
                    models.UniqueConstraint(fields=("user", "address"), name="known_address_once")
                ],
            },
        ),
        migrations.AlterField(
            model_name="accountevent",
            name="user",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="account_events",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="accountevent",
            name="action",
            field=models.CharField(
                choices=[
                    ("signed_up", "signed up"),
                    ("linked", "linked to a resident"),
                    ("rejected", "sign-up rejected"),
                    ("letter_used", "invitation letter used"),
                    ("letters_printed", "invitation letters printed"),
                    ("password_changed", "password changed"),
                    ("password_reset", "password reset by SMS code"),
                    ("access_reset", "access reset by staff"),
                    ("2fa_enrolled", "second factor set up"),
                    ("2fa_reset", "second factor reset"),
                    ("recovery_renewed", "new recovery codes"),
                    ("token_created", "API token created"),
                    ("token_revoked", "API token revoked"),
                ],
                max_length=20,
            ),
        ),
        AppendOnly("accountevent", nullable=("actor_id", "user_id")),
    ]
