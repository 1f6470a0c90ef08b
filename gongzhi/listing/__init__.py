"""The list page toolkit (``gongzhi.listing.pages``): the place filter, pagination, htmx
partials and the audited Excel export every list page shares.

It sits just above ``places`` (it reads the place tree) and below every app with a list page
(audit, people, partners, notifications, accounts and the apps above), so it closes no import
cycle: it reads the visibility rules from ``gongzhi.core.scope``, and an export is recorded on
the audit trail by what the audit app appends to ``pages.EXPORT_RECORDERS``. Not an installed
app: it has no models; its template (``gongzhi/bad_filter.html``) is core's.
"""
