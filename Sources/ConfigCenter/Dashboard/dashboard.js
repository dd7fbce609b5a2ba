// The operator's dashboard: draws a sale's current status at once (GET /v1/sales lists every sale's status;
// GET /v1/sales/{sale}/status when another sale is picked), then follows GET /v1/sales/{sale}/status/stream
// (Server-Sent Events) and draws each event: the sale's totals, each region's units (rights held, sold, grants
// received and given, demand) and the grants between nodes. The status the JSON routes answer is the `status` of
// the stream's events; only the grants between nodes come from the stream alone. Everything shown is set with
// textContent, never parsed as HTML.
//
// Every route it reads needs an operator credential (role viewer or higher). The page asks for one and keeps it
// in this tab's sessionStorage only; it goes out as `Authorization: Bearer`, which EventSource cannot send, so
// the stream is read with fetch and parsed here.
"use strict";

const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";
const CREDENTIAL = "flashsale-credential";
let events = 0;
// Which follow() is current, and whether its stream has sent an event yet: a status fetched for an earlier sale, or
// answered after the stream's first event, is never drawn over newer figures.
let following = 0;
let streamed = false;
let stream = null; // the AbortController of the current stream
const previous = new Map();

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  for (const child of children) node.append(child);
  return node;
}

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

const number = (n) => (typeof n === "number" ? n.toLocaleString("en-US") : "-");

// Sets a value and flashes it when it moved since the last event (keyed so redrawn rows flash too).
function show(node, key, text) {
  node.textContent = text;
  if (previous.has(key) && previous.get(key) !== text) {
    node.classList.remove("changed");
    void node.offsetWidth; // restarts the animation
    node.classList.add("changed");
  }
  previous.set(key, text);
}

function setConnection(text, kind) {
  const badge = $("connection");
  badge.textContent = text;
  badge.className = "badge " + kind;
}

function message(text) {
  const box = $("message");
  box.hidden = !text;
  box.textContent = text || "";
}

function selectedSale() {
  const match = /(?:^#|&)sale=([^&]+)/.exec(location.hash);
  return match ? decodeURIComponent(match[1]) : null;
}

// MARK: Credential

function credential() { return sessionStorage.getItem(CREDENTIAL); }

// Shows the sign-in form, with why.
function askForCredential(why) {
  if (stream) stream.abort();
  following += 1;
  $("login").hidden = false;
  $("logout").hidden = true;
  setConnection("signed out", "down");
  message(why);
  $("credential").focus();
}

function signIn(event) {
  event.preventDefault();
  const value = $("credential").value.trim();
  if (!value) return;
  sessionStorage.setItem(CREDENTIAL, value);
  $("credential").value = "";
  $("login").hidden = true;
  $("logout").hidden = false;
  message("");
  loadSales();
}

function signOut() {
  sessionStorage.removeItem(CREDENTIAL);
  askForCredential("Signed out. Paste a credential to follow a sale.");
}

// A GET of the config-center's API with the credential. 401 brings the sign-in form back.
async function api(path, signal) {
  const answer = await fetch(path, {
    headers: { Accept: "application/json", Authorization: "Bearer " + credential() }, signal, cache: "no-store",
  });
  if (answer.status === 401) {
    sessionStorage.removeItem(CREDENTIAL);
    askForCredential("The config-center did not accept this credential; paste another (role viewer or higher).");
  }
  return answer;
}

// MARK: Sales and status

async function loadSales() {
  const select = $("sale");
  try {
    const answer = await api("/v1/sales");
    if (answer.status === 401) return;
    const sales = await answer.json();
    if (!answer.ok) throw new Error(sales.detail || sales.title || answer.statusText);
    select.replaceChildren(...sales.map((sale) => el("option", { value: sale.sale }, `${sale.sale} - ${sale.title}`)));
    if (sales.length === 0) {
      message("No sales yet: create one with `config-center sale create`.");
      setConnection("no sale", "idle");
      return;
    }
    const wanted = selectedSale();
    select.value = sales.some((sale) => sale.sale === wanted) ? wanted : sales[0].sale;
    // The list is every sale's current status: the chosen one is drawn from it before the stream answers.
    follow(select.value, sales.find((sale) => sale.sale === select.value));
  } catch (error) {
    message("Cannot list sales: " + error.message);
    setConnection("down", "down");
  }
}

// Draws `sale` as it is now (`current`, a status already at hand, or fetched), then follows its live stream.
function follow(sale, current) {
  if (stream) stream.abort();
  previous.clear();
  following += 1;
  streamed = false;
  history.replaceState(null, "", "#sale=" + encodeURIComponent(sale));
  const url = "/v1/sales/" + encodeURIComponent(sale) + "/status/stream";
  $("stream-url").textContent = url;
  setConnection("connecting", "idle");
  if (current) drawCurrent(current); else fetchCurrent(sale, following);
  readStream(url, following);
}

// Follows the Server-Sent Events at `url` while `generation` is current; reconnects a second after the stream
// ends or the network fails, and stops for good when the server refuses it (a 4xx, explained on the page).
async function readStream(url, generation) {
  stream = new AbortController();
  const signal = stream.signal;
  while (generation === following) {
    try {
      const answer = await api(url, signal);
      if (!answer.ok) {
        if (answer.status !== 401) {
          const problem = await answer.json().catch(() => ({}));
          message(`${problem.title || answer.statusText} (${problem.code || answer.status}): ${problem.detail || ""}`);
          setConnection("down", "down");
        }
        if (answer.status < 500) return;
      } else {
        setConnection("live", "live");
        message("");
        await readEvents(answer.body.getReader(), generation);
      }
    } catch (error) {
      if (signal.aborted) return;
    }
    if (generation !== following) return;
    setConnection("reconnecting", "idle");
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

// Reads events (blank-line separated, `event:` and `data:` lines) until the stream ends, drawing each status.
async function readEvents(reader, generation) {
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done || generation !== following) return;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) name = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
      if (name === "status" && data.length > 0) onStatus(JSON.parse(data.join("\n")));
    }
  }
}

