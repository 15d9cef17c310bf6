// The map: Leaflet with a canvas renderer (a thousand operations stay responsive), the
// offline basemap (basemap.js), and an optional tile layer.
/* global L */

import { Basemap } from "./basemap.js";

export const PARTY_COLOURS = ["#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#000000"];
export const ALERT = "#d55e00";
export const OVERLAP = "#f0e442";
/** Where a USS's plan (F3548) meets the party's operations: its own colour and dash. */
export const USS_STYLE = { color: "#e7298a", weight: 2.5, dashArray: "12 4 2 4", fillOpacity: 0.35 };

/**
 * Imposed airspace, by type: each also has its own line pattern and a label on the
 * map, so the type reads without relying on colour.
 */
export const CONSTRAINT_STYLE = {
  no_fly: { label: "No-fly", color: "#a50026", weight: 3, dashArray: null, fillOpacity: 0.3 },
  restricted: { label: "Restricted", color: "#5e3c99", weight: 2.5, dashArray: "10 6", fillOpacity: 0.18 },
  advisory: { label: "Advisory", color: "#4d4d4d", weight: 2, dashArray: "2 6", fillOpacity: 0.08 },
};
/** An agreed zone's sectors: the assigned party's colour, dash-dot, lightly filled. */
export const SECTOR_STYLE = { weight: 2, dashArray: "14 4 3 4", fillOpacity: 0.12 };

/** Line style per state, so a state reads without relying on colour. */
export const STATE_STYLE = {
  Accepted: { dashArray: "8 5", weight: 2 },
  Activated: { dashArray: null, weight: 3 },
  Nonconforming: { dashArray: "2 5", weight: 5 },
  Contingent: { dashArray: "1 3", weight: 6 },
  Ended: { dashArray: "1 8", weight: 1 },
};

export class ConsoleMap {
  constructor(el) {
    this.el = el;
    this.renderer = L.canvas({ padding: 0.2, tolerance: 4 });
    this.map = L.map(el, { renderer: this.renderer, worldCopyJump: true, keyboard: true }).setView([30, 20], 3);
    // The basemap (panes 210-230, its place names at 380), then airspace, then
    // operations: each below the next in its own pane and canvas (tiles are at z-index
    // 200, the overlay pane at 400).
    this.basemap = new Basemap(this.map, el);
    this.map.createPane("airspace").style.zIndex = "350";
    this.airspaceRenderer = L.canvas({ padding: 0.2, tolerance: 4, pane: "airspace" });
    this.airspace = L.layerGroup().addTo(this.map);
    this.ops = L.layerGroup().addTo(this.map);
    this.uss = L.layerGroup().addTo(this.map);
    this.overlaps = L.layerGroup().addTo(this.map);
    this.tracks = L.layerGroup().addTo(this.map);
    this.tiles = null;
    this.fitted = false;
  }

  loadBasemap() {
    return this.basemap.load();
  }

  /** A tile server's map instead of the offline basemap (none: the offline basemap). */
  setTiles(url) {
    if (this.tiles) this.tiles.remove();
    this.tiles = null;
    if (url) {
      this.tiles = L.tileLayer(url, { maxZoom: 19, attribution: "tiles: " + new URL(url.replace(/[{}]/g, "")).host });
      this.tiles.addTo(this.map);
      this.tiles.bringToBack();
    }
    this.basemap.setVisible(!url);
  }

  /** Own operations volume by volume; others' as their reference box. */
  drawOperations(ops, colourOf, t, onSelect) {
    this.ops.clearLayers();
    const bounds = L.latLngBounds([]);
    let drawn = 0;
    for (const op of ops) {
      const style = STATE_STYLE[op.state] || STATE_STYLE.Accepted;
      const colour = colourOf(op.party);
      const shapes = [];
      if (op.reference) {
        const [w, s, e, n] = op.bbox;
        const on = active(op.time_start, op.time_end, t);
        shapes.push(L.rectangle([[s, w], [n, e]], {
          ...style, color: colour, fill: true, fillOpacity: on ? 0.04 : 0, opacity: on ? 0.9 : 0.2, renderer: this.renderer,
        }));
      } else {
        for (const v of op.volumes) {
          const on = active(v.time_start, v.time_end, t);
          const opts = { ...style, color: colour, fillColor: colour, fillOpacity: on ? 0.3 : 0.03, opacity: on ? 1 : 0.25, renderer: this.renderer };
          shapes.push(volumeLayer(v, opts));
        }
      }
      for (const shape of shapes) {
        shape.on("click", () => onSelect(op.key));
        shape.bindTooltip(`${op.label} · ${op.party} · ${op.state}`, { sticky: true });
        shape.addTo(this.ops);
        bounds.extend(shape.getBounds());
        drawn += 1;
      }
    }
    this.el.dataset.operations = String(ops.length);
    this.el.dataset.shapes = String(drawn);
    if (!this.fitted && bounds.isValid()) {
      this.map.fitBounds(bounds, { padding: [20, 20] });
      this.fitted = true;
    }
  }

