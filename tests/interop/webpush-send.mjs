// Builds one Web Push request with npm web-push (independent of the hub: its own RFC 8291 encryption and VAPID JWT).
// Usage: node webpush-send.mjs '<subscription JSON {endpoint, keys:{p256dh, auth}}>' <urgency> <topic>   (payload on stdin)
// Prints {"statusCode":N,"location":"…","vapidPublicKey":"…"}; exits non-zero if the push service refused it.
import webpush from 'web-push';

const [subscriptionJson, urgency, topic] = process.argv.slice(2);
const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const payload = Buffer.concat(chunks);

const vapid = webpush.generateVAPIDKeys();
// generateRequestDetails builds the request (encryption, VAPID, headers); sendNotification would insist on https.
const details = webpush.generateRequestDetails(JSON.parse(subscriptionJson), payload, {
  TTL: 600,
  urgency,
  topic,
  contentEncoding: 'aes128gcm',
  vapidDetails: { subject: 'mailto:interop@example.invalid', publicKey: vapid.publicKey, privateKey: vapid.privateKey },
});
const response = await fetch(details.endpoint, { method: details.method, headers: details.headers, body: details.body });
console.log(JSON.stringify({
  statusCode: response.status,
  location: response.headers.get('location'),
  body: response.ok ? undefined : await response.text(),
  vapidPublicKey: vapid.publicKey,
}));
process.exit(response.status === 201 ? 0 : 1);
