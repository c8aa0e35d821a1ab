// Overview map: alerts in force (real ones red, drills dashed amber) with their list beside the map, areas by kind with
// district names, cameras with direction cones and status, drone photos, shelters and safety replies, a key for every
// symbol; kept current by the hub's staff events.
import * as L from '/lib/leaflet/leaflet-src.esm.js';
import { api, h, t, clear, createMap, formatTime, formatNumber } from '/shared/common.js';
import {
  areaLayers, cameraLayer, addCamera, droneLayer, addDronePhoto, shelterLayer, addShelter, safetyLayer, addSafety, alertLayer, addAlert, inForce,
  legend, overlaySwitches, districtLabels,
} from './layers.js';
import { statusLabel, severityLabel } from './labels.js';

export async function mount(container, ctx) {
  const mapElement = h('div', { class: 'map map-full', id: 'overview-map', role: 'region', 'aria-label': t('nav.map') });
  const inForceList = h('ol', { id: 'alerts-in-force', class: 'in-force-list' });
  const inForceCount = h('p', { class: 'in-force-count', id: 'in-force-count', role: 'status' });
  container.append(h('h2', { class: 'visually-hidden' }, t('nav.map')),
    h('div', { class: 'map-layout' }, mapElement,
      h('aside', { class: 'in-force', 'aria-labelledby': 'in-force-title' },
        h('h3', { id: 'in-force-title' }, t('map.inForce')), inForceCount, inForceList)));
  const map = createMap(L, mapElement, ctx.config);
  const overlays = [];
  const { areas, byKind } = await areaLayers(L);
  for (const [kind, group] of byKind) {
    group.addTo(map);
    overlays.push([t(`kind.${kind}`), group]);
  }
  const labels = districtLabels(L, map, areas);
  const cameras = await cameraLayer(L);
  const drones = await droneLayer(L);
  const shelters = await shelterLayer(L);
  const safety = await safetyLayer(L);
  const { group: alerts, views } = await alertLayer(L, areas);
  for (const [key, group] of [['layer.alerts', alerts], ['layer.cameras', cameras.group], ['layer.drone', drones], ['layer.shelters', shelters], ['layer.safety', safety]]) {
    group.addTo(map);
    overlays.push([t(key), group]);
  }
  overlays.push([t('layer.districtNames'), labels]);
  overlaySwitches(L, map, overlays).addTo(map);
  legend(L, [...byKind.keys()]).addTo(map);

  /** The alerts in force, newest first: real ones before drills, each a link to its board. */
  function renderList() {
    const now = Date.now();
    const current = [...views.values()].filter(v => inForce(v, now))
      .sort((a, b) => (a.current.status === 'Actual' ? 0 : 1) - (b.current.status === 'Actual' ? 0 : 1) || Date.parse(b.current.sent) - Date.parse(a.current.sent));
    const real = current.filter(v => v.current.status === 'Actual').length;
    inForceCount.textContent = current.length ? t('map.inForceCount', { n: current.length, real, drills: current.length - real }) : t('map.noneInForce');
    clear(inForceList);
    for (const view of current) {
      const alert = view.current;
      const exercise = alert.status !== 'Actual';
      inForceList.append(h('li', { class: exercise ? 'exercise' : 'actual', dataset: { alertId: view.id, status: alert.status } },
        h('a', { href: `#/board/${encodeURIComponent(view.id)}` },
          h('span', { class: `status-mark ${exercise ? 'exercise' : 'actual'}` }, statusLabel(alert.status)),
          h('strong', {}, alert.texts?.ja?.headline ?? Object.values(alert.texts ?? {})[0]?.headline ?? alert.event)),
        h('span', { class: 'muted' }, `${alert.areaName ?? ''} · ${severityLabel(alert.severity)} · ${formatTime(alert.sent)}`),
        h('span', { class: 'muted' }, t('map.reached', { n: formatNumber(view.delivery?.total?.delivered ?? 0) }))));
    }
  }
  renderList();

  const knownCameras = new Map(cameras.cameras.map(c => [c.id, c]));
  const off = [
    ctx.on('cameraStatus', e => {
      const camera = knownCameras.get(e.cameraId);
      if (!camera) return;
      camera.status = e.status;
      cameras.group.clearLayers();
      for (const c of knownCameras.values()) addCamera(L, cameras.group, c);
    }),
    ctx.on('dronePhoto', feature => addDronePhoto(L, drones, feature)),
    ctx.on('shelterStatus', shelter => {
      shelters.eachLayer(layer => { if (layer.shelterId === shelter.id) shelters.removeLayer(layer); });
      if (!shelter.deleted) addShelter(L, shelters, shelter);
    }),
    ctx.on('safetyReply', feature => addSafety(L, safety, feature)),
    // A new version (update, cancel, all-clear) replaces what the map and the list show for that alert.
    ctx.on('alertIssued', async e => {
      let view;
      try { view = await api('GET', `/api/alerts/${encodeURIComponent(e.id)}`); } catch { return; }
      alerts.eachLayer(layer => { if (layer.alertId === e.id) alerts.removeLayer(layer); });
      views.delete(e.id);
      if (addAlert(L, alerts, view, areas)) views.set(view.id, view);
      renderList();
    }),
  ];
  // An alert's expiry passes without an event: the list and the map drop it.
  const expiry = setInterval(() => {
    const now = Date.now();
    for (const [id, view] of views) {
      if (!inForce(view, now)) {
        alerts.eachLayer(layer => { if (layer.alertId === id) alerts.removeLayer(layer); });
        views.delete(id);
      }
    }
    renderList();
  }, 60000);
  return () => { off.forEach(fn => fn()); clearInterval(expiry); map.remove(); };
}
