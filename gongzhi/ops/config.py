"""Settings helpers for operations: where uploaded files live (``GONGZHI_MEDIA_URL``), the
read replica (``DATABASE_REPLICA_URL``) and the worker's daily backup (``GONGZHI_BACKUP_*``). Pure functions of their arguments, so ``settings.py``
can call them; bad values raise ``ImproperlyConfigured`` (see docs/configuration.md).
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from django.core.exceptions import ImproperlyConfigured

FILESYSTEM = "django.core.files.storage.FileSystemStorage"
S3 = "storages.backends.s3.S3Storage"
_S3_QUERY = {"endpoint", "region", "addressing", "url_expiry"}


def media_storage(url: str | None) -> dict:
    """The ``STORAGES["default"]`` entry for ``GONGZHI_MEDIA_URL``.

    * empty: files on local disk under ``MEDIA_ROOT`` (one machine only);
    * ``file:///srv/gongzhi/media``: files on local disk (or a shared mount) at that path;
    * ``s3://bucket/prefix?endpoint=https://host:port&region=cn-north-1&addressing=path``:
      an S3-compatible bucket (AWS, MinIO, Ceph, Aliyun OSS, Tencent COS …) through
      django-storages. Credentials come from ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY``
      (boto3's usual chain). Objects stay private: links are signed and expire
      (``url_expiry`` seconds, default 3600).
    """
    if not url:
        return {"BACKEND": FILESYSTEM}
    parts = urlsplit(url)
    if parts.scheme == "file":
        if parts.netloc or not parts.path.startswith("/"):
            raise ImproperlyConfigured(
                f"GONGZHI_MEDIA_URL must be file:///absolute/path, not {url!r}"
            )
        return {"BACKEND": FILESYSTEM, "OPTIONS": {"location": parts.path}}
    if parts.scheme != "s3":
        raise ImproperlyConfigured(f"GONGZHI_MEDIA_URL must start with s3:// or file://: {url!r}")
    if not parts.netloc:
        raise ImproperlyConfigured(f"GONGZHI_MEDIA_URL names no bucket: {url!r}")
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    unknown = set(query) - _S3_QUERY
    if unknown:
        raise ImproperlyConfigured(
            f"GONGZHI_MEDIA_URL has unknown parameters {sorted(unknown)}; "
            f"known: {sorted(_S3_QUERY)}"
        )
    addressing = query.get("addressing", "path" if "endpoint" in query else "auto")
    if addressing not in {"path", "virtual", "auto"}:
        raise ImproperlyConfigured("GONGZHI_MEDIA_URL: addressing must be path, virtual or auto")
    try:
        expiry = int(query.get("url_expiry", "3600"))
    except ValueError:
        raise ImproperlyConfigured("GONGZHI_MEDIA_URL: url_expiry must be seconds") from None
    options = {
        "bucket_name": parts.netloc,
        "location": parts.path.strip("/"),
        "endpoint_url": query.get("endpoint") or None,
        "region_name": query.get("region") or None,
        "addressing_style": addressing,
        # Private objects: never a public ACL, links signed and short-lived.
        "default_acl": None,
        "querystring_auth": True,
        "querystring_expire": expiry,
        # A second upload with the same name gets a new name, as on local disk.
        "file_overwrite": False,
    }
    return {"BACKEND": S3, "OPTIONS": options}


def replica_database(default: dict, replica: dict | None) -> dict:
    """``DATABASES`` with a ``replica`` alias when ``DATABASE_REPLICA_URL`` is set.

    The replica must be the same vendor as the primary; in tests it mirrors ``default`` (Django
    creates no test database for it and reads go to the test database)."""
    databases = {"default": default}
    if replica is None:
        return databases
    if replica["ENGINE"] != default["ENGINE"]:
        raise ImproperlyConfigured("DATABASE_REPLICA_URL must be the same kind as DATABASE_URL")
    databases["replica"] = {**replica, "TEST": {"MIRROR": "default"}}
    return databases


_DAILY_TIME = re.compile(r"(?P<hour>[01]?\d|2[0-3]):(?P<minute>[0-5]\d)")


def daily_time(value: str, *, name: str) -> dict[str, int]:
    """``"02:30"`` as the cron fields ``{"hour": 2, "minute": 30}`` (the site's time zone)."""
    match = _DAILY_TIME.fullmatch(value.strip())
    if match is None:
        raise ImproperlyConfigured(f"{name} must be a time of day like 02:30, not {value!r}")
    return {"hour": int(match["hour"]), "minute": int(match["minute"])}


def backup_dir(value: str | None) -> Path | None:
    """``GONGZHI_BACKUP_DIR``: an absolute folder for the worker's daily backups, or ``None``
    (no scheduled backups)."""
    if not value:
        return None
    path = Path(value)
    if not path.is_absolute():
        raise ImproperlyConfigured(f"GONGZHI_BACKUP_DIR must be an absolute path, not {value!r}")
    return path


def backup_keep(value: int) -> int:
    """``GONGZHI_BACKUP_KEEP``: how many of the newest scheduled backups to keep (at least 1)."""
    if value < 1:
        raise ImproperlyConfigured(f"GONGZHI_BACKUP_KEEP must be at least 1, not {value}")
    return value
