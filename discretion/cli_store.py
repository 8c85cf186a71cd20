"""One source of truth for the command line: the rules the service publishes.

With `--db URL` (or DISCRETION_DATABASE_URL set) commands use the store's published and superseded
versions, exactly the documents the service compiles, so the CLI and the API answer the same case the
same way. `--rulesets DIR` uses files; with neither, the bundled files, and the command says so (on
stderr, so that --json output stays the same bytes as the API's). `rulesets export` writes the
published versions as files (`DIR/<department>/<version>.yaml`) that `--rulesets DIR` reads back.
"""

from __future__ import annotations

from pathlib import Path

import typer

from .settings import load_settings
from .errors import DiscretionError
from .loader import RulesetLibrary

ENV = "DISCRETION_DATABASE_URL"
DbOpt = typer.Option(None, "--db", help=f"数据库 URL：使用服务已发布的规则版本（缺省读取 {ENV}）")


class NoPublishedRules(DiscretionError):
    """The database has no published ruleset versions (or is not a discretion store)."""


def store_url(db: str | None) -> str | None:
    settings = load_settings()  # the database only when DISCRETION_DATABASE_URL is set, not its default
    return db or (settings.database_url if "database_url" in settings.model_fields_set else None)


def published_texts(url: str) -> dict[str, str]:
    """The documents of the store's live (published or superseded) versions, keyed department/version."""
    from sqlalchemy.exc import SQLAlchemyError
    from sqlmodel import Session

    from .store import make_engine
    from .store.lifecycle import live_texts

    engine = make_engine(url)
    try:
        with Session(engine) as session:
            texts = live_texts(session)
    except SQLAlchemyError as e:
        raise NoPublishedRules(f"cannot read published rulesets: {str(e).splitlines()[0]}", field="--db") from None
    finally:
        engine.dispose()
    if not texts:
        raise NoPublishedRules("the database has no published ruleset versions", field="--db")
    return texts


_notes: list[str] = []


def clear_notes() -> None:
    _notes.clear()


def flush_notes() -> None:
    """Say on stderr where the rules came from (once the command has succeeded: an error stays one line)."""
    while _notes:
        typer.echo(_notes.pop(0), err=True)


def library_for(rulesets: Path | None, db: str | None, *, quiet: bool = False) -> RulesetLibrary:
    """The rules a command uses; unless `quiet`, a line saying where they come from (see flush_notes)."""
    url = None if rulesets is not None else store_url(db)
    if url is not None:
        lib = RulesetLibrary.from_texts(published_texts(url))
        where = f"规则来源：数据库中已发布的版本（{_safe(url)}）"
    elif rulesets is not None:
        lib = RulesetLibrary.load(rulesets)
        where = f"规则来源：规则集文件 {rulesets}"
    else:
        lib = RulesetLibrary.load()
        where = f"规则来源：内置规则集文件（未连接数据库；用 --db 或 {ENV} 使用服务已发布的版本）"
    if not quiet:
        _notes.append(where)
    return lib


def _safe(url: str) -> str:
    """The URL without a password."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - only for display
        return url.split("@")[-1]


def export_published(url: str, out: Path) -> list[Path]:
    """Write every live version's document, byte for byte, as out/<department>/<version>.yaml."""
    written = []
    for ref, text in sorted(published_texts(url).items()):
        path = out / f"{ref}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def export_cmd(
    db: str | None = DbOpt,
    out: Path = typer.Option(..., "--out", help="输出目录（写入 <部门>/<版本>.yaml）"),
) -> None:
    """Write the store's published ruleset versions as files (readable with --rulesets DIR)."""
    from .cli import BadInput, _run

    def go() -> None:
        url = store_url(db)
        if url is None:
            raise BadInput(f"--db: give the database URL (or set {ENV})")
        for path in export_published(url, out):
            typer.echo(str(path))

    _run(go)