  /**
   * Constraints and agreed zones valid at `t` (all when `t` is null): own constraints
   * and zones assigning the viewer a sector have their shapes, the others are the
   * reference box the service shows. Returns id -> bounds for zooming.
   */
  drawAirspace(constraints, zones, t, colourOf, onSelect, selected = null) {
    // The selected item stands out: a heavier outline and a denser fill.
    const emphasis = (key, o) => (key === selected ? { ...o, weight: o.weight + 2, fillOpacity: Math.min(0.6, o.fillOpacity * 2.5) } : o);
    this.airspace.clearLayers();
    const where = new Map();
    let drawn = 0;
    const add = (key, shape, tip, label) => {
      shape.on("click", () => onSelect(key));
      shape.bindTooltip(tip, { sticky: true });
      shape.addTo(this.airspace);
      if (label) {
        L.tooltip({ permanent: true, direction: "center", className: "airspace-label", interactive: false })
          .setLatLng(shape.getBounds().getCenter()).setContent(label).addTo(this.airspace);
      }
      drawn += 1;
    };
    for (const c of constraints) {
      const key = `constraint:${c.id}`;
      if (!active(c.valid_start, c.valid_end, t)) continue;
      const st = CONSTRAINT_STYLE[c.type] || CONSTRAINT_STYLE.advisory;
      const opts = emphasis(key, { color: st.color, weight: st.weight, dashArray: st.dashArray, fillColor: st.color, fillOpacity: st.fillOpacity, renderer: this.airspaceRenderer });
      const name = `${st.label}${c.name ? ": " + c.name : ""}`;
      const tip = `${name} · ${c.owner} · ${c.id}`;
      const group = L.featureGroup();
      if (c.reference) {
        const [w, s, e, n] = c.bbox;
        L.rectangle([[s, w], [n, e]], opts).addTo(group);
      } else {
        for (const v of c.volumes) if (active(v.time_start, v.time_end, t)) volumeLayer(v, opts).addTo(group);
      }
      if (!group.getLayers().length) continue;
      add(key, group, tip, st.label.toUpperCase());
      where.set(key, group.getBounds());
    }
    for (const z of zones) {
      const key = `zone:${z.id}`;
      if (!active(z.valid_start, z.valid_end, t)) continue;
      const group = L.featureGroup();
      if (z.reference) {
        const [w, s, e, n] = z.bbox;
        L.rectangle([[s, w], [n, e]], emphasis(key, { ...SECTOR_STYLE, color: "#4d4d4d", fillColor: "#4d4d4d", renderer: this.airspaceRenderer })).addTo(group);
        add(key, group, `Agreed zone ${z.name || z.id} (reference)`, null);
      } else {
        for (const sector of z.sectors) {
          const colour = colourOf(sector.party);
          const shape = volumeLayer(sector, emphasis(key, { ...SECTOR_STYLE, color: colour, fillColor: colour, renderer: this.airspaceRenderer }));
          shape.addTo(group);
          L.tooltip({ permanent: true, direction: "center", className: "airspace-label", interactive: false })
            .setLatLng(shape.getBounds().getCenter()).setContent(`sector: ${sector.party}`).addTo(this.airspace);
        }
        add(key, group, `Agreed zone ${z.name || z.id} · sectors for ${[...new Set(z.sectors.map((s) => s.party))].join(", ")}`, null);
      }
      where.set(key, group.getBounds());
    }
    this.el.dataset.airspace = String(drawn);
    return where;
  }

