// Shelter editor: status, capacity and occupancy per shelter (PUT /api/shelters/{id}), new shelters (POST).
// Residents see the same list; changes reach every dashboard through shelterStatus.
import { api, h, t, clear, formatTime, announce } from '/shared/common.js';

const STATUSES = ['open', 'crowded', 'full', 'closed'];

export async function mount(container, ctx) {
  const list = h('div', { id: 'shelter-list' });
  const status = h('p', { role: 'status' });
  container.append(h('h2', {}, t('shelters.title')), status, list, addForm());

  async function load() {
    let shelters;
    try { shelters = await api('GET', '/api/shelters'); } catch (e) { clear(list).append(h('p', { class: 'muted' }, e.message)); return; }
    clear(list);
    for (const s of shelters) list.append(editor(s));
  }

  function editor(s) {
    const id = s.id;
    const statusSelect = h('select', { id: `status-${id}` }, STATUSES.map(v => h('option', { value: v, selected: v === s.status }, t(`shelter.${v}`))));
    const capacity = h('input', { id: `capacity-${id}`, type: 'number', min: 0, value: s.capacity ?? 0 });
    const occupancy = h('input', { id: `occupancy-${id}`, type: 'number', min: 0, value: s.occupancy ?? 0 });
    const form = h('form', { class: 'card shelter', 'aria-labelledby': `shelter-${id}` },
      h('h3', { id: `shelter-${id}` }, s.name, s.nameEn ? h('small', { lang: 'en' }, ` ${s.nameEn}`) : null),
      h('p', { class: 'muted' }, formatTime(s.updatedAt)),
      h('div', { class: 'row' },
        h('div', { class: 'field' }, h('label', { for: statusSelect.id }, t('shelters.status')), statusSelect),
        h('div', { class: 'field' }, h('label', { for: capacity.id }, t('shelters.capacity')), capacity),
        h('div', { class: 'field' }, h('label', { for: occupancy.id }, t('shelters.occupancy')), occupancy)),
      h('button', { type: 'submit', disabled: !ctx.hasRole('issuer') }, t('shelters.save')));
    form.addEventListener('submit', async event => {
      event.preventDefault();
      try {
        await api('PUT', `/api/shelters/${encodeURIComponent(id)}`, { ...s, status: statusSelect.value, capacity: Number(capacity.value), occupancy: Number(occupancy.value) });
        announce(t('saved'));
      } catch (e) { status.textContent = t('compose.error', { e: e.code ?? e.message }); }
    });
    return form;
  }

  function addForm() {
    const fields = ['name', 'nameEn', 'lat', 'lon', 'capacity'].map(name => [name, h('input', { id: `new-${name}`, type: ['lat', 'lon', 'capacity'].includes(name) ? 'number' : 'text', step: 'any' })]);
    const form = h('form', { class: 'card', 'aria-labelledby': 'add-shelter' }, h('h3', { id: 'add-shelter' }, t('shelters.add')),
      h('div', { class: 'row' }, fields.map(([name, input]) => h('div', { class: 'field' }, h('label', { for: input.id }, t(`shelters.${name}`)), input))),
      h('button', { type: 'submit', disabled: !ctx.hasRole('issuer') }, t('shelters.add')));
    form.addEventListener('submit', async event => {
      event.preventDefault();
      const v = Object.fromEntries(fields.map(([name, input]) => [name, input.value]));
      try {
        await api('POST', '/api/shelters', { name: v.name, nameEn: v.nameEn || undefined, location: { lat: Number(v.lat), lon: Number(v.lon) }, status: 'closed', capacity: Number(v.capacity) || 0, occupancy: 0 });
        form.reset();
        await load();
      } catch (e) { status.textContent = t('compose.error', { e: e.code ?? e.message }); }
    });
    return form;
  }

  await load();
  return ctx.on('shelterStatus', load);
}
