// The resident page: register, edit or delete (POST/PUT/DELETE /api/residents; id + token kept in this
// browser's localStorage), places from the map or by 町字 name, household, language, channels (this page over
// SignalR, Web Push through a service worker, e-mail, a LINE link), the inbox of recent alerts (works when a
// push was missed) and the 安否 reply.
import * as L from '/lib/leaflet/leaflet-src.esm.js';
import { api, ApiError, h, clear, t, addStrings, setLanguage, initialLanguage, applyStrings, loadConfig, createMap, createHubConnection, formatTime, announce, safeUrl } from '/shared/common.js';

const STORAGE_KEY = 'alerthub.resident';
const LANGUAGE_KEY = 'alerthub.resident.lang';
const LARGE_TEXT_KEY = 'alerthub.resident.largeText';
const MAX_PLACES = 5;

addStrings('ja', {
  skip: '本文へ移動', title: '横手市 防災お知らせ', largeText: '文字を大きく', uiLanguage: '表示言語',
  'inbox.title': '最近のお知らせ', 'inbox.hint': '通知を見逃しても、ここで確認できます。', 'inbox.empty': 'お知らせはありません。', 'inbox.exercise': '訓練',
  'inbox.ack': '受け取りました', 'inbox.acked': '受け取りを伝えました。',
  'safety.title': '安否を知らせる', 'safety.safe': '無事です', 'safety.needHelp': '助けが必要です', 'safety.shareLocation': '現在地を一緒に送る',
  'safety.sent': '送信しました（{s}）。', 'safety.failed': '送信できませんでした: {e}',
  'register.title': 'お知らせを受け取る登録', 'register.save': '登録する', 'register.update': '登録内容を更新する', 'register.delete': '登録を削除する',
  'register.saved': '登録しました。このブラウザに登録情報を保存しました。', 'register.updated': '更新しました。', 'register.deleted': '登録を削除しました。',
  'register.confirmDelete': '登録を削除しますか？この操作は元に戻せません。',
  'places.legend': '場所（自宅・職場など、最大5か所）', 'places.hint': '町字名で探すか、地図をクリックしてください。', 'places.search': '町字名で探す',
  'places.label': '名前（例: 自宅）', 'places.add': 'この場所を追加', 'places.map': '場所を選ぶ地図', 'places.mapHint': '地図をクリックすると、その地点を追加します。',
  'places.remove': '削除', 'places.none': 'まだ場所がありません。', 'places.notFound': '「{q}」は見つかりませんでした。', 'places.max': '場所は最大5か所です。',
  'places.defaultLabel': '場所{n}', 'places.needOne': '場所を1か所以上登録してください。',
  'household.legend': '世帯のようす（あてはまるもの）', 'language.label': 'お知らせの言語',
  'channels.legend': '受け取り方', 'channels.page': 'このページ（開いている間）', 'channels.webpush': 'ブラウザの通知（Web Push）',
  'channels.email': 'メールアドレス（確認メールが届きます）', 'channels.line': 'LINE で友だち追加する', 'channels.pushDenied': '通知が許可されませんでした。',
  'channels.phone': '電話番号（固定電話・携帯電話）', 'channels.phoneHint': '例: 0182-32-2111。番号は市からのお知らせにだけ使います。',
  'channels.voice': '電話で読み上げる（1 を押すと受け取りになります）', 'channels.sms': 'ショートメール（SMS・携帯電話のみ）',
  'channels.phoneNeeded': '電話番号を入力してください。',
  'tag.children': '子どもがいる', 'tag.elderly': '高齢者がいる', 'tag.care-needed': '介護が必要な人がいる', 'tag.disability-visual': '目が不自由な人がいる',
  'tag.disability-hearing': '耳が不自由な人がいる', 'tag.disability-mobility': '歩くのが難しい人がいる', 'tag.pregnant': '妊娠中の人がいる',
  'tag.foreign-language': '日本語以外の言語が必要',
  'live.new': '新しいお知らせ', 'error.generic': 'エラー: {e}',
});
addStrings('en', {
  skip: 'Skip to content', title: 'Yokote City disaster alerts', largeText: 'Larger text', uiLanguage: 'Page language',
  'inbox.title': 'Recent alerts', 'inbox.hint': 'If you missed a notification, it is here.', 'inbox.empty': 'No alerts.', 'inbox.exercise': 'Exercise',
  'inbox.ack': 'I got it', 'inbox.acked': 'Thank you, noted.',
  'safety.title': 'Tell the city you are safe', 'safety.safe': 'I am safe', 'safety.needHelp': 'I need help', 'safety.shareLocation': 'Send my current location too',
  'safety.sent': 'Sent ({s}).', 'safety.failed': 'Could not send: {e}',
  'register.title': 'Sign up for alerts', 'register.save': 'Sign up', 'register.update': 'Save changes', 'register.delete': 'Delete my registration',
  'register.saved': 'Signed up. This browser remembers your registration.', 'register.updated': 'Saved.', 'register.deleted': 'Your registration was deleted.',
  'register.confirmDelete': 'Delete your registration? This cannot be undone.',
  'places.legend': 'Places (home, work…, up to 5)', 'places.hint': 'Search by district name, or click the map.', 'places.search': 'Search district name',
  'places.label': 'Name (e.g. home)', 'places.add': 'Add this place', 'places.map': 'Map for choosing places', 'places.mapHint': 'Click the map to add that point.',
  'places.remove': 'Remove', 'places.none': 'No places yet.', 'places.notFound': '“{q}” was not found.', 'places.max': 'Up to 5 places.',
  'places.defaultLabel': 'Place {n}', 'places.needOne': 'Add at least one place.',
  'household.legend': 'Your household (tick what applies)', 'language.label': 'Alert language',
  'channels.legend': 'How to receive', 'channels.page': 'This page (while open)', 'channels.webpush': 'Browser notifications (Web Push)',
  'channels.email': 'E-mail (you will get a confirmation mail)', 'channels.line': 'Add the city on LINE', 'channels.pushDenied': 'Notifications were not allowed.',
  'channels.phone': 'Phone number (landline or mobile)', 'channels.phoneHint': 'E.g. 0182-32-2111. Used only for the city\'s alerts.',
  'channels.voice': 'A phone call reads the alert (press 1 to confirm)', 'channels.sms': 'Text message (SMS, mobile phones only)',
  'channels.phoneNeeded': 'Enter a phone number.',
  'tag.children': 'Children', 'tag.elderly': 'Older people', 'tag.care-needed': 'Someone needs care', 'tag.disability-visual': 'Visual impairment',
  'tag.disability-hearing': 'Hearing impairment', 'tag.disability-mobility': 'Mobility impairment', 'tag.pregnant': 'Pregnancy',
  'tag.foreign-language': 'Needs a language other than Japanese',
  'live.new': 'New alert', 'error.generic': 'Error: {e}',
});

