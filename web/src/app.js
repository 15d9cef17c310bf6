// The console: sign-in, the lists, the detail panel and the time slider, around the map.

import { Api, ApiError, saveToken, savedToken, subscribe } from "./api.js";
import {
  CONSTRAINT_STYLE, ConsoleMap, PARTY_COLOURS, SECTOR_STYLE, STATE_STYLE, USS_STYLE, boundsOfOperation, conflictId, conflictLabel,
} from "./map.js";

const $ = (id) => document.getElementById(id);
const MAX_LISTED = 200;
const TILE_KEY = "deconflict.tiles";

/** Build a DOM element; children are nodes or text (never parsed as HTML). */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c != null) el.append(c instanceof Node ? c : String(c));
  return el;
}

/** Replace `el`'s children, skipping the null of an absent optional part. */
function put(el, ...children) {
  el.replaceChildren(...children.flat().filter((c) => c != null));
}

const fmtTime = (iso) => (iso ? new Date(iso).toISOString().slice(0, 16).replace("T", " ") + "Z" : "");
const fmtAlt = (lo, hi) => `${Math.round(lo)}–${Math.round(hi)} m`;

const state = {
  api: null,
  map: null,
  ops: [],
  opsKey: "",
  conflicts: [],
  conflictBounds: new Map(),
  live: { tracks: [], traffic: [] },
  alerts: [],
  constraints: [],
  zones: [],
  messages: null, // null: this service has no hotline
  airspaceBounds: new Map(),
  ussPlans: new Map(), // "kind:id|operation" -> the USS plan as the stream told it
  ussBounds: new Map(),
  selected: null, // {kind: "op"|"conflict"|"alert"|"constraint"|"zone", id}
  time: null, // ms; null until the first data arrives
  following: true,
  range: [0, 0],
  colours: new Map(),
  stop: null,
  pollMs: 30000,
};

const FLYING = new Set(["Activated", "Nonconforming", "Contingent"]);

/** Whether own aircraft may be reporting: then positions are polled (they are not events). */
function flying() {
  const api = state.api;
  if (!api || !api.canTrack()) return false;
  if ((state.live.tracks || []).length || state.alerts.some((a) => a.state !== "resolved")) return true;
  return state.ops.some((o) => !o.reference && FLYING.has(o.state));
}

/**
 * Give each operation a `key` (for lists and selection) and a `label`. Another party's
 * operation may come without its id (the service names it only where a sharing
 * agreement allows): its key is then its party, time and extent.
 */
function named(op) {
  const key = op.id ?? `${op.party}|${op.time_start}|${op.time_end}|${(op.bbox || []).join(",")}`;
  const label = op.id ?? op.call_sign ?? `${op.party} operation ${fmtTime(op.time_start).slice(11)}`;
  return { ...op, key, label };
}

function colourOf(party) {
  if (!state.colours.has(party)) {
    state.colours.set(party, PARTY_COLOURS[state.colours.size % PARTY_COLOURS.length]);
  }
  return state.colours.get(party);
}

function say(text) {
  $("status").textContent = text;
}

// ------------------------------------------------------------------ sign-in

/** Where a token came from, as the sign-in form names it when it is refused. */
const TOKEN_FROM = {
  pasted: "That token",
  link: "The token in the link you opened",
  saved: "The token this tab had saved",
};

/** Back to the sign-in form, saying why the token was not used. */
function refuse(text) {
  saveToken(null);
  $("sign-in").hidden = false;
  $("console").hidden = true;
  $("sign-in-error").textContent = text;
  return false;
}

/**
 * Sign in with `token`, after checking it here (well formed, not expired) and with the
 * service (a 401 says why it distrusts it: bad signature, unknown issuer, ...). A token
 * that fails either goes back to the sign-in form with the reason, so a bad link never
 * lands on an empty form without a word.
 */
