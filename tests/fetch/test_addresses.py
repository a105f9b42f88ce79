"""Address policy: blocked ranges, literal IP forms and checks on every hop.

No test here connects anywhere but 127.0.0.1 and 127.0.0.2. Public and
metadata addresses are only classified, or rejected before any connection.
"""

import socket

import pytest

from feeds.errors import FetchError
from feeds.fetch import Fetcher, is_blocked_address
from feeds.fetch.addresses import parse_ip_literal
from tests.feedserver import FeedServer

BLOCKED = [
    # IPv4
    "0.0.0.0",
    "0.1.2.3",
    "10.0.0.1",
    "10.255.255.255",
    "100.64.0.1",
    "100.127.255.254",
    "127.0.0.1",
    "127.255.0.9",
    "169.254.169.254",
    "169.254.0.1",
    "172.16.0.1",
    "172.31.255.255",
    "192.0.0.8",
    "192.0.2.10",
    "192.88.99.1",
    "192.168.1.1",
    "198.18.0.1",
    "198.19.255.255",
    "198.51.100.7",
    "203.0.113.9",
    "224.0.0.1",
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    # IPv6
    "::",
    "::1",
    "fe80::1",
    "fe80::1%1",
    "febf::1",
    "fec0::1",
    "fc00::1",
    "fd12:3456::1",
    "ff02::1",
    "ff0e::1",
    "100::1",
    "2001:db8::1",
    "2001:2::1",
    "2001:10::1",
    "3fff::1",
    "64:ff9b:1::a00:1",
    "4000::1",
    # IPv6 forms that carry a blocked IPv4 address
    "::ffff:127.0.0.1",
    "::ffff:169.254.169.254",
    "::ffff:10.0.0.1",
    "::127.0.0.1",
    "::10.0.0.1",
    "::ffff:0:127.0.0.1",
    "64:ff9b::127.0.0.1",
    "64:ff9b::a9fe:a9fe",
    "2002:7f00:1::1",
    "2002:a9fe:a9fe::1",
    "2002:c0a8:101::",
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",
    "2001:0:7f00:1:0:0:0:0",
    # Not an address at all
    "",
    "localhost",
    "127.0.0.1.nip.io",
]

ALLOWED = [
    "93.184.216.34",
    "1.1.1.1",
    "8.8.8.8",
    "100.63.255.255",
    "100.128.0.1",
    "172.15.255.255",
    "172.32.0.1",
    "192.169.0.1",
    "198.20.0.1",
    "223.255.255.254",
    "2606:4700::1111",
    "2a00:1450:4001::200e",
    "::ffff:93.184.216.34",
    "64:ff9b::5db8:d822",
    "2002:5db8:d822::1",
]


@pytest.mark.parametrize("ip", BLOCKED)
def test_blocked_address(ip):
    assert is_blocked_address(ip)


@pytest.mark.parametrize("ip", ALLOWED)
def test_public_address_allowed(ip):
    assert not is_blocked_address(ip)


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("127.0.1", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("017700000001", "127.0.0.1"),
        ("0xa9.0xfe.0xa9.0xfe", "169.254.169.254"),
        ("169.254.43518", "169.254.169.254"),
        ("127.0.0.1.", "127.0.0.1"),
        ("0", "0.0.0.0"),
        ("[::1]", "::1"),
        ("::ffff:7f00:1", "::ffff:7f00:1"),
    ],
)
def test_ip_literal_forms(host, expected):
    assert str(parse_ip_literal(host)) == expected


@pytest.mark.parametrize(
    "host",
    ["example.com", "feeds.test", "08.1", "1.2.3.4.5", "0xg.1", "1..2", "256.1.1.1"],
)
def test_host_names_not_literals(host):
    assert parse_ip_literal(host) is None


def resolver_that_must_not_run(host: str, port: int) -> list[str]:
    raise AssertionError(f"resolver called for {host}")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/feed",
        "http://2130706433/feed",
        "http://0x7f.1/feed",
        "http://127.1/feed",
        "http://[::1]/feed",
        "http://[::ffff:127.0.0.1]/feed",
        "http://169.254.169.254/latest/meta-data/",
        "http://0xa9fea9fe/latest/meta-data/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://0.0.0.0/feed",
    ],
)
def test_literal_address_rejected(strict_settings, url):
    with Fetcher(strict_settings, resolver=resolver_that_must_not_run) as strict:
        with pytest.raises(FetchError) as caught:
            strict.fetch(url)

    assert caught.value.code == "blocked_address"
    assert caught.value.retryable is False


