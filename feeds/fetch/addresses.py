"""Address policy: which IP addresses the fetcher may connect to.

Feed URLs come from users, so without this policy any user could make the
service send requests to loopback services, the private network or a cloud
metadata endpoint (server-side request forgery). The transport resolves each
host once, checks every address with this policy and connects only to a checked
address.

IPv4 is blocked by a table of special-purpose ranges. IPv6 is allowed only in
global unicast space (2000::/3) outside its special-purpose blocks. IPv6 forms
that carry an IPv4 address (IPv4-mapped, IPv4-compatible, IPv4-translated,
NAT64, 6to4 and Teredo) are judged by the IPv4 addresses they carry.
"""

import ipaddress
import logging
import socket
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

logger = logging.getLogger(__name__)

Resolver = Callable[[str, int], list[str]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_IPV4_BLOCKED = [
    (ipaddress.IPv4Network(network), reason)
    for network, reason in [
        ("0.0.0.0/8", "unspecified ('this network')"),
        ("10.0.0.0/8", "private"),
        ("100.64.0.0/10", "carrier-grade NAT"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link-local"),
        ("172.16.0.0/12", "private"),
        ("192.0.0.0/24", "IETF protocol assignment"),
        ("192.0.2.0/24", "documentation"),
        ("192.88.99.0/24", "6to4 relay anycast"),
        ("192.168.0.0/16", "private"),
        ("198.18.0.0/15", "benchmarking"),
        ("198.51.100.0/24", "documentation"),
        ("203.0.113.0/24", "documentation"),
        ("224.0.0.0/4", "multicast"),
        ("255.255.255.255/32", "broadcast"),
        ("240.0.0.0/4", "reserved"),
    ]
]

_IPV6_GLOBAL_UNICAST = ipaddress.IPv6Network("2000::/3")

# Checked in order, so the specific entries come before the ranges around them.
_IPV6_BLOCKED = [
    (ipaddress.IPv6Network(network), reason)
    for network, reason in [
        ("::/128", "unspecified"),
        ("::1/128", "loopback"),
        ("64:ff9b:1::/48", "local-use NAT64"),
        ("100::/64", "discard-only"),
        ("2001::/23", "IETF protocol assignment"),
        ("2001:db8::/32", "documentation"),
        ("3fff::/20", "documentation"),
        ("fc00::/7", "unique-local"),
        ("fe80::/10", "link-local"),
        ("fec0::/10", "site-local"),
        ("ff00::/8", "multicast"),
    ]
]

_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
_IPV4_TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class AddressError(Exception):
    """A host could not be turned into an address that may be connected to."""

    def __init__(self, host: str) -> None:
        super().__init__(host)
        self.host = host


class NameNotResolved(AddressError):
    """The resolver returned no address for the host, or failed."""


class AddressBlocked(AddressError):
    """The host is, or resolves to, an address that the policy blocks."""

    def __init__(self, host: str, address: str, reason: str) -> None:
        super().__init__(host)
        self.address = address
        self.reason = reason


def is_blocked_address(ip: str) -> bool:
    """Return whether the fetcher must not connect to the IP address ``ip``.

    A string that is not an IP address counts as blocked, so that a broken
    resolver fails closed.
    """
    return blocked_reason(ip) is not None


def blocked_reason(ip: str) -> str | None:
    """Name the special-purpose range that blocks ``ip``, or return None."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return "invalid"

    if isinstance(address, ipaddress.IPv4Address):
        return _ipv4_reason(address)

    return _ipv6_reason(address)


def _ipv4_reason(address: ipaddress.IPv4Address) -> str | None:
    for network, reason in _IPV4_BLOCKED:
        if address in network:
            return reason

    return None


def _ipv6_reason(address: ipaddress.IPv6Address) -> str | None:
    if address.is_unspecified:
        return "unspecified"

    if address.is_loopback:
        return "loopback"

    embedded = _embedded_ipv4(address)
    if embedded is not None:
        return _embedded_reason(embedded)

    for network, reason in _IPV6_BLOCKED:
        if address in network:
            return reason

    if address not in _IPV6_GLOBAL_UNICAST:
        return "reserved"

    return None


def _embedded_ipv4(
    address: ipaddress.IPv6Address,
) -> tuple[str, list[ipaddress.IPv4Address]] | None:
    """Return the name of the IPv6 form and the IPv4 addresses it carries."""
    if address.ipv4_mapped is not None:
        return "IPv4-mapped", [address.ipv4_mapped]

    if address.sixtofour is not None:
        return "6to4", [address.sixtofour]

    if address.teredo is not None:
        server, client = address.teredo
        return "Teredo", [server, client]

    low_32_bits = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    for network, form in [
        (_IPV4_COMPATIBLE, "IPv4-compatible"),
        (_IPV4_TRANSLATED, "IPv4-translated"),
        (_NAT64, "NAT64"),
    ]:
        if address in network:
            return form, [low_32_bits]

    return None


def _embedded_reason(
    embedded: tuple[str, list[ipaddress.IPv4Address]],
) -> str | None:
    form, addresses = embedded
    for address in addresses:
        reason = _ipv4_reason(address)
        if reason is not None:
            return f"{form} form of the {reason} address {address}"

    return None


def parse_ip_literal(host: str) -> IPAddress | None:
    """Return the address that ``host`` spells, or None for a host name.

    Besides standard IPv4 and IPv6 notation this accepts the legacy IPv4 forms
    that inet_aton(3) and so getaddrinfo(3) accept, such as ``2130706433``,
    ``0x7f.1`` and ``127.1``, so that they cannot slip past the policy as names.
    """
    text = host.removeprefix("[").removesuffix("]")
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        pass

    return _parse_legacy_ipv4(text.removesuffix("."))


def _parse_legacy_ipv4(text: str) -> ipaddress.IPv4Address | None:
    parts = text.split(".")
    if len(parts) > 4:
        return None

    numbers = [_parse_ipv4_number(part) for part in parts]
    if None in numbers:
        return None

    *leading, last = numbers
    if any(number > 255 for number in leading):
        return None

    if last >= 256 ** (5 - len(parts)):
        return None

    value = last
    for index, number in enumerate(leading):
        value += number << (8 * (3 - index))

    return ipaddress.IPv4Address(value)


def _parse_ipv4_number(part: str) -> int | None:
    """Parse one dotted part as inet_aton(3) does: 0x hex, leading-0 octal."""
    if part[:2].lower() == "0x":
        digits, base = part[2:] or "0", 16
    elif len(part) > 1 and part.startswith("0"):
        digits, base = part[1:], 8
    else:
        digits, base = part, 10

    if not digits.isascii() or not digits.isalnum():
        return None

    try:
        return int(digits, base)
    except ValueError:
        return None


# getaddrinfo(3) takes no timeout, so lookups run on a small thread pool and
# the caller stops waiting after DNS_TIMEOUT_SECONDS. A stuck lookup keeps its
# pool thread until the resolver gives up; later lookups queue behind it and
# time out the same way, so a fetch is never held past this bound.
DNS_TIMEOUT_SECONDS = 5.0
_DNS_POOL = ThreadPoolExecutor(max_workers=8, thread_name_prefix="feeds-dns")


def resolve_host(host: str, port: int) -> list[str]:
    """Resolve ``host`` with getaddrinfo(3) and return its distinct addresses.

    Raises TimeoutError when the lookup takes longer than DNS_TIMEOUT_SECONDS.
    """
    lookup = _DNS_POOL.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    infos = lookup.result(timeout=DNS_TIMEOUT_SECONDS)
    addresses = [info[4][0] for info in infos]
    return list(dict.fromkeys(addresses))


def checked_addresses(
    host: str, port: int, resolver: Resolver, is_blocked: Callable[[str], bool]
) -> list[str]:
    """Resolve ``host`` once and return its addresses if none of them is blocked.

    Raises NameNotResolved when there is no address and AddressBlocked when any
    address is blocked, because a name with one private record can be rebound
    to it at any time.
    """
    addresses = _addresses_of(host, port, resolver)

    for address in addresses:
        if is_blocked(address):
            reason = blocked_reason(address) or "blocked by the configured policy"
            logger.info(
                "Blocked address",
                extra={"host": host, "address": address, "reason": reason},
            )
            raise AddressBlocked(host, address, reason)

    return addresses


def _addresses_of(host: str, port: int, resolver: Resolver) -> list[str]:
    literal = parse_ip_literal(host)
    if literal is not None:
        return [str(literal)]

    try:
        addresses = resolver(host, port)
    except (OSError, UnicodeError) as exc:
        raise NameNotResolved(host) from exc

    if not addresses:
        raise NameNotResolved(host)

    return [str(address) for address in addresses]