async function signIn(token, from = "pasted") {
  const whose = TOKEN_FROM[from] || TOKEN_FROM.pasted;
  $("sign-in-error").textContent = "";
  let api;
  try {
    api = new Api(token.trim());
  } catch (e) {
    return refuse(`${whose} is malformed: ${e.message}. Paste the whole token, or open the link again.`);
  }
  if (api.expires && api.expires < new Date()) {
    return refuse(`${whose} expired at ${fmtTime(api.expires.toISOString())}: mint a new one (deconflict token, or the links make demo prints).`);
  }
  try {
    await api.check();
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      return refuse(`${whose} was refused by the service: ${e.reason}.`);
    }
    // Another failure (the service restarting, a token without the read scope) is
    // not the token's fault: sign in, and the layers say what they cannot load.
  }
  state.api = api;
  saveToken(api.token);
  state.colours = new Map([[api.party, PARTY_COLOURS[0]]]);
  $("sign-in").hidden = true;
  $("console").hidden = false;
  $("sign-out").hidden = false;
  $("who").textContent = `Signed in as ${api.party}` + (api.expires ? ` · token valid until ${fmtTime(api.expires.toISOString())}` : "");
  const first = !state.map;
  if (first) {
    state.map = new ConsoleMap($("map"));
    state.map.setTiles(localStorage.getItem(TILE_KEY) || "");
  }
  state.map.map.invalidateSize();
  // The party's data first; the basemap (several MB) loads once that is drawn.
  const layers = ["operations", "airspace", "live", "messages", "uss"].map(refresh);
  if (first) Promise.allSettled(layers).then(() => state.map.loadBasemap());
  state.stop = subscribe(api, refresh, {
    pollMs: state.pollMs,
    flying,
    onStatus: (text, live) => {
      $("stream").textContent = text;
      $("stream").dataset.live = String(live);
    },
  });
  return true;
}

function signOut() {
  if (state.stop) state.stop();
  saveToken(null);
  location.hash = "";
  location.reload();
}

// ------------------------------------------------------------------ data

const inflight = new Map(); // layer -> {again, done}

/**
 * Reload one layer. One load per layer at a time: a request made meanwhile runs once
 * after it, so answers never land out of order and a burst of events costs two loads.
 */
function refresh(kind) {
  const running = inflight.get(kind);
  if (running) {
    running.again = true;
    return running.done;
  }
  const entry = { again: false, done: null };
  entry.done = (async () => {
    try {
      do {
        entry.again = false;
        await load(kind);
      } while (entry.again);
    } finally {
      inflight.delete(kind);
    }
  })();
  inflight.set(kind, entry);
  return entry.done;
}

async function load(kind) {
  const api = state.api;
  if (!api) return;
  try {
    if (kind === "operations") {
      const ops = (await api.operations()).map(named);
      const key = ops.map((o) => `${o.key}:${o.version || ""}:${o.state}`).join(",");
      state.ops = ops;
      if (state.following) setTime(Date.now());
      if (key !== state.opsKey) {
        state.opsKey = key;
        state.conflicts = await api.conflicts();
        updateRange();
        render();
      } else if (state.following) {
        renderMap();
      }
    } else if (kind === "airspace") {
      const [constraints, zones] = await Promise.all([api.constraints(), api.zones()]);
      state.constraints = constraints;
      state.zones = zones;
      renderAirspace();
      renderAirspaceList();
      renderLegend();
      if (state.selected && (state.selected.kind === "constraint" || state.selected.kind === "zone")) renderDetail();
    } else if (kind === "messages") {
      const messages = await api.messages();
      const known = new Set((state.messages || []).map((m) => m.id));
      const fresh = (messages || []).filter((m) => !known.has(m.id) && isForMe(m));
      if (state.messages != null && fresh.length) say(`New message: ${fresh[0].text}`);
      state.messages = messages;
      renderMessages();
      if (state.selected && state.selected.kind === "message") renderDetail();
    } else if (kind === "uss") {
      // Told only on the party's event stream: the service folds what it said.
      const plans = await api.ussPlans();
      state.ussPlans = new Map(plans.map((d) => {
        const id = d.operational_intent_id || d.constraint_id;
        const key = `${d.kind}:${id}|${d.operation_id}`;
        return [key, { ...d, key, id, constraint: d.kind === "uss_constraint" }];
      }));
      renderMap();
      renderUssList();
      renderLegend();
      if (state.selected && state.selected.kind === "uss") renderDetail();
    } else if (api.canTrack()) {
      const [live, alerts] = await Promise.all([api.tracks(), api.alerts()]);
      const fresh = alerts.filter((a) => a.state === "new" && !state.alerts.some((b) => b.id === a.id));
      state.live = live;
      state.alerts = alerts;
      if (fresh.length) say(`New alert for ${fresh.map((a) => a.own).join(", ")}`);
      if (state.following) setTime(Date.now());
      renderLive();
    } else {
      $("alerts-note").textContent = "This token has no deconflict.track scope: no live tracks or alerts.";
    }
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      $("who").textContent = `Token refused (${e.message}). Sign out and paste a new one.`;
    } else {
      say(`Update failed: ${e.message}`);
    }
  }
}

