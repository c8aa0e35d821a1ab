// Incoming disaster events (JMA, L-Alert, CAP) as the feeds recorded them, newest first, live via feedEvent.
import { api, h, t, clear, formatTime } from '/shared/common.js';

export async function mount(container, ctx) {
  const body = h('tbody');
  const table = h('table', { class: 'numbers events', id: 'events-table' },
    h('thead', {}, h('tr', {}, ['時刻 / time', 'source', 'family', 'lifecycle', 'headline', ''].map(c => h('th', { scope: 'col' }, c)))), body);
  container.append(h('h2', {}, t('events.title')), table);

  async function load() {
    const events = await api('GET', '/api/events');
    clear(body);
    if (!events.length) body.append(h('tr', {}, h('td', { colspan: 6, class: 'muted' }, t('events.none'))));
    for (const e of events) {
      body.append(h('tr', { class: e.operational !== 'Real' ? 'exercise' : null },
        h('td', {}, formatTime(e.issuedAt)), h('td', {}, e.source), h('td', {}, e.family), h('td', {}, `${e.lifecycle} ${e.operational !== 'Real' ? `(${e.operational})` : ''}`),
        h('td', {}, e.headline, e.alertId ? h('a', { href: `#/board/${encodeURIComponent(e.alertId)}` }, ' →') : null),
        // The document as the feed sent it comes as a download (the hub never lets a browser render or run it).
        h('td', {}, h('a', { href: `/api/events/${encodeURIComponent(e.id)}/raw`, download: '' }, t('events.raw')))));
    }
  }
  await load();
  const off = ctx.on('feedEvent', load);
  return off;
}
