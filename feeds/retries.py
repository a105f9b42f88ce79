"""How often and how soon a refresh is retried after a transient failure."""

MAX_RETRIES = 3
MIN_BACKOFF_MS = 2_000
MAX_BACKOFF_MS = 8_000


def retry_backoff_ms(retries_so_far: int) -> int:
    """Exponential backoff from 2 s, capped at 8 s: 2 s, 4 s, 8 s."""
    return min(MIN_BACKOFF_MS * 2**retries_so_far, MAX_BACKOFF_MS)
