// One lead to work (/rep/leads/<id>/): stage moves, contacts, callbacks, notes and the timeline, all through the
// REST API; the socket brings `callback.due` (a pop-up with a chime), moves made elsewhere, and new offers.
// Helpers: rep_common.js (LeadRep). Every piece of lead data is written with textContent, never as HTML.
(function () {
  "use strict";

  var R = window.LeadRep;
  var api = R.api;
  var state = JSON.parse(document.getElementById("lead-state").textContent);
  var lead = state.lead;                       // {id, status, name}
  var events = state.timeline || [];
  var toast = R.toaster(document.getElementById("toast"));

  var badge = document.getElementById("stage-badge");
  var stageActions = document.getElementById("stage-actions");
  var stageReason = document.getElementById("stage-reason");
  var stageError = document.getElementById("stage-error");
  var contactSection = document.getElementById("contact-section");
  var contactForm = document.getElementById("contact-form");
  var callbackForm = document.getElementById("callback-form");
  var callbackList = document.getElementById("callback-list");
  var callbacksEmpty = document.getElementById("callbacks-empty");
  var noteForm = document.getElementById("note-form");
  var noteList = document.getElementById("note-list");
  var timeline = document.getElementById("timeline");
  var dueAlerts = document.getElementById("due-alerts");
  var offerNote = document.getElementById("offer-note");
  var offerCount = document.getElementById("offer-count");
  var dueCount = document.getElementById("due-count");

  function stageLabel(status) { return state.stage_labels[status] || status || ""; }
  function cleanClass(value) { return String(value || "").replace(/[^a-z_]/g, ""); }
  function formError(form, text) {
    var node = form.querySelector(".form-error");
    if (node) { node.textContent = text; }
  }

  // ---- Stage -----------------------------------------------------------------------------------------------
  function setStatus(status) {
    if (!status) { return; }
    var changed = status !== lead.status;
    lead.status = status;
    badge.className = "badge badge-" + cleanClass(status);
    badge.setAttribute("data-status", status);
    badge.textContent = stageLabel(status);
    R.setText(document, "status", stageLabel(status));
    // Contacts go on the owner's accepted assignment: closed (won, lost) until the lead is reopened.
    contactSection.hidden = !(state.can_log_contact && status !== "won" && status !== "lost");
    if (changed || !stageActions.firstChild) { drawStageActions(); }
  }

  function drawStageActions() {
    while (stageActions.firstChild) { stageActions.removeChild(stageActions.firstChild); }
    hideReason();
    var moves = state.moves[lead.status] || [];
    moves.forEach(function (stage) {
      var button = R.button("stage-button stage-" + cleanClass(stage), state.move_labels[stage] || stage);
      button.setAttribute("data-stage", stage);
      stageActions.appendChild(button);
    });
    if (!moves.length) {
      stageActions.appendChild(R.el("p", "muted", lead.status === "won" ? "Won: nothing more to do."
                                                                        : "No stage move from here."));
    }
  }

  function hideReason() {
    stageReason.hidden = true;
    stageReason.removeAttribute("data-stage");
  }

  function askReason(stage) {
    stageError.textContent = "";
    R.reasons(stage).then(function (list) {
      var select = stageReason.elements.reason;
      while (select.options.length > 1) { select.remove(1); }
      list.forEach(function (reason) {
        var option = document.createElement("option");
        option.value = reason.code;
        option.textContent = reason.label;
        select.appendChild(option);
      });
      document.getElementById("stage-reason-label").textContent =
        stage === "lost" ? "Why was it lost?" : "Why is it unqualified?";
      stageReason.querySelector(".reason-confirm").textContent =
        stage === "lost" ? "Close as lost" : "Mark unqualified";
      stageReason.setAttribute("data-stage", stage);
      stageReason.hidden = false;
      select.value = "";
      select.focus();
    }, function (error) { stageError.textContent = error.message; });
  }

  function moveTo(stage, reason, button) {
    stageError.textContent = "";
    if (button) { button.disabled = true; }
    return api("POST", "leads/" + lead.id + "/stage/", { stage: stage, reason: reason || "" }).then(function (data) {
      setStatus(data.status);
      toast(stage === "contacted" ? "Reopened." : "Moved to " + stageLabel(data.status) + ".");
      R.broadcast({ type: "lead.changed", lead_id: lead.id });
      refreshTimeline();
    }, function (error) {
      stageError.textContent = error.message;
      if (button) { button.disabled = false; }
      refreshStatus();
    });
  }

  stageActions.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-stage]");
    if (!button) { return; }
    var stage = button.getAttribute("data-stage");
    if (stage === "lost" || stage === "unqualified") { askReason(stage); }
    else { moveTo(stage, "", button); }
  });

  stageReason.addEventListener("submit", function (event) {
    event.preventDefault();
    var reason = stageReason.elements.reason.value;
    if (!reason) { stageError.textContent = "Pick a reason first."; return; }
    var confirm = stageReason.querySelector(".reason-confirm");
    confirm.disabled = true;
    moveTo(stageReason.getAttribute("data-stage"), reason).then(function () { confirm.disabled = false; });
  });
  stageReason.querySelector(".reason-cancel").addEventListener("click", function () {
    hideReason();
    stageError.textContent = "";
  });

  // The lead's status as the server has it now (after a contact, or a move made elsewhere).
  function refreshStatus() {
    if (!state.assignment_id) { return Promise.resolve(); }
    return api("GET", "assignments/" + state.assignment_id + "/").then(function (data) {
      var fresh = data.lead || {};
      setStatus(fresh.status);
      if (fresh.first_contact_at) {
        var cell = document.querySelector('[data-field="first-contact"]');
        if (cell && cell.textContent.trim() === "—") { cell.textContent = R.when(fresh.first_contact_at); }
      }
    }, function () { /* the timeline still tells */ });
  }

  // ---- Log a contact (POST /api/v1/assignments/{id}/contacts/, the owner's assignment) ------------------------
  contactForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var button = contactForm.querySelector("button[type=submit]");
    var body = { channel: contactForm.elements.channel.value, outcome: contactForm.elements.outcome.value,
                 notes: contactForm.elements.notes.value.trim() };
    formError(contactForm, "");
    button.disabled = true;
    api("POST", "assignments/" + state.assignment_id + "/contacts/", body).then(function () {
      contactForm.elements.notes.value = "";
      var outcome = contactForm.elements.outcome;
      toast("Logged " + body.channel + " (" + outcome.options[outcome.selectedIndex].text + ").");
      R.broadcast({ type: "lead.changed", lead_id: lead.id });
      return Promise.all([refreshStatus(), refreshTimeline()]);
    }, function (error) { formError(contactForm, error.message); }).then(function () { button.disabled = false; });
  });

  // ---- Callbacks ---------------------------------------------------------------------------------------------
  callbackForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var input = callbackForm.elements.due_at;
    var button = callbackForm.querySelector("button[type=submit]");
    formError(callbackForm, "");
    if (!input.value) { formError(callbackForm, "Pick a date and time."); return; }
    var dueAt = R.isoWithOffset(new Date(input.value));   // the browser's wall clock, with its UTC offset
    if (!dueAt) { formError(callbackForm, "That date and time is not valid."); return; }
    button.disabled = true;
    api("POST", "leads/" + lead.id + "/callbacks/", { due_at: dueAt, note: callbackForm.elements.note.value.trim() })
      .then(function (cb) {
        input.value = "";
        callbackForm.elements.note.value = "";
        toast("Callback scheduled for " + R.when(cb.due_at) + ".");
        R.broadcast({ type: "callback.scheduled", lead_id: lead.id });
        return refreshTimeline();
      }, function (error) { formError(callbackForm, error.message); })
      .then(function () { button.disabled = false; });
  });

  function markDone(id, button) {
    if (button) { button.disabled = true; }
    return api("POST", "callbacks/" + Number(id) + "/done/").then(function () {
      dropDueAlert(id);
      R.broadcast({ type: "callback.done", id: Number(id) });
      toast("Callback done.");
      refreshTimeline();
    }, function (error) {
      if (button) { button.disabled = false; }
      toast(error.message);
    });
  }

  function drawCallbacks() {
    var list = events.filter(function (e) { return e.type === "callback"; });
    list.sort(function (a, b) {
      if (!a.done_at !== !b.done_at) { return a.done_at ? 1 : -1; }
      return a.done_at ? Date.parse(b.done_at) - Date.parse(a.done_at) : Date.parse(a.due_at) - Date.parse(b.due_at);
    });
    while (callbackList.firstChild) { callbackList.removeChild(callbackList.firstChild); }
    var now = sock.now();
    list.forEach(function (cb) {
      var due = !cb.done_at && Date.parse(cb.due_at) <= now;
      var item = R.el("li", "callback-item" + (due ? " is-due" : "") + (cb.done_at ? " is-done" : ""));
      item.setAttribute("data-callback-id", String(cb.id));
      item.setAttribute("data-state", cb.done_at ? "done" : (due ? "due" : "upcoming"));
      var main = R.el("div", "cb-main");
      main.appendChild(R.el("span", "cb-when", (due ? "Due " : "") + R.when(cb.due_at) + " (" +
        R.relative(cb.due_at, now) + ")"));
      if (cb.note) { main.appendChild(R.el("p", "cb-note", cb.note)); }
      if (cb.done_at) { main.appendChild(R.el("span", "cb-state muted", "Done " + R.when(cb.done_at))); }
      item.appendChild(main);
      if (!cb.done_at) {
        var actions = R.el("div", "cb-actions");
        actions.appendChild(R.button("cb-done", "Mark done", "done"));
        item.appendChild(actions);
      }
      callbackList.appendChild(item);
    });
    callbacksEmpty.hidden = list.length > 0;
  }

  callbackList.addEventListener("click", function (event) {
    var button = event.target.closest('button[data-action="done"]');
    if (button) { markDone(button.closest(".callback-item").getAttribute("data-callback-id"), button); }
  });

  // ---- callback.due: a pop-up on this page, whichever lead it is for ------------------------------------------
  var dueIds = {};

  function updateDueCount() {
    if (!dueCount) { return; }
    var n = Object.keys(dueIds).length;
    dueCount.textContent = String(n);
    dueCount.hidden = n === 0;
  }

  function showDueAlert(cb) {
    var cbLead = cb.lead || {};
    dueIds[cb.id] = true;
    updateDueCount();
    if (dueAlerts.querySelector('.due-alert[data-callback-id="' + Number(cb.id) + '"]')) { return; }
    var mine = Number(cbLead.id) === Number(lead.id);
    var box = R.el("div", "due-alert" + (mine ? " this-lead" : ""));
    box.setAttribute("role", "alert");
    box.setAttribute("data-callback-id", String(cb.id));
    box.setAttribute("data-lead-id", String(cbLead.id));
    var text = R.el("div", "due-text");
    var title = R.el("strong", "due-title", mine ? "Callback due now" : "Callback due: ");
    text.appendChild(title);
    if (!mine) {
      var link = R.el("a", "due-lead", cbLead.name || "(no name)");
      link.setAttribute("href", "/rep/leads/" + Number(cbLead.id) + "/");
      text.appendChild(link);
    }
    text.appendChild(R.el("span", "due-when muted", " · set for " + R.when(cb.due_at)));
    if (cb.note) { text.appendChild(R.el("p", "due-note", cb.note)); }
    box.appendChild(text);
    var actions = R.el("div", "due-actions");
    var href = R.telHref(cbLead.phone);
    if (href) {
      var call = R.el("a", "due-call", "Call " + cbLead.phone);
      call.setAttribute("href", href);
      actions.appendChild(call);
    }
    var done = R.button("due-done", "Mark done");
    done.addEventListener("click", function () { markDone(cb.id, done); });
    actions.appendChild(done);
    var close = R.button("due-close", "Later");
    close.setAttribute("aria-label", "Hide this reminder");
    close.addEventListener("click", function () { if (box.parentNode) { box.parentNode.removeChild(box); } });
    actions.appendChild(close);
    box.appendChild(actions);
    dueAlerts.appendChild(box);
    if (mine) { refreshTimeline(); }
    if (R.firstTime("callback-" + cb.id)) {
      R.chime();
      R.notify("Call back " + (cbLead.name || "(no name)"), cb.note || "Due " + R.when(cb.due_at), "callback-" + cb.id,
               function () { if (!mine) { location.href = "/rep/leads/" + Number(cbLead.id) + "/"; } });
    }
  }

  function dropDueAlert(id) {
    delete dueIds[id];
    updateDueCount();
    var box = dueAlerts.querySelector('.due-alert[data-callback-id="' + Number(id) + '"]');
    if (box && box.parentNode) { box.parentNode.removeChild(box); }
  }

  // ---- Notes ---------------------------------------------------------------------------------------------------
  noteForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = noteForm.elements.text.value.trim();
    var button = noteForm.querySelector("button[type=submit]");
    formError(noteForm, "");
    if (!text) { formError(noteForm, "Write something first."); return; }
    button.disabled = true;
    api("POST", "leads/" + lead.id + "/notes/", { text: text }).then(function () {
      noteForm.elements.text.value = "";
      toast("Note added.");
      return refreshTimeline();
    }, function (error) { formError(noteForm, error.message); }).then(function () { button.disabled = false; });
  });

  function drawNotes() {
    while (noteList.firstChild) { noteList.removeChild(noteList.firstChild); }
    var notes = events.filter(function (e) { return e.type === "note"; }).reverse();
    notes.forEach(function (note) {
      var item = R.el("li", "note-item");
      item.setAttribute("data-note-id", String(note.id));
      item.appendChild(R.el("p", "note-text", note.text));
      item.appendChild(R.el("span", "note-meta muted", (note.by || "") + " · " + R.when(note.at)));
      noteList.appendChild(item);
    });
    if (!notes.length) { noteList.appendChild(R.el("li", "muted note-none", "No notes yet.")); }
  }

  // ---- Timeline (GET /api/v1/leads/{id}/timeline/), newest first ------------------------------------------------
  function describe(e) {
    var by = e.by ? " by " + e.by : "";
    switch (e.type) {
      case "received": return ["Received", e.campaign ? "Campaign " + e.campaign : ""];
      case "offered": return ["Offered to " + (e.rep || "a rep") + (e.broadcast ? " (with others)" : ""), ""];
      case "accepted": return ["Accepted" + by, ""];
      case "declined": return ["Declined" + by, e.reason ? "Reason: " + e.reason : ""];
      case "expired": return ["Offer to " + (e.rep || "a rep") + " expired", ""];
      case "assigned": return ["Assigned" + (e.rep ? " to " + e.rep : "") + by, e.reason || ""];
      case "taken_back": return ["Taken back from " + (e.rep || "its rep") + by, ""];
      case "claimed": return ["Claimed from the pool" + by, ""];
      case "contact":
        return [(state.channel_labels[e.channel] || e.channel) + ": " + (state.outcome_labels[e.outcome] || e.outcome) + by,
                e.notes || ""];
      case "note": return ["Note" + by, e.text || ""];
      case "callback":
        return ["Callback set for " + R.when(e.due_at) + by + (e.done_at ? " — done " + R.when(e.done_at) : ""),
                e.note || ""];
      case "stage": return [stageLabel(e.from) + " → " + stageLabel(e.to) + by, e.reason_label || e.reason || ""];
      case "erased": return ["Personal data erased" + by, ""];
      default: return [String(e.type) + by, ""];
    }
  }

  function drawTimeline() {
    while (timeline.firstChild) { timeline.removeChild(timeline.firstChild); }
    events.slice().reverse().forEach(function (e) {
      var words = describe(e);
      var item = R.el("li", "tl-item tl-" + cleanClass(e.type));
      item.setAttribute("data-type", String(e.type));
      var time = R.el("time", "tl-at muted", R.when(e.at));
      time.setAttribute("datetime", String(e.at || ""));
      item.appendChild(time);
      item.appendChild(R.el("span", "tl-what", words[0]));
      if (words[1]) { item.appendChild(R.el("p", "tl-detail", words[1])); }
      timeline.appendChild(item);
    });
  }

  function drawAll() {
    drawTimeline();
    drawNotes();
    drawCallbacks();
  }

  var timelineSeq = 0;
  function refreshTimeline() {
    var seq = ++timelineSeq;
    return api("GET", "leads/" + lead.id + "/timeline/").then(function (data) {
      if (seq !== timelineSeq) { return; }
      events = data.events || [];
      drawAll();
    }, function (error) {
      if (error.status === 404) { toast("This lead is no longer yours."); }
    });
  }

  // ---- A manager gives the lead to a rep (POST /api/v1/leads/{id}/assign/) ------------------------------------------
  var assignForm = document.getElementById("assign-form");
  if (assignForm) {
    assignForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var username = assignForm.querySelector("select[name=rep]").value;
      var submit = assignForm.querySelector("button[type=submit]");
      formError(assignForm, "");
      if (!username) { formError(assignForm, "Choose a rep."); return; }
      submit.disabled = true;
      api("POST", "leads/" + lead.id + "/assign/", { rep: username }).then(function (data) {
        submit.disabled = false;
        R.setText(document, "owner", data.assigned_rep || username);
        setStatus(data.status);
        toast("Given to " + (data.assigned_rep || username) + ".");
        refreshTimeline();
      }, function (error) {
        submit.disabled = false;
        formError(assignForm, error.message + (error.code && !/^\d+$/.test(error.code) ? " (" + error.code + ")" : ""));
      });
    });
  }

  // ---- Websocket (socket.js): callbacks due, moves made elsewhere, new offers ------------------------------------
  var offers = {};
  var syncing = null;

  function updateOffers() {
    var n = Object.keys(offers).length;
    offerNote.hidden = n === 0;
    offerNote.firstElementChild.textContent = n === 1 ? "A new offer is waiting in your queue" :
      n + " new offers are waiting in your queue";
    if (offerCount) {
      offerCount.textContent = String(n);
      offerCount.hidden = n === 0;
    }
  }

  var sock = LeadSocket.create({
    path: "/ws/notifications/",
    status: document.getElementById("conn"),
    onopen: function () { syncing = {}; },
    onclose: function () { syncing = null; },
    on: {
      "assignment.offered": assignmentChanged,
      "assignment.updated": assignmentChanged,
      "assignment.assigned": assignmentChanged,
      "assignment.revoked": assignmentChanged,
      "callback.due": function (message) { if (message.callback) { showDueAlert(message.callback); } },
      "sync.done": syncDone,
    },
  });

  function assignmentChanged(message) {
    var a = message.assignment;
    if (!a) { return; }
    if (syncing) { syncing[a.id] = true; }
    if (a.lead && Number(a.lead.id) === Number(lead.id) && message.type !== "assignment.offered" &&
        message.type !== "assignment.revoked") {
      setStatus(a.lead.status);
      if (!syncing) { refreshTimeline(); }
    }
    if (a.lead && Number(a.lead.id) === Number(lead.id) && a.status === "taken_back" && state.can_log_contact) {
      state.can_log_contact = false;
      contactSection.hidden = true;
      toast("A manager took this lead back: it is no longer yours.");
    }
    if (state.is_rep) {
      if (a.status === "offered" && message.type !== "assignment.revoked") {
        if (!offers[a.id] && R.firstTime("offer-" + a.id)) {
          R.chime();
          R.notify("New lead: " + ((a.lead && a.lead.name) || "(no name)"), "Open your queue to accept it.",
                   "assignment-" + a.id, function () { location.href = "/rep/#queue"; });
        }
        offers[a.id] = true;
      } else {
        delete offers[a.id];
      }
      updateOffers();
    }
  }

  function syncDone(message) {
    sock.syncClock(message.now);
    if (syncing) {
      for (var id in offers) {
        if (Object.prototype.hasOwnProperty.call(offers, id) && !syncing[id]) { delete offers[id]; }
      }
      updateOffers();
    }
    syncing = null;
  }

  R.onBroadcast(function (message) {
    if (message.type === "callback.done") {
      dropDueAlert(message.id);
      if (events.some(function (e) { return e.type === "callback" && Number(e.id) === Number(message.id); })) {
        refreshTimeline();
      }
    } else if ((message.type === "lead.changed" || message.type === "callback.scheduled") &&
               Number(message.lead_id) === Number(lead.id)) {
      refreshStatus();
      refreshTimeline();
    }
  });

  // ---- Start ------------------------------------------------------------------------------------------------------
  sock.syncClock(state.now);
  R.localiseTimes(document.querySelector(".lead-facts"));
  R.setupAlerts(document.getElementById("alerts"));
  setStatus(lead.status);
  drawAll();
  setInterval(drawCallbacks, 15000);
  var callLink = document.getElementById("call-link"), leadClock = document.getElementById("lead-clock");
  function drawCalling() { R.applyCalling(state.calling, callLink, leadClock, sock.now()); }
  drawCalling();
  setInterval(drawCalling, 1000);
  if (dueCount) {
    api("GET", "callbacks/?status=due").then(function (data) {
      (Array.isArray(data) ? data : (data.results || [])).forEach(function (cb) { dueIds[cb.id] = true; });
      updateDueCount();
    }, function () { /* the count is a hint */ });
  }
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { refreshStatus(); refreshTimeline(); }
  });
  sock.connect();
})();
