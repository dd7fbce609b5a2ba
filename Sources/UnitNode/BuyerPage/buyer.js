// The buyer's page at a regional endpoint: a countdown to the sale's start corrected by the unit's clock, the
// stock left (polled), and one purchase at a time: the proof of work solved in a Web Worker, then the purchase
// with an Idempotency-Key. The button stays disabled from the click until the answer (or a timeout), so a buyer
// cannot send two purchases; the key stays the same across retries, so even a retry after a lost answer cannot
// buy twice. Everything shown is set with textContent, never parsed as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
// How long a click may take, proof of work included, before the button comes back.
const PURCHASE_TIMEOUT_MS = 30000;
// Refusals after which buying again cannot succeed: the button stays disabled.
const FINAL_CODES = new Set(["already-bought", "sold-out", "sale-ended", "blacklisted", "level-too-low",
  "account-too-new", "unknown-sale"]);

const sale = decodeURIComponent((/^\/sales\/([^/]+)$/.exec(location.pathname) || [])[1] || "");
const salePath = "/v1/sales/" + encodeURIComponent(sale);
let view = null;           // the last GET /v1/sales/{sale}
let clockOffsetMs = 0;     // server time minus this browser's time
let inFlight = false;      // a purchase is being made
let done = false;          // bought, or refused for good
let waitUntil = 0;         // Retry-After: no purchase before this (browser time)
let idempotencyKey = null; // one per purchase the buyer means to make, kept across its retries
let placed = null;         // the order this page placed, with its secret (only the 201 carries it): it can cancel it

function takeTokenFromFragment() {
  const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (!match) return;
  $("token").value = decodeURIComponent(match[1]);
  // Out of the address bar and history: whoever sees the screen should not see the token.
  history.replaceState(null, "", location.pathname + location.search);
}

async function getJSON(url, options = {}) {
  const answer = await fetch(url, { cache: "no-store", ...options, headers: { Accept: "application/json", ...(options.headers || {}) } });
  let body = null;
  try { body = await answer.json(); } catch (error) { body = null; }
  return { answer, body };
}

// ---- The unit's sales (GET /) ----

async function listSales() {
  $("sales-list").hidden = false;
  const { answer, body } = await getJSON("/v1/sales");
  if (!answer.ok || !Array.isArray(body)) return;
  if (body[0]) { $("unit").textContent = body[0].unit; $("region").textContent = body[0].region; }
  $("sales").replaceChildren(...body.map((item) => {
    const link = document.createElement("a");
    link.href = "/sales/" + encodeURIComponent(item.id);
    link.textContent = `${item.title} (${item.state}, ${item.stockLeft} left)`;
    const entry = document.createElement("li");
    entry.append(link);
    return entry;
  }));
}

// ---- One sale ----

async function poll() {
  try {
    const sentAt = Date.now();
    const { answer, body } = await getJSON(salePath);
    const receivedAt = Date.now();
    if (!answer.ok) {
      showProblem(body, answer.status);
    } else {
      view = body;
      // The server's clock was read about halfway through the round trip.
      clockOffsetMs = new Date(body.serverTime).getTime() - (sentAt + receivedAt) / 2;
      render();
    }
  } catch (error) {
    $("progress").textContent = "The unit does not answer; retrying...";
  }
  const nearStart = view && view.state === "scheduled" && serverNow() > new Date(view.startsAt).getTime() - 5000;
  setTimeout(poll, nearStart ? 500 : 1000);
}

const serverNow = () => Date.now() + clockOffsetMs;

function render() {
  if (!view) return;
  $("title").textContent = view.title;
  $("unit").textContent = view.unit;
  $("region").textContent = view.region;
  $("limit").textContent = `limit ${view.perUserLimit} per buyer`;
  const state = $("state");
  state.textContent = view.state;
  state.className = "badge " + view.state;
  $("stock").textContent = view.stockLeft.toLocaleString("en-US");
  tick();
}

function tick() {
  if (!view) return;
  const startsIn = new Date(view.startsAt).getTime() - serverNow();
  const endsIn = new Date(view.endsAt).getTime() - serverNow();
  if (startsIn > 0) {
    $("countdown-label").textContent = "Opens in";
    $("countdown").textContent = duration(startsIn);
  } else {
    $("countdown-label").textContent = endsIn > 0 ? "Closes in" : "Closed";
    $("countdown").textContent = endsIn > 0 ? duration(endsIn) : "--:--";
  }
  updateButton(startsIn);
}

function duration(ms) {
  const total = Math.ceil(ms / 1000);
  const hours = Math.floor(total / 3600), minutes = Math.floor((total % 3600) / 60), seconds = total % 60;
  const two = (n) => String(n).padStart(2, "0");
  return (hours ? hours + ":" + two(minutes) : minutes) + ":" + two(seconds);
}

function updateButton(startsIn) {
  const button = $("buy");
  const waiting = Date.now() < waitUntil;
  // The countdown reaching zero opens the button even before the next poll says "open": the unit decides anyway.
  const open = view && (view.state === "open" || (view.state === "scheduled" && startsIn <= 0));
  button.disabled = inFlight || done || waiting || !open;
  if (inFlight) return;
  if (done) button.textContent = "Done";
  else if (waiting) button.textContent = `Try again in ${Math.ceil((waitUntil - Date.now()) / 1000)} s`;
  else if (open) button.textContent = "Buy";
  else button.textContent = view && view.state === "scheduled" ? "Not open yet" : "Not available";
}

