// The staff dashboard shell: sign-in (cookie + CSRF token from POST /api/staff/session), hash routes for the
// views, one SignalR connection whose events every view can listen to, and the push-channel KPI tile.
import { api, ApiError, h, clear, t, setLanguage, initialLanguage, applyStrings, loadConfig, createHubConnection, announce } from '/shared/common.js';
import './strings.js';
import { roleLabel, channelLabel } from './labels.js';

const LANGUAGE_KEY = 'alerthub.staff.lang';
const main = document.getElementById('main');
const nav = document.getElementById('nav');

const routes = [
  { path: 'map', key: 'nav.map', load: () => import('./map.js') },
  { path: 'compose', key: 'nav.compose', load: () => import('./compose.js'), role: 'issuer' },
  { path: 'approvals', key: 'nav.approvals', load: () => import('./approvals.js') },
  { path: 'board', key: 'nav.board', load: () => import('./board.js') },
  { path: 'cameras', key: 'nav.cameras', load: () => import('./cameras.js') },
  { path: 'events', key: 'nav.events', load: () => import('./events.js') },
  { path: 'shelters', key: 'nav.shelters', load: () => import('./shelters.js') },
  { path: 'publishing', key: 'nav.publishing', load: () => import('./publishing.js') },
  { path: 'admin', key: 'nav.admin', load: () => import('./admin.js'), role: 'admin' },
];

const ROLE_RANK = { viewer: 1, issuer: 2, approver: 3, admin: 4 };

/** Events pushed by the hub, fanned out to whichever view is mounted. */
const listeners = new Map();
const ctx = {
  config: null,
  session: null,
  on(event, fn) {
    if (!listeners.has(event)) listeners.set(event, new Set());
    listeners.get(event).add(fn);
    return () => listeners.get(event).delete(fn);
  },
  hasRole(role) {
    const best = Math.max(0, ...(ctx.session?.roles ?? []).map(r => ROLE_RANK[r] ?? 0));
    return best >= (ROLE_RANK[role] ?? 0);
  },
  navigate(path) { location.hash = `#/${path}`; },
};

let connection;
let unmountView;

async function start() {
  setLanguage(initialLanguage(LANGUAGE_KEY));
  document.getElementById('lang-toggle').addEventListener('click', () => {
    setLanguage(document.documentElement.lang === 'ja' ? 'en' : 'ja', LANGUAGE_KEY);
    updateLanguageButton();
    if (ctx.session) { showWho(); renderNav(); route(); refreshKpi(); } else showSignIn();
  });
  updateLanguageButton();
  document.getElementById('sign-out').addEventListener('click', signOut);
  ctx.config = await loadConfig();
  try {
    ctx.session = await api('GET', '/api/staff/session');
  } catch (e) {
    if (!(e instanceof ApiError && (e.status === 401 || e.status === 404))) throw e;
  }
  if (ctx.session) await signedIn();
  else showSignIn();
}

function updateLanguageButton() {
  const button = document.getElementById('lang-toggle');
  const toEnglish = document.documentElement.lang === 'ja';
  button.textContent = toEnglish ? 'English' : '日本語';
  button.setAttribute('lang', toEnglish ? 'en' : 'ja');
}

function showSignIn(message) {
  clear(main);
  const error = h('p', { class: 'error', role: 'alert', id: 'signin-error' }, message ?? '');
  const form = h('form', { class: 'card signin', 'aria-labelledby': 'signin-title' },
    h('h2', { id: 'signin-title' }, t('signin.title')),
    h('label', { for: 'username' }, t('signin.username')),
    h('input', { id: 'username', name: 'username', autocomplete: 'username', required: true }),
    h('label', { for: 'password' }, t('signin.password')),
    h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true }),
    error,
    h('button', { type: 'submit', class: 'primary' }, t('signin.submit')));
  form.addEventListener('submit', async event => {
    event.preventDefault();
    error.textContent = '';
    try {
      ctx.session = await api('POST', '/api/staff/session', { username: form.username.value, password: form.password.value });
      await signedIn();
    } catch (e) {
      error.textContent = e.code === 'auth.locked_out' ? t('signin.locked', { s: '60' }) : e.status === 401 ? t('signin.failed') : e.message;
      form.password.select();
    }
  });
  main.append(form);
  form.username.focus();
}

