#!/usr/bin/env python3
"""Independent reference figures for the bundled help-desk log (standard library only).

Re-implements, separately from the Rust code, what docs/METRICS.md and data/helpdesk/mapping.toml say,
and prints the figures of GET /api/v1/metrics/summary for the whole log and for given periods.
tests/api/metrics.rs pins the product's figures to this script's output.

Usage: scripts/independent_metrics.py [FROM TO ...]   (ISO 8601 instants, pairs; [FROM, TO))
       scripts/independent_metrics.py --monthly YEAR     (the 12 UTC months of YEAR)

Reading of the rules, per ticket (rows sorted by timestamp, file order for ties):
- the first row creates the ticket (status new) by its staff member; a first 'Take in charge ticket'
  is a creation with a public agent comment, so first reply time stops at the *second* take-in-charge;
- 'Take in charge ticket': public agent reply; status becomes open (from solved: a reopen);
- 'Wait' -> pending; 'Require upgrade' / 'Create SW anomaly' / 'Schedule intervention' -> on_hold;
  'Resolve ticket' -> solved (no change when already solved); 'Closed' -> closed from any status;
  every row after the close is ignored; other activities change nothing.
- first reply time = first public agent reply - creation; full resolution = latest solve - creation;
  reopen = leaving solved for open/pending/on_hold.
- periods: created by creation; frt by the reply instant; solved / resolution / reopen rate by the
  latest solve. Percentiles as PostgreSQL percentile_cont (linear interpolation).
"""
import csv
import json
import os
import sys
from datetime import datetime, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
LOG = os.path.join(HERE, "..", "data", "helpdesk", "helpdesk_event_log.csv")
ON_HOLD = {"Require upgrade", "Create SW anomaly", "Schedule intervention"}


def parse(ts):
    return datetime.fromisoformat(ts)


def tickets():
    cases = {}
    with open(LOG, newline="") as f:
        for i, row in enumerate(csv.DictReader(f)):
            cases.setdefault(row["case:concept:name"], []).append(
                (parse(row["time:timestamp"]), i, row["concept:name"])
            )
    for rows in cases.values():
        rows.sort(key=lambda r: (r[0], r[1]))
        yield rows


def ticket_figures(rows):
    created = rows[0][0]
    status = "new"
    skip_replies = 1 if rows[0][2] == "Take in charge ticket" else 0
    first_reply = None
    latest_solve = None
    reopens = 0
    for k, (at, _, activity) in enumerate(rows):
        if status == "closed":
            break
        new_status = status
        if activity == "Take in charge ticket":
            if skip_replies:
                skip_replies -= 1
            elif first_reply is None:
                first_reply = at
            new_status = "open"
        elif activity == "Wait":
            new_status = "pending"
        elif activity in ON_HOLD:
            new_status = "on_hold"
        elif activity == "Resolve ticket":
            new_status = "solved"
        elif activity == "Closed":
            new_status = "closed"
        if new_status != status:
            if status == "solved" and new_status != "closed":
                reopens += 1
            if new_status == "solved":
                latest_solve = at
            status = new_status
    return created, first_reply, latest_solve, reopens


def percentile_cont(values, fraction):
    if not values:
        return None
    values = sorted(values)
    rank = fraction * (len(values) - 1)
    lo, hi = int(rank // 1), int(-(-rank // 1))
    return values[lo] + (values[hi] - values[lo]) * (rank - lo)


def stats(values):
    return {
        "count": len(values),
        "mean": sum(values) / len(values) if values else None,
        "median": percentile_cont(values, 0.5),
        "p90": percentile_cont(values, 0.9),
        "min": min(values) if values else None,
        "max": max(values) if values else None,
    }


def summary(figures, lo=None, hi=None):
    def inside(t):
        return t is not None and (lo is None or t >= lo) and (hi is None or t < hi)

    created = sum(1 for c, _, _, _ in figures if inside(c))
    frt = [int((r - c).total_seconds()) for c, r, _, _ in figures if inside(r)]
    solved = [(c, s, n) for c, _, s, n in figures if inside(s)]
    res = [int((s - c).total_seconds()) for c, s, _ in solved]
    reopened = sum(1 for _, _, n in solved if n > 0)
    return {
        "tickets_created": created,
        "tickets_solved": len(solved),
        "reopen_rate": {"numerator": reopened, "denominator": len(solved)},
        "first_reply_time": stats(frt),
        "full_resolution_time": stats(res),
    }


def main(argv):
    figures = [ticket_figures(rows) for rows in tickets()]
    if argv[:1] == ["--monthly"]:
        year = int(argv[1])
        out = {}
        for month in range(1, 13):
            lo = datetime(year, month, 1, tzinfo=timezone.utc)
            hi = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=timezone.utc)
            out[lo.strftime("%Y-%m")] = summary(figures, lo, hi)
        print(json.dumps(out))
        return
    out = {"all": summary(figures)}
    for a, b in zip(argv[0::2], argv[1::2]):
        out[f"{a}/{b}"] = summary(figures, parse(a), parse(b))
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
