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

async function request(path, init = {}) {
  const response = await fetch(query(path), { ...init, headers: { Authorization: "Bearer " + session.key, ...(init.headers || {}) } });
  if (!response.ok) {
    const problem = await response.json().catch(() => ({}));
    throw new Error(problem.detail || problem.title || response.statusText);
  }
  return response;
}

async function api(path) {
  return (await request(path)).json();
}

/** Downloads a file the API serves behind the bearer key (CSV report, invoice PDF). */
async function download(path, accept, fallbackName) {
  const response = await request(path, { headers: { Accept: accept } });
  const disposition = response.headers.get("Content-Disposition") || "";
  const name = (/filename="?([^";]+)"?/.exec(disposition) || [])[1] || fallbackName;
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

function cell(row, text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  row.appendChild(td);
  return td;
}

function fill(tbody, items, render, emptyText, columns) {
  tbody.replaceChildren();
  for (const item of items) {
    const row = document.createElement("tr");
    render(row, item);
    tbody.appendChild(row);
  }
  if (items.length === 0) {
    const row = document.createElement("tr");
    const td = cell(row, emptyText, "muted");
    td.colSpan = columns;
    tbody.appendChild(row);
  }
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
  await loadAccounts();
  await showReport();
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
  hub.on("alert", onAlert);
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
  const c = p.credits;
  $("credits").hidden = !c;
  if (c) {
    $("credits-balance").textContent = money(c.balance);
    $("credits-funded").textContent = money(c.funded);
    $("credits-runout").textContent = c.runsOutAt ? "— runs out " + new Date(c.runsOutAt).toLocaleString() : "";
  }
  fill($("instances"), p.instances, (row, i) => {
    row.id = "instance-" + i.name;
    cell(row, i.name);
    cell(row, i.state + (i.movedTo ? " → " + i.movedTo : ""), "state-" + i.state);
    cell(row, i.host || "");
    cell(row, money(i.hourlyCost), "num");
    cell(row, money(i.spent), "num");
  }, "No instances reported.", 5);
  fill($("buckets"), p.storage, (row, b) => {
    cell(row, b.name);
    cell(row, b.state, "state-" + b.state);
    cell(row, money(b.hourlyCost), "num");
    cell(row, money(b.spent), "num");
  }, "No buckets reported.", 4);
  fill($("deployments"), p.deployments, (row, d) => {
    cell(row, d.name);
    cell(row, String(d.replicas), "num");
    cell(row, money(d.hourlyCost), "num");
    cell(row, money(d.allocatedPerMonth), "num");
  }, "No deployments reported.", 4);
  $("allocated").textContent = money(p.allocated.perMonth);
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

/** Shows an alert as a toast (role="alert", so screen readers announce it) and refreshes the open project. */
function toast(key, state, text) {
  const element = document.createElement("div");
  element.className = "toast";
  element.setAttribute("role", "alert");
  element.dataset.state = state;
  element.textContent = text;
  $("toasts").appendChild(element);
  setTimeout(() => element.remove(), 15000);
  if (key === selected) renderDetail();
}

function onCrossed(c) {
  toast(c.key, c.threshold >= 100 ? "red" : "yellow", `Budget: ${c.kind} ${c.key} crossed ${c.threshold}% (${c.percentUsed}% used, ${c.period})`);
}

function onAlert(a) {
  const text = {
    "runaway": `Runaway: ${a.kind} ${a.key} spent ${money(a.used)} on ${a.period}, over ${a.threshold}× its trailing average`,
    "credits-low": `Credits low: ${a.kind} ${a.key} has ${money(a.limit - a.used)} of prepaid credits left`,
    "credits-exhausted": `Credits used up: ${a.kind} ${a.key}`,
  }[a.type] || `${a.type}: ${a.kind} ${a.key}`;
  toast(a.key, a.type === "credits-low" ? "yellow" : "red", text);
}

// Billing: accounts, the report (one line per project), CSV, invoices.
let reportChart = null;
const palette = ["#3366cc", "#dc3912", "#ff9900", "#109618", "#990099", "#0099c6", "#dd4477", "#66aa00", "#b82e2e", "#316395"];

function reportPath(format) {
  const account = $("account").value;
  const params = new URLSearchParams();
  const preset = $("preset").value;
  if (preset === "custom") {
    params.set("from", $("from").value);
    params.set("to", $("to").value);
  } else {
    params.set("preset", preset);
  }
  if (format) params.set("format", format);
  return (account ? "/v1/billing-accounts/" + encodeURIComponent(account) + "/report" : "/v1/report") + "?" + params;
}

async function loadAccounts() {
  const accounts = await api("/v1/billing-accounts");
  const select = $("account");
  for (const a of accounts) {
    if ([...select.options].some((o) => o.value === a.key)) continue;
    const option = document.createElement("option");
    option.value = a.key;
    option.textContent = `${a.name} (${a.timeZone})`;
    select.appendChild(option);
  }
}

async function showReport() {
  let r;
  try {
    r = await api(reportPath());
  } catch (e) {
    $("report-summary").textContent = "Report: " + e.message;
    return;
  }
  $("report-summary").textContent = `${r.from} to ${r.to} (${r.timeZone}): ${money(r.total)} across ${r.projects.length} project(s)`;
  reportChart?.destroy();
  reportChart = new Chart($("report-chart"), {
    type: "line",
    data: {
      labels: r.days,
      datasets: r.projects.map((p, i) => ({ label: p.name, data: p.daily.map(Number), borderColor: palette[i % palette.length], pointRadius: 1, tension: 0 })),
    },
    options: { animation: false, responsive: true, aspectRatio: 3, scales: { y: { beginAtZero: true } } },
  });
  fill($("report-projects"), r.projects, (row, p) => { row.id = "report-" + p.project; cell(row, p.name); cell(row, money(p.total), "num"); }, "No projects.", 2);
  fill($("report-categories"), Object.entries(r.byCategory), (row, [category, amount]) => { cell(row, category); cell(row, money(amount), "num"); }, "No usage.", 2);
  fill($("report-mtd"), r.monthToDate, (row, u) => { cell(row, u.project); cell(row, u.resource); cell(row, money(u.amount), "num"); }, "No usage this month.", 3);
  await showInvoices();
}

async function showInvoices() {
  const account = $("account").value;
  $("invoices-panel").hidden = !account;
  if (!account) return;
  const invoices = await api("/v1/billing-accounts/" + encodeURIComponent(account) + "/invoices");
  fill($("invoices"), invoices, (row, inv) => {
    cell(row, inv.number);
    cell(row, inv.period);
    cell(row, money(inv.total), "num");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "link";
    button.textContent = "Download " + inv.number;
    button.addEventListener("click", () => download(
      `/v1/billing-accounts/${encodeURIComponent(account)}/invoices/${encodeURIComponent(inv.number)}/pdf`, "application/pdf", inv.number + ".pdf"));
    cell(row, "").appendChild(button);
  }, "No invoices issued yet.", 4);
}

$("preset").addEventListener("change", () => {
  const custom = $("preset").value === "custom";
  $("custom-from").hidden = !custom;
  $("custom-to").hidden = !custom;
});
$("report-form").addEventListener("submit", (e) => { e.preventDefault(); showReport(); });
$("account").addEventListener("change", showReport);
$("csv").addEventListener("click", () => download(reportPath("csv"), "text/csv", "report.csv").catch((e) => showError(e.message)));

$("signin").addEventListener("submit", (e) => { e.preventDefault(); signIn($("key").value.trim(), $("org").value.trim()); });
$("signout").addEventListener("click", signOut);
if (session.key) signIn(session.key, session.org);
