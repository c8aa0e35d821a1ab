// Shelters at a glance: totals (開設数, 避難者合計, 定員), a map coloured by status, and one sortable, filterable table
// row per shelter where status, capacity and occupancy are edited in place (PUT /api/shelters/{id}). A city's 96 shelters
// fit on one screen; residents see the same list, and changes reach every dashboard through shelterStatus.
import * as L from '/lib/leaflet/leaflet-src.esm.js';
import { api, h, t, clear, createMap, formatTime, formatNumber, announce } from '/shared/common.js';
import { addShelter } from './layers.js';
import { problemText } from './labels.js';
import { fill } from './dom.js';

const STATUSES = ['open', 'crowded', 'full', 'closed'];
const OPEN = new Set(['open', 'crowded', 'full']);

// Sorting and filtering outlive a re-render (a shelterStatus event re-reads the list).
const view = { q: '', status: '', sort: 'name', descending: false };

export async function mount(container, ctx) {
  const status = h('p', { role: 'status', id: 'shelter-status' });
  const totals = h('div', { id: 'shelter-totals', class: 'board-summary' });
  const q = h('input', { id: 'shelter-q', type: 'search', value: view.q, autocomplete: 'off' });
  const statusFilter = h('select', { id: 'shelter-filter-status' }, h('option', { value: '' }, t('shelters.allStatuses')),
    h('option', { value: 'opened', selected: view.status === 'opened' }, t('shelters.opened')),
    STATUSES.map(s => h('option', { value: s, selected: view.status === s }, t(`shelter.${s}`))));
  const body = h('tbody', { id: 'shelter-rows' });
  const header = h('tr');
  const table = h('table', { class: 'numbers shelters', id: 'shelter-table' }, h('caption', { id: 'shelter-caption' }), h('thead', {}, header), body);
  const mapElement = h('div', { class: 'map shelter-map', id: 'shelter-map', role: 'region', 'aria-label': t('shelters.map') });
  container.append(h('h2', {}, t('shelters.title')), status, totals,
    h('div', { class: 'shelter-layout' },
      h('div', { class: 'shelter-table-side' },
        h('form', { class: 'row shelter-filter', role: 'search', 'aria-label': t('shelters.filter'), onsubmit: e => e.preventDefault() },
          h('div', { class: 'field' }, h('label', { for: q.id }, t('shelters.search')), q),
          h('div', { class: 'field' }, h('label', { for: statusFilter.id }, t('shelters.status')), statusFilter)),
        h('div', { class: 'table-scroll' }, table)),
      mapElement),
    addForm());

  const map = createMap(L, mapElement, ctx.config);
  const markers = L.layerGroup().addTo(map);
  let shelters = [];
  // Rows with changes not yet saved: a redraw (another dashboard's update, a sort) keeps them as they are, so a status
  // picked or a number typed is never silently put back while the officer looks at the map.
  const editing = new Set();
  body.addEventListener('input', event => { const tr = event.target.closest('tr.shelter'); if (tr) editing.add(tr.dataset.shelterId); });
  body.addEventListener('change', event => { const tr = event.target.closest('tr.shelter'); if (tr) editing.add(tr.dataset.shelterId); });

  const columns = [
    ['name', 'shelters.name'], ['status', 'shelters.status'], ['occupancy', 'shelters.occupancy'], ['capacity', 'shelters.capacity'],
    ['rate', 'shelters.rate'], ['updatedAt', 'shelters.updated'],
  ];
  function renderHeader() {
    fill(header, columns.map(([key, label]) => {
      const sorted = view.sort === key;
      return h('th', { scope: 'col', 'aria-sort': sorted ? (view.descending ? 'descending' : 'ascending') : 'none' },
        h('button', { type: 'button', class: 'link sort', dataset: { sort: key }, onclick: () => {
          view.descending = view.sort === key ? !view.descending : key !== 'name';
          view.sort = key;
          render();
        } }, t(label), sorted ? (view.descending ? ' ▼' : ' ▲') : ''));
    }), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, t('shelters.save'))));
  }

  const rate = s => (s.capacity ? (s.occupancy ?? 0) / s.capacity : -1);
  const value = (s, key) => (key === 'rate' ? rate(s) : key === 'status' ? STATUSES.indexOf(s.status) : s[key] ?? '');

  function render() {
    renderHeader();
    const words = q.value.trim().toLowerCase();
    const shown = shelters
      .filter(s => !words || `${s.name} ${s.nameEn ?? ''}`.toLowerCase().includes(words))
      .filter(s => !view.status || (view.status === 'opened' ? OPEN.has(s.status) : s.status === view.status))
      .sort((a, b) => {
        const [x, y] = [value(a, view.sort), value(b, view.sort)];
        const order = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y), 'ja');
        return view.descending ? -order : order;
      });
    const drawn = new Map([...body.querySelectorAll('tr.shelter')].map(tr => [tr.dataset.shelterId, tr]));
    fill(body, shown.map(s => (editing.has(s.id) && drawn.get(s.id)) || row(s)));
    if (!shown.length) body.append(h('tr', {}, h('td', { colspan: columns.length + 1, class: 'muted' }, t('shelters.noneFound'))));
    table.querySelector('#shelter-caption').textContent = t('shelters.caption', { n: shown.length, all: shelters.length });

    const opened = shelters.filter(s => OPEN.has(s.status));
    const people = shelters.reduce((sum, s) => sum + (s.occupancy ?? 0), 0);
    const capacity = opened.reduce((sum, s) => sum + (s.capacity ?? 0), 0);
    fill(totals, 
      h('p', { class: 'stat', id: 'total-open' }, t('shelters.totalOpen', { n: formatNumber(opened.length), all: formatNumber(shelters.length) })),
      h('p', { class: 'stat', id: 'total-people' }, t('shelters.totalPeople', { n: formatNumber(people) })),
      h('p', { class: 'stat', id: 'total-capacity' }, t('shelters.totalCapacity', { n: formatNumber(capacity) })),
      h('p', { class: 'stat', id: 'total-full' }, t('shelters.totalFull', { n: formatNumber(shelters.filter(s => s.status === 'full' || s.status === 'crowded').length) })));

    markers.clearLayers();
    for (const s of shown) addShelter(L, markers, s);
  }

  function row(s) {
    const id = s.id;
    const statusSelect = h('select', { id: `status-${id}`, 'aria-label': `${s.name} ${t('shelters.status')}` },
      STATUSES.map(v => h('option', { value: v, selected: v === s.status }, t(`shelter.${v}`))));
    const capacity = h('input', { id: `capacity-${id}`, type: 'number', min: 0, value: s.capacity ?? 0, 'aria-label': `${s.name} ${t('shelters.capacity')}` });
    const occupancy = h('input', { id: `occupancy-${id}`, type: 'number', min: 0, value: s.occupancy ?? 0, 'aria-label': `${s.name} ${t('shelters.occupancy')}` });
    const save = h('button', { type: 'button', class: 'secondary', disabled: !ctx.hasRole('issuer') }, t('shelters.save'));
    const tr = h('tr', { class: `shelter status-${s.status}`, dataset: { shelterId: id, status: s.status } },
      h('th', { scope: 'row' }, h('button', { type: 'button', class: 'link', onclick: () => map.setView([s.location.lat, s.location.lon], 16) }, s.name),
        s.nameEn ? h('small', { lang: 'en', class: 'muted' }, ` ${s.nameEn}`) : null),
      h('td', {}, statusSelect),
      h('td', {}, occupancy),
      h('td', {}, capacity),
      h('td', { class: 'rate' }, s.capacity ? `${Math.round(100 * rate(s))}%` : '—'),
      h('td', { class: 'muted' }, formatTime(s.updatedAt)),
      h('td', {}, save));
    save.addEventListener('click', async () => {
      status.textContent = '';
      try {
        await api('PUT', `/api/shelters/${encodeURIComponent(id)}`, { status: statusSelect.value, capacity: Number(capacity.value), occupancy: Number(occupancy.value) });
        editing.delete(id);
        announce(t('shelters.saved', { name: s.name }));
      } catch (e) { status.textContent = problemText(e); }
    });
    return tr;
  }

  async function load() {
    try { shelters = await api('GET', '/api/shelters'); } catch (e) { status.textContent = problemText(e); return; }
    render();
  }

  function addForm() {
    const fields = ['name', 'nameEn', 'lat', 'lon', 'capacity'].map(name => [name, h('input', { id: `new-${name}`, type: ['lat', 'lon', 'capacity'].includes(name) ? 'number' : 'text', step: 'any' })]);
    const form = h('form', { class: 'card', 'aria-labelledby': 'add-shelter' }, h('h3', { id: 'add-shelter' }, t('shelters.add')),
      h('div', { class: 'row' }, fields.map(([name, input]) => h('div', { class: 'field' }, h('label', { for: input.id }, t(`shelters.${name}`)), input))),
      h('button', { type: 'submit', disabled: !ctx.hasRole('issuer') }, t('shelters.add')));
    form.addEventListener('submit', async event => {
      event.preventDefault();
      status.textContent = '';
      const v = Object.fromEntries(fields.map(([name, input]) => [name, input.value]));
      try {
        await api('POST', '/api/shelters', { name: v.name, nameEn: v.nameEn || undefined, location: { lat: Number(v.lat), lon: Number(v.lon) }, status: 'closed', capacity: Number(v.capacity) || 0, occupancy: 0 });
        form.reset();
        await load();
      } catch (e) { status.textContent = problemText(e); }
    });
    return form;
  }

  q.addEventListener('input', () => { view.q = q.value; render(); });
  statusFilter.addEventListener('change', () => { view.status = statusFilter.value; render(); });
  await load();
  if (shelters.length) {
    const bounds = L.latLngBounds(shelters.map(s => [s.location.lat, s.location.lon]));
    map.fitBounds(bounds, { maxZoom: 15, padding: [16, 16], animate: false }); // no zoom animation: leaving the page mid-animation made Leaflet throw
  }
  // A change pushed by another dashboard lands in the list at once, but never under the hands of someone editing a row:
  // the table is redrawn once focus leaves it.
  let dirty = false;
  const refresh = () => {
    if (body.contains(document.activeElement)) dirty = true;
    else render();
  };
  body.addEventListener('focusout', () => setTimeout(() => {
    if (dirty && !body.contains(document.activeElement)) { dirty = false; render(); }
  }, 0));
  const off = ctx.on('shelterStatus', event => {
    shelters = shelters.filter(s => s.id !== event.id);
    if (!event.deleted) shelters.push({ id: event.id, name: event.name, nameEn: event.nameEn, location: event.location, status: event.status,
      capacity: event.capacity, occupancy: event.occupancy, updatedAt: event.updatedAt });
    refresh();
  });
  return () => { off(); map.remove(); };
}
