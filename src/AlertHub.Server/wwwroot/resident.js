// The resident page: register, edit or delete (POST/PUT/DELETE /api/residents; id + token kept in this
// browser's localStorage), places by 町字 name (GET /api/places/search: the imported 町字 points, else the districts)
// or by a tap on the map that asks first, household, language, and the channels the hub has enabled — each saying
// plainly what it does and does not do (this page over SignalR only while it is open, Web Push through a service
// worker, e-mail after its confirmation link, phone numbers, a LINE link). Once registered: how alerts will reach
// this resident, the inbox of recent alerts (with the area, what to do, and 受け取りました kept by the hub), the
// nearest open shelters and the 安否 reply. Everything from the hub reaches the page as text (h(), textContent).
import * as L from '/lib/leaflet/leaflet-src.esm.js';
import { api, ApiError, h, clear, t, addStrings, setLanguage, language, initialLanguage, applyStrings, loadConfig, createMap, createHubConnection, formatTime, announce, safeUrl, debounce } from '/shared/common.js';

const STORAGE_KEY = 'alerthub.resident';
const LANGUAGE_KEY = 'alerthub.resident.lang';
const LARGE_TEXT_KEY = 'alerthub.resident.largeText';
const MAX_PLACES = 5;
const NEAREST_SHELTERS = 3;
// Shelters a resident can go to; 'full' and 'closed' ones are not offered.
const OPEN_SHELTER_STATES = ['open', 'crowded'];

