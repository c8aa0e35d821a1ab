// Resident page service worker: shows the hub's Web Push alerts ({title, body, alertId, version, severity,
// url, image?}) as notifications, one per alert (an update replaces it), and opens the page on a click.
self.addEventListener('push', event => {
  let data = {};
  try { data = event.data ? event.data.json() : {}; } catch { data = { body: event.data?.text() }; }
  const options = {
    body: data.body ?? '',
    image: data.image,
    requireInteraction: data.severity === 'Extreme' || data.severity === 'Severe',
    data: { url: data.url },
  };
  // One notification per alert, re-announced on an update. Without an alert id there is nothing to group by,
  // and renotify without a tag makes showNotification throw: the message would not be shown at all.
  if (data.alertId) Object.assign(options, { tag: data.alertId, renotify: true });
  event.waitUntil(self.registration.showNotification(data.title ?? '防災お知らせ', options));
});

self.addEventListener('notificationclick', event => {
  event.notification.close();
  // Only our own pages: a link elsewhere falls back to the resident page, whose inbox has the alert.
  const target = new URL(event.notification.data?.url ?? '/', self.location.origin);
  const url = target.origin === self.location.origin ? target.href : '/';
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    const open = windows.find(w => new URL(w.url).origin === self.location.origin);
    if (open) {
      await open.focus();
      return open.navigate(url);
    }
    return self.clients.openWindow(url);
  })());
});
