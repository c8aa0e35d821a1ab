// The hub's nodes (管理 → ノード): which nodes share the store, whether each is alive, and what each is sending right now
// (GET /api/cluster), refreshed every few seconds while the tab is open. On the embedded store there is one node.
import { api, h, t, clear, formatTime } from '/shared/common.js';
import { problemText } from './labels.js';

const REFRESH_MS = 3000;

export async function mount(container) {
  const summary = h('p', { role: 'status', id: 'cluster-status' });
  // While the database fails over: alerts cannot be issued for a few seconds (503 with Retry-After), reads still work.
  const store = h('p', { role: 'alert', id: 'cluster-store', class: 'warning', hidden: true });
  const rows = h('tbody', { id: 'cluster-rows' });
  container.append(summary, store,
    h('div', { class: 'table-scroll' }, h('table', { class: 'numbers', id: 'cluster-table' },
      h('thead', {}, h('tr', {}, [t('cluster.node'), t('cluster.state'), t('cluster.heartbeat'), t('cluster.inFlight'), t('cluster.delivered'), t('cluster.indexLag'), t('cluster.roles'), t('cluster.started')]
        .map(c => h('th', { scope: 'col' }, c)))),
      rows)));

  async function load() {
    let cluster;
    try { cluster = await api('GET', '/api/cluster'); } catch (e) { summary.dataset.state = 'error'; summary.textContent = problemText(e); return; }
    delete summary.dataset.state;
    // The reason comes from the database driver's message: text only.
    store.hidden = !cluster.storeFailingOver;
    store.textContent = cluster.storeFailingOver ? t('cluster.storeFailingOver', { reason: cluster.storeFailingOver }) : '';
    summary.textContent = cluster.shared
      ? t('cluster.summaryShared', { live: cluster.liveNodes, total: cluster.nodes.length })
      : t('cluster.summarySingle');
    clear(rows);
    for (const n of cluster.nodes) {
      // Names and ids come from the nodes' own configuration: text only.
      rows.append(h('tr', { class: n.state === 'live' ? null : 'muted', 'data-state': n.state },
        h('th', { scope: 'row', title: n.id }, n.isThisNode ? t('cluster.thisNode', { name: n.name }) : n.name),
        h('td', {}, t(`cluster.state.${n.state}`)),
        h('td', {}, t('cluster.secondsAgo', { s: n.heartbeatAgeSeconds })),
        h('td', {}, String(n.inFlight)),
        h('td', {}, (n.delivered ?? 0).toLocaleString()),
        // A live node more than a few changes behind targets by older resident data than the others.
        h('td', { 'data-lagging': n.state === 'live' && n.indexLag > 0 ? 'true' : null }, n.indexLag == null ? '—' : String(n.indexLag)),
        h('td', {}, rolesText(n.roles ?? [])),
        h('td', {}, formatTime(n.startedAt))));
    }
  }

  await load();
  const timer = setInterval(load, REFRESH_MS);
  return () => clearInterval(timer);
}

// Each camera is a lease of its own (camera.{id}): fifty ids would drown the row, so they are counted, not listed.
function rolesText(roles) {
  const cameras = roles.filter(r => r.startsWith('camera.')).length;
  const others = roles.filter(r => !r.startsWith('camera.'));
  return [...others, ...(cameras > 0 ? [t('cluster.cameras', { n: cameras })] : [])].join(', ');
}
