-- The scheduler: one row per feed says when it runs next and in which state.
-- priority: 0 manual, 1 overdue, 2 normal (lower runs first).
-- token changes on every reschedule and cancel; a message carrying another
-- token is stale. started_at and run_token are set while a refresh executes,
-- whatever the state, so no second refresh of the feed starts meanwhile.

CREATE TABLE feed_schedule (
    feed_id uuid PRIMARY KEY REFERENCES feeds (id) ON DELETE CASCADE,
    state text NOT NULL
        CHECK (state IN ('scheduled', 'queued', 'running', 'cancelled')),
    priority smallint NOT NULL CHECK (priority IN (0, 1, 2)),
    next_run_at timestamptz NOT NULL,
    reason text NOT NULL,
    token uuid NOT NULL,
    message_id uuid,
    queued_at timestamptz,
    started_at timestamptz,
    run_token uuid,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX feed_schedule_due_idx
    ON feed_schedule (priority, next_run_at) WHERE state = 'scheduled';
CREATE INDEX feed_schedule_active_idx
    ON feed_schedule (state, updated_at) WHERE state IN ('queued', 'running');
CREATE INDEX feed_schedule_executing_idx
    ON feed_schedule (started_at) WHERE started_at IS NOT NULL;

-- One row per refresh attempt that reached a result.
CREATE TABLE feed_runs (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    feed_id uuid NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    user_id uuid NOT NULL,
    message_id uuid,
    started_at timestamptz NOT NULL,
    duration_ms integer NOT NULL,
    status text NOT NULL CHECK (status IN ('success', 'failed')),
    http_status integer,
    bytes_received bigint,
    not_modified boolean NOT NULL DEFAULT false,
    articles_added integer NOT NULL DEFAULT 0,
    error_code text,
    error text,
    next_run_at timestamptz,
    next_run_reason text
);

CREATE INDEX feed_runs_feed_idx ON feed_runs (feed_id, started_at DESC);
CREATE INDEX feed_runs_user_idx ON feed_runs (user_id, started_at);
CREATE INDEX feed_runs_started_idx ON feed_runs (started_at);

-- The domain limiter: next_slot_at is the earliest time the next request to
-- the domain (host:port) may start; deferred_until spreads refreshes that
-- were put back because the slot was too far away.
CREATE TABLE domain_throttle (
    domain text PRIMARY KEY,
    next_slot_at timestamptz NOT NULL,
    deferred_until timestamptz
);

-- Live worker processes; the dispatcher sizes the queue from their threads.
CREATE TABLE worker_heartbeats (
    worker_id text PRIMARY KEY,
    hostname text NOT NULL,
    pid integer NOT NULL,
    threads integer NOT NULL,
    started_at timestamptz NOT NULL DEFAULT now(),
    seen_at timestamptz NOT NULL DEFAULT now()
);
