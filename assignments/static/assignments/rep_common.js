// What the rep's pages share (/rep/ and /rep/leads/<id>/): the REST helper, sound and browser notifications,
// times in the browser's zone, and word between the rep's open tabs. Loaded after socket.js, before the page's script.
// Every piece of lead data is written with textContent or as an attribute value, never as HTML.
(function () {
  "use strict";

  var API = "/api/v1/";
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute("content") : "";

  // ---- REST ------------------------------------------------------------------------------------------------
  function firstError(data) {
    if (!data) { return ""; }
    var errors = data.errors || data;
    if (typeof errors !== "object") { return ""; }
    for (var key in errors) {
      if (Object.prototype.hasOwnProperty.call(errors, key) && key !== "code") {
        var value = errors[key];
        var text = Array.isArray(value) ? value[0] : value;
        if (typeof text === "string") { return (key === "non_field_errors" ? "" : key + ": ") + text; }
      }
    }
    return "";
  }

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
          error.status = response.status;
          throw error;
        }
        return data;
      });
    });
  }

  // ---- Text helpers -----------------------------------------------------------------------------------------
  function setText(root, name, text) {
    var nodes = root.querySelectorAll('[data-field="' + name + '"]');
    for (var i = 0; i < nodes.length; i++) { nodes[i].textContent = text; }
  }

  function telHref(phone) {
    var digits = String(phone || "").replace(/[^0-9+*#]/g, "");
    return digits ? "tel:" + digits : "";
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  // A <button type="button">; `action`, when given, goes in data-action for the page's click handler.
  function button(className, text, action) {
    var node = el("button", className, text);
    node.type = "button";
    if (action) { node.setAttribute("data-action", action); }
    return node;
  }

  // ---- Reasons to pick from (GET /api/v1/reasons/?kind=decline|lost|unqualified) ---------------------------
  var reasonLists = {};   // kind -> promise of [{code, label}]

  // Asked once per page and kind; a failed ask is forgotten, so the next one tries again.
  function reasons(kind) {
    if (!reasonLists[kind]) {
      reasonLists[kind] = api("GET", "reasons/?kind=" + encodeURIComponent(kind)).then(function (data) {
        return Array.isArray(data) ? data : (data.results || []);
      }, function (error) { delete reasonLists[kind]; throw error; });
    }
    return reasonLists[kind];
  }

  // ---- Times, in the browser's zone ---------------------------------------------------------------------------
  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function when(iso) {
    if (!iso) { return ""; }
    var d = new Date(iso);
    if (isNaN(d.getTime())) { return ""; }
    var today = new Date();
    var sameDay = d.toDateString() === today.toDateString();
    var time = pad(d.getHours()) + ":" + pad(d.getMinutes());
    return sameDay ? "today " + time : d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " + time;
  }

  function span(ms) {
    var s = Math.max(0, Math.round(Math.abs(ms) / 1000));
    if (s < 60) { return s + " s"; }
    var m = Math.round(s / 60);
    if (m < 60) { return m + " min"; }
    var h = Math.round(m / 60);
    if (h < 48) { return h + " h"; }
    return Math.round(h / 24) + " d";
  }

  // "in 5 min" / "5 min ago"
  function relative(iso, nowMs) {
    var ms = Date.parse(iso) - (nowMs || Date.now());
    if (isNaN(ms)) { return ""; }
    return ms >= 0 ? "in " + span(ms) : span(ms) + " ago";
  }

  // How old: "3 h"
  function age(iso, nowMs) {
    var ms = (nowMs || Date.now()) - Date.parse(iso);
    return isNaN(ms) ? "" : span(ms);
  }

  // A datetime-local value (the browser's wall clock) as ISO 8601 with the browser's UTC offset.
  function isoWithOffset(local) {
    var d = local instanceof Date ? local : new Date(local);
    if (isNaN(d.getTime())) { return ""; }
    var offset = -d.getTimezoneOffset();
    var sign = offset >= 0 ? "+" : "-";
    offset = Math.abs(offset);
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" + pad(d.getHours()) + ":" +
      pad(d.getMinutes()) + ":" + pad(d.getSeconds()) + sign + pad(Math.floor(offset / 60)) + ":" + pad(offset % 60);
  }

  // Localise every <time datetime> the server rendered in UTC.
  function localiseTimes(root) {
    var nodes = (root || document).querySelectorAll("time[datetime]");
    for (var i = 0; i < nodes.length; i++) {
      var text = when(nodes[i].getAttribute("datetime"));
      if (text) { nodes[i].textContent = text; }
    }
  }

  // ---- Calling hours on the lead's clock (payload lead.calling; README "Calling hours") --------------------------
  // The window is judged on the lead's wall clock from the zone's name, so it stays right across the lead's clock
  // changes; the offset is only a fallback for a browser that does not know the zone.
  function leadClock(calling, nowMs) {
    try {
      var parts = new Intl.DateTimeFormat("en-GB", { timeZone: calling.timezone, hour: "2-digit", minute: "2-digit",
                                                     hourCycle: "h23" }).formatToParts(new Date(nowMs));
      var found = {};
      parts.forEach(function (part) { found[part.type] = Number(part.value); });
      return found.hour * 60 + found.minute;
    } catch (e) {
      var d = new Date(nowMs + (calling.utc_offset_minutes || 0) * 60000);
      return d.getUTCHours() * 60 + d.getUTCMinutes();
    }
  }

  function clockMinutes(hhmm) {
    var p = String(hhmm).split(":");
    return Number(p[0]) * 60 + Number(p[1]);
  }

  function waitText(ms) {
    var minutes = Math.ceil(ms / 60000);
    if (minutes <= 1) { return "less than a minute"; }
    var h = Math.floor(minutes / 60), m = minutes % 60;
    return h ? h + " h" + (m ? " " + m + " min" : "") : m + " min";
  }

  // {open, local: "14:05 in America/Chicago", opens: "Calling opens at 08:00 their time, in 3 h 20 min" or ""}.
  function callingNow(calling, nowMs) {
    nowMs = nowMs || Date.now();
    var minute = leadClock(calling, nowMs);
    var local = pad(Math.floor(minute / 60)) + ":" + pad(minute % 60) + " in " + calling.timezone +
      (calling.zone_known ? "" : " (the campaign's zone: the lead's is not known)");
    if (!calling.starts || !calling.ends) { return { open: true, local: local, opens: "" }; }
    var starts = clockMinutes(calling.starts), ends = clockMinutes(calling.ends);
    if (minute >= starts && minute < ends) { return { open: true, local: local, opens: "" }; }
    var opensAt = calling.opens_at ? Date.parse(calling.opens_at) : NaN;
    // The server's instant knows of a clock change before the opening; past it, count on the lead's wall clock.
    var wait = opensAt > nowMs && opensAt - nowMs < 86400000 ? opensAt - nowMs
      : (((starts - minute) % 1440 + 1440) % 1440) * 60000 - (nowMs % 60000);
    return { open: false, local: local, opens: "Calling opens at " + calling.starts + " their time, in " + waitText(wait) };
  }

  // Show the lead's local time in `clockEl` and enable or disable the call link `link` (its tel: href is kept in
  // data-tel while calling is closed). Returns whether calling is open.
  function applyCalling(calling, link, clockEl, nowMs) {
    if (!calling) { return true; }
    var state = callingNow(calling, nowMs);
    if (clockEl) { clockEl.textContent = state.local; }
    if (link) {
      var href = link.getAttribute("href");
      if (href) { link.setAttribute("data-tel", href); }
      var opens = link.querySelector(".call-opens");
      var label = link.querySelector(".call-label");
      if (state.open) {
        if (link.getAttribute("data-tel")) { link.setAttribute("href", link.getAttribute("data-tel")); }
        link.removeAttribute("aria-disabled");
      } else {
        link.removeAttribute("href");
        link.setAttribute("aria-disabled", "true");
      }
      link.classList.toggle("call-closed", !state.open);
      if (opens) { opens.textContent = state.opens; opens.hidden = state.open; }
      if (label) { label.hidden = !state.open; }
    }
    return state.open;
  }

  // ---- Sound and browser notifications ------------------------------------------------------------------------
  var audio = null;
  var alertsBtn = null;

  function updateAlertsButton() {
    if (!alertsBtn) { return; }
    var sound = audio && audio.state === "running";
    var notify = "Notification" in window && Notification.permission === "granted";
    alertsBtn.textContent = sound ? (notify ? "Sound and notifications on" : "Sound on") : "Turn on sound & notifications";
    alertsBtn.classList.toggle("on", !!sound);
  }

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

  function notify(title, body, tag, onclick) {
    if (!("Notification" in window) || Notification.permission !== "granted") { return; }
    try {
      var n = new Notification(title, { body: body, tag: tag });
      n.onclick = function () { window.focus(); n.close(); if (onclick) { onclick(); } };
    } catch (e) { /* some browsers only notify from a service worker */ }
  }

  // The alerts button of the page: a click turns sound and notifications on; the choice is remembered, and
  // since browsers start audio only after a gesture, the first click anywhere turns the chime back on.
  function setupAlerts(button) {
    alertsBtn = button;
    if (button) { button.addEventListener("click", enableAlerts); }
    document.addEventListener("click", function () {
      if (audio && audio.state === "suspended") { audio.resume().then(updateAlertsButton); }
    });
    try {
      if (localStorage.getItem("leadcrm.alerts") === "on") {
        document.addEventListener("click", function once() {
          document.removeEventListener("click", once);
          if (!audio) { enableAlerts(); }
        });
      }
    } catch (e) { /* private mode */ }
    updateAlertsButton();
  }

  // True the first time this browser hears of `key` (e.g. "callback-12"): a callback replayed on every reconnect,
  // or shown in two tabs, chimes once.
  function firstTime(key) {
    var seen = [];
    try { seen = JSON.parse(localStorage.getItem("leadcrm.announced") || "[]"); } catch (e) { seen = []; }
    if (!Array.isArray(seen)) { seen = []; }
    if (seen.indexOf(key) >= 0) { return false; }
    seen.push(key);
    try { localStorage.setItem("leadcrm.announced", JSON.stringify(seen.slice(-300))); } catch (e) { /* full */ }
    return true;
  }

  // ---- Word between the rep's tabs (a callback marked done in one disappears from the others) ---------------------
  var channel = null;
  var listeners = [];
  try {
    if ("BroadcastChannel" in window) {
      channel = new BroadcastChannel("leadcrm.rep");
      channel.onmessage = function (event) {
        listeners.forEach(function (fn) { fn(event.data || {}); });
      };
    }
  } catch (e) { channel = null; }

  function broadcast(message) {
    if (channel) { try { channel.postMessage(message); } catch (e) { /* closed */ } }
  }

  function onBroadcast(fn) { listeners.push(fn); }

  // ---- Toast ------------------------------------------------------------------------------------------------
  function toaster(element) {
    var timer = null;
    return function (text) {
      if (!element) { return; }
      element.textContent = text;
      element.hidden = false;
      clearTimeout(timer);
      timer = setTimeout(function () { element.hidden = true; }, 6000);
    };
  }

  window.LeadRep = {
    api: api,
    setText: setText,
    telHref: telHref,
    el: el,
    button: button,
    reasons: reasons,
    when: when,
    relative: relative,
    age: age,
    isoWithOffset: isoWithOffset,
    localiseTimes: localiseTimes,
    callingNow: callingNow,
    applyCalling: applyCalling,
    setupAlerts: setupAlerts,
    chime: chime,
    notify: notify,
    firstTime: firstTime,
    broadcast: broadcast,
    onBroadcast: onBroadcast,
    toaster: toaster,
  };
})();