function updateRange() {
  let lo = Infinity, hi = -Infinity;
  for (const op of state.ops) {
    const spans = op.reference ? [[op.time_start, op.time_end]] : op.volumes.map((v) => [v.time_start, v.time_end]);
    for (const [s, e] of spans) {
      lo = Math.min(lo, Date.parse(s));
      hi = Math.max(hi, Date.parse(e));
    }
  }
  const now = Date.now();
  if (!isFinite(lo)) [lo, hi] = [now - 3600e3, now + 3600e3];
  // The slider always reaches now and the time shown (which selecting airspace may have
  // moved outside the operations' span).
  lo = Math.min(lo, now, state.time ?? now);
  hi = Math.max(hi, now, state.time ?? now);
  state.range = [lo, hi];
  const slider = $("time");
  slider.min = String(Math.floor(lo / 1000));
  slider.max = String(Math.ceil(hi / 1000));
  if (state.time == null) state.time = now;
  slider.value = String(Math.round(state.time / 1000));
}

/** Let the slider reach `ms` (an airspace item outside the operations' span). */
function widenRange(ms) {
  const slider = $("time");
  slider.min = String(Math.min(Number(slider.min), Math.floor(ms / 1000)));
  slider.max = String(Math.max(Number(slider.max), Math.ceil(ms / 1000)));
}

function setTime(ms) {
  state.time = ms;
  $("time").value = String(Math.round(ms / 1000));
  $("time-label").textContent = fmtTime(new Date(ms).toISOString());
  $("live").setAttribute("aria-pressed", String(state.following));
}

// ------------------------------------------------------------------ rendering

function render() {
  renderMap();
  renderConflicts();
  renderOperations();
  renderLegend();
  renderDetail();
}

function renderMap() {
  if (!state.map) return;
  const select = (kind) => (id) => selectItem(kind, id, false);
  renderAirspace();
  state.map.drawOperations(state.ops, colourOf, state.time, select("op"));
  const chosen = state.selected && state.selected.kind === "conflict" ? state.selected.id : null;
  state.conflictBounds = state.map.drawConflicts(state.conflicts, state.time, chosen, select("conflict"));
  state.ussBounds = state.map.drawUssPlans([...state.ussPlans.values()], state.time, select("uss"));
}

function ussName(p) {
  return `${p.constraint ? "USS constraint" : "USS plan"} by ${p.manager}`;
}

function renderUssList() {
  const plans = [...state.ussPlans.values()];
  $("uss-count").textContent = String(plans.length);
  $("uss").replaceChildren(...plans.slice(0, MAX_LISTED).map((p) =>
    h("li", {}, itemButton("uss", p.key, [
      h("strong", {}, ussName(p)),
      h("br"),
      h("small", {}, `over ${p.operation_id}${p.state ? " · " + p.state : ""}${p.verdict ? " · " + p.verdict : ""} · ${fmtTime(p.time_start)} – ${fmtTime(p.time_end)}`),
    ]))));
}

function renderAirspace() {
  if (!state.map) return;
  const sel = state.selected;
  const chosen = sel && (sel.kind === "constraint" || sel.kind === "zone") ? `${sel.kind}:${sel.id}` : null;
  state.airspaceBounds = state.map.drawAirspace(state.constraints, state.zones, state.time, colourOf, (key) => {
    const [kind, ...rest] = key.split(":");
    selectItem(kind, rest.join(":"), false);
  }, chosen);
}

function airspaceName(kind, x) {
  if (kind === "zone") return `Agreed zone ${x.name || x.id}`;
  const st = CONSTRAINT_STYLE[x.type] || CONSTRAINT_STYLE.advisory;
  return `${st.label} ${x.name || x.id}`;
}

function renderAirspaceList() {
  const items = [
    ...state.constraints.map((c) => ["constraint", c]),
    ...state.zones.map((z) => ["zone", z]),
  ];
  $("airspace-count").textContent = String(items.length);
  $("airspace").replaceChildren(...items.slice(0, MAX_LISTED).map(([kind, x]) =>
    h("li", {}, itemButton(kind, x.id, [
      h("strong", {}, airspaceName(kind, x)),
      h("br"),
      h("small", {}, `${x.owner}${x.reference ? " · reference" : ""} · ${fmtTime(x.valid_start)} – ${fmtTime(x.valid_end)}`),
    ], kind === "constraint" ? `air-${x.type}` : "air-zone"))));
  $("airspace-note").textContent = items.length ? "" : "No constraint or agreed zone.";
}

/** Received (not sent) by the signed-in party: only those can be acknowledged. */
function isForMe(m) {
  return m.to === state.api.party && m.from !== state.api.party;
}

