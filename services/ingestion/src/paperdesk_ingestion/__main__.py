"""``python -m paperdesk_ingestion run|backfill``."""

from __future__ import annotations

import argparse
import logging
import sys

from paperdesk_core.config import get_settings


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="paperdesk_ingestion", description=__doc__)
    p.add_argument("--log-level", default="INFO")
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the configured feed into Redis and Parquet")
    run.add_argument("--feed", choices=["sim", "replay", "finnhub"], default=None)
    run.add_argument("--tick-hz", type=float, default=None, help="sim ticks/s per symbol")
    run.add_argument("--speed", type=float, default=1.0, help="replay bars/s per symbol")
    run.add_argument("--symbols", default=None, help="comma-separated (replay, finnhub)")
    bf = sub.add_parser("backfill", help="write history to Parquet")
    bf.add_argument("--symbols", required=True, help="comma-separated, e.g. AAPL,MSFT")
    bf.add_argument("--timeframe", choices=["1m", "1d"], default="1d")
    bf.add_argument("--days", type=int, default=30)
    bf.add_argument("--source", choices=["sim", "yahoo", "alphavantage"], default="sim")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr,
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    settings = get_settings()
    symbols = (
        [s.strip().upper() for s in args.symbols.split(",") if s.strip()] if args.symbols else None
    )
    if args.command == "run":
        from paperdesk_ingestion.service import RunOptions, run

        opts = RunOptions(
            feed=args.feed or settings.feed,
            tick_hz=args.tick_hz,
            bars_per_second=args.speed,
            symbols=symbols,
        )
        return run(settings, opts)
    from paperdesk_ingestion.backfill import backfill

    n = backfill(settings, symbols or [], args.timeframe, args.days, args.source)
    print(f"wrote {n} bars", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