  /** Overlap areas, in the overlap colour with a black outline; returns id -> bounds. */
  drawConflicts(conflicts, t, selected, onSelect) {
    this.overlaps.clearLayers();
    const where = new Map();
    let lit = 0;
    for (const c of conflicts) {
      const id = conflictId(c);
      const group = L.featureGroup();
      for (const o of c.overlaps) {
        // Bright only while the slider is within the overlap's time, selected or not:
        // the selection shows as a heavier outline, never as "happening now".
        const on = active(o.time_start, o.time_end, t);
        const chosen = id === selected;
        L.geoJSON(o.geometry, {
          renderer: this.renderer,
          pointToLayer: (_f, latlng) => L.circleMarker(latlng, { radius: 8 }),
          style: {
            color: "#000", weight: chosen ? 4 : 2, dashArray: "4 3",
            fillColor: OVERLAP, fillOpacity: on ? 0.75 : 0.15, opacity: on ? 1 : chosen ? 0.6 : 0.35,
          },
        }).addTo(group);
      }
      group.on("click", () => onSelect(id));
      group.bindTooltip(`Overlap: ${conflictLabel(c)}`, { sticky: true });
      group.addTo(this.overlaps);
      where.set(id, group.getBounds());
    }
    this.el.dataset.overlaps = String(this.overlaps.getLayers().length);
    // How many overlap shapes are drawn bright, read from their style as drawn.
    this.overlaps.eachLayer((group) => group.eachLayer((geo) => geo.eachLayer((shape) => {
      if (shape.options.fillOpacity >= 0.5) lit += 1;
    })));
    this.el.dataset.overlapsActive = String(lit);
    return where;
  }

  /**
   * USS plans near the party's operations: where each meets an operation, labelled
   * with its manager (the USS); faint outside the slider's time. Returns key -> bounds.
   */
  drawUssPlans(plans, t, onSelect) {
    this.uss.clearLayers();
    const where = new Map();
    for (const p of plans) {
      const group = L.featureGroup();
      let on = false;
      for (const o of p.overlaps || []) {
        on = on || active(o.time_start, o.time_end, t);
        L.geoJSON(o.geometry, {
          renderer: this.renderer,
          pointToLayer: (_f, latlng) => L.circleMarker(latlng, { radius: 8 }),
          style: { ...USS_STYLE, fillColor: USS_STYLE.color },
        }).addTo(group);
      }
      if (!group.getLayers().length) continue;
      group.setStyle(on ? {} : { opacity: 0.4, fillOpacity: 0.08 });
      group.on("click", () => onSelect(p.key));
      group.bindTooltip(ussLabel(p), { sticky: true });
      group.addTo(this.uss);
      const bounds = group.getBounds();
      // The manager's name on the map, as a marker of its own: cleared with the others.
      const label = document.createElement("span");
      label.className = "uss-label";
      label.textContent = p.manager; // a token's subject: text, never parsed as HTML
      L.marker(bounds.getCenter(), {
        icon: L.divIcon({ html: label, className: "uss-label-icon", iconSize: null }),
        interactive: false,
        keyboard: false,
      }).addTo(this.uss);
      where.set(p.key, bounds);
    }
    this.el.dataset.uss = String(where.size);
    return where;
  }