addStrings('ja', {
  skip: '本文へ移動', title: '横手市 防災お知らせ', largeText: '文字を大きく', uiLanguage: '表示言語',
  'inbox.title': '最近のお知らせ', 'inbox.hint': '通知を見逃しても、ここで確認できます。', 'inbox.empty': 'お知らせはありません。',
  'shelters.title': '近くの開いている避難所', 'shelters.none': 'いま開いている避難所はありません。市が避難所を開くと、ここに近い順に表示されます。',
  'shelters.from': '{place}から約{d}', 'shelters.open': '開設中', 'shelters.crowded': '混雑しています', 'shelters.liveNearest': '近くの開いている避難所: {name}（{place}から約{d}）',
  'safety.title': '安否を知らせる', 'safety.safe': '無事です', 'safety.needHelp': '助けが必要です', 'safety.shareLocation': '現在地を一緒に送る',
  'safety.sent': '送信しました（{s}）。', 'safety.failed': '送信できませんでした。{e}',
  'delivery.title': 'お知らせの届き方',
  'delivery.signalr': 'このページ: 開いている間だけ画面に出ます。ページを閉じると届きません。',
  'delivery.webpush': 'ブラウザの通知: この端末に届きます（通知を許可している間）。',
  'delivery.email.active': 'メール（{a}）: 届きます。', 'delivery.email.pending': 'メール（{a}）: 確認待ちです。届いた確認メールのリンクを開いてください。開くまでは、メールでは届きません。',
  'delivery.sms.active': 'ショートメッセージ（{a}）: 届きます。', 'delivery.voice.active': '電話（{a}）: 電話でお知らせを読み上げます。',
  'delivery.active': '{c}（{a}）: 届きます。', 'delivery.pending': '{c}（{a}）: 確認待ちです。', 'delivery.gone': '{c}（{a}）: 届かなくなったため止まっています。登録し直してください。',
  'delivery.pageOnly': 'このページを閉じると、お知らせは届きません。ほかの受け取り方も登録してください。',
  'delivery.nothing': 'いまは、お知らせが届く受け取り方がありません。',
  'delivery.untilConfirmed': '確認が済むまでは、このページを閉じるとお知らせは届きません。',
  'register.title': 'お知らせを受け取る登録', 'register.save': '登録する', 'register.update': '登録内容を更新する', 'register.delete': '登録を削除する',
  'register.saved': '登録しました。このブラウザに登録情報を保存しました。', 'register.updated': '更新しました。', 'register.deleted': '登録を削除しました。',
  'register.savedPageOnly': 'ただし、このページを閉じるとお知らせは届きません。',
  'register.emailSent': '確認メールを {a} に送りました。メールのリンクを開くまで、メールではお知らせが届きません。',
  'register.confirmDelete': '登録を削除しますか？この操作は元に戻せません。',
  'places.legend': '場所（自宅・職場など、最大5か所）', 'places.hint': '町字名で探すか、地図をタップしてください。', 'places.search': '町字名で探す',
  'places.label': '名前（例: 自宅）', 'places.add': 'この場所を追加', 'places.map': '場所を選ぶ地図', 'places.mapHint': '地図をタップすると、その地点を追加するか確認します。',
  'places.confirmText': '地図で選んだ地点を、登録する場所に追加しますか？', 'places.confirmAdd': 'この地点を追加する', 'places.confirmCancel': 'やめる',
  'places.near': '{name}付近（約{d}）', 'places.inDistrict': '{name}の中', 'places.tapped': '選んだ地点',
  'places.remove': '削除', 'places.none': 'まだ場所がありません。', 'places.notFound': '「{q}」は見つかりませんでした。別の書き方で探すか、地図をタップして選んでください。',
  'places.max': '場所は最大5か所です。', 'places.defaultLabel': '場所{n}', 'places.needOne': '場所を1か所以上登録してください。',
  'places.credit': '町字の位置: {a}', 'places.demoOnly': 'いまは地区名だけで探せます（町字の位置は市が準備中です）。',
  'household.legend': '世帯のようす（あてはまるもの）', 'language.label': 'お知らせの言語',
  'channels.legend': '受け取り方', 'channels.hint': '届き方がちがいます。できれば2つ以上選んでください。',
  'channels.pageOnlyAsk': 'このページだけでは、ページを閉じたあとのお知らせは届きません。ほかの受け取り方も選びますか？',
  'channels.chooseAnother': 'ほかの受け取り方を選ぶ', 'channels.pageOnlyContinue': 'このページだけで登録する',
  'channels.warnPageOnly': 'いまの選び方では、このページを閉じるとお知らせは届きません。ほかの受け取り方も選んでください。',
  'channels.warnOnlyPageOffered': 'このページを閉じるとお知らせは届きません。テレビ・ラジオ・防災無線などでも情報を確かめてください。',
  'channels.needOne': '受け取り方を1つ以上選んでください。', 'channels.notSupported': 'このブラウザでは使えません。',
  'channel.signalr.label': 'このページ（開いている間だけ）', 'channel.signalr.does': 'このページを開いている間は、お知らせがすぐ画面に出ます。',
  'channel.signalr.doesNot': 'このページを閉じると届きません。スマートフォンの画面が消えている間も届かないことがあります。',
  'channel.webpush.label': 'この端末への通知（ブラウザの通知）', 'channel.webpush.does': 'ページを閉じていても、このスマートフォンやパソコンに通知が届きます。はじめに通知の許可を聞かれます。',
  'channel.webpush.doesNot': '通知を許可しないと届きません。ほかの端末には届きません。',
  'channel.email.label': 'メールアドレス', 'channel.email.does': 'メールで届きます。登録のあとに届く確認メールのリンクを開くと、配信が始まります。',
  'channel.email.doesNoConfirm': 'メールで届きます。', 'channel.email.doesNot': '確認メールのリンクを開くまでは届きません。迷惑メールの設定によっては届きません。',
  'channel.email.doesNotNoConfirm': '迷惑メールの設定によっては届きません。',
  'channel.sms.label': '携帯電話の番号（ショートメッセージ）', 'channel.sms.does': '携帯電話にショートメッセージ（SMS）で届きます。',
  'channel.sms.doesNot': '固定電話には送れません。電波の届かない所では届きません。',
  'channel.voice.label': '電話番号（音声で読み上げ）', 'channel.voice.does': '電話がかかってきて、お知らせを読み上げます。固定電話でも受けられます。',
  'channel.voice.doesNot': '電話に出られないと、聞き逃すことがあります。',
  'channel.line.label': 'LINE で友だち追加する', 'channel.line.does': '市の LINE 公式アカウントを友だち追加すると、LINE で届きます。',
  'channel.line.doesNot': '地区は LINE の中で選びます。このページの登録とは別です。',
  'channel.other.does': 'このサービスで届きます。', 'channel.other.doesNot': '',
  'tag.children': '子どもがいる', 'tag.elderly': '高齢者がいる', 'tag.care-needed': '介護が必要な人がいる', 'tag.disability-visual': '目が不自由な人がいる',
  'tag.disability-hearing': '耳が不自由な人がいる', 'tag.disability-mobility': '歩くのが難しい人がいる', 'tag.pregnant': '妊娠中の人がいる',
  'tag.foreign-language': '日本語以外の言語が必要',
  'error.network': '通信できませんでした。電波のよい所で、もう一度お試しください。',
  'error.channelUnknown': 'この受け取り方は、いまは使えません。ほかの受け取り方を選んでください。',
  'error.emailInvalid': 'メールアドレスの形が正しくありません。例: taro@example.jp のように入力してください。',
  'error.phoneInvalid': '電話番号の形が正しくありません。市外局番から入力してください（例: 0182-32-2111、090-1234-5678）。',
  'error.phoneNotMobile': 'ショートメッセージは携帯電話（070・080・090）にだけ送れます。固定電話は「電話番号（音声で読み上げ）」で登録してください。',
  'error.endpointInvalid': '受け取り方の入力に誤りがあります。入力した内容をお確かめください。',
  'error.placeInvalid': '場所の位置が正しくありません。もう一度選んでください。', 'error.tooManyPlaces': '場所は最大5か所です。',
  'error.rateLimited': '登録が続いたため、しばらく受け付けられません。数分たってから、もう一度お試しください。',
  'error.token': 'このブラウザの登録情報が見つかりません。もう一度登録してください。',
  'error.generic': '登録できませんでした。時間をおいて、もう一度お試しください。', 'error.pushDenied': '通知が許可されませんでした。ブラウザの設定で通知を許可するか、ほかの受け取り方を選んでください。',
  'error.requestFailed': 'うまくいきませんでした。時間をおいて、もう一度お試しください。',
  'live.new': '新しいお知らせ',
});
addStrings('en', {
  skip: 'Skip to content', title: 'Yokote City disaster alerts', largeText: 'Larger text', uiLanguage: 'Page language',
  'inbox.title': 'Recent alerts', 'inbox.hint': 'If you missed a notification, it is here.', 'inbox.empty': 'No alerts.',
  'shelters.title': 'Open shelters near you', 'shelters.none': 'No shelter is open now. When the city opens shelters, the nearest are listed here.',
  'shelters.from': 'about {d} from {place}', 'shelters.open': 'open', 'shelters.crowded': 'crowded', 'shelters.liveNearest': 'Nearest open shelter: {name} (about {d} from {place})',
  'safety.title': 'Tell the city you are safe', 'safety.safe': 'I am safe', 'safety.needHelp': 'I need help', 'safety.shareLocation': 'Send my current location too',
  'safety.sent': 'Sent ({s}).', 'safety.failed': 'Could not send. {e}',
  'delivery.title': 'How alerts reach you',
  'delivery.signalr': 'This page: shown while it is open. Nothing arrives once you close it.',
  'delivery.webpush': 'Browser notifications: sent to this device (while notifications are allowed).',
  'delivery.email.active': 'E-mail ({a}): alerts are sent.', 'delivery.email.pending': 'E-mail ({a}): waiting for you to open the link in the confirmation mail. No alert is e-mailed until then.',
  'delivery.sms.active': 'Text message ({a}): alerts are sent.', 'delivery.voice.active': 'Phone ({a}): alerts are read out in a call.',
  'delivery.active': '{c} ({a}): alerts are sent.', 'delivery.pending': '{c} ({a}): waiting for confirmation.', 'delivery.gone': '{c} ({a}): stopped because messages could not be delivered. Please register it again.',
  'delivery.pageOnly': 'Nothing arrives once you close this page. Please add another way to receive alerts.',
  'delivery.nothing': 'No way to receive alerts is active now.',
  'delivery.untilConfirmed': 'Until you confirm, nothing arrives once you close this page.',
  'register.title': 'Sign up for alerts', 'register.save': 'Sign up', 'register.update': 'Save changes', 'register.delete': 'Delete my registration',
  'register.saved': 'Signed up. This browser remembers your registration.', 'register.updated': 'Saved.', 'register.deleted': 'Your registration was deleted.',
  'register.savedPageOnly': 'But nothing arrives once you close this page.',
  'register.emailSent': 'We sent a confirmation mail to {a}. No alert is e-mailed until you open its link.',
  'register.confirmDelete': 'Delete your registration? This cannot be undone.',
  'places.legend': 'Places (home, work…, up to 5)', 'places.hint': 'Search by town name, or tap the map.', 'places.search': 'Search town name',
  'places.label': 'Name (e.g. home)', 'places.add': 'Add this place', 'places.map': 'Map for choosing places', 'places.mapHint': 'Tap the map to choose a point; you will be asked before it is added.',
  'places.confirmText': 'Add the point you tapped as one of your places?', 'places.confirmAdd': 'Add this point', 'places.confirmCancel': 'Cancel',
  'places.near': 'near {name} (about {d})', 'places.inDistrict': 'in {name}', 'places.tapped': 'Chosen point',
  'places.remove': 'Remove', 'places.none': 'No places yet.', 'places.notFound': '“{q}” was not found. Try another spelling, or tap the map.',
  'places.max': 'Up to 5 places.', 'places.defaultLabel': 'Place {n}', 'places.needOne': 'Add at least one place.',
  'places.credit': 'Town positions: {a}', 'places.demoOnly': 'Only district names can be searched for now.',
  'household.legend': 'Your household (tick what applies)', 'language.label': 'Alert language',
  'channels.legend': 'How to receive', 'channels.hint': 'Each way works differently. Please choose two or more if you can.',
  'channels.pageOnlyAsk': 'With this page alone, nothing arrives once you close it. Choose another way as well?',
  'channels.chooseAnother': 'Choose another way', 'channels.pageOnlyContinue': 'Sign up with this page only',
  'channels.warnPageOnly': 'As chosen, nothing arrives once you close this page. Please choose another way as well.',
  'channels.warnOnlyPageOffered': 'Nothing arrives once you close this page. Please also follow TV, radio and the city loudspeakers.',
  'channels.needOne': 'Choose at least one way to receive alerts.', 'channels.notSupported': 'Not available in this browser.',
  'channel.signalr.label': 'This page (only while it is open)', 'channel.signalr.does': 'While this page is open, alerts appear at once.',
  'channel.signalr.doesNot': 'Nothing arrives once you close this page, and maybe not while the phone screen is off.',
  'channel.webpush.label': 'Notifications on this device', 'channel.webpush.does': 'Alerts arrive on this phone or computer even when the page is closed. You will be asked to allow notifications.',
  'channel.webpush.doesNot': 'Nothing arrives if notifications are not allowed, and not on your other devices.',
  'channel.email.label': 'E-mail address', 'channel.email.does': 'Alerts are e-mailed to you once you open the link in the confirmation mail we send.',
  'channel.email.doesNoConfirm': 'Alerts are e-mailed to you.', 'channel.email.doesNot': 'Nothing is e-mailed before you open the confirmation link. Spam filters may block it.',
  'channel.email.doesNotNoConfirm': 'Spam filters may block it.',
  'channel.sms.label': 'Mobile number (text message)', 'channel.sms.does': 'Alerts arrive as text messages (SMS).',
  'channel.sms.doesNot': 'Landlines cannot receive them; nothing arrives without mobile reception.',
  'channel.voice.label': 'Phone number (voice call)', 'channel.voice.does': 'You get a call that reads the alert out. Landlines work too.',
  'channel.voice.doesNot': 'If you cannot answer, you may miss it.',
  'channel.line.label': 'Add the city on LINE', 'channel.line.does': 'Add the city’s official LINE account as a friend to get alerts on LINE.',
  'channel.line.doesNot': 'You choose your district inside LINE; it is separate from this sign-up.',
  'channel.other.does': 'Alerts are sent this way.', 'channel.other.doesNot': '',
  'tag.children': 'Children', 'tag.elderly': 'Older people', 'tag.care-needed': 'Someone needs care', 'tag.disability-visual': 'Visual impairment',
  'tag.disability-hearing': 'Hearing impairment', 'tag.disability-mobility': 'Mobility impairment', 'tag.pregnant': 'Pregnancy',
  'tag.foreign-language': 'Needs a language other than Japanese',
  'error.network': 'Could not connect. Please try again where the signal is better.',
  'error.channelUnknown': 'This way of receiving alerts is not available now. Please choose another.',
  'error.emailInvalid': 'That e-mail address does not look right. Write it like taro@example.jp.',
  'error.phoneInvalid': 'That phone number does not look right. Include the area code (e.g. 0182-32-2111, 090-1234-5678).',
  'error.phoneNotMobile': 'Text messages go to mobile numbers (070, 080, 090) only. Register a landline for voice calls instead.',
  'error.endpointInvalid': 'Something in how to receive alerts is not right. Please check what you entered.',
  'error.placeInvalid': 'A place’s position is not right. Please choose it again.', 'error.tooManyPlaces': 'Up to 5 places.',
  'error.rateLimited': 'Too many sign-ups just now. Please try again in a few minutes.',
  'error.token': 'This browser’s registration was not found. Please sign up again.',
  'error.generic': 'Could not sign up. Please try again later.', 'error.pushDenied': 'Notifications were not allowed. Allow them in the browser settings, or choose another way.',
  'error.requestFailed': 'That did not work. Please try again later.',
  'live.new': 'New alert',
});