function renderMessages() {
  const section = $("messages-section");
  section.hidden = state.messages == null;
  if (state.messages == null) return;
  const awaiting = state.messages.filter((m) => isForMe(m) && !m.acknowledged_at);
  $("message-count").textContent = String(awaiting.length);
  $("messages").replaceChildren(...state.messages.slice(0, MAX_LISTED).map((m) => {
    const mine = isForMe(m);
    const who = mine ? `from ${m.from || "the other side"}` : `to ${m.to || "the other side"}`;
    return h("li", {}, itemButton("message", m.id, [
      h("strong", {}, mine ? (m.acknowledged_at ? "Received " : "RECEIVED ") : "Sent "),
      who, h("br"),
      h("span", { class: "msg-text" }, m.text.length > 80 ? m.text.slice(0, 79) + "…" : m.text), h("br"),
      h("small", {}, messageStatus(m)),
    ], mine && !m.acknowledged_at ? "msg-awaiting" : null),
    mine && !m.acknowledged_at
      ? h("button", { type: "button", class: "ack", onclick: () => acknowledgeMessage(m.id) }, `Acknowledge message from ${m.from || "the other side"}`)
      : null);
  }));
  $("messages-note").textContent = state.messages.length ? "" : "No message.";
}

function messageStatus(m) {
  if (m.acknowledged_at) return `acknowledged ${fmtTime(m.acknowledged_at)}`;
  if (m.status === "escalated") return `not acknowledged in time: escalated ${fmtTime(m.escalated_at)}`;
  return `awaiting acknowledgement until ${fmtTime(m.deadline)}`;
}

async function acknowledgeMessage(id) {
  try {
    await state.api.acknowledgeMessage(id);
    say("Message acknowledged");
    await refresh("messages");
  } catch (e) {
    say(`Could not acknowledge: ${e.message}`);
  }
}

/**
 * A form that writes to the other side of a conflict or alert (by its hotline id), or
 * to a named party; the service delivers it and escalates it if not acknowledged.
 */
function messageForm(label, send) {
  const text = h("textarea", { rows: "3", required: true, "aria-label": label, maxlength: "2000" });
  const result = h("p", { class: "note", role: "status" });
  return h("form", {
    class: "message-form",
    onsubmit: async (e) => {
      e.preventDefault();
      if (!text.value.trim()) return;
      try {
        await send(text.value.trim());
        text.value = "";
        result.textContent = "Sent: the other side must acknowledge it before its deadline.";
        refresh("messages");
      } catch (err) {
        result.textContent = `Not sent: ${err.message}`;
      }
    },
  }, h("h4", {}, label), text, h("button", { type: "submit" }, "Send"), result);
}

/**
 * The hotline id of an alert with another party's aircraft: the one it carries, else the
 * alert's own id, under which the tactical service registers it. None between two of
 * one's own aircraft: there is nobody to call.
 */
function alertConflict(a) {
  if (a.other.party && a.other.party === state.api.party) return null;
  return a.conflict_id ?? String(a.id);
}

function talkTo(conflictId) {
  if (state.messages == null || !conflictId) return null;
  return messageForm("Message the other side", (text) => state.api.sendMessage(conflictId, text));
}

function renderLive() {
  state.map.drawTracks(state.live, state.alerts, colourOf(state.api.party));
  renderAlerts();
  if (state.selected && state.selected.kind === "alert") renderDetail();
}

function itemButton(kind, id, label, extraClass) {
  const current = state.selected && state.selected.kind === kind && state.selected.id === id;
  return h("button", {
    type: "button",
    class: extraClass,
    "aria-current": current ? "true" : null,
    "data-kind": kind,
    "data-id": id,
    onclick: () => selectItem(kind, id, true),
  }, ...label);
}

/** An alert as people name it: the two aircraft, never its numeric id. */
function alertName(a) {
  return `${a.own} ↔ ${a.other.id || a.other.alias}`;
}

/**
 * What a hotline message is about, in words: the alert or conflict it was sent from
 * when the console knows it, else only that it is about a conflict.
 */
function aboutName(conflictId) {
  if (!conflictId) return null;
  const alert = state.alerts.find((a) => a.conflict_id === conflictId || String(a.id) === conflictId);
  if (alert) return `alert ${alertName(alert)}`;
  const conflict = state.conflicts.find((c) => c.conflict_id === conflictId);
  if (conflict) return `conflict ${conflictLabel(conflict)}`;
  return "a conflict or alert of yours";
}

function renderAlerts() {
  const list = $("alerts");
  const active = state.alerts.filter((a) => a.state !== "resolved");
  $("alert-count").textContent = String(active.length);
  list.replaceChildren(...state.alerts.map((a) =>
    h("li", {}, itemButton("alert", String(a.id), [
      h("strong", {}, `${a.severity.toUpperCase()} `),
      alertName(a),
      h("br"),
      a.state === "resolved" ? "resolved" : `closest ${Math.round(a.dcpa_m)} m in ${Math.round(a.tcpa_s)} s`,
      a.acknowledged ? " · acknowledged" : "",
    ], `sev-${a.severity}`))));
  if (!state.alerts.length && state.api.canTrack()) $("alerts-note").textContent = "No alert for your aircraft.";
  else $("alerts-note").textContent = "";
}

