"""iCalendar (RFC 5545) text for a series, written by hand: CRLF line ends, lines folded at
75 octets (never inside a UTF-8 character), times in UTC with ``Z``, one UID per meeting."""

import datetime as dt

from django.utils import timezone

PRODID = "-//Gongzhi//Meetings//ZH"


def escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def fold(line: str) -> str:
    """Fold a content line: at most 75 octets per line, continuation lines start with a space."""
    out, current, size = [], "", 0
    for char in line:
        width = len(char.encode())
        limit = 75 if not out else 74  # a continuation line's leading space is one octet
        if size + width > limit:
            out.append(current)
            current, size = "", 0
        current += char
        size += width
    out.append(current)
    return "\r\n ".join(out)


def utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def calendar_text(*, name: str, meetings, host: str, now=None) -> str:
    stamp = utc(now or timezone.now())
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        f"X-WR-CALNAME:{escape(name)}",
    ]
    for meeting in meetings:
        place = meeting.venue.name if meeting.venue_id else ""
        if meeting.venue_id and meeting.venue.address:
            place = f"{place}, {meeting.venue.address}"
        lines += [
            "BEGIN:VEVENT",
            f"UID:meeting-{meeting.pk}@{host}",
            f"DTSTAMP:{stamp}",
            f"DTSTART:{utc(meeting.starts_at)}",
            f"DTEND:{utc(meeting.ends_at)}",
            f"SUMMARY:{escape(meeting.title)}",
            f"LOCATION:{escape(place)}",
            f"STATUS:{'CANCELLED' if meeting.status == 'cancelled' else 'CONFIRMED'}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
