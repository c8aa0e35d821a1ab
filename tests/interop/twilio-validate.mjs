// Checks an X-Twilio-Signature with the twilio package's validateRequest (the independent implementation).
// Usage: node twilio-validate.mjs <request JSON file>  → prints true or false
// The file holds {"authToken": "...", "signature": "...", "url": "https://…", "params": {"CallSid": "…", …}}.
import { readFileSync } from "node:fs";
import twilio from "twilio";

const [file] = process.argv.slice(2);
if (!file) {
  console.error("usage: node twilio-validate.mjs <request JSON file>");
  process.exit(2);
}
const { authToken, signature, url, params } = JSON.parse(readFileSync(file, "utf8"));
console.log(twilio.validateRequest(authToken, signature, url, params) ? "true" : "false");
