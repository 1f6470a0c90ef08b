"""The client's address for audit records."""

from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The address of the peer (``REMOTE_ADDR``); empty when there is none (a test client
    without one, a command)."""
    return (request.META.get("REMOTE_ADDR") or "")[:45]