const form = document.getElementById('register-form');
const placesList = document.getElementById('places');
const state = { resident: loadSaved(), places: [], endpoints: [], inbox: [] };
let map;
let placeMarkers;
let knownPlaces = [];
let connection;
let liveShown = null; // { sent }: the alert in the live box, so a late older one does not replace it

function loadSaved() {
  try { return JSON.parse(localStorage.getItem(STORAGE_KEY)) ?? null; } catch { return null; }
}

function bearer() {
  return { token: state.resident?.token };
}

async function start() {
  setLanguage(initialLanguage(LANGUAGE_KEY));
  const languageSelect = document.getElementById('ui-language');
  languageSelect.value = document.documentElement.lang;
  languageSelect.addEventListener('change', () => { setLanguage(languageSelect.value, LANGUAGE_KEY); renderAll(); });
  setupLargeText();
  const config = await loadConfig();
  renderHousehold(config.householdTags ?? []);
  if (safeUrl(config.lineFriendUrl)) {
    document.getElementById('line-link').href = config.lineFriendUrl;
    document.getElementById('line-option').hidden = false;
  }
  setupMap(config);
  setupPlaceSearch();
  if (config.webPush) setupWebPushOption();
  // Households without a smartphone: the city calls or texts the number (the hub normalises 0… numbers to +81…).
  document.getElementById('voice-option').hidden = !config.voice;
  document.getElementById('sms-option').hidden = !config.sms;
  document.getElementById('phone-option').hidden = !config.voice && !config.sms;
  form.addEventListener('submit', save);
  document.getElementById('delete').addEventListener('click', remove);
  document.getElementById('safe').addEventListener('click', () => reportSafety('safe'));
  document.getElementById('need-help').addEventListener('click', () => reportSafety('need-help'));
  if (state.resident) await loadRegistration();
  renderAll();
}