async function signedIn() {
  api.csrfToken = ctx.session.csrfToken;
  showWho();
  document.getElementById('sign-out').hidden = false;
  nav.hidden = false;
  renderNav();
  await connectRealtime();
  refreshKpi();
  setInterval(refreshKpi, 30000);
  window.addEventListener('hashchange', route);
  if (!location.hash) location.hash = '#/map';
  else route();
}

function showWho() {
  document.getElementById('who').textContent = `${ctx.session.displayName || ctx.session.username}（${ctx.session.roles.map(roleLabel).join('・')}）`;
}

async function signOut() {
  try { await api('DELETE', '/api/staff/session'); } finally { location.hash = ''; location.reload(); }
}

function renderNav() {
  clear(nav);
  const list = h('ul');
  for (const r of routes) {
    if (r.role && !ctx.hasRole(r.role)) continue;
    list.append(h('li', {}, h('a', { href: `#/${r.path}`, id: `nav-${r.path}` }, t(r.key))));
  }
  nav.append(list);
  nav.setAttribute('aria-label', t('nav.label'));
  applyStrings();
}

let routeToken = 0;
async function route() {
  // Hash changes can come faster than a view loads: only the newest one may stay mounted.
  const token = ++routeToken;
  const [path, ...rest] = location.hash.replace(/^#\/?/, '').split('/');
  const target = routes.find(r => r.path === path) ?? routes[0];
  for (const a of nav.querySelectorAll('a')) {
    if (a.getAttribute('href') === `#/${target.path}`) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  unmountView?.();
  unmountView = undefined;
  clear(main).append(h('p', { class: 'muted' }, t('loading')));
  const module = await target.load();
  if (token !== routeToken) return;
  const view = h('div', { class: 'view', id: `view-${target.path}` });
  clear(main).append(view);
  document.title = `${t(target.key)} — AlertHub`;
  const unmount = await module.mount(view, ctx, rest.map(decodeURIComponent));
  if (token !== routeToken) {
    unmount?.();
    view.remove();
    return;
  }
  unmountView = unmount;
  main.focus({ preventScroll: true });
}

async function connectRealtime() {
  const status = document.getElementById('connection');
  connection = createHubConnection('/hubs/staff');
  for (const event of ['alertIssued', 'alertDraft', 'deliveryProgress', 'cameraStatus', 'cameraSnapshot', 'dronePhoto', 'shelterStatus', 'safetyReply', 'feedEvent']) {
    connection.on(event, payload => {
      for (const fn of listeners.get(event) ?? []) fn(payload);
      if (event === 'deliveryProgress' || event === 'alertIssued') scheduleKpi();
    });
  }
  const show = state => { status.textContent = t(`conn.${state}`); status.dataset.state = state; };
  connection.onreconnecting(() => show('reconnecting'));
  connection.onreconnected(() => show('live'));
  connection.onclose(() => show('offline'));
  try {
    await connection.start();
    show('live');
  } catch {
    show('offline');
  }
}

let kpiTimer;
function scheduleKpi() {
  clearTimeout(kpiTimer);
  kpiTimer = setTimeout(refreshKpi, 1500);
}

async function refreshKpi() {
  const tile = document.getElementById('kpi');
  try {
    const kpi = await api('GET', '/api/kpi/push-channels');
    tile.textContent = t('kpi.label', { n: kpi.count, target: kpi.target });
    tile.title = kpi.channels.filter(c => c.kind === 'push').map(c => `${channelLabel(c.name)}: ${c.healthy ? '✓' : '✗'} ${c.deliveredInWindow ? '24h ✓' : ''}`).join('\n');
    tile.dataset.met = String(kpi.count >= kpi.target);
    tile.hidden = false;
  } catch {
    tile.hidden = true;
  }
}

window.addEventListener('unhandledrejection', event => {
  const e = event.reason;
  if (e instanceof ApiError && e.status === 401) showSignIn();
  else if (e instanceof ApiError && e.status === 403) announce(t('error.forbidden'));
});

start();
export { ctx };
