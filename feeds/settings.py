"""Configuration, read once from the environment into one ``Settings`` object.

Every name is read with the ``FEEDS_`` prefix except ``DATABASE_URL``.
"""

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_REFRESH_INTERVAL_MINUTES = 60
MIN_REFRESH_INTERVAL_MINUTES = 1
MAX_REFRESH_INTERVAL_MINUTES = 10080


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FEEDS_", extra="ignore")

    database_url: str = Field(
        "", validation_alias="DATABASE_URL", description="libpq URL of PostgreSQL"
    )
    database_pool_size: int = Field(10, ge=1, description="connections per process")

    jwt_secret: str = Field("", description="HS256 secret of the reader app's tokens")
    jwt_audience: str = Field("authenticated", description="required `aud` claim")

    worker_threads: int = Field(5, ge=1, description="refresh threads per process")
    worker_processes: int = Field(1, ge=1, description="worker processes")
    queue_depth_per_thread: int = Field(
        2, ge=1, description="messages kept queued per live worker thread"
    )
    dispatch_interval_seconds: float = Field(
        1.0, gt=0, description="longest sleep of the dispatcher between rounds"
    )

    refresh_time_limit_seconds: float = Field(
        60.0, gt=0, description="TimeLimit of one refresh attempt"
    )
    stale_margin_seconds: float = Field(
        30.0, ge=0, description="grace before a queued or running row is recovered"
    )

    connect_timeout_seconds: float = Field(10.0, gt=0)
    read_timeout_seconds: float = Field(20.0, gt=0)
    total_timeout_seconds: float = Field(
        30.0, gt=0, description="wall-clock bound of one fetch, redirects included"
    )
    max_redirects: int = Field(5, ge=0)
    max_feed_bytes: int = Field(10 * 1024 * 1024, gt=0, description="body limit")
    allow_private_addresses: bool = Field(
        False, description="allow fetching loopback and private addresses (dev only)"
    )

    domain_interval_seconds: float = Field(
        1.0, ge=0, description="minimum spacing of requests to one host:port"
    )
    domain_max_wait_seconds: float = Field(
        2.0, ge=0, description="longest a worker thread sleeps for a domain slot"
    )

    run_history_days: int = Field(30, ge=1)
    log_level: str = Field("INFO")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings, read from the environment once."""
    return Settings()
