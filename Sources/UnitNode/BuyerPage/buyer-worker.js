// Solves the sale's proof of work off the page's thread: finds n in 0...maxnumber with
// SHA-256(salt + decimal n) == challenge, with Web Crypto (the ALTCHA scheme the unit checks).
"use strict";

// Digests in flight at once: crypto.subtle.digest is asynchronous, so a batch keeps it busy.
const BATCH = 256;

function hex(buffer) {
  return Array.from(new Uint8Array(buffer), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

self.onmessage = async (event) => {
  const { salt, challenge, maxnumber, algorithm } = event.data;
  try {
    if (algorithm !== "SHA-256") throw new Error("unsupported algorithm " + algorithm);
    if (!self.crypto || !self.crypto.subtle) throw new Error("Web Crypto is not available (the page must be served over https or from localhost)");
    const encoder = new TextEncoder();
    const started = Date.now();
    for (let first = 0; first <= maxnumber; first += BATCH) {
      const last = Math.min(first + BATCH - 1, maxnumber);
      const numbers = [];
      for (let n = first; n <= last; n += 1) numbers.push(n);
      const digests = await Promise.all(numbers.map((n) => crypto.subtle.digest("SHA-256", encoder.encode(salt + n))));
      const found = digests.findIndex((digest) => hex(digest) === challenge);
      if (found >= 0) {
        self.postMessage({ number: numbers[found], took: Date.now() - started });
        return;
      }
    }
    self.postMessage({ error: "no number solves this challenge" });
  } catch (error) {
    self.postMessage({ error: String(error && error.message ? error.message : error) });
  }
};
