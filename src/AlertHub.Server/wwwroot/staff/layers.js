// Map layers the overview map and the compose view share: areas by kind, cameras with their view cones,
// drone photos, shelters and safety replies. All vectors, so the map reads without base tiles. Every tooltip and
// popup is a DOM node built by h(): Leaflet parses a string given to bindTooltip/bindPopup as HTML, and names here
// come from staff, feeds and devices.
import { api, h, t, minutesAgo, formatTime } from '/shared/common.js';

export const KIND_COLORS = {
  district: '#4a5568', flood: '#1c64f2', landslide: '#b45309', 'shelter-zone': '#047857', custom: '#7e22ce',
};
export const STATUS_COLORS = { online: '#047857', stale: '#b45309', offline: '#b91c1c', frozen: '#7e22ce', unknown: '#6b7280' };
export const SHELTER_COLORS = { open: '#047857', crowded: '#b45309', full: '#b91c1c', closed: '#6b7280' };
export const SAFETY_STYLES = {
  safe: { radius: 7, color: '#ffffff', weight: 2, fillColor: '#2563eb', fillOpacity: 1 },
  'need-help': { radius: 10, color: '#111111', weight: 3, fillColor: '#dc2626', fillOpacity: 1 },
};
// An alert in force is red; a drill is drawn dashed with an amber fill, so nobody at the wall mistakes one for the other.
export const ALERT_STYLES = {
  actual: { color: '#dc2626', weight: 3, fillColor: '#dc2626', fillOpacity: 0.15 },
  exercise: { color: '#dc2626', weight: 3, dashArray: '10 6', fillColor: '#f59e0b', fillOpacity: 0.2 },
};

export function areaStyle(kind) {
  const color = KIND_COLORS[kind] ?? KIND_COLORS.custom;
  return { color, weight: kind === 'district' ? 2 : 1.5, fillColor: color, fillOpacity: kind === 'district' ? 0.05 : 0.2, dashArray: kind === 'district' ? '4 3' : null };
}

/** A tooltip's content: a fresh text-only node each time (a DOM node can sit in one tooltip only). */
function label(text) {
  return h('span', { class: 'map-label' }, text);
}

/** Areas grouped by kind, each a Leaflet layer group (so the layer control can toggle kinds). */
export async function areaLayers(L) {
  const areas = await api('GET', '/api/areas');
  const byKind = new Map();
  for (const area of areas) {
    if (!area.geometry) continue;
    if (!byKind.has(area.kind)) byKind.set(area.kind, L.layerGroup());
    const layer = L.geoJSON({ type: 'Feature', geometry: area.geometry, properties: {} }, { style: areaStyle(area.kind) });
    layer.bindTooltip(label(area.name), { sticky: true });
    layer.areaId = area.id;
    byKind.get(area.kind).addLayer(layer);
  }
  return { areas, byKind };
}

/** A point `distance` metres from (lat, lon) on `bearing` degrees (a flat approximation is fine at camera range). */
function offset(lat, lon, bearing, distance) {
  const rad = bearing * Math.PI / 180;
  const dLat = (distance * Math.cos(rad)) / 111320;
  const dLon = (distance * Math.sin(rad)) / (111320 * Math.cos(lat * Math.PI / 180));
  return [lat + dLat, lon + dLon];
}

export function cameraCone(L, camera, range = 250) {
  const { lat, lon } = camera.location;
  const fov = camera.fieldOfViewDegrees || 60;
  const points = [[lat, lon]];
  for (let a = -fov / 2; a <= fov / 2; a += fov / 8) points.push(offset(lat, lon, (camera.directionDegrees ?? 0) + a, range));
  const color = STATUS_COLORS[camera.status] ?? STATUS_COLORS.unknown;
  return L.polygon(points, { color, weight: 1, fillColor: color, fillOpacity: 0.25 });
}

export async function cameraLayer(L) {
  const group = L.layerGroup();
  let cameras = [];
  try {
    cameras = (await api('GET', '/api/cameras')).cameras ?? [];
  } catch {
    return { group, cameras };
  }
  for (const camera of cameras) addCamera(L, group, camera);
  return { group, cameras };
}

export function addCamera(L, group, camera) {
  if (!camera.location) return;
  const color = STATUS_COLORS[camera.status] ?? STATUS_COLORS.unknown;
  const cone = cameraCone(L, camera);
  const dot = L.circleMarker([camera.location.lat, camera.location.lon], { radius: 6, color: '#111', weight: 1, fillColor: color, fillOpacity: 1 });
  const ago = minutesAgo(camera.lastImageAt);
  const popup = h('div', { class: 'popup' },
    h('strong', {}, camera.name), h('br'),
    `${t(`status.${camera.status}`)} · ${ago === null ? t('cameras.noImage') : t('cameras.lastImage', { n: ago })}`,
    camera.lastImageAt ? h('img', { src: camera.thumbnailUrl, alt: camera.name, class: 'popup-image' }) : null,
    h('a', { href: `#/cameras/${encodeURIComponent(camera.id)}` }, t('cameras.title')));
  dot.bindPopup(popup);
  dot.bindTooltip(label(camera.name));
  group.addLayer(cone);
  group.addLayer(dot);
}

