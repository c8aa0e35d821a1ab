// Compose an alert: a starting text from the hub's templates (per hazard and language, editable by admins), areas picked
// from the list or drawn on the map (draw.js), audience filters, a live recipient count from POST /api/targeting/preview
// (debounced; a newer request aborts the older one), and the texts exactly as each channel will render them (POST
// /api/alerts/render-preview: the hub's own renderer, markers and length limits included). Then submit for approval
// (POST /api/alert-drafts) or, in an emergency and with a reason, issue at once after the confirmation screen.
import * as L from '/lib/leaflet/leaflet-src.esm.js';
import { api, h, t, clear, debounce, createMap, formatNumber, announce } from '/shared/common.js';
import { areaLayers, areaStyle } from './layers.js';
import { createDrawTool } from './draw.js';
import { confirmSend, groupByText } from './confirm.js';
import { channelLabel, languageLabel, severityLabel, urgencyLabel, certaintyLabel, tagLabel, problemText } from './labels.js';
import { fill } from './dom.js';

const BASE_LANGUAGES = ['ja', 'ja-x-easy', 'en'];
const AUDIENCE_LANGUAGES = ['ja', 'ja-x-easy', 'en', 'zh', 'ko', 'vi'];
const SEVERITIES = ['Extreme', 'Severe', 'Moderate', 'Minor'];
const URGENCIES = ['Immediate', 'Expected', 'Future'];
const CERTAINTIES = ['Observed', 'Likely', 'Possible'];

function field(id, label, control, extra) {
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, extra);
}

function select(id, values, selected, label) {
  return h('select', { id, name: id }, values.map(v => h('option', { value: v, selected: v === selected }, label(v))));
}

// What staff had entered, kept while the page lives: switching the language (or any re-render of this view)
// must not throw away a half-written alert at 3 a.m. Cleared once the alert is submitted or issued.
let keptDraft = null;

