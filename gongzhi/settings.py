"""Gongzhi settings: one file, configured from the environment (see docs/configuration.md)."""

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from gongzhi.core.crypto import generate_field_key
from gongzhi.core.env import (
    env_bool,
    env_int,
    env_json,
    env_list,
    env_networks,
    env_secret,
    env_str,
    random_secret_key,
)
from gongzhi.core.private import private_dir, private_sqlite_file
from gongzhi.ops.config import (
    backup_dir,
    backup_keep,
    daily_time,
    media_storage,
    replica_database,
)

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env_str("GONGZHI_DATA_DIR") or Path.cwd() / "data").resolve()

DEBUG = env_bool("GONGZHI_DEBUG", False)
SECRET_KEY = env_secret("SECRET_KEY", data_dir=DATA_DIR, debug=DEBUG, generate=random_secret_key)
# Personal-data encryption keys, comma-separated, newest first (older ones still decrypt).
GONGZHI_FIELD_KEY = env_secret(
    "GONGZHI_FIELD_KEY", data_dir=DATA_DIR, debug=DEBUG, generate=generate_field_key
)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "gongzhi.core",
    "gongzhi.places",
    "gongzhi.people",
    "gongzhi.partners",
    "gongzhi.accounts",
    "gongzhi.matters",
    "gongzhi.notifications",
    "gongzhi.mediation",
    "gongzhi.meetings",
    "gongzhi.points",
    "gongzhi.volunteering",
    "gongzhi.honours",
    "gongzhi.projects",
    "gongzhi.experiences",
    "gongzhi.network",
    "gongzhi.insights",
    "gongzhi.todo",
    "gongzhi.pickers",
    "gongzhi.configuration",
    "gongzhi.hotline",
    "gongzhi.open311",
    "gongzhi.maps",
    "gongzhi.party",
    "gongzhi.visits",
    "gongzhi.ops",
    "gongzhi.audit",
    "gongzhi.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "gongzhi.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After the messages: an ended session says why on the login page.
    "gongzhi.accounts.middleware.IdleSessionMiddleware",
    "gongzhi.accounts.middleware.SecondFactorMiddleware",
    "gongzhi.core.middleware.SecurityHeadersMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "gongzhi.urls"
WSGI_APPLICATION = "gongzhi.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "gongzhi.accounts.context.current_scope",
                "gongzhi.notifications.context.unread_notifications",
                "gongzhi.todo.context.todo_count",
            ],
        },
    },
]


def _database(url: str | None) -> dict:
    if not url:
        private_dir(DATA_DIR)
        url = f"sqlite:///{DATA_DIR / 'gongzhi.sqlite3'}"
    try:
        db = dj_database_url.parse(url, conn_max_age=None if DEBUG is False else 0)
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {exc}") from exc
    if db["ENGINE"] == "django.db.backends.sqlite3":
        db["ENGINE"] = "gongzhi.core.sqlite"  # Django's, with a write gate per process
        # Created 0600 (its -wal and -shm files follow), not SQLite's 0644.
        private_sqlite_file(str(db["NAME"]))
        db["OPTIONS"] = {
            # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at
            # BEGIN so two writers queue instead of failing with "database is locked".
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            "PRAGMA foreign_keys=ON;",
            "transaction_mode": "IMMEDIATE",
            "timeout": env_int("GONGZHI_SQLITE_TIMEOUT", 20),
        }
        db["CONN_MAX_AGE"] = 0 if DEBUG else None
    elif db["ENGINE"] == "django.db.backends.postgresql":
        db.setdefault("OPTIONS", {})
        if not env_bool("GONGZHI_PG_JIT", False):
            # PostgreSQL's JIT compiles a query whose estimated cost is high before running
            # it: for the rollup's and dashboards' aggregates of dozens of sums that took 1–2 s
            # a query at district scale, more than running it. Off for our connections unless
            # GONGZHI_PG_JIT=true or the URL's own ``?options=`` says otherwise.
            db["OPTIONS"].setdefault("options", "-c jit=off")
    else:
        raise ImproperlyConfigured("DATABASE_URL must be sqlite:// or postgres://")
    # SQLite tests run in memory, as Django's default; said explicitly because test runners
    # that know the stock engine's name (pytest-django under xdist) do not know ours.
    in_memory = ":memory:" if db["ENGINE"] == "gongzhi.core.sqlite" else None
    db["TEST"] = {"NAME": env_str("GONGZHI_TEST_DB_NAME") or in_memory}
    return db


