// Usage: node check.mjs FILE.html  -> JSON {success, errors, warnings, notes} from caniemail's data
// for the clients the newsletter promises to support.
import { readFileSync } from "node:fs";
import { doIUseEmail } from "@jsx-email/doiuse-email";

const CLIENTS = [
  "gmail.desktop-webmail", "gmail.ios", "gmail.android",
  "outlook.windows", "outlook.macos",
  "apple-mail.macos", "apple-mail.ios",
  "yahoo.desktop-webmail",
];
const html = readFileSync(process.argv[2], "utf8");
const result = doIUseEmail(html, { emailClients: CLIENTS });
process.stdout.write(JSON.stringify(result, null, 2) + "\n");
