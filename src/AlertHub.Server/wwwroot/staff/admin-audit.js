// The audit log (管理 → 操作履歴): who did what and when — sign-ins, alerts issued, approved or sent without approval,
// shelters, cameras, users — newest first, filtered by kind of action and by words, a page at a time (GET /api/audit).
import { api, h, t, clear, formatTime } from '/shared/common.js';
import { problemText } from './labels.js';

const PAGE = 100;
const GROUPS = ['', 'alerts.', 'staff.signin', 'staff.users.', 'keys.', 'shelters.', 'cameras.', 'templates.', 'residents.', 'rules.', 'areas.', 'drone_photos.'];

/** An action code in words (alerts.issue.bypass → 承認を省略して発信); an unknown one as it is. */
function actionLabel(action) {
  const key = `audit.${action}`;
  const text = t(key);
  return text === key ? action : text;
}

export async function mount(container) {
  const status = h('p', { role: 'status', id: 'audit-status' });
  const rows = h('tbody', { id: 'audit-rows' });
  const group = h('select', { id: 'audit-action' }, GROUPS.map(g => h('option', { value: g }, t(`auditGroup.${g || 'all'}`))));
  const words = h('input', { id: 'audit-q', type: 'search', maxlength: 200, autocomplete: 'off' });
  const more = h('button', { type: 'button', class: 'secondary', id: 'audit-more', hidden: true }, t('audit.more'));
  const form = h('form', { class: 'row', role: 'search', 'aria-label': t('audit.filter') },
    h('div', { class: 'field' }, h('label', { for: group.id }, t('audit.kind')), group),
    h('div', { class: 'field' }, h('label', { for: words.id }, t('audit.words')), words),
    h('button', { type: 'submit', id: 'audit-search' }, t('board.searchButton')));
  container.append(form, status,
    h('div', { class: 'table-scroll' }, h('table', { class: 'numbers audit', id: 'audit-table' },
      h('thead', {}, h('tr', {}, [t('audit.at'), t('audit.actor'), t('audit.action'), t('audit.target'), t('audit.detail')].map(c => h('th', { scope: 'col' }, c)))),
      rows)),
    more);

  let lastId = null;
  async function load(append) {
    const query = new URLSearchParams({ limit: String(PAGE) });
    if (group.value) query.set('action', group.value);
    if (words.value.trim()) query.set('q', words.value.trim());
    if (append && lastId !== null) query.set('before', String(lastId));
    let entries;
    try { entries = await api('GET', `/api/audit?${query}`); } catch (e) { status.textContent = problemText(e); return; }
    if (!append) clear(rows);
    for (const e of entries) {
      rows.append(h('tr', { dataset: { action: e.action } },
        h('td', {}, formatTime(e.at)), h('td', {}, e.actor), h('td', {}, actionLabel(e.action), h('br'), h('small', { class: 'muted code' }, e.action)),
        h('td', { class: 'code' }, e.target ?? ''), h('td', {}, e.detail ?? '')));
    }
    lastId = entries.length ? entries[entries.length - 1].id : lastId;
    more.hidden = entries.length < PAGE;
    status.textContent = t('audit.shown', { n: rows.children.length });
    if (!rows.children.length) rows.append(h('tr', {}, h('td', { colspan: 5, class: 'muted' }, t('audit.none'))));
  }

  form.addEventListener('submit', event => { event.preventDefault(); lastId = null; load(false); });
  group.addEventListener('change', () => { lastId = null; load(false); });
  more.addEventListener('click', () => load(true));
  await load(false);
}