export async function droneLayer(L) {
  const group = L.layerGroup();
  try {
    const collection = await api('GET', '/api/drone-photos');
    for (const feature of collection.features ?? []) addDronePhoto(L, group, feature);
  } catch { /* the drone feature may not be installed on this hub */ }
  return group;
}

export function addDronePhoto(L, group, feature) {
  if (!feature.geometry) return;
  const [lon, lat] = feature.geometry.coordinates;
  const p = feature.properties;
  const marker = L.circleMarker([lat, lon], { radius: 7, color: '#0f172a', weight: 2, fillColor: '#facc15', fillOpacity: 0.9 });
  marker.bindPopup(h('div', { class: 'popup' },
    h('strong', {}, `${t('layer.drone')} ${formatTime(p.takenAt ?? p.receivedAt)}`),
    h('a', { href: p.photoUrl, target: '_blank', rel: 'noopener' }, h('img', { src: p.thumbnailUrl, alt: p.note || t('layer.drone'), class: 'popup-image' })),
    p.note ? h('p', {}, p.note) : null));
  group.addLayer(marker);
}

export async function shelterLayer(L) {
  const group = L.layerGroup();
  try {
    for (const shelter of await api('GET', '/api/shelters')) addShelter(L, group, shelter);
  } catch { /* shelters may not be installed on this hub */ }
  return group;
}

export function addShelter(L, group, shelter) {
  if (!shelter.location) return;
  const color = SHELTER_COLORS[shelter.status] ?? SHELTER_COLORS.closed;
  const marker = L.circleMarker([shelter.location.lat, shelter.location.lon], { radius: 8, color: '#111', weight: 1, fillColor: color, fillOpacity: 0.9 });
  marker.bindTooltip(label(`${shelter.name}: ${t(`shelter.${shelter.status}`)} ${shelter.occupancy ?? 0}/${shelter.capacity ?? '?'}`));
  marker.shelterId = shelter.id;
  group.addLayer(marker);
}

export async function safetyLayer(L) {
  const group = L.layerGroup();
  try {
    const collection = await api('GET', '/api/safety');
    for (const feature of collection.features ?? []) addSafety(L, group, feature);
  } catch { /* safety replies may not be installed on this hub */ }
  return group;
}

export function addSafety(L, group, feature) {
  if (!feature?.geometry) return;
  const [lon, lat] = feature.geometry.coordinates;
  const p = feature.properties ?? {};
  const help = p.status === 'need-help';
  // At night on a wall screen: 無事 is a clear blue dot (never the green of an open shelter), 支援が必要 a larger red one ringed in black.
  const marker = L.circleMarker([lat, lon], help ? SAFETY_STYLES['need-help'] : SAFETY_STYLES.safe);
  // What the resident wrote ("足が悪く動けません") is what staff need most; it is the resident's text, shown as text.
  marker.bindTooltip(h('span', { class: 'map-label' }, h('strong', {}, t(`safety.${p.status}`)), p.at ? ` ${formatTime(p.at)}` : null,
    p.note ? h('span', { class: 'safety-note' }, p.note) : null));
  group.addLayer(marker);
}

/**
 * Show/hide switches for the overlays, styled like Leaflet's layers control but built from DOM nodes (Leaflet's
 * control takes each name as HTML). `overlays` is a list of [label, layer group].
 */
export function overlaySwitches(L, map, overlays) {
  const control = L.control({ position: 'topright' });
  control.onAdd = () => {
    const box = h('div', { class: 'leaflet-control-layers leaflet-control-layers-expanded', role: 'group', 'aria-label': t('layer.switches') },
      h('div', { class: 'leaflet-control-layers-list' }, overlays.map(([name, group]) => h('label', {},
        h('input', { type: 'checkbox', class: 'leaflet-control-layers-selector', checked: map.hasLayer(group),
          onchange: event => (event.currentTarget.checked ? map.addLayer(group) : map.removeLayer(group)) }),
        h('span', {}, ' ', name)))));
    L.DomEvent.disableClickPropagation(box);
    L.DomEvent.disableScrollPropagation(box);
    return box;
  };
  return control;
}

