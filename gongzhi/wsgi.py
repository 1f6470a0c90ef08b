"""WSGI entry point, served by granian: `granian --interface wsgi gongzhi.wsgi:application`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gongzhi.settings")

from gongzhi.core.serving import prepared  # noqa: E402 — needs the settings module named

application = prepared(get_wsgi_application())
