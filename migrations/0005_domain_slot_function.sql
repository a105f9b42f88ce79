-- The domain limiter's slot in one round trip. The function takes the
-- transaction-scoped advisory lock of the domain, then reads and writes the
-- domain's domain_throttle row; each statement of a PL/pgSQL function takes
-- a new snapshot, so the read sees every slot committed before the lock.
-- A slot more than max_wait_seconds away is not taken: retry_at then says
-- when to come back, spread behind the domain's earlier deferrals.
CREATE FUNCTION take_domain_slot(
    p_domain text,
    p_interval_seconds float8,
    p_max_wait_seconds float8,
    p_lock_namespace integer
) RETURNS TABLE (start_at timestamptz, wait_seconds float8, retry_at timestamptz)
LANGUAGE plpgsql AS $$
DECLARE
    v_interval interval := make_interval(secs => p_interval_seconds);
    v_now timestamptz;
    v_next_slot timestamptz;
    v_deferred_until timestamptz;
    v_start timestamptz;
    v_retry timestamptz;
BEGIN
    PERFORM pg_advisory_xact_lock(p_lock_namespace, hashtext(p_domain));
    v_now := clock_timestamp();
    SELECT t.next_slot_at, t.deferred_until
    INTO v_next_slot, v_deferred_until
    FROM domain_throttle t
    WHERE t.domain = p_domain;
    v_start := greatest(v_now, v_next_slot);

    IF v_start - v_now <= make_interval(secs => p_max_wait_seconds) THEN
        INSERT INTO domain_throttle (domain, next_slot_at)
        VALUES (p_domain, v_start + v_interval)
        ON CONFLICT (domain) DO UPDATE SET next_slot_at = EXCLUDED.next_slot_at;
        RETURN QUERY
        SELECT v_start, extract(epoch FROM v_start - v_now)::float8,
               NULL::timestamptz;
        RETURN;
    END IF;

    v_retry := greatest(v_start, v_deferred_until + v_interval);
    UPDATE domain_throttle t SET deferred_until = v_retry WHERE t.domain = p_domain;
    RETURN QUERY SELECT NULL::timestamptz, NULL::float8, v_retry;
END
$$;
