// The browser session.
//
// Sign-in goes to `POST /v1/auth/session`: the API sets the refresh token as an HttpOnly,
// SameSite=Strict cookie scoped to `/v1/auth/session`, and answers the access token, which
// lives only in this module's memory: never in localStorage, sessionStorage or a readable
// cookie, so neither another origin's script nor one injected here can carry the session
// away. A reload refreshes silently from the cookie; so does a timer a little before the
// access token expires, and a 401 from any call (once, then the user signs in again).
// Concurrent refreshes share one request: the refresh token is single-use, and two racing
// exchanges would revoke the whole session as a replay.

export type Listener = (signedIn: boolean) => void;

interface Tokens {
  access_token: string;
  expires_in: number;
}

const SESSION = "/v1/auth/session";
/** Refresh this long before the access token expires. */
const EARLY_MS = 30_000;

let access: string | null = null;
/** Support staff's stated reason for acting inside a tenant, sent with every call. */
let actingReason: string | null = null;
let timer: ReturnType<typeof setTimeout> | undefined;
let inflight: Promise<boolean> | null = null;
/** Bumped by sign-out, so a refresh that was in flight then is ignored. */
let generation = 0;
const listeners = new Set<Listener>();

export function accessToken(): string | null {
  return access;
}

export function onSessionChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function set(tokens: Tokens | null) {
  clearTimeout(timer);
  const was = access !== null;
  access = tokens?.access_token ?? null;
  if (tokens) {
    const wait = Math.max(tokens.expires_in * 1000 - EARLY_MS, 5_000);
    timer = setTimeout(() => void refresh(), wait);
  }
  if (was !== (access !== null)) listeners.forEach((l) => l(access !== null));
}

/** Signs in; answers `null` on success or the problem document of the failure. */
export async function signIn(email: string, password: string): Promise<unknown | null> {
  const res = await fetch(SESSION, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password }),
    credentials: "same-origin",
  });
  const body: unknown = await res.json().catch(() => null);
  if (!res.ok) return body ?? { status: res.status, title: res.statusText };
  set(body as Tokens);
  return null;
}

/**
 * Tabs of one browser share the session cookie, and its refresh token is single-use: two
 * tabs exchanging the same one would look like a stolen token and end the session
 * everywhere. The Web Locks API makes their exchanges take turns (each then sends the
 * cookie the previous one left); without it (old browsers, tests) the in-tab single flight
 * still holds.
 */
function oneAtATime<T>(work: () => Promise<T>): Promise<T> {
  const locks = typeof navigator !== "undefined" ? navigator.locks : undefined;
  return locks ? (locks.request("centralita-session-refresh", work) as unknown as Promise<T>) : work();
}

/** A new access token from the session cookie; `false` when there is no valid session. */
export function refresh(): Promise<boolean> {
  const started = generation;
  inflight ??= oneAtATime(async () => {
    try {
      const res = await fetch(`${SESSION}/refresh`, { method: "POST", credentials: "same-origin" });
      // Signed out meanwhile: a late answer must not sign the page back in.
      if (started !== generation) return false;
      if (res.status === 401 || res.status === 403) {
        set(null);
        return false;
      }
      // Overloaded or restarting (429, 5xx): keep the session, a later call tries again.
      if (!res.ok) return access !== null;
      set((await res.json()) as Tokens);
      return true;
    } catch {
      // The network is down: keep what we have, a later call will try again.
      return access !== null;
    } finally {
      inflight = null;
    }
  });
  return inflight;
}

/** Revokes the session on the server and forgets the access token. */
export async function signOut(): Promise<void> {
  generation += 1;
  try {
    await fetch(SESSION, { method: "DELETE", credentials: "same-origin" });
  } finally {
    actingReason = null;
    set(null);
  }
}

/**
 * Support staff state why they act inside a tenant; the API refuses their changes without
 * it and the audit log keeps it. `null` ends it (leaving the tenant, signing out).
 */
export function setActingReason(reason: string | null) {
  actingReason = reason?.trim() || null;
}

/** The header value: RFC 8187's `UTF-8''…` form, since `fetch` cannot send non-Latin-1
 * text (a reason in Spanish) in a header as is. */
export function actingReasonHeader(reason: string): string {
  return `UTF-8''${encodeURIComponent(reason)}`;
}

/**
 * The answer when the API cannot be reached at all (offline, server restarting): a problem
 * document like any other, so every form shows it and stays usable instead of waiting on a
 * promise that rejected.
 */
function unreachable(): Response {
  const lang = typeof document !== "undefined" ? document.documentElement.lang : "en";
  const detail =
    lang === "es"
      ? "No se puede contactar con Centralita. Compruebe la conexión e inténtelo de nuevo."
      : "Centralita cannot be reached. Check your connection and try again.";
  const problem = { type: "urn:centralita:problem:unreachable", title: "Unreachable", status: 503, detail, code: "unreachable", errors: [] };
  return new Response(JSON.stringify(problem), { status: 503, headers: { "content-type": "application/problem+json" } });
}

/**
 * `fetch` with the access token, retried once after a silent refresh when the API answers
 * 401 (the token expired while the tab slept, say).
 */
export async function authFetch(input: Request): Promise<Response> {
  // Credentials go to this origin's API only, never to a URL of another origin.
  if (typeof location !== "undefined" && new URL(input.url, location.href).origin !== location.origin) return fetch(input);
  const retry = input.clone();
  const send = async (req: Request) => {
    const token = access;
    if (token) req.headers.set("authorization", `Bearer ${token}`);
    if (actingReason) req.headers.set("x-acting-reason", actingReasonHeader(actingReason));
    try {
      return await fetch(req);
    } catch {
      return unreachable();
    }
  };
  const res = await send(input);
  if (res.status !== 401 || !(await refresh())) return res;
  return send(retry);
}