function renderConflicts() {
  $("conflict-count").textContent = String(state.conflicts.length);
  $("conflicts").replaceChildren(...state.conflicts.map((c) => {
    const first = c.overlaps[0];
    return h("li", {}, itemButton("conflict", conflictId(c), [
      h("strong", {}, c.verdict === "notice" ? "Notice " : "Blocking "),
      conflictLabel(c),
      h("br"),
      first ? `${fmtTime(first.time_start)}, ${fmtAlt(first.altitude_lower_m, first.altitude_upper_m)}` : "",
    ]));
  }));
}

function renderOperations() {
  const filter = $("op-filter").value.trim().toLowerCase();
  const shown = state.ops.filter((op) => !filter || `${op.label} ${op.party} ${op.state}`.toLowerCase().includes(filter));
  $("op-count").textContent = String(state.ops.length);
  $("operations").replaceChildren(...shown.slice(0, MAX_LISTED).map((op) =>
    h("li", {}, itemButton("op", op.key, [
      h("span", { class: "swatch", style: `border-color:${colourOf(op.party)}`, "aria-hidden": "true" }),
      `${op.label} `,
      h("small", {}, `${op.party} · ${op.state}${op.reference ? " · reference" : ""}`),
    ]))));
  $("ops-more").textContent = shown.length > MAX_LISTED ? `${shown.length - MAX_LISTED} more: type in the filter to find them.` : "";
}

/**
 * How a party's operations are drawn, for the legend: in full (one's own, or another
 * party's where the service shows them in full, as to the operator) or as reference
 * boxes (extent, time and altitudes only).
 */
function partyDrawing(party) {
  const ops = state.ops.filter((o) => o.party === party);
  const boxes = ops.filter((o) => o.reference).length;
  const you = party === state.api.party ? "you, " : "";
  if (!boxes) return `${you}full shapes`;
  if (boxes === ops.length) return `${you}reference boxes`;
  return `${you}full shapes and reference boxes`;
}

function renderLegend() {
  if (!state.api) return;
  const parties = [...new Set(state.ops.map((o) => o.party))];
  parties.forEach(colourOf);
  const types = new Set(state.constraints.map((c) => c.type));
  const sectorParties = [...new Set(state.zones.flatMap((z) => (z.sectors || []).map((s) => s.party)))];
  const airspace = [
    ...Object.entries(CONSTRAINT_STYLE).filter(([t]) => types.has(t)).map(([, st]) =>
      h("li", {}, h("span", { class: "swatch", style: `border-color:${st.color};border-style:${st.dashArray ? (st.dashArray.startsWith("2") ? "dotted" : "dashed") : "solid"};background:${st.color}${Math.round(st.fillOpacity * 255).toString(16).padStart(2, "0")}` }), `${st.label} (${st.dashArray ? (st.dashArray.startsWith("2") ? "dotted" : "dashed") : "solid"})`)),
    ...sectorParties.map((p) => h("li", {}, h("span", { class: "swatch", style: `border-color:${colourOf(p)};border-style:dashed;background:${colourOf(p)}${Math.round(SECTOR_STYLE.fillOpacity * 255).toString(16).padStart(2, "0")}` }), `sector assigned to ${p}`)),
    state.zones.some((z) => z.reference) ? h("li", {}, h("span", { class: "swatch", style: "border-color:#4d4d4d;border-style:dashed" }), "agreed zone (reference)") : null,
  ].filter(Boolean);
  put($("legend"), 
    h("strong", {}, "Parties"),
    h("ul", {}, parties.map((p) => h("li", {}, h("span", { class: "swatch", style: `border-color:${colourOf(p)};background:${colourOf(p)}` }), `${p} (${partyDrawing(p)})`))),
    h("strong", {}, "States (line style)"),
    h("ul", {}, Object.entries(STATE_STYLE).filter(([s]) => s !== "Ended").map(([s, st]) => h("li", {}, `${s}: ${st.dashArray ? (st.weight > 3 ? "dotted, thick" : "dashed") : "solid"}`))),
    h("ul", {},
      h("li", {}, h("span", { class: "swatch", style: "border-color:#000;background:#f0e442" }), "overlap (conflict)"),
      h("li", {}, h("span", { class: "swatch", style: "border-color:#d55e00" }), "alert: pair and closest approach"),
      state.ussPlans.size ? h("li", {}, h("span", { class: "swatch", style: `border-color:${USS_STYLE.color};border-style:dashed;background:${USS_STYLE.color}59` }), "a USS's plan over yours (labelled with the USS)") : null),
    airspace.length ? h("strong", {}, "Airspace (valid at the slider's time)") : null,
    airspace.length ? h("ul", { id: "legend-airspace" }, airspace) : null,
  );
}

