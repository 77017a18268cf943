// The managers' live board: a floor.snapshot on (re)connect, then every floor message as it happens.
// Every piece of lead data is written with textContent, never as HTML.
(function () {
  "use strict";

  var MAX_FEED = 200;
  var OPEN = { offered: true, accepted: true };
  // An offer counts among the rep's new leads today while it is open or once it became theirs
  // (assignments.selectors.leads_taken_today); declined, expired and revoked offers do not.
  var TAKEN = { offered: true, accepted: true, completed: true };
  var floor = { assignments: {}, waiting: {}, reps: {}, unlistedWaiting: 0 };
  var feed = document.getElementById("feed");
  var waitingBody = document.getElementById("waiting");
  var repsBody = document.getElementById("reps");
  var connEl = document.getElementById("conn");

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

  // ---- Assignments feed ----------------------------------------------------------------------------------
  function feedRow(a) {
    var row = feed.querySelector('tr[data-assignment-id="' + String(Number(a.id)) + '"]');
    if (!row) {
      row = document.createElement("tr");
      td(row, "offered"); td(row, "name"); td(row, "campaign"); td(row, "rep");
      badge(row, "status"); td(row, "lead-status"); td(row, "age", "age");
      feed.insertBefore(row, feed.firstChild);
      while (feed.children.length > MAX_FEED) { feed.removeChild(feed.lastChild); }
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
    cell(row, "name").textContent = lead.name || "(no name)";
    cell(row, "campaign").textContent = lead.campaign_name || lead.campaign || "";
    cell(row, "rep").textContent = (a.rep && a.rep.username) || "";
    setBadge(cell(row, "status"), a.status);
    cell(row, "lead-status").textContent = lead.status || "";
    if (highlight) { flash(row); }
  }

  // ---- Waiting leads ---------------------------------------------------------------------------------------
  function showWaiting(lead) {
    var row = waitingBody.querySelector('tr[data-lead-id="' + String(Number(lead.id)) + '"]');
    if (!row) {
      row = document.createElement("tr");
      td(row, "name"); td(row, "campaign"); td(row, "where"); td(row, "age", "age"); td(row, "reason", "muted");
      waitingBody.appendChild(row);
      flash(row);
    }
    row.setAttribute("data-lead-id", String(lead.id));
    row.setAttribute("data-received-at", lead.received_at || "");
    cell(row, "name").textContent = lead.name || ("Lead #" + lead.id);
    cell(row, "campaign").textContent = lead.campaign_name || lead.campaign || "";
    cell(row, "where").textContent = [(lead.language || "").toUpperCase(), lead.country || ""].join(" ").trim();
    cell(row, "reason").textContent = lead.reason || "";
  }

  function dropWaiting(leadId) {
    delete floor.waiting[leadId];
    var row = waitingBody.querySelector('tr[data-lead-id="' + String(Number(leadId)) + '"]');
    if (row) { row.parentNode.removeChild(row); }
  }

  // ---- Reps ----------------------------------------------------------------------------------------------
  function showRep(rep) {
    var row = repsBody.querySelector('tr[data-rep-id="' + String(Number(rep.id)) + '"]');
    if (!row) {
      row = document.createElement("tr");
      row.setAttribute("data-rep-id", String(rep.id));
      td(row, "name"); badge(row, "status"); td(row, "load"); td(row, "today"); td(row, "tabs");
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

  // ---- Totals and ages -----------------------------------------------------------------------------------
  function counters() {
    var offered = 0, accepted = 0, available = 0;
    for (var id in floor.assignments) {
      var a = floor.assignments[id];
      if (a.status === "offered") { offered += 1; }
      if (a.status === "accepted") { accepted += 1; }
    }
    for (var r in floor.reps) { if (floor.reps[r].status === "available") { available += 1; } }
    document.getElementById("waiting-count").textContent =
      String(floor.unlistedWaiting + Object.keys(floor.waiting).length);
    document.getElementById("offered-count").textContent = String(offered);
    document.getElementById("accepted-count").textContent = String(accepted);
    document.getElementById("available-count").textContent = String(available);
    document.getElementById("waiting-empty").hidden = waitingBody.children.length > 0;
    document.getElementById("feed-empty").hidden = feed.children.length > 0;
  }

  function tickAges() {
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
    floor.assignments = {}; floor.waiting = {}; floor.reps = {};
    feed.textContent = ""; waitingBody.textContent = ""; repsBody.textContent = "";
    message.assignments.slice().reverse().forEach(function (a) {
      floor.assignments[a.id] = a;
      showAssignment(a, false);
    });
    message.waiting.leads.forEach(function (lead) { floor.waiting[lead.id] = lead; showWaiting(lead); });
    floor.unlistedWaiting = Math.max(0, message.waiting.count - message.waiting.leads.length);
    message.reps.forEach(function (rep) { floor.reps[rep.id] = rep; showRep(rep); });
    counters();
    tickAges();
  }

  var refreshTimer = null;
  function askSnapshot() {
    // Debounced: a burst of unknown waiting leads costs one snapshot.
    if (refreshTimer) { return; }
    refreshTimer = setTimeout(function () {
      refreshTimer = null;
      sock.send({ type: "snapshot" });
    }, 1200);
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
        if (a.lead && floor.waiting[a.lead.id] && a.status === "offered") { dropWaiting(a.lead.id); }
        if (a.rep && floor.reps[a.rep.id]) { showRep(floor.reps[a.rep.id]); }
        break;
      case "floor.updated":
        if (message.lead && message.lead.status === "waiting") {
          var known = null;
          for (var id in floor.assignments) {
            if (floor.assignments[id].lead && floor.assignments[id].lead.id === message.lead.id) {
              known = floor.assignments[id].lead;
            }
          }
          var lead = Object.assign({}, known || {}, floor.waiting[message.lead.id] || {}, message.lead);
          if (!lead.received_at) { askSnapshot(); }
          floor.waiting[lead.id] = lead;
          showWaiting(lead);
        } else if (message.lead) {
          dropWaiting(message.lead.id);
        }
        break;
      case "rep.updated":
        if (message.rep) {
          var rep = Object.assign({}, floor.reps[message.rep.id] || {}, message.rep);
          floor.reps[rep.id] = rep;
          showRep(rep);
        }
        break;
      default:
        return;
    }
    counters();
    tickAges();
  }

  // ---- Websocket (socket.js: reconnect with back-off, ping/pong, clock skew) ------------------------------
  var sock = LeadSocket.create({ path: "/ws/notifications/?role=floor", status: connEl, onmessage: handle });

  setInterval(tickAges, 1000);
  // A fresh snapshot now and then corrects anything a dropped message left behind.
  setInterval(function () { sock.send({ type: "snapshot" }); }, 60000);
  tickAges();
  sock.connect();
})();
