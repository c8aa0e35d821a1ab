// Incoming disaster events (JMA, L-Alert, CAP) as the feeds recorded them, newest first, live via feedEvent. Every code
// (source, category, lifecycle, 訓練/試験) is shown in words; the feed's own product code stays beside the category for
// whoever has to look the telegram up.
import { api, h, t, clear, formatTime } from '/shared/common.js';
import { sourceLabel, categoryLabel, lifecycleLabel, operationalLabel } from './labels.js';

export async function mount(container, ctx) {
  const body = h('tbody');
  const table = h('table', { class: 'numbers events', id: 'events-table' },
    h('thead', {}, h('tr', {}, [t('events.time'), t('events.source'), t('events.category'), t('events.lifecycle'), t('events.headline'), t('events.raw')]
      .map(c => h('th', { scope: 'col' }, c)))), body);
  container.append(h('h2', {}, t('events.title')), h('div', { class: 'table-scroll' }, table));

  async function load() {
    const events = await api('GET', '/api/events');
    clear(body);
    if (!events.length) body.append(h('tr', {}, h('td', { colspan: 6, class: 'muted' }, t('events.none'))));
    for (const e of events) {
      const drill = e.operational !== 'Real';
      body.append(h('tr', { class: drill ? 'exercise' : null, dataset: { eventId: e.id } },
        h('td', {}, formatTime(e.issuedAt)),
        h('td', {}, sourceLabel(e.source)),
        h('td', {}, categoryLabel(e.category), h('br'), h('small', { class: 'muted code' }, e.family)),
        h('td', {}, lifecycleLabel(e.lifecycle), drill ? h('span', { class: 'status-mark exercise' }, operationalLabel(e.operational)) : null),
        h('td', {}, e.headline, e.alertId ? [' ', h('a', { href: `#/board/${encodeURIComponent(e.alertId)}` }, t('events.toAlert'))] : null),
        // The document as the feed sent it comes as a download (the hub never lets a browser render or run it).
        h('td', {}, h('a', { href: `/api/events/${encodeURIComponent(e.id)}/raw`, download: '' }, t('events.rawDownload')))));
    }
  }
  await load();
  const off = ctx.on('feedEvent', load);
  return off;
}
