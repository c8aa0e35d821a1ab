// Compose an alert: hazard template (ja / やさしい日本語 / en), areas picked from the list or drawn on the map
// (polygon or circle, our own small drawing code), audience filters, a live recipient count from
// POST /api/targeting/preview (debounced; a newer request aborts the older one), per-channel previews, then
// submit for approval (POST /api/alert-drafts) or, in an emergency and with a reason, issue at once.
import * as L from '/lib/leaflet/leaflet-src.esm.js';
import { api, h, t, clear, debounce, createMap, formatNumber, announce } from '/shared/common.js';
import { areaLayers, areaStyle } from './layers.js';

const LANGUAGES = ['ja', 'ja-x-easy', 'en'];

export const TEMPLATES = {
  flood: {
    event: '洪水', severity: 'Severe', urgency: 'Immediate', certainty: 'Likely',
    ja: ['横手川 氾濫危険水位に到達', '横手川が氾濫危険水位に達しました。今後、氾濫するおそれがあります。', '川から離れ、高い所へ避難してください。'],
    'ja-x-easy': ['川の 水が あふれそうです', '横手川の 水が とても 多く なりました。', '川から はなれて、高い ところへ にげて ください。'],
    en: ['Yokote River at flood danger level', 'The Yokote River has reached the flood danger level and may overflow.', 'Move away from the river to higher ground.'],
  },
  landslide: {
    event: '土砂災害', severity: 'Severe', urgency: 'Immediate', certainty: 'Likely',
    ja: ['土砂災害警戒情報', '土砂災害の危険度が非常に高まっています。', '崖や沢から離れ、安全な場所へ避難してください。'],
    'ja-x-easy': ['山が くずれる きけんが あります', '大雨で 山や がけが くずれる かもしれません。', 'がけや 川から はなれて、安全な ところへ にげて ください。'],
    en: ['Landslide warning', 'The risk of landslides is very high.', 'Keep away from slopes and streams and evacuate to a safe place.'],
  },
  earthquake: {
    event: '地震', severity: 'Severe', urgency: 'Immediate', certainty: 'Observed',
    ja: ['強い地震が発生しました', '横手市で強い揺れを観測しました。', '身の安全を確保し、火の元を確認してください。余震に注意してください。'],
    'ja-x-easy': ['大きな 地震が ありました', '横手市で 大きく ゆれました。', 'あたまを まもって ください。火を けして ください。また ゆれるかも しれません。'],
    en: ['Strong earthquake', 'Strong shaking was observed in Yokote.', 'Protect yourself, check for fire, and watch for aftershocks.'],
  },
  heavyRain: {
    event: '大雨', severity: 'Moderate', urgency: 'Expected', certainty: 'Likely',
    ja: ['大雨警報', '大雨による浸水や土砂災害に警戒してください。', '早めの避難を心がけてください。'],
    'ja-x-easy': ['雨が たくさん ふります', '雨で 水が あふれたり、がけが くずれたり する かもしれません。', '早めに にげる じゅんびを して ください。'],
    en: ['Heavy rain warning', 'Watch out for flooding and landslides caused by heavy rain.', 'Prepare to evacuate early.'],
  },
  evacuation: {
    event: '避難指示', severity: 'Extreme', urgency: 'Immediate', certainty: 'Observed',
    ja: ['【警戒レベル4】避難指示', '対象地域に避難指示を発令しました。', '危険な場所から全員避難してください。'],
    'ja-x-easy': ['にげて ください（レベル4）', 'この 地いきの 人は、にげて ください。', 'あぶない ところから すぐに にげて ください。'],
    en: ['[Level 4] Evacuation order', 'An evacuation order has been issued for this area.', 'Everyone must leave dangerous places now.'],
  },
};

const CHANNEL_LIMITS = { fcm: [100, 500], signalr: [200, 4000], webpush: [100, 500], line: [null, 5000], email: [null, null], webhook: [null, null] };
const HAZARD_LABELS = {
  ja: { flood: '洪水', landslide: '土砂災害', earthquake: '地震', heavyRain: '大雨', evacuation: '避難指示' },
  en: { flood: 'Flood', landslide: 'Landslide', earthquake: 'Earthquake', heavyRain: 'Heavy rain', evacuation: 'Evacuation order' },
};

function field(id, label, control) {
  return h('div', { class: 'field' }, h('label', { for: id }, label), control);
}

function select(id, values, selected) {
  return h('select', { id, name: id }, values.map(v => h('option', { value: v, selected: v === selected }, v)));
}

