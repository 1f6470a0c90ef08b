"""WSGI entry point, served by granian: `granian --interface wsgi gongzhi.wsgi:application`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gongzhi.settings")
application = get_wsgi_application()
