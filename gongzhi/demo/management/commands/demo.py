"""`gongzhi demo`: everything `seed_demo` does, then serve the site on 127.0.0.1:8000."""

import os
import shutil
import sys
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from gongzhi.demo.management.commands import seed_demo
from gongzhi.ops.worker import start_beside


def granian_binary() -> str:
    """The granian installed next to this Python (the virtualenv), else the one on PATH."""
    beside = Path(sys.executable).with_name("granian")
    if beside.exists():
        return str(beside)
    found = shutil.which("granian")
    if found is None:
        raise CommandError(_("granian is not installed; install Gongzhi with its dependencies."))
    return found


class Command(seed_demo.Command):
    help = "Migrate, load the X-community demo once, print the logins and serve the site."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-serve", action="store_true", help="prepare only, do not serve")

    def handle(self, *args, host, port, no_serve, **options):
        super().handle(*args, **options)
        self.stdout.write(_("Open http://%(host)s:%(port)d/") % {"host": host, "port": port})
        if no_serve:
            return
        # Whitenoise serves from STATIC_ROOT (compressed, cacheable); collect into it first.
        call_command("collectstatic", interactive=False, verbosity=0)
        self.stdout.flush()
        argv = [
            granian_binary(),
            *("--interface", "wsgi", "--host", host, "--port", str(port), "--workers", "1"),
            *("--blocking-threads", "2"),
            "gongzhi.wsgi:application",
        ]
        # The periodic jobs run beside the server and stop with it (gongzhi/ops/worker.py).
        start_beside()
        env = os.environ.copy()
        env.setdefault("DJANGO_SETTINGS_MODULE", "gongzhi.settings")
        # The demo is plain HTTP; browsers would drop cookies marked Secure, so log-in would fail.
        env.setdefault("GONGZHI_SECURE_COOKIES", "false")
        os.execve(argv[0], argv, env)  # noqa: S606 - fixed argv, no shell