// What staff had entered, kept while the page lives: switching the language (or any re-render of this view)
// must not throw away a half-written alert at 3 a.m. Cleared once the alert is submitted or issued.
let keptDraft = null;

export async function mount(container, ctx) {
  const lang = document.documentElement.lang === 'en' ? 'en' : 'ja';
  const form = h('form', { class: 'compose', id: 'compose-form', 'aria-labelledby': 'compose-title', novalidate: true });
  const banner = h('p', { class: 'mode-banner', id: 'mode-banner', role: 'status' });
  const exercise = h('input', { type: 'checkbox', id: 'exercise', checked: true });
  const hazard = h('select', { id: 'hazard' }, Object.keys(TEMPLATES).map(k => h('option', { value: k }, HAZARD_LABELS[lang][k])));
  const severity = select('severity', ['Extreme', 'Severe', 'Moderate', 'Minor'], 'Severe');
  const urgency = select('urgency', ['Immediate', 'Expected', 'Future'], 'Immediate');
  const certainty = select('certainty', ['Observed', 'Likely', 'Possible'], 'Likely');

  const { areas, byKind } = await areaLayers(L);
  const areaList = h('fieldset', { class: 'area-list', id: 'area-list' }, h('legend', {}, t('compose.areas')),
    h('p', { class: 'hint' }, t('compose.areasHelp')),
    [...new Set(areas.map(a => a.kind))].map(kind => h('fieldset', { class: 'area-kind' }, h('legend', {}, t(`kind.${kind}`)),
      areas.filter(a => a.kind === kind).map(a => h('label', { class: 'check' },
        h('input', { type: 'checkbox', name: 'area', value: a.id, dataset: { name: a.name } }), a.name)))));

  const tagsBox = h('fieldset', { id: 'household-tags' }, h('legend', {}, t('compose.householdTags')),
    (ctx.config.householdTags ?? []).map(tag => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'householdTag', value: tag }), t(`tag.${tag}`) === `tag.${tag}` ? tag : t(`tag.${tag}`))));
  const languagesBox = h('fieldset', { id: 'languages' }, h('legend', {}, t('compose.languages')),
    ['ja', 'en', 'zh', 'ko', 'vi', 'ja-x-easy'].map(l => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'language', value: l }), l)));
  let channels = [];
  try { channels = (await api('GET', '/api/channels')).filter(c => c.kind === 'push' && c.enabled); } catch { channels = []; }
  const channelsBox = h('fieldset', { id: 'channels' }, h('legend', {}, t('compose.channels')),
    channels.map(c => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'channel', value: c.name }), c.name)));

  const texts = h('fieldset', { class: 'texts' }, h('legend', {}, t('compose.texts')),
    LANGUAGES.map(l => h('fieldset', { class: 'text-lang', lang: l === 'en' ? 'en' : 'ja' }, h('legend', {}, t(`lang.${l}`)),
      field(`headline-${l}`, t('compose.headline'), h('input', { id: `headline-${l}`, maxlength: 200 })),
      field(`body-${l}`, t('compose.body'), h('textarea', { id: `body-${l}`, rows: 3 })),
      field(`instruction-${l}`, t('compose.instruction'), h('textarea', { id: `instruction-${l}`, rows: 2 })))));

  // The count panel is a live region: screen readers hear the new total without leaving the form.
  const count = h('output', { id: 'recipient-count', class: 'big-number', 'aria-live': 'polite', for: 'area-list' }, '—');
  const countDetail = h('div', { id: 'count-detail' });
  const previews = h('div', { id: 'channel-previews' });
  const result = h('p', { id: 'compose-result', role: 'status', class: 'result' });
  const bypassReason = h('input', { id: 'bypass-reason', maxlength: 500 });

  const mapElement = h('div', { class: 'map', id: 'compose-map', role: 'region', 'aria-label': t('compose.areas') });
  const drawHelp = h('p', { class: 'hint', id: 'draw-help', 'aria-live': 'polite' });
  const drawnInfo = h('span', { id: 'drawn-info' });
  const drawTools = h('div', { class: 'toolbar', role: 'toolbar', 'aria-label': t('compose.areas') },
    h('button', { type: 'button', id: 'draw-polygon', onclick: () => startDrawing('polygon') }, t('compose.drawPolygon')),
    h('button', { type: 'button', id: 'draw-circle', onclick: () => startDrawing('circle') }, t('compose.drawCircle')),
    h('button', { type: 'button', id: 'draw-finish', onclick: () => finishPolygon() }, t('compose.finish')),
    h('button', { type: 'button', id: 'draw-clear', class: 'secondary', onclick: () => clearDrawn() }, t('compose.clearDrawing')),
    drawnInfo);

  // A circle typed in rather than drawn: "3 km around the dam" from a known position, and the way in for
  // keyboard and screen-reader users, who cannot click a centre on the map.
  const circleLat = h('input', { id: 'circle-lat', type: 'number', step: 'any', min: -90, max: 90, inputmode: 'decimal' });
  const circleLon = h('input', { id: 'circle-lon', type: 'number', step: 'any', min: -180, max: 180, inputmode: 'decimal' });
  const circleRadius = h('input', { id: 'circle-radius', type: 'number', step: 'any', min: 0.01, max: 500, inputmode: 'decimal' });
  const circleError = h('p', { id: 'circle-error', class: 'error', role: 'alert' });
  const circleByCoordinates = h('details', { id: 'circle-by-coordinates', class: 'circle-entry' },
    h('summary', {}, t('compose.circleByCoordinates')),
    h('div', { class: 'row' },
      field('circle-lat', t('compose.latitude'), circleLat),
      field('circle-lon', t('compose.longitude'), circleLon),
      field('circle-radius', t('compose.radiusKm'), circleRadius)),
    h('div', { class: 'toolbar' },
      h('button', { type: 'button', id: 'circle-use-centre', class: 'secondary', onclick: () => useMapCentre() }, t('compose.useMapCentre')),
      h('button', { type: 'button', id: 'circle-add', onclick: () => addTypedCircle() }, t('compose.addCircle'))),
    circleError);
  // Every drawn or typed shape, each removable on its own.
  const drawnList = h('ul', { id: 'drawn-list', class: 'drawn-list', 'aria-label': t('compose.drawnList') });

  form.append(
    h('h2', { id: 'compose-title' }, t('compose.title')),
    banner,
    h('div', { class: 'compose-grid' },
      h('div', { class: 'compose-main' },
        h('div', { class: 'row' },
          field('hazard', t('compose.hazard'), hazard),
          h('label', { class: 'check exercise-toggle' }, exercise, t('compose.exercise'))),
        h('div', { class: 'row' }, field('severity', t('compose.severity'), severity), field('urgency', t('compose.urgency'), urgency),
          field('certainty', t('compose.certainty'), certainty)),
        drawTools, drawHelp, mapElement, circleByCoordinates, drawnList, areaList,
        h('fieldset', {}, h('legend', {}, t('compose.audience')), tagsBox, languagesBox, channelsBox),
        texts),
      h('aside', { class: 'compose-side', 'aria-labelledby': 'count-title' },
        h('h3', { id: 'count-title' }, t('compose.count')), count, countDetail,
        h('h3', {}, t('compose.preview')), previews,
        h('div', { class: 'actions' },
          h('button', { type: 'submit', class: 'primary', id: 'submit-draft' }, t('compose.submit')),
          // Only approvers may skip the second person (the hub answers alerts.approval_required otherwise).
          ctx.hasRole('approver') ? field('bypass-reason', t('compose.bypassReason'), bypassReason) : null,
          ctx.hasRole('approver') ? h('button', { type: 'button', class: 'danger', id: 'bypass', onclick: () => issueNow() }, t('compose.bypass')) : null),
        result)));
  container.append(form);

  // ---------- map and drawing ----------
  const map = createMap(L, mapElement, ctx.config, { doubleClickZoom: false });
  const areaLayerById = new Map();
  for (const group of byKind.values()) {
    group.addTo(map);
    group.eachLayer(layer => areaLayerById.set(layer.areaId, layer));
  }
  const drawn = []; // { kind: 'polygon', latlngs } | { kind: 'circle', center, radius }
  const drawnGroup = L.layerGroup().addTo(map);
  const sketch = L.layerGroup().addTo(map);
  let mode = null;
  let vertices = [];
  let circleCenter = null;

  function startDrawing(kind) {
    mode = kind;
    vertices = [];
    circleCenter = null;
    sketch.clearLayers();
    mapElement.classList.add('drawing');
    drawHelp.textContent = t(kind === 'polygon' ? 'compose.drawHelpPolygon' : 'compose.drawHelpCircle');
  }

  function stopDrawing() {
    mode = null;
    sketch.clearLayers();
    mapElement.classList.remove('drawing');
    drawHelp.textContent = '';
  }

  map.on('click', event => {
    if (mode === 'polygon') {
      vertices.push(event.latlng);
      sketch.clearLayers();
      L.polyline(vertices, { color: '#dc2626', weight: 2, dashArray: '4 4' }).addTo(sketch);
      for (const v of vertices) L.circleMarker(v, { radius: 4, color: '#dc2626' }).addTo(sketch);
    } else if (mode === 'circle') {
      if (!circleCenter) {
        circleCenter = event.latlng;
        L.circleMarker(circleCenter, { radius: 4, color: '#dc2626' }).addTo(sketch);
      } else {
        const radius = Math.max(10, map.distance(circleCenter, event.latlng));
        addDrawn({ kind: 'circle', center: circleCenter, radius });
        stopDrawing();
      }
    }
  });
  map.on('mousemove', event => {
    if (mode === 'circle' && circleCenter) {
      sketch.clearLayers();
      L.circle(circleCenter, { radius: map.distance(circleCenter, event.latlng), color: '#dc2626', weight: 1, fillOpacity: 0.1 }).addTo(sketch);
    }
  });

  function finishPolygon() {
    if (mode === 'polygon' && vertices.length >= 3) addDrawn({ kind: 'polygon', latlngs: vertices.slice() });
    stopDrawing();
  }

  function addDrawn(shape) {
    const layer = shape.kind === 'polygon'
      ? L.polygon(shape.latlngs, { color: '#dc2626', weight: 2, fillOpacity: 0.15 })
      : L.circle(shape.center, { radius: shape.radius, color: '#dc2626', weight: 2, fillOpacity: 0.15 });
    layer.addTo(drawnGroup);
    drawn.push({ ...shape, layer });
    showDrawn();
    schedulePreview();
  }

  function removeDrawn(shape) {
    const index = drawn.indexOf(shape);
    if (index < 0) return;
    drawn.splice(index, 1);
    drawnGroup.removeLayer(shape.layer);
    showDrawn();
    announce(t('compose.shapeRemoved'));
    schedulePreview();
  }

  function describeShape(shape) {
    return shape.kind === 'circle'
      ? t('compose.shapeCircle', { lat: shape.center.lat.toFixed(5), lon: shape.center.lng.toFixed(5), km: formatNumber(Math.round(shape.radius) / 1000) })
      : t('compose.shapePolygon', { n: shape.latlngs.length });
  }

  function showDrawn() {
    drawnInfo.textContent = drawn.length ? t('compose.drawn', { n: drawn.length }) : '';
    clear(drawnList);
    for (const shape of drawn) {
      const label = describeShape(shape);
      drawnList.append(h('li', {}, h('span', {}, label),
        h('button', { type: 'button', class: 'link remove-shape', 'aria-label': t('compose.removeShape', { shape: label }), onclick: () => removeDrawn(shape) }, t('compose.remove'))));
    }
  }

  function clearDrawn() {
    drawn.length = 0;
    drawnGroup.clearLayers();
    showDrawn();
    stopDrawing();
    schedulePreview();
  }

  function useMapCentre() {
    const centre = map.getCenter();
    circleLat.value = centre.lat.toFixed(5);
    circleLon.value = centre.lng.toFixed(5);
    circleRadius.focus();
  }

  function addTypedCircle() {
    const lat = Number.parseFloat(circleLat.value);
    const lon = Number.parseFloat(circleLon.value);
    const km = Number.parseFloat(circleRadius.value);
    const problem = !(lat >= -90 && lat <= 90) ? ['compose.badLatitude', circleLat]
      : !(lon >= -180 && lon <= 180) ? ['compose.badLongitude', circleLon]
      : !(km >= 0.01 && km <= 500) ? ['compose.badRadius', circleRadius]
      : null;
    if (problem) {
      circleError.textContent = t(problem[0]);
      problem[1].setAttribute('aria-invalid', 'true');
      problem[1].focus();
      return;
    }

    for (const input of [circleLat, circleLon, circleRadius]) input.removeAttribute('aria-invalid');
    circleError.textContent = '';
    const center = L.latLng(lat, lon);
    addDrawn({ kind: 'circle', center, radius: km * 1000 });
    map.fitBounds(center.toBounds(km * 2000), { maxZoom: 15 });
    circleRadius.value = '';
  }

  // ---------- the request ----------
  const checked = name => [...form.querySelectorAll(`input[name="${name}"]:checked`)].map(i => i.value);

  function areaSpec() {
    const polygons = drawn.filter(s => s.kind === 'polygon').map(s => {
      const ring = s.latlngs.map(p => [round(p.lng), round(p.lat)]);
      ring.push(ring[0]);
      return [ring];
    });
    const spec = {};
    const ids = checked('area');
    if (ids.length) spec.areaIds = ids;
    if (polygons.length === 1) spec.geometry = { type: 'Polygon', coordinates: polygons[0] };
    if (polygons.length > 1) spec.geometry = { type: 'MultiPolygon', coordinates: polygons };
    const circles = drawn.filter(s => s.kind === 'circle').map(s => ({ lat: round(s.center.lat), lon: round(s.center.lng), radiusMeters: Math.round(s.radius) }));
    if (circles.length) spec.circles = circles;
    return Object.keys(spec).length ? spec : null;
  }

  function audienceSpec() {
    const audience = {};
    const tags = checked('householdTag');
    const languages = checked('language');
    if (tags.length) audience.householdTags = { any: tags };
    if (languages.length) audience.languages = { any: languages };
    return Object.keys(audience).length ? audience : null;
  }

  function alertRequest() {
    const texts = {};
    for (const l of LANGUAGES) {
      const headline = form.querySelector(`#headline-${l}`).value.trim();
      const body = form.querySelector(`#body-${l}`).value.trim();
      const instruction = form.querySelector(`#instruction-${l}`).value.trim();
      if (headline || body) texts[l] = { headline, body, instruction: instruction || undefined };
    }
    const selectedChannels = checked('channel');
    return {
      status: exercise.checked ? 'Exercise' : 'Actual',
      msgType: 'Alert',
      event: TEMPLATES[hazard.value].event,
      severity: severity.value, urgency: urgency.value, certainty: certainty.value,
      area: areaSpec(),
      audience: audienceSpec(),
      channels: selectedChannels.length ? selectedChannels : undefined,
      texts,
    };
  }

  // ---------- live count ----------
  let inFlight;
  let sequence = 0;
  async function preview() {
    const area = areaSpec();
    highlightAreas();
    if (!area) {
      // Nothing chosen any more: a count still on its way is for an area that is gone.
      inFlight?.abort();
      sequence++;
      count.textContent = '—';
      delete count.dataset.recipients;
      clear(countDetail).append(h('p', { class: 'muted' }, t('compose.noArea')));
      return;
    }
    inFlight?.abort();
    inFlight = new AbortController();
    const mine = ++sequence;
    const selectedChannels = checked('channel');
    try {
      const r = await api('POST', '/api/targeting/preview', { area, audience: audienceSpec(), channels: selectedChannels.length ? selectedChannels : undefined },
        { signal: inFlight.signal });
      if (mine !== sequence) return;
      count.textContent = t('compose.recipients', { n: formatNumber(r.recipients) });
      count.dataset.recipients = String(r.recipients);
      clear(countDetail).append(
        h('p', { class: 'muted' }, `${t('compose.unreachable', { n: formatNumber(r.unreachable) })} · ${t('compose.elapsed', { ms: r.elapsedMs })}`),
        table(t('compose.byChannel'), 'by-channel', Object.entries(r.byChannel ?? {}).map(([name, n]) => [name, n])),
        table(t('compose.byArea'), 'by-area', Object.values(r.byArea ?? {}).map(a => [a.name, a.recipients])));
    } catch (e) {
      if (e.name === 'AbortError') return;
      count.textContent = '—';
      delete count.dataset.recipients;
      clear(countDetail).append(h('p', { class: 'error' }, t('compose.error', { e: e.code ?? e.message })));
    }
  }
  const schedulePreview = debounce(preview, 250);

  function highlightAreas() {
    const ids = new Set(checked('area'));
    for (const [id, layer] of areaLayerById) {
      const area = areas.find(a => a.id === id);
      layer.setStyle(ids.has(id) ? { ...areaStyle(area.kind), color: '#dc2626', weight: 3, fillOpacity: 0.3 } : areaStyle(area.kind));
    }
  }

  // ---------- texts and previews ----------
  function applyTemplate() {
    const template = TEMPLATES[hazard.value];
    severity.value = template.severity;
    urgency.value = template.urgency;
    certainty.value = template.certainty;
    for (const l of LANGUAGES) {
      const [headline, body, instruction] = template[l];
      form.querySelector(`#headline-${l}`).value = headline;
      form.querySelector(`#body-${l}`).value = body;
      form.querySelector(`#instruction-${l}`).value = instruction;
    }
    renderPreviews();
  }

  function renderMode() {
    banner.textContent = t(exercise.checked ? 'compose.exerciseBanner' : 'compose.actualBanner');
    banner.dataset.mode = exercise.checked ? 'exercise' : 'actual';
    form.dataset.mode = banner.dataset.mode;
  }

  function renderPreviews() {
    clear(previews);
    const headline = form.querySelector('#headline-ja').value;
    const body = form.querySelector('#body-ja').value;
    const instruction = form.querySelector('#instruction-ja').value;
    const marker = exercise.checked ? '【訓練】' : '';
    const names = checked('channel').length ? checked('channel') : channels.map(c => c.name);
    for (const name of names.length ? names : ['signalr']) {
      const [titleMax, bodyMax] = CHANNEL_LIMITS[name] ?? [null, null];
      const title = clip(marker + headline, titleMax);
      const text = clip([body, instruction].filter(Boolean).join('\n'), bodyMax);
      previews.append(h('article', { class: 'channel-preview', 'aria-label': name },
        h('h4', {}, name), h('p', { class: 'preview-title' }, title), h('p', { class: 'preview-body' }, text)));
    }
  }

  // ---------- submit ----------
  form.addEventListener('submit', async event => {
    event.preventDefault();
    result.textContent = '';
    try {
      const draft = await api('POST', '/api/alert-drafts', alertRequest());
      form.dataset.sent = 'true';
      result.textContent = t('compose.submitted', { id: draft?.id ?? '' });
      result.dataset.draftId = draft?.id ?? '';
      announce(result.textContent);
    } catch (e) {
      result.textContent = t('compose.error', { e: `${e.code ?? ''} ${e.message}` });
    }
  });

  async function issueNow() {
    result.textContent = '';
    if (!bypassReason.value.trim()) {
      result.textContent = t('compose.bypassNeedsReason');
      bypassReason.focus();
      return;
    }
    try {
      const issued = await api('POST', '/api/alerts', { ...alertRequest(), bypassReason: bypassReason.value.trim() });
      form.dataset.sent = 'true';
      result.textContent = t('compose.issued', { id: issued.id });
      ctx.navigate(`board/${issued.id}`);
    } catch (e) {
      result.textContent = t('compose.error', { e: `${e.code ?? ''} ${e.message}` });
    }
  }

  hazard.addEventListener('change', applyTemplate);
  exercise.addEventListener('change', () => { renderMode(); renderPreviews(); });
  form.addEventListener('change', event => {
    if (['area', 'householdTag', 'language', 'channel'].includes(event.target.name)) schedulePreview();
    if (event.target.name === 'channel') renderPreviews();
  });
  form.addEventListener('input', event => { if (event.target.closest('.texts')) renderPreviews(); });
  function keep() {
    const values = {};
    for (const control of form.querySelectorAll('input[id], select[id], textarea[id]')) {
      values[control.id] = control.type === 'checkbox' ? control.checked : control.value;
    }
    const boxes = {};
    for (const box of form.querySelectorAll('input[type=checkbox][name]')) {
      (boxes[box.name] ??= []).push(...(box.checked ? [box.value] : []));
    }
    keptDraft = { values, boxes, drawn: drawn.map(({ layer, ...shape }) => shape) };
  }

  function restore(draft) {
    for (const [id, value] of Object.entries(draft.values)) {
      const control = form.querySelector(`#${CSS.escape(id)}`);
      if (!control) continue;
      if (control.type === 'checkbox') control.checked = value;
      else control.value = value;
    }
    for (const box of form.querySelectorAll('input[type=checkbox][name]')) {
      box.checked = (draft.boxes[box.name] ?? []).includes(box.value);
    }
    for (const shape of draft.drawn) addDrawn(shape);
    highlightAreas();
    renderPreviews();
  }

  renderMode();
  if (keptDraft) {
    restore(keptDraft);
    renderMode();
  } else {
    applyTemplate();
  }
  preview();
  // A sent alert starts the next compose afresh; anything else is kept for the next mount.
  return () => { if (form.dataset.sent === 'true') keptDraft = null; else keep(); inFlight?.abort(); map.remove(); };
}

function round(value) {
  return Math.round(value * 1e6) / 1e6;
}

function clip(text, max) {
  return max && text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function table(caption, id, rows) {
  return h('table', { id, class: 'numbers' }, h('caption', {}, caption),
    h('tbody', {}, rows.map(([name, n]) => h('tr', {}, h('th', { scope: 'row' }, name), h('td', {}, formatNumber(n))))));
}
