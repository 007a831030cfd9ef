"""`lienthong officer ...`: officer accounts of the portal (mounted by the main CLI)."""

from __future__ import annotations

import click

from lienthong.config import Settings


def _accounts():
    from lienthong.agencies import default_registry
    from lienthong.portal.accounts import Accounts
    from lienthong.store import make_engine

    return Accounts(make_engine(Settings().keystore_url, durable=True), default_registry())


def _fail(err: Exception) -> None:
    raise click.ClickException(str(err)) from err


@click.group()
def officer() -> None:
    """Tài khoản cán bộ của cổng / officer accounts of the portal."""


@officer.command("add")
@click.argument("username")
@click.option("--agency", "agency_code", required=True, help="Agency code, e.g. UBND-XA-20242 or SYT-48.")
@click.option("--name", "display_name", default=None, help="Display name (default: the username).")
@click.password_option(prompt="Mật khẩu / password", help="Prompted for (typed twice) when not given.")
def officer_add(username: str, agency_code: str, display_name: str | None, password: str) -> None:
    """Create officer USERNAME of agency CODE; the password is prompted for and kept as a scrypt hash."""
    from lienthong.portal.accounts import AccountError

    try:
        found = _accounts().create(username, agency_code, password, display_name)
    except AccountError as err:
        _fail(err)
        return
    click.echo(f"{found.username} ({found.agency_code}, jurisdiction {found.jurisdiction}) created")


@officer.command("list")
@click.option("--agency", "agency_code", default=None)
def officer_list(agency_code: str | None) -> None:
    """Officers, with their agency and account state."""
    for o in _accounts().list_officers(agency_code):
        state = "disabled" if o.disabled else "locked" if o.locked else "active"
        click.echo(f"{o.username:24} {o.agency_code:18} {o.jurisdiction:6} {state:8} {o.display_name}")


@officer.command("unlock")
@click.argument("username")
def officer_unlock(username: str) -> None:
    """Unlock an account locked after too many failed sign-ins."""
    _run(lambda a: a.unlock(username), f"{username} unlocked")


@officer.command("disable")
@click.argument("username")
def officer_disable(username: str) -> None:
    """Disable an account (its sessions end at once)."""
    _run(lambda a: a.disable(username), f"{username} disabled")


@officer.command("enable")
@click.argument("username")
def officer_enable(username: str) -> None:
    _run(lambda a: a.enable(username), f"{username} enabled")


@officer.command("set-password")
@click.argument("username")
@click.password_option(prompt="Mật khẩu mới / new password")
def officer_set_password(username: str, password: str) -> None:
    """Set a new password (its sessions end)."""
    _run(lambda a: a.set_password(username, password), f"password of {username} changed")


@officer.command("access-log")
@click.option("--user", "username", default=None)
@click.option("--case", "case_id", default=None)
@click.option("--limit", default=50, show_default=True)
def officer_access_log(username: str | None, case_id: str | None, limit: int) -> None:
    """The portal's access log, newest first (sign-ins, failures, case pages, personal data)."""
    for row in _accounts().access_log(username=username, case_id=case_id, limit=limit):
        click.echo(
            f"{row['at']:%Y-%m-%d %H:%M:%S} {row['outcome']:7} {row['action']:18} {row['username']:20} "
            f"{row['agency_code'] or '-':16} {row['case_id'] or '-':18} {row['detail'] or ''}"
        )


def _run(action, done: str) -> None:
    from lienthong.portal.accounts import AccountError

    try:
        action(_accounts())
    except AccountError as err:
        _fail(err)
        return
    click.echo(done)
