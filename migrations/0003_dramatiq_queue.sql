-- The dramatiq-pg 0.12 queue schema (dramatiq.queue), rendered from the
-- package's schema.sql with its default names so the broker finds it.

CREATE SCHEMA IF NOT EXISTS dramatiq;

CREATE TYPE dramatiq.state AS ENUM ('queued', 'consumed', 'rejected', 'done');

CREATE TABLE dramatiq.queue (
    message_id uuid PRIMARY KEY,
    queue_name text NOT NULL DEFAULT 'default',
    "state" dramatiq.state,
    mtime timestamptz DEFAULT (now() AT TIME ZONE 'UTC'),
    message jsonb,
    "result" jsonb,
    result_ttl timestamptz
);

CREATE INDEX queue_state_mtime_idx ON dramatiq.queue ("state", mtime);
