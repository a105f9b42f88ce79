"""The reader app's public signing keys, fetched from its JWKS URL.

Each process caches the keys in memory by ``kid``. A token naming an unknown
kid, or a cache older than ``MAX_AGE_SECONDS``, makes the cache fetch the set
again, but at most one fetch starts per ``MIN_FETCH_INTERVAL_SECONDS``
whatever its result, so tokens with made-up kids cannot flood the JWKS
server. When a fetch fails, the keys fetched before stay in use.

The operator configures the URL, so it is fetched with plain httpx, not
through the feed fetcher's address policy. Redirects are followed only to the
same scheme, and the body may not exceed ``MAX_JWKS_BYTES``.
"""

import json
import logging
import threading
from time import monotonic

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from feeds import USER_AGENT

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 5.0
MIN_FETCH_INTERVAL_SECONDS = 30.0
MAX_AGE_SECONDS = 600.0
MAX_JWKS_BYTES = 256 * 1024
MAX_REDIRECTS = 3

# The algorithms a JWKS key may verify, with the public key type each needs.
# Symmetric (oct) keys and private keys in the set are never used.
PUBLIC_KEY_TYPES = {
    "ES256": ec.EllipticCurvePublicKey,
    "RS256": rsa.RSAPublicKey,
}


class JwksError(Exception):
    """The JWKS could not be fetched, or it contains no usable key."""


class JwksKeys:
    """The public keys of one JWKS URL by kid, fetched when needed.

    Threads may share an instance. A fetch holds the lock, so while one runs
    (at most ``TIMEOUT_SECONDS``) other ES256 and RS256 tokens wait for it.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self._lock = threading.Lock()
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None

    def key_for(self, kid: str, algorithm: str) -> jwt.PyJWK | None:
        """Return the key named ``kid`` if it verifies ``algorithm``, else None.

        Fetches the set first when the kid is unknown or the cache is old,
        unless a fetch started less than ``MIN_FETCH_INTERVAL_SECONDS`` ago.
        """
        with self._lock:
            if self._needs_fetch(kid) and self._may_fetch():
                self._fetch()
            key = self._keys.get(kid)

        if key is None or key.algorithm_name != algorithm:
            return None
        return key

    def _needs_fetch(self, kid: str) -> bool:
        if kid not in self._keys or self._fetched_at is None:
            return True
        return monotonic() - self._fetched_at >= MAX_AGE_SECONDS

    def _may_fetch(self) -> bool:
        if self._attempted_at is None:
            return True
        return monotonic() - self._attempted_at >= MIN_FETCH_INTERVAL_SECONDS

    def _fetch(self) -> None:
        self._attempted_at = monotonic()
        try:
            keys = parse_jwks(fetch_jwks(self.url))
        except JwksError as error:
            logger.warning(
                "JWKS fetch failed", extra={"url": self.url, "error": str(error)}
            )
            return

        self._keys = keys
        self._fetched_at = self._attempted_at
        logger.info("fetched JWKS", extra={"url": self.url, "keys": len(keys)})


def fetch_jwks(url: str) -> bytes:
    """GET the JWKS document and return its body, or raise JwksError."""
    try:
        return _fetch(httpx.URL(url))
    except (httpx.HTTPError, httpx.InvalidURL) as error:
        raise JwksError(f"{type(error).__name__}: {error}") from None


def _fetch(url: httpx.URL) -> bytes:
    deadline = monotonic() + TIMEOUT_SECONDS
    headers = {
        "User-Agent": USER_AGENT,
        "Accept": "application/json",
        "Accept-Encoding": "identity",
    }
    with httpx.Client(
        timeout=TIMEOUT_SECONDS,
        follow_redirects=False,
        trust_env=False,
        headers=headers,
    ) as client:
        target = url
        for _ in range(MAX_REDIRECTS + 1):
            with client.stream("GET", target) as response:
                if response.next_request is not None:
                    target = _redirect_target(url, response.next_request.url)
                    continue
                return _read_body(response, deadline)
    raise JwksError(f"the JWKS URL redirected more than {MAX_REDIRECTS} times")


def _redirect_target(original: httpx.URL, target: httpx.URL) -> httpx.URL:
    if target.scheme != original.scheme:
        raise JwksError(
            f"the JWKS URL redirected from {original.scheme} to {target.scheme}, "
            "which is not followed"
        )
    return target


def _read_body(response: httpx.Response, deadline: float) -> bytes:
    if response.status_code != 200:
        raise JwksError(f"the JWKS URL returned HTTP {response.status_code}")

    encoding = response.headers.get("Content-Encoding", "identity").lower()
    if encoding not in ("", "identity"):
        raise JwksError(f"the JWKS response is {encoding}-encoded, not identity")

    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > MAX_JWKS_BYTES:
        raise JwksError(f"the JWKS response is larger than {MAX_JWKS_BYTES} bytes")

    body = bytearray()
    for chunk in response.iter_raw():
        body += chunk
        if len(body) > MAX_JWKS_BYTES:
            raise JwksError(f"the JWKS response is larger than {MAX_JWKS_BYTES} bytes")
        if monotonic() > deadline:
            raise JwksError(f"the JWKS fetch took more than {TIMEOUT_SECONDS:g} s")
    return bytes(body)


def parse_jwks(body: bytes) -> dict[str, jwt.PyJWK]:
    """Return the usable keys of a JWKS document by kid, or raise JwksError.

    A usable key has a string kid, ``use`` of ``sig`` or none, and loads as a
    public key of an algorithm in ``PUBLIC_KEY_TYPES`` (a P-256 curve for
    ES256). Other keys are skipped.
    """
    try:
        document = json.loads(body)
    except ValueError:
        raise JwksError("the JWKS response is not JSON") from None
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise JwksError("the JWKS response has no keys list")

    keys = {}
    for entry in document["keys"]:
        key = _usable_key(entry)
        if key is not None:
            keys[key.key_id] = key

    if not keys:
        raise JwksError("the JWKS contains no usable ES256 or RS256 key")
    return keys


def _usable_key(entry: object) -> jwt.PyJWK | None:
    if not isinstance(entry, dict) or not isinstance(entry.get("kid"), str):
        return None
    if entry.get("use", "sig") != "sig":
        return None

    try:
        key = jwt.PyJWK(entry)
    except (jwt.PyJWTError, KeyError, TypeError, ValueError):
        return None

    key_type = PUBLIC_KEY_TYPES.get(key.algorithm_name)
    if key_type is None or not isinstance(key.key, key_type):
        return None
    if key.algorithm_name == "ES256" and not isinstance(key.key.curve, ec.SECP256R1):
        return None
    return key
