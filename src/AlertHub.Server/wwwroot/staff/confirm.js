// The one confirmation screen before anything reaches residents (issue, emergency bypass, approve, update, cancel,
// all-clear): 訓練 or 実配信 in large type, the area on a map, how many people it reaches (per channel and district),
// the audience and channels, and every language's text exactly as each channel will render it — from the hub's own
// renderer (POST /api/alerts/render-preview), markers included. Sending needs an explicit click; a real alert also needs
// the number of people typed in, so a tired hand cannot send thousands of phones a real alert by one stray click.
import * as L from '/lib/leaflet/leaflet-src.esm.js';
import { api, h, t, clear, createMap, formatNumber } from '/shared/common.js';
import { areaSpecLayers, ALERT_STYLES } from './layers.js';
import {
  channelLabel, languageLabel, severityLabel, urgencyLabel, certaintyLabel, tagLabel, problemText, msgTypeLabel,
} from './labels.js';
import { fill } from './dom.js';

const SEND_LABELS = {
  issue: 'confirm.sendIssue', bypass: 'confirm.sendBypass', approve: 'confirm.sendApprove', update: 'confirm.sendUpdate',
  cancel: 'confirm.sendCancel', allClear: 'confirm.sendAllClear',
};

/** Digits as typed on a Japanese keyboard (全角, with separators) → a number, or NaN. */
export function typedNumber(text) {
  const ascii = String(text ?? '').replace(/[０-９]/g, d => String.fromCharCode(d.charCodeAt(0) - 0xfee0)).replace(/[,，、\s人]/g, '');
  return /^\d+$/.test(ascii) ? Number(ascii) : Number.NaN;
}

function audienceText(audience) {
  if (!audience) return t('confirm.everyone');
  const parts = [];
  const list = (filter, label) => ['any', 'all', 'none'].flatMap(mode => (filter?.[mode]?.length ? [t(`confirm.filter.${mode}`, { v: filter[mode].map(label).join('・') })] : []));
  if (audience.householdTags) parts.push(`${t('confirm.household')}: ${list(audience.householdTags, tagLabel).join(' / ')}`);
  if (audience.languages) parts.push(`${t('confirm.languages')}: ${list(audience.languages, languageLabel).join(' / ')}`);
  if (audience.tags) parts.push(`${t('confirm.tags')}: ${list(audience.tags, v => v).join(' / ')}`);
  return parts.length ? parts.join('、') : t('confirm.everyone');
}

function numbers(id, caption, rows) {
  return h('table', { id, class: 'numbers' }, h('caption', {}, caption),
    h('tbody', {}, rows.map(([name, n]) => h('tr', {}, h('th', { scope: 'row' }, name), h('td', {}, formatNumber(n))))));
}

/**
 * Shows the confirmation for `action` and the render-preview `request` ({kind, alertId, alert | update | texts}).
 * `options.canBypass`: the signed-in person may send an update that needs approval at once, with a reason.
 * Resolves to null when nothing is to be sent, else {submitForApproval, bypassReason}.
 */
