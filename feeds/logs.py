"""Logging: one line per event, the message followed by its fields.

``FEEDS_LOG_FORMAT=plain`` (the default) writes text with the fields as k=v,
``json`` writes one JSON object per line.
"""

import json
import logging
from datetime import UTC, datetime
from typing import TextIO

from feeds.log_context import RequestIdFilter

_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}
_JSON_KEYS = {"timestamp", "level", "logger", "message", "exception", "stack"}


class FieldsFormatter(logging.Formatter):
    """Append the record's extra fields (feed_id, url, message_id, ...) as k=v."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = _extra_fields(record)
        if not fields:
            return line
        pairs = " ".join(f"{key}={value}" for key, value in sorted(fields.items()))
        return f"{line} {pairs}"


class JsonFormatter(logging.Formatter):
    """Write each record as one JSON object on one line.

    Keys: timestamp (UTC, ISO 8601), level, logger, message, the extra fields,
    and ``exception`` (the formatted traceback) when there is one. An extra
    field named like one of those keys is written as ``extra_NAME``. Values
    that JSON cannot encode, such as UUIDs, are written with ``str()``.
    """

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }

        for key, value in _extra_fields(record).items():
            entry[f"extra_{key}" if key in _JSON_KEYS else key] = value

        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def _extra_fields(record: logging.LogRecord) -> dict:
    return {k: v for k, v in record.__dict__.items() if k not in _STANDARD}


def _formatter(log_format: str) -> logging.Formatter:
    if log_format == "json":
        return JsonFormatter()
    return FieldsFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")


def configure_logging(settings, stream: TextIO | None = None) -> None:
    """Send the service's logs to ``stream`` (stderr by default).

    Level and format come from the settings. Every line logged while an API
    request is handled carries its ``request_id``.
    """
    handler = logging.StreamHandler(stream)
    handler.setFormatter(_formatter(settings.log_format))
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger("feeds")
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level.upper())
    root.propagate = False
    # httpx logs every request at INFO; the refresh logs its own outcome.
    logging.getLogger("httpx").setLevel(logging.WARNING)
