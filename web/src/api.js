// Talking to the service: the token, the REST calls, and how the console learns of changes.
//
// Every read goes through the public API with the signed-in party's token, so the console
// shows exactly what that party is entitled to see and nothing more.

const TOKEN_KEY = "deconflict.token";

export class ApiError extends Error {
  constructor(status, message) {
    super(`${status}: ${message}`);
    this.status = status;
    this.reason = message;
  }
}

/**
 * The claims of a JWT, read without verifying it (the service verifies): only to show
 * who is signed in and to catch a cut or expired token before asking the service.
 * Each failure says what is wrong with the token, for the sign-in form.
 */
export function claims(token) {
  const parts = token.split(".");
  if (parts.length !== 3 || parts.some((p) => !p)) {
    throw new Error(`it is not a JWT (three dot-separated parts expected, found ${parts.filter(Boolean).length})`);
  }
  let json;
  try {
    const b64 = parts[1].replace(/-/g, "+").replace(/_/g, "/");
    json = new TextDecoder().decode(Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0)));
  } catch {
    throw new Error("its claims are not base64url (the token was cut or altered)");
  }
  let c;
  try {
    c = JSON.parse(json);
  } catch {
    throw new Error("its claims are not JSON (the token was cut or altered)");
  }
  if (!c || typeof c !== "object" || typeof c.sub !== "string" || !c.sub) {
    throw new Error("it names no party (no 'sub' claim)");
  }
  return c;
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

  /** Whether the service accepts this token: rejects with its 401 reason if not. */
  check() {
    return this.request("GET", "/v1/operations?limit=1");
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

  constraints() {
    return this.request("GET", "/v1/constraints?limit=10000").then((d) => d.constraints);
  }

  zones() {
    return this.request("GET", "/v1/zones?limit=10000").then((d) => d.zones);
  }

  /** USS plans near the party's operations, as its event stream told them. */
  ussPlans() {
    return this.request("GET", "/v1/console/uss_plans").then((d) => d.uss_plans);
  }

  /** The hotline, or null when this service has none (404): the panel then stays hidden. */
  messages() {
    return this.request("GET", "/v1/messages").then(
      (d) => d.messages,
      (e) => {
        if (e instanceof ApiError && e.status === 404) return null;
        throw e;
      },
    );
  }

  acknowledgeMessage(id) {
    return this.request("POST", `/v1/messages/${encodeURIComponent(id)}/ack`);
  }

  /** To the other side of a conflict or alert, whom the service finds (and does not name). */
  sendMessage(conflictId, text) {
    return this.request("POST", `/v1/conflicts/${encodeURIComponent(conflictId)}/messages`, { text });
  }

  sendMessageTo(party, text) {
    return this.request("POST", "/v1/messages", { to: party, text });
  }
}

// ------------------------------------------------------------------ live updates

/** The layers the console refreshes; an event names which of them changed. */
export const LAYERS = ["operations", "airspace", "live", "messages"];

const LAYER_OF_PREFIX = {
  operation: ["operations", "live"], // an activation means aircraft may start reporting
  operational_intent: ["operations"],
  conflict: ["operations"],
  constraint: ["airspace"],
  zone: ["airspace"],
  alert: ["live"],
  message: ["messages"],
  uss_intent: ["uss"], // a USS's plan near one of the party's operations
  uss_constraint: ["uss"],
};

/**
 * The layers an event kind ("operation.updated", "zone.changed", ...) may have changed.
 * A kind this console does not know yet (the service grows new ones) refreshes every
 * layer: slower, but nothing shown goes stale.
 */
export function layersOf(kind) {
  return LAYER_OF_PREFIX[String(kind).split(".")[0]] || LAYERS;
}

/**
 * Server-sent events parsed from a stream of text chunks: feed() returns the complete
 * events so far as {id, event, data}; a partial event waits for the next chunk.
 * Follows the SSE format (fields, comments, CR/LF/CRLF line ends, multi-line data).
 */
export class SseParser {
  constructor() {
    this.buffer = "";
    this.reset();
    this.retry = null;
  }

  reset() {
    this.id = null;
    this.event = "";
    this.data = [];
  }