async function buy() {
  if (inFlight || done) return;
  inFlight = true;
  const button = $("buy");
  button.disabled = true;
  button.textContent = "Buying...";
  $("result").hidden = true;
  idempotencyKey = idempotencyKey || crypto.randomUUID();
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), PURCHASE_TIMEOUT_MS);
  try {
    const headers = { "Idempotency-Key": idempotencyKey };
    const token = $("token").value.trim();
    if (token) headers.Authorization = "Bearer " + token;
    const altcha = await proofOfWork(controller.signal);
    if (altcha) headers.Altcha = altcha;
    $("progress").textContent = "Sending the purchase...";
    const { answer, body } = await getJSON(salePath + "/purchases", { method: "POST", headers, signal: controller.signal });
    if (answer.status === 201) showOrder(body, answer.headers.get("Idempotent-Replayed") === "true");
    else showProblem(body, answer.status, answer.headers.get("Retry-After"));
  } catch (error) {
    if (controller.signal.aborted) {
      showResult("refused", "No answer in time", `Nothing came back within ${PURCHASE_TIMEOUT_MS / 1000} s. Buying again `
        + "sends the same request key, so it cannot make a second order.");
    } else {
      showResult("refused", "Could not buy", String(error.message || error));
    }
  } finally {
    clearTimeout(timer);
    inFlight = false;
    $("progress").textContent = "";
    tick();
  }
}

// The `Altcha` header for this purchase, or null when the sale asks for no proof of work.
async function proofOfWork(signal) {
  $("progress").textContent = "Getting the puzzle...";
  const { answer, body } = await getJSON(salePath + "/challenge", { signal });
  if (answer.status === 404 && body && body.code === "not-found") return null;
  if (!answer.ok) throw new Error(body && body.title ? `${body.title} (${body.code})` : "no challenge: " + answer.status);
  $("progress").textContent = "Solving the puzzle...";
  const worker = new Worker("/buyer/buyer-worker.js");
  try {
    const solved = await new Promise((resolve, reject) => {
      signal.addEventListener("abort", () => reject(new Error("aborted")), { once: true });
      worker.onmessage = (event) => (event.data.error ? reject(new Error(event.data.error)) : resolve(event.data));
      worker.onerror = (event) => reject(new Error(event.message || "the worker failed"));
      worker.postMessage({ algorithm: body.algorithm, challenge: body.challenge, maxnumber: body.maxnumber, salt: body.salt });
    });
    return btoa(JSON.stringify({
      algorithm: body.algorithm, challenge: body.challenge, number: solved.number, salt: body.salt,
      signature: body.signature, took: solved.took,
    }));
  } finally {
    worker.terminate();
  }
}

function showOrder(order, replayed) {
  done = true;
  placed = order.orderSecret ? order : null;
  showResult("ok", replayed ? "You already have this order" : "Order placed",
    "Pay before the time below, or the order expires and its stock goes back on sale.", order);
  $("cancel").hidden = !placed || order.status !== "reserved";
}

// Gives the order back (its stock goes on sale again), proved by the order's secret from the 201: in a sale without
// tokens nothing else shows the unit that this browser is the buyer.
async function cancelOrder() {
  if (!placed) return;
  $("cancel").disabled = true;
  try {
    const { answer, body } = await getJSON("/v1/orders/" + encodeURIComponent(placed.id) + "/cancel", {
      method: "POST", headers: { "X-Flashsale-Order-Secret": placed.orderSecret },
    });
    if (answer.ok && body) {
      showResult("ok", "Order cancelled", "Its stock went back on sale.", body);
      $("cancel").hidden = true;
    } else {
      showProblem(body, answer.status, answer.headers.get("Retry-After"));
      $("cancel").hidden = !(body && body.order && body.order.status === "reserved");
    }
  } catch (error) {
    $("progress").textContent = "The unit did not answer; try again.";
  } finally {
    $("cancel").disabled = false;
  }
}

function showProblem(problem, status, retryAfter) {
  if (!problem || typeof problem !== "object") {
    showResult("refused", "Unexpected answer", "HTTP " + status);
    return;
  }
  const text = problem.detail ? `${problem.detail} (${problem.code})` : `(${problem.code})`;
  if (status === 421 && problem.endpoint) {
    // Another unit serves this buyer: its own page, with the token carried in the fragment (never sent to a server).
    const target = new URL("/sales/" + encodeURIComponent(sale), problem.endpoint);
    const token = $("token").value.trim();
    if (token) target.hash = "token=" + encodeURIComponent(token);
    showResult("refused", problem.title, `${text}. Taking you to ${problem.owner || "your unit"}...`);
    $("redirect").hidden = false;
    $("redirect-link").href = target.href;
    setTimeout(() => location.assign(target.href), 1200);
    done = true;
    return;
  }
  if (FINAL_CODES.has(problem.code)) done = true;
  const seconds = Number(retryAfter || problem.retryAfterSeconds || 0);
  if (seconds > 0 && !done) waitUntil = Date.now() + Math.min(seconds, 60) * 1000;
  showResult("refused", problem.title, text, problem.order);
}

function showResult(kind, title, detail, order) {
  const box = $("result");
  box.hidden = false;
  box.className = kind;
  $("result-title").textContent = title;
  $("result-detail").textContent = detail;
  $("redirect").hidden = true;
  $("order").hidden = !order;
  if (order) {
    $("order-id").textContent = order.id;
    $("order-status").textContent = order.status;
    $("order-pay-by").textContent = order.payBy ? new Date(order.payBy).toLocaleString() : "-";
  }
}

if (sale) {
  $("sale-view").hidden = false;
  takeTokenFromFragment();
  $("buy").addEventListener("click", buy);
  $("cancel").addEventListener("click", cancelOrder);
  poll();
  setInterval(tick, 250);
} else {
  listSales();
}
