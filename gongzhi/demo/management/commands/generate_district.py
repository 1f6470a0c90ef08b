"""`gongzhi generate_district --communities N`: a subdistrict-sized dataset for benchmarks."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from gongzhi.demo.district import (
    HOUSEHOLDS_PER_BUILDING,
    MATTERS_PER_COMMUNITY,
    DistrictExists,
    generate_district,
)


class Command(BaseCommand):
    help = (
        "Generate a subdistrict of N X-community-sized communities (≈ 20,000 residents and "
        "20,000 matters each) for scale benchmarks. Residents carry no ID numbers or phones."
    )

    def add_arguments(self, parser):
        parser.add_argument("--communities", type=int, required=True)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--matters-per-community", type=int, default=MATTERS_PER_COMMUNITY)
        parser.add_argument("--subdistrict", default="", help="Name (default: by seed).")
        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            help="Build this many communities at once, in separate processes (PostgreSQL).",
        )
        parser.add_argument(
            "--households-per-building",
            type=int,
            default=HOUSEHOLDS_PER_BUILDING,
            help="About this many households in each of the 70 buildings (default 100).",
        )

    def handle(self, *args, communities, seed, matters_per_community, subdistrict, **options):
        per_building = options["households_per_building"]
        started = time.perf_counter()
        try:
            report = generate_district(
                communities=communities,
                seed=seed,
                matters_per_community=matters_per_community,
                subdistrict=subdistrict,
                households_per_building=per_building,
                workers=options["workers"],
                stdout=self.stdout if options["verbosity"] > 1 else None,
            )
        except (DistrictExists, ValueError) as error:
            raise CommandError(str(error)) from None
        seconds = time.perf_counter() - started
        for name in sorted({*report.rows, *report.seconds}):
            count = report.rows.get(name)
            took = report.seconds.get(name)
            rows = f"{count:>10,}" if count is not None else " " * 10
            timing = f"  {took:.1f} s" if took is not None else ""
            self.stdout.write(f"{name:>26}: {rows}{timing}")
        self.stdout.write(
            _("%(rows)d rows in %(seconds).1f s (%(rate)d rows/s).")
            % {
                "rows": report.total_rows,
                "seconds": seconds,
                "rate": report.total_rows / seconds if seconds else 0,
            }
        )
