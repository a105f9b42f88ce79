/**
 * A typed client of the feeds REST API.
 *
 * Every type comes from openapi.ts, which `npm run generate` writes from the
 * API's OpenAPI document. Requests carry the user's bearer token, and every
 * response outside 2xx raises a FeedsApiError.
 */
import type { components, operations } from "./openapi.js";

type Schemas = components["schemas"];

export type Feed = Schemas["Feed"];
export type FeedList = Schemas["FeedList"];
export type FeedCreate = Schemas["FeedCreate"];
export type FeedUpdate = Schemas["FeedUpdate"];
export type Article = Schemas["Article"];
export type ArticlePage = Schemas["ArticlePage"];
export type Run = Schemas["Run"];
export type RunList = Schemas["RunList"];
export type ScheduleRequest = Schemas["ScheduleRequest"];
export type ScheduleResult = Schemas["ScheduleResult"];
export type CancelResult = Schemas["CancelResult"];
export type ForceRefreshResult = Schemas["ForceRefreshResult"];
export type InitResult = Schemas["InitResult"];
export type Stats = Schemas["Stats"];
/** The JSON body of every error response. */
export type ErrorBody = Schemas["Error"];

export type ArticlesQuery = NonNullable<
  operations["listArticles"]["parameters"]["query"]
>;
export type RunsQuery = NonNullable<operations["listRuns"]["parameters"]["query"]>;

/** A response with a status outside 2xx. */
export class FeedsApiError extends Error {
  /** The HTTP status code. */
  readonly status: number;
  /** The parsed JSON body, or the raw text when the body is not JSON. */
  readonly body: ErrorBody | string;
  /** The X-Request-ID of the response, for matching the service's logs. */
  readonly requestId: string | null;

  constructor(
    method: string,
    path: string,
    status: number,
    body: ErrorBody | string,
    requestId: string | null,
  ) {
    const title = typeof body === "string" ? body.slice(0, 200) : body.title;
    super(`${method} ${path} failed with ${status}: ${title}`);
    this.name = "FeedsApiError";
    this.status = status;
    this.body = body;
    this.requestId = requestId;
  }
}

export interface FeedsClientOptions {
  /** The API's base URL, such as http://127.0.0.1:8000. */
  baseUrl: string;
  /** The user's bearer token (an HS256 JWT). */
  token: string;
  /** A fetch implementation; the global fetch by default. */
  fetch?: typeof fetch;
}

type Query = Record<string, string | number | undefined>;

interface RequestOptions {
  body?: unknown;
  query?: Query;
}

export class FeedsClient {
  readonly #baseUrl: string;
  readonly #token: string;
  readonly #fetch: typeof fetch;

  constructor(options: FeedsClientOptions) {
    this.#baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.#token = options.token;
    this.#fetch = options.fetch ?? globalThis.fetch;
  }

  listFeeds(): Promise<FeedList> {
    return this.#request("GET", "/api/feeds");
  }

  getFeed(feedId: string): Promise<Feed> {
    return this.#request("GET", feedPath(feedId));
  }

  /** Subscribe to a feed; its first refresh is scheduled at once. */
  createFeed(body: FeedCreate): Promise<Feed> {
    return this.#request("POST", "/api/feeds", { body });
  }

  updateFeed(feedId: string, body: FeedUpdate): Promise<Feed> {
    return this.#request("PATCH", feedPath(feedId), { body });
  }

  /** Unsubscribe, deleting the feed's articles and refresh history. */
  deleteFeed(feedId: string): Promise<void> {
    return this.#request("DELETE", feedPath(feedId));
  }

  /** Fetch one page of articles, newest first. */
  listArticles(feedId: string, query: ArticlesQuery = {}): Promise<ArticlePage> {
    return this.#request("GET", `${feedPath(feedId)}/articles`, { query });
  }

  /** Yield every article, newest first, following next_cursor page by page. */
  async *iterateArticles(
    feedId: string,
    pageSize?: number,
  ): AsyncGenerator<Article, void, undefined> {
    let cursor: string | undefined;
    do {
      const page = await this.listArticles(feedId, { limit: pageSize, cursor });
      yield* page.articles;
      cursor = page.next_cursor ?? undefined;
    } while (cursor !== undefined);
  }

  /** List the feed's most recent refreshes, newest first. */
  listRuns(feedId: string, query: RunsQuery = {}): Promise<RunList> {
    return this.#request("GET", `${feedPath(feedId)}/runs`, { query });
  }

  /** Schedule a feed's next refresh, creating the feed from feed_url if needed. */
  schedule(body: ScheduleRequest): Promise<ScheduleResult> {
    return this.#request("POST", "/api/rss/schedule", { body });
  }

  cancel(feedId: string): Promise<CancelResult> {
    return this.#request("POST", "/api/rss/cancel", { body: { feed_id: feedId } });
  }

  /** Refresh a feed now, ahead of scheduled work. */
  forceRefresh(feedId: string): Promise<ForceRefreshResult> {
    return this.#request("POST", "/api/rss/force-refresh", {
      body: { feed_id: feedId },
    });
  }

  /** Schedule every feed of the user that has no schedule yet. */
  init(): Promise<InitResult> {
    return this.#request("POST", "/api/rss/init");
  }

  stats(): Promise<Stats> {
    return this.#request("GET", "/api/rss/stats");
  }

  async #request<T>(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<T> {
    const headers: Record<string, string> = {
      Accept: "application/json",
      Authorization: `Bearer ${this.#token}`,
    };
    let body: string | undefined;
    if (options.body !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(options.body);
    }

    const url = this.#baseUrl + path + queryString(options.query);
    const response = await this.#fetch(url, { method, headers, body });
    if (!response.ok) {
      throw new FeedsApiError(
        method,
        path,
        response.status,
        await errorBody(response),
        response.headers.get("X-Request-ID"),
      );
    }
    if (response.status === 204) {
      return undefined as T;
    }
    return (await response.json()) as T;
  }
}

function feedPath(feedId: string): string {
  return `/api/feeds/${encodeURIComponent(feedId)}`;
}

function queryString(query: Query | undefined): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value !== undefined) {
      params.set(name, String(value));
    }
  }
  const encoded = params.toString();
  return encoded ? `?${encoded}` : "";
}

/** Return the body as an ErrorBody when it is one, else as text. */
async function errorBody(response: Response): Promise<ErrorBody | string> {
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return text;
  }
  return isErrorBody(parsed) ? parsed : text;
}

function isErrorBody(value: unknown): value is ErrorBody {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { title?: unknown }).title === "string"
  );
}
