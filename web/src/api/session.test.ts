import { afterEach, beforeEach, describe, expect, it, vi, type Mock } from "vitest";

type Session = typeof import("./session");

/** A JSON response (the API's tokens or a problem document). */
function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": status < 400 ? "application/json" : "application/problem+json" },
  });
}

const tokens = (access_token: string, expires_in = 900) => ({ access_token, expires_in, token_type: "Bearer" });

/** The URL and method of a recorded fetch call, whether it was given a Request or a string. */
function describeCall(call: unknown[]): { url: string; method: string } {
  const [input, init] = call as [RequestInfo | URL, RequestInit | undefined];
  if (input instanceof Request) return { url: new URL(input.url).pathname, method: input.method };
  return { url: String(input), method: init?.method ?? "GET" };
}

const refreshCalls = (fetchMock: Mock) =>
  fetchMock.mock.calls.filter((c) => describeCall(c).url === "/v1/auth/session/refresh");

/** A deferred promise, to hold a response until the test lets it go. */
function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

let session: Session;
let fetchMock: Mock<(input: RequestInfo | URL, init?: RequestInit) => Promise<Response>>;

beforeEach(async () => {
  vi.resetModules();
  fetchMock = vi.fn<(input: RequestInfo | URL, init?: RequestInit) => Promise<Response>>();
  vi.stubGlobal("fetch", fetchMock);
  session = await import("./session");
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

/** Signs in with the given access token (the fetch mock answers the one sign-in call). */
async function signedIn(token = "t-old", expiresIn = 900) {
  fetchMock.mockResolvedValueOnce(json(tokens(token, expiresIn)));
  expect(await session.signIn("ana@example.com", "secret")).toBeNull();
  expect(session.accessToken()).toBe(token);
  fetchMock.mockClear();
}

describe("signIn", () => {
  it("posts the credentials as JSON, keeps the access token and tells the listeners", async () => {
    const listener = vi.fn();
    session.onSessionChange(listener);
    fetchMock.mockResolvedValueOnce(json(tokens("t1")));

    expect(session.accessToken()).toBeNull();
    const result = await session.signIn("ana@example.com", "s3cret");

    expect(result).toBeNull();
    expect(session.accessToken()).toBe("t1");
    expect(listener).toHaveBeenCalledTimes(1);
    expect(listener).toHaveBeenCalledWith(true);
    expect(fetchMock).toHaveBeenCalledTimes(1);
    const [url, init] = fetchMock.mock.calls[0]!;
    expect(url).toBe("/v1/auth/session");
    expect(init?.method).toBe("POST");
    expect(init?.credentials).toBe("same-origin");
    expect(new Headers(init?.headers).get("content-type")).toBe("application/json");
    expect(JSON.parse(String(init?.body))).toEqual({ email: "ana@example.com", password: "s3cret" });
  });

  it("answers the problem document on failure and stays signed out", async () => {
    const listener = vi.fn();
    session.onSessionChange(listener);
    const problem = {
      type: "urn:centralita:problem:invalid_credentials",
      title: "Invalid credentials",
      status: 401,
      detail: "The e-mail or the password is wrong.",
      code: "invalid_credentials",
      errors: [],
    };
    fetchMock.mockResolvedValueOnce(json(problem, 401));

    const result = await session.signIn("ana@example.com", "wrong");

    expect(result).toEqual(problem);
    expect(session.accessToken()).toBeNull();
    expect(listener).not.toHaveBeenCalled();
  });

  it("answers a stand-in problem when the failure has no JSON body", async () => {
    fetchMock.mockResolvedValueOnce(new Response("<html>bad gateway</html>", { status: 502, statusText: "Bad Gateway" }));

    const result = await session.signIn("ana@example.com", "secret");

    expect(result).toEqual({ status: 502, title: "Bad Gateway" });
    expect(session.accessToken()).toBeNull();
  });
});

describe("refresh", () => {
  it("shares one request between concurrent callers (the refresh token is single-use)", async () => {
    const answer = deferred<Response>();
    fetchMock.mockReturnValueOnce(answer.promise);

    const a = session.refresh();
    const b = session.refresh();
    expect(fetchMock).toHaveBeenCalledTimes(1);

    answer.resolve(json(tokens("t-new")));
    expect(await Promise.all([a, b])).toEqual([true, true]);
    expect(fetchMock).toHaveBeenCalledTimes(1);
    expect(describeCall(fetchMock.mock.calls[0]!)).toEqual({ url: "/v1/auth/session/refresh", method: "POST" });
    expect(fetchMock.mock.calls[0]![1]?.credentials).toBe("same-origin");
    expect(session.accessToken()).toBe("t-new");
  });

  it("makes a new request once the previous one has settled", async () => {
    fetchMock.mockResolvedValueOnce(json(tokens("t-1"))).mockResolvedValueOnce(json(tokens("t-2")));

    expect(await session.refresh()).toBe(true);
    expect(await session.refresh()).toBe(true);

    expect(fetchMock).toHaveBeenCalledTimes(2);
    expect(session.accessToken()).toBe("t-2");
  });

  it("signs out when the session is no longer valid", async () => {
    await signedIn();
    const listener = vi.fn();
    session.onSessionChange(listener);
    fetchMock.mockResolvedValueOnce(json({ title: "Unauthorized", status: 401 }, 401));

    expect(await session.refresh()).toBe(false);

    expect(session.accessToken()).toBeNull();
    expect(listener).toHaveBeenCalledTimes(1);
    expect(listener).toHaveBeenCalledWith(false);
  });

  it("keeps the token when the network is down", async () => {
    await signedIn("t-keep");
    const listener = vi.fn();
    session.onSessionChange(listener);
    fetchMock.mockRejectedValueOnce(new TypeError("Failed to fetch"));

    expect(await session.refresh()).toBe(true);
    expect(session.accessToken()).toBe("t-keep");
    expect(listener).not.toHaveBeenCalled();

    // And the next call really tries again rather than reusing the failed attempt.
    fetchMock.mockResolvedValueOnce(json(tokens("t-next")));
    expect(await session.refresh()).toBe(true);
    expect(session.accessToken()).toBe("t-next");
  });

  it("answers false on a network error when there was no session", async () => {
    fetchMock.mockRejectedValueOnce(new TypeError("Failed to fetch"));
    expect(await session.refresh()).toBe(false);
    expect(session.accessToken()).toBeNull();
  });
});

describe("the refresh timer", () => {
  it("refreshes 30 s before the access token expires, and again with the new token's lifetime", async () => {
    vi.useFakeTimers();
    await signedIn("t-1", 300);

    fetchMock.mockResolvedValueOnce(json(tokens("t-2", 120)));
    await vi.advanceTimersByTimeAsync(270_000 - 1);
    expect(fetchMock).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(refreshCalls(fetchMock)).toHaveLength(1);
    expect(session.accessToken()).toBe("t-2");

    fetchMock.mockResolvedValueOnce(json(tokens("t-3", 120)));
    await vi.advanceTimersByTimeAsync(90_000 - 1);
    expect(refreshCalls(fetchMock)).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(refreshCalls(fetchMock)).toHaveLength(2);
    expect(session.accessToken()).toBe("t-3");
  });

  it("waits at least 5 s for very short-lived tokens", async () => {
    vi.useFakeTimers();
    await signedIn("t-1", 10);

    fetchMock.mockResolvedValueOnce(json(tokens("t-2", 900)));
    await vi.advanceTimersByTimeAsync(4_999);
    expect(fetchMock).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(refreshCalls(fetchMock)).toHaveLength(1);
  });

  it("stops after sign-out", async () => {
    vi.useFakeTimers();
    await signedIn("t-1", 300);
    fetchMock.mockResolvedValueOnce(new Response(null, { status: 204 }));
    await session.signOut();
    fetchMock.mockClear();

    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(fetchMock).not.toHaveBeenCalled();
  });
});

describe("authFetch", () => {
  it("never sends the token to another origin", async () => {
    await signedIn();
    fetchMock.mockResolvedValueOnce(new Response("{}", { status: 200 }));
    await session.authFetch(new Request("https://elsewhere.example.com/v1/tenants"));
    const sent = fetchMock.mock.calls.at(-1)?.[0] as Request;
    expect(sent.headers.get("authorization")).toBeNull();
  });

  it("sends the access token as a bearer token", async () => {
    await signedIn("t-abc");
    fetchMock.mockResolvedValueOnce(json({ items: [] }));

    const res = await session.authFetch(new Request(`${location.origin}/v1/tenants`));

    expect(res.status).toBe(200);
    expect(fetchMock).toHaveBeenCalledTimes(1);
    const sent = fetchMock.mock.calls[0]![0] as Request;
    expect(sent.headers.get("authorization")).toBe("Bearer t-abc");
  });

  it("sends no authorization header when signed out", async () => {
    fetchMock.mockResolvedValueOnce(json({}));
    await session.authFetch(new Request(`${location.origin}/v1/healthz`));
    expect((fetchMock.mock.calls[0]![0] as Request).headers.has("authorization")).toBe(false);
  });

  it("on a 401 refreshes once and retries with the new token and the same body", async () => {
    await signedIn("t-old");
    // Like the real fetch, read (and so use up) the body of every request sent.
    const bodies: string[] = [];
    const answers = [json({ title: "Unauthorized", status: 401 }, 401), json(tokens("t-new")), json({ id: "x1" }, 201)];
    fetchMock.mockImplementation(async (input) => {
      if (input instanceof Request) bodies.push(await input.text());
      return answers.shift()!;
    });
    const body = JSON.stringify({ number: "200", display_name: "Recepción" });

    const res = await session.authFetch(
      new Request(`${location.origin}/v1/tenants/t1/extensions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      }),
    );

    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ id: "x1" });
    expect(fetchMock).toHaveBeenCalledTimes(3);
    const calls = fetchMock.mock.calls.map(describeCall);
    expect(calls).toEqual([
      { url: "/v1/tenants/t1/extensions", method: "POST" },
      { url: "/v1/auth/session/refresh", method: "POST" },
      { url: "/v1/tenants/t1/extensions", method: "POST" },
    ]);
    const first = fetchMock.mock.calls[0]![0] as Request;
    const retried = fetchMock.mock.calls[2]![0] as Request;
    expect(first.headers.get("authorization")).toBe("Bearer t-old");
    expect(retried.headers.get("authorization")).toBe("Bearer t-new");
    expect(retried.headers.get("content-type")).toBe("application/json");
    expect(bodies).toEqual([body, body]);
    expect(session.accessToken()).toBe("t-new");
  });

  it("retries a 401 only once", async () => {
    await signedIn("t-old");
    const second401 = json({ title: "Unauthorized", status: 401 }, 401);
    fetchMock
      .mockResolvedValueOnce(json({ status: 401 }, 401))
      .mockResolvedValueOnce(json(tokens("t-new")))
      .mockResolvedValueOnce(second401);

    const res = await session.authFetch(new Request(`${location.origin}/v1/tenants`));

    expect(res).toBe(second401);
    expect(fetchMock).toHaveBeenCalledTimes(3);
    expect(refreshCalls(fetchMock)).toHaveLength(1);
  });

  it("on a 401 and a failed refresh answers the 401, forgets the token and signs out", async () => {
    await signedIn("t-old");
    const listener = vi.fn();
    session.onSessionChange(listener);
    const unauthorized = json({ title: "Unauthorized", status: 401 }, 401);
    fetchMock.mockResolvedValueOnce(unauthorized).mockResolvedValueOnce(json({ title: "Unauthorized", status: 401 }, 401));

    const res = await session.authFetch(new Request(`${location.origin}/v1/tenants`));

    expect(res).toBe(unauthorized);
    expect(fetchMock).toHaveBeenCalledTimes(2);
    expect(describeCall(fetchMock.mock.calls[1]!).url).toBe("/v1/auth/session/refresh");
    expect(session.accessToken()).toBeNull();
    expect(listener).toHaveBeenCalledTimes(1);
    expect(listener).toHaveBeenCalledWith(false);
  });

  it("does not refresh on other errors", async () => {
    await signedIn("t-old");
    const forbidden = json({ title: "Forbidden", status: 403 }, 403);
    fetchMock.mockResolvedValueOnce(forbidden);

    expect(await session.authFetch(new Request(`${location.origin}/v1/tenants`))).toBe(forbidden);
    expect(fetchMock).toHaveBeenCalledTimes(1);
    expect(session.accessToken()).toBe("t-old");
  });

  it("concurrent 401s share one refresh", async () => {
    await signedIn("t-old");
    const refreshed = deferred<Response>();
    fetchMock.mockImplementation(async (input) => {
      if (!(input instanceof Request)) return refreshed.promise;
      const auth = input.headers.get("authorization");
      return auth === "Bearer t-new" ? json({ ok: true }) : json({ status: 401 }, 401);
    });

    const a = session.authFetch(new Request(`${location.origin}/v1/tenants`));
    const b = session.authFetch(new Request(`${location.origin}/v1/me`));
    await vi.waitFor(() => expect(refreshCalls(fetchMock)).toHaveLength(1));
    refreshed.resolve(json(tokens("t-new")));
    const [ra, rb] = await Promise.all([a, b]);

    expect(ra.status).toBe(200);
    expect(rb.status).toBe(200);
    expect(refreshCalls(fetchMock)).toHaveLength(1);
    expect(fetchMock).toHaveBeenCalledTimes(5);
  });
});

describe("signOut and listeners", () => {
  it("deletes the server session, forgets the token and tells the listeners", async () => {
    await signedIn("t-1");
    const listener = vi.fn();
    session.onSessionChange(listener);
    fetchMock.mockResolvedValueOnce(new Response(null, { status: 204 }));

    await session.signOut();

    expect(fetchMock).toHaveBeenCalledTimes(1);
    expect(fetchMock.mock.calls[0]![0]).toBe("/v1/auth/session");
    expect(fetchMock.mock.calls[0]![1]?.method).toBe("DELETE");
    expect(fetchMock.mock.calls[0]![1]?.credentials).toBe("same-origin");
    expect(session.accessToken()).toBeNull();
    expect(listener).toHaveBeenCalledTimes(1);
    expect(listener).toHaveBeenCalledWith(false);
  });

  it("forgets the token even when the server cannot be reached", async () => {
    await signedIn("t-1");
    fetchMock.mockRejectedValueOnce(new TypeError("Failed to fetch"));

    await expect(session.signOut()).rejects.toThrow("Failed to fetch");
    expect(session.accessToken()).toBeNull();
  });

  it("fires only on transitions, and not after unsubscribing", async () => {
    const listener = vi.fn();
    const unsubscribe = session.onSessionChange(listener);

    await signedIn("t-1");
    fetchMock.mockResolvedValueOnce(json(tokens("t-2")));
    await session.refresh(); // still signed in: no transition
    expect(listener.mock.calls).toEqual([[true]]);

    unsubscribe();
    fetchMock.mockResolvedValueOnce(new Response(null, { status: 204 }));
    await session.signOut();
    expect(listener.mock.calls).toEqual([[true]]);
    expect(session.accessToken()).toBeNull();
  });
});

describe("refresh and sign-out races", () => {
  it("a refresh answered after sign-out does not sign the page back in", async () => {
    await signedIn();
    let answer: (r: Response) => void = () => {};
    fetchMock.mockImplementationOnce(() => new Promise<Response>((ok) => (answer = ok)));
    const pending = session.refresh();
    fetchMock.mockResolvedValueOnce(new Response(null, { status: 204 }));
    await session.signOut();
    answer(json(tokens("t-late")));
    expect(await pending).toBe(false);
    expect(session.accessToken()).toBeNull();
  });

  it("keeps the session when the refresh fails for a reason other than the session", async () => {
    await signedIn();
    fetchMock.mockResolvedValueOnce(new Response("{}", { status: 503 }));
    expect(await session.refresh()).toBe(true);
    expect(session.accessToken()).toBe("t-old");
    fetchMock.mockResolvedValueOnce(new Response("{}", { status: 401 }));
    expect(await session.refresh()).toBe(false);
    expect(session.accessToken()).toBeNull();
  });
});

describe("an unreachable API", () => {
  it("answers a 503 problem document instead of rejecting, so forms show it", async () => {
    await signedIn();
    fetchMock.mockRejectedValueOnce(new TypeError("Failed to fetch"));
    const res = await session.authFetch(new Request(`${location.origin}/v1/tenants`));
    expect(res.status).toBe(503);
    const problem = (await res.json()) as { code: string; detail: string };
    expect(problem.code).toBe("unreachable");
    expect(problem.detail).toMatch(/cannot be reached/);
    // The session is kept: the network, not the session, failed.
    expect(session.accessToken()).toBe("t-old");
  });
});
