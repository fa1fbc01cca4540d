"""`python -m bench SCENARIO --size N [--db sqlite|postgresql] [--runs R] [--warmup W]`."""

import argparse
import sys

from bench.database import ENGINES, check_isolated, configure
from bench.scenarios import SCENARIOS


def _at_least(minimum: int):
    def parse(text: str) -> int:
        value = int(text)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}")
        return value

    return parse


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description="Time Linkwell's pages against synthetic data in a database of their own.",
    )
    p.add_argument("scenario", nargs="?", choices=sorted(SCENARIOS), help="what to measure")
    p.add_argument("--list", action="store_true", help="name the scenarios and stop")
    p.add_argument("--size", type=_at_least(6), help="members in the bench scheme (at least 6)")
    p.add_argument("--db", choices=ENGINES, default="sqlite", help="default: sqlite")
    p.add_argument("--runs", type=_at_least(1), default=30, help="measured runs (default 30)")
    p.add_argument("--warmup", type=_at_least(0), default=3, help="warm-up runs (default 3)")
    p.add_argument("--rebuild", action="store_true", help="rebuild the data even if it is there")
    return p


def main(argv: list[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    if args.list:
        width = max(map(len, SCENARIOS))
        for scenario in SCENARIOS.values():
            print(f"{scenario.name:<{width}}  {scenario.description}")
        return 0
    if args.scenario is None or args.size is None:
        p.error("a SCENARIO and --size are required (or --list)")

    target = configure(args.db, args.size)
    import django

    django.setup()
    check_isolated(target)

    from django.conf import settings
    from django.core.management import call_command

    from bench.generator import ensure
    from bench.runner import RunConfig

    if "testserver" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    call_command("migrate", verbosity=0)
    ensure(args.size, rebuild=args.rebuild)
    config = RunConfig(args.scenario, args.size, args.db, runs=args.runs, warmup=args.warmup)
    SCENARIOS[args.scenario].load()(config)
    return 0


if __name__ == "__main__":
    sys.exit(main())
