// Overview map: alerts in force, areas by kind, cameras with direction cones and status, drone photos, shelters and safety
// replies, kept current by the hub's staff events.
import * as L from '/lib/leaflet/leaflet-src.esm.js';
import { api, h, t, createMap } from '/shared/common.js';
import { areaLayers, cameraLayer, addCamera, droneLayer, addDronePhoto, shelterLayer, addShelter, safetyLayer, addSafety, alertLayer, addAlert, legend, overlaySwitches } from './layers.js';

export async function mount(container, ctx) {
  const mapElement = h('div', { class: 'map map-full', id: 'overview-map', role: 'region', 'aria-label': t('nav.map') });
  container.append(h('h2', { class: 'visually-hidden' }, t('nav.map')), mapElement);
  const map = createMap(L, mapElement, ctx.config);
  const overlays = [];
  const { areas, byKind } = await areaLayers(L);
  for (const [kind, group] of byKind) {
    group.addTo(map);
    overlays.push([t(`kind.${kind}`), group]);
  }
  const cameras = await cameraLayer(L);
  const drones = await droneLayer(L);
  const shelters = await shelterLayer(L);
  const safety = await safetyLayer(L);
  const alerts = await alertLayer(L, areas);
  for (const [key, group] of [['layer.alerts', alerts], ['layer.cameras', cameras.group], ['layer.drone', drones], ['layer.shelters', shelters], ['layer.safety', safety]]) {
    group.addTo(map);
    overlays.push([t(key), group]);
  }
  overlaySwitches(L, map, overlays).addTo(map);
  legend(L, [...byKind.keys()]).addTo(map);

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
    // A new version (update, cancel, all-clear) replaces what the map shows for that alert.
    ctx.on('alertIssued', async e => {
      let view;
      try { view = await api('GET', `/api/alerts/${encodeURIComponent(e.id)}`); } catch { return; }
      alerts.eachLayer(layer => { if (layer.alertId === e.id) alerts.removeLayer(layer); });
      addAlert(L, alerts, view, areas);
    }),
  ];
  return () => { off.forEach(fn => fn()); map.remove(); };
}
