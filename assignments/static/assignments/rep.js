// The rep's live queue: offers arrive over /ws/notifications/, actions go through the REST API.
// Every piece of lead data is written with textContent or as an attribute value, never as HTML.
(function () {
  "use strict";

  var API = "/api/v1/";
  var OPEN = { offered: true, accepted: true };
  var state = {
    cards: {},          // assignment id -> {a: payload, el: element, details: {...}|null}
    seen: {},           // assignment ids already POSTed as seen
    syncing: null,      // ids confirmed by the current resync, or null outside one
    status: null,
  };
  var queue = document.getElementById("queue");
  var template = document.getElementById("card-template");
  var emptyNote = document.getElementById("empty");
  var connEl = document.getElementById("conn");
  var toastEl = document.getElementById("toast");
  var alertsBtn = document.getElementById("alerts");
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");

  // ---- REST ------------------------------------------------------------------------------------------
  function api(method, path, body) {
    var options = { method: method, credentials: "same-origin",
                    headers: { "Accept": "application/json", "X-CSRFToken": csrf } };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(API + path, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var error = new Error(data.detail || firstError(data) || ("Request failed (" + response.status + ")"));
          error.code = data.code || String(response.status);
          throw error;
        }
        return data;
      });
    });
  }

  function firstError(data) {
    if (!data || !data.errors) { return ""; }
    for (var key in data.errors) {
      if (Object.prototype.hasOwnProperty.call(data.errors, key)) { return key + ": " + data.errors[key][0]; }
    }
    return "";
  }

  // ---- Cards -----------------------------------------------------------------------------------------
  function field(el, name) { return el.querySelector('[data-field="' + name + '"]'); }
  function setText(el, name, text) {
    var nodes = el.querySelectorAll('[data-field="' + name + '"]');
    for (var i = 0; i < nodes.length; i++) { nodes[i].textContent = text; }
  }

  function locationOf(lead) {
    return [lead.region, lead.postal_code, lead.country].filter(function (p) { return p; }).join(", ") || "—";
  }

  function findCardElement(id) {
    return queue.querySelector('.lead-card[data-assignment-id="' + String(Number(id)) + '"]');
  }

  function upsert(a, isNewOffer) {
    var card = state.cards[a.id];
    var fresh = !card;
    if (fresh) {
      var el = findCardElement(a.id);
      if (!el) {
        el = template.content.firstElementChild.cloneNode(true);
        queue.appendChild(el);
      }
      card = state.cards[a.id] = { a: a, el: el, details: null };
    } else if (card.a.lead && a.lead) {
      // Messages and API answers carry different lead fields: keep what the newer one lacks.
      for (var key in card.a.lead) {
        if (!(key in a.lead)) { a.lead[key] = card.a.lead[key]; }
      }
    }
    card.a = a;
    render(card);
    if (fresh && isNewOffer && a.status === "offered") { announce(a); }
    markSeen(card);
    updateEmpty();
    return card;
  }

  function render(card) {
    var a = card.a, lead = a.lead || {}, el = card.el;
    el.setAttribute("data-assignment-id", String(a.id));
    el.setAttribute("data-lead-id", String(lead.id));
    el.setAttribute("data-status", a.status);
    el.className = "lead-card status-" + a.status;
    setText(el, "name", lead.name || "(no name)");
    setText(el, "campaign", lead.campaign_name || lead.campaign || "");
    setText(el, "language", (lead.language || "—").toUpperCase());
    setText(el, "location", locationOf(lead));
    setText(el, "skill", lead.skill || "—");
    var accepted = a.status === "accepted";
    el.querySelector(".offer-actions").hidden = accepted;
    el.querySelector(".owned").hidden = !accepted;
    if (accepted) {
      var details = card.details || {};
      var phone = details.phone || lead.phone || "";
      setText(el, "phone", phone);
      setText(el, "email", details.email || lead.email || "—");
      var tel = field(el, "tel");
      if (phone) { tel.setAttribute("href", "tel:" + phone.replace(/[^0-9+*#]/g, "")); }
      else { tel.removeAttribute("href"); }
      if (!card.details && !card.loading) { loadDetails(card); }
      var contacted = details.first_contact_at || lead.first_contact_at;
      if (contacted && !field(el, "contacted").textContent) {
        setText(el, "contacted", "First contact " + new Date(contacted).toLocaleTimeString() + ".");
      }
    }
    tick(card);
  }

  function loadDetails(card) {
    card.loading = true;
    api("GET", "assignments/" + card.a.id + "/").then(function (data) {
      card.details = data.lead || {};
      card.loading = false;
      if (state.cards[card.a.id] === card) { render(card); }
    }).catch(function () { card.loading = false; });
  }

  function removeCard(id, note) {
    var card = state.cards[id];
    var el = card ? card.el : findCardElement(id);
    delete state.cards[id];
    if (el && el.parentNode) { el.parentNode.removeChild(el); }
    if (note) { toast(note); }
    updateEmpty();
  }

  function updateEmpty() {
    emptyNote.hidden = Object.keys(state.cards).length > 0;
  }

  function tick(card) {
    var el = field(card.el, "countdown");
    if (card.a.status !== "offered") {
      el.textContent = card.a.status === "accepted" ? "Accepted" : card.a.status;
      el.classList.remove("urgent");
      return;
    }
    var left = Math.round((Date.parse(card.a.expires_at) - sock.now()) / 1000);
    var accept = card.el.querySelector('[data-action="accept"]');
    if (left <= 0) {
      el.textContent = "Expired";
      accept.disabled = true;
    } else {
      el.textContent = Math.floor(left / 60) + ":" + ("0" + (left % 60)).slice(-2) + " left";
      accept.disabled = false;
    }
    el.classList.toggle("urgent", left <= 15);
  }

  function tickAll() {
    for (var id in state.cards) {
      if (Object.prototype.hasOwnProperty.call(state.cards, id)) { tick(state.cards[id]); }
    }
  }

  function markSeen(card) {
    var id = card.a.id;
    if (state.seen[id] || card.a.status !== "offered" || document.visibilityState !== "visible") { return; }
    state.seen[id] = true;
    api("POST", "assignments/" + id + "/seen/").catch(function () { delete state.seen[id]; });
  }

  function toast(text) {
    toastEl.textContent = text;
    toastEl.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(function () { toastEl.hidden = true; }, 6000);
  }

  function showError(card, text) {
    setText(card.el, "error", text);
  }

  // ---- Sound and browser notifications ------------------------------------------------------------------
  var audio = null;
  function enableAlerts() {
    try {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      if (Ctx && !audio) { audio = new Ctx(); }
      if (audio && audio.state === "suspended") { audio.resume(); }
    } catch (e) { audio = null; }
    if ("Notification" in window && Notification.permission === "default") {
      Notification.requestPermission().then(updateAlertsButton, updateAlertsButton);
    }
    try { localStorage.setItem("leadcrm.alerts", "on"); } catch (e) { /* private mode */ }
    chime();
    updateAlertsButton();
  }

  function updateAlertsButton() {
    var sound = audio && audio.state === "running";
    var notify = "Notification" in window && Notification.permission === "granted";
    alertsBtn.textContent = sound ? (notify ? "Sound and notifications on" : "Sound on") : "Turn on sound & notifications";
    alertsBtn.classList.toggle("on", !!sound);
  }

  function chime() {
    if (!audio || audio.state !== "running") { return; }
    var t = audio.currentTime;
    [[880, 0], [1318.5, 0.16]].forEach(function (note) {
      var osc = audio.createOscillator(), gain = audio.createGain();
      osc.type = "sine";
      osc.frequency.value = note[0];
      gain.gain.setValueAtTime(0.0001, t + note[1]);
      gain.gain.exponentialRampToValueAtTime(0.3, t + note[1] + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + note[1] + 0.45);
      osc.connect(gain).connect(audio.destination);
      osc.start(t + note[1]);
      osc.stop(t + note[1] + 0.5);
    });
  }

  function announce(a) {
    chime();
    if ("Notification" in window && Notification.permission === "granted") {
      try {
        var lead = a.lead || {};
        var n = new Notification("New lead: " + (lead.name || "(no name)"), {
          body: [lead.campaign_name || lead.campaign, (lead.language || "").toUpperCase(), locationOf(lead)]
            .filter(function (p) { return p; }).join(" · "),
          tag: "assignment-" + a.id,
        });
        n.onclick = function () { window.focus(); n.close(); };
      } catch (e) { /* some browsers only notify from a service worker */ }
    }
  }

  // ---- Actions ------------------------------------------------------------------------------------------
  function cardOf(target) {
    var el = target.closest(".lead-card");
    return el ? state.cards[el.getAttribute("data-assignment-id")] : null;
  }

  function gone(card, error) {
    // The offer is no longer the rep's to act on: tell them, and let the server's message or this remove it.
    showError(card, error.message);
    if (["expired", "taken", "not_offered", "not_found", "not_accepted"].indexOf(error.code) >= 0) {
      setTimeout(function () { if (state.cards[card.a.id] === card) { removeCard(card.a.id); } }, 4000);
    }
  }

  queue.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-action]");
    if (!button || button.type === "submit") { return; }
    var card = cardOf(button);
    if (!card) { return; }
    var id = card.a.id, action = button.getAttribute("data-action");
    showError(card, "");
    button.disabled = true;
    var done = function () { button.disabled = false; };
    if (action === "accept") {
      api("POST", "assignments/" + id + "/accept/").then(function (data) {
        card.details = data.lead;
        upsert(data, false);
      }, function (error) { gone(card, error); }).then(done);
    } else if (action === "decline") {
      api("POST", "assignments/" + id + "/decline/", { reason: "" }).then(function () {
        removeCard(id, "Declined: the lead goes to the next rep.");
      }, function (error) { gone(card, error); }).then(done);
    } else if (action === "won" || action === "lost") {
      api("POST", "assignments/" + id + "/outcome/", { outcome: action }).then(function () {
        removeCard(id, "Closed as " + action + ".");
      }, function (error) { gone(card, error); }).then(done);
    }
  });

  queue.addEventListener("submit", function (event) {
    var form = event.target.closest("form.log-contact");
    if (!form) { return; }
    event.preventDefault();
    var card = cardOf(form);
    if (!card) { return; }
    var button = form.querySelector("button[type=submit]");
    var body = { channel: form.elements.channel.value, outcome: form.elements.outcome.value };
    button.disabled = true;
    showError(card, "");
    api("POST", "assignments/" + card.a.id + "/contacts/", body).then(function (contact) {
      var label = form.elements.outcome.options[form.elements.outcome.selectedIndex].text;
      setText(card.el, "contacted", "Logged " + body.channel + " (" + label + ") at " +
              new Date(contact.at).toLocaleTimeString() + ".");
    }, function (error) { gone(card, error); }).then(function () { button.disabled = false; });
  });

  // ---- Own status ---------------------------------------------------------------------------------------
  var statusButtons = document.querySelectorAll(".status-switch button[data-status]");
  function showStatus(status) {
    state.status = status;
    for (var i = 0; i < statusButtons.length; i++) {
      var b = statusButtons[i];
      b.setAttribute("aria-pressed", b.getAttribute("data-status") === status ? "true" : "false");
    }
    document.getElementById("status-note").textContent =
      status === "offline" ? "You are offline: no leads are offered." :
      status === "away" ? "You are away: no new leads are offered." : "";
  }
  Array.prototype.forEach.call(statusButtons, function (button) {
    button.addEventListener("click", function () {
      var wanted = button.getAttribute("data-status");
      api("PATCH", "me/", { status: wanted }).then(function (me) { showStatus(me.status); },
                                                   function (error) { toast(error.message); });
    });
  });

  // ---- Websocket (socket.js: reconnect with back-off, ping/pong, clock skew) ------------------------------
  var sock = LeadSocket.create({
    path: "/ws/notifications/",
    status: connEl,
    onopen: function () { state.syncing = {}; },
    onmessage: handle,
    onclose: function () { state.syncing = null; },
  });

  function handle(message) {
    var a = message.assignment;
    switch (message.type) {
      case "assignment.offered":
      case "assignment.updated":
        if (state.syncing) { state.syncing[a.id] = true; }
        if (OPEN[a.status]) { upsert(a, message.type === "assignment.offered"); }
        else { removeCard(a.id); }
        break;
      case "assignment.revoked":
        if (state.cards[a.id]) {
          var name = (a.lead && a.lead.name) || "a lead";
          removeCard(a.id, a.status === "expired" ? "The offer of " + name + " expired." :
                                                    "The offer of " + name + " was taken back.");
        }
        break;
      case "sync.done":
        sock.syncClock(message.now);
        if (message.rep) { showStatus(message.rep.status); }
        if (state.syncing) {
          // Anything shown but not resent is no longer open (answered elsewhere, or expired while away).
          for (var id in state.cards) {
            if (Object.prototype.hasOwnProperty.call(state.cards, id) && !state.syncing[id]) { removeCard(id); }
          }
        }
        state.syncing = null;
        break;
      default:
        break;
    }
  }

  // ---- Start ---------------------------------------------------------------------------------------------
  var initial = JSON.parse(document.getElementById("initial-state").textContent);
  sock.syncClock(initial.now);
  showStatus(initial.rep.status);
  initial.assignments.forEach(function (a) { upsert(a, false); });
  setInterval(tickAll, 1000);

  alertsBtn.addEventListener("click", enableAlerts);
  document.addEventListener("click", function () {
    if (audio && audio.state === "suspended") { audio.resume().then(updateAlertsButton); }
  });
  try {
    if (localStorage.getItem("leadcrm.alerts") === "on") {
      // Browsers start audio only after a gesture: the first click anywhere turns the chime back on.
      document.addEventListener("click", function once() {
        document.removeEventListener("click", once);
        if (!audio) { enableAlerts(); }
      });
    }
  } catch (e) { /* private mode */ }
  updateAlertsButton();
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState !== "visible") { return; }
    for (var id in state.cards) {
      if (Object.prototype.hasOwnProperty.call(state.cards, id)) { markSeen(state.cards[id]); }
    }
  });
  sock.connect();
})();