export async function mount(container, ctx) {
  const form = h('form', { class: 'compose', id: 'compose-form', 'aria-labelledby': 'compose-title', novalidate: true });
  const banner = h('p', { class: 'mode-banner', id: 'mode-banner', role: 'status' });
  const exercise = h('input', { type: 'checkbox', id: 'exercise', checked: true });

  let templates = [];
  try { templates = await api('GET', '/api/compose-templates'); } catch { templates = []; }
  const hazard = h('select', { id: 'hazard' }, h('option', { value: '' }, t('compose.noTemplate')),
    templates.map((tpl, i) => h('option', { value: tpl.id, selected: i === 0 }, tpl.name)));
  const eventName = h('input', { id: 'event', maxlength: 100, autocomplete: 'off' });
  const severity = select('severity', SEVERITIES, 'Severe', severityLabel);
  const urgency = select('urgency', URGENCIES, 'Immediate', urgencyLabel);
  const certainty = select('certainty', CERTAINTIES, 'Likely', certaintyLabel);

  const { areas, byKind } = await areaLayers(L);
  const areaList = h('fieldset', { class: 'area-list', id: 'area-list' }, h('legend', {}, t('compose.areas')),
    h('p', { class: 'hint' }, t('compose.areasHelp')),
    [...new Set(areas.map(a => a.kind))].map(kind => h('fieldset', { class: 'area-kind' }, h('legend', {}, t(`kind.${kind}`)),
      areas.filter(a => a.kind === kind).map(a => h('label', { class: 'check' },
        h('input', { type: 'checkbox', name: 'area', value: a.id, dataset: { name: a.name } }), a.name)))));

  const tagsBox = h('fieldset', { id: 'household-tags' }, h('legend', {}, t('compose.householdTags')),
    (ctx.config.householdTags ?? []).map(tag => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'householdTag', value: tag }), tagLabel(tag))));
  const languagesBox = h('fieldset', { id: 'languages' }, h('legend', {}, t('compose.languages')),
    AUDIENCE_LANGUAGES.map(l => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'language', value: l }), languageLabel(l))));
  let channels = [];
  try { channels = (await api('GET', '/api/channels')).filter(c => c.kind === 'push' && c.enabled); } catch { channels = []; }
  const channelsBox = h('fieldset', { id: 'channels' }, h('legend', {}, t('compose.channels')),
    channels.map(c => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'channel', value: c.name }), channelLabel(c.name))));

  const languages = [...BASE_LANGUAGES];
  const textsBox = h('fieldset', { class: 'texts', id: 'texts' }, h('legend', {}, t('compose.texts')));
  function textFields(l) {
    const counter = h('span', { class: 'hint counter', id: `headline-${l}-count`, 'aria-live': 'off' });
    return h('fieldset', { class: 'text-lang', lang: l.startsWith('ja') ? 'ja' : l, dataset: { language: l } }, h('legend', {}, languageLabel(l)),
      field(`headline-${l}`, t('compose.headline'), h('input', { id: `headline-${l}`, maxlength: 200 }), counter),
      field(`body-${l}`, t('compose.body'), h('textarea', { id: `body-${l}`, rows: 3 })),
      field(`instruction-${l}`, t('compose.instruction'), h('textarea', { id: `instruction-${l}`, rows: 2 })));
  }
  for (const l of languages) textsBox.append(textFields(l));

  // The count panel is a live region: screen readers hear the new total without leaving the form.
  const count = h('output', { id: 'recipient-count', class: 'big-number', 'aria-live': 'polite', for: 'area-list' }, '—');
  const countDetail = h('div', { id: 'count-detail' });
  const previews = h('div', { id: 'channel-previews', 'aria-live': 'polite' });
  const markerWarnings = h('ul', { id: 'marker-warnings', class: 'confirm-warnings', role: 'alert' });
  const result = h('p', { id: 'compose-result', role: 'status', class: 'result' });
  const bypassReason = h('input', { id: 'bypass-reason', maxlength: 500 });
  const mapElement = h('div', { class: 'map', id: 'compose-map', role: 'region', 'aria-label': t('compose.areas') });

  form.append(
    h('h2', { id: 'compose-title' }, t('compose.title')),
    banner,
    h('div', { class: 'compose-grid' },
      h('div', { class: 'compose-main' },
        h('div', { class: 'row' },
          field('hazard', t('compose.template'), hazard),
          field('event', t('compose.event'), eventName),
          h('label', { class: 'check exercise-toggle' }, exercise, t('compose.exercise'))),
        h('div', { class: 'row' }, field('severity', t('compose.severity'), severity), field('urgency', t('compose.urgency'), urgency),
          field('certainty', t('compose.certainty'), certainty))),
      h('aside', { class: 'compose-side', 'aria-labelledby': 'count-title' },
        h('h3', { id: 'count-title' }, t('compose.count')), count, countDetail,
        h('h3', {}, t('compose.preview')), h('p', { class: 'hint' }, t('compose.previewHelp')), markerWarnings, previews,
        h('div', { class: 'actions' },
          h('button', { type: 'submit', class: 'primary', id: 'submit-draft' }, t('compose.submit')),
          // Only approvers may skip the second person (the hub answers alerts.approval_required otherwise).
          ctx.hasRole('approver') ? field('bypass-reason', t('compose.bypassReason'), bypassReason) : null,
          ctx.hasRole('approver') ? h('button', { type: 'button', class: 'danger', id: 'bypass', onclick: () => issueNow() }, t('compose.bypass')) : null),
        result)));
  const main = form.querySelector('.compose-main');
  main.append(mapElement, areaList, h('fieldset', {}, h('legend', {}, t('compose.audience')), tagsBox, languagesBox, channelsBox), textsBox);
  container.append(form);

  // ---------- map and drawing ----------
  // The map is made once its element is in the page: Leaflet sizes and centres it from the element's box.
  const map = createMap(L, mapElement, ctx.config, { doubleClickZoom: false });
  const areaLayerById = new Map();
  for (const group of byKind.values()) {
    group.addTo(map);
    group.eachLayer(layer => areaLayerById.set(layer.areaId, layer));
  }
  const draw = createDrawTool(L, map, mapElement, { onChange: () => schedulePreview() });
  mapElement.before(draw.toolbar, draw.help);
  mapElement.after(draw.circleEntry, draw.list);

  // ---------- the request ----------
  const checked = name => [...form.querySelectorAll(`input[name="${name}"]:checked`)].map(i => i.value);

  function areaSpec() {
    const spec = { ...draw.areaParts() };
    const ids = checked('area');
    if (ids.length) spec.areaIds = ids;
    return Object.keys(spec).length ? spec : null;
  }

  function audienceSpec() {
    const audience = {};
    const tags = checked('householdTag');
    const wanted = checked('language');
    if (tags.length) audience.householdTags = { any: tags };
    if (wanted.length) audience.languages = { any: wanted };
    return Object.keys(audience).length ? audience : null;
  }

  function alertRequest() {
    const texts = {};
    for (const l of languages) {
      const headline = form.querySelector(`#headline-${CSS.escape(l)}`).value.trim();
      const body = form.querySelector(`#body-${CSS.escape(l)}`).value.trim();
      const instruction = form.querySelector(`#instruction-${CSS.escape(l)}`).value.trim();
      if (headline || body) texts[l] = { headline, body, instruction: instruction || undefined };
    }
    const selectedChannels = checked('channel');
    return {
      status: exercise.checked ? 'Exercise' : 'Actual',
      msgType: 'Alert',
      event: eventName.value.trim(),
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
  async function countRecipients() {
    const area = areaSpec();
    highlightAreas();
    if (!area) {
      // Nothing chosen any more: a count still on its way is for an area that is gone.
      inFlight?.abort();
      sequence++;
      count.textContent = '—';
      delete count.dataset.recipients;
      fill(countDetail, h('p', { class: 'muted' }, t('compose.noArea')));
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
      fill(countDetail, 
        h('p', { class: 'muted' }, `${t('compose.unreachable', { n: formatNumber(r.unreachable) })} · ${t('compose.elapsed', { ms: r.elapsedMs })}`),
        table(t('compose.byChannel'), 'by-channel', Object.entries(r.byChannel ?? {}).map(([name, n]) => [channelLabel(name), n])),
        table(t('compose.byArea'), 'by-area', Object.values(r.byArea ?? {}).map(a => [a.name, a.recipients])));
    } catch (e) {
      if (e.name === 'AbortError') return;
      count.textContent = '—';
      delete count.dataset.recipients;
      fill(countDetail, h('p', { class: 'error' }, problemText(e)));
    }
  }

  function highlightAreas() {
    const ids = new Set(checked('area'));
    for (const [id, layer] of areaLayerById) {
      const area = areas.find(a => a.id === id);
      layer.setStyle(ids.has(id) ? { ...areaStyle(area.kind), color: '#dc2626', weight: 3, fillOpacity: 0.3 } : areaStyle(area.kind));
    }
  }

  // ---------- what residents will read ----------
  let renderFlight;
  let renderSequence = 0;
  async function renderPreviews() {
    renderFlight?.abort();
    renderFlight = new AbortController();
    const mine = ++renderSequence;
    const request = alertRequest();
    updateCounters();
    if (!Object.keys(request.texts).length) {
      clear(markerWarnings);
      fill(previews, h('p', { class: 'muted' }, t('compose.previewEmpty')));
      return;
    }
    try {
      // Only the texts matter here: the count has its own, faster request.
      const preview = await api('POST', '/api/alerts/render-preview', { kind: 'alert', alert: { ...request, area: null } }, { signal: renderFlight.signal });
      if (mine !== renderSequence) return;
      fill(markerWarnings, preview.warnings.map(w => h('li', {},
        t(`confirm.warning.${w.code}`, { marker: w.marker, language: languageLabel(w.language), field: t(`compose.${w.field}`) }))));
      fill(previews, preview.languages.map(language => h('section', { class: 'confirm-language', lang: language.startsWith('ja') ? 'ja' : language, dataset: { language } },
        h('h4', {}, languageLabel(language)),
        groupByText(preview.renderings, language).map(({ channels: names, text, publishes }) => h('article', { class: 'channel-preview', dataset: { channels: names.join(' ') } },
          h('p', { class: 'rendered-channels' }, names.map(channelLabel).join('・'),
            text.truncated ? h('span', { class: 'badge-truncated' }, t('confirm.truncated')) : null,
            publishes ? null : h('span', { class: 'badge-truncated' }, t('confirm.notPublished'))),
          h('p', { class: 'preview-title' }, text.headline),
          h('p', { class: 'preview-body' }, text.body),
          text.instruction ? h('p', { class: 'preview-body preview-instruction' }, text.instruction) : null)))));
    } catch (e) {
      if (e.name === 'AbortError' || mine !== renderSequence) return;
      fill(previews, h('p', { class: 'error' }, problemText(e)));
    }
  }
  const schedulePreview = debounce(() => countRecipients(), 250);
  const scheduleRender = debounce(() => renderPreviews(), 300);

  /** The headline's length against the shortest title limit of the channels it goes to (the hub shortens beyond it). */
  function updateCounters() {
    const names = checked('channel').length ? checked('channel') : channels.map(c => c.name);
    const limited = channels.filter(c => names.includes(c.name) && c.limits?.maxTitleLength);
    const tightest = limited.reduce((min, c) => (!min || c.limits.maxTitleLength < min.limits.maxTitleLength ? c : min), null);
    for (const l of languages) {
      const input = form.querySelector(`#headline-${CSS.escape(l)}`);
      const counter = form.querySelector(`#headline-${CSS.escape(l)}-count`);
      const length = [...input.value].length;
      counter.textContent = tightest
        ? t('compose.headlineCount', { n: length, max: tightest.limits.maxTitleLength, channel: channelLabel(tightest.name) })
        : t('compose.headlineCountPlain', { n: length });
      counter.classList.toggle('over', !!tightest && length > tightest.limits.maxTitleLength);
    }
  }

  // ---------- texts from a template ----------
  function applyTemplate() {
    const template = templates.find(x => x.id === hazard.value);
    if (!template) return;
    eventName.value = template.event;
    severity.value = SEVERITIES.includes(template.severity) ? template.severity : 'Severe';
    urgency.value = URGENCIES.includes(template.urgency) ? template.urgency : 'Immediate';
    certainty.value = CERTAINTIES.includes(template.certainty) ? template.certainty : 'Likely';
    for (const l of Object.keys(template.texts ?? {})) {
      if (!languages.includes(l)) {
        languages.push(l);
        textsBox.append(textFields(l));
      }
    }
    for (const l of languages) {
      const text = template.texts?.[l] ?? {};
      form.querySelector(`#headline-${CSS.escape(l)}`).value = text.headline ?? '';
      form.querySelector(`#body-${CSS.escape(l)}`).value = text.body ?? '';
      form.querySelector(`#instruction-${CSS.escape(l)}`).value = text.instruction ?? '';
    }
    scheduleRender();
  }

  function renderMode() {
    banner.textContent = t(exercise.checked ? 'compose.exerciseBanner' : 'compose.actualBanner');
    banner.dataset.mode = exercise.checked ? 'exercise' : 'actual';
    form.dataset.mode = banner.dataset.mode;
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
      result.textContent = problemText(e);
    }
  });

  async function issueNow() {
    result.textContent = '';
    const reason = bypassReason.value.trim();
    if (!reason) {
      result.textContent = t('compose.bypassNeedsReason');
      bypassReason.focus();
      return;
    }
    const request = alertRequest();
    const confirmed = await confirmSend(ctx, 'bypass', { kind: 'alert', alert: request }, { bypassReason: reason });
    if (!confirmed) {
      result.textContent = t('confirm.notSent');
      return;
    }
    try {
      const issued = await api('POST', '/api/alerts', { ...request, bypassReason: reason });
      form.dataset.sent = 'true';
      result.textContent = t('compose.issued', { id: issued.id });
      ctx.navigate(`board/${issued.id}`);
    } catch (e) {
      result.textContent = problemText(e);
    }
  }

  hazard.addEventListener('change', applyTemplate);
  exercise.addEventListener('change', () => { renderMode(); scheduleRender(); });
  form.addEventListener('change', event => {
    if (['area', 'householdTag', 'language', 'channel'].includes(event.target.name)) schedulePreview();
    if (event.target.name === 'channel' || ['severity', 'urgency', 'certainty'].includes(event.target.id)) scheduleRender();
  });
  form.addEventListener('input', event => { if (event.target.closest('.texts') || event.target === eventName) scheduleRender(); });

  function keep() {
    const values = {};
    for (const control of form.querySelectorAll('input[id], select[id], textarea[id]')) {
      values[control.id] = control.type === 'checkbox' ? control.checked : control.value;
    }
    const boxes = {};
    for (const box of form.querySelectorAll('input[type=checkbox][name]')) {
      (boxes[box.name] ??= []).push(...(box.checked ? [box.value] : []));
    }
    keptDraft = { values, boxes, languages: [...languages], drawn: draw.shapes() };
  }

  function restore(kept) {
    for (const l of kept.languages ?? []) {
      if (!languages.includes(l)) {
        languages.push(l);
        textsBox.append(textFields(l));
      }
    }
    for (const [id, value] of Object.entries(kept.values)) {
      const control = form.querySelector(`#${CSS.escape(id)}`);
      if (!control) continue;
      if (control.type === 'checkbox') control.checked = value;
      else control.value = value;
    }
    for (const box of form.querySelectorAll('input[type=checkbox][name]')) {
      box.checked = (kept.boxes[box.name] ?? []).includes(box.value);
    }
    draw.restore(kept.drawn);
    highlightAreas();
  }

  renderMode();
  if (keptDraft) {
    restore(keptDraft);
    renderMode();
  } else {
    applyTemplate();
  }
  countRecipients();
  renderPreviews();
  // A sent alert starts the next compose afresh; anything else is kept for the next mount.
  return () => { if (form.dataset.sent === 'true') keptDraft = null; else keep(); inFlight?.abort(); renderFlight?.abort(); map.remove(); };
}

function table(caption, id, rows) {
  return h('table', { id, class: 'numbers' }, h('caption', {}, caption),
    h('tbody', {}, rows.map(([name, n]) => h('tr', {}, h('th', { scope: 'row' }, name), h('td', {}, formatNumber(n))))));
}
