// Resident page service worker: shows Web Push alerts as notifications and opens the page on a click.
self.addEventListener('push', event => {
  let data = {};
  try { data = event.data ? event.data.json() : {}; } catch { data = { body: event.data?.text() }; }
  const alert = data.alert ?? data;
  const title = alert.headline ?? alert.title ?? '防災お知らせ';
  event.waitUntil(self.registration.showNotification(title, {
    body: alert.body ?? '',
    tag: alert.alertId ?? alert.id ?? undefined,
    renotify: true,
    requireInteraction: alert.severity === 'Extreme' || alert.severity === 'Severe',
    data: { url: '/' },
  }));
});

self.addEventListener('notificationclick', event => {
  event.notification.close();
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    const open = windows.find(w => new URL(w.url).pathname === '/');
    if (open) return open.focus();
    return self.clients.openWindow('/');
  })());
});
