"""The service's configuration, in one place: every setting, its environment variable, its default.

    DISCRETION_DATABASE_URL         the database (SQLite file, or postgresql://…)
                                    default sqlite:///discretion.db
    DISCRETION_MAX_BODY             request bodies over this many bytes are refused (413); 20 MiB
    DISCRETION_KEY_CACHE_SECONDS    an API key is looked up at most this often per token: a key
                                    revoked by another worker stops working within it; 30
    DISCRETION_LIBRARY_TTL_SECONDS  another worker's publish is seen within this many seconds; 1
    DISCRETION_REVOCATION_MAX_AGE   0: a revoked key is refused at once by every instance (each request
                                    waits for a read of the revocation counter begun after it
                                    arrived); s > 0: within s seconds, a request using a read begun
                                    at most s seconds before it (no wait: the tail latency it
                                    costs, see README "Decisions"); 0
    DISCRETION_REVOCATION_NOTIFY    1 (PostgreSQL): each served instance LISTENs for revocations and a
                                    request compares an in-memory counter, no read; a key revoked
                                    through one instance is refused by it at once and by the others
                                    when PostgreSQL delivers the notification (milliseconds after the
                                    commit); while the listener is not connected, and with 0, each
                                    request reads as DISCRETION_REVOCATION_MAX_AGE says; 1
    DISCRETION_WORKERS              uvicorn workers of `discretion serve`; 1
    DISCRETION_OWNER_DATABASE_URL   the owner's URL, for migrations, when the service connects as a
                                    role that owns nothing (store/roles.py); unset
    DISCRETION_HEAVY_WORKERS        heavy requests (compiles, uploads, imports, verify, diff, impact)
                                    run at once per process; 2
    DISCRETION_HEAVY_QUEUE          heavy requests waiting for a worker per process; beyond, 503 with
                                    Retry-After; 8
    DISCRETION_HEAVY_PROCESSES      1: verify, diff and impact run in child processes (off the
                                    server's GIL); 0: in the heavy worker threads; 1
    DISCRETION_JOB_LEASE            seconds a running job's lease lasts without a heartbeat; 30
    DISCRETION_SECURE_COOKIES       1: the session cookie is sent over HTTPS only; 0
    DISCRETION_CACHE_DIR            where large parsed rulesets are cached; ~/.cache/discretion

Read from the environment when asked (`load_settings()`), so a test or a process that sets a
variable sees it; a value that does not validate is a SettingsError naming the variable.
"""

from __future__ import annotations

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from .errors import SettingsError

ENV_PREFIX = "DISCRETION_"


class Settings(BaseSettings):
    """Every setting of the library and the service (see the module's table)."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    database_url: str = Field("sqlite:///discretion.db", min_length=1)
    max_body: int = Field(20 * 1024 * 1024, gt=0)
    key_cache_seconds: float = Field(30.0, ge=0)
    library_ttl_seconds: float = Field(1.0, ge=0)
    revocation_max_age: float = Field(0.0, ge=0, le=60)
    revocation_notify: bool = True
    workers: int = Field(1, ge=1, le=64)
    owner_database_url: str | None = None
    heavy_workers: int = Field(2, ge=1, le=64)
    heavy_queue: int = Field(8, ge=0, le=10_000)
    heavy_processes: bool = True
    job_lease: float = Field(30.0, gt=0)
    secure_cookies: bool = False
    cache_dir: str | None = None


def load_settings() -> Settings:
    """The settings from the environment now; a bad value raises SettingsError (CLI exit 2)."""
    try:
        return Settings()
    except ValidationError as e:
        err = e.errors()[0]
        name = f"{ENV_PREFIX}{'.'.join(str(p) for p in err['loc'])}".upper()
        raise SettingsError(err["msg"], field=name) from None