function dl(rows) {
  return h("dl", {}, rows.filter(([, v]) => v != null && v !== "").flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

function volumesTable(volumes) {
  return h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "#"), h("th", {}, "Shape"), h("th", {}, "Altitude"), h("th", {}, "Time"))),
    h("tbody", {}, volumes.map((v, i) => h("tr", {}, h("td", {}, i), h("td", {}, v.geometry.type === "Point" ? `circle ${Math.round(v.radius_m)} m` : "polygon"), h("td", {}, fmtAlt(v.altitude_lower_m, v.altitude_upper_m)), h("td", {}, `${fmtTime(v.time_start)} – ${fmtTime(v.time_end).slice(11)}`)))));
}

function renderDetail() {
  const body = $("detail-body");
  const sel = state.selected;
  if (!sel) return;
  // Live refreshes re-render the panel: keep a message being written.
  const typing = body.querySelector(".message-form textarea");
  const draft = typing && typing.value;
  const focused = typing && document.activeElement === typing;
  renderDetailOf(body, sel);
  const again = body.querySelector(".message-form textarea");
  if (again && draft) again.value = draft;
  if (again && focused) again.focus();
}

function renderDetailOf(body, sel) {
  if (sel.kind === "uss") {
    const p = state.ussPlans.get(sel.id);
    if (!p) return put(body, h("p", { class: "note" }, "That USS plan is gone."));
    return put(body, h("h3", {}, ussName(p)), dl([
      [p.constraint ? "F3548 constraint" : "F3548 intent", p.id],
      ["Manager (USS)", p.manager],
      ["State", p.state],
      ["Priority", p.priority],
      ["Verdict", p.verdict ? `${p.verdict} (${p.reason})` : null],
      ["Over your operation", p.operation_id],
      ["Time", `${fmtTime(p.time_start)} – ${fmtTime(p.time_end)}`],
      ["Told by", p.via === "dss" ? "this service's DSS" : "the USS's notification"],
    ]));
  }
  if (sel.kind === "op") {
    const op = state.ops.find((o) => o.key === sel.id);
    if (!op) return put(body, h("p", { class: "note" }, `${sel.id} is gone.`));
    if (op.reference) {
      put(body, h("h3", {}, op.label), dl([
        ["Party", op.party], ["State", op.state], ["Priority", op.priority],
        ["When", `${fmtTime(op.time_start)} – ${fmtTime(op.time_end)}`],
        ["Altitude", fmtAlt(op.altitude_lower_m, op.altitude_upper_m)],
        ["Extent", op.bbox.map((x) => x.toFixed(4)).join(", ")],
      ]), h("p", { class: "note" }, "A reference: another party's operation. Its shape and details are known only to its owner."));
    } else {
      put(body, h("h3", {}, op.label), dl([
        ["Party", op.party], ["State", op.state], ["Priority", op.priority], ["Version", op.version], ["Updated", fmtTime(op.updated)],
      ]), volumesTable(op.volumes),
      h("h4", {}, "Details (private)"), h("pre", {}, JSON.stringify(op.details, null, 2)));
    }
  } else if (sel.kind === "conflict") {
    const c = state.conflicts.find((x) => conflictId(x) === sel.id);
    if (!c) return put(body, h("p", { class: "note" }, "This conflict no longer stands."));
    // `party` comes only to the service's operator, who is neither side.
    const first = c.party ? ["Operation", `${c.operation} (${c.party})`] : ["Yours", c.operation];
    put(body, h("h3", {}, `Conflict ${conflictLabel(c)}`), dl([
      first, ["Other", `${c.other_operation || "(not named to you)"} (${c.other_party}, priority ${c.other_priority})`],
      ["Verdict", `${c.verdict} (${c.reason.replace(/_/g, " ")})`],
    ]), h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "When"), h("th", {}, "Altitude"), h("th", {}, "Area"))),
      h("tbody", {}, c.overlaps.map((o) => h("tr", {}, h("td", {}, `${fmtTime(o.time_start)} – ${fmtTime(o.time_end).slice(11)}`), h("td", {}, fmtAlt(o.altitude_lower_m, o.altitude_upper_m)), h("td", {}, `${(o.area_m2 / 1e6).toFixed(2)} km²`))))),
      talkTo(c.conflict_id));
  } else if (sel.kind === "constraint") {
    const c = state.constraints.find((x) => x.id === sel.id);
    if (!c) return put(body, h("p", { class: "note" }, `Constraint ${sel.id} is gone.`));
    const st = CONSTRAINT_STYLE[c.type] || CONSTRAINT_STYLE.advisory;
    const rows = [
      ["Type", st.label], ["Name", c.name], ["Owner", c.owner], ["Version", c.version],
      ["Valid", `${fmtTime(c.valid_start)} – ${fmtTime(c.valid_end)}`],
    ];
    if (c.reference) {
      rows.push(["Altitude", fmtAlt(c.altitude_lower_m, c.altitude_upper_m)],
        ["You may enter", c.allowed_for_you ? "yes" : "no"],
        ["Open to priority", c.allowed_min_priority != null ? `${c.allowed_min_priority} and above` : ""],
        ["Extent", c.bbox.map((x) => x.toFixed(4)).join(", ")]);
      put(body, h("h3", {}, airspaceName("constraint", c)), dl(rows),
        h("p", { class: "note" }, "A reference: another party's constraint. Its exact shape is known to its owner and to the planner, which reports where an operation enters it."));
    } else {
      rows.push(["Parties let in", c.allowed_parties.join(", ")],
        ["Open to priority", c.allowed_min_priority != null ? `${c.allowed_min_priority} and above` : ""]);
      put(body, h("h3", {}, airspaceName("constraint", c)), dl(rows), volumesTable(c.volumes),
        Object.keys(c.details || {}).length ? h("pre", {}, JSON.stringify(c.details, null, 2)) : null);
    }
  } else if (sel.kind === "zone") {
    const z = state.zones.find((x) => x.id === sel.id);
    if (!z) return put(body, h("p", { class: "note" }, `Zone ${sel.id} is gone.`));
    const rows = [
      ["Name", z.name], ["Defined by", z.owner], ["Version", z.version],
      ["Valid", `${fmtTime(z.valid_start)} – ${fmtTime(z.valid_end)}`],
      ["Altitude", z.altitude_lower_m != null ? fmtAlt(z.altitude_lower_m, z.altitude_upper_m) : "all"],
    ];
    if (z.reference) {
      rows.push(["Extent", z.bbox.map((x) => x.toFixed(4)).join(", ")]);
      put(body, h("h3", {}, airspaceName("zone", z)), dl(rows),
        h("p", { class: "note" }, "This zone assigns you no sector: you see its extent only."));
    } else {
      put(body, h("h3", {}, airspaceName("zone", z)), dl(rows),
        h("p", { class: "note" }, "Each sector is for its party alone; planning into another party's sector is refused."),
        h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "#"), h("th", {}, "Party"), h("th", {}, "Shape"))),
          h("tbody", {}, z.sectors.map((s, i) => h("tr", {}, h("td", {}, i),
            h("td", {}, h("span", { class: "swatch", style: `border-color:${colourOf(s.party)}`, "aria-hidden": "true" }), s.party === state.api.party ? `${s.party} (you)` : s.party),
            h("td", {}, s.geometry.type === "Point" ? `circle ${Math.round(s.radius_m)} m` : "polygon"))))));
    }
  } else if (sel.kind === "alert") {
    const a = state.alerts.find((x) => String(x.id) === sel.id);
    if (!a) return put(body, h("p", { class: "note" }, "This alert is over."));
    const adv = a.advisory;
    put(body, h("h3", {}, `Alert ${alertName(a)}: ${a.severity}`), dl([
      ["Your aircraft", a.own], ["Other", a.other.id || a.other.alias], ["State", a.state + (a.acknowledged ? ", acknowledged" : "")],
      ["Loss of separation", a.los ? "now" : a.t_in_s != null ? `in ${Math.round(a.t_in_s)} s` : ""],
      ["Closest approach", `${Math.round(a.dcpa_m)} m in ${Math.round(a.tcpa_s)} s`],
      ["Resolution advisory", adv ? `track ${Math.round(adv.track_deg)}°, ${Math.round(adv.gs_mps)} m/s, vertical ${adv.vs_mps.toFixed(1)} m/s${adv.clears ? " (clears the conflict)" : ""}` : "none"],
      ["First seen", fmtTime(a.first_seen)],
    ]), a.state !== "resolved" && !a.acknowledged
      ? h("button", { type: "button", class: "ack", onclick: () => acknowledge(a.id) }, `Acknowledge alert ${alertName(a)}`)
      : null,
    talkTo(alertConflict(a)));
  } else if (sel.kind === "message") {
    const m = (state.messages || []).find((x) => x.id === sel.id);
    if (!m) return put(body, h("p", { class: "note" }, "This message is no longer listed."));
    const mine = isForMe(m);
    put(body, h("h3", {}, mine ? "Message received" : "Message sent"), dl([
      ["From", m.from || "the other side"], ["To", m.to || "the other side"],
      ["About", aboutName(m.conflict_id)], ["Sent", fmtTime(m.created)], ["Status", messageStatus(m)],
    ]), h("blockquote", { class: "msg" }, m.text),
    mine && !m.acknowledged_at
      ? h("button", { type: "button", class: "ack", onclick: () => acknowledgeMessage(m.id) }, "Acknowledge")
      : null,
    m.conflict_id ? talkTo(m.conflict_id)
      : mine && m.from ? messageForm(`Reply to ${m.from}`, (text) => state.api.sendMessageTo(m.from, text)) : null);
  }
}