function setupLargeText() {
  const button = document.getElementById('large-text');
  const apply = on => {
    document.documentElement.classList.toggle('large-text', on);
    button.setAttribute('aria-pressed', String(on));
    localStorage.setItem(LARGE_TEXT_KEY, on ? '1' : '0');
    map?.invalidateSize();
  };
  button.addEventListener('click', () => apply(button.getAttribute('aria-pressed') !== 'true'));
  apply(localStorage.getItem(LARGE_TEXT_KEY) === '1');
}

function renderHousehold(tags) {
  const box = document.getElementById('household');
  for (const tag of tags) {
    box.append(h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'householdTag', value: tag }), h('span', { 'data-i18n': `tag.${tag}` }, t(`tag.${tag}`))));
  }
}

// ---------- places ----------
function setupMap(config) {
  map = createMap(L, document.getElementById('resident-map'), config);
  placeMarkers = L.layerGroup().addTo(map);
  map.on('click', event => addPlace(document.getElementById('place-label').value.trim(), event.latlng.lat, event.latlng.lng));
}

function setupPlaceSearch() {
  // The buttons work at once; a search made before the list arrived waits for it.
  const loading = api('GET', '/api/dashboard/places').catch(() => []).then(places => {
    knownPlaces = places;
    const list = document.getElementById('place-names');
    for (const p of places) list.append(h('option', { value: p.name }));
  });
  const search = document.getElementById('place-search');
  const add = async () => {
    await loading;
    const query = search.value.trim();
    if (!query) return;
    const found = knownPlaces.find(p => p.name === query) ?? knownPlaces.find(p => p.name.includes(query) || query.includes(p.name.replace(/（.*）$/, '')));
    if (!found) { showError(t('places.notFound', { q: query })); return; }
    addPlace(document.getElementById('place-label').value.trim() || found.name, found.lat, found.lon);
    map.setView([found.lat, found.lon], Math.max(map.getZoom(), 13));
    search.value = '';
  };
  document.getElementById('add-place').addEventListener('click', add);
  search.addEventListener('keydown', event => { if (event.key === 'Enter') { event.preventDefault(); add(); } });
}

function addPlace(label, lat, lon) {
  if (state.places.length >= MAX_PLACES) { showError(t('places.max')); return; }
  state.places.push({ label: label || t('places.defaultLabel', { n: state.places.length + 1 }), lat: Math.round(lat * 1e6) / 1e6, lon: Math.round(lon * 1e6) / 1e6 });
  document.getElementById('place-label').value = '';
  showError('');
  renderPlaces();
}

function renderPlaces() {
  clear(placesList);
  placeMarkers.clearLayers();
  if (!state.places.length) placesList.append(h('li', { class: 'muted' }, t('places.none')));
  state.places.forEach((p, index) => {
    placesList.append(h('li', {}, h('span', {}, `${p.label} (${p.lat.toFixed(4)}, ${p.lon.toFixed(4)})`),
      h('button', { type: 'button', class: 'secondary', 'aria-label': `${t('places.remove')}: ${p.label}`, onclick: () => { state.places.splice(index, 1); renderPlaces(); } }, t('places.remove'))));
    L.circleMarker([p.lat, p.lon], { radius: 8, color: '#1d4ed8', weight: 3, fillOpacity: 0.5 }).bindTooltip(h('span', {}, p.label)).addTo(placeMarkers);
  });
}

// ---------- channels ----------
let vapidKey = null;
async function setupWebPushOption() {
  if (!('serviceWorker' in navigator) || !('PushManager' in window)) return;
  try { vapidKey = (await api('GET', '/api/webpush/vapid-public-key')).publicKey; } catch { return; }
  if (vapidKey) document.getElementById('webpush-option').hidden = false;
}

function base64UrlToBytes(text) {
  const padded = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  return Uint8Array.from(atob(padded), c => c.charCodeAt(0));
}

