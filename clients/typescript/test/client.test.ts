/**
 * The client against a running API. FEEDS_API_URL and FEEDS_TOKEN name the
 * API and a user's token. FEEDS_PAGED_FEED_ID names a feed of that user with
 * FEEDS_PAGED_ARTICLES articles, for cursor paging.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  type ErrorBody,
  type Feed,
  FeedsApiError,
  FeedsClient,
} from "../src/client.js";

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set; the tests need a running API`);
  }
  return value;
}

const baseUrl = requiredEnv("FEEDS_API_URL");
const client = new FeedsClient({ baseUrl, token: requiredEnv("FEEDS_TOKEN") });
const pagedFeedId = requiredEnv("FEEDS_PAGED_FEED_ID");
const pagedArticles = Number(requiredEnv("FEEDS_PAGED_ARTICLES"));
const MISSING_ID = "00000000-0000-4000-8000-000000000000";

async function rejection(promise: Promise<unknown>): Promise<FeedsApiError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof FeedsApiError, `not a FeedsApiError: ${error}`);
    return error;
  }
  assert.fail("the request succeeded");
}

describe("feed lifecycle", () => {
  let feed: Feed;

  it("creates a feed", async () => {
    feed = await client.createFeed({
      url: "https://example.com/client-test.xml",
      title: "Client test",
    });
    assert.equal(feed.url, "https://example.com/client-test.xml");
    assert.equal(feed.title, "Client test");
    assert.equal(feed.refresh_interval, 60);
  });

  it("lists the feed", async () => {
    const { feeds } = await client.listFeeds();
    assert.ok(feeds.some((item) => item.id === feed.id));
  });

  it("gets the feed", async () => {
    const fetched = await client.getFeed(feed.id);
    assert.equal(fetched.id, feed.id);
    assert.equal(fetched.url, feed.url);
  });

  it("updates the feed", async () => {
    const updated = await client.updateFeed(feed.id, {
      title: "Renamed",
      refresh_interval: 30,
    });
    assert.equal(updated.title, "Renamed");
    assert.equal(updated.refresh_interval, 30);
  });

  it("schedules the feed", async () => {
    const result = await client.schedule({ feed_id: feed.id, refresh_interval: 30 });
    assert.equal(result.success, true);
    assert.ok(["manual", "overdue", "normal"].includes(result.priority));
    assert.equal(typeof result.delay_seconds, "number");
  });

  it("forces a refresh", async () => {
    const result = await client.forceRefresh(feed.id);
    assert.equal(result.feed_id, feed.id);
    assert.equal(typeof result.task_id, "string");
  });

  it("cancels the schedule", async () => {
    const result = await client.cancel(feed.id);
    assert.equal(result.feed_id, feed.id);
    assert.equal((await client.getFeed(feed.id)).schedule_state, "cancelled");
  });

  it("initializes schedules", async () => {
    const result = await client.init();
    assert.equal(typeof result.scheduled_count, "number");
  });

  it("reads stats", async () => {
    const stats = await client.stats();
    for (const value of Object.values(stats)) {
      assert.equal(typeof value, "number");
    }
    assert.ok(stats.scheduled_tasks + stats.active_tasks >= 1);
  });

  it("lists no articles of a new feed", async () => {
    const page = await client.listArticles(feed.id, { limit: 10 });
    assert.deepEqual(page.articles, []);
    assert.equal(page.next_cursor, null);
  });

  it("lists no runs of a new feed", async () => {
    const { runs } = await client.listRuns(feed.id, { limit: 5 });
    assert.deepEqual(runs, []);
  });

  it("deletes the feed", async () => {
    assert.equal(await client.deleteFeed(feed.id), undefined);
    const error = await rejection(client.getFeed(feed.id));
    assert.equal(error.status, 404);
  });
});

describe("article paging", () => {
  it("follows next_cursor across pages", async () => {
    const first = await client.listArticles(pagedFeedId, { limit: 2 });
    assert.equal(first.articles.length, 2);
    assert.equal(typeof first.next_cursor, "string");

    const second = await client.listArticles(pagedFeedId, {
      limit: 2,
      cursor: first.next_cursor ?? undefined,
    });
    const firstIds = first.articles.map((article) => article.id);
    assert.ok(second.articles.every((article) => !firstIds.includes(article.id)));
  });

  it("iterates every article newest first", async () => {
    const articles = [];
    for await (const article of client.iterateArticles(pagedFeedId, 2)) {
      articles.push(article);
    }
    const ids = new Set(articles.map((article) => article.id));
    const published = articles.map((article) => Date.parse(article.published_at));
    assert.equal(articles.length, pagedArticles);
    assert.equal(ids.size, pagedArticles);
    assert.deepEqual(published, [...published].sort((a, b) => b - a));
  });
});

describe("errors", () => {
  it("throws FeedsApiError with the body on 404", async () => {
    const error = await rejection(client.getFeed(MISSING_ID));
    assert.equal(error.status, 404);
    assert.equal(error.name, "FeedsApiError");
    assert.equal(typeof error.body, "object");
    assert.equal((error.body as ErrorBody).title, "Feed not found");
    assert.ok(error.requestId);
  });

  it("throws FeedsApiError with field errors on 422", async () => {
    const error = await rejection(client.createFeed({ url: "ftp://example.com/" }));
    assert.equal(error.status, 422);
    assert.equal(typeof error.body, "object");
    const body = error.body as ErrorBody;
    assert.ok(Array.isArray(body.errors));
    assert.ok(body.errors.length > 0);
  });

  it("throws FeedsApiError on 401 with a bad token", async () => {
    const anonymous = new FeedsClient({ baseUrl, token: "not-a-token" });
    const error = await rejection(anonymous.listFeeds());
    assert.equal(error.status, 401);
  });
});