/** A key for every symbol the map draws, collapsible so it never hides the map on a phone. */
export function legend(L, kinds) {
  const control = L.control({ position: 'bottomleft' });
  const row = (key, text, swatch = h('span', { class: `swatch sw-${key}` })) => h('li', { dataset: { legend: key } }, swatch, h('span', {}, text));
  control.onAdd = () => {
    // Swatch colours live in app.css (.sw-*): the page's CSP allows no inline style.
    const box = h('details', { class: 'legend', id: 'map-legend', open: true },
      h('summary', {}, t('legend.title')),
      h('ul', {},
        row('alert-actual', t('legend.alertActual')),
        row('alert-exercise', t('legend.alertExercise')),
        kinds.map(kind => row(`kind-${kind}`, t(`kind.${kind}`), h('span', { class: `swatch kind-${kind}` }))),
        Object.keys(SHELTER_COLORS).map(status => row(`shelter-${status}`, `${t('layer.shelters')}: ${t(`shelter.${status}`)}`)),
        Object.keys(STATUS_COLORS).filter(status => status !== 'unknown').map(status => row(`camera-${status}`, `${t('layer.cameras')}: ${t(`status.${status}`)}`)),
        row('drone', t('layer.drone')),
        row('safety-safe', `${t('layer.safety')}: ${t('safety.safe')}`),
        row('safety-need-help', `${t('layer.safety')}: ${t('safety.need-help')}`)));
    L.DomEvent.disableClickPropagation(box);
    L.DomEvent.disableScrollPropagation(box);
    return box;
  };
  return control;
}

/**
 * District names written on the map (the names an 危機対策課 officer says on the phone), shown once the map is close
 * enough that they do not pile up: zoom 11 for a few districts, 13 for a whole city's 町字.
 */
export function districtLabels(L, map, areas) {
  const group = L.layerGroup();
  const districts = areas.filter(a => a.kind === 'district' && a.geometry);
  for (const area of districts) {
    const center = L.geoJSON({ type: 'Feature', geometry: area.geometry, properties: {} }).getBounds().getCenter();
    group.addLayer(L.tooltip({ permanent: true, direction: 'center', className: 'district-label', interactive: false })
      .setLatLng(center).setContent(h('span', {}, area.name)));
  }
  const minZoom = districts.length > 40 ? 13 : 11;
  const update = () => {
    const wanted = map.getZoom() >= minZoom;
    if (wanted && !map.hasLayer(group)) map.addLayer(group);
    if (!wanted && map.hasLayer(group)) map.removeLayer(group);
  };
  map.on('zoomend', update);
  update();
  return group;
}

/** The layers for an area spec as the hub stores it: named areas (or those carrying its codes), inline geometry, circles. */
export function areaSpecLayers(L, spec, areas, style) {
  const layers = [];
  const wanted = new Set(spec?.areaIds ?? []);
  const codes = new Set(spec?.codes ?? []);
  for (const area of areas) {
    if (area.geometry && (wanted.has(area.id) || (area.code && codes.has(area.code)))) {
      layers.push(L.geoJSON({ type: 'Feature', geometry: area.geometry, properties: {} }, { style }));
    }
  }
  if (spec?.geometry) layers.push(L.geoJSON(spec.geometry, { style }));
  for (const c of spec?.circles ?? []) layers.push(L.circle([c.lat, c.lon], { radius: c.radiusMeters, ...style }));
  return layers;
}

/**
 * Alerts in force (issued, not cancelled, ended or expired), drawn where they apply: their named areas, the
 * areas carrying their codes, an inline polygon or circles. A click opens the alert's delivery board. Returns the
 * layer group and the alerts (their full views) for the list beside the map.
 */
export async function alertLayer(L, areas) {
  const group = L.layerGroup();
  const views = new Map();
  let list = [];
  try { list = await api('GET', '/api/alerts?state=active&limit=100'); } catch { return { group, views }; }
  const now = Date.now();
  for (const summary of list) {
    let view;
    try { view = await api('GET', `/api/alerts/${encodeURIComponent(summary.id)}`); } catch { continue; }
    if (addAlert(L, group, view, areas, now)) views.set(view.id, view);
  }
  return { group, views };
}

/** Whether the alert is in force now (and so drawn). */
export function inForce(view, now = Date.now()) {
  const alert = view?.current;
  return !!alert && view.state === 'issued' && !(alert.expires && Date.parse(alert.expires) <= now);
}

export function addAlert(L, group, view, areas, now = Date.now()) {
  if (!inForce(view, now)) return false;
  const alert = view.current;
  const exercise = alert.status !== 'Actual';
  const style = exercise ? ALERT_STYLES.exercise : ALERT_STYLES.actual;
  const text = `【${t(`alertStatus.${alert.status}`)}】${alert.texts?.ja?.headline ?? alert.event} (${alert.areaName ?? ''})`;
  for (const layer of areaSpecLayers(L, alert.area, areas, style)) {
    layer.alertId = view.id;
    layer.bindTooltip(h('span', { class: 'map-label' }, text), { sticky: true });
    layer.on('click', () => { location.hash = `#/board/${encodeURIComponent(view.id)}`; });
    group.addLayer(layer);
  }
  return true;
}
