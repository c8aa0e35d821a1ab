// Runs npm web-push-testing (an independent Web Push service: VAPID check with jsonwebtoken, decryption with
// http_ece) on 127.0.0.1 and an ephemeral port. Prints {"port":N} once listening; exits when stdin closes.
// API: POST /subscribe {applicationServerKey} → {data:{endpoint,keys,clientHash}}; POST /get-notifications
// {clientHash} → {data:{messages:[plaintext…]}}; POST /expire-subscription/<clientHash> → later pushes get 410.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const TestingServer = require('web-push-testing/src/server.js');
const { PushApiModel } = require('web-push-testing/src/PushApiModel.js');

const model = new PushApiModel();
const server = new TestingServer(model, 0);
server.setRequestHandlers();
// startServer() would listen on every interface; bind loopback only.
const listener = server._app.listen(0, '127.0.0.1', () => {
  const { port } = listener.address();
  model.notifyUrl = `http://127.0.0.1:${port}/notify/`;
  console.log(JSON.stringify({ port }));
});

process.stdin.on('end', () => listener.close(() => process.exit(0)));
process.stdin.resume();
