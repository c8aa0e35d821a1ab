// Decrypts an RFC 8291 (aes128gcm) Web Push body with npm http_ece, an implementation independent of the hub.
// Usage: node webpush-decrypt.mjs <uaPrivateKey> <authSecret>   (base64url; the encrypted body, base64url, on stdin)
// Prints the plaintext (UTF-8) on stdout; exits non-zero when decryption fails.
import { createECDH } from 'node:crypto';
import ece from 'http_ece';

const [uaPrivate, auth] = process.argv.slice(2);
if (!uaPrivate || !auth) {
  console.error('usage: node webpush-decrypt.mjs <uaPrivateKey> <authSecret> < body.b64url');
  process.exit(2);
}

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const body = Buffer.from(Buffer.concat(chunks).toString('ascii').trim(), 'base64url');

const ua = createECDH('prime256v1');
ua.setPrivateKey(Buffer.from(uaPrivate, 'base64url'));
// For aes128gcm the sender's public key (keyid) and salt come from the body's header.
const plaintext = ece.decrypt(body, {
  version: 'aes128gcm',
  privateKey: ua,
  authSecret: Buffer.from(auth, 'base64url'),
});
process.stdout.write(plaintext.toString('utf8'));
