// Administration: staff users (GET/POST/PUT/DELETE /api/staff/users) and API keys (/api/keys).
import { api, h, t, clear, formatTime, announce } from '/shared/common.js';

const ROLES = ['admin', 'approver', 'issuer', 'viewer', 'ingest'];

export async function mount(container) {
  const users = h('tbody');
  const keys = h('tbody');
  const status = h('p', { role: 'status', id: 'admin-status' });
  container.append(h('h2', {}, t('admin.title')), status,
    h('section', { 'aria-labelledby': 'users-title' }, h('h3', { id: 'users-title' }, t('admin.users')),
      h('table', { class: 'numbers' }, h('thead', {}, h('tr', {}, [t('admin.username'), t('admin.displayName'), t('admin.roles'), t('admin.disabled'), ''].map(c => h('th', { scope: 'col' }, c)))), users),
      userForm()),
    h('section', { 'aria-labelledby': 'keys-title' }, h('h3', { id: 'keys-title' }, t('admin.keys')),
      h('table', { class: 'numbers' }, h('thead', {}, h('tr', {}, [t('admin.keyName'), t('admin.role'), '', ''].map(c => h('th', { scope: 'col' }, c)))), keys),
      keyForm()));

  const fail = e => { status.textContent = t('compose.error', { e: e.code ?? e.message }); };

  async function load() {
    try {
      clear(users);
      for (const u of await api('GET', '/api/staff/users')) {
        const disabled = h('input', { type: 'checkbox', checked: !!u.disabled, 'aria-label': `${u.username} ${t('admin.disabled')}` });
        disabled.addEventListener('change', () => api('PUT', `/api/staff/users/${encodeURIComponent(u.username)}`, { ...u, disabled: disabled.checked }).then(() => announce(t('saved')), fail));
        users.append(h('tr', {}, h('th', { scope: 'row' }, u.username), h('td', {}, u.displayName ?? ''), h('td', {}, (u.roles ?? []).join(', ')),
          h('td', {}, disabled),
          h('td', {}, h('button', { type: 'button', class: 'secondary', onclick: () => api('DELETE', `/api/staff/users/${encodeURIComponent(u.username)}`).then(load, fail) }, t('admin.delete')))));
      }
    } catch (e) { fail(e); }
    try {
      clear(keys);
      for (const k of await api('GET', '/api/keys')) {
        keys.append(h('tr', { class: k.revokedAt ? 'muted' : null }, h('th', { scope: 'row' }, k.name), h('td', {}, k.role), h('td', {}, formatTime(k.createdAt)),
          h('td', {}, k.revokedAt ? formatTime(k.revokedAt) : h('button', { type: 'button', class: 'secondary', onclick: () => api('DELETE', `/api/keys/${encodeURIComponent(k.id)}`).then(load, fail) }, t('admin.delete')))));
      }
    } catch (e) { fail(e); }
  }

  function userForm() {
    const username = h('input', { id: 'new-username', required: true, autocomplete: 'off' });
    const displayName = h('input', { id: 'new-display-name' });
    const password = h('input', { id: 'new-password', type: 'password', autocomplete: 'new-password', required: true });
    const roles = h('fieldset', {}, h('legend', {}, t('admin.roles')), ROLES.map(r => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'role', value: r }), r)));
    const form = h('form', { class: 'card' }, h('div', { class: 'row' },
      h('div', { class: 'field' }, h('label', { for: username.id }, t('admin.username')), username),
      h('div', { class: 'field' }, h('label', { for: displayName.id }, t('admin.displayName')), displayName),
      h('div', { class: 'field' }, h('label', { for: password.id }, t('admin.password')), password)), roles,
      h('button', { type: 'submit' }, t('admin.addUser')));
    form.addEventListener('submit', async event => {
      event.preventDefault();
      const selected = [...roles.querySelectorAll('input:checked')].map(i => i.value);
      try {
        await api('POST', '/api/staff/users', { username: username.value, displayName: displayName.value, password: password.value, roles: selected, disabled: false });
        form.reset();
        await load();
      } catch (e) { fail(e); }
    });
    return form;
  }

  function keyForm() {
    const name = h('input', { id: 'new-key-name', required: true });
    const role = h('select', { id: 'new-key-role' }, ROLES.map(r => h('option', { value: r }, r)));
    const shown = h('p', { class: 'secret', id: 'new-key', 'aria-live': 'polite' });
    const form = h('form', { class: 'card' }, h('div', { class: 'row' },
      h('div', { class: 'field' }, h('label', { for: name.id }, t('admin.keyName')), name),
      h('div', { class: 'field' }, h('label', { for: role.id }, t('admin.role')), role)),
      h('button', { type: 'submit' }, t('admin.addKey')), shown);
    form.addEventListener('submit', async event => {
      event.preventDefault();
      try {
        const created = await api('POST', '/api/keys', { name: name.value, role: role.value });
        shown.textContent = t('admin.newKey', { k: created.key });
        await load();
      } catch (e) { fail(e); }
    });
    return form;
  }

  await load();
}