export function confirmSend(ctx, action, request, options = {}) {
  return new Promise(resolve => {
    let result = null;
    let map;
    const body = h('div', { class: 'confirm-body', id: 'confirm-body' }, h('p', { class: 'muted' }, t('loading')));
    const dialog = h('dialog', { id: 'send-confirm', class: 'confirm', 'aria-labelledby': 'confirm-title' },
      h('h2', { id: 'confirm-title', tabindex: '-1' }, t(`confirm.title.${action}`)), body);
    dialog.addEventListener('close', () => {
      map?.remove();
      dialog.remove();
      resolve(result);
    });
    document.body.append(dialog);
    dialog.showModal();
    dialog.querySelector('#confirm-title').focus();

    const back = () => h('button', { type: 'button', class: 'secondary', id: 'confirm-cancel', onclick: () => dialog.close() }, t('confirm.back'));

    api('POST', '/api/alerts/render-preview', request).then(preview => render(preview), error => {
      fill(body, h('p', { class: 'error', role: 'alert', id: 'confirm-error' }, problemText(error)), h('div', { class: 'actions' }, back()));
    });

    function render(preview) {
      const exercise = preview.status === 'Exercise';
      const mode = exercise ? 'exercise' : preview.status === 'Test' ? 'test' : 'actual';
      const reach = preview.reach;
      const people = reach.recipients ?? 0;
      const needsApproval = action === 'update' && (preview.needsApproval?.length ?? 0) > 0;

      const banner = h('div', { class: 'confirm-mode', id: 'confirm-mode', dataset: { mode } },
        h('strong', {}, t(`confirm.mode.${mode}`)), h('span', {}, t(`confirm.modeHelp.${mode}`)));

      const count = h('div', { class: 'confirm-count', id: 'confirm-count', dataset: { recipients: String(people) } },
        h('span', { class: 'label' }, t(reach.rule === 'previouslyReached' ? 'confirm.countRetraction' : 'confirm.count')),
        h('span', { class: 'big-number' }, t('compose.recipients', { n: formatNumber(people) })),
        reach.rule === 'targetedAndPrevious' ? h('p', { class: 'hint' }, t('confirm.countUpdate', { n: formatNumber(reach.targeted ?? 0) })) : null,
        reach.rule === 'previouslyReached' ? h('p', { class: 'hint' }, t('confirm.retractionHelp')) : null,
        reach.unreachable ? h('p', { class: 'hint' }, t('compose.unreachable', { n: formatNumber(reach.unreachable) })) : null);
      const perChannel = reach.rule === 'previouslyReached' || reach.rule === 'targetedAndPrevious'
        ? Object.entries(reach.previous ?? {}).map(([name, n]) => [channelLabel(name), n])
        : Object.entries(reach.byChannel ?? {}).map(([name, n]) => [channelLabel(name), n]);
      const breakdown = h('div', { class: 'confirm-breakdown' },
        numbers('confirm-by-channel', t(reach.rule === 'targeted' ? 'compose.byChannel' : 'confirm.byChannelPrevious'), perChannel),
        reach.rule === 'targetedAndPrevious' ? numbers('confirm-by-channel-new', t('confirm.byChannelNew'), Object.entries(reach.byChannel ?? {}).map(([n, c]) => [channelLabel(n), c])) : null,
        reach.byArea ? numbers('confirm-by-area', t('compose.byArea'), Object.values(reach.byArea).map(a => [a.name, a.recipients])) : null);

      const facts = h('dl', { class: 'confirm-facts', id: 'confirm-facts' },
        h('dt', {}, t('confirm.kind')), h('dd', {}, msgTypeLabel(preview.msgType, preview.allClear)),
        h('dt', {}, t('compose.areas')), h('dd', { id: 'confirm-area' }, preview.areaName || '—'),
        h('dt', {}, t('compose.audience')), h('dd', { id: 'confirm-audience' }, audienceText(preview.audience)),
        h('dt', {}, t('confirm.channels')), h('dd', { id: 'confirm-channels' }, preview.channels.map(channelLabel).join('、') || '—'),
        h('dt', {}, t('compose.hazard')), h('dd', {}, `${preview.event || '—'} · ${severityLabel(preview.severity)} · ${urgencyLabel(preview.urgency)} · ${certaintyLabel(preview.certainty)}`),
        h('dt', {}, t('confirm.languages')), h('dd', { id: 'confirm-languages' }, preview.languages.map(languageLabel).join('、')),
        options.bypassReason ? [h('dt', {}, t('compose.bypassReason')), h('dd', {}, options.bypassReason)] : null);

      const warnings = preview.warnings.length
        ? h('ul', { class: 'confirm-warnings', id: 'confirm-warnings', role: 'alert' }, preview.warnings.map(w => h('li', {},
          t(`confirm.warning.${w.code}`, { marker: w.marker, language: languageLabel(w.language), field: t(`compose.${w.field}`) }))))
        : null;

      const texts = h('div', { id: 'confirm-texts', class: 'confirm-texts' }, h('h3', {}, t('confirm.texts')),
        preview.languages.map(language => h('section', { class: 'confirm-language', lang: language.startsWith('ja') ? 'ja' : language, dataset: { language } },
          h('h4', {}, languageLabel(language)),
          groupByText(preview.renderings, language).map(({ channels, text, publishes }) => h('article', { class: 'rendered', dataset: { channels: channels.join(' ') } },
            h('p', { class: 'rendered-channels' }, channels.map(channelLabel).join('・'),
              text.truncated ? h('span', { class: 'badge-truncated' }, t('confirm.truncated')) : null,
              publishes ? null : h('span', { class: 'badge-truncated' }, t('confirm.notPublished'))),
            h('p', { class: 'preview-title' }, text.headline),
            h('p', { class: 'preview-body' }, text.body),
            text.instruction ? h('p', { class: 'preview-body preview-instruction' }, text.instruction) : null)))));

      // ---------- how it is sent ----------
      const reason = h('input', { id: 'confirm-bypass-reason', maxlength: 500 });
      const route = h('fieldset', { class: 'confirm-route', id: 'confirm-route' }, h('legend', {}, t('confirm.approvalNeeded')),
        h('p', {}, t('confirm.approvalChanges', { changes: preview.needsApproval?.map(c => t(`confirm.change.${c}`)).join('、') ?? '' })),
        options.canBypass ? [
          h('label', { class: 'check' }, h('input', { type: 'radio', name: 'route', value: 'draft', checked: true }), t('confirm.routeDraft')),
          h('label', { class: 'check' }, h('input', { type: 'radio', name: 'route', value: 'now' }), t('confirm.routeNow')),
          h('div', { class: 'field' }, h('label', { for: reason.id }, t('compose.bypassReason')), reason),
        ] : h('p', { class: 'hint' }, t('confirm.routeDraftOnly')));
      const typed = h('input', { id: 'confirm-typed', inputmode: 'numeric', autocomplete: 'off', 'aria-describedby': 'confirm-typed-help' });
      const typedBox = h('div', { class: 'field confirm-typed' },
        h('label', { for: typed.id }, t('confirm.typeCount', { n: formatNumber(people) })), typed,
        h('p', { class: 'hint', id: 'confirm-typed-help' }, t('confirm.typeCountHelp')));
      const send = h('button', { type: 'button', class: exercise ? 'primary' : 'danger primary', id: 'confirm-send' }, t(SEND_LABELS[action]));
      const status = h('p', { class: 'error', role: 'alert', id: 'confirm-status' });

      const draftRoute = () => needsApproval && (!options.canBypass || dialog.querySelector('input[name=route]:checked')?.value !== 'now');
      function update() {
        const asDraft = draftRoute();
        // Submitting for approval sends nothing to residents: the approver gets this same screen.
        typedBox.hidden = asDraft || mode !== 'actual';
        reason.closest('.field')?.toggleAttribute('hidden', !options.canBypass || asDraft);
        send.textContent = asDraft ? t('confirm.sendDraft') : t(SEND_LABELS[action]);
        const typedOk = typedBox.hidden || typedNumber(typed.value) === people;
        send.disabled = !typedOk;
        send.setAttribute('aria-disabled', String(!typedOk));
      }
      send.addEventListener('click', () => {
        const asDraft = draftRoute();
        if (!asDraft && needsApproval && !reason.value.trim()) {
          status.textContent = t('compose.bypassNeedsReason');
          reason.focus();
          return;
        }
        if (!typedBox.hidden && typedNumber(typed.value) !== people) {
          status.textContent = t('confirm.typeMismatch', { n: formatNumber(people) });
          typed.focus();
          return;
        }
        result = { submitForApproval: asDraft, bypassReason: !asDraft && needsApproval ? reason.value.trim() : options.bypassReason };
        dialog.close();
      });
      typed.addEventListener('input', update);
      route.addEventListener('change', update);

      const mapElement = h('div', { class: 'map confirm-map', id: 'confirm-map', role: 'img', 'aria-label': t('confirm.mapLabel', { area: preview.areaName || '—' }) });
      fill(body, banner,
        h('div', { class: 'confirm-grid' }, mapElement, h('div', {}, count, breakdown)),
        facts, warnings, texts,
        needsApproval ? route : null,
        h('div', { class: 'confirm-actions' }, typedBox, h('div', { class: 'actions' }, send, back()), status));
      update();
      drawMap(mapElement, preview, mode);
    }

    async function drawMap(element, preview, mode) {
      map = createMap(L, element, ctx.config);
      let areas = [];
      try { areas = (preview.area?.areaIds?.length || preview.area?.codes?.length) ? await api('GET', '/api/areas') : []; } catch { areas = []; }
      if (!dialog.open) return;
      const layers = areaSpecLayers(L, preview.area, areas, mode === 'actual' ? ALERT_STYLES.actual : ALERT_STYLES.exercise);
      const group = L.featureGroup(layers).addTo(map);
      map.invalidateSize();
      if (layers.length) map.fitBounds(group.getBounds(), { maxZoom: 15, padding: [12, 12], animate: false });
    }
  });
}

/** One language's texts per channel, channels whose rendering is identical shown once (with all their names). */
export function groupByText(renderings, language) {
  const groups = [];
  for (const r of renderings) {
    const text = r.texts.find(x => x.language === language);
    if (!text) continue;
    const same = groups.find(g => g.publishes === r.publishes && g.text.headline === text.headline && g.text.body === text.body
      && g.text.instruction === text.instruction);
    if (same) same.channels.push(r.channel);
    else groups.push({ channels: [r.channel], text, publishes: r.publishes });
  }
  return groups;
}
