"""Importing a CSV file of referrals: the rate, in rows per second.

`--size N` is also the file's length: N rows of made-up people (Ofcom drama phone numbers, the
demo's RV postcodes, valid-check-digit NHS numbers in the 999 test range for four rows in five),
each with one or two need areas. One person in twenty appears twice, so the second row matches
the person the first made.

Operations, each by a manager of the bench scheme, on a file uploaded once:

- `referral_import_check`: choosing the columns and checking every row (the preview).
- `referral_import_run`: importing the checked rows through `referral_intake`, in the one
  transaction the import uses; each run is rolled back afterwards, so every run imports the
  same rows into the same database.

Each run of 10,000 rows takes seconds, so runs are capped at `MAX_RUNS` (and warm-up runs at
`MAX_WARMUP`) whatever `--runs` asks. Besides the usual fields each line has `rows`,
`rows_per_s_median` (rows / median time), `rows_per_s_p95` (rows / p95 time: the rate of a slow
run) and `queries_per_row`. Queries are counted (not captured) during the first measured run.
At 10,000 rows use `--runs 3 --warmup 0` (or `--runs 1`): a run takes minutes.
"""

import csv
import dataclasses
import io
import json
import random
import statistics
import time

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction

from bench.generator import SCHEME_SLUG
from bench.runner import RunConfig, nearest_rank
from linkwell.core.models import Membership, Role
from linkwell.directory.taxonomy import NEED_AREAS
from linkwell.referrals import csv_import
from linkwell.referrals.models import ReferralImport

MAX_RUNS = 7
MAX_WARMUP = 1
GIVEN = ["Aled", "Carol", "Tess", "Joan", "Harold", "Siân", "Priya", "Kwame", "Ewa", "Liam"]
FAMILY = ["Pritchard", "Hughes", "Okafor", "Ashworth", "Nowak", "Begum", "O'Neill", "Lumb"]
HEADER = [
    "First name",
    "Surname",
    "Date of birth",
    "NHS number",
    "Phone",
    "Postcode",
    "Reasons",
    "Urgency",
    "Referrer",
    "Lives alone",
]


class _Rollback(Exception):
    pass


def _nhs_number(rng: random.Random) -> str:
    while True:
        base = f"999{rng.randrange(10**6):06d}"
        check = 11 - sum(int(d) * w for d, w in zip(base, range(10, 1, -1), strict=True)) % 11
        check = 0 if check == 11 else check
        if check != 10:
            return base + str(check)


def make_csv(size: int) -> str:
    rng = random.Random(size)
    codes = [code for code, _ in NEED_AREAS]
    used: set[str] = set()
    rows, originals = [], []
    for i in range(size):
        if i % 20 == 19:
            # The same person referred again (by someone else): matched, not made twice.
            person = originals[rng.randrange(len(originals))]
            rows.append([*person, codes[0], "soon", f"Dr Rees ({i})", "no"])
            continue
        nhs = ""
        if i % 5:
            nhs = _nhs_number(rng)
            while nhs in used:
                nhs = _nhs_number(rng)
            used.add(nhs)
        rows.append(
            [
                f"{rng.choice(GIVEN)}{i}",
                rng.choice(FAMILY),
                f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(1935, 2005)}",
                nhs,
                f"07700 900{i % 1000:03d}" if i % 2 else f"01632 960{i % 1000:03d}",
                f"RV{rng.randint(1, 9)} {rng.choice(['1AA', '1AB', '2AA', '2AB', '3AA'])}",
                ";".join(rng.sample(codes, rng.randint(1, 2))),
                rng.choice(["routine", "routine", "soon", "urgent"]),
                "Dr Ann Example",
                rng.choice(["yes", "no"]),
            ]
        )
        originals.append(rows[-1][:6])
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue()


class _QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def _time(operation, *, runs: int, warmup: int) -> tuple[float, float, int]:
    for _ in range(warmup):
        operation()
    timings = []
    counter = _QueryCounter()
    for run_number in range(runs):
        start = time.perf_counter()
        if run_number == 0:
            # Counting (not capturing) costs next to nothing: no extra run of many seconds.
            with connection.execute_wrapper(counter):
                operation()
        else:
            operation()
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings), nearest_rank(timings, 95), counter.count


def _emit(config: RunConfig, operation: str, rows: int, median: float, p95: float, queries: int):
    result = {
        "scenario": config.scenario,
        "operation": operation,
        "size": config.size,
        "db": config.db,
        "runs": config.runs,
        "median_ms": round(median, 2),
        "p95_ms": round(p95, 2),
        "queries": queries,
        "rows": rows,
        "rows_per_s_median": round(rows / (median / 1000), 1),
        "rows_per_s_p95": round(rows / (p95 / 1000), 1),
        "queries_per_row": round(queries / rows, 2),
    }
    print(json.dumps(result), flush=True)
    return result


def run(config: RunConfig) -> None:
    config = dataclasses.replace(
        config, runs=min(config.runs, MAX_RUNS), warmup=min(config.warmup, MAX_WARMUP)
    )
    manager = (
        Membership.objects.select_related("scheme", "user")
        .filter(scheme__slug=SCHEME_SLUG, role=Role.MANAGER, is_active=True)
        .first()
    )
    if manager is None:
        raise SystemExit("bench: no manager in the bench scheme")
    ReferralImport.objects.filter(scheme=manager.scheme).delete()
    text = make_csv(config.size)
    imp = csv_import.referral_import_upload(
        membership=manager,
        upload=SimpleUploadedFile("bench.csv", text.encode(), content_type="text/csv"),
        kind=ReferralImport.Kind.REFERRALS,
    )
    columns = imp.mapping["columns"]
    rows = imp.row_count

    def check():
        ReferralImport.objects.filter(pk=imp.pk).update(state=ReferralImport.State.UPLOADED)
        csv_import.referral_import_map(membership=manager, imp=imp, columns=columns)

    median, p95, queries = _time(check, runs=config.runs, warmup=config.warmup)
    _emit(config, "referral_import_check", rows, median, p95, queries)
    imp.refresh_from_db()
    if imp.error_rows:
        raise SystemExit(f"bench: {len(imp.error_rows)} rows have problems: {imp.error_rows[:3]}")

    def import_rows():
        try:
            with transaction.atomic():
                done = csv_import.referral_import_run(membership=manager, imp=imp)
                if done.created_count + done.matched_count != rows:
                    raise SystemExit(f"bench: imported {done.created_count} + {done.matched_count}")
                raise _Rollback
        except _Rollback:
            pass

    median, p95, queries = _time(import_rows, runs=config.runs, warmup=config.warmup)
    _emit(config, "referral_import_run", rows, median, p95, queries)
    ReferralImport.objects.filter(pk=imp.pk).delete()
