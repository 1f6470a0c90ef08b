"""The Excel exports people wait for, on the demo database, as the demo's community staff.

    .venv/bin/python bench/exports.py [--requests 5] [--data DIR] [--user staff]

Reads the database that ``gongzhi seed_demo`` wrote (``./data`` unless ``--data`` or
``DATABASE_URL`` says otherwise) and changes nothing in it: the session lives in a signed cookie
and the login does not stamp ``last_login`` (list exports do write an audit row when the audit
trail is installed). Through Django's test client in one warm process it prints, per export, the
number of data rows, the median and worst of ``--requests`` requests after one warm-up, the
file size, the SQL queries of one request and the peak of Python memory allocated during one
request (tracemalloc; the rows are streamed, so it should not grow with them). The last line
is the same as JSON.
"""

import argparse
import io
import json
import statistics
import time
import tracemalloc

from _demo import count_queries, demo_client

EXPORTS = [
    ("residents", "/people/?format=xlsx"),
    ("matters", "/matters/?format=xlsx"),
    ("households", "/people/households/?format=xlsx"),
]


def _body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5)
    parser.add_argument("--data", default="", help="the demo's data folder (default ./data)")
    parser.add_argument("--user", default="staff")
    args = parser.parse_args()
    client, _user, header = demo_client(data=args.data, username=args.user)
    from openpyxl import load_workbook

    print(header)
    results = []
    for name, url in EXPORTS:
        with count_queries() as queries:
            response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url}: HTTP {response.status_code}")
        content = _body(response)
        book = load_workbook(io.BytesIO(content), read_only=True)
        rows = sum(1 for _row in book.worksheets[0].iter_rows(values_only=True)) - 1
        book.close()
        tracemalloc.start()
        _body(client.get(url))
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        times = []
        for _n in range(args.requests):
            began = time.perf_counter()
            _body(client.get(url))
            times.append(time.perf_counter() - began)
        row = {
            "export": name,
            "url": url,
            "rows": rows,
            "median_s": round(statistics.median(times), 2),
            "max_s": round(max(times), 2),
            "kb": round(len(content) / 1024),
            "queries": len(queries),
            "peak_mb": round(peak / 1024 / 1024, 1),
        }
        results.append(row)
        print(
            f"{name:<11} {url:<34} {rows:>6} rows  median {row['median_s']:>5} s  "
            f"max {row['max_s']:>5} s  {row['kb']:>5} KB  {row['queries']:>3} queries  "
            f"peak {row['peak_mb']:>5} MB"
        )
    print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