function onStatus(live) {
  events += 1;
  streamed = true;
  draw(live);
  $("events").textContent = String(events);
  $("updated").textContent = new Date().toLocaleTimeString();
}

// The sale's status from the config-center's JSON route, drawn unless the stream or another sale came first.
async function fetchCurrent(sale, generation) {
  try {
    const answer = await api("/v1/sales/" + encodeURIComponent(sale) + "/status");
    const body = await answer.json();
    if (generation !== following || streamed) return;
    if (!answer.ok) {
      message(`${body.title} (${body.code}): ${body.detail || ""}`);
      return;
    }
    drawCurrent(body);
  } catch (error) { /* the stream says whether the server is there */ }
}

// A status without the stream's grant flows: everything but the grants between nodes.
function drawCurrent(status) {
  draw({ status, grants: null });
  $("updated").textContent = new Date().toLocaleTimeString() + " (current status; the live stream follows)";
}

function draw(live) {
  const status = live.status;
  $("title").textContent = `${status.title} (${status.sale})`;
  const state = $("state");
  show(state, "state", status.state);
  state.className = "badge " + status.state;
  $("window").textContent = `${new Date(status.startsAt).toLocaleString()} - ${new Date(status.endsAt).toLocaleString()}`
    + `, limit ${status.perUserLimit} per buyer`;
  const sum = (key) => status.units.reduce((total, unit) => total + unit[key], 0);
  show($("minted"), "minted", number(status.minted));
  show($("at-center"), "at-center", number(status.atCenter));
  show($("total-rights"), "total-rights", number(sum("rightsHeld")));
  show($("total-sold"), "total-sold", number(status.sold));
  show($("total-moved"), "total-moved", number(sum("givenToUnits")));
  show($("returned"), "returned", number(status.returned));
  const demand = status.units.reduce((total, unit) => total + (unit.demandPerSecond || 0), 0);
  show($("total-demand"), "total-demand", demand.toFixed(1));
  drawRegions(status);
  drawGrants(live.grants, status);
}

function drawRegions(status) {
  const byRegion = new Map();
  for (const unit of status.units) {
    if (!byRegion.has(unit.region)) byRegion.set(unit.region, []);
    byRegion.get(unit.region).push(unit);
  }
  const scale = Math.max(1, ...status.units.map((unit) => unit.rightsHeld + unit.orders));
  const cards = [...byRegion.keys()].sort().map((region) => {
    const units = byRegion.get(region);
    const total = (key) => units.reduce((sum, unit) => sum + unit[key], 0);
    const heading = el("h3", {}, region, el("span", { class: "muted" },
      `rights ${number(total("rightsHeld"))} · sold ${number(total("sold"))}`));
    const head = el("tr", {}, ...["Unit", "Rights", "Sold", "Orders", "Allocated", "Received", "Given", "Demand/s", "Seen"]
      .map((name, index) => el("th", index ? { class: "num" } : {}, name)));
    const rows = units.map((unit) => {
      const row = el("tr", { "data-unit": unit.unit });
      const bar = el("div", { class: "bar" },
        el("span", { class: "sold" }), el("span", { class: "rights" }));
      // Widths through the CSSOM: the policy forbids inline style attributes.
      bar.children[0].style.width = (100 * unit.orders / scale) + "%";
      bar.children[1].style.width = (100 * unit.rightsHeld / scale) + "%";
      row.append(el("td", {}, unit.unit, bar));
      const cells = [
        ["rights", number(unit.rightsHeld)], ["sold", number(unit.sold)], ["orders", number(unit.orders)],
        ["allocated", number(unit.allocated)], ["received", number(unit.receivedFromUnits)],
        ["given", number(unit.givenToUnits)],
        ["demand", unit.demandPerSecond == null ? "-" : unit.demandPerSecond.toFixed(1)],
        ["seen", unit.lastSeen ? ago(unit.lastSeen) : "never"],
      ];
      for (const [key, text] of cells) {
        const cell = el("td", { class: "num " + key });
        if (key === "seen") cell.textContent = text; else show(cell, `${unit.unit}/${key}`, text);
        row.append(cell);
      }
      return row;
    });
    return el("div", { class: "region", "data-region": region }, heading,
      el("table", {}, el("thead", {}, head), el("tbody", {}, ...rows)));
  });
  $("regions").replaceChildren(...cards);
}

