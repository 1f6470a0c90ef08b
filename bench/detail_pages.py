"""The meeting, matter and mediation detail pages on the demo database, for the demo's staff.

    .venv/bin/python bench/detail_pages.py [--requests 30] [--data DIR]

Reads the database that ``gongzhi seed_demo`` wrote (``./data`` unless ``--data`` or
``DATABASE_URL`` says otherwise) and changes nothing in it: the session lives in a signed
cookie and the login does not stamp ``last_login``. For each page it picks the most realistic
(largest) object the demo's community staff (``staff``) can see: the meeting with the most
participants (and the largest one still planned or in session), the matter with the most history events (and the open one staff still assign), the mediation case with the most
events. Through Django's test client in one warm process it prints, per page, the median and
p95 in milliseconds of ``--requests`` requests after one warm-up, the number of SQL queries of
one request and the size of the HTML.
"""

import argparse
import json
import statistics
import time

from _demo import count_queries, demo_client


def _pick(user):
    """(name, url) of the largest meeting, matter and mediation case ``user`` sees."""
    from django.db.models import Count
    from django.urls import reverse

    from gongzhi.matters import rules as matter_rules
    from gongzhi.matters.models import Matter
    from gongzhi.mediation.models import MediationCase
    from gongzhi.meetings import rules as meeting_rules
    from gongzhi.meetings.models import Meeting

    # Counted over the visible ids: the visibility filters join tables of their own, which
    # would multiply an annotation's count. Two meetings: the largest one staff still run
    # (planned or in session: the page with the invite, roll-call and decision forms) and the
    # largest one overall (usually closed: the record everyone reads).
    meetings = (
        Meeting.objects.filter(
            pk__in=meeting_rules.visible(user, Meeting.objects.all()).values("pk")
        )
        .annotate(n=Count("participants"))
        .order_by("-n", "-pk")
    )
    running = meetings.filter(status__in=("planned", "in_session")).first()
    largest = meetings.first()
    matters = (
        Matter.objects.filter(
            pk__in=matter_rules.matters_visible(user, Matter.objects.all()).values("pk")
        )
        .annotate(n=Count("events"))
        .order_by("-n", "-pk")
    )
    matter = matters.first()
    # An open matter staff still assign: the page with the candidates, the owner picker, the
    # classification and the duplicates (a closed matter shows only its record).
    open_matter = matters.filter(status__in=("received", "acknowledged")).first()
    case = MediationCase.objects.annotate(n=Count("events")).order_by("-n", "-pk").first()
    pages = []
    for meeting in dict.fromkeys(m for m in (running, largest) if m is not None):
        label = f"meeting {meeting.pk} ({meeting.get_status_display()}, {meeting.n} invited)"
        pages.append((label, reverse("meetings:detail", args=[meeting.pk])))
    for one in dict.fromkeys(m for m in (open_matter, matter) if m is not None):
        label = f"matter {one.pk} ({one.get_status_display()}, {one.n} events)"
        pages.append((label, reverse("matters:detail", args=[one.pk])))
    if case is not None:
        pages.append(
            (f"mediation {case.pk} ({case.n} events)", reverse("mediation:detail", args=[case.pk]))
        )
    return pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--data", default="", help="the demo's data folder (default ./data)")
    parser.add_argument("--user", default="staff")
    args = parser.parse_args()
    client, user, header = demo_client(data=args.data, username=args.user)
    print(header)
    results = []
    for name, url in _pick(user):
        with count_queries() as queries:
            response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url}: HTTP {response.status_code}")
        times = []
        for _n in range(args.requests):
            began = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - began) * 1000)
        times.sort()
        row = {
            "page": name,
            "url": url,
            "median_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 1),
            "queries": len(queries),
            "html_kb": round(len(response.content) / 1024, 1),
        }
        results.append(row)
        print(
            f"{row['page']:<40} {row['url']:<22} median {row['median_ms']:>7} ms  "
            f"p95 {row['p95_ms']:>7} ms  {row['queries']:>3} queries  {row['html_kb']:>6} KB"
        )
    print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
