"""A soak test of the refresh pipeline under faults: ``python -m soak``.

It starts an embedded PostgreSQL, local feed servers on many loopback ports
and real worker processes, kills workers and restarts the database while
feeds refresh, then checks the schedule, the articles, the per-domain
request spacing, refresh lateness and recovery times. See docs/RELIABILITY.md.
"""
