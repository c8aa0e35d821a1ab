// Staff SignalR listener for measure_cameras.py: prints one line per cameraSnapshot event with the delay
// between the hub's image time (set just before latest.jpg is written) and this process receiving it.
// usage: node --experimental-websocket signalr_latency.mjs http://127.0.0.1:PORT API_KEY SECONDS
const [base, key, seconds] = process.argv.slice(2);
const RS = '\u001e';
const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/hubs/alerts?access_token=${encodeURIComponent(key)}`);
const delays = [];
ws.onopen = () => ws.send(JSON.stringify({ protocol: 'json', version: 1 }) + RS);
ws.onmessage = (message) => {
  const now = Date.now();
  for (const frame of String(message.data).split(RS)) {
    if (!frame) continue;
    const m = JSON.parse(frame);
    if (m.type === 1 && m.target === 'cameraSnapshot') delays.push(now - Date.parse(m.arguments[0].at));
  }
};
setTimeout(() => {
  delays.sort((a, b) => a - b);
  const q = (p) => delays.length ? delays[Math.min(delays.length - 1, Math.floor(p * delays.length))] : NaN;
  console.log(JSON.stringify({ events: delays.length, p50: q(0.5), p95: q(0.95), p99: q(0.99), max: delays.at(-1) ?? NaN }));
  process.exit(0);
}, Number(seconds) * 1000);