async function webPushEndpoint() {
  const registration = await navigator.serviceWorker.register('/sw.js', { scope: '/' });
  const permission = await Notification.requestPermission();
  if (permission !== 'granted') throw new Error(t('channels.pushDenied'));
  const subscription = (await registration.pushManager.getSubscription())
    ?? await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: base64UrlToBytes(vapidKey) });
  const json = subscription.toJSON();
  return { channel: 'webpush', address: json.endpoint, keys: { p256dh: json.keys.p256dh, auth: json.keys.auth } };
}

async function collectEndpoints() {
  const endpoints = [];
  if (document.getElementById('channel-page').checked) endpoints.push({ channel: 'signalr' });
  if (document.getElementById('channel-webpush').checked && vapidKey) endpoints.push(await webPushEndpoint());
  const email = document.getElementById('email').value.trim();
  if (email) endpoints.push({ channel: 'email', address: email });
  const phone = document.getElementById('phone').value.trim();
  const phoneChannels = ['voice', 'sms'].filter(c => document.getElementById(`channel-${c}`).checked);
  if (phoneChannels.length && !phone) { document.getElementById('phone').focus(); throw new Error(t('channels.phoneNeeded')); }
  for (const channel of phoneChannels) endpoints.push({ channel, address: phone });
  return endpoints;
}

// ---------- register / edit / delete ----------
function requestBody(endpoints) {
  return {
    attributes: {
      householdTags: [...form.querySelectorAll('input[name="householdTag"]:checked')].map(i => i.value),
      language: document.getElementById('language').value,
    },
    places: state.places,
    endpoints,
  };
}

async function save(event) {
  event.preventDefault();
  showError('');
  const result = document.getElementById('form-result');
  result.textContent = '';
  if (!state.places.length) { showError(t('places.needOne')); document.getElementById('place-search').focus(); return; }
  try {
    const body = requestBody(await collectEndpoints());
    if (state.resident) {
      await api('PUT', `/api/residents/${state.resident.id}`, body, bearer());
      result.textContent = t('register.updated');
    } else {
      const created = await api('POST', '/api/residents', body);
      state.resident = { id: created.id, token: created.token };
      localStorage.setItem(STORAGE_KEY, JSON.stringify(state.resident));
      result.textContent = t('register.saved');
      await connectRealtime();
      await loadInbox();
    }
    renderAll();
  } catch (e) {
    showError(t('error.generic', { e: e.code ? `${e.code}: ${e.message}` : e.message }));
  }
}

async function loadRegistration() {
  try {
    const resident = await api('GET', `/api/residents/${state.resident.id}`, undefined, bearer());
    state.places = resident.places.map(p => ({ label: p.label ?? '', lat: p.lat, lon: p.lon }));
    for (const input of form.querySelectorAll('input[name="householdTag"]')) input.checked = resident.attributes.householdTags?.includes(input.value) ?? false;
    document.getElementById('language').value = resident.attributes.language ?? 'ja';
    document.getElementById('channel-page').checked = resident.endpoints.some(e => e.channel === 'signalr');
    document.getElementById('channel-webpush').checked = resident.endpoints.some(e => e.channel === 'webpush');
    document.getElementById('email').value = resident.endpoints.find(e => e.channel === 'email')?.address ?? '';
    document.getElementById('channel-voice').checked = resident.endpoints.some(e => e.channel === 'voice');
    document.getElementById('channel-sms').checked = resident.endpoints.some(e => e.channel === 'sms');
    document.getElementById('phone').value = resident.endpoints.find(e => e.channel === 'voice' || e.channel === 'sms')?.address ?? '';
    await connectRealtime();
    await loadInbox();
  } catch (e) {
    if (e instanceof ApiError && (e.status === 401 || e.status === 404)) {
      // Deleted elsewhere, or the token no longer matches: start over.
      localStorage.removeItem(STORAGE_KEY);
      state.resident = null;
    } else {
      showError(t('error.generic', { e: e.message }));
    }
  }
}

async function remove() {
  if (!state.resident || !confirm(t('register.confirmDelete'))) return;
  try {
    await api('DELETE', `/api/residents/${state.resident.id}`, undefined, bearer());
    localStorage.removeItem(STORAGE_KEY);
    state.resident = null;
    state.places = [];
    state.inbox = [];
    await connection?.stop();
    document.getElementById('form-result').textContent = t('register.deleted');
    renderAll();
  } catch (e) {
    showError(t('error.generic', { e: e.message }));
  }
}

