// The managers' live board: a floor.snapshot on (re)connect, then every floor message as it happens; from the board a
// manager assigns or reassigns a lead, sets a rep's status, and reads the floor's alerts.
// The waiting list is one page of the server's filtered list (GET parameters); it is refreshed from the server
// (?fragment=waiting) when the floor changes, so filters, order and page hold while leads come and go.
// Every piece of lead data is written with textContent or as an attribute value, never as HTML.
(function () {
  "use strict";

  var MAX_FEED = 200;
  var MAX_ALERTS = 50;
  var REFRESH_MS = 1500;
  var OPEN = { offered: true, accepted: true };
  // An offer counts among the rep's new leads today while it is open or once it became theirs
  // (assignments.selectors.leads_taken_today); declined, expired and revoked offers do not.
  var TAKEN = { offered: true, accepted: true, completed: true };
  var REP_STATUSES = [["available", "Available"], ["away", "Away"], ["offline", "Offline"]];
  var floor = { assignments: {}, reps: {}, waitingTotal: 0 };
  var feed = document.getElementById("feed");
  var repsBody = document.getElementById("reps");
  var connEl = document.getElementById("conn");
  var alertsList = document.getElementById("alerts");
  var assignForm = document.getElementById("assign-form");
  var assignHolder = document.getElementById("assign-holder");
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute("content") : "";
  var kindLabels = {};
  try { kindLabels = JSON.parse((alertsList && alertsList.getAttribute("data-kind-labels")) || "{}"); } catch (e) { }

  function windowEl() { return document.getElementById("waiting-window"); }
  function waitingBody() { return document.getElementById("waiting"); }
  function cell(row, name) { return row.querySelector('[data-field="' + name + '"]'); }
  function td(row, name, className) {
    var el = document.createElement("td");
    el.setAttribute("data-field", name);
    if (className) { el.className = className; }
    row.appendChild(el);
    return el;
  }
  function badge(parent, name) {
    var holder = document.createElement("td");
    var span = document.createElement("span");
    span.setAttribute("data-field", name);
    holder.appendChild(span);
    parent.appendChild(holder);
    return span;
  }
  function setBadge(span, value, label) {
    // The class comes from the status value alone (palette.css); the label may say more.
    span.textContent = label || value;
    span.className = "badge badge-" + String(value).replace(/[^a-z_]/g, "");
  }
  function leadHref(id) { return "/rep/leads/" + Number(id) + "/"; }
  function setLeadLink(target, id, name) {
    var link = target.querySelector("a");
    if (!link) {
      target.textContent = "";
      link = document.createElement("a");
      target.appendChild(link);
    }
    link.href = leadHref(id);
    link.textContent = name;
  }
  function assignButton(target, leadId, label) {
    var button = target.querySelector("button.assign-open");
    if (!button) {
      button = document.createElement("button");
      button.type = "button";
      button.className = "assign-open";
      target.appendChild(button);
    }
    button.setAttribute("data-lead-id", String(Number(leadId)));
    button.textContent = label;
  }

  function age(iso) {
    var seconds = Math.max(0, Math.round((sock.now() - Date.parse(iso)) / 1000));
    if (seconds < 60) { return seconds + " s"; }
    if (seconds < 3600) { return Math.floor(seconds / 60) + " min " + ("0" + (seconds % 60)).slice(-2) + " s"; }
    return Math.floor(seconds / 3600) + " h " + Math.floor((seconds % 3600) / 60) + " min";
  }

  function flash(row) {
    row.classList.remove("flash");
    void row.offsetWidth;  // restart the animation
    row.classList.add("flash");
  }

  // ---- REST (session + CSRF token) --------------------------------------------------------------------------
  function post(path, body) {
    return fetch("/api/v1/" + path, {
      method: "POST", credentials: "same-origin",
      headers: { "Accept": "application/json", "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body),
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var errors = data.errors || {}, first = "";
          for (var key in errors) {
            if (Object.prototype.hasOwnProperty.call(errors, key)) {
              first = key + ": " + (Array.isArray(errors[key]) ? errors[key][0] : errors[key]);
              break;
            }
          }
          var text = data.detail || first || ("Request failed (" + response.status + ")");
          throw new Error(data.code ? text + " (" + data.code + ")" : text);
        }
        return data;
      });
    });
  }

  // ---- Assignments feed ----------------------------------------------------------------------------------
  function feedRow(a) {
    var row = feed.querySelector('tr[data-assignment-id="' + String(Number(a.id)) + '"]');
    if (!row) {
      row = document.createElement("tr");
      td(row, "offered"); td(row, "name"); td(row, "campaign"); td(row, "rep");
      badge(row, "status"); td(row, "lead-status"); td(row, "age", "age"); td(row, "actions");
      feed.insertBefore(row, feed.firstChild);
      while (feed.children.length > MAX_FEED) {
        if (feed.lastChild.contains(assignForm)) { closeAssign(); }
        feed.removeChild(feed.lastChild);
      }
    }
    return row;
  }

  function showAssignment(a, highlight) {
    var lead = a.lead || {};
    var row = feedRow(a);
    row.setAttribute("data-assignment-id", String(a.id));
    row.setAttribute("data-lead-id", String(lead.id));
    row.setAttribute("data-received-at", lead.received_at || "");
    row.className = "row-" + a.status;
    cell(row, "offered").textContent = new Date(a.offered_at).toLocaleTimeString();
    setLeadLink(cell(row, "name"), lead.id, lead.name || "(no name)");
    cell(row, "campaign").textContent = lead.campaign_name || lead.campaign || "";
    cell(row, "rep").textContent = (a.rep && a.rep.username) || "";
    setBadge(cell(row, "status"), a.status);
    cell(row, "lead-status").textContent = lead.status || "";
    assignButton(cell(row, "actions"), lead.id, "Reassign…");
    if (highlight) { flash(row); }
  }

  // ---- Waiting leads: one page of the server's filtered list -------------------------------------------------
  function view() {
    var el = windowEl();
    function num(name) { return Number(el.getAttribute("data-" + name)) || 0; }
    return { campaign: el.getAttribute("data-campaign") || "", rule: el.getAttribute("data-rule") || "",
             sort: el.getAttribute("data-sort") || "oldest", page: num("page") || 1, pages: num("pages") || 1,
             perPage: num("per-page") || 50, matching: num("matching") };
  }

  function waitingRow(leadId) {
    return waitingBody().querySelector('tr[data-lead-id="' + String(Number(leadId)) + '"]');
  }

  function fillWaiting(row, lead) {
    row.setAttribute("data-lead-id", String(lead.id));
    row.setAttribute("data-received-at", lead.received_at || "");
    row.setAttribute("data-campaign", lead.campaign || "");
    setLeadLink(cell(row, "name"), lead.id, lead.name || ("Lead #" + lead.id));
    cell(row, "campaign").textContent = lead.campaign_name || lead.campaign || "";
    cell(row, "where").textContent = [(lead.language || "").toUpperCase(), lead.country || ""].join(" ").trim();
    cell(row, "reason").textContent = lead.reason || "";
    assignButton(cell(row, "actions"), lead.id, "Assign…");
  }

  // A lead the server parked: shown at once when it surely belongs on this page, else counted; the refresh that
  // follows puts the page right either way (a rule filter is matched by the server only).
  function showWaiting(lead) {
    var row = waitingRow(lead.id);
    if (row) { fillWaiting(row, lead); return; }
    floor.waitingTotal += 1;
    var v = view(), body = waitingBody();
    var fits = !v.rule && (!v.campaign || v.campaign === lead.campaign) && lead.received_at &&
      ((v.sort === "newest" && v.page === 1) || (v.sort === "oldest" && v.page === v.pages && body.children.length < v.perPage));
    if (fits) {
      row = document.createElement("tr");
      td(row, "name"); td(row, "campaign"); td(row, "where"); td(row, "age", "age"); td(row, "reason", "muted");
      td(row, "actions");
      fillWaiting(row, lead);
      if (v.sort === "newest") { body.insertBefore(row, body.firstChild); } else { body.appendChild(row); }
      while (body.children.length > v.perPage) {
        if (body.lastChild.contains(assignForm)) { closeAssign(); }
        body.removeChild(body.lastChild);
      }
      flash(row);
    }
    refreshWaitingSoon();
  }

  function dropWaiting(leadId) {
    var row = waitingRow(leadId);
    if (!row) { return; }
    var kept = row.contains(assignForm) ? detachAssign() : null;
    row.parentNode.removeChild(row);
    if (kept) { reattachAssign(kept, goneRow(kept.leadId)); }
    floor.waitingTotal = Math.max(0, floor.waitingTotal - 1);
    refreshWaitingSoon();
  }

  var refreshTimer = null, refreshing = false, refreshAgain = false;
  function refreshWaitingSoon() {
    if (refreshTimer) { return; }
    refreshTimer = setTimeout(function () { refreshTimer = null; refreshWaiting(); }, REFRESH_MS);
  }

  function refreshWaiting() {
    if (refreshing) { refreshAgain = true; return; }
    if (!/^https?:$/.test(location.protocol)) { return; }
    refreshing = true;
    var params = new URLSearchParams(location.search);
    params.set("fragment", "waiting");
    fetch(location.pathname + "?" + params.toString(), { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
      .then(swapWaiting)
      .catch(function () { /* the next change or snapshot tries again */ })
      .then(function () {
        refreshing = false;
        if (refreshAgain) { refreshAgain = false; refreshWaitingSoon(); }
      });
  }

  // The server's page replaces ours; a row with the assign form open keeps its form.
  function swapWaiting(html) {
    var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("waiting-window");
    var current = windowEl();
    if (!fresh || !current) { return; }
    var kept = current.contains(assignForm) ? detachAssign() : null;
    var imported = document.importNode(fresh, true);
    current.parentNode.replaceChild(imported, current);
    floor.waitingTotal = Number(imported.getAttribute("data-total")) || 0;
    if (kept) { reattachAssign(kept, waitingRow(kept.leadId) || goneRow(kept.leadId)); }
    counters();
    tickAges();
  }

  // ---- Reps ----------------------------------------------------------------------------------------------
  function statusSelect(target, rep) {
    var select = target.querySelector("select.rep-status");
    if (!select) {
      select = document.createElement("select");
      select.className = "rep-status";
      REP_STATUSES.forEach(function (pair) {
        var option = document.createElement("option");
        option.value = pair[0];
        option.textContent = pair[1];
        select.appendChild(option);
      });
      var error = document.createElement("span");
      error.className = "error rep-status-error";
      error.setAttribute("role", "alert");
      target.appendChild(select);
      target.appendChild(error);
    }
    select.setAttribute("aria-label", "Set the status of " + (rep.username || ""));
    if (document.activeElement !== select && !select.disabled) { select.value = rep.status; }
  }

  function showRep(rep) {
    var row = repsBody.querySelector('tr[data-rep-id="' + String(Number(rep.id)) + '"]');
    if (!row) {
      row = document.createElement("tr");
      row.setAttribute("data-rep-id", String(rep.id));
      td(row, "name"); badge(row, "status"); td(row, "load"); td(row, "today"); td(row, "tabs"); td(row, "set-status");
      repsBody.appendChild(row);
    }
    var nameCell = cell(row, "name");
    nameCell.textContent = (rep.name || rep.username || "") + " ";
    var user = document.createElement("span");
    user.className = "muted";
    user.textContent = rep.username || "";
    nameCell.appendChild(user);
    setBadge(cell(row, "status"), rep.status,
             rep.status + (rep.auto_away && rep.status === "away" ? " (no tab)" : ""));
    cell(row, "load").textContent = loadOf(rep.id) + " / " + (rep.capacity || 0);
    var today = rep.leads_today || 0, cap = rep.daily_cap;
    cell(row, "today").textContent = (cap === null || cap === undefined) ? today + " (no daily cap)"
      : today + " / " + cap + (today >= cap ? " (cap reached)" : "");
    cell(row, "tabs").textContent = String(rep.connections || 0);
    var setter = cell(row, "set-status");
    if (setter) { statusSelect(setter, rep); }
  }

  // The assign form's choice of reps: every active rep on the floor, by username, with status and load.
  function repChoices() {
    var select = assignForm.querySelector("select[name=rep]");
    var chosen = select.value;
    while (select.children.length > 1) { select.removeChild(select.lastChild); }
    Object.keys(floor.reps).map(function (id) { return floor.reps[id]; })
      .filter(function (rep) { return rep.active !== false; })
      .sort(function (a, b) { return String(a.username).localeCompare(String(b.username)); })
      .forEach(function (rep) {
        var option = document.createElement("option");
        option.value = rep.username;
        option.textContent = rep.username + " (" + rep.status + ", " + loadOf(rep.id) + "/" + (rep.capacity || 0) + ")";
        select.appendChild(option);
      });
    select.value = chosen;
  }

  // What holds a unit of capacity: an open offer, or a lead the rep owns and has not contacted yet.
  function holdsCapacity(a) {
    return a.status === "offered" || (a.status === "accepted" && a.lead && a.lead.status === "assigned");
  }

  function loadOf(repId) {
    var n = 0;
    for (var id in floor.assignments) {
      var a = floor.assignments[id];
      if (holdsCapacity(a) && a.rep && a.rep.id === repId) { n += 1; }
    }
    return n;
  }

  // The rep's count of new leads today as this assignment message changes it (the server's number comes with
  // each snapshot and rep.updated; in between, offers made and offers lost move it).
  function countToday(before, a) {
    var rep = a.rep && floor.reps[a.rep.id];
    if (!rep) { return; }
    var was = before ? (TAKEN[before.status] ? 1 : 0) : 0;
    var is = (before || a.status === "offered") && TAKEN[a.status] ? 1 : 0;
    rep.leads_today = Math.max(0, (rep.leads_today || 0) + is - was);
  }

  repsBody.addEventListener("change", function (event) {
    var select = event.target;
    if (!select.classList || !select.classList.contains("rep-status")) { return; }
    var row = select.closest("tr[data-rep-id]");
    var repId = Number(row.getAttribute("data-rep-id"));
    var error = row.querySelector(".rep-status-error");
    var before = (floor.reps[repId] && floor.reps[repId].status) || cell(row, "status").textContent.split(" ")[0];
    error.textContent = "";
    select.disabled = true;
    post("reps/" + repId + "/status/", { status: select.value }).then(function (data) {
      var rep = Object.assign({}, floor.reps[repId] || { id: repId }, { status: data.status,
                              status_changed_at: data.status_changed_at, auto_away: data.auto_away });
      floor.reps[repId] = rep;
      select.disabled = false;
      showRep(rep);
      counters();
    }, function (failure) {
      select.disabled = false;
      select.value = before;
      error.textContent = failure.message;
    });
  });

  // ---- Assign or reassign a lead (POST /api/v1/leads/{id}/assign/) ----------------------------------------------
  function openAssign(row, leadId) {
    var target = cell(row, "actions");
    if (!target) { return; }
    assignForm.setAttribute("data-lead-id", String(Number(leadId)));
    assignForm.querySelector(".assign-error").textContent = "";
    target.appendChild(assignForm);
    assignForm.querySelector("select[name=rep]").focus();
  }

  function closeAssign() {
    assignForm.removeAttribute("data-lead-id");
    assignForm.querySelector(".assign-error").textContent = "";
    assignForm.querySelector("select[name=rep]").value = "";
    assignHolder.appendChild(assignForm);
    Array.prototype.forEach.call(document.querySelectorAll("#waiting tr.gone"), function (row) {
      row.parentNode.removeChild(row);
    });
  }

  // The lead left the waiting list while its assign form was open (offered, closed, assigned by someone else):
  // the form stays, on a row that says so, rather than vanishing under the manager's cursor; submitting it then
  // shows what the API answers (an assign works on any lead but a closed one).
  function goneRow(leadId) {
    var row = document.createElement("tr");
    row.className = "gone";
    row.setAttribute("data-lead-id", String(Number(leadId)));
    var note = td(row, "name", "muted");
    note.colSpan = 5;
    note.textContent = "Lead #" + Number(leadId) + " is no longer waiting.";
    td(row, "actions");
    waitingBody().insertBefore(row, waitingBody().firstChild);
    return row;
  }

  // Rows are redrawn (snapshot, refreshed page): the open form moves to the lead's new row with what it held.
  function detachAssign() {
    var kept = { leadId: assignForm.getAttribute("data-lead-id"), rep: assignForm.querySelector("select[name=rep]").value,
                 error: assignForm.querySelector(".assign-error").textContent };
    assignHolder.appendChild(assignForm);
    return kept;
  }

  function reattachAssign(kept, row) {
    if (!row) { closeAssign(); return; }
    openAssign(row, kept.leadId);
    assignForm.querySelector("select[name=rep]").value = kept.rep;
    assignForm.querySelector(".assign-error").textContent = kept.error;
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button.assign-open") : null;
    if (button) {
      var row = button.closest("tr");
      if (row.contains(assignForm)) { closeAssign(); } else { openAssign(row, button.getAttribute("data-lead-id")); }
    } else if (event.target.classList && event.target.classList.contains("assign-cancel")) {
      closeAssign();
    }
  });

  assignForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var leadId = Number(assignForm.getAttribute("data-lead-id"));
    var username = assignForm.querySelector("select[name=rep]").value;
    var error = assignForm.querySelector(".assign-error");
    var submit = assignForm.querySelector("button[type=submit]");
    if (!username) { error.textContent = "Choose a rep."; return; }
    error.textContent = "";
    submit.disabled = true;
    post("leads/" + leadId + "/assign/", { rep: username }).then(function (lead) {
      submit.disabled = false;
      closeAssign();
      dropWaiting(lead.id);
    }, function (failure) {
      submit.disabled = false;
      error.textContent = failure.message;
    });
  });

  // ---- Alerts ----------------------------------------------------------------------------------------------
  function showAlert(alert) {
    var item = document.createElement("li");
    var kind = String(alert.kind || "");
    item.className = "alert-item alert-" + kind.replace(/[^a-z_]/g, "");
    item.setAttribute("data-alert-kind", kind);
    var label = document.createElement("span");
    label.className = "alert-kind";
    label.textContent = kindLabels[kind] || kind;
    var time = document.createElement("time");
    time.className = "alert-time muted";
    time.setAttribute("datetime", alert.at || "");
    time.textContent = alert.at ? new Date(alert.at).toLocaleTimeString() : "";
    var text = document.createElement("span");
    text.className = "alert-message";
    text.textContent = alert.message || "";
    item.appendChild(label); item.appendChild(document.createTextNode(" "));
    item.appendChild(time); item.appendChild(document.createTextNode(" "));
    item.appendChild(text);
    if (alert.lead && alert.lead.id) {
      item.setAttribute("data-lead-id", String(Number(alert.lead.id)));
      var link = document.createElement("a");
      link.className = "alert-lead";
      link.href = leadHref(alert.lead.id);
      link.textContent = "Lead #" + Number(alert.lead.id);
      item.appendChild(document.createTextNode(" "));
      item.appendChild(link);
    }
    if (alert.rep && alert.rep.username) {
      var rep = document.createElement("span");
      rep.className = "alert-rep muted";
      rep.textContent = alert.rep.username;
      item.appendChild(document.createTextNode(" "));
      item.appendChild(rep);
    }
    alertsList.insertBefore(item, alertsList.firstChild);
    while (alertsList.children.length > MAX_ALERTS) { alertsList.removeChild(alertsList.lastChild); }
    flash(item);
  }

  // ---- The open pool: leads reps may claim, oldest first -------------------------------------------------
  var poolBody = document.getElementById("pool");
  function poolRow(leadId) { return poolBody.querySelector('tr[data-lead-id="' + String(Number(leadId)) + '"]'); }
  function showPool(lead) {
    if (poolRow(lead.id)) { return; }
    var row = document.createElement("tr");
    row.setAttribute("data-lead-id", String(Number(lead.id)));
    row.setAttribute("data-pooled-at", new Date(sock.now()).toISOString());
    var name = td(row, "name");
    var link = document.createElement("a");
    link.href = leadHref(lead.id);
    link.textContent = "#" + Number(lead.id);
    name.appendChild(link);
    td(row, "campaign").textContent = lead.campaign || "";
    td(row, "where").textContent = String(lead.language || "").toUpperCase() + " " + (lead.country || "");
    td(row, "pool-age", "age");
    assignButton(td(row, "actions"), lead.id, "Assign…");
    poolBody.appendChild(row);
    setPoolCount(1);
    flash(row);
  }
  function dropPool(leadId) {
    var row = poolRow(leadId);
    if (!row) { setPoolCount(-1); return; }
    if (row.contains(assignForm)) { closeAssign(); }
    row.parentNode.removeChild(row);
    setPoolCount(-1);
  }
  function setPoolCount(delta) {
    var count = document.getElementById("pool-count");
    count.textContent = String(Math.max(0, (Number(count.textContent) || 0) + delta));
    document.getElementById("pool-empty").hidden = poolBody.children.length > 0;
  }
  function tickPoolAges() {
    var rows = poolBody.querySelectorAll("tr[data-pooled-at]");
    for (var i = 0; i < rows.length; i++) {
      var target = cell(rows[i], "pool-age");
      if (target) { target.textContent = age(rows[i].getAttribute("data-pooled-at")); }
    }
  }

  // ---- Leads held by delay rules: a countdown each, and "Release now" ---------------------------------------
  var heldBody = document.getElementById("held");
  function tickHeld() {
    var rows = heldBody.querySelectorAll("tr[data-until]");
    for (var i = 0; i < rows.length; i++) {
      var left = Math.max(0, Math.round((Date.parse(rows[i].getAttribute("data-until")) - sock.now()) / 1000));
      var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), sec = left % 60;
      cell(rows[i], "countdown").textContent = left === 0 ? "now" :
        (h ? h + " h " : "") + (h || m ? m + " min " : "") + (h ? "" : sec + " s");
    }
  }
  function dropHeld(leadId) {
    var row = heldBody.querySelector('tr[data-lead-id="' + String(Number(leadId)) + '"]');
    if (row) { row.parentNode.removeChild(row); }
    document.getElementById("held-empty").hidden = heldBody.children.length > 0;
  }
  heldBody.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button.release-now") : null;
    if (!button) { return; }
    var leadId = Number(button.getAttribute("data-lead-id"));
    var error = button.parentNode.querySelector(".release-error");
    button.disabled = true;
    error.textContent = "";
    post("leads/" + leadId + "/release/", {}).then(function () { dropHeld(leadId); }, function (failure) {
      button.disabled = false;
      error.textContent = failure.message;
    });
  });

  // ---- Totals and ages -----------------------------------------------------------------------------------
  function counters() {
    var offered = 0, accepted = 0, available = 0;
    for (var id in floor.assignments) {
      var a = floor.assignments[id];
      if (a.status === "offered") { offered += 1; }
      if (a.status === "accepted") { accepted += 1; }
    }
    for (var r in floor.reps) { if (floor.reps[r].status === "available") { available += 1; } }
    document.getElementById("waiting-count").textContent = String(floor.waitingTotal);
    document.getElementById("offered-count").textContent = String(offered);
    document.getElementById("accepted-count").textContent = String(accepted);
    document.getElementById("available-count").textContent = String(available);
    document.getElementById("waiting-empty").hidden = waitingBody().children.length > 0;
    document.getElementById("feed-empty").hidden = feed.children.length > 0;
    document.getElementById("alerts-empty").hidden = alertsList.children.length > 0;
  }

  function tickAges() {
    tickPoolAges();
    tickHeld();
    var rows = document.querySelectorAll("tr[data-received-at]");
    for (var i = 0; i < rows.length; i++) {
      var row = rows[i], at = row.getAttribute("data-received-at"), target = cell(row, "age");
      if (!at || !target) { continue; }
      // An assignment's lead ages only while its offer is open.
      if (row.parentNode === feed && !/row-(offered|accepted)/.test(row.className)) { target.textContent = ""; continue; }
      target.textContent = age(at);
    }
  }

  // ---- Messages ------------------------------------------------------------------------------------------
  function snapshot(message) {
    sock.syncClock(message.now);
    floor.assignments = {}; floor.reps = {};
    var kept = feed.contains(assignForm) ? detachAssign() : null;
    feed.textContent = ""; repsBody.textContent = "";
    message.assignments.slice().reverse().forEach(function (a) {
      floor.assignments[a.id] = a;
      showAssignment(a, false);
    });
    floor.waitingTotal = message.waiting.count;
    message.reps.forEach(function (rep) { floor.reps[rep.id] = rep; showRep(rep); });
    repChoices();
    if (kept) { reattachAssign(kept, feed.querySelector('tr[data-lead-id="' + String(Number(kept.leadId)) + '"]')); }
    counters();
    tickAges();
    refreshWaiting();
  }

  function handle(message) {
    var a = message.assignment;
    switch (message.type) {
      case "floor.snapshot":
        snapshot(message);
        return;
      case "assignment.offered":
      case "assignment.updated":
      case "assignment.revoked":
        countToday(floor.assignments[a.id], a);
        floor.assignments[a.id] = a;
        showAssignment(a, true);
        if (a.lead && OPEN[a.status]) {
          if (waitingRow(a.lead.id)) { dropWaiting(a.lead.id); }
          // A lead offered long after it came in most likely waited, maybe off this page: recount from the server.
          else if (message.type === "assignment.offered" && sock.now() - Date.parse(a.lead.received_at) > 5000) {
            refreshWaitingSoon();
          }
        }
        if (a.rep && floor.reps[a.rep.id]) { showRep(floor.reps[a.rep.id]); }
        break;
      case "floor.updated":
        if (message.lead && message.lead.status !== "held") { dropHeld(message.lead.id); }
        if (message.lead && message.lead.status === "waiting") {
          showWaiting(message.lead);
        } else if (message.lead) {
          dropWaiting(message.lead.id);
        }
        break;
      case "floor.alert":
        if (message.alert) { showAlert(message.alert); }
        break;
      case "pool.added":
        if (message.lead) { showPool(message.lead); }
        break;
      case "pool.removed":
        if (message.lead) { dropPool(message.lead.id); }
        break;
      case "rep.updated":
        if (message.rep) {
          var rep = Object.assign({}, floor.reps[message.rep.id] || {}, message.rep);
          floor.reps[rep.id] = rep;
          showRep(rep);
          repChoices();
        }
        break;
      default:
        return;
    }
    counters();
    tickAges();
  }

  // ---- Filters: a change shows the list at once (GET, so a reload keeps them) -----------------------------
  var filterForm = document.getElementById("waiting-filter");
  function applyFilters(event) {
    if (event) { event.preventDefault(); }
    // Only what narrows or reorders goes in the address, and a new filter starts at page 1.
    var params = new URLSearchParams();
    ["campaign", "rule", "sort"].forEach(function (name) {
      var value = filterForm.elements[name].value;
      if (value && !(name === "sort" && value === "oldest")) { params.set(name, value); }
    });
    var query = params.toString();
    location.assign(location.pathname + (query ? "?" + query : ""));
  }
  if (filterForm) {
    filterForm.addEventListener("change", function () { applyFilters(); });
    filterForm.addEventListener("submit", applyFilters);
  }

  // ---- Websocket (socket.js: reconnect with back-off, ping/pong, clock skew) ------------------------------
  var sock = LeadSocket.create({ path: "/ws/notifications/?role=floor", status: connEl, onmessage: handle });

  floor.waitingTotal = Number(windowEl().getAttribute("data-total")) || 0;
  setInterval(tickAges, 1000);
  // A fresh snapshot now and then corrects anything a dropped message left behind.
  setInterval(function () { sock.send({ type: "snapshot" }); }, 60000);
  tickAges();
  sock.connect();
})();
