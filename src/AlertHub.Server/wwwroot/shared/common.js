// Small helpers shared by the staff dashboard and the resident page: DOM building without innerHTML (every
// string from the server is text, never markup; Leaflet tooltips and popups get DOM nodes, never HTML strings), JSON calls that surface the hub's ProblemDetails codes,
// i18n, the map and the SignalR connection.

// Attributes that load or navigate: a javascript: or data: URL there would run or render whatever it carries.
const URL_ATTRIBUTES = new Set(['href', 'src', 'action', 'formaction', 'poster', 'xlink:href']);
// Properties that parse HTML: never set through h(), whatever the value.
const MARKUP_PROPERTIES = new Set(['innerHTML', 'outerHTML', 'srcdoc']);

/**
 * Builds an element: h('button', { type: 'button', onclick }, 'text', child). Children that are not nodes become
 * text nodes, so a string from the hub is always shown as text, never parsed. Handlers must be functions (an
 * `on…` string would be an inline script); URL attributes keep only relative, http(s) and blob: URLs.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) {
      if (typeof value !== 'function') throw new TypeError(`h(): ${key} must be a function`);
      el.addEventListener(key.slice(2), value);
    } else if (MARKUP_PROPERTIES.has(key)) {
      throw new TypeError(`h(): ${key} is not allowed; pass children instead`);
    } else if (URL_ATTRIBUTES.has(key)) {
      const url = safeUrl(value);
      if (url !== null) el.setAttribute(key, url);
    } else if (key === 'class') el.className = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key in el && typeof value !== 'string') el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

/** The URL if it is relative or http(s)/blob:, else null (javascript:, data:, vbscript: and anything unparsable). */
export function safeUrl(value) {
  if (value === undefined || value === null) return null;
  const text = String(value).trim();
  try {
    const url = new URL(text, window.location.href);
    return ['http:', 'https:', 'blob:'].includes(url.protocol) ? text : null;
  } catch {
    return null;
  }
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

export function debounce(fn, ms) {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

/** An error answer from the hub: the ProblemDetails `code` (e.g. auth.csrf_invalid), its detail and the whole problem (its extensions, e.g. `index`). */
export class ApiError extends Error {
  constructor(status, code, detail, problem = null) {
    super(detail || code || `HTTP ${status}`);
    this.status = status;
    this.code = code;
    this.problem = problem;
  }
}

/**
 * fetch() for the hub's JSON API. Staff calls ride on the HttpOnly session cookie; unsafe methods add the
 * CSRF token (`api.csrfToken`). Residents pass their bearer token in `options.token`.
 */
export async function api(method, path, body, options = {}) {
  const headers = { Accept: 'application/json, application/problem+json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD' && api.csrfToken) headers['X-CSRF-Token'] = api.csrfToken;
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
    signal: options.signal,
  });
  const text = await response.text();
  let json = null;
  if (text) {
    try { json = JSON.parse(text); } catch { json = null; }
  }
  if (!response.ok) {
    throw new ApiError(response.status, json?.code, json?.detail ?? json?.title ?? text.slice(0, 200), json);
  }
  return json;
}
api.csrfToken = null;

// ---------- i18n ----------
const dictionaries = {};
let currentLanguage = 'ja';

export function addStrings(language, strings) {
  dictionaries[language] = { ...(dictionaries[language] ?? {}), ...strings };
}

export function language() {
  return currentLanguage;
}

/** t('count.recipients', { n: 3 }) → the current language's text with {n} filled in; the key itself if missing. */
export function t(key, vars) {
  const text = dictionaries[currentLanguage]?.[key] ?? dictionaries.ja?.[key] ?? key;
  return vars ? text.replace(/\{(\w+)\}/g, (_, name) => (vars[name] ?? '')) : text;
}

/** Fills every [data-i18n] (text), [data-i18n-label] (aria-label) and [data-i18n-placeholder] under root. */
export function applyStrings(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-label]')) el.setAttribute('aria-label', t(el.dataset.i18nLabel));
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) el.setAttribute('placeholder', t(el.dataset.i18nPlaceholder));
}

export function setLanguage(lang, storageKey) {
  currentLanguage = dictionaries[lang] ? lang : 'ja';
  document.documentElement.lang = currentLanguage;
  if (storageKey) localStorage.setItem(storageKey, currentLanguage);
  applyStrings();
}

export function initialLanguage(storageKey) {
  const saved = localStorage.getItem(storageKey);
  if (saved) return saved;
  return (navigator.language || 'ja').toLowerCase().startsWith('ja') ? 'ja' : 'en';
}

// ---------- formatting ----------
export function formatTime(iso) {
  if (!iso) return '—';
  const date = new Date(iso);
  return date.toLocaleString(currentLanguage === 'ja' ? 'ja-JP' : 'en-GB', { timeZone: 'Asia/Tokyo', dateStyle: 'short', timeStyle: 'medium' });
}

export function minutesAgo(iso, now = Date.now()) {
  if (!iso) return null;
  return Math.max(0, Math.floor((now - new Date(iso).getTime()) / 60000));
}

export function formatNumber(n) {
  return Number(n ?? 0).toLocaleString(currentLanguage === 'ja' ? 'ja-JP' : 'en-US');
}

// ---------- config, map, realtime ----------
let configPromise;
export function loadConfig() {
  configPromise ??= api('GET', '/api/dashboard/config');
  return configPromise;
}

/**
 * A Leaflet map over the configured tiles. With an empty tile URL there is no base layer at all (tests and
 * offline rooms): everything we draw is a vector, so it stays readable on the plain background. The attribution is
 * our own control built from DOM nodes: Leaflet's takes its credits as HTML strings.
 */
export function createMap(L, element, config, options = {}) {
  const [lat, lon, zoom] = config.mapCenter ?? [39.3114, 140.5535, 12];
  const map = L.map(element, { zoomControl: true, keyboard: true, ...options, attributionControl: false }).setView([lat, lon], zoom);
  if (config.tileUrl) {
    L.tileLayer(config.tileUrl, { maxZoom: config.tileMaxZoom ?? 18 }).addTo(map);
  } else {
    element.classList.add('map-no-tiles');
  }
  attribution(L, config).addTo(map);
  return map;
}

function attribution(L, config) {
  const control = L.control({ position: 'bottomright' });
  control.onAdd = () => {
    const link = (href, text) => (safeUrl(href) ? h('a', { href, target: '_blank', rel: 'noopener' }, text) : h('span', {}, text));
    const credits = [link('https://leafletjs.com', 'Leaflet')];
    if (config.tileUrl && config.tileAttribution) credits.push(' | ', link(config.tileAttributionUrl, config.tileAttribution));
    return h('div', { class: 'leaflet-control-attribution' }, credits);
  };
  return control;
}

/** A SignalR connection: residents' pages use /hubs/alerts, the staff dashboard /hubs/staff (its cookie signs it in). */
export function createHubConnection(path = '/hubs/alerts') {
  const signalR = window.signalR;
  return new signalR.HubConnectionBuilder()
    .withUrl(path)
    .withAutomaticReconnect([0, 1000, 2000, 5000, 10000, 30000])
    .configureLogging(signalR.LogLevel.Warning)
    .build();
}

/** Announces text to screen readers through a polite live region (created once). */
export function announce(text) {
  let region = document.getElementById('announcer');
  if (!region) {
    region = h('div', { id: 'announcer', class: 'visually-hidden', 'aria-live': 'polite', role: 'status' });
    document.body.append(region);
  }
  region.textContent = '';
  setTimeout(() => { region.textContent = text; }, 30);
}