// ---------- inbox, live alerts, safety ----------
async function loadInbox() {
  if (!state.resident) return;
  try {
    state.inbox = await api('GET', `/api/residents/${state.resident.id}/inbox`, undefined, bearer());
  } catch {
    state.inbox = [];
  }
  renderInbox();
}

function renderInbox() {
  const list = clear(document.getElementById('inbox'));
  if (!state.inbox.length) { list.append(h('li', { class: 'muted' }, t('inbox.empty'))); return; }
  for (const item of state.inbox) {
    list.append(h('li', { class: item.isExercise ? 'exercise' : null, lang: item.language?.startsWith('ja') ? 'ja' : item.language, dataset: { alertId: item.alertId } },
      h('h3', {}, item.title),
      h('p', {}, h('time', { datetime: item.sentAt }, formatTime(item.sentAt)), item.isExercise ? ` · ${t('inbox.exercise')}` : ''),
      h('p', { class: 'inbox-body' }, item.body),
      // What to do is the part a resident who missed the push needs most.
      item.instruction ? h('p', { class: 'inbox-instruction' }, item.instruction) : null,
      item.imageUrl ? h('img', { src: item.imageUrl, alt: '' }) : null,
      h('button', { type: 'button', class: 'secondary', onclick: event => acknowledge(item.alertId, event.currentTarget) }, t('inbox.ack'))));
  }
}

async function acknowledge(alertId, button) {
  try {
    await api('POST', `/api/alerts/${encodeURIComponent(alertId)}/ack`, { residentId: state.resident.id, via: 'web' }, bearer());
    button.replaceWith(h('span', { class: 'muted' }, t('inbox.acked')));
  } catch (e) {
    announce(t('error.generic', { e: e.message }));
  }
}

async function connectRealtime() {
  if (!state.resident || !window.signalR) return;
  await connection?.stop();
  connection = createHubConnection();
  connection.on('alert', message => {
    // On (re)subscribing, the hub hands over what was pending while this page was closed, in no particular order:
    // an older alert arriving late must not replace a newer one (the inbox below lists them all).
    const sent = Date.parse(message.sent) || 0;
    if (!liveShown || sent >= liveShown.sent) {
      liveShown = { sent };
      const live = clear(document.getElementById('live-alert'));
      live.append(h('div', { class: 'live-alert' }, h('strong', {}, `${t('live.new')}: ${message.headline}`), h('p', {}, message.body),
        message.instruction ? h('p', {}, message.instruction) : null));
    }
    loadInbox();
  });
  connection.on('shelterStatus', () => {});
  const subscribe = () => connection.invoke('Subscribe', state.resident.id, state.resident.token);
  connection.onreconnected(subscribe);
  try {
    await connection.start();
    await subscribe();
  } catch { /* the inbox still shows what was sent */ }
}

async function reportSafety(status) {
  const result = document.getElementById('safety-result');
  const body = { status, alertId: state.inbox[0]?.alertId };
  try {
    if (document.getElementById('share-location').checked && navigator.geolocation) {
      const position = await new Promise((resolve, reject) => navigator.geolocation.getCurrentPosition(resolve, reject, { timeout: 10000 }));
      body.location = { lat: position.coords.latitude, lon: position.coords.longitude };
    }
    await api('POST', `/api/residents/${state.resident.id}/safety`, body, bearer());
    result.textContent = t('safety.sent', { s: t(status === 'safe' ? 'safety.safe' : 'safety.needHelp') });
  } catch (e) {
    result.textContent = t('safety.failed', { e: e.message });
  }
}

function showError(text) {
  document.getElementById('form-error').textContent = text;
}

function renderAll() {
  const registered = !!state.resident;
  document.getElementById('inbox-section').hidden = !registered;
  document.getElementById('safety-section').hidden = !registered;
  document.getElementById('delete').hidden = !registered;
  const save = document.getElementById('save');
  save.dataset.i18n = registered ? 'register.update' : 'register.save';
  applyStrings();
  renderPlaces();
  if (registered) renderInbox();
}

start();
