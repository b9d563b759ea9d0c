"""``collapse verify``: run the paper's claims and report them."""

from __future__ import annotations

import sys
from pathlib import Path

from collapse.commands._args import add_seed


def register(top, groups) -> None:
    p = top.add_parser(
        "verify", help="check the paper's claims: symbolic proofs, certificates, simulation evidence",
        description="Run every claim's checks and print a table (claim, status, evidence, time). "
                    "Exit status 1 if any claim fails.")
    p.add_argument("--only", metavar="PATTERN", help="only claims whose id matches this glob or substring")
    p.add_argument("--json", action="store_true", help="print the results as JSON instead of the table")
    p.add_argument("--report", type=Path, metavar="OUT.md", help="also write a Markdown report here")
    p.add_argument("--thorough", action="store_true", help="4x the chains in every simulation check")
    p.add_argument("--list", action="store_true", help="list the claims and exit")
    add_seed(p)
    p.set_defaults(func=_verify)


def run_verify(only=None, seed=20240724, thorough=False, progress=True):
    """Run the selected claims; returns the list of ClaimResult."""
    from collapse.validation import InvalidArgument
    from proofs.core import Context, run_claims
    from proofs.registry import all_claims, select

    claims = select(only)
    if not claims:
        raise InvalidArgument("--only", "a pattern matching at least one claim id ("
                              + ", ".join(c.id for c in all_claims()) + ")", only)
    say = (lambda cid: print(f"verifying {cid} ...", file=sys.stderr)) if progress else None
    return run_claims(claims, Context(seed=seed, thorough=thorough), progress=say)


def _verify(args) -> int:
    from proofs import report

    if args.list:
        from proofs.registry import select

        for c in select(args.only):
            print(f"{c.id:<32} {c.title}")
        return 0
    results = run_verify(args.only, args.seed, args.thorough, progress=not args.json)
    print(report.to_json(results) if args.json else report.table(results))
    if args.report:
        from collapse.runio import atomic_write_text

        atomic_write_text(args.report, report.markdown(results, header=f"Seed {args.seed}, thorough={args.thorough}."))
        if not args.json:
            print(f"report: {args.report}")
    return 0 if all(r.status == "pass" for r in results) else 1
