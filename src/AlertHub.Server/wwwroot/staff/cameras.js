// The camera wall: snapshot tiles grouped by river (or district), each with its status badge and "last image
// N min ago"; a tile opens the camera: hls.js live video when the camera has a stream, the normal-day image
// beside the current one, and a scrubber over the snapshot history.
import { api, h, t, clear, minutesAgo, formatTime } from '/shared/common.js';
import { problemText } from './labels.js';
import { fill } from './dom.js';

export async function mount(container, ctx, [openId]) {
  const wall = h('div', { id: 'camera-wall', class: 'camera-wall' });
  const viewer = h('dialog', { id: 'camera-viewer', 'aria-labelledby': 'viewer-title' });
  const groupBy = h('select', { id: 'camera-group' }, h('option', { value: 'river' }, t('cameras.byRiver')), h('option', { value: 'district' }, t('cameras.byDistrict')),
    h('option', { value: '' }, t('cameras.noGrouping')));
  const engine = h('div', { class: 'muted', id: 'media-engine' });
  const summary = h('p', { id: 'camera-summary', role: 'status' });
  container.append(h('h2', {}, t('cameras.title')),
    h('div', { class: 'toolbar' }, h('label', { for: 'camera-group' }, t('cameras.groupBy')), groupBy, summary),
    engine, wall, viewer);

  let cameras = [];
  let hls;
  async function load() {
    try {
      const answer = await api('GET', '/api/cameras');
      cameras = answer.cameras ?? [];
      const m = answer.mediaEngine;
      // Whether live video works, in words; the technical reason (a path, an error) is there for whoever fixes it.
      fill(engine, !m ? null : m.available
        ? h('p', {}, t('cameras.mediaAvailable'))
        : h('p', { class: 'warning' }, t('cameras.mediaUnavailable'), m.reason ? h('details', {}, h('summary', {}, t('cameras.technical')), h('code', {}, m.reason)) : null));
    } catch (e) {
      fill(wall, h('p', { class: 'muted' }, e.status === 404 ? t('cameras.unavailable') : problemText(e)));
      return false;
    }
    render();
    return true;
  }

  function render() {
    clear(wall);
    if (!cameras.length) { wall.append(h('p', { class: 'muted' }, t('cameras.none'))); summary.textContent = ''; return; }
    const trouble = cameras.filter(c => c.status === 'offline' || c.status === 'frozen').length;
    summary.textContent = t('cameras.summary', { n: cameras.length, trouble });
    const key = groupBy.value;
    const groups = new Map();
    for (const c of cameras) {
      const name = key ? (c[key] || t('cameras.ungrouped')) : t('cameras.all');
      if (!groups.has(name)) groups.set(name, []);
      groups.get(name).push(c);
    }
    // Groups sit side by side and wrap, so a river with one camera takes one tile's width, not a whole row.
    for (const [name, members] of groups) {
      wall.append(h('section', { class: 'camera-group', 'aria-label': name }, h('h3', {}, name, h('span', { class: 'muted' }, ` (${members.length})`)),
        h('ul', { class: 'camera-grid' }, members.map(tile))));
    }
  }

  function tile(camera) {
    const ago = minutesAgo(camera.lastImageAt);
    const label = ago === null ? t('cameras.noImage') : t('cameras.lastImage', { n: ago });
    return h('li', { class: 'camera-tile', dataset: { cameraId: camera.id, status: camera.status } },
      h('button', { type: 'button', class: 'tile-button', onclick: () => open(camera), 'aria-label': `${camera.name}: ${t(`status.${camera.status}`)}, ${label}` },
        camera.lastImageAt ? h('img', { src: `${camera.thumbnailUrl}?t=${encodeURIComponent(camera.lastImageAt)}`, alt: '' }) : h('div', { class: 'no-image' }, t('cameras.noImage')),
        h('span', { class: `badge status-${camera.status}` }, t(`status.${camera.status}`)),
        h('span', { class: 'tile-name' }, camera.name),
        h('span', { class: 'tile-age' }, label)));
  }

  async function open(camera) {
    closeVideo();
    const title = h('h3', { id: 'viewer-title' }, camera.name);
    const video = h('video', { id: 'live-video', controls: true, muted: true, autoplay: true, playsinline: true, 'aria-label': t('cameras.live') });
    const current = h('img', { id: 'current-image', src: camera.snapshotUrl, alt: camera.name });
    const normal = h('img', { id: 'normal-day-image', alt: t('cameras.normalDay'), hidden: true });
    // Without a pinned picture the pane says so, and how to pin one, instead of staying blank.
    const noNormal = h('p', { class: 'no-image normal-day-missing', id: 'normal-day-missing' },
      t('cameras.noNormalDay'), ctx.hasRole('issuer') ? h('span', { class: 'hint' }, t('cameras.noNormalDayHelp')) : null);
    normal.addEventListener('error', () => { normal.hidden = true; noNormal.hidden = false; });
    normal.addEventListener('load', () => { normal.hidden = false; noNormal.hidden = true; });
    noNormal.hidden = !!camera.normalDaySnapshotId;
    if (camera.normalDaySnapshotId) normal.src = `/api/cameras/${encodeURIComponent(camera.id)}/normal-day.jpg`;
    const scrubber = h('input', { type: 'range', id: 'history-scrubber', min: 0, max: 0, value: 0, 'aria-label': t('cameras.history') });
    const when = h('output', { for: 'history-scrubber', id: 'history-time' });
    let history = [];
    // Issuers pick a calm picture as this camera's "normal day" for side-by-side comparison.
    const setNormal = ctx.hasRole('issuer') ? h('button', { type: 'button', id: 'set-normal-day', class: 'secondary', onclick: async () => {
      const s = history[Number(scrubber.value)];
      if (!s) return;
      try {
        await api('PUT', `/api/cameras/${encodeURIComponent(camera.id)}/normal-day`, { snapshotId: s.id });
        camera.normalDaySnapshotId = s.id;
        normal.src = `/api/cameras/${encodeURIComponent(camera.id)}/normal-day.jpg?t=${Date.now()}`;
      } catch (e) { when.textContent = problemText(e); }
    } }, t('cameras.setNormalDay')) : null;
    fill(viewer, title,
      camera.liveUrl && camera.liveEnabled ? video : null,
      h('div', { class: 'compare' }, h('figure', {}, current, h('figcaption', {}, formatTime(camera.lastImageAt))),
        h('figure', {}, normal, noNormal, h('figcaption', {}, t('cameras.normalDay')))),
      h('label', { for: 'history-scrubber' }, t('cameras.history')), scrubber, when, setNormal,
      h('button', { type: 'button', onclick: () => viewer.close() }, t('cameras.close')));
    viewer.showModal();
    if (camera.liveUrl && camera.liveEnabled) await playLive(video, camera.liveUrl);
    try {
      history = await api('GET', `/api/cameras/${encodeURIComponent(camera.id)}/snapshots?limit=200`);
      scrubber.max = String(Math.max(0, history.length - 1));
      scrubber.value = scrubber.max;
      const show = () => {
        const s = history[Number(scrubber.value)];
        if (!s) return;
        current.src = s.url;
        when.textContent = formatTime(s.at);
      };
      scrubber.addEventListener('input', show);
      show();
    } catch { /* no history yet */ }
  }

  async function playLive(video, url) {
    // hls.js wherever Media Source Extensions exist: it recovers from a dropped segment or a stalled live edge,
    // which Chromium's own (newer) HLS playback does not always do. Native HLS only where MSE is missing (iOS).
    const { default: Hls } = await import('/lib/hls/hls.min.mjs');
    if (!Hls.isSupported()) {
      if (video.canPlayType('application/vnd.apple.mpegurl')) video.src = url;
      return;
    }
    hls = new Hls({ enableWorker: false, lowLatencyMode: true, liveSyncDurationCount: 2, xhrSetup: xhr => { xhr.withCredentials = true; } });
    hls.on(Hls.Events.ERROR, (_, data) => {
      if (!data.fatal) return;
      // A camera on a flaky uplink: keep trying rather than leave staff a frozen frame.
      if (data.type === Hls.ErrorTypes.NETWORK_ERROR) hls.startLoad();
      else if (data.type === Hls.ErrorTypes.MEDIA_ERROR) hls.recoverMediaError();
    });
    hls.loadSource(url);
    hls.attachMedia(video);
    // The live latency (seconds behind the newest segment) for anyone diagnosing a camera from the console.
    window.alertHubLivePlayer = hls;
  }

  function closeVideo() {
    hls?.destroy();
    hls = undefined;
  }

  viewer.addEventListener('close', closeVideo);
  groupBy.addEventListener('change', render);
  const offs = [
    ctx.on('cameraStatus', e => { const c = cameras.find(x => x.id === e.cameraId); if (c) { c.status = e.status; c.statusSince = e.at; render(); } }),
    ctx.on('cameraSnapshot', e => { const c = cameras.find(x => x.id === e.cameraId); if (c) { c.lastImageAt = e.at; render(); } }),
  ];
  // "N min ago" ages even without events.
  const ticker = setInterval(render, 30000);
  if (await load() && openId) {
    const camera = cameras.find(c => c.id === openId);
    if (camera) open(camera);
  }
  return () => { offs.forEach(f => f()); clearInterval(ticker); closeVideo(); };
}
