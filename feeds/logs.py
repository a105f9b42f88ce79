"""Logging: one line per event, the message followed by its fields."""

import logging

_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class FieldsFormatter(logging.Formatter):
    """Append the record's extra fields (feed_id, url, message_id, ...) as k=v."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = {k: v for k, v in record.__dict__.items() if k not in _STANDARD}
        if not fields:
            return line
        pairs = " ".join(f"{key}={value}" for key, value in sorted(fields.items()))
        return f"{line} {pairs}"


def configure_logging(settings) -> None:
    """Send the service's logs to stderr at the configured level."""
    handler = logging.StreamHandler()
    handler.setFormatter(
        FieldsFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger("feeds")
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level.upper())
    root.propagate = False
    # httpx logs every request at INFO; the refresh logs its own outcome.
    logging.getLogger("httpx").setLevel(logging.WARNING)
