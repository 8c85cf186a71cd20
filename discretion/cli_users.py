"""`discretion users create|list|disable|enable`: the named people who sign in to the web pages."""

from __future__ import annotations

import sys

import typer
from sqlmodel import Session

users_app = typer.Typer(help="用户（网页登录）", no_args_is_help=True)


def ensure_first_admin(session: Session) -> str | None:
    """On a store with no admin user, make `admin` with a random password and return it."""
    from .store.users import create_user, has_admin_user, make_password

    if has_admin_user(session):
        return None
    password = make_password()
    create_user(session, "admin", "系统管理员", "admin", None, password, actor="serve")
    return password


@users_app.command("create")
def users_create(
    name: str = typer.Argument(..., help="登录名（小写字母、数字、. _ -）"),
    display_name: str = typer.Option(..., "--display-name", help="姓名"),
    role: str = typer.Option(..., "--role", help="officer | reviewer | supervisor | admin"),
    department: str | None = typer.Option(None, "--department", help="部门编码（缺省：全部部门）"),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="从标准输入读密码（缺省：生成并显示一次）"),
) -> None:
    """Create a user; without --password-stdin a password is made and printed once."""
    from .cli import _run, _store
    from .store.users import create_user, make_password

    def go() -> None:
        password = sys.stdin.readline().rstrip("\n") if password_stdin else make_password()
        with Session(_store()) as session:
            create_user(session, name, display_name, role, department, password, actor="cli")
            session.commit()
        if not password_stdin:
            typer.echo(f"password for {name} (shown once, keep it): {password}")
        else:
            typer.echo(f"created {name}")

    _run(go)


@users_app.command("list")
def users_list() -> None:
    """Every user: name, role, department, state, display name (no password hashes)."""
    from .cli import _run, _store
    from .store.users import list_users

    def go() -> None:
        with Session(_store()) as session:
            for u in list_users(session):
                state = "disabled" if u.disabled else "active"
                typer.echo(f"{u.name:16s} {u.role:10s} {u.department or '*':8s} {state:9s} {u.display_name}")

    _run(go)


def _set(name: str, disabled: bool) -> None:
    from .cli import _run, _store
    from .store.users import set_disabled

    def go() -> None:
        with Session(_store()) as session:
            set_disabled(session, name, disabled, actor="cli")
            session.commit()
        typer.echo(f"{'disabled' if disabled else 'enabled'} {name}")

    _run(go)


@users_app.command("disable")
def users_disable(name: str = typer.Argument(..., help="登录名")) -> None:
    """Disable a user: their sessions and keys stop working (the last admin cannot be disabled)."""
    _set(name, True)


@users_app.command("enable")
def users_enable(name: str = typer.Argument(..., help="登录名")) -> None:
    """Enable a disabled user again (and clear a lock)."""
    _set(name, False)