// Labels inside an alert follow the alert's own language: an やさしい日本語 reader gets them in kana.
const ALERT_LABELS = {
  ja: { area: '対象地域', instruction: 'とるべき行動', exercise: '訓練', ack: '受け取りました', acked: '受け取りを伝えました。', live: '新しいお知らせ' },
  'ja-x-easy': { area: 'ばしょ', instruction: 'すること', exercise: 'くんれん', ack: 'うけとりました', acked: 'うけとった ことを つたえました。', live: 'あたらしい おしらせ' },
  en: { area: 'Area', instruction: 'What to do', exercise: 'Exercise', ack: 'I got it', acked: 'Thank you, noted.', live: 'New alert' },
};
function alertLabels(alertLanguage) {
  if (alertLanguage === 'ja-x-easy') return ALERT_LABELS['ja-x-easy'];
  if (alertLanguage === 'ja' || alertLanguage?.startsWith('ja-')) return ALERT_LABELS.ja;
  if (alertLanguage?.startsWith('en')) return ALERT_LABELS.en;
  return ALERT_LABELS[language()] ?? ALERT_LABELS.ja;
}

const form = document.getElementById('register-form');
const placesList = document.getElementById('places');
const state = { resident: loadSaved(), places: [], endpoints: [], inbox: [], shelters: [], offers: [], pageOnlyAccepted: false };
let map;
let placeMarkers;
let pendingMarker = null;
let pendingPoint = null;
let searchResults = [];
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
  state.config = config;
  setupMap(config);
  setupPlaceSearch();
  state.offers = config.channels ?? [];
  renderChannelOptions();
  form.addEventListener('submit', save);
  form.addEventListener('change', event => { if (event.target.closest?.('#channel-options')) updateChannelWarning(); });
  form.addEventListener('input', event => { if (event.target.closest?.('#channel-options')) updateChannelWarning(); });
  document.getElementById('page-only-choose').addEventListener('click', chooseAnotherChannel);
  document.getElementById('page-only-continue').addEventListener('click', () => { state.pageOnlyAccepted = true; hidePageOnlyQuestion(); form.requestSubmit(); });
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

