import threading

import psycopg

from feeds.migrate import applied_versions, available_migrations, migrate
from tests import pg


def test_migrate_applies_every_file_once(pg_server):
    admin_url, _ = pg_server
    name = f"feeds_migrate_{threading.get_ident()}"
    pg.drop(admin_url, name)
    pg._admin(admin_url, f'CREATE DATABASE "{name}"')
    url = pg.database_url(admin_url, name)
    try:
        results = []

        def run() -> None:
            with psycopg.connect(url) as conn:
                results.append(migrate(conn))

        threads = [threading.Thread(target=run) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        applied = [m.version for result in results for m in result]
        expected = [m.version for m in available_migrations()]
        assert sorted(applied) == expected
        with psycopg.connect(url) as conn:
            assert migrate(conn) == []
            assert applied_versions(conn) == set(expected)
            queue = conn.execute("SELECT to_regclass('dramatiq.queue')").fetchone()
            assert queue[0] == "dramatiq.queue"
    finally:
        pg.drop(admin_url, name)