  /** Own tracks, other parties' aircraft while in an alert, and each alert's geometry. */
  drawTracks(live, alerts, colour) {
    this.tracks.clearLayers();
    const lookahead = 60;
    for (const t of live.tracks || []) {
      const pos = [t.lat, t.lon];
      L.polyline([pos, ahead(t, lookahead)], { color: colour, weight: 2, renderer: this.renderer }).addTo(this.tracks);
      L.circleMarker(pos, { radius: 7, color: "#000", weight: 2, fillColor: colour, fillOpacity: 1, renderer: this.renderer })
        .bindTooltip(`${t.id} ${Math.round(t.alt_m)} m${t.conformance && t.conformance !== "conforming" ? " · " + t.conformance : ""}`, { permanent: true, direction: "right", className: "track-label" })
        .addTo(this.tracks);
    }
    for (const t of live.traffic || []) {
      const pos = [t.lat, t.lon];
      L.polyline([pos, ahead(t, lookahead)], { color: "#000", weight: 2, dashArray: "3 3", renderer: this.renderer }).addTo(this.tracks);
      L.circleMarker(pos, { radius: 7, color: "#000", weight: 2, fillColor: "#fff", fillOpacity: 1, renderer: this.renderer })
        .bindTooltip(`traffic ${Math.round(t.alt_m)} m`, { permanent: true, direction: "right", className: "track-label" })
        .addTo(this.tracks);
    }
    const byId = new Map((live.tracks || []).map((t) => [t.id, t]));
    for (const a of alerts) {
      const own = byId.get(a.own);
      const other = a.other.state || byId.get(a.other.id);
      if (!own || !other || a.state === "resolved") continue;
      L.polyline([[own.lat, own.lon], [other.lat, other.lon]], { color: ALERT, weight: 3, dashArray: "6 4", renderer: this.renderer }).addTo(this.tracks);
      if (a.tcpa_s != null && a.tcpa_s > 0) {
        for (const p of [own, other]) {
          L.circleMarker(ahead(p, a.tcpa_s), { radius: 5, color: ALERT, weight: 2, fill: false, renderer: this.renderer })
            .bindTooltip(`closest approach in ${Math.round(a.tcpa_s)} s`).addTo(this.tracks);
        }
      }
    }
    this.el.dataset.tracks = String((live.tracks || []).length + (live.traffic || []).length);
  }

  focus(bounds) {
    if (bounds && bounds.isValid()) this.map.fitBounds(bounds, { padding: [40, 40], maxZoom: 14, animate: false });
  }
}

/**
 * A conflict's key in the lists and on the map. The other operation's id is there only
 * when a sharing agreement lets this party know it; otherwise the service says whose
 * it is and where, and the key uses the other party and the first overlap's start.
 */
export function conflictId(c) {
  if (c.other_operation) return [c.operation, c.other_operation].sort().join(" × ");
  const first = c.overlaps[0];
  return `${c.operation} × ${c.other_party}@${first ? first.time_start : ""}`;
}

export function conflictLabel(c) {
  return `${c.operation} × ${c.other_operation || `an operation of ${c.other_party}`}`;
}

function ussLabel(p) {
  const what = p.constraint ? "constraint" : `plan (${p.state}, priority ${p.priority}, ${p.verdict})`;
  return `USS ${what} by ${p.manager} over ${p.operation_id}`;
}

function active(start, end, t) {
  return t == null || (Date.parse(start) <= t && t <= Date.parse(end));
}

function volumeLayer(v, opts) {
  const g = v.geometry;
  if (g.type === "Point") return L.circle([g.coordinates[1], g.coordinates[0]], { ...opts, radius: v.radius_m });
  if (g.type === "MultiPolygon") return L.polygon(g.coordinates.map((poly) => poly.map((ring) => ring.map(([x, y]) => [y, x]))), opts);
  return L.polygon(g.coordinates.map((ring) => ring.map(([x, y]) => [y, x])), opts);
}

/** Where a track is `s` seconds ahead at its current velocity (flat earth, fine at this scale). */
function ahead(t, s) {
  let vn = t.vn_mps, ve = t.ve_mps;
  if (vn == null) {
    const rad = ((t.track_deg || 0) * Math.PI) / 180;
    vn = (t.gs_mps || 0) * Math.cos(rad);
    ve = (t.gs_mps || 0) * Math.sin(rad);
  }
  const lat = t.lat + (vn * s) / 111320;
  const lon = t.lon + (ve * s) / (111320 * Math.cos((t.lat * Math.PI) / 180));
  return [lat, lon];
}

export function boundsOfOperation(op) {
  if (op.reference) {
    const [w, s, e, n] = op.bbox;
    return L.latLngBounds([[s, w], [n, e]]);
  }
  const b = L.latLngBounds([]);
  for (const v of op.volumes) b.extend(boundsOfVolume(v));
  return b;
}

function boundsOfVolume(v) {
  const g = v.geometry;
  if (g.type === "Point") return L.latLng(g.coordinates[1], g.coordinates[0]).toBounds(2 * v.radius_m);
  return L.latLngBounds(g.coordinates[0].map(([x, y]) => [y, x]));
}