/** 「約350m」 / 「約2.7km」. */
function formatDistance(meters) {
  if (meters < 1000) return language() === 'en' ? `${Math.max(10, Math.round(meters / 10) * 10)} m` : `${Math.max(10, Math.round(meters / 10) * 10)}m`;
  const km = (Math.round(meters / 100) / 10).toString();
  return language() === 'en' ? `${km} km` : `${km}km`;
}

function distanceMeters(lat1, lon1, lat2, lon2) {
  const rad = Math.PI / 180;
  const a = Math.sin((lat2 - lat1) * rad / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin((lon2 - lon1) * rad / 2) ** 2;
  return 2 * 6371008.8 * Math.asin(Math.sqrt(a));
}

// ---------- places ----------
function setupMap(config) {
  map = createMap(L, document.getElementById('resident-map'), config);
  placeMarkers = L.layerGroup().addTo(map);
  // A tap only proposes the point: an accidental tap while panning must not register a place someone never meant.
  map.on('click', event => proposePoint(event.latlng.lat, event.latlng.lng));
  document.getElementById('map-confirm-add').addEventListener('click', () => {
    if (!pendingPoint) return;
    const { lat, lon, name } = pendingPoint;
    if (addPlace(document.getElementById('place-label').value.trim() || name, lat, lon)) closeProposal();
  });
  document.getElementById('map-confirm-cancel').addEventListener('click', () => closeProposal(true));
}

async function proposePoint(lat, lon) {
  pendingPoint = { lat, lon, name: '' };
  pendingMarker?.remove();
  pendingMarker = L.circleMarker([lat, lon], { radius: 10, color: '#b45309', weight: 3, dashArray: '4 3', fillOpacity: 0.2 }).addTo(map);
  const panel = document.getElementById('map-confirm');
  document.getElementById('map-confirm-text').textContent = t('places.confirmText');
  const near = document.getElementById('map-confirm-near');
  near.textContent = '';
  panel.hidden = false;
  panel.scrollIntoView({ block: 'nearest' });
  document.getElementById('map-confirm-add').focus({ preventScroll: true });
  try {
    const found = await api('GET', `/api/places/nearest?lat=${lat.toFixed(6)}&lon=${lon.toFixed(6)}`);
    if (pendingPoint?.lat !== lat || pendingPoint?.lon !== lon) return; // another tap since
    if (found?.town) {
      pendingPoint.name = found.town.town;
      near.textContent = t('places.near', { name: found.town.town, d: formatDistance(found.town.distanceMeters) });
    } else if (found?.district) {
      pendingPoint.name = found.district;
      near.textContent = t('places.inDistrict', { name: found.district });
    }
  } catch { /* the point can be added without a name */ }
}

function closeProposal(returnFocus = false) {
  pendingPoint = null;
  pendingMarker?.remove();
  pendingMarker = null;
  document.getElementById('map-confirm').hidden = true;
  if (returnFocus) document.getElementById('resident-map').focus?.();
}

function renderPlaceCredit() {
  const config = state.config ?? {};
  document.getElementById('place-credit').textContent = config.townPoints > 0
    ? (config.townAttribution ? t('places.credit', { a: config.townAttribution }) : '')
    : t('places.demoOnly');
}

function setupPlaceSearch() {
  const search = document.getElementById('place-search');
  const list = document.getElementById('place-names');
  let suggesting;
  const lookup = async (query, signal) => {
    const results = (await api('GET', `/api/places/search?q=${encodeURIComponent(query)}&limit=8`, undefined, { signal })) ?? [];
    searchResults = results;
    clear(list);
    for (const p of results) list.append(h('option', { value: p.name }, p.district ? `${p.name}（${p.district}）` : p.name));
    return results;
  };
  // Suggestions as the resident types; a newer one replaces an older one still on its way.
  const suggest = debounce(() => {
    const query = search.value.trim();
    if (!query) return;
    suggesting?.abort();
    suggesting = new AbortController();
    lookup(query, suggesting.signal).catch(() => {});
  }, 200);
  search.addEventListener('input', suggest);
  // The button never waits on (or is cancelled by) a suggestion: it looks the name up itself.
  const add = async () => {
    const query = search.value.trim();
    if (!query) return;
    let found = searchResults.find(p => p.name === query);
    if (!found) {
      try { found = (await lookup(query))[0]; } catch (e) { showError(errorSentence(e)); return; }
    }
    if (!found) { showError(t('places.notFound', { q: query })); return; }
    if (addPlace(document.getElementById('place-label').value.trim() || found.name, found.lat, found.lon)) {
      map.setView([found.lat, found.lon], Math.max(map.getZoom(), 15));
      if (search.value.trim() === query) search.value = '';
    }
  };
  document.getElementById('add-place').addEventListener('click', add);
  search.addEventListener('keydown', event => { if (event.key === 'Enter') { event.preventDefault(); add(); } });
}

function addPlace(label, lat, lon) {
  if (state.places.length >= MAX_PLACES) { showError(t('places.max')); return false; }
  state.places.push({ label: label || t('places.defaultLabel', { n: state.places.length + 1 }), lat: Math.round(lat * 1e6) / 1e6, lon: Math.round(lon * 1e6) / 1e6 });
  document.getElementById('place-label').value = '';
  showError('');
  renderPlaces();
  renderShelters();
  return true;
}

function renderPlaces() {
  clear(placesList);
  placeMarkers.clearLayers();
  if (!state.places.length) placesList.append(h('li', { class: 'muted' }, t('places.none')));
  state.places.forEach((p, index) => {
    placesList.append(h('li', { dataset: { lat: p.lat, lon: p.lon } }, h('span', {}, `${p.label} (${p.lat.toFixed(4)}, ${p.lon.toFixed(4)})`),
      h('button', { type: 'button', class: 'secondary', 'aria-label': `${t('places.remove')}: ${p.label}`, onclick: () => { state.places.splice(index, 1); renderPlaces(); renderShelters(); } }, t('places.remove'))));
    L.circleMarker([p.lat, p.lon], { radius: 8, color: '#1d4ed8', weight: 3, fillOpacity: 0.5 }).bindTooltip(h('span', {}, p.label)).addTo(placeMarkers);
  });
}

// ---------- channels ----------
// The page offers exactly the channels the hub has enabled (GET /api/dashboard/config → channels), each with what it
// does and does not do, so a new channel appears by being enabled and nobody ticks a box that does nothing.
let vapidKey = null;

/** The dictionary key of a channel's label, does or doesNot text (null for a channel this page has no words for). */
function channelKey(name, key, offer) {
  const specific = offer?.confirms === false ? `channel.${name}.${key}NoConfirm` : null;
  if (specific && t(specific) !== specific) return specific;
  const general = `channel.${name}.${key}`;
  return t(general) !== general ? general : null;
}

function channelText(name, key, offer) {
  const known = channelKey(name, key, offer);
  if (known) return t(known);
  return key === 'label' ? name : t(`channel.other.${key}`);
}

/** Text that follows the page language when it changes (data-i18n), when the page has words for it. */
function channelTextAttrs(name, key, offer) {
  const known = channelKey(name, key, offer);
  return known ? { 'data-i18n': known } : {};
}

function renderChannelOptions() {
  const box = clear(document.getElementById('channel-options'));
  for (const offer of state.offers) {
    const name = offer.name;
    const doesId = `channel-${name}-does`;
    const doesNotId = `channel-${name}-doesnot`;
    const describe = [doesId, doesNotId].join(' ');
    let control;
    if (offer.signup === 'page' || offer.signup === 'browser') {
      control = h('label', { class: 'check' },
        h('input', { type: 'checkbox', id: `channel-${name}`, name: 'channel', value: name, checked: offer.signup === 'page', 'aria-describedby': describe }),
        h('span', { class: 'channel-label', ...channelTextAttrs(name, 'label') }, channelText(name, 'label')));
    } else if (offer.signup === 'address') {
      control = h('div', { class: 'field' },
        h('label', { for: `channel-${name}`, class: 'channel-label', ...channelTextAttrs(name, 'label') }, channelText(name, 'label')),
        h('input', { id: `channel-${name}`, name: 'channel-address', type: offer.addressType === 'tel' ? 'tel' : 'email', dataset: { channel: name },
          autocomplete: offer.addressType === 'tel' ? 'tel' : 'email', inputmode: offer.addressType === 'tel' ? 'tel' : 'email', maxlength: 254, 'aria-describedby': describe }));
    } else if (offer.signup === 'link' && safeUrl(offer.url)) {
      control = h('p', {}, h('a', { id: `channel-${name}`, href: offer.url, target: '_blank', rel: 'noopener', 'aria-describedby': describe, class: 'channel-label',
        ...channelTextAttrs(name, 'label') }, channelText(name, 'label')));
    } else {
      continue;
    }
    const doesNot = channelText(name, 'doesNot', offer);
    box.append(h('div', { class: 'channel-option', dataset: { channel: name } }, control,
      h('p', { class: 'channel-does', id: doesId, ...channelTextAttrs(name, 'does', offer) }, channelText(name, 'does', offer)),
      doesNot ? h('p', { class: 'channel-doesnot', id: doesNotId, ...channelTextAttrs(name, 'doesNot', offer) }, doesNot) : h('span', { id: doesNotId, hidden: true })));
  }
  if (state.offers.some(o => o.name === 'webpush')) setupWebPushOption();
  applyEndpointsToForm();
  updateChannelWarning();
}

async function setupWebPushOption() {
  const option = document.querySelector('.channel-option[data-channel="webpush"]');
  const unsupported = () => {
    const input = document.getElementById('channel-webpush');
    if (input) { input.checked = false; input.disabled = true; }
    const does = option?.querySelector('.channel-does');
    if (does) { does.dataset.i18n = 'channels.notSupported'; does.textContent = t('channels.notSupported'); }
    option?.classList.add('unavailable');
  };
  if (!('serviceWorker' in navigator) || !('PushManager' in window)) { unsupported(); return; }
  try { vapidKey = (await api('GET', '/api/webpush/vapid-public-key')).publicKey; } catch { vapidKey = null; }
  if (!vapidKey) unsupported();
}

function base64UrlToBytes(text) {
  const padded = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  return Uint8Array.from(atob(padded), c => c.charCodeAt(0));
}

class PushDeniedError extends Error {}

async function webPushEndpoint() {
  const registration = await navigator.serviceWorker.register('/sw.js', { scope: '/' });
  const permission = await Notification.requestPermission();
  if (permission !== 'granted') throw new PushDeniedError(t('error.pushDenied'));
  const subscription = (await registration.pushManager.getSubscription())
    ?? await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: base64UrlToBytes(vapidKey) });
  const json = subscription.toJSON();
  return { channel: 'webpush', address: json.endpoint, keys: { p256dh: json.keys.p256dh, auth: json.keys.auth } };
}

