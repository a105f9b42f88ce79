-- Read-only views for operators, in their own schema so they stay apart from
-- the tables they read: the Dramatiq queue (dramatiq.queue) and the scheduler
-- (public.feed_schedule). `feeds queue summary` and `feeds queue failed` read
-- them, and psql users can query them directly.
--
-- NOTE: dramatiq-pg 0.12 writes mtime as now() AT TIME ZONE 'UTC', a
-- timestamp without time zone that PostgreSQL converts back with the session
-- TimeZone. Ages computed from mtime are therefore correct only when the
-- server's TimeZone is UTC (the default of most installations).

CREATE SCHEMA IF NOT EXISTS monitoring;

CREATE VIEW monitoring.queue_messages AS
SELECT q.queue_name,
       q."state"::text AS state,
       count(*) AS messages,
       min(q.mtime) AS oldest_mtime
FROM dramatiq.queue q
GROUP BY q.queue_name, q."state";

COMMENT ON VIEW monitoring.queue_messages IS
    'Dramatiq messages per queue and state, with the oldest mtime of each group.';

CREATE VIEW monitoring.queue_oldest_waiting AS
SELECT DISTINCT ON (q.queue_name)
       q.queue_name,
       q.message_id,
       q.message ->> 'actor_name' AS actor_name,
       q.mtime,
       greatest(0, extract(epoch FROM now() - q.mtime))::double precision
           AS age_seconds
FROM dramatiq.queue q
WHERE q."state" = 'queued'
ORDER BY q.queue_name, q.mtime, q.message_id;

COMMENT ON VIEW monitoring.queue_oldest_waiting IS
    'The oldest message per queue that no worker has consumed yet, and its age in seconds.';

-- Dramatiq's Retries middleware stores the traceback of the last failed
-- attempt in options.traceback. A message rejected by other middleware (an
-- age limit, for example) has none, so error and traceback are NULL then.
CREATE VIEW monitoring.failed_messages AS
SELECT q.message_id,
       q.queue_name,
       q.message ->> 'actor_name' AS actor_name,
       q.message -> 'args' AS args,
       CASE WHEN q.message -> 'args' ->> 0
                 ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
            THEN (q.message -> 'args' ->> 0)::uuid
       END AS feed_id,
       coalesce((q.message -> 'options' ->> 'retries')::integer, 0) AS retries,
       (regexp_match(q.message -> 'options' ->> 'traceback', '([^\n]*\S[^\n]*)\s*$'))[1]
           AS error,
       q.message -> 'options' ->> 'traceback' AS traceback,
       q.mtime AS failed_at
FROM dramatiq.queue q
WHERE q."state" = 'rejected';

COMMENT ON VIEW monitoring.failed_messages IS
    'Rejected Dramatiq messages: actor, arguments (the first is the feed id), '
    'retries, and the last line of the stored traceback as error.';

CREATE VIEW monitoring.due_feeds AS
SELECT s.feed_id,
       f.user_id,
       f.url,
       s.priority,
       s.reason,
       s.next_run_at,
       extract(epoch FROM now() - s.next_run_at)::double precision
           AS lateness_seconds,
       s.started_at
FROM public.feed_schedule s
JOIN public.feeds f ON f.id = s.feed_id
WHERE s.state = 'scheduled'
  AND s.next_run_at <= now();

COMMENT ON VIEW monitoring.due_feeds IS
    'Scheduled feeds whose next run is due and not yet queued, with how many '
    'seconds late each one is. started_at is set while an earlier refresh of '
    'the feed still executes.';

CREATE VIEW monitoring.schedule_lag AS
SELECT count(*) AS due_feeds,
       coalesce(extract(epoch FROM now() - min(s.next_run_at)), 0)::double precision
           AS lag_seconds
FROM public.feed_schedule s
WHERE s.state = 'scheduled'
  AND s.next_run_at <= now();

COMMENT ON VIEW monitoring.schedule_lag IS
    'One row: the number of due scheduled feeds and how many seconds late the '
    'oldest of them is, 0 when none is due.';

CREATE VIEW monitoring.schedule_states AS
SELECT s.state,
       s.priority,
       CASE s.priority WHEN 0 THEN 'manual' WHEN 1 THEN 'overdue' ELSE 'normal' END
           AS priority_label,
       count(*) AS feeds,
       min(s.next_run_at) AS earliest_next_run_at
FROM public.feed_schedule s
GROUP BY s.state, s.priority;

COMMENT ON VIEW monitoring.schedule_states IS
    'Schedule rows per state and priority (0 manual, 1 overdue, 2 normal), '
    'with the earliest next run of each group.';
