"""The REST API (Falcon, WSGI): subscriptions, articles and the reader app's
scheduler calls. ``feeds.api.wsgi:app`` is the entry point for gunicorn."""
