// The compose screen's drawing tool: polygons and circles drawn on the map (our own small code, no plug-in), circles typed
// as centre and radius (the keyboard and screen-reader way in), and the list of shapes, each removable on its own.
import { h, t, clear, formatNumber, announce } from '/shared/common.js';

const DRAW_COLOR = '#dc2626';

function field(id, label, control) {
  return h('div', { class: 'field' }, h('label', { for: id }, label), control);
}

function round(value) {
  return Math.round(value * 1e6) / 1e6;
}

/**
 * Attaches the tool to a Leaflet map. Returns the DOM parts to place (toolbar, help line, typed-circle entry, shape list)
 * and the shapes as the hub wants them (`areaParts()` → {geometry?, circles?}). `onChange` runs after every change.
 */
export function createDrawTool(L, map, mapElement, { onChange }) {
  const drawn = []; // { kind: 'polygon', latlngs } | { kind: 'circle', center, radius }, each with its layer
  const drawnGroup = L.layerGroup().addTo(map);
  const sketch = L.layerGroup().addTo(map);
  let mode = null;
  let vertices = [];
  let circleCenter = null;

  const help = h('p', { class: 'hint', id: 'draw-help', 'aria-live': 'polite' });
  const info = h('span', { id: 'drawn-info' });
  const toolbar = h('div', { class: 'toolbar', role: 'toolbar', 'aria-label': t('compose.areas') },
    h('button', { type: 'button', id: 'draw-polygon', onclick: () => start('polygon') }, t('compose.drawPolygon')),
    h('button', { type: 'button', id: 'draw-circle', onclick: () => start('circle') }, t('compose.drawCircle')),
    h('button', { type: 'button', id: 'draw-finish', onclick: () => finishPolygon() }, t('compose.finish')),
    h('button', { type: 'button', id: 'draw-clear', class: 'secondary', onclick: () => clearAll() }, t('compose.clearDrawing')),
    info);

  // A circle typed in rather than drawn: "3 km around the dam" from a known position.
  const lat = h('input', { id: 'circle-lat', type: 'number', step: 'any', min: -90, max: 90, inputmode: 'decimal' });
  const lon = h('input', { id: 'circle-lon', type: 'number', step: 'any', min: -180, max: 180, inputmode: 'decimal' });
  const radius = h('input', { id: 'circle-radius', type: 'number', step: 'any', min: 0.01, max: 500, inputmode: 'decimal' });
  const error = h('p', { id: 'circle-error', class: 'error', role: 'alert' });
  const circleEntry = h('details', { id: 'circle-by-coordinates', class: 'circle-entry' },
    h('summary', {}, t('compose.circleByCoordinates')),
    h('div', { class: 'row' },
      field('circle-lat', t('compose.latitude'), lat),
      field('circle-lon', t('compose.longitude'), lon),
      field('circle-radius', t('compose.radiusKm'), radius)),
    h('div', { class: 'toolbar' },
      h('button', { type: 'button', id: 'circle-use-centre', class: 'secondary', onclick: () => useMapCentre() }, t('compose.useMapCentre')),
      h('button', { type: 'button', id: 'circle-add', onclick: () => addTypedCircle() }, t('compose.addCircle'))),
    error);
  const list = h('ul', { id: 'drawn-list', class: 'drawn-list', 'aria-label': t('compose.drawnList') });

  function start(kind) {
    mode = kind;
    vertices = [];
    circleCenter = null;
    sketch.clearLayers();
    mapElement.classList.add('drawing');
    help.textContent = t(kind === 'polygon' ? 'compose.drawHelpPolygon' : 'compose.drawHelpCircle');
  }

  function stop() {
    mode = null;
    sketch.clearLayers();
    mapElement.classList.remove('drawing');
    help.textContent = '';
  }

  map.on('click', event => {
    if (mode === 'polygon') {
      vertices.push(event.latlng);
      sketch.clearLayers();
      L.polyline(vertices, { color: DRAW_COLOR, weight: 2, dashArray: '4 4' }).addTo(sketch);
      for (const v of vertices) L.circleMarker(v, { radius: 4, color: DRAW_COLOR }).addTo(sketch);
    } else if (mode === 'circle') {
      if (!circleCenter) {
        circleCenter = event.latlng;
        L.circleMarker(circleCenter, { radius: 4, color: DRAW_COLOR }).addTo(sketch);
      } else {
        add({ kind: 'circle', center: circleCenter, radius: Math.max(10, map.distance(circleCenter, event.latlng)) });
        stop();
      }
    }
  });
  map.on('mousemove', event => {
    if (mode === 'circle' && circleCenter) {
      sketch.clearLayers();
      L.circle(circleCenter, { radius: map.distance(circleCenter, event.latlng), color: DRAW_COLOR, weight: 1, fillOpacity: 0.1 }).addTo(sketch);
    }
  });

  function finishPolygon() {
    if (mode === 'polygon' && vertices.length >= 3) add({ kind: 'polygon', latlngs: vertices.slice() });
    stop();
  }

  function add(shape, quiet = false) {
    const center = shape.kind === 'circle' ? L.latLng(shape.center) : null;
    const layer = shape.kind === 'polygon'
      ? L.polygon(shape.latlngs, { color: DRAW_COLOR, weight: 2, fillOpacity: 0.15 })
      : L.circle(center, { radius: shape.radius, color: DRAW_COLOR, weight: 2, fillOpacity: 0.15 });
    layer.addTo(drawnGroup);
    drawn.push({ ...shape, ...(center ? { center } : {}), layer });
    render();
    if (!quiet) onChange();
  }

  function remove(shape) {
    const index = drawn.indexOf(shape);
    if (index < 0) return;
    drawn.splice(index, 1);
    drawnGroup.removeLayer(shape.layer);
    render();
    announce(t('compose.shapeRemoved'));
    onChange();
  }

  function describe(shape) {
    return shape.kind === 'circle'
      ? t('compose.shapeCircle', { lat: shape.center.lat.toFixed(5), lon: shape.center.lng.toFixed(5), km: formatNumber(Math.round(shape.radius) / 1000) })
      : t('compose.shapePolygon', { n: shape.latlngs.length });
  }

  function render() {
    info.textContent = drawn.length ? t('compose.drawn', { n: drawn.length }) : '';
    clear(list);
    for (const shape of drawn) {
      const text = describe(shape);
      list.append(h('li', {}, h('span', {}, text),
        h('button', { type: 'button', class: 'link remove-shape', 'aria-label': t('compose.removeShape', { shape: text }), onclick: () => remove(shape) }, t('compose.remove'))));
    }
  }

  function clearAll() {
    drawn.length = 0;
    drawnGroup.clearLayers();
    render();
    stop();
    onChange();
  }

  function useMapCentre() {
    const centre = map.getCenter();
    lat.value = centre.lat.toFixed(5);
    lon.value = centre.lng.toFixed(5);
    radius.focus();
  }

  function addTypedCircle() {
    const la = Number.parseFloat(lat.value);
    const lo = Number.parseFloat(lon.value);
    const km = Number.parseFloat(radius.value);
    const problem = !(la >= -90 && la <= 90) ? ['compose.badLatitude', lat]
      : !(lo >= -180 && lo <= 180) ? ['compose.badLongitude', lon]
      : !(km >= 0.01 && km <= 500) ? ['compose.badRadius', radius]
      : null;
    if (problem) {
      error.textContent = t(problem[0]);
      problem[1].setAttribute('aria-invalid', 'true');
      problem[1].focus();
      return;
    }

    for (const input of [lat, lon, radius]) input.removeAttribute('aria-invalid');
    error.textContent = '';
    const center = L.latLng(la, lo);
    add({ kind: 'circle', center, radius: km * 1000 });
    map.fitBounds(center.toBounds(km * 2000), { maxZoom: 15, animate: false });
    radius.value = '';
  }

  return {
    toolbar, help, circleEntry, list,
    /** The drawn shapes as area parts: one Polygon or a MultiPolygon, and circles in metres. */
    areaParts() {
      const polygons = drawn.filter(s => s.kind === 'polygon').map(s => {
        const ring = s.latlngs.map(p => [round(p.lng), round(p.lat)]);
        ring.push(ring[0]);
        return [ring];
      });
      const parts = {};
      if (polygons.length === 1) parts.geometry = { type: 'Polygon', coordinates: polygons[0] };
      if (polygons.length > 1) parts.geometry = { type: 'MultiPolygon', coordinates: polygons };
      const circles = drawn.filter(s => s.kind === 'circle').map(s => ({ lat: round(s.center.lat), lon: round(s.center.lng), radiusMeters: Math.round(s.radius) }));
      if (circles.length) parts.circles = circles;
      return parts;
    },
    /** Plain copies of the shapes (kept while the page lives, restored on the next mount). */
    shapes: () => drawn.map(({ layer, ...shape }) => shape),
    restore(shapes) { for (const shape of shapes) add(shape, true); },
  };
}
