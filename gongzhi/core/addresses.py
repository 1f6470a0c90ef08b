"""The client's address, for throttles and records.

``REMOTE_ADDR`` is the peer of this server. Only when that peer is one of
``GONGZHI_TRUSTED_PROXIES`` is ``X-Forwarded-For`` believed, and then only as far as trusted
proxies wrote it: walking from the right (the hop nearest to us), the first address that is not
a trusted proxy is the client. Anything to its left was written by the client and may be forged.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _ip(value: str):
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def _trusted(ip) -> bool:
    return any(ip in network for network in settings.GONGZHI_TRUSTED_PROXIES)


def client_address(request: HttpRequest) -> str | None:
    client = _ip(request.META.get("REMOTE_ADDR") or "")
    if client is None or not _trusted(client):
        return str(client) if client else None
    for hop in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        ip = _ip(hop)
        if ip is None:
            break
        client = ip
        if not _trusted(ip):
            break
    return str(client)
