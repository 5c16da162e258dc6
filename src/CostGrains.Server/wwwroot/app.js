// CostGrains dashboard: reads from the API, listens on the live hub. No framework, no CDN.
"use strict";

const $ = (id) => document.getElementById(id);
const money = (v) => Number(v).toLocaleString("en-US", { style: "currency", currency: "USD", minimumFractionDigits: 2, maximumFractionDigits: 4 });
const session = { key: sessionStorage.getItem("cg.key"), org: sessionStorage.getItem("cg.org") || "" };
let hub = null;
let selected = null;
let chart = null;
const subscribed = new Set();

function query(path) {
  if (!session.org) return path;
  return path + (path.includes("?") ? "&" : "?") + "org=" + encodeURIComponent(session.org);
}

async function api(path) {
  const response = await fetch(query(path), { headers: { Authorization: "Bearer " + session.key } });
  if (!response.ok) {
    const problem = await response.json().catch(() => ({}));
    throw new Error(problem.detail || problem.title || response.statusText);
  }
  return response.json();
}

function showError(message) {
  $("error").textContent = message;
  $("error").hidden = !message;
}

async function signIn(key, org) {
  session.key = key;
  session.org = org;
  try {
    await api("/v1/projects");
  } catch (e) {
    showError("Sign-in failed: " + e.message);
    return;
  }
  sessionStorage.setItem("cg.key", key);
  sessionStorage.setItem("cg.org", org);
  showError("");
  $("signin").hidden = true;
  $("session").hidden = false;
  $("who").textContent = org ? "Organization " + org : "Signed in";
  $("app").hidden = false;
  await connect();
  await refreshProjects();
  setInterval(refreshProjects, 5000); // new projects appear without a reload
}

function signOut() {
  sessionStorage.clear();
  location.reload();
}

async function connect() {
  hub = new signalR.HubConnectionBuilder()
    .withUrl(query("/hubs/cost"), { accessTokenFactory: () => session.key })
    .withAutomaticReconnect()
    .build();
  hub.on("burn", onBurn);
  hub.on("budgetCrossed", onCrossed);
  hub.onreconnecting(() => setLive(false));
  hub.onreconnected(async () => { setLive(true); for (const key of subscribed) await hub.invoke("Subscribe", "project", key); });
  await hub.start();
  setLive(true);
}

function setLive(on) {
  $("live").textContent = on ? "live" : "reconnecting";
  $("live").classList.toggle("on", on);
}

async function refreshProjects() {
  const projects = await api("/v1/projects");
  $("empty").hidden = projects.length > 0;
  const body = $("projects");
  for (const p of projects) {
    let row = document.getElementById("row-" + p.key);
    if (!row) {
      row = document.createElement("tr");
      row.id = "row-" + p.key;
      row.innerHTML = `<td><button class="link" type="button"></button></td><td class="num inst"></td><td class="num hr"></td><td class="num spent"></td>`;
      row.querySelector("button").textContent = p.name;
      row.querySelector("button").addEventListener("click", () => select(p.key));
      body.appendChild(row);
      if (!subscribed.has(p.key)) {
        subscribed.add(p.key);
        await hub.invoke("Subscribe", "project", p.key);
      }
    }
    row.querySelector(".inst").textContent = p.instanceCount;
    row.querySelector(".hr").textContent = money(p.burn.perHour);
    row.querySelector(".spent").textContent = money(p.spent.total);
  }
}

async function select(key) {
  selected = key;
  for (const row of $("projects").children) row.setAttribute("aria-selected", row.id === "row-" + key ? "true" : "false");
  chart?.destroy();
  chart = new Chart($("chart"), {
    type: "line",
    data: { labels: [], datasets: [{ label: "Total spent (USD)", data: [], borderColor: "#3366cc", stepped: "before", pointRadius: 2 }] },
    options: { animation: false, responsive: true, scales: { y: { beginAtZero: true } }, plugins: { legend: { display: false } } },
  });
  await renderDetail();
}

async function renderDetail() {
  if (!selected) return;
  const p = await api("/v1/projects/" + encodeURIComponent(selected));
  $("detail").hidden = false;
  $("detail-title").textContent = p.name + (p.archived ? " (archived)" : "");
  $("perHour").textContent = money(p.burn.perHour);
  $("perDay").textContent = money(p.burn.perDay);
  $("total").textContent = money(p.spent.total);
  $("compute").textContent = money(p.spent.compute);
  $("storage").textContent = money(p.spent.storage);
  const b = p.budget;
  $("budget").hidden = !b;
  if (b) {
    const bar = $("budget-bar");
    bar.dataset.state = b.state;
    bar.setAttribute("aria-valuenow", String(Math.min(100, b.percentUsed)));
    bar.setAttribute("aria-valuetext", `${b.percentUsed}% of ${money(b.limit)} (${b.state})`);
    $("budget-fill").style.width = Math.min(100, b.percentUsed) + "%";
    $("budget-text").textContent = `${money(b.used)} of ${money(b.limit)} this ${b.period === "monthly" ? "month" : "lifetime"} — ${b.percentUsed}%`;
  }
  plot(p.spent.total);
}

function plot(total) {
  if (!chart) return;
  chart.data.labels.push(new Date().toLocaleTimeString());
  chart.data.datasets[0].data.push(Number(total));
  if (chart.data.labels.length > 120) { chart.data.labels.shift(); chart.data.datasets[0].data.shift(); }
  chart.update();
}

let detailPending = false;
function onBurn(m) {
  const row = document.getElementById("row-" + m.key);
  if (row) {
    row.querySelector(".hr").textContent = money(m.perHour);
    row.querySelector(".spent").textContent = money(m.total);
  }
  if (m.key === selected && !detailPending) {
    detailPending = true; // at most one detail read in flight; the split and budget come from it
    renderDetail().finally(() => { detailPending = false; });
  }
}

function onCrossed(c) {
  const toast = document.createElement("div");
  toast.className = "toast";
  toast.setAttribute("role", "alert");
  toast.dataset.state = c.threshold >= 100 ? "red" : "yellow";
  toast.textContent = `Budget: ${c.kind} ${c.key} crossed ${c.threshold}% (${c.percentUsed}% used, ${c.period})`;
  $("toasts").appendChild(toast);
  setTimeout(() => toast.remove(), 15000);
  if (c.key === selected) renderDetail();
}

$("signin").addEventListener("submit", (e) => { e.preventDefault(); signIn($("key").value.trim(), $("org").value.trim()); });
$("signout").addEventListener("click", signOut);
if (session.key) signIn(session.key, session.org);