_replica_url = env_str("DATABASE_REPLICA_URL")
# Dashboards and exports read from the replica when there is one (gongzhi/core/replica.py).
DATABASES = replica_database(
    _database(env_str("DATABASE_URL")), _database(_replica_url) if _replica_url else None
)
DATABASE_ROUTERS = ["gongzhi.core.replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Residents who signed up themselves log in with their mobile number.
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "gongzhi.accounts.backends.PhoneBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"
# Login throttling (docs/security.md): failures within the window per username and address
# block that pair only; failures of one username from everywhere make addresses the user never
# logged in from wait (or pass the second factor); one address is blocked only far beyond that.
GONGZHI_LOGIN_MAX_FAILURES = env_int("GONGZHI_LOGIN_MAX_FAILURES", 5)
GONGZHI_LOGIN_USER_MAX_FAILURES = env_int("GONGZHI_LOGIN_USER_MAX_FAILURES", 20)
GONGZHI_LOGIN_ADDRESS_MAX_FAILURES = env_int("GONGZHI_LOGIN_ADDRESS_MAX_FAILURES", 200)
GONGZHI_LOGIN_WINDOW_SECONDS = env_int("GONGZHI_LOGIN_WINDOW_SECONDS", 900)
# Proxies whose X-Forwarded-For is believed (IPs or CIDRs); everyone else is REMOTE_ADDR.
GONGZHI_TRUSTED_PROXIES = env_networks("GONGZHI_TRUSTED_PROXIES")
# Second factor (TOTP) for staff, officials and superusers; recovery codes per enrolment.
GONGZHI_REQUIRE_2FA = env_bool("GONGZHI_REQUIRE_2FA", not DEBUG)
GONGZHI_RECOVERY_CODES = 10
OTP_TOTP_ISSUER = "共治 Gongzhi"
# API tokens expire after this many days unless issued for another term.
GONGZHI_TOKEN_DAYS = env_int("GONGZHI_TOKEN_DAYS", 90)
# A session ends after this many idle minutes (residents: their own, longer, value).
GONGZHI_SESSION_IDLE_MINUTES = env_int("GONGZHI_SESSION_IDLE_MINUTES", 30)
GONGZHI_RESIDENT_SESSION_IDLE_MINUTES = env_int("GONGZHI_RESIDENT_SESSION_IDLE_MINUTES", 240)
# Audit records are kept this many days (docs/audit.md); `gongzhi audit --purge` deletes older.
GONGZHI_AUDIT_RETENTION_DAYS = env_int("GONGZHI_AUDIT_RETENTION_DAYS", 1095)
# The worker's daily backup (docs/backup.md): only when a folder is set; the newest KEEP stay.
GONGZHI_BACKUP_DIR = backup_dir(env_str("GONGZHI_BACKUP_DIR"))
GONGZHI_BACKUP_TIME = daily_time(
    env_str("GONGZHI_BACKUP_TIME", "02:30"), name="GONGZHI_BACKUP_TIME"
)
GONGZHI_BACKUP_KEEP = backup_keep(env_int("GONGZHI_BACKUP_KEEP", 14))
GONGZHI_BACKUP_MEDIA = env_bool("GONGZHI_BACKUP_MEDIA", True)
# The address printed on QR posters and invitation letters (empty: the address of the request).
GONGZHI_PUBLIC_URL = env_str("GONGZHI_PUBLIC_URL", "")

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
# Uploaded files: local disk, or an S3-compatible bucket with GONGZHI_MEDIA_URL=s3://…
STORAGES = {
    "default": media_storage(env_str("GONGZHI_MEDIA_URL")),
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "media/"

# Uploads: Excel imports up to 10 MB; anything bigger is refused before it is parsed.
GONGZHI_MAX_UPLOAD_BYTES = env_int("GONGZHI_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

GONGZHI_OUTBOUND_BACKEND = env_str(
    "GONGZHI_OUTBOUND_BACKEND", "gongzhi.notifications.outbound.ConsoleBackend"
)
# Outbound messages per channel (docs/messages.md): each channel's backend, the providers'
# credentials and endpoints (overridable for tests), SMS template codes per message kind.
GONGZHI_SMS_BACKEND = env_str("GONGZHI_SMS_BACKEND", "console")
GONGZHI_WECOM_ROBOT_BACKEND = env_str("GONGZHI_WECOM_ROBOT_BACKEND", "console")
GONGZHI_WECOM_APP_BACKEND = env_str("GONGZHI_WECOM_APP_BACKEND", "console")
GONGZHI_OUTBOX_MAX_ATTEMPTS = env_int("GONGZHI_OUTBOX_MAX_ATTEMPTS", 8)
GONGZHI_NOTIFY_DEFAULT_CHANNEL = env_str("GONGZHI_NOTIFY_DEFAULT_CHANNEL", "sms")
GONGZHI_SMS_TEMPLATES = env_json("GONGZHI_SMS_TEMPLATES", {})
GONGZHI_ALIYUN_SMS = {
    "access_key_id": env_str("GONGZHI_ALIYUN_ACCESS_KEY_ID", ""),
    "access_key_secret": env_str("GONGZHI_ALIYUN_ACCESS_KEY_SECRET", ""),
    "sign_name": env_str("GONGZHI_ALIYUN_SMS_SIGN_NAME", ""),
    "endpoint": env_str("GONGZHI_ALIYUN_SMS_ENDPOINT", "https://dysmsapi.aliyuncs.com/"),
}
GONGZHI_TENCENT_SMS = {
    "secret_id": env_str("GONGZHI_TENCENT_SECRET_ID", ""),
    "secret_key": env_str("GONGZHI_TENCENT_SECRET_KEY", ""),
    "sdk_app_id": env_str("GONGZHI_TENCENT_SMS_SDK_APP_ID", ""),
    "sign_name": env_str("GONGZHI_TENCENT_SMS_SIGN_NAME", ""),
    "region": env_str("GONGZHI_TENCENT_SMS_REGION", "ap-guangzhou"),
    "endpoint": env_str("GONGZHI_TENCENT_SMS_ENDPOINT", "https://sms.tencentcloudapi.com/"),
}
GONGZHI_WECOM = {
    "robot_key": env_str("GONGZHI_WECOM_ROBOT_KEY", ""),
    "corp_id": env_str("GONGZHI_WECOM_CORP_ID", ""),
    "corp_secret": env_str("GONGZHI_WECOM_CORP_SECRET", ""),
    "agent_id": env_int("GONGZHI_WECOM_AGENT_ID", 0),
    "api_base": env_str("GONGZHI_WECOM_API_BASE", "https://qyapi.weixin.qq.com/cgi-bin/"),
}

# Weights of the three rates, e.g. {"basic_weight": 0.9, "composite": {"response": 0.1,
# "resolution": 0.5, "satisfaction": 0.4}} (see gongzhi/matters/rates.py).
GONGZHI_RATES = env_json("GONGZHI_RATES", {})
GONGZHI_INDEX_WEIGHTS = env_json("GONGZHI_INDEX_WEIGHTS", {})
# 12345 hotline work orders (docs/hotline.md): deadlines over the defaults, the adapter that
# answers the hotline (http or spreadsheet), its URL and signing secret, gateway calls a minute.
GONGZHI_HOTLINE_DEADLINES = env_json("GONGZHI_HOTLINE_DEADLINES", {})
GONGZHI_HOTLINE_ADAPTER = env_str("GONGZHI_HOTLINE_ADAPTER", "spreadsheet")
GONGZHI_HOTLINE_URL = env_str("GONGZHI_HOTLINE_URL", "")
GONGZHI_HOTLINE_SECRET = env_str("GONGZHI_HOTLINE_SECRET", "")
GONGZHI_HOTLINE_CALLS_PER_MINUTE = env_int("GONGZHI_HOTLINE_CALLS_PER_MINUTE", 120)

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 12
CSRF_COOKIE_SAMESITE = "Lax"
# A stale or foreign form gets a Chinese page in the site's layout, not Django's English one.
CSRF_FAILURE_VIEW = "gongzhi.core.errors.csrf_failure"
SESSION_COOKIE_SECURE = env_bool("GONGZHI_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# HTTPS: HSTS for this many seconds (0: none) and redirecting plain HTTP, both off by default
# (turn them on once the site answers on HTTPS). Behind a trusted proxy its X-Forwarded-Proto
# tells whether the client came over HTTPS.
SECURE_HSTS_SECONDS = env_int("GONGZHI_HSTS_SECONDS", 0)
SECURE_SSL_REDIRECT = env_bool("GONGZHI_SSL_REDIRECT", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if GONGZHI_TRUSTED_PROXIES else None
# Every script is a file of ours; styles may be inline (style="" attributes, ECharts, htmx).
GONGZHI_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "gongzhi.core.logging.RedactPersonalData"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": env_str("GONGZHI_LOG_LEVEL", "WARNING")},
}
