"""WSGI entry of the bare insert endpoint (``granian … bench.bare_wsgi:application``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.bare_settings"

from gongzhi.core.serving import prepared  # noqa: E402 — as gongzhi.wsgi prepares the app

application = prepared(get_wsgi_application())
