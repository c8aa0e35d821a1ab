// The delivery board. Left: every alert, newest first, searchable (words, 訓練/本番, state, dates) and readable at a
// glance — 訓練/本番, headline, state in Japanese, who wrote and who approved it, how many it reached. Right: the chosen
// alert's delivery per version and channel in counts that add up (対象 = 配信済 + 待機中 + 失敗 + 不要), residents whose
// page is closed shown as 未接続 rather than left "waiting" unexplained, acknowledgements and 安否 replies, and the
// follow-ups — 続報 in every language, 取消, 解除 — each through the confirmation screen. Counts rise live from the hub's
// deliveryProgress events and are re-read from GET /api/alerts/{id} shortly after each burst.
import { api, h, t, clear, formatTime, formatNumber, announce } from '/shared/common.js';
import { confirmSend } from './confirm.js';
import {
  channelLabel, languageLabel, severityLabel, statusLabel, alertStateLabel, msgTypeLabel, problemText, actorName,
} from './labels.js';
import { fill } from './dom.js';

const EXTRA_LANGUAGES = ['ja', 'ja-x-easy', 'en', 'zh', 'ko', 'vi', 'pt', 'tl', 'ne', 'id', 'th', 'es'];

// The history filter outlives a re-mount (picking another alert re-mounts this view).
let keptFilter = { q: '', status: '', state: '', from: '', to: '' };

function statusMarkEl(status) {
  const exercise = status !== 'Actual';
  return h('span', { class: `status-mark ${exercise ? 'exercise' : 'actual'}` }, statusLabel(status));
}

/** Who wrote and approved it, in words: 作成 A ／ 承認 B, or 承認省略 when an approver sent it alone. */
function peopleText(author, approver, bypass) {
  const parts = [t('board.author', { who: actorName(author) || '—' })];
  if (approver) parts.push(t('board.approver', { who: actorName(approver) }));
  else if (bypass) parts.push(t('board.bypassed'));
  else parts.push(t('board.noApproval'));
  return parts.join(' ／ ');
}