def test_zero_padded_dotted_quad_invalid(strict_settings):
    with Fetcher(strict_settings, resolver=resolver_that_must_not_run) as strict:
        with pytest.raises(FetchError) as caught:
            strict.fetch("http://0177.0.0.1/feed")

    assert caught.value.code == "invalid_url"


def test_blocked_message_names_address(strict_settings):
    with Fetcher(strict_settings, resolver=lambda host, port: ["10.1.2.3"]) as f:
        with pytest.raises(FetchError) as caught:
            f.fetch("http://intranet.test/feed")

    assert "intranet.test" in caught.value.message
    assert "10.1.2.3" in caught.value.message
    assert "private" in caught.value.message


def test_any_blocked_record_rejects_host(strict_settings):
    def resolver(host, port):
        return ["93.184.216.34", "127.0.0.1"]

    with Fetcher(strict_settings, resolver=resolver) as strict:
        with pytest.raises(FetchError) as caught:
            strict.fetch("http://mixed.test/feed")

    assert caught.value.code == "blocked_address"
    assert "127.0.0.1" in caught.value.message


@pytest.mark.parametrize("address", ["127.0.0.1", "169.254.169.254"])
def test_name_resolving_to_blocked_address(server, strict_settings, address):
    server.route("/feed", b"<rss/>")

    with Fetcher(strict_settings, resolver=lambda host, port: [address]) as strict:
        with pytest.raises(FetchError) as caught:
            strict.fetch(f"http://evil.test:{server.port}/feed")

    assert caught.value.code == "blocked_address"
    assert server.requests_for("/feed") == []


@pytest.fixture
def entry_server():
    """A second server on 127.0.0.2, the only address the test policy allows."""
    try:
        entry = FeedServer(host="127.0.0.2").start()
    except OSError:
        pytest.skip("127.0.0.2 is not a loopback address on this system")
    yield entry
    entry.stop()


@pytest.mark.parametrize("address", ["127.0.0.1", "169.254.169.254"])
def test_redirect_to_blocked_address(server, entry_server, strict_settings, address):
    server.route("/feed", b"<rss/>")
    target = f"http://evil.test:{server.port}/feed"
    start = entry_server.route("/start", status=302, headers={"Location": target})
    resolved = []

    def resolver(host, port):
        resolved.append(host)
        return [address]

    def is_blocked(ip):
        return ip != "127.0.0.2" and is_blocked_address(ip)

    with Fetcher(strict_settings, resolver=resolver, is_blocked=is_blocked) as f:
        with pytest.raises(FetchError) as caught:
            f.fetch(start)

    assert caught.value.code == "blocked_address"
    assert caught.value.url == target
    assert len(entry_server.requests_for("/start")) == 1
    assert server.requests_for("/feed") == []
    assert resolved == ["evil.test"]


def test_redirect_to_name_when_allowed(server, settings):
    server.route("/feed", b"<rss/>")
    start = server.route(
        "/start",
        status=302,
        headers={"Location": f"http://feeds.test:{server.port}/feed"},
    )

    with Fetcher(settings, resolver=lambda host, port: ["127.0.0.1"]) as f:
        result = f.fetch(start)

    assert result.body == b"<rss/>"
    assert (
        server.requests_for("/feed")[0].headers["Host"] == f"feeds.test:{server.port}"
    )


def test_legacy_literal_connects_normalised(server, settings):
    server.route("/feed", b"<rss/>")

    with Fetcher(settings, resolver=resolver_that_must_not_run) as f:
        result = f.fetch(f"http://0x7f.1:{server.port}/feed")

    assert result.body == b"<rss/>"


def test_unresolved_name_is_dns_error(settings):
    def resolver(host, port):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with Fetcher(settings, resolver=resolver) as f:
        with pytest.raises(FetchError) as caught:
            f.fetch("http://missing.test/feed")

    assert caught.value.code == "dns"
    assert caught.value.retryable is True
    assert "missing.test" in caught.value.message


def test_empty_resolution_is_dns_error(settings):
    with Fetcher(settings, resolver=lambda host, port: []) as f:
        with pytest.raises(FetchError) as caught:
            f.fetch("http://empty.test/feed")

    assert caught.value.code == "dns"


def test_default_resolver_blocks_localhost(server, strict_settings):
    server.route("/feed", b"<rss/>")

    with Fetcher(strict_settings) as strict:
        with pytest.raises(FetchError) as caught:
            strict.fetch(f"http://localhost:{server.port}/feed")

    assert caught.value.code == "blocked_address"
    assert server.requests_for("/feed") == []
