"""Settings of the bare insert endpoint: Gongzhi's settings with a one-view urlconf.

Same middleware, database and server settings as the real app, so the difference measured by
``bench/matters_intake.py`` is what Gongzhi's intake does on top of a bare Django insert.
"""

from gongzhi.settings import *  # noqa: F403

ROOT_URLCONF = "bench.bare_urls"
