// Talking to the service: the token, the REST calls, and how the console learns of changes.
//
// Every read goes through the public API with the signed-in party's token, so the console
// shows exactly what that party is entitled to see and nothing more.

const TOKEN_KEY = "deconflict.token";

export class ApiError extends Error {
  constructor(status, message) {
    super(`${status}: ${message}`);
    this.status = status;
  }
}

/** The claims of a JWT, read without verifying it: only to show who is signed in. */
export function claims(token) {
  const part = token.split(".")[1];
  if (!part) throw new Error("not a JWT: expected three dot-separated parts");
  const json = atob(part.replace(/-/g, "+").replace(/_/g, "/"));
  return JSON.parse(json);
}

export function savedToken() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function saveToken(token) {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export class Api {
  constructor(token, base = "") {
    this.token = token;
    this.base = base;
    const c = claims(token);
    this.party = c.sub;
    this.scopes = new Set((c.scope || "").split(" ").filter(Boolean));
    this.expires = c.exp ? new Date(c.exp * 1000) : null;
  }

  async request(method, path, body) {
    const r = await fetch(this.base + path, {
      method,
      headers: {
        Authorization: `Bearer ${this.token}`,
        ...(body ? { "Content-Type": "application/json" } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    const data = await r.json().catch(() => ({}));
    if (!r.ok) throw new ApiError(r.status, data.message || r.statusText);
    return data;
  }

  canTrack() {
    return this.scopes.has("deconflict.track");
  }

  operations() {
    return this.request("GET", "/v1/operations?limit=10000").then((d) => d.operations);
  }

  conflicts() {
    return this.request("GET", "/v1/console/conflicts").then((d) => d.conflicts);
  }

  tracks() {
    return this.request("GET", "/v1/tracks");
  }

  alerts() {
    return this.request("GET", "/v1/alerts").then((d) => d.alerts);
  }

  acknowledge(alertId) {
    return this.request("POST", `/v1/alerts/${alertId}/ack`).then((d) => d.alerts);
  }
}

/**
 * Call `onChange(kind)` whenever `kind` ("operations" or "live") may have changed; returns
 * a function that stops it.
 *
 * For now this polls: live data every `liveMs`, operations every `opsMs`. When the
 * service's event stream (GET /v1/events, server-sent events) is available, this is the
 * one function to replace: open an EventSource and call `onChange` per event.
 */
export function subscribe(api, onChange, { liveMs = 1500, opsMs = 5000 } = {}) {
  const timers = [
    setInterval(() => onChange("live"), liveMs),
    setInterval(() => onChange("operations"), opsMs),
  ];
  return () => timers.forEach(clearInterval);
}
