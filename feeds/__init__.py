"""Keep RSS, Atom and JSON Feed subscriptions fresh for the users of a reader app."""

__version__ = "0.1.0"
USER_AGENT = f"feeds/{__version__} (+https://github.com/feeds-service/feeds)"
