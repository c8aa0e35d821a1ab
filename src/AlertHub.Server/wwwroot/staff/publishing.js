// Publishing: what went to Lアラート and what each node answered (GET /api/lalert/publications), how the phone calls
// and text messages of an alert ended (GET /api/telephony/attempts), and a household's phone number entered by staff
// for residents without a smartphone (POST /api/residents/{id}/phone-endpoints). A channel that is not enabled says so.
import { api, ApiError, h, t, clear, formatTime, announce } from '/shared/common.js';

const STATUS_KEYS = { Actual: 'publishing.actual', Exercise: 'publishing.exercise', Test: 'publishing.test' };

export async function mount(container, ctx) {
  const lalert = h('section', { id: 'lalert-publications', 'aria-labelledby': 'lalert-title', 'aria-live': 'polite' });
  const phones = h('section', { id: 'telephony-attempts', 'aria-labelledby': 'telephony-title' });
  container.append(h('h2', {}, t('publishing.title')), lalert, phones);
  if (ctx.hasRole('issuer')) container.append(phoneForm());

  async function loadPublications() {
    let list;
    try {
      list = await api('GET', '/api/lalert/publications?limit=50');
    } catch (e) {
      clear(lalert).append(h('h3', { id: 'lalert-title' }, t('publishing.lalert')),
        h('p', { class: 'muted' }, e instanceof ApiError && e.status === 404 ? t('publishing.lalertOff') : e.message));
      return;
    }
    clear(lalert).append(h('h3', { id: 'lalert-title' }, t('publishing.lalert')),
      list.length === 0 ? h('p', { class: 'muted' }, t('publishing.none')) : h('table', { class: 'numbers', id: 'lalert-table' },
        h('thead', {}, h('tr', {}, ['publishing.when', 'publishing.kind', 'publishing.document', 'publishing.summary', 'publishing.acks', ''].map(k => h('th', { scope: 'col' }, k ? t(k) : '')))),
        h('tbody', {}, list.map(publicationRow))));
  }

  function publicationRow(p) {
    const status = p.status === 'Actual' ? null : h('strong', {}, `【${t(STATUS_KEYS[p.status] ?? 'publishing.test')}】`);
    return h('tr', { dataset: { seq: String(p.seq) } },
      h('td', {}, formatTime(p.createdAt)),
      h('td', {}, status, `${label('category', p.category)} · ${label('type', p.distributionType)}`),
      h('td', {}, h('code', {}, p.documentId), ` ${t('publishing.revision', { n: p.revision })}`),
      h('td', {}, p.summary),
      h('td', {}, h('ul', { class: 'plain' }, p.sends.map(sendItem))),
      h('td', {}, h('a', { href: `/api/lalert/publications/${p.seq}.xml`, download: `lalert-${p.seq}.xml` }, t('publishing.xml'))));
  }

  /** A known Lアラート value in the console's language; anything else as sent. */
  function label(kind, value) {
    const key = `publishing.${kind}.${value}`;
    const text = t(key);
    return text === key ? value : text;
  }

  function sendItem(s) {
    const detail = s.state === 'acknowledged' ? formatTime(s.acknowledgedAt)
      : s.state === 'refused' ? `${t('publishing.code', { c: s.code ?? '—' })} ${s.result ?? ''}`
        : t('publishing.attempts', { n: s.attempts });
    return h('li', { dataset: { node: s.node, state: s.state } }, `${s.node}: ${t(`publishing.state.${s.state}`)} — ${detail}`);
  }

  async function loadAttempts(alertId) {
    const result = phones.querySelector('#attempts-result');
    if (!alertId) return;
    let view;
    try {
      view = await api('GET', `/api/telephony/attempts?alertId=${encodeURIComponent(alertId)}`);
    } catch (e) {
      clear(result).append(h('p', { class: 'muted' }, e instanceof ApiError && e.status === 404 ? t('publishing.phonesOff') : e.message));
      return;
    }
    const outcomes = Object.entries(view.outcomes);
    clear(result).append(
      outcomes.length === 0 ? h('p', { class: 'muted' }, t('publishing.none'))
        : h('ul', { class: 'plain', id: 'attempt-outcomes' }, outcomes.map(([channel, counts]) =>
          h('li', {}, h('strong', {}, channel), ' ', Object.entries(counts).map(([k, n]) => `${t(`publishing.outcome.${k}`)} ${n}`).join(' · ')))),
      view.attempts.length === 0 ? null : h('table', { class: 'numbers', id: 'attempt-table' },
        h('thead', {}, h('tr', {}, ['publishing.channel', 'publishing.number', 'publishing.attempt', 'publishing.status', 'publishing.answeredBy', 'publishing.acked', 'publishing.when']
          .map(k => h('th', { scope: 'col' }, t(k))))),
        h('tbody', {}, view.attempts.map(a => h('tr', {},
          h('td', {}, a.channel), h('td', {}, a.number), h('td', {}, String(a.attempt)), h('td', {}, a.status ?? a.state),
          h('td', {}, a.answeredBy ?? '—'), h('td', {}, a.acknowledged ? '✓' : ''), h('td', {}, formatTime(a.updatedAt)))))));
  }

  async function renderPhones() {
    const select = h('select', { id: 'attempts-alert' });
    const result = h('div', { id: 'attempts-result', 'aria-live': 'polite' });
    clear(phones).append(h('h3', { id: 'telephony-title' }, t('publishing.phones')),
      h('div', { class: 'field' }, h('label', { for: select.id }, t('publishing.alert')), select), result);
    let channels = [];
    try { channels = await api('GET', '/api/channels'); } catch { /* the attempts request below says what is wrong */ }
    if (!channels.some(c => (c.name === 'voice' || c.name === 'sms') && c.enabled)) {
      clear(phones).append(h('h3', { id: 'telephony-title' }, t('publishing.phones')), h('p', { class: 'muted' }, t('publishing.phonesOff')));
      return;
    }
    let alerts = [];
    try { alerts = await api('GET', '/api/alerts?limit=30'); } catch (e) { result.textContent = e.message; }
    if (!alerts.length) result.append(h('p', { class: 'muted' }, t('publishing.none')));
    for (const a of alerts) select.append(h('option', { value: a.id }, `${formatTime(a.createdAt)} · v${a.version} · ${a.state} · ${a.id.slice(0, 8)}`));
    select.addEventListener('change', () => loadAttempts(select.value));
    if (alerts.length) await loadAttempts(alerts[0].id);
  }

  function phoneForm() {
    const resident = h('input', { id: 'phone-resident', required: true, maxlength: 36, autocomplete: 'off' });
    const number = h('input', { id: 'phone-number', type: 'tel', required: true, maxlength: 20, autocomplete: 'off' });
    const channel = h('select', { id: 'phone-channel' }, ['voice', 'sms'].map(c => h('option', { value: c }, t(`publishing.via.${c}`))));
    const status = h('p', { role: 'status', id: 'phone-status' });
    const form = h('form', { class: 'card', 'aria-labelledby': 'phone-form-title' },
      h('h3', { id: 'phone-form-title' }, t('publishing.household')),
      h('p', { class: 'muted' }, t('publishing.householdHint')),
      h('div', { class: 'row' },
        h('div', { class: 'field' }, h('label', { for: resident.id }, t('publishing.residentId')), resident),
        h('div', { class: 'field' }, h('label', { for: channel.id }, t('publishing.channel')), channel),
        h('div', { class: 'field' }, h('label', { for: number.id }, t('publishing.number')), number)),
      h('button', { type: 'submit' }, t('publishing.add')), status);
    form.addEventListener('submit', async event => {
      event.preventDefault();
      status.textContent = '';
      try {
        const added = await api('POST', `/api/residents/${encodeURIComponent(resident.value.trim())}/phone-endpoints`, { channel: channel.value, number: number.value });
        status.textContent = t('publishing.added', { n: added.address, k: added.kind });
        announce(status.textContent);
        number.value = '';
      } catch (e) { status.textContent = t('compose.error', { e: e.code ? `${e.code}: ${e.message}` : e.message }); }
    });
    return form;
  }

  await Promise.all([loadPublications(), renderPhones()]);
  let pending;
  const refresh = () => {
    clearTimeout(pending);
    pending = setTimeout(() => {
      loadPublications();
      const select = phones.querySelector('#attempts-alert');
      if (select?.value) loadAttempts(select.value);
    }, 1000);
  };
  const timer = setInterval(refresh, 15000);
  const offProgress = ctx.on('deliveryProgress', refresh);
  const offShelters = ctx.on('shelterStatus', refresh);
  return () => { clearInterval(timer); clearTimeout(pending); offProgress(); offShelters(); };
}