/** What the form asks for, before any browser prompt: channel names (and addresses). */
function chosenChannels() {
  const chosen = [];
  for (const input of document.querySelectorAll('#channel-options input[name="channel"]:checked')) chosen.push({ channel: input.value });
  for (const input of document.querySelectorAll('#channel-options input[name="channel-address"]')) {
    const address = input.value.trim();
    if (address) chosen.push({ channel: input.dataset.channel, address });
  }
  return chosen;
}

async function collectEndpoints(chosen) {
  const endpoints = [];
  for (const c of chosen) {
    if (c.channel === 'webpush') {
      if (vapidKey) endpoints.push(await webPushEndpoint());
    } else if (c.channel === 'signalr') endpoints.push({ channel: 'signalr' });
    else endpoints.push({ channel: c.channel, address: c.address });
  }
  return endpoints;
}

/** Whether anything other than this page would carry an alert to the resident (LINE is signed up for inside LINE). */
function othersOffered() {
  return state.offers.some(o => o.signup !== 'page' && o.signup !== 'link');
}

function updateChannelWarning() {
  const warning = document.getElementById('channel-warning');
  const chosen = chosenChannels();
  const pageOnly = chosen.length > 0 && chosen.every(c => c.channel === 'signalr');
  if (pageOnly) {
    warning.textContent = t(othersOffered() ? 'channels.warnPageOnly' : 'channels.warnOnlyPageOffered');
    warning.hidden = false;
  } else {
    warning.textContent = '';
    warning.hidden = true;
    hidePageOnlyQuestion();
  }
}

