// Checks an X-Line-Signature with @line/bot-sdk's validateSignature (the independent implementation).
// Usage: node line-verify.mjs <channel secret> <base64 signature> <body file>   → prints true or false
import { readFileSync } from "node:fs";
import { validateSignature } from "@line/bot-sdk";

const [secret, signature, bodyFile] = process.argv.slice(2);
if (!secret || !signature || !bodyFile) {
  console.error("usage: node line-verify.mjs <secret> <signature> <body file>");
  process.exit(2);
}
const body = readFileSync(bodyFile);
console.log(validateSignature(body, secret, signature) ? "true" : "false");
