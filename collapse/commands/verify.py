"""``collapse verify``: run the paper's claims and report them."""

from __future__ import annotations

from collapse.commands._args import IntRange, PathArg, TextArg
from collapse.commands._options import add


def register(top, groups) -> None:
    p = top.add_parser(
        "verify", help="check the paper's claims: symbolic proofs, certificates, simulation evidence",
        description="Run every claim's checks and print a table (claim, status, evidence, time). "
                    "Exit status 1 if any claim fails.")
    p.add_argument("--only", metavar="PATTERN", type=TextArg("a glob or substring of claim ids", max_length=200),
                   help="only claims whose id matches this glob or substring (one that matches none is refused)")
    add(p, "json")
    p.add_argument("--report", type=PathArg("out_file"), metavar="OUT.md",
                   help="also write a Markdown report here (checked before any claim runs)")
    p.add_argument("--thorough", action="store_true", help="4x the chains in every simulation check")
    p.add_argument("--jobs", type=IntRange(1, 64), default=None, metavar="N",
                   help="worker processes running the claims (default: min(2, CPU count)); "
                        "1 runs them one after another in this process; the results do not depend on it")
    p.add_argument("--list", action="store_true", help="list the claims and exit")
    add(p, "quiet", "seed")
    p.set_defaults(func=_verify)


def _verify(args) -> int:
    from collapse.proofs import report

    if args.list:
        from collapse.proofs.registry import all_claims, select

        from collapse.core.validation import InvalidArgument

        claims = select(args.only)
        if not claims:
            raise InvalidArgument("--only", "a pattern matching at least one claim id ("
                                  + ", ".join(c.id for c in all_claims()) + ")", args.only)
        if args.json:
            import json

            print(json.dumps([{"id": c.id, "title": c.title} for c in claims], indent=2))
            return 0
        for c in claims:
            print(f"{c.id:<32} {c.title}")
        return 0
    from collapse.proofs.registry import verify

    results = verify(args.only, seed=args.seed, thorough=args.thorough, progress=not (args.json or args.quiet),
                     jobs=args.jobs)
    print(report.to_json(results) if args.json else report.table(results))
    if args.report:
        from collapse.core.runio import atomic_write_text

        atomic_write_text(args.report, report.markdown(results, header=f"Seed {args.seed}, thorough={args.thorough}."))
        if not args.json:
            print(f"report: {args.report}")
    return 0 if all(r.status == "pass" for r in results) else 1