export async function mount(container, ctx, [selectedId]) {
  const alertList = h('ul', { id: 'alert-list', class: 'alert-list' });
  const listCount = h('p', { id: 'history-count', class: 'muted', role: 'status' });
  const detail = h('section', { id: 'alert-detail', 'aria-labelledby': 'detail-title' });
  const filter = historyFilter();
  container.append(h('h2', {}, t('board.title')), h('div', { class: 'board-grid' },
    h('nav', { 'aria-labelledby': 'alerts-title', class: 'board-list' }, h('h3', { id: 'alerts-title' }, t('board.alerts')), filter, listCount, alertList),
    detail));

  let current = null; // the AlertView being shown
  let refreshTimer;
  // Live increments arrive per burst; the board re-renders the numbers only, never the form being typed into.
  let numbersBox;

  function historyFilter() {
    const q = h('input', { id: 'history-q', type: 'search', value: keptFilter.q, maxlength: 200, autocomplete: 'off' });
    const status = h('select', { id: 'history-status' }, [['', 'board.filterAll'], ['Actual', 'alertStatus.Actual'], ['Exercise', 'alertStatus.Exercise'], ['Test', 'alertStatus.Test']]
      .map(([v, k]) => h('option', { value: v, selected: keptFilter.status === v }, t(k))));
    const state = h('select', { id: 'history-state' }, [['', 'board.filterAll'], ['active', 'board.filterActive'], ['cancelled', 'alertState.cancelled'],
      ['ended', 'alertState.ended'], ['expired', 'alertState.expired']].map(([v, k]) => h('option', { value: v, selected: keptFilter.state === v }, t(k))));
    const from = h('input', { id: 'history-from', type: 'date', value: keptFilter.from });
    const to = h('input', { id: 'history-to', type: 'date', value: keptFilter.to });
    const form = h('form', { id: 'history-filter', class: 'history-filter', role: 'search', 'aria-label': t('board.search') },
      h('div', { class: 'field' }, h('label', { for: q.id }, t('board.searchWords')), q),
      h('div', { class: 'row' },
        h('div', { class: 'field' }, h('label', { for: status.id }, t('board.filterStatus')), status),
        h('div', { class: 'field' }, h('label', { for: state.id }, t('board.filterState')), state)),
      h('div', { class: 'row' },
        h('div', { class: 'field' }, h('label', { for: from.id }, t('board.from')), from),
        h('div', { class: 'field' }, h('label', { for: to.id }, t('board.to')), to)),
      h('div', { class: 'toolbar' }, h('button', { type: 'submit', id: 'history-search' }, t('board.searchButton')),
        h('button', { type: 'button', class: 'secondary', id: 'history-reset', onclick: () => { form.reset(); q.value = ''; from.value = ''; to.value = ''; status.value = ''; state.value = ''; submit(); } },
          t('board.reset'))));
    const submit = () => {
      keptFilter = { q: q.value.trim(), status: status.value, state: state.value, from: from.value, to: to.value };
      loadList();
    };
    form.addEventListener('submit', event => { event.preventDefault(); submit(); });
    status.addEventListener('change', submit);
    state.addEventListener('change', submit);
    return form;
  }

  async function loadList() {
    const query = new URLSearchParams({ limit: '100' });
    if (keptFilter.q) query.set('q', keptFilter.q);
    if (keptFilter.status) query.set('status', keptFilter.status);
    if (keptFilter.state) query.set('state', keptFilter.state);
    // Dates are the city's days (JST), whatever the browser's zone.
    if (keptFilter.from) query.set('from', `${keptFilter.from}T00:00:00+09:00`);
    if (keptFilter.to) query.set('to', `${keptFilter.to}T23:59:59.999+09:00`);
    let alerts;
    try {
      alerts = await api('GET', `/api/alerts?${query}`);
    } catch (e) {
      clear(alertList);
      listCount.textContent = problemText(e);
      return [];
    }
    const filtered = keptFilter.q || keptFilter.status || keptFilter.state || keptFilter.from || keptFilter.to;
    listCount.textContent = filtered ? t('board.found', { n: alerts.length }) : t('board.recent', { n: alerts.length });
    clear(alertList);
    for (const a of alerts) {
      alertList.append(h('li', { dataset: { alertId: a.id, status: a.status, state: a.expired ? 'expired' : a.state } },
        h('a', { href: `#/board/${a.id}`, 'aria-current': a.id === selectedId ? 'true' : null },
          h('span', { class: 'list-marks' }, statusMarkEl(a.status),
            h('span', { class: `state-badge state-${a.expired ? 'expired' : a.state}` }, alertStateLabel(a.state, a.expired))),
          h('strong', { class: 'alert-headline' }, a.headline || a.event),
          h('span', { class: 'meta' }, `${formatTime(a.createdAt)} · ${a.event} · ${a.areaName || '—'} · ${t('board.versionShort', { v: a.version })} ${msgTypeLabel(a.msgType, a.allClear)}`),
          h('span', { class: 'meta people' }, peopleText(a.author, a.approver, a.bypass)),
          h('span', { class: 'meta' }, t('board.listNumbers', { n: formatNumber(a.recipients), acks: formatNumber(a.acks), safe: formatNumber(a.safety?.safe ?? 0), help: formatNumber(a.safety?.needHelp ?? 0) })))));
    }
    if (!alerts.length) alertList.append(h('li', { class: 'muted' }, t('board.nothingFound')));
    return alerts;
  }

  async function loadDetail() {
    if (!selectedId) {
      fill(detail, h('p', { class: 'muted', id: 'detail-title' }, t('board.select')));
      return;
    }
    try {
      current = await api('GET', `/api/alerts/${encodeURIComponent(selectedId)}`);
    } catch (e) {
      fill(detail, h('p', { class: 'error', id: 'detail-title' }, problemText(e)));
      return;
    }
    if (numbersBox?.isConnected && detail.dataset.alertId === current.id) renderNumbers();
    else render();
  }

  function latest() {
    return current.versions[current.versions.length - 1] ?? { version: current.version, delivery: null, deliveryByChannel: {} };
  }

  function render() {
    const doc = current.current;
    const ja = doc.texts?.ja ?? Object.values(doc.texts ?? {})[0] ?? {};
    const expired = current.state === 'issued' && doc.expires && Date.parse(doc.expires) <= Date.now();
    const people = current.provenance;
    detail.dataset.alertId = current.id;
    numbersBox = h('div', { id: 'delivery-numbers' });
    fill(detail, 
      h('h3', { id: 'detail-title' }, statusMarkEl(doc.status), ' ', ja.headline ?? doc.event),
      h('dl', { class: 'alert-facts', id: 'alert-facts' },
        h('dt', {}, t('board.stateLabel')), h('dd', { id: 'alert-state' }, alertStateLabel(current.state, expired)),
        h('dt', {}, t('compose.hazard')), h('dd', {}, `${doc.event} · ${severityLabel(doc.severity)}`),
        h('dt', {}, t('compose.areas')), h('dd', {}, doc.areaName || '—'),
        h('dt', {}, t('board.versionLabel')), h('dd', {}, `${t('board.versionShort', { v: current.version })} ${msgTypeLabel(doc.msgType, doc.allClear)} · ${formatTime(doc.sent)}`),
        h('dt', {}, t('board.people')), h('dd', { id: 'alert-people' }, people ? peopleText(people.author, people.approver, people.bypassReason) : '—'),
        people?.bypassReason ? [h('dt', {}, t('compose.bypassReason')), h('dd', {}, people.bypassReason)] : null,
        doc.expires ? [h('dt', {}, t('board.expires')), h('dd', {}, formatTime(doc.expires))] : null),
      numbersBox,
      actions(doc));
    renderNumbers();
  }

  /** The numbers part of the detail: replaced on every live update, leaving the 続報 form as it is. */
  function renderNumbers() {
    const version = latest();
    const total = version.delivery ?? { targeted: 0, delivered: 0, pending: 0, failed: 0, superseded: 0, offline: 0 };
    const needed = total.targeted - total.superseded;
    const coverage = needed > 0 ? Math.round((100 * total.delivered) / needed) : null;
    const safety = current.safety ?? { safe: 0, needHelp: 0 };
    const older = current.versions.slice(0, -1).reverse();
    fill(numbersBox, 
      h('div', { class: 'board-summary' },
        h('p', { class: 'stat coverage', id: 'coverage' }, coverage === null ? t('board.coverageNone') : t('board.coverage', { p: coverage }),
          h('span', { class: 'stat-detail' }, t('board.coverageDetail', { d: formatNumber(total.delivered), n: formatNumber(needed) }))),
        h('p', { class: 'stat', id: 'acks' }, t('board.acks', { n: formatNumber(current.delivery?.acks ?? 0) })),
        h('p', { class: 'stat', id: 'safety-counts' }, t('board.safety', { safe: formatNumber(safety.safe), help: formatNumber(safety.needHelp) }))),
      versionTable(version, 'delivery-table', true),
      h('p', { class: 'hint', id: 'delivery-legend' }, t('board.sumRule')),
      total.offline ? h('p', { class: 'hint offline-note', id: 'offline-note' }, t('board.offlineNote', { n: formatNumber(total.offline) })) : null,
      older.length ? h('details', { class: 'older-versions', id: 'older-versions' }, h('summary', {}, t('board.olderVersions', { n: older.length })),
        older.map(v => versionTable(v, `delivery-table-v${v.version}`, false))) : null);
  }

  function versionTable(version, id, isCurrent) {
    const rows = Object.entries(version.deliveryByChannel ?? {});
    const total = version.delivery ?? { targeted: 0, delivered: 0, pending: 0, offline: 0, failed: 0, superseded: 0 };
    const kind = msgTypeLabel(version.msgType, version.msgType === 'Update' && current.current.allClear && isCurrent);
    return h('table', { class: 'numbers delivery', id, dataset: { version: String(version.version) } },
      h('caption', {}, t(isCurrent ? 'board.versionCurrent' : 'board.versionOlder', { v: version.version, kind, at: formatTime(version.issuedAt) })),
      h('thead', {}, h('tr', {}, [t('board.channel'), t('board.targeted'), t('board.delivered'), t('board.pending'), t('board.offline'), t('board.failed'),
        t('board.superseded'), ''].map(c => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, rows.map(([name, s]) => row(channelLabel(name), s, name)), row(t('board.total'), total, 'total')));
  }

  function row(name, s, channel) {
    const needed = s.targeted - s.superseded;
    const pct = needed > 0 ? Math.min(100, (100 * s.delivered) / needed) : 0;
    return h('tr', { dataset: { channel } },
      h('th', { scope: 'row' }, name),
      h('td', { class: 'targeted' }, formatNumber(s.targeted)),
      h('td', { class: 'delivered' }, formatNumber(s.delivered)),
      h('td', { class: 'pending' }, formatNumber(s.pending)),
      h('td', { class: 'offline' }, formatNumber(s.offline ?? 0)),
      h('td', { class: 'failed' }, formatNumber(s.failed)),
      h('td', { class: 'superseded' }, formatNumber(s.superseded)),
      h('td', {}, h('progress', { max: 100, value: Math.round(pct), 'aria-label': `${name} ${Math.round(pct)}%` })));
  }

  // ---------- follow-ups ----------
  function actions(doc) {
    if (current.state === 'cancelled' || !ctx.hasRole('issuer')) return null;
    const ended = current.state === 'ended';
    const status = h('p', { role: 'status', id: 'board-action-status', class: 'result' });
    const languages = Object.keys(doc.texts ?? {});
    const fields = h('div', { id: 'update-texts' });
    const langField = language => {
      const text = doc.texts?.[language] ?? {};
      const id = suffix => `update-${suffix}-${language}`;
      return h('fieldset', { class: 'text-lang', lang: language.startsWith('ja') ? 'ja' : language, dataset: { language } }, h('legend', {}, languageLabel(language)),
        h('div', { class: 'field' }, h('label', { for: id('headline') }, t('compose.headline')), h('input', { id: id('headline'), value: text.headline ?? '', maxlength: 200 })),
        h('div', { class: 'field' }, h('label', { for: id('body') }, t('compose.body')), h('textarea', { id: id('body'), rows: 3 }, text.body ?? '')),
        h('div', { class: 'field' }, h('label', { for: id('instruction') }, t('compose.instruction')), h('textarea', { id: id('instruction'), rows: 2 }, text.instruction ?? '')));
    };
    for (const language of languages) fields.append(langField(language));
    const addLanguage = h('select', { id: 'update-add-language' });
    const fillAddable = () => {
      fill(addLanguage, EXTRA_LANGUAGES.filter(l => !languages.includes(l)).map(l => h('option', { value: l }, languageLabel(l))));
      addLanguage.closest('.field')?.toggleAttribute('hidden', !addLanguage.options.length);
    };

    function texts() {
      const result = {};
      for (const language of languages) {
        const value = suffix => detail.querySelector(`#update-${suffix}-${CSS.escape(language)}`).value.trim();
        const headline = value('headline');
        const body = value('body');
        if (headline || body) result[language] = { headline, body, instruction: value('instruction') || undefined };
      }
      return result;
    }

    async function sendUpdate() {
      status.textContent = '';
      const update = { texts: texts() };
      const url = `/api/alerts/${encodeURIComponent(current.id)}`;
      const choice = await confirmSend(ctx, 'update', { kind: 'update', alertId: current.id, update }, { canBypass: ctx.hasRole('approver') });
      if (!choice) { status.textContent = t('confirm.notSent'); return; }
      try {
        if (choice.submitForApproval) {
          await api('POST', `${url}/update-drafts`, update);
          status.textContent = t('board.updateSubmitted');
          announce(t('board.updateSubmitted'));
          return;
        }
        try {
          await api('POST', `${url}/update`, { ...update, bypassReason: choice.bypassReason || undefined });
        } catch (e) {
          // Someone changed the rule (or the alert) between the preview and the send: the update waits for an approver rather than being lost.
          if (e.code !== 'alerts.approval_required') throw e;
          await api('POST', `${url}/update-drafts`, update);
          status.textContent = t('board.updateSubmitted');
          announce(t('board.updateSubmitted'));
          return;
        }
        announce(t('board.sent'));
        await loadList();
        await loadDetail();
        render();
      } catch (e) {
        status.textContent = problemText(e);
      }
    }

    async function retract(kind) {
      status.textContent = '';
      const choice = await confirmSend(ctx, kind, { kind, alertId: current.id });
      if (!choice) { status.textContent = t('confirm.notSent'); return; }
      try {
        await api('POST', `/api/alerts/${encodeURIComponent(current.id)}/${kind === 'cancel' ? 'cancel' : 'all-clear'}`, {});
        announce(t('board.sent'));
        await loadList();
        await loadDetail();
        render();
      } catch (e) {
        status.textContent = problemText(e);
      }
    }

    const box = h('section', { class: 'board-actions', 'aria-labelledby': 'actions-title' }, h('h4', { id: 'actions-title' }, t('board.followUps')),
      ended ? h('p', { class: 'hint' }, t('board.endedHelp')) : h('fieldset', { class: 'actions update-form' }, h('legend', {}, t('board.update')),
        h('p', { class: 'hint' }, t('board.updateHelp')),
        fields,
        h('div', { class: 'row' },
          h('div', { class: 'field' }, h('label', { for: addLanguage.id }, t('board.addLanguage')), addLanguage),
          h('button', { type: 'button', class: 'secondary', id: 'update-add-language-button', onclick: () => {
            const language = addLanguage.value;
            if (!language || languages.includes(language)) return;
            languages.push(language);
            fields.append(langField(language));
            fillAddable();
            detail.querySelector(`#update-headline-${CSS.escape(language)}`).focus();
          } }, t('board.addLanguageButton'))),
        h('div', { class: 'toolbar' }, h('button', { type: 'button', id: 'send-update', class: 'primary', onclick: sendUpdate }, t('board.reviewUpdate')))),
      h('div', { class: 'toolbar' },
        ended ? null : h('button', { type: 'button', id: 'send-all-clear', onclick: () => retract('allClear') }, t('board.allClear')),
        h('button', { type: 'button', id: 'send-cancel', class: 'danger', onclick: () => retract('cancel') }, t('board.cancel'))),
      status);
    fillAddable();
    return box;
  }

  // Live increments between the authoritative re-reads.
  const offProgress = ctx.on('deliveryProgress', p => {
    if (p.alertId !== selectedId) return;
    // Always re-read shortly after: an event that lands while the first read is still in flight is not lost.
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(loadDetail, 700);
    if (!current || current.id !== p.alertId) return;
    const version = current.versions.find(v => v.version === p.version);
    if (!version?.delivery) return;
    const bump = s => {
      const done = p.delivered + p.failed + p.gone;
      s.delivered += p.delivered; s.failed += p.failed + p.gone; s.gone += p.gone;
      s.pending = Math.max(0, s.pending - done);
      s.offline = Math.min(s.offline ?? 0, s.pending);
    };
    const channel = version.deliveryByChannel?.[p.channel];
    if (channel) bump(channel);
    bump(version.delivery);
    if (numbersBox?.isConnected) renderNumbers();
  });
  const offIssued = ctx.on('alertIssued', () => loadList());

  const alerts = await loadList();
  if (!selectedId && alerts.length) {
    selectedId = alerts[0].id;
    alertList.querySelector(`li[data-alert-id="${CSS.escape(selectedId)}"] a`)?.setAttribute('aria-current', 'true');
  }
  await loadDetail();
  return () => { offProgress(); offIssued(); clearTimeout(refreshTimer); };
}