async function acknowledge(id) {
  const alert = state.alerts.find((a) => a.id === id);
  try {
    state.alerts = await state.api.acknowledge(id);
    say(`Alert ${alert ? alertName(alert) : ""} acknowledged`);
    renderLive();
    renderDetail();
  } catch (e) {
    say(`Could not acknowledge: ${e.message}`);
  }
}

function selectItem(kind, id, zoom) {
  state.selected = { kind, id };
  if (zoom) {
    if (kind === "conflict") {
      const c = state.conflicts.find((x) => conflictId(x) === id);
      if (c && c.overlaps.length) {
        state.following = false;
        setTime(Date.parse(c.overlaps[0].time_start));
      }
      renderMap();
      state.map.focus(state.conflictBounds.get(id));
    } else if (kind === "uss") {
      renderMap();
      state.map.focus(state.ussBounds.get(id));
    } else if (kind === "op") {
      const op = state.ops.find((o) => o.key === id);
      if (op) state.map.focus(boundsOfOperation(op));
    } else if (kind === "constraint" || kind === "zone") {
      const x = (kind === "zone" ? state.zones : state.constraints).find((y) => y.id === id);
      // Not valid at the slider's time: move the slider into its validity, so it shows.
      if (x && !(Date.parse(x.valid_start) <= state.time && state.time <= Date.parse(x.valid_end))) {
        state.following = false;
        const start = Date.parse(x.valid_start);
        widenRange(start);
        setTime(start);
      }
      renderMap();
      state.map.focus(state.airspaceBounds.get(`${kind}:${id}`));
    } else if (kind === "alert") {
      const a = state.alerts.find((x) => String(x.id) === id);
      const own = a && state.live.tracks.find((t) => t.id === a.own);
      const other = a && (a.other.state || state.live.tracks.find((t) => t.id === a.other.id));
      if (own) state.map.focus(L.latLngBounds([[own.lat, own.lon], other ? [other.lat, other.lon] : [own.lat, own.lon]]).pad(0.5));
    }
  } else if (kind === "conflict" || kind === "constraint" || kind === "zone") {
    renderMap();
  }
  renderConflicts();
  renderOperations();
  renderAlerts();
  renderAirspaceList();
  renderUssList();
  renderMessages();
  renderDetail();
}

