"""looks_like_challenge on challenge pages, login walls and ordinary pages."""

import pytest

from feeds.fetch import looks_like_challenge

CLOUDFLARE = b"""<!DOCTYPE html><html lang="en-US"><head>
<title>Just a moment...</title></head><body>
<div id="challenge-body-text">Checking your browser</div>
<script>window._cf_chl_opt={cvId: '3'};</script></body></html>"""

ATTENTION = b"""<html><head><title>Attention Required! | Cloudflare</title>
</head><body>Sorry, you have been blocked</body></html>"""

DDOS_GUARD = b"""<!doctype html><html><head><title>DDoS-Guard</title></head>
<body>Checking your browser before accessing</body></html>"""

CAPTCHA = b"""<html><head><title>Security check</title></head><body>
<div class="g-recaptcha" data-sitekey="x"></div></body></html>"""

ACCESS_DENIED = b"""<html><head><title>Access Denied</title></head><body>
You don't have permission to access this server.</body></html>"""

LOGIN = b"""<html><head><title>Log in - Example</title></head><body>
<form action="/session" method="post"><input type="text" name="user">
<input type="password" name="password"></form></body></html>"""

BLOG_HOME = b"""<!DOCTYPE html><html><head><title>My blog</title>
<link rel="alternate" type="application/rss+xml" href="/feed.xml"></head>
<body><article>Comments are protected by reCAPTCHA.</article>
<p>Access denied errors are the topic of this post.</p></body></html>"""


@pytest.mark.parametrize("status", [200, 403, 503])
@pytest.mark.parametrize(
    "page",
    [CLOUDFLARE, ATTENTION, DDOS_GUARD, LOGIN],
    ids=["cf", "attention", "ddg", "login"],
)
def test_challenge_on_any_status(page, status):
    assert looks_like_challenge(status, "text/html; charset=UTF-8", page)


@pytest.mark.parametrize("page", [CAPTCHA, ACCESS_DENIED], ids=["captcha", "denied"])
def test_denial_words_on_denial_status(page):
    assert looks_like_challenge(403, "text/html", page)
    assert looks_like_challenge(503, "text/html", page)


@pytest.mark.parametrize("page", [CAPTCHA, ACCESS_DENIED], ids=["captcha", "denied"])
def test_denial_words_ignored_on_success(page):
    assert not looks_like_challenge(200, "text/html", page)


def test_ordinary_page_not_challenge():
    assert not looks_like_challenge(200, "text/html", BLOG_HOME)


def test_feed_never_challenge():
    feed = b"<rss><channel><title>Just a moment...</title></channel></rss>"

    assert not looks_like_challenge(403, "application/rss+xml", feed)


def test_missing_content_type_sniffed():
    assert looks_like_challenge(503, None, b"\n  " + CLOUDFLARE)
    assert not looks_like_challenge(503, None, b"<?xml version='1.0'?><rss/>")


def test_xhtml_content_type():
    assert looks_like_challenge(403, "application/xhtml+xml", ACCESS_DENIED)


def test_empty_body():
    assert not looks_like_challenge(403, "text/html", b"")