function ago(time) {
  const seconds = Math.max(0, Math.round((Date.now() - new Date(time).getTime()) / 1000));
  return seconds < 60 ? `${seconds}s ago` : `${Math.round(seconds / 60)}m ago`;
}

// `grants` is null when only the status is known (before the stream's first event): the nodes are drawn, and the
// table says the flows are coming.
function drawGrants(grants, status) {
  const body = $("grants").tBodies[0];
  if (grants === null) {
    body.replaceChildren(el("tr", {}, el("td", { colspan: "3", class: "muted" }, "grants come with the live stream")));
    drawFlowGraph([], status);
    return;
  }
  body.replaceChildren(...grants.map((grant) => {
    const kind = grant.from === "center" ? "allocation" : grant.to === "center" ? "return" : "rebalance";
    return el("tr", { "data-kind": kind }, el("td", {}, grant.from), el("td", {}, grant.to),
      el("td", { class: "num" }, number(grant.amount)));
  }));
  if (grants.length === 0) body.append(el("tr", {}, el("td", { colspan: "3", class: "muted" }, "no grants yet")));
  drawFlowGraph(grants, status);
}

// The config-center in the middle, units on a circle grouped by region, one arrow per grant total (width by amount).
function drawFlowGraph(grants, status) {
  const graph = $("flows");
  const width = 520, height = 360, cx = width / 2, cy = height / 2, radius = 130;
  const units = [...status.units].sort((a, b) => (a.region + a.unit).localeCompare(b.region + b.unit));
  const where = new Map([["center", { x: cx, y: cy }]]);
  units.forEach((unit, index) => {
    const angle = -Math.PI / 2 + (2 * Math.PI * index) / Math.max(units.length, 1);
    where.set(unit.unit, { x: cx + radius * Math.cos(angle), y: cy + radius * Math.sin(angle), unit });
  });
  const defs = svg("defs");
  const marker = svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerUnits: "userSpaceOnUse", markerWidth: 9, markerHeight: 9, orient: "auto-start-reverse" });
  marker.append(svg("path", { d: "M0,0 L10,5 L0,10 z", fill: "#2563eb" }));
  defs.append(marker);
  const parts = [defs];
  const largest = Math.max(1, ...grants.map((grant) => grant.amount));
  for (const grant of grants) {
    const from = where.get(grant.from), to = where.get(grant.to);
    if (!from || !to) continue;
    const kind = grant.from === "center" ? "alloc" : grant.to === "center" ? "return" : "move";
    // Bend each arrow to its right, so A->B and B->A do not overlap.
    const mx = (from.x + to.x) / 2, my = (from.y + to.y) / 2, dx = to.x - from.x, dy = to.y - from.y;
    const length = Math.hypot(dx, dy) || 1, bend = kind === "move" ? 28 : 10;
    const qx = mx + (dy / length) * bend, qy = my - (dx / length) * bend;
    const shorten = (px, py, ex, ey) => { const d = Math.hypot(ex - px, ey - py) || 1; return [ex - ((ex - px) / d) * 24, ey - ((ey - py) / d) * 24]; };
    const [ex, ey] = shorten(qx, qy, to.x, to.y);
    const [sx, sy] = shorten(qx, qy, from.x, from.y);
    parts.push(svg("path", {
      class: "edge " + kind, d: `M${sx},${sy} Q${qx},${qy} ${ex},${ey}`,
      "stroke-width": 1 + 5 * Math.sqrt(grant.amount / largest), "marker-end": "url(#arrow)",
    }));
    parts.push(svg("text", { class: "amount", x: qx, y: qy }, number(grant.amount)));
  }
  for (const [id, point] of where) {
    const group = svg("g", { class: id === "center" ? "node center" : "node" });
    group.append(svg("circle", { cx: point.x, cy: point.y, r: 22 }));
    group.append(svg("text", { class: "name", x: point.x, y: point.y - (point.unit ? 4 : 0) }, id === "center" ? "center" : id));
    if (point.unit) group.append(svg("text", { class: "region", x: point.x, y: point.y + 8 }, number(point.unit.rightsHeld)));
    parts.push(group);
  }
  graph.replaceChildren(...parts);
}

$("sale").addEventListener("change", (event) => follow(event.target.value));
window.addEventListener("hashchange", () => {
  const wanted = selectedSale();
  if (wanted && wanted !== $("sale").value) { $("sale").value = wanted; follow(wanted); }
});
$("login").addEventListener("submit", signIn);
$("logout").addEventListener("click", signOut);
if (credential()) {
  $("logout").hidden = false;
  loadSales();
} else {
  askForCredential("This dashboard needs an operator credential (role viewer or higher): paste it above. "
    + "`config-center operator add NAME --role viewer` makes one.");
}