// ------------------------------------------------------------------ wiring

function init() {
  $("sign-in").addEventListener("submit", (e) => {
    e.preventDefault();
    signIn($("token").value, "pasted");
  });
  $("sign-out").addEventListener("click", signOut);
  $("op-filter").addEventListener("input", renderOperations);
  $("time").addEventListener("input", () => {
    state.following = false;
    setTime(Number($("time").value) * 1000);
    renderMap();
  });
  // Following the clock moves the 4D picture along even when no event arrives.
  setInterval(() => {
    if (state.api && state.following && state.time != null) {
      setTime(Date.now());
      renderMap();
    }
  }, 30000);
  $("live").addEventListener("click", () => {
    state.following = true;
    setTime(Date.now());
    renderMap();
  });
  $("tile-url").value = localStorage.getItem(TILE_KEY) || "";
  $("tile-save").addEventListener("click", () => {
    const url = $("tile-url").value.trim();
    localStorage.setItem(TILE_KEY, url);
    if (state.map) state.map.setTiles(url);
  });
  // make demo prints a link with the token in the fragment, which never reaches a server.
  // `poll=SECONDS` in the fragment sets the background poll (0: the event stream alone).
  const hash = new URLSearchParams(location.hash.slice(1));
  const fromHash = hash.get("token");
  if (hash.has("poll") && /^\d+$/.test(hash.get("poll"))) state.pollMs = Number(hash.get("poll")) * 1000;
  if (fromHash) history.replaceState(null, "", location.pathname);
  const token = fromHash || savedToken();
  if (token) signIn(token, fromHash ? "link" : "saved");
}

init();

// For debugging from the browser's console and for the console tests: read-only use.
window.deconflict = { state };
