"""Shared model bases."""

from django.conf import settings
from django.db import models


class HistoryEvent(models.Model):
    """One row of a record's history, the same shape in every app: when, who, what, the state
    before and after, a note and structured data. Subclasses add the foreign key to what the
    history is of (``matter``, ``case``, …) and a migration with ``core.appendonly.AppendOnly``:
    rows are never updated or deleted. ``core.services.Transitions`` writes them."""

    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=30)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        abstract = True
        ordering = ["at", "id"]
