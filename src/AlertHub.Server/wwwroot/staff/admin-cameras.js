// Camera administration (管理 → カメラ): the registered cameras in one table, a form to add or edit one (POST/PUT
// /api/cameras; credentials are write-only and kept unless changed), delete, and the normal-day picture chosen from the
// camera's recent history (PUT /api/cameras/{id}/normal-day) so the wall can show 平常時 beside 現在.
import { api, h, t, clear, formatTime, announce, minutesAgo } from '/shared/common.js';
import { problemText } from './labels.js';
import { fill } from './dom.js';

const KINDS = ['rtsp', 'hls', 'jpeg-poll', 'mjpeg'];

export async function mount(container, ctx) {
  const status = h('p', { role: 'status', id: 'camera-admin-status', class: 'result' });
  const rows = h('tbody', { id: 'camera-admin-rows' });
  const editor = h('section', { id: 'camera-editor', class: 'card', 'aria-labelledby': 'camera-editor-title' });
  const normalDay = h('section', { id: 'camera-normal-day', class: 'card', 'aria-labelledby': 'normal-day-title', hidden: true });
  container.append(status,
    h('div', { class: 'table-scroll' }, h('table', { class: 'numbers', id: 'camera-admin-table' },
      h('caption', {}, t('cameraAdmin.caption')),
      h('thead', {}, h('tr', {}, [t('cameraAdmin.name'), t('cameraAdmin.kind'), t('cameraAdmin.river'), t('cameraAdmin.district'), t('cameraAdmin.state'),
        t('cameraAdmin.interval'), t('cameraAdmin.normalDay'), ''].map(c => h('th', { scope: 'col' }, c)))), rows)),
    h('div', { class: 'toolbar' }, h('button', { type: 'button', id: 'camera-new', onclick: () => edit(null) }, t('cameraAdmin.add'))),
    editor, normalDay);

  const fail = e => { status.dataset.state = 'error'; status.textContent = problemText(e); };
  const ok = message => { status.dataset.state = 'ok'; status.textContent = message; announce(message); };
  let cameras = [];

  async function load() {
    try {
      cameras = (await api('GET', '/api/cameras')).cameras ?? [];
    } catch (e) { fail(e); return; }
    clear(rows);
    if (!cameras.length) rows.append(h('tr', {}, h('td', { colspan: 8, class: 'muted' }, t('cameras.none'))));
    for (const c of cameras) {
      const ago = minutesAgo(c.lastImageAt);
      rows.append(h('tr', { dataset: { cameraId: c.id } },
        h('th', { scope: 'row' }, c.name),
        h('td', {}, t(`cameraKind.${c.kind}`)),
        h('td', {}, c.river ?? ''),
        h('td', {}, c.district ?? ''),
        h('td', {}, h('span', { class: `badge-inline status-${c.status}` }, t(`status.${c.status}`)), ' ',
          h('small', { class: 'muted' }, ago === null ? t('cameras.noImage') : t('cameras.lastImage', { n: ago }))),
        h('td', {}, t('cameraAdmin.seconds', { n: c.snapshotIntervalSeconds })),
        h('td', {}, c.normalDaySnapshotId ? t('cameraAdmin.pinned') : t('cameraAdmin.notPinned')),
        h('td', { class: 'row-actions' },
          h('button', { type: 'button', class: 'secondary edit', onclick: () => edit(c) }, t('cameraAdmin.edit')),
          h('button', { type: 'button', class: 'secondary pin', onclick: () => pin(c) }, t('cameraAdmin.pinButton')),
          h('button', { type: 'button', class: 'secondary danger delete', onclick: () => remove(c) }, t('admin.delete')))));
    }
  }

  function input(name, attrs = {}) {
    return h('input', { id: `camera-${name}`, name, ...attrs });
  }

  function edit(camera) {
    normalDay.hidden = true;
    const c = camera ?? { kind: 'jpeg-poll', snapshotIntervalSeconds: 60, liveEnabled: false };
    const fields = {
      name: input('name', { value: c.name ?? '', required: true, maxlength: 200 }),
      kind: h('select', { id: 'camera-kind', name: 'kind' }, KINDS.map(k => h('option', { value: k, selected: k === c.kind }, t(`cameraKind.${k}`)))),
      url: input('url', { value: c.url ?? '', type: 'url', maxlength: 2000, autocomplete: 'off' }),
      lat: input('lat', { value: c.location?.lat ?? '', type: 'number', step: 'any', min: -90, max: 90 }),
      lon: input('lon', { value: c.location?.lon ?? '', type: 'number', step: 'any', min: -180, max: 180 }),
      river: input('river', { value: c.river ?? '', maxlength: 200 }),
      district: input('district', { value: c.district ?? '', maxlength: 200 }),
      direction: input('direction', { value: c.directionDegrees ?? '', type: 'number', min: 0, max: 359, step: 'any' }),
      fov: input('fov', { value: c.fieldOfViewDegrees ?? '', type: 'number', min: 1, max: 360, step: 'any' }),
      interval: input('interval', { value: c.snapshotIntervalSeconds ?? 60, type: 'number', min: 1, max: 86400 }),
      live: h('input', { id: 'camera-live', type: 'checkbox', checked: !!c.liveEnabled }),
      username: input('username', { autocomplete: 'off', maxlength: 200 }),
      password: input('password', { type: 'password', autocomplete: 'new-password', maxlength: 500 }),
      removeCredentials: h('input', { id: 'camera-remove-credentials', type: 'checkbox' }),
    };
    const f = (key, label, hint) => h('div', { class: 'field' }, h('label', { for: fields[key].id }, label), fields[key], hint ? h('span', { class: 'hint' }, hint) : null);
    const form = h('form', { id: 'camera-form' },
      h('h3', { id: 'camera-editor-title' }, camera ? t('cameraAdmin.editTitle', { name: camera.name }) : t('cameraAdmin.addTitle')),
      h('div', { class: 'row' }, f('name', t('cameraAdmin.name')), f('kind', t('cameraAdmin.kind'))),
      f('url', t('cameraAdmin.url'), t('cameraAdmin.urlHelp')),
      h('div', { class: 'row' }, f('lat', t('shelters.lat')), f('lon', t('shelters.lon')), f('direction', t('cameraAdmin.direction')), f('fov', t('cameraAdmin.fov'))),
      h('div', { class: 'row' }, f('river', t('cameraAdmin.river')), f('district', t('cameraAdmin.district')), f('interval', t('cameraAdmin.intervalSeconds'))),
      h('label', { class: 'check' }, fields.live, t('cameraAdmin.live')),
      h('fieldset', {}, h('legend', {}, t('cameraAdmin.credentials')),
        h('p', { class: 'hint' }, camera?.hasCredentials ? t('cameraAdmin.credentialsKept') : t('cameraAdmin.credentialsNone')),
        h('div', { class: 'row' }, f('username', t('cameraAdmin.username')), f('password', t('cameraAdmin.password'))),
        camera?.hasCredentials ? h('label', { class: 'check' }, fields.removeCredentials, t('cameraAdmin.removeCredentials')) : null),
      h('div', { class: 'toolbar' }, h('button', { type: 'submit', class: 'primary', id: 'camera-save' }, t('shelters.save')),
        h('button', { type: 'button', class: 'secondary', onclick: () => clear(editor) }, t('cameras.close'))));
    form.addEventListener('submit', async event => {
      event.preventDefault();
      const number = el => (el.value === '' ? undefined : Number(el.value));
      const body = {
        name: fields.name.value, kind: fields.kind.value, url: fields.url.value || undefined,
        location: { lat: number(fields.lat), lon: number(fields.lon) }, river: fields.river.value || undefined, district: fields.district.value || undefined,
        directionDegrees: number(fields.direction), fieldOfViewDegrees: number(fields.fov), snapshotIntervalSeconds: number(fields.interval),
        liveEnabled: fields.live.checked,
      };
      // Credentials are write-only: sent only when typed (or removed on purpose); otherwise the stored ones stay.
      if (fields.removeCredentials.checked) body.username = '';
      else if (fields.username.value) { body.username = fields.username.value; body.password = fields.password.value; }
      try {
        const saved = camera
          ? await api('PUT', `/api/cameras/${encodeURIComponent(camera.id)}`, body)
          : await api('POST', '/api/cameras', body);
        ok(t('cameraAdmin.saved', { name: saved.name }));
        clear(editor);
        await load();
      } catch (e) { fail(e); }
    });
    fill(editor, form);
    fields.name.focus();
  }

  async function remove(camera) {
    if (!confirm(t('cameraAdmin.confirmDelete', { name: camera.name }))) return;
    try {
      await api('DELETE', `/api/cameras/${encodeURIComponent(camera.id)}`);
      ok(t('admin.deleted'));
      await load();
    } catch (e) { fail(e); }
  }

  /** The normal day: the current pinned picture and the camera's recent pictures to choose from. */
  async function pin(camera) {
    clear(editor);
    normalDay.hidden = false;
    const pinned = h('img', { id: 'pinned-normal-day', alt: t('cameras.normalDay'), hidden: !camera.normalDaySnapshotId,
      src: camera.normalDaySnapshotId ? `/api/cameras/${encodeURIComponent(camera.id)}/normal-day.jpg?t=${Date.now()}` : null });
    const list = h('ul', { class: 'snapshot-picker', id: 'snapshot-picker' }, h('li', { class: 'muted' }, t('loading')));
    fill(normalDay, h('h3', { id: 'normal-day-title' }, t('cameraAdmin.normalDayTitle', { name: camera.name })),
      h('p', { class: 'hint' }, t('cameraAdmin.normalDayHelp')),
      h('figure', {}, pinned, camera.normalDaySnapshotId ? null : h('p', { class: 'muted' }, t('cameras.noNormalDay')), h('figcaption', {}, t('cameraAdmin.currentNormalDay'))),
      list);
    let history = [];
    try { history = await api('GET', `/api/cameras/${encodeURIComponent(camera.id)}/snapshots?limit=48`); } catch (e) { fail(e); }
    clear(list);
    if (!history.length) list.append(h('li', { class: 'muted' }, t('cameraAdmin.noHistory')));
    for (const s of [...history].reverse()) {
      list.append(h('li', {}, h('figure', {}, h('img', { src: s.thumbnailUrl, alt: t('cameraAdmin.snapshotAt', { at: formatTime(s.at) }) }),
        h('figcaption', {}, formatTime(s.at)),
        h('button', { type: 'button', class: 'secondary', dataset: { snapshotId: s.id }, onclick: async () => {
          try {
            await api('PUT', `/api/cameras/${encodeURIComponent(camera.id)}/normal-day`, { snapshotId: s.id });
            camera.normalDaySnapshotId = s.id;
            pinned.src = `/api/cameras/${encodeURIComponent(camera.id)}/normal-day.jpg?t=${Date.now()}`;
            pinned.hidden = false;
            ok(t('cameraAdmin.pinnedNow', { name: camera.name }));
            await load();
          } catch (e) { fail(e); }
        } }, t('cameras.setNormalDay')))));
    }
  }

  await load();
}
