// The camera wall: snapshot tiles grouped by river (or district), each with its status badge and "last image
// N min ago"; a tile opens the camera: hls.js live video when the camera has a stream, the normal-day image
// beside the current one, and a scrubber over the snapshot history.
import { api, h, t, clear, minutesAgo, formatTime } from '/shared/common.js';

export async function mount(container, ctx, [openId]) {
  const wall = h('div', { id: 'camera-wall' });
  const viewer = h('dialog', { id: 'camera-viewer', 'aria-labelledby': 'viewer-title' });
  const groupBy = h('select', { id: 'camera-group' }, h('option', { value: 'river' }, t('cameras.river')), h('option', { value: 'district' }, t('cameras.district')));
  const engine = h('p', { class: 'muted', id: 'media-engine' });
  container.append(h('h2', {}, t('cameras.title')), h('div', { class: 'toolbar' }, h('label', { for: 'camera-group' }, '⇄'), groupBy), engine, wall, viewer);

  let cameras = [];
  let hls;
  async function load() {
    try {
      const answer = await api('GET', '/api/cameras');
      cameras = answer.cameras ?? [];
      const m = answer.mediaEngine;
      engine.textContent = m ? t('cameras.media', { s: m.available ? (m.ffmpeg ?? 'ok') : (m.reason ?? '—') }) : '';
    } catch (e) {
      clear(wall).append(h('p', { class: 'muted' }, t(e.status === 404 ? 'cameras.unavailable' : 'compose.error', { e: e.message })));
      return false;
    }
    render();
    return true;
  }

  function render() {
    clear(wall);
    if (!cameras.length) { wall.append(h('p', { class: 'muted' }, t('cameras.none'))); return; }
    const key = groupBy.value;
    const groups = new Map();
    for (const c of cameras) {
      const name = c[key] || '—';
      if (!groups.has(name)) groups.set(name, []);
      groups.get(name).push(c);
    }
    for (const [name, members] of groups) {
      wall.append(h('section', { class: 'camera-group', 'aria-label': name }, h('h3', {}, name),
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
    const normal = h('img', { id: 'normal-day-image', src: `/api/cameras/${encodeURIComponent(camera.id)}/normal-day.jpg`, alt: t('cameras.normalDay') });
    normal.addEventListener('error', () => { normal.hidden = true; });
    normal.addEventListener('load', () => { normal.hidden = false; });
    const scrubber = h('input', { type: 'range', id: 'history-scrubber', min: 0, max: 0, value: 0, 'aria-label': t('cameras.history') });
    const when = h('output', { for: 'history-scrubber', id: 'history-time' });
    let history = [];
    // Issuers pick a calm picture as this camera's "normal day" for side-by-side comparison.
    const setNormal = ctx.hasRole('issuer') ? h('button', { type: 'button', id: 'set-normal-day', class: 'secondary', onclick: async () => {
      const s = history[Number(scrubber.value)];
      if (!s) return;
      try {
        await api('PUT', `/api/cameras/${encodeURIComponent(camera.id)}/normal-day`, { snapshotId: s.id });
        normal.src = `/api/cameras/${encodeURIComponent(camera.id)}/normal-day.jpg?t=${Date.now()}`;
      } catch (e) { when.textContent = t('compose.error', { e: e.code ?? e.message }); }
    } }, t('cameras.setNormalDay')) : null;
    clear(viewer).append(title,
      camera.liveUrl && camera.liveEnabled ? video : null,
      h('div', { class: 'compare' }, h('figure', {}, current, h('figcaption', {}, formatTime(camera.lastImageAt))),
        h('figure', {}, normal, h('figcaption', {}, t('cameras.normalDay')))),
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
