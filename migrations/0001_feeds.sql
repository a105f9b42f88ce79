-- Feeds and articles keep the reader app's column names; the other columns
-- are the service's own.

CREATE TABLE feeds (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL,
    url text NOT NULL,
    title text,
    refresh_interval integer NOT NULL DEFAULT 60
        CHECK (refresh_interval BETWEEN 1 AND 10080),
    last_fetched timestamptz,
    last_fetch_status text CHECK (last_fetch_status IN ('success', 'failed')),
    last_fetch_error text,
    last_error_code text,
    consecutive_failures integer NOT NULL DEFAULT 0,
    etag text,
    last_modified text,
    body_sha256 text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT feeds_user_url_key UNIQUE (user_id, url)
);

CREATE INDEX feeds_url_idx ON feeds (url);

CREATE TABLE articles (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    feed_id uuid NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    user_id uuid NOT NULL,
    title text NOT NULL,
    content text,
    summary text,
    url text NOT NULL,
    author text,
    published_at timestamptz NOT NULL,
    is_read boolean NOT NULL DEFAULT false,
    is_starred boolean NOT NULL DEFAULT false,
    thumbnail text,
    created_at timestamptz NOT NULL DEFAULT now(),
    entry_id text,
    entry_key text,
    CONSTRAINT articles_url_user_id_key UNIQUE (url, user_id)
);

CREATE INDEX articles_feed_published_idx
    ON articles (feed_id, published_at DESC, id DESC);
