// The live delivery board: recent alerts, and for the chosen one its delivery per channel. Counts rise live
// from the hub's deliveryProgress events (per-batch increments), and the authoritative totals are re-read
// from GET /api/alerts/{id} shortly after each burst, so a missed event never leaves the board wrong.
import { api, h, t, clear, formatTime, formatNumber, announce } from '/shared/common.js';

/** Every outbox row of the alert, whatever its state: the people × channels it set out to reach. */
function targeted(s) {
  return s.queued + s.delivered + s.failed + s.gone + (s.expired ?? 0) + (s.superseded ?? 0) + (s.acknowledged ?? 0);
}

export async function mount(container, ctx, [selectedId]) {
  const alertList = h('ul', { id: 'alert-list', class: 'alert-list' });
  const detail = h('section', { id: 'alert-detail', 'aria-live': 'polite', 'aria-labelledby': 'detail-title' });
  container.append(h('h2', {}, t('board.title')), h('div', { class: 'board-grid' },
    h('nav', { 'aria-labelledby': 'alerts-title' }, h('h3', { id: 'alerts-title' }, t('board.alerts')), alertList), detail));

  let current = null; // the AlertView being shown
  let refreshTimer;

  async function loadList() {
    const alerts = await api('GET', '/api/alerts?limit=30');
    clear(alertList);
    for (const a of alerts) {
      alertList.append(h('li', {}, h('a', { href: `#/board/${a.id}`, 'aria-current': a.id === selectedId ? 'true' : null },
        `${formatTime(a.createdAt)} · v${a.version} · ${a.state}`, h('br'), h('small', {}, a.id))));
    }
    if (!selectedId && alerts.length) selectedId = alerts[0].id;
  }

  async function loadDetail() {
    if (!selectedId) {
      clear(detail).append(h('p', { class: 'muted', id: 'detail-title' }, t('board.select')));
      return;
    }
    current = await api('GET', `/api/alerts/${encodeURIComponent(selectedId)}`);
    render();
  }

  function render() {
    const doc = current.current;
    const ja = doc.texts?.ja ?? Object.values(doc.texts ?? {})[0] ?? {};
    const exercise = doc.status === 'Exercise';
    const rows = Object.entries(current.delivery.byChannel);
    const total = current.delivery.total;
    const reached = targeted(total) ? Math.round((100 * total.delivered) / targeted(total)) : 0;
    clear(detail).append(
      h('h3', { id: 'detail-title' }, `${exercise ? '【訓練】' : ''}${ja.headline ?? doc.event}`),
      h('p', {}, `${doc.event} · ${doc.severity} · ${doc.areaName} · v${current.version} · ${t('board.state', { s: current.state })}`),
      h('p', { class: 'coverage', id: 'coverage' }, t('board.coverage', { p: reached })),
      h('table', { class: 'numbers delivery', id: 'delivery-table' },
        h('caption', {}, `${t('board.live')} — ${formatTime(doc.sent)}`),
        h('thead', {}, h('tr', {}, [t('board.channel'), t('board.targeted'), t('board.delivered'), t('board.pending'), t('board.failed'), t('board.gone'), ''].map(c => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, rows.map(([name, s]) => row(name, s)), row(t('board.total'), total, 'total'))),
      actions(doc));
  }

  function row(name, s, id = name) {
    const all = targeted(s);
    const pct = all ? Math.min(100, (100 * s.delivered) / all) : 0;
    return h('tr', { dataset: { channel: id } },
      h('th', { scope: 'row' }, name),
      h('td', { class: 'targeted' }, formatNumber(all)),
      h('td', { class: 'delivered' }, formatNumber(s.delivered)),
      h('td', { class: 'pending' }, formatNumber(s.queued)),
      h('td', { class: 'failed' }, formatNumber(s.failed)),
      h('td', { class: 'gone' }, formatNumber(s.gone)),
      h('td', {}, h('progress', { max: 100, value: Math.round(pct), 'aria-label': `${name} ${Math.round(pct)}%` })));
  }

  function actions(doc) {
    if (current.state === 'cancelled' || !ctx.hasRole('issuer')) return null;
    const headline = h('input', { id: 'update-headline', value: doc.texts?.ja?.headline ?? '' });
    const body = h('textarea', { id: 'update-body', rows: 2 }, doc.texts?.ja?.body ?? '');
    const send = async (kind) => {
      try {
        if (kind === 'cancel') {
          if (!confirm(t('board.confirmCancel'))) return;
          await api('POST', `/api/alerts/${encodeURIComponent(current.id)}/cancel`, {});
        } else if (kind === 'allClear') {
          // The hub writes the 【解除】 texts in every language the alert went out in and sends them only to
          // the people an earlier version reached.
          if (!confirm(t('board.confirmAllClear'))) return;
          await api('POST', `/api/alerts/${encodeURIComponent(current.id)}/all-clear`, {});
        } else {
          const update = { texts: { ...doc.texts, ja: { headline: headline.value, body: body.value, instruction: doc.texts?.ja?.instruction } } };
          if (!await sendUpdate(update)) return;
        }
        announce(t('saved'));
        await loadDetail();
        await loadList();
      } catch (e) {
        announce(t('compose.error', { e: e.code ?? e.message }));
      }
    };
    // Under the two-person rule an update that changes the texts, the hazard, the severity or who hears it waits for
    // an approver (the hub answers alerts.approval_required); an approver may send it at once with a reason.
    async function sendUpdate(update) {
      const url = `/api/alerts/${encodeURIComponent(current.id)}`;
      try {
        await api('POST', `${url}/update`, update);
        return true;
      } catch (e) {
        if (e.code === 'alerts.bypass_reason_required') {
          const reason = prompt(t('board.bypassPrompt'));
          if (reason?.trim()) {
            await api('POST', `${url}/update`, { ...update, bypassReason: reason.trim() });
            return true;
          }
        } else if (e.code !== 'alerts.approval_required') {
          throw e;
        }

        await api('POST', `${url}/update-drafts`, update);
        announce(t('board.updateSubmitted'));
        return false;
      }
    }

    return h('fieldset', { class: 'actions' }, h('legend', {}, t('board.update')),
      h('label', { for: 'update-headline' }, t('board.updateHeadline')), headline,
      h('label', { for: 'update-body' }, t('board.updateBody')), body,
      h('div', { class: 'toolbar' },
        h('button', { type: 'button', id: 'send-update', onclick: () => send('update') }, t('board.update')),
        h('button', { type: 'button', id: 'send-all-clear', onclick: () => send('allClear') }, t('board.allClear')),
        h('button', { type: 'button', id: 'send-cancel', class: 'danger', onclick: () => send('cancel') }, t('board.cancel'))));
  }

  // Live increments between the authoritative re-reads.
  const offProgress = ctx.on('deliveryProgress', p => {
    if (p.alertId !== selectedId) return;
    // Always re-read shortly after: an event that lands while the first read is still in flight is not lost.
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(loadDetail, 700);
    if (!current || current.id !== p.alertId) return;
    const bump = s => {
      s.delivered += p.delivered; s.failed += p.failed; s.gone += p.gone;
      s.queued = Math.max(0, s.queued - p.delivered - p.failed - p.gone);
    };
    const channel = current.delivery.byChannel[p.channel];
    if (channel) bump(channel);
    bump(current.delivery.total);
    render();
  });
  const offIssued = ctx.on('alertIssued', () => loadList());

  await loadList();
  await loadDetail();
  return () => { offProgress(); offIssued(); clearTimeout(refreshTimer); };
}