function askPageOnly() {
  const panel = document.getElementById('page-only-confirm');
  panel.hidden = false;
  panel.scrollIntoView({ block: 'nearest' });
  document.getElementById('page-only-choose').focus({ preventScroll: true });
}

function hidePageOnlyQuestion() {
  document.getElementById('page-only-confirm').hidden = true;
}

function chooseAnotherChannel() {
  hidePageOnlyQuestion();
  const other = document.querySelector('#channel-options input:not([value="signalr"]):not([disabled])');
  other?.scrollIntoView({ block: 'center' });
  other?.focus();
}

function applyEndpointsToForm() {
  if (!state.resident) return;
  for (const input of document.querySelectorAll('#channel-options input[name="channel"]')) {
    input.checked = state.endpoints.some(e => e.channel === input.value && e.state !== 'gone');
  }
  for (const input of document.querySelectorAll('#channel-options input[name="channel-address"]')) {
    input.value = state.endpoints.find(e => e.channel === input.dataset.channel && e.state !== 'gone')?.address ?? '';
  }
}

/** After registering, and on every visit: how alerts will (and will not) reach this resident. */
function renderDeliveryStatus() {
  const section = document.getElementById('delivery-section');
  section.hidden = !state.resident;
  if (!state.resident) return;
  const list = clear(document.getElementById('delivery-status'));
  const label = c => channelText(c, 'label');
  for (const e of state.endpoints) {
    let key;
    if (e.state === 'gone') key = 'delivery.gone';
    else if (e.channel === 'signalr') key = 'delivery.signalr';
    else if (e.channel === 'webpush') key = 'delivery.webpush';
    else {
      const specific = `delivery.${e.channel}.${e.state}`;
      key = t(specific) !== specific ? specific : `delivery.${e.state === 'pending' ? 'pending' : 'active'}`;
    }
    list.append(h('li', { class: `delivery-${e.state}`, dataset: { channel: e.channel, state: e.state } }, t(key, { a: e.address ?? '', c: label(e.channel) })));
  }
  const reaching = state.endpoints.filter(e => e.state === 'active' && e.channel !== 'signalr');
  if (!reaching.length) {
    const key = state.endpoints.some(e => e.state === 'pending') ? 'delivery.untilConfirmed'
      : state.endpoints.some(e => e.channel === 'signalr' && e.state === 'active') ? 'delivery.pageOnly' : 'delivery.nothing';
    list.append(h('li', { class: 'delivery-warning', role: 'note' }, t(key)));
  }
}

