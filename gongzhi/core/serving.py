"""What a serving process does once, before its first request (``gongzhi.wsgi``).

Django imports the URL configuration — and with it every app's views and the API's routers —
on the first request, and Python's cyclic garbage collector then keeps walking all of those
objects: every full collection goes through the ~300,000 objects a started Gongzhi holds,
100–140 ms each, in the middle of some request. Here the URL configuration is imported at
start, then ``gc.freeze()`` moves every object made so far to the collector's permanent
generation, which it no longer walks (they live as long as the process anyway). Measured in
process over 2,000 intake submits: time in the collector from 225 to 50 ms, no full
collection left (docs/performance.md, issue 14).
"""

import gc

from django.urls import get_resolver


def prepared(application):
    """``application`` (a WSGI or ASGI handler), once the process is ready to serve."""
    get_resolver().url_patterns  # noqa: B018 — imports the URL configuration and its views
    gc.collect()
    gc.freeze()
    return application