  feed(chunk) {
    this.buffer += chunk;
    const out = [];
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.buffer);
      // A lone CR at the end may be the first half of CRLF: wait for more.
      if (!m || (m[0] === "\r" && m.index === this.buffer.length - 1)) break;
      const line = this.buffer.slice(0, m.index);
      this.buffer = this.buffer.slice(m.index + m[0].length);
      if (line === "") {
        if (this.data.length || this.event) out.push({ id: this.id, event: this.event || "message", data: this.data.join("\n") });
        this.reset();
        continue;
      }
      if (line.startsWith(":")) continue; // a comment: the server's keep-alive
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "data") this.data.push(value);
      else if (field === "event") this.event = value;
      else if (field === "id" && !value.includes("\0")) this.id = value;
      else if (field === "retry" && /^\d+$/.test(value)) this.retry = Number(value);
    }
    return out;
  }
}

/**
 * Call `onChange(layer)` whenever a layer (see LAYERS) may have changed, from the
 * party's event stream (GET /v1/events); returns a function that stops it.
 *
 * The stream is read with fetch() rather than EventSource because EventSource cannot
 * send the Authorization header, and a token in the URL ends up in logs and history.
 * After a drop it reconnects with Last-Event-ID, so nothing said meanwhile is missed.
 *
 * Polling remains for what the stream does not carry: aircraft positions (every
 * `liveMs` while `flying()` says own aircraft may be airborne: positions are not
 * events), other parties' new operations (a party's stream holds only what is
 * addressed to it), every `pollMs`; and everything every `fallbackMs` while the stream
 * is down. `pollMs` 0 turns both of the latter off (the console tests use it to show
 * the stream alone keeps the page current). `onStatus(text, live)` reports the
 * connection.
 */
export function subscribe(api, onChange, {
  pollMs = 30000, fallbackMs = 5000, liveMs = 1500, debounceMs = 150,
  flying = () => false, onStatus = () => {},
} = {}) {
  const ctl = new AbortController();
  let lastId = null;
  let connected = false;
  let stopped = false;
  const pending = new Set();
  let flush = null;

  // Catching up after a reconnect can deliver hundreds of events at once: one refresh
  // per layer covers them all.
  const changed = (layers) => {
    layers.forEach((l) => pending.add(l));
    if (flush == null) {
      flush = setTimeout(() => {
        flush = null;
        const layers = [...pending];
        pending.clear();
        layers.forEach((l) => onChange(l));
      }, debounceMs);
    }
  };

  const timers = [setInterval(() => { if (flying()) onChange("live"); }, liveMs)];
  if (pollMs > 0) {
    let last = Date.now();
    timers.push(setInterval(() => {
      const due = connected ? pollMs : fallbackMs;
      if (Date.now() - last >= due) {
        last = Date.now();
        changed(LAYERS);
      }
    }, Math.min(fallbackMs, 1000)));
  }

  async function read() {
    const parser = new SseParser();
    const headers = { Authorization: `Bearer ${api.token}`, Accept: "text/event-stream" };
    if (lastId != null) headers["Last-Event-ID"] = lastId;
    // The first connection starts at the newest event (the page has just loaded the
    // current state); a reconnection resumes from the last id seen, missing nothing.
    const url = api.base + "/v1/events" + (lastId == null ? "?latest=true" : "");
    const r = await fetch(url, { headers, signal: ctl.signal, cache: "no-store" });
    if (!r.ok) {
      const body = await r.json().catch(() => ({}));
      throw new ApiError(r.status, body.message || r.statusText);
    }
    connected = true;
    onStatus("live: event stream", true);
    // After a drop the service replays what was missed from lastId; the debounce
    // folds a burst of them into one refresh per layer.
    const reader = r.body.getReader();
    const text = new TextDecoder();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      for (const ev of parser.feed(text.decode(value, { stream: true }))) {
        if (ev.id != null && ev.id !== "") lastId = ev.id;
        changed(layersOf(ev.event));
      }
    }
    return parser.retry;
  }

  (async () => {
    let delay = 1000;
    while (!stopped) {
      let retry = null;
      try {
        retry = await read();
        delay = 1000;
      } catch (e) {
        if (stopped) return;
        if (e instanceof ApiError && (e.status === 401 || e.status === 403)) {
          connected = false;
          onStatus(`event stream refused (${e.message})`, false);
          return; // a new token is needed; polling (if on) keeps the page as current as it can
        }
        delay = Math.min(delay * 2, 30000);
      }
      connected = false;
      if (stopped) return;
      const wait = retry ?? delay;
      onStatus(`event stream lost: reconnecting${pollMs > 0 ? `, polling every ${fallbackMs / 1000} s` : ""}`, false);
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  })();

  return () => {
    stopped = true;
    ctl.abort();
    timers.forEach(clearInterval);
    if (flush != null) clearTimeout(flush);
  };
}