// ---------- errors ----------
/** The hub's error as a sentence a resident can act on; the code stays out of the text (it is in data-code for support). */
function errorSentence(e, endpoints = []) {
  if (e instanceof PushDeniedError) return e.message;
  if (!(e instanceof ApiError)) return e?.name === 'TypeError' ? t('error.network') : t('error.requestFailed');
  const endpoint = endpoints[e.problem?.index];
  switch (e.code) {
    case 'residents.channel_unknown': return t('error.channelUnknown');
    case 'residents.endpoint_invalid':
    case 'residents.endpoint_url_forbidden':
      return t(endpoint?.channel === 'email' ? 'error.emailInvalid' : 'error.endpointInvalid');
    case 'residents.phone_invalid': return t('error.phoneInvalid');
    case 'residents.phone_not_mobile': return t('error.phoneNotMobile');
    case 'residents.place_invalid': return t('error.placeInvalid');
    case 'residents.too_many_places': return t('error.tooManyPlaces');
    case 'residents.rate_limited': case 'request.rate_limited': return t('error.rateLimited');
    case 'auth.invalid_resident_token': case 'residents.not_found': return t('error.token');
    default: return t(e.status >= 500 ? 'error.requestFailed' : 'error.generic');
  }
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
  const result = clear(document.getElementById('form-result'));
  if (!state.places.length) { showError(t('places.needOne')); document.getElementById('place-search').focus(); return; }
  const chosen = chosenChannels();
  if (!chosen.length) { showError(t('channels.needOne')); document.querySelector('#channel-options input')?.focus(); return; }
  const pageOnly = chosen.every(c => c.channel === 'signalr');
  // Before an elderly resident reads 登録しました and closes the tab: ask once for a channel that works without the page.
  if (pageOnly && othersOffered() && !state.pageOnlyAccepted) { askPageOnly(); return; }
  hidePageOnlyQuestion();
  let endpoints = [];
  try {
    endpoints = await collectEndpoints(chosen);
    const body = requestBody(endpoints);
    let message;
    if (state.resident) {
      await api('PUT', `/api/residents/${state.resident.id}`, body, bearer());
      message = t('register.updated');
    } else {
      const created = await api('POST', '/api/residents', body);
      state.resident = { id: created.id, token: created.token };
      localStorage.setItem(STORAGE_KEY, JSON.stringify(state.resident));
      message = t('register.saved');
    }
    await loadRegistration();
    result.append(h('p', {}, message));
    for (const e of state.endpoints.filter(x => x.state === 'pending' && x.channel === 'email')) result.append(h('p', { class: 'notice' }, t('register.emailSent', { a: e.address })));
    if (!state.endpoints.some(e => e.state !== 'gone' && e.channel !== 'signalr')) result.append(h('p', { class: 'warning' }, t('register.savedPageOnly')));
    renderAll();
  } catch (e) {
    const error = document.getElementById('form-error');
    error.textContent = errorSentence(e, endpoints);
    if (e instanceof ApiError && e.code) error.dataset.code = e.code; else delete error.dataset.code;
  }
}

