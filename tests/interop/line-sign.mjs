// Signs a webhook body the way LINE does, with node:crypto as @line/bot-sdk uses it, and checks the result
// with the SDK's validateSignature before printing it.
// Usage: node line-sign.mjs <channel secret> <body file>   → prints the base64 signature
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { validateSignature } from "@line/bot-sdk";

const [secret, bodyFile] = process.argv.slice(2);
if (!secret || !bodyFile) {
  console.error("usage: node line-sign.mjs <secret> <body file>");
  process.exit(2);
}
const body = readFileSync(bodyFile);
const signature = createHmac("SHA256", secret).update(body).digest("base64");
if (!validateSignature(body, secret, signature)) {
  console.error("the SDK rejected its own signature");
  process.exit(1);
}
console.log(signature);
