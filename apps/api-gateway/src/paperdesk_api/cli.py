"""The ``paperdesk`` command line."""

from __future__ import annotations

import json
import os
import sys
from typing import Annotated

import typer
from paperdesk_core.bus import EventBus, redis_client

app = typer.Typer(
    help="PaperDesk: paper trading, backtesting and a trade journal.", no_args_is_help=True
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
user_app = typer.Typer(help="Users.", no_args_is_help=True)
dlq_app = typer.Typer(help="Dead-letter streams.", no_args_is_help=True)
backtest_app = typer.Typer(
    help="Backtests (through the API and its workers).", no_args_is_help=True
)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(dlq_app, name="dlq")
journal_app = typer.Typer(help="Trade journal.", no_args_is_help=True)
app.add_typer(backtest_app, name="backtest")
app.add_typer(journal_app, name="journal")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply migrations and seed reference data."""
    from paperdesk_api.database import upgrade

    upgrade()
    typer.echo("database is up to date")


@user_app.command("create")
def user_create(
    email: Annotated[str, typer.Option(prompt=True)],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True)],
    display_name: Annotated[str, typer.Option()] = "",
) -> None:
    """Create a user with a paper account."""
    from paperdesk_core.db import session_scope

    from paperdesk_api.modules.auth.service import register_user

    with session_scope() as session:
        user = register_user(session, email=email, password=password, display_name=display_name)
        typer.echo(f"created user {user.email} ({user.id})")


@journal_app.command("rebuild")
def journal_rebuild(
    email: Annotated[
        str | None, typer.Option(help="Only this user's account (default: every account)")
    ] = None,
) -> None:
    """Rebuild the trades table from the fill log (journal fields are kept)."""
    from paperdesk_core.db import session_scope
    from paperdesk_core.db.models import Account, User
    from paperdesk_core.journal.store import rebuild_account
    from sqlalchemy import select

    with session_scope() as session:
        stmt = select(Account.id, User.email).join(User, User.id == Account.user_id)
        if email is not None:
            stmt = stmt.where(User.email == email.strip().lower())
        accounts = session.execute(stmt.order_by(User.email)).tuples().all()
        if email is not None and not accounts:
            typer.echo(f"no user {email}", err=True)
            raise typer.Exit(1)
        for account_id, who in accounts:
            typer.echo(f"{who}: {rebuild_account(session, account_id)} trades")


def _bus() -> EventBus:
    return EventBus(redis_client())


@dlq_app.command("list")
def dlq_list(stream: str, count: int = 20) -> None:
    """List dead-lettered messages of a stream."""
    for mid, fields in _bus().dlq_list(stream, count):
        typer.echo(f"{mid}  {fields.get('error', '')}  {fields.get('e', '')[:200]}")


@dlq_app.command("replay")
def dlq_replay(stream: str) -> None:
    """Re-publish dead-lettered messages to their stream."""
    typer.echo(f"replayed {_bus().dlq_replay(stream)} messages")


@dlq_app.command("purge")
def dlq_purge(stream: str) -> None:
    """Delete a dead-letter stream."""
    typer.echo(f"purged {_bus().dlq_purge(stream)} messages")


@backtest_app.command("run")
def backtest_run(
    strategy: Annotated[str, typer.Option(help="Strategy name (GET /strategies)")],
    symbol: Annotated[str, typer.Option(help="Symbol, e.g. GOOG")],
    params: Annotated[str, typer.Option(help='JSON, e.g. \'{"fast":10,"slow":20}\'')] = "{}",
    start: Annotated[str | None, typer.Option(help="YYYY-MM-DD or ISO datetime")] = None,
    end: Annotated[str | None, typer.Option(help="YYYY-MM-DD (inclusive) or ISO datetime")] = None,
    timeframe: Annotated[str, typer.Option(help="1m, 5m, 1h or 1d")] = "1d",
    initial_cash: Annotated[str, typer.Option(help="Starting cash")] = "10000",
    fees: Annotated[str, typer.Option(help="Fee rate per fill, e.g. 0.002")] = "0",
    slippage: Annotated[str, typer.Option(help="Slippage rate per fill")] = "0",
    execution: Annotated[str, typer.Option(help="next_open or close")] = "next_open",
    fractional: Annotated[bool, typer.Option(help="Allow fractional units")] = True,
    api_url: Annotated[str | None, typer.Option(help="API base URL")] = None,
    token: Annotated[
        str | None, typer.Option(envvar="PAPERDESK_TOKEN", help="Bearer token")
    ] = None,
    email: Annotated[str | None, typer.Option(envvar="PAPERDESK_EMAIL")] = None,
    password: Annotated[str | None, typer.Option(envvar="PAPERDESK_PASSWORD")] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the result")] = 600,
) -> None:
    """Submit a backtest or sweep to the API, print its progress, then its metrics (JSON)."""
    from paperdesk_api.backtest_cli import BacktestRequest, run_backtest

    try:
        parsed = json.loads(params)
    except json.JSONDecodeError as exc:
        raise typer.BadParameter(f"--params is not JSON: {exc}") from None
    request = BacktestRequest(
        body={
            "strategy": strategy,
            "params": parsed,
            "symbol": symbol,
            "start": start,
            "end": end,
            "timeframe": timeframe,
            "initial_cash": initial_cash,
            "fees": fees,
            "slippage": slippage,
            "execution": execution,
            "fractional": fractional,
        },
        api_url=api_url,
        token=token,
        email=email,
        password=password,
        timeout=timeout,
    )
    raise typer.Exit(run_backtest(request, typer.echo))


@app.command(
    "ingest",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def ingest(ctx: typer.Context) -> None:
    """Market-data ingestion (run, backfill ...); arguments go to paperdesk_ingestion."""
    argv = [sys.executable, "-m", "paperdesk_ingestion", *ctx.args]
    os.execv(sys.executable, argv)  # noqa: S606


@app.command("up")
def up(
    only: Annotated[str, typer.Option(help="Comma-separated: api,workers,ingestion,web")] = "",
    port: Annotated[int, typer.Option(help="API port")] = 8000,
    web_port: Annotated[int, typer.Option(help="Web UI port")] = 3000,
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
) -> None:
    """Start the stack on the current settings; Ctrl-C stops it cleanly."""
    from paperdesk_api.stack import ALL_COMPONENTS, Stack

    wanted = [c.strip() for c in only.split(",") if c.strip()] or list(ALL_COMPONENTS)
    unknown = set(wanted) - set(ALL_COMPONENTS)
    if unknown:
        raise typer.BadParameter(f"unknown components: {', '.join(sorted(unknown))}")
    stack = Stack(components=wanted, host=host, api_port=port, web_port=web_port)
    raise typer.Exit(stack.run_forever())


def main() -> None:
    app()
