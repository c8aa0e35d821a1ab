// Administration, one tab each: staff users and API keys (/api/staff/users, /api/keys), cameras (admin-cameras.js),
// the compose templates (admin-templates.js), the audit log (admin-audit.js) and the hub's nodes (admin-cluster.js). Roles are shown in words; an error is a
// sentence with its rule, and it goes away once the next change succeeds.
import { api, h, t, clear, formatTime, announce } from '/shared/common.js';
import { roleLabel, problemText } from './labels.js';

const ROLES = ['admin', 'approver', 'issuer', 'viewer', 'ingest'];
const TABS = [
  ['users', 'admin.tabUsers', null],
  ['cameras', 'admin.tabCameras', () => import('./admin-cameras.js')],
  ['templates', 'admin.tabTemplates', () => import('./admin-templates.js')],
  ['audit', 'admin.tabAudit', () => import('./admin-audit.js')],
  ['cluster', 'admin.tabCluster', () => import('./admin-cluster.js')],
];

export async function mount(container, ctx, [tab = 'users']) {
  const active = TABS.find(([key]) => key === tab) ?? TABS[0];
  container.append(h('h2', {}, t('admin.title')),
    h('nav', { class: 'tabs', 'aria-label': t('admin.title') }, h('ul', {}, TABS.map(([key, label]) => h('li', {},
      h('a', { href: `#/admin/${key}`, id: `admin-tab-${key}`, 'aria-current': key === active[0] ? 'page' : null }, t(label)))))));
  const panel = h('div', { class: 'tab-panel', id: `admin-${active[0]}` });
  container.append(panel);
  if (active[2]) {
    const module = await active[2]();
    return module.mount(panel, ctx);
  }
  return usersAndKeys(panel, ctx);
}

async function usersAndKeys(container) {
  const users = h('tbody');
  const keys = h('tbody');
  const status = h('p', { role: 'status', id: 'admin-status', class: 'result' });
  container.append(status,
    h('section', { 'aria-labelledby': 'users-title' }, h('h3', { id: 'users-title' }, t('admin.users')),
      h('div', { class: 'table-scroll' }, h('table', { class: 'numbers' }, h('thead', {}, h('tr', {}, [t('admin.username'), t('admin.displayName'), t('admin.roles'), t('admin.disabled'), ''].map(c => h('th', { scope: 'col' }, c)))), users)),
      userForm()),
    h('section', { 'aria-labelledby': 'keys-title' }, h('h3', { id: 'keys-title' }, t('admin.keys')),
      h('div', { class: 'table-scroll' }, h('table', { class: 'numbers' }, h('thead', {}, h('tr', {}, [t('admin.keyName'), t('admin.role'), t('admin.created'), ''].map(c => h('th', { scope: 'col' }, c)))), keys)),
      keyForm()));

  const fail = e => { status.dataset.state = 'error'; status.textContent = problemText(e); };
  const ok = message => { status.dataset.state = 'ok'; status.textContent = message; announce(message); };

  async function load() {
    try {
      clear(users);
      for (const u of await api('GET', '/api/staff/users')) {
        const disabled = h('input', { type: 'checkbox', checked: !!u.disabled, 'aria-label': `${u.username} ${t('admin.disabled')}` });
        disabled.addEventListener('change', () => api('PUT', `/api/staff/users/${encodeURIComponent(u.username)}`, { disabled: disabled.checked })
          .then(() => ok(t('saved')), e => { disabled.checked = !disabled.checked; fail(e); }));
        users.append(h('tr', {}, h('th', { scope: 'row' }, u.username), h('td', {}, u.displayName ?? ''), h('td', {}, (u.roles ?? []).map(roleLabel).join('、')),
          h('td', {}, disabled),
          h('td', {}, h('button', { type: 'button', class: 'secondary', onclick: () => api('DELETE', `/api/staff/users/${encodeURIComponent(u.username)}`).then(() => { ok(t('admin.deleted')); return load(); }, fail) }, t('admin.delete')))));
      }
    } catch (e) { fail(e); }
    try {
      clear(keys);
      for (const k of await api('GET', '/api/keys')) {
        keys.append(h('tr', { class: k.revokedAt ? 'muted' : null }, h('th', { scope: 'row' }, k.name), h('td', {}, roleLabel(k.role)), h('td', {}, formatTime(k.createdAt)),
          h('td', {}, k.revokedAt ? t('admin.revokedAt', { at: formatTime(k.revokedAt) }) : h('button', { type: 'button', class: 'secondary', onclick: () => api('DELETE', `/api/keys/${encodeURIComponent(k.id)}`).then(() => { ok(t('admin.revoked')); return load(); }, fail) }, t('admin.revoke')))));
      }
    } catch (e) { fail(e); }
  }

  function userForm() {
    const username = h('input', { id: 'new-username', required: true, autocomplete: 'off' });
    const displayName = h('input', { id: 'new-display-name' });
    const password = h('input', { id: 'new-password', type: 'password', autocomplete: 'new-password', required: true });
    const roles = h('fieldset', {}, h('legend', {}, t('admin.roles')), ROLES.map(r => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'role', value: r }), roleLabel(r))));
    const form = h('form', { class: 'card' }, h('h4', {}, t('admin.addUser')), h('div', { class: 'row' },
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
        ok(t('admin.userAdded'));
        await load();
      } catch (e) { fail(e); }
    });
    return form;
  }

  function keyForm() {
    const name = h('input', { id: 'new-key-name', required: true });
    const role = h('select', { id: 'new-key-role' }, ROLES.map(r => h('option', { value: r }, roleLabel(r))));
    const shown = h('p', { class: 'secret', id: 'new-key', 'aria-live': 'polite' });
    const form = h('form', { class: 'card' }, h('h4', {}, t('admin.addKey')), h('div', { class: 'row' },
      h('div', { class: 'field' }, h('label', { for: name.id }, t('admin.keyName')), name),
      h('div', { class: 'field' }, h('label', { for: role.id }, t('admin.role')), role)),
      h('button', { type: 'submit' }, t('admin.addKey')), shown);
    form.addEventListener('submit', async event => {
      event.preventDefault();
      try {
        const created = await api('POST', '/api/keys', { name: name.value, role: role.value });
        shown.textContent = t('admin.newKey', { k: created.key });
        ok(t('saved'));
        await load();
      } catch (e) { fail(e); }
    });
    return form;
  }

  await load();
}
