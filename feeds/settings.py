"""Configuration, read once from the environment into one ``Settings`` object.

Every name is read with the ``FEEDS_`` prefix except ``DATABASE_URL``.
"""

from functools import lru_cache
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator
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
    admin_token: str = Field(
        "", description="bearer token of the /status page; empty disables the page"
    )
    jwks_url: str = Field(
        "", description="JWKS URL of the reader app's ES256 and RS256 signing keys"
    )

    worker_threads: int = Field(5, ge=1, description="refresh threads per process")
    worker_processes: int = Field(1, ge=1, description="worker processes")
    queue_depth_per_thread: int = Field(
        2, ge=1, description="messages kept queued per live worker thread"
    )
    dispatch_interval_seconds: float = Field(
        1.0, gt=0, description="maximum sleep of the dispatcher between rounds"
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
        2.0, ge=0, description="maximum sleep of a worker thread for a domain slot"
    )

    run_history_days: int = Field(30, ge=1)
    log_level: str = Field("INFO")
    log_format: Literal["plain", "json"] = Field(
        "plain", description="plain text with k=v fields, or one JSON object per line"
    )

    worker_metrics_port: int = Field(
        9191, ge=0, le=65535, description="port of the workers' /metrics; 0 disables"
    )
    worker_metrics_host: str = Field(
        "127.0.0.1", description="address the workers' metrics server listens on"
    )

    @field_validator("log_format", mode="before")
    @classmethod
    def _lowercase_log_format(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("jwks_url")
    @classmethod
    def _check_jwks_url(cls, value: str) -> str:
        if not value:
            return value
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                f"FEEDS_JWKS_URL must be an http or https URL, got {value!r}"
            )
        return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings, read from the environment once."""
    return Settings()