async function loadRegistration() {
  try {
    const resident = await api('GET', `/api/residents/${state.resident.id}`, undefined, bearer());
    state.places = resident.places.map(p => ({ label: p.label ?? '', lat: p.lat, lon: p.lon }));
    state.endpoints = resident.endpoints ?? [];
    for (const input of form.querySelectorAll('input[name="householdTag"]')) input.checked = resident.attributes.householdTags?.includes(input.value) ?? false;
    document.getElementById('language').value = resident.attributes.language ?? 'ja';
    applyEndpointsToForm();
    updateChannelWarning();
    // Shelters first: an alert handed over on subscribing names the nearest open one.
    await loadShelters();
    if (!connection) await connectRealtime();
    await loadInbox();
  } catch (e) {
    if (e instanceof ApiError && (e.status === 401 || e.status === 404)) {
      // Deleted elsewhere, or the token no longer matches: start over.
      localStorage.removeItem(STORAGE_KEY);
      state.resident = null;
      state.endpoints = [];
    } else {
      showError(errorSentence(e));
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
    state.endpoints = [];
    await connection?.stop();
    connection = null;
    clear(document.getElementById('form-result')).append(h('p', {}, t('register.deleted')));
    renderChannelOptions();
    renderAll();
  } catch (e) {
    showError(errorSentence(e));
  }
}

// ---------- inbox, shelters, live alerts, safety ----------
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
    const labels = alertLabels(item.language);
    list.append(h('li', { class: item.isExercise ? 'exercise' : null, lang: item.language?.startsWith('ja') ? 'ja' : item.language, dataset: { alertId: item.alertId } },
      h('h3', {}, item.title),
      h('p', { class: 'inbox-meta' }, h('time', { datetime: item.sentAt }, formatTime(item.sentAt)), item.isExercise ? ` · ${labels.exercise}` : ''),
      h('p', { class: 'inbox-body' }, item.body),
      item.areaName ? h('p', { class: 'inbox-area' }, h('strong', {}, `${labels.area}: `), item.areaName) : null,
      // What to do is the part a resident who missed the push needs most.
      item.instruction ? h('p', { class: 'inbox-instruction' }, h('strong', {}, `${labels.instruction}: `), item.instruction) : null,
      item.imageUrl ? h('img', { src: item.imageUrl, alt: '' }) : null,
      item.acknowledgedAt
        ? h('p', { class: 'acked' }, labels.acked)
        : h('button', { type: 'button', class: 'secondary ack', onclick: event => acknowledge(item, event.currentTarget) }, labels.ack)));
  }
}

async function acknowledge(item, button) {
  try {
    await api('POST', `/api/alerts/${encodeURIComponent(item.alertId)}/ack`, { residentId: state.resident.id, via: 'web' }, bearer());
    item.acknowledgedAt = new Date().toISOString();
    button.replaceWith(h('p', { class: 'acked' }, alertLabels(item.language).acked));
  } catch (e) {
    announce(errorSentence(e));
  }
}

async function loadShelters() {
  try {
    state.shelters = await api('GET', '/api/shelters');
  } catch {
    state.shelters = [];
  }
  renderShelters();
}

/** The open shelters nearest any of the resident's places, nearest first. */
function nearestShelters() {
  if (!state.places.length) return [];
  return state.shelters
    .filter(s => OPEN_SHELTER_STATES.includes(s.status) && Number.isFinite(s.location?.lat) && Number.isFinite(s.location?.lon))
    .map(s => {
      let best = null;
      for (const p of state.places) {
        const d = distanceMeters(p.lat, p.lon, s.location.lat, s.location.lon);
        if (!best || d < best.d) best = { d, place: p.label };
      }
      return { shelter: s, ...best };
    })
    .sort((a, b) => a.d - b.d)
    .slice(0, NEAREST_SHELTERS);
}

function shelterName(s) {
  return language() === 'en' && s.nameEn ? s.nameEn : s.name;
}

function renderShelters() {
  const list = clear(document.getElementById('shelter-list'));
  if (!state.resident) return;
  const nearest = nearestShelters();
  if (!nearest.length) { list.append(h('li', { class: 'muted' }, t('shelters.none'))); return; }
  for (const { shelter, d, place } of nearest) {
    list.append(h('li', { dataset: { shelterId: shelter.id } },
      h('strong', { class: 'shelter-name' }, shelterName(shelter)), ' ',
      h('span', { class: `shelter-status status-${shelter.status}` }, t(`shelters.${shelter.status}`)),
      h('span', { class: 'shelter-distance' }, t('shelters.from', { place, d: formatDistance(d) }))));
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
      const labels = alertLabels(message.language);
      const nearest = nearestShelters()[0];
      const live = clear(document.getElementById('live-alert'));
      live.append(h('div', { class: 'live-alert', lang: message.language?.startsWith('ja') ? 'ja' : message.language },
        h('strong', {}, `${labels.live}: ${message.headline}`), h('p', {}, message.body),
        message.areaName ? h('p', {}, h('strong', {}, `${labels.area}: `), message.areaName) : null,
        message.instruction ? h('p', {}, h('strong', {}, `${labels.instruction}: `), message.instruction) : null,
        nearest && message.msgType !== 'Cancel' ? h('p', { class: 'live-shelter' }, t('shelters.liveNearest', { name: shelterName(nearest.shelter), place: nearest.place, d: formatDistance(nearest.d) })) : null));
    }
    loadInbox();
  });
  connection.on('shelterStatus', () => { loadShelters(); });
  const subscribe = () => connection.invoke('Subscribe', state.resident.id, state.resident.token);
  // SignalR keeps nothing for a dropped connection: an alert sent while it was down, or handed to it as its server
  // died, is in the inbox, so the inbox is read again once the page is back.
  connection.onreconnected(async () => {
    try { await subscribe(); } finally { loadInbox(); }
  });
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
    result.textContent = t('safety.failed', { e: errorSentence(e) });
  }
}

function showError(text) {
  const error = document.getElementById('form-error');
  error.textContent = text;
  delete error.dataset.code;
}

function renderAll() {
  const registered = !!state.resident;
  document.getElementById('inbox-section').hidden = !registered;
  document.getElementById('safety-section').hidden = !registered;
  document.getElementById('delete').hidden = !registered;
  const save = document.getElementById('save');
  save.dataset.i18n = registered ? 'register.update' : 'register.save';
  applyStrings();
  renderPlaceCredit();
  renderPlaces();
  renderDeliveryStatus();
  if (registered) { renderInbox(); renderShelters(); }
}

start();
