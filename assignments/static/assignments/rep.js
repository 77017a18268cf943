// The rep's workspace: the live queue (offers arrive over /ws/notifications/, actions go through the REST API),
// my leads (search, filters, pages) and the callbacks due (live by `callback.due`), as tabs of one page so the
// socket, the chime and the countdowns keep running whichever tab is shown. Helpers: rep_common.js (LeadRep).
// Every piece of lead data is written with textContent or as an attribute value, never as HTML.
(function () {
  "use strict";

  var OPEN = { offered: true, accepted: true };
  var state = {
    cards: {},          // assignment id -> {a: payload, el: element, details: {...}|null}
    seen: {},           // assignment ids already POSTed as seen
    syncing: null,      // ids confirmed by the current resync, or null outside one
    status: null,
    tab: null,          // the tab shown: queue, leads or due
  };
  var queue = document.getElementById("queue");
  var template = document.getElementById("card-template");
  var emptyNote = document.getElementById("empty");
  var connEl = document.getElementById("conn");
  var toastEl = document.getElementById("toast");
  var alertsBtn = document.getElementById("alerts");
  var offerCount = document.getElementById("offer-count");
  var R = window.LeadRep;
  var api = R.api;
  var initial = JSON.parse(document.getElementById("initial-state").textContent);
  var stageLabels = initial.stage_labels || {};

  // ---- Cards -----------------------------------------------------------------------------------------
  function field(el, name) { return el.querySelector('[data-field="' + name + '"]'); }
  var setText = R.setText;

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
    if (card.reason && (card.reason.kind === "decline") === accepted) {
      // The offer was accepted (or the lead reopened) meanwhile: the question no longer applies.
      if (card.reason.form.parentNode) { card.reason.form.parentNode.removeChild(card.reason.form); }
      card.reason = null;
    }
    el.querySelector(".offer-actions").hidden = accepted || !!(card.reason && card.reason.kind === "decline");
    el.querySelector(".close-actions").hidden = !!(card.reason && card.reason.kind === "lost");
    el.querySelector(".owned").hidden = !accepted;
    if (accepted) {
      var link = el.querySelector("a.lead-page-link");
      if (!link) {
        link = R.el("a", "lead-page-link", "Open lead page: notes, callbacks, stage");
        el.querySelector(".owned").insertBefore(link, el.querySelector(".log-contact"));
      }
      link.setAttribute("href", "/rep/leads/" + Number(lead.id) + "/");
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
    var offers = 0;
    for (var id in state.cards) {
      if (Object.prototype.hasOwnProperty.call(state.cards, id) && state.cards[id].a.status === "offered") { offers++; }
    }
    offerCount.textContent = String(offers);
    offerCount.hidden = offers === 0;
  }

  function tick(card) {
    R.applyCalling(card.a.lead && card.a.lead.calling, card.el.querySelector(".owned .call-link"),
                   field(card.el, "local-time"), sock.now());
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

  var toast = R.toaster(toastEl);

  function showError(card, text) {
    setText(card.el, "error", text);
  }

  // ---- Sound and browser notifications (rep_common.js) ----------------------------------------------------
  function announce(a) {
    R.chime();
    var lead = a.lead || {};
    R.notify("New lead: " + (lead.name || "(no name)"),
             [lead.campaign_name || lead.campaign, (lead.language || "").toUpperCase(), locationOf(lead)]
               .filter(function (p) { return p; }).join(" · "),
             "assignment-" + a.id,
             function () { showTab("queue"); });
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
      done();
      askReason(card, "decline", function (reason) {
        return api("POST", "assignments/" + id + "/decline/", { reason: reason }).then(function () {
          removeCard(id, "Declined: the lead goes to the next rep.");
        });
      });
    } else if (action === "lost") {
      // Lost needs a reason code (CONTRACT 6.2): the stage move, not the bare outcome.
      done();
      askReason(card, "lost", function (reason) {
        return api("POST", "leads/" + card.a.lead.id + "/stage/", { stage: "lost", reason: reason }).then(function () {
          removeCard(id, "Closed as lost.");
        });
      });
    } else if (action === "won") {
      api("POST", "assignments/" + id + "/outcome/", { outcome: action }).then(function () {
        removeCard(id, "Closed as " + action + ".");
      }, function (error) { gone(card, error); }).then(done);
    }
  });

  queue.addEventListener("click", function (event) {
    if (!event.target.closest(".reason-cancel")) { return; }
    var card = cardOf(event.target);
    if (card) { closeReason(card); }
  });

  // ---- Reasons: decline an offer, lose a lead (GET /api/v1/reasons/?kind=) ---------------------------------
  var reasonTemplate = document.getElementById("reason-template");

  var REASON_TEXT = {
    decline: { label: "Why decline?", confirm: "Decline", hides: ".offer-actions" },
    lost: { label: "Why was it lost?", confirm: "Close as lost", hides: ".close-actions" },
  };

  function askReason(card, kind, send) {
    closeReason(card);
    R.reasons(kind).then(function (list) {
      if (state.cards[card.a.id] !== card) { return; }
      var text = REASON_TEXT[kind];
      var form = reasonTemplate.content.firstElementChild.cloneNode(true);
      var select = form.querySelector("select");
      var selectId = "reason-" + kind + "-" + card.a.id;
      select.id = selectId;
      form.querySelector("label").setAttribute("for", selectId);
      form.querySelector("label").textContent = text.label;
      form.querySelector(".reason-confirm").textContent = text.confirm;
      form.setAttribute("data-kind", kind);
      list.forEach(function (reason) {
        var option = document.createElement("option");
        option.value = reason.code;
        option.textContent = reason.label;
        select.appendChild(option);
      });
      if (!list.length) { select.required = false; select.options[0].textContent = "(no reasons kept)"; }
      card.reason = { kind: kind, send: send, form: form };
      card.el.insertBefore(form, field(card.el, "error"));
      render(card);
      select.focus();
    }, function (error) { showError(card, error.message); });
  }

  function closeReason(card) {
    if (!card.reason) { return; }
    if (card.reason.form.parentNode) { card.reason.form.parentNode.removeChild(card.reason.form); }
    card.reason = null;
    render(card);
  }

  queue.addEventListener("submit", function (event) {
    var form = event.target.closest("form.reason-form");
    if (!form) { return; }
    event.preventDefault();
    var card = cardOf(form);
    if (!card || !card.reason || card.reason.form !== form) { return; }
    var select = form.querySelector("select");
    if (select.required && !select.value) { showError(card, "Pick a reason first."); return; }
    var button = form.querySelector(".reason-confirm");
    button.disabled = true;
    showError(card, "");
    card.reason.send(select.value).catch(function (error) {
      button.disabled = false;
      gone(card, error);
    });
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

  // ---- Tabs: Queue, My leads, Due (one page: the socket stays open whichever is shown) ----------------------
  var panels = {};
  Array.prototype.forEach.call(document.querySelectorAll(".rep-panel[data-panel]"), function (panel) {
    panels[panel.getAttribute("data-panel")] = panel;
  });
  var tabLinks = document.querySelectorAll(".rep-tabs a[data-tab]");

  function showTab(name) {
    if (!panels[name]) { name = "queue"; }
    state.tab = name;
    for (var key in panels) {
      if (Object.prototype.hasOwnProperty.call(panels, key)) { panels[key].hidden = key !== name; }
    }
    for (var i = 0; i < tabLinks.length; i++) {
      if (tabLinks[i].getAttribute("data-tab") === name) { tabLinks[i].setAttribute("aria-current", "page"); }
      else { tabLinks[i].removeAttribute("aria-current"); }
    }
    if (name === "leads") { loadLeads(leads.page); }
    if (name === "due") { loadDue(); }
    if (name === "pool") { loadPool(); }
  }

  Array.prototype.forEach.call(tabLinks, function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      var name = link.getAttribute("data-tab");
      if (history.replaceState) { history.replaceState(null, "", "#" + name); }
      showTab(name);
    });
  });
  window.addEventListener("hashchange", function () { showTab(location.hash.replace("#", "")); });

  // ---- Open pool: GET /api/v1/pool/, claim with POST /api/v1/pool/<id>/claim/; live by pool.added/removed -------
  var poolList = document.getElementById("pool-list");
  var poolEmpty = document.getElementById("pool-empty");
  var poolCount = document.getElementById("pool-count");

  function poolRow(id) { return poolList.querySelector('li[data-lead-id="' + String(Number(id)) + '"]'); }
  function poolCounts() {
    var n = poolList.children.length;
    poolEmpty.hidden = n > 0;
    poolCount.hidden = n === 0;
    poolCount.textContent = String(n);
  }
  function poolAdd(lead) {
    if (poolRow(lead.id)) { return; }
    var row = R.el("li", "lead-row pool-row");
    row.setAttribute("data-lead-id", String(Number(lead.id)));
    row.setAttribute("data-received-at", lead.received_at || "");
    var main = R.el("div", "lead-main");
    main.appendChild(R.el("strong", "", (lead.campaign || "") + " · " + String(lead.language || "").toUpperCase() +
                                       " " + (lead.country || "") + (lead.skill ? " · " + lead.skill : "")));
    main.appendChild(R.el("span", "muted pool-age", ""));
    row.appendChild(main);
    row.appendChild(R.button("primary", "Claim", "claim"));
    poolList.appendChild(row);
    tickPool();
    poolCounts();
  }
  function poolRemove(id) {
    var row = poolRow(id);
    if (row) { row.parentNode.removeChild(row); }
    poolCounts();
  }
  function tickPool() {
    Array.prototype.forEach.call(poolList.querySelectorAll("li[data-received-at]"), function (row) {
      var at = row.getAttribute("data-received-at");
      row.querySelector(".pool-age").textContent = at ? " waiting " + R.age(at, sock.now()) : "";
    });
  }
  function loadPool() {
    api("GET", "pool/").then(function (data) {
      poolList.textContent = "";
      (data.leads || []).forEach(poolAdd);
      poolCounts();
    }, function () { /* not a rep's page, or offline: the next message or tab switch tries again */ });
  }
  poolList.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest('button[data-action="claim"]') : null;
    if (!button) { return; }
    var row = button.closest("li");
    var leadId = Number(row.getAttribute("data-lead-id"));
    button.disabled = true;
    api("POST", "pool/" + leadId + "/claim/").then(function (data) {
      poolRemove(leadId);
      upsert(data.assignment, false);
      toast("It is yours: " + ((data.assignment.lead && data.assignment.lead.name) || "the lead") + ".");
      refreshLeadsSoon();
    }, function (error) {
      button.disabled = false;
      if (error.code === "already_claimed") { poolRemove(leadId); }
      toast(error.message);
    });
  });

  // ---- My leads: GET /api/v1/my-leads/?q=&stage=&campaign=&page= ---------------------------------------------
  var leadsList = document.getElementById("my-leads");
  var leadRowTemplate = document.getElementById("lead-row-template");
  var leadsSummary = document.getElementById("leads-summary");
  var leadsPrev = document.getElementById("leads-prev");
  var leadsNext = document.getElementById("leads-next");
  var leadsPage = document.getElementById("leads-page");
  var leadsPager = document.getElementById("leads-pager");
  var searchForm = document.getElementById("lead-search");
  var leads = { page: 1, size: 0, seq: 0, timer: null };

  function leadQuery(page) {
    var parts = ["page=" + page];
    ["q", "stage", "campaign"].forEach(function (name) {
      var value = searchForm.elements[name].value.trim();
      if (value) { parts.push(name + "=" + encodeURIComponent(value)); }
    });
    return parts.join("&");
  }

  function nextActionText(lead) {
    if (lead.next_callback_at && lead.status !== "won" && lead.status !== "lost") {
      return Date.parse(lead.next_callback_at) <= sock.now() ? "Call back now" : "Call back " + R.when(lead.next_callback_at);
    }
    var text = lead.next_action || "";
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  function leadRow(lead) {
    var row = leadRowTemplate.content.firstElementChild.cloneNode(true);
    row.setAttribute("data-lead-id", String(lead.id));
    row.setAttribute("data-status", lead.status);
    row.querySelector("a").setAttribute("href", "/rep/leads/" + Number(lead.id) + "/");
    setText(row, "name", lead.name || "(no name)");
    var stage = field(row, "stage");
    stage.className = "badge badge-" + String(lead.status).replace(/[^a-z_]/g, "");
    stage.textContent = stageLabels[lead.status] || lead.status;
    setText(row, "campaign", lead.campaign_name || lead.campaign || "");
    var next = nextActionText(lead);
    setText(row, "next", next);
    field(row, "next").classList.toggle("urgent", next === "Call back now" || next === "First call");
    setText(row, "age", lead.received_at ? "received " + R.age(lead.received_at, sock.now()) + " ago" : "");
    return row;
  }

  function loadLeads(page) {
    clearTimeout(leads.timer);
    var seq = ++leads.seq;
    leadsSummary.textContent = "Loading…";
    api("GET", "my-leads/?" + leadQuery(page)).then(function (data) {
      if (seq !== leads.seq) { return; }   // a newer search answered first
      var results = data.results || [];
      if (!results.length && page > 1 && data.count) { loadLeads(1); return; }
      leads.page = page;
      if (data.next) { leads.size = Math.max(leads.size, results.length); }
      while (leadsList.firstChild) { leadsList.removeChild(leadsList.firstChild); }
      results.forEach(function (lead) {
        leadsList.appendChild(leadRow(lead));
        knowCampaign(lead.campaign, lead.campaign_name);
      });
      var size = leads.size || results.length || 1;
      var filtered = leadQuery(1) !== "page=1";
      if (!data.count) {
        leadsSummary.textContent = filtered ? "No leads match." : "You own no leads yet: accept an offer in the queue.";
      } else {
        var first = (page - 1) * size + 1;
        leadsSummary.textContent = first + "–" + (first + results.length - 1) + " of " + data.count +
          (data.count === 1 ? " lead" : " leads");
      }
      var pages = Math.max(1, Math.ceil((data.count || 0) / size));
      leadsPage.textContent = pages > 1 ? "Page " + page + " of " + pages : "";
      leadsPrev.disabled = !data.previous;
      leadsNext.disabled = !data.next;
      leadsPager.hidden = !data.previous && !data.next;
    }, function (error) {
      if (seq === leads.seq) { leadsSummary.textContent = "Could not load your leads: " + error.message; }
    });
  }

  // The campaign filter lists the campaigns of the leads the rep owned when the page loaded; a lead accepted
  // since may bring a new one.
  function knowCampaign(slug, name) {
    var select = searchForm.elements.campaign;
    if (!slug) { return; }
    for (var i = 0; i < select.options.length; i++) { if (select.options[i].value === slug) { return; } }
    var option = document.createElement("option");
    option.value = slug;
    option.textContent = name || slug;
    select.appendChild(option);
  }

  function refreshLeadsSoon() {
    if (state.tab !== "leads") { return; }
    clearTimeout(leads.timer);
    leads.timer = setTimeout(function () { loadLeads(leads.page); }, 400);
  }

  searchForm.addEventListener("submit", function (event) { event.preventDefault(); loadLeads(1); });
  searchForm.elements.q.addEventListener("input", function () {
    clearTimeout(leads.timer);
    leads.timer = setTimeout(function () { loadLeads(1); }, 300);
  });
  ["stage", "campaign"].forEach(function (name) {
    searchForm.elements[name].addEventListener("change", function () { loadLeads(1); });
  });
  leadsPrev.addEventListener("click", function () { if (leads.page > 1) { loadLeads(leads.page - 1); } });
  leadsNext.addEventListener("click", function () { loadLeads(leads.page + 1); });

  // ---- Due: callbacks due now or overdue (live by callback.due), and the upcoming ones -------------------------
  var dueList = document.getElementById("due-list");
  var upcomingList = document.getElementById("upcoming-list");
  var dueEmpty = document.getElementById("due-empty");
  var upcomingEmpty = document.getElementById("upcoming-empty");
  var dueCount = document.getElementById("due-count");
  var callbackTemplate = document.getElementById("callback-template");
  var callbacks = {};   // callback id -> {cb, el, due: bool}
  var dueSeq = 0;

  function results(data) { return Array.isArray(data) ? data : (data.results || []); }

  function putCallback(cb, isDue) {
    var item = callbacks[cb.id];
    if (!item) {
      item = callbacks[cb.id] = { cb: cb, el: callbackTemplate.content.firstElementChild.cloneNode(true) };
    } else if (item.cb.lead && cb.lead) {
      for (var key in item.cb.lead) { if (!(key in cb.lead)) { cb.lead[key] = item.cb.lead[key]; } }
    }
    item.cb = cb;
    item.due = isDue || Date.parse(cb.due_at) <= sock.now();
    drawCallback(item);
    var list = item.due ? dueList : upcomingList;
    var before = null;
    for (var node = list.firstElementChild; node; node = node.nextElementSibling) {
      var other = callbacks[node.getAttribute("data-callback-id")];
      if (node !== item.el && other && Date.parse(other.cb.due_at) > Date.parse(cb.due_at)) { before = node; break; }
    }
    if (before !== item.el) { list.insertBefore(item.el, before); }
    updateDueCount();
  }

  function drawCallback(item) {
    var cb = item.cb, lead = cb.lead || {}, el = item.el;
    el.setAttribute("data-callback-id", String(cb.id));
    el.setAttribute("data-lead-id", String(lead.id));
    el.classList.toggle("is-due", item.due);
    var name = field(el, "name");
    name.textContent = lead.name || "(no name)";
    name.setAttribute("href", "/rep/leads/" + Number(lead.id) + "/");
    setText(el, "when", (item.due ? "Due " : "") + R.when(cb.due_at) + " (" + R.relative(cb.due_at, sock.now()) + ")");
    setText(el, "note", cb.note || "");
    var tel = field(el, "tel"), href = R.telHref(lead.phone);
    tel.hidden = !href;
    if (href) { tel.setAttribute("href", href); tel.textContent = "Call " + lead.phone; }
  }

  function dropCallback(id) {
    var item = callbacks[id];
    if (!item) { return; }
    delete callbacks[id];
    if (item.el.parentNode) { item.el.parentNode.removeChild(item.el); }
    updateDueCount();
  }

  function updateDueCount() {
    var n = 0, upcoming = 0;
    for (var id in callbacks) {
      if (Object.prototype.hasOwnProperty.call(callbacks, id)) { if (callbacks[id].due) { n++; } else { upcoming++; } }
    }
    dueCount.textContent = String(n);
    dueCount.hidden = n === 0;
    dueEmpty.hidden = n > 0;
    upcomingEmpty.hidden = upcoming > 0;
  }

  function loadDue() {
    var seq = ++dueSeq;
    return Promise.all([api("GET", "callbacks/?status=due"), api("GET", "callbacks/?status=upcoming")])
      .then(function (answers) {
        if (seq !== dueSeq) { return; }
        var keep = {};
        results(answers[0]).forEach(function (cb) { keep[cb.id] = true; putCallback(cb, true); });
        results(answers[1]).forEach(function (cb) { keep[cb.id] = true; putCallback(cb, false); });
        for (var id in callbacks) {
          if (Object.prototype.hasOwnProperty.call(callbacks, id) && !keep[id]) { dropCallback(id); }
        }
      }, function (error) { if (state.tab === "due") { toast("Could not load your callbacks: " + error.message); } });
  }

  function callbackDue(cb) {
    putCallback(cb, true);
    var lead = cb.lead || {};
    if (!R.firstTime("callback-" + cb.id)) { return; }
    R.chime();
    R.notify("Call back " + (lead.name || "(no name)"), cb.note || "Due " + R.when(cb.due_at), "callback-" + cb.id,
             function () { location.href = "/rep/leads/" + Number(lead.id) + "/"; });
    if (state.tab !== "due") { toast("Callback due: " + (lead.name || "(no name)") + "."); }
  }

  function tickCallbacks() {
    for (var id in callbacks) {
      if (Object.prototype.hasOwnProperty.call(callbacks, id)) {
        var item = callbacks[id];
        if (!item.due && Date.parse(item.cb.due_at) <= sock.now()) { putCallback(item.cb, true); }
        else if (tickCallbacks.n % 15 === 0) { drawCallback(item); }
      }
    }
    tickCallbacks.n = (tickCallbacks.n || 0) + 1;
  }

  [dueList, upcomingList].forEach(function (list) {
    list.addEventListener("click", function (event) {
      var button = event.target.closest('button[data-action="done"]');
      if (!button) { return; }
      var id = button.closest(".callback-item").getAttribute("data-callback-id");
      button.disabled = true;
      api("POST", "callbacks/" + Number(id) + "/done/").then(function () {
        dropCallback(id);
        R.broadcast({ type: "callback.done", id: Number(id) });
        toast("Callback done.");
      }, function (error) { button.disabled = false; toast(error.message); });
    });
  });

  R.onBroadcast(function (message) {
    if (message.type === "callback.done") { dropCallback(message.id); }
    else if (message.type === "callback.scheduled" || message.type === "lead.changed") {
      loadDue();
      refreshLeadsSoon();
    }
  });

  // ---- Websocket (socket.js: reconnect with back-off, ping/pong, clock skew) ------------------------------
  var sock = LeadSocket.create({
    path: "/ws/notifications/",
    status: connEl,
    onopen: function () { state.syncing = {}; },
    onclose: function () { state.syncing = null; },
    on: {
      "assignment.offered": offerChanged,
      "assignment.updated": offerChanged,
      "assignment.assigned": assigned,
      "assignment.revoked": revoked,
      "callback.due": function (message) { if (message.callback) { callbackDue(message.callback); } },
      "pool.added": function (message) { if (message.lead) { poolAdd(message.lead); } },
      "pool.removed": function (message) { if (message.lead) { poolRemove(message.lead.id); } },
      "sync.done": syncDone,
    },
  });

  function offerChanged(message) {
    var a = message.assignment;
    if (state.syncing) { state.syncing[a.id] = true; }
    if (OPEN[a.status]) { upsert(a, message.type === "assignment.offered"); }
    else { removeCard(a.id); }
    if (message.type === "assignment.updated" && !state.syncing) { refreshLeadsSoon(); }
  }

  // A manager gave the rep this lead (CONTRACT 6.3): it is theirs already, with its contact details.
  function assigned(message) {
    var a = message.assignment;
    if (state.syncing) { state.syncing[a.id] = true; }
    var given = !state.cards[a.id];
    upsert(a, false);
    if (given && R.firstTime("assigned-" + a.id)) {
      R.chime();
      R.notify("A lead was given to you: " + ((a.lead && a.lead.name) || "(no name)"),
               (a.lead && (a.lead.campaign_name || a.lead.campaign)) || "", "assignment-" + a.id,
               function () { location.href = "/rep/leads/" + Number(a.lead.id) + "/"; });
      toast("A manager gave you " + ((a.lead && a.lead.name) || "a lead") + ".");
    }
    refreshLeadsSoon();
  }

  function revoked(message) {
    var a = message.assignment;
    if (!state.cards[a.id]) { return; }
    var name = (a.lead && a.lead.name) || "a lead";
    removeCard(a.id, a.status === "expired" ? "The offer of " + name + " expired." :
                                              "The offer of " + name + " was taken back.");
  }

  function syncDone(message) {
    sock.syncClock(message.now);
    if (message.rep) { showStatus(message.rep.status); }
    if (state.syncing) {
      // Anything shown but not resent is no longer open (answered elsewhere, or expired while away).
      for (var id in state.cards) {
        if (Object.prototype.hasOwnProperty.call(state.cards, id) && !state.syncing[id]) { removeCard(id); }
      }
    }
    state.syncing = null;
  }

  // ---- Start ---------------------------------------------------------------------------------------------
  sock.syncClock(initial.now);
  showStatus(initial.rep.status);
  initial.assignments.forEach(function (a) { upsert(a, false); });
  setInterval(function () { tickAll(); tickCallbacks(); tickPool(); }, 1000);
  updateEmpty();
  showTab(location.hash.replace("#", "") || "queue");
  if (state.tab !== "due") { loadDue(); }
  if (state.tab !== "pool") { loadPool(); }

  R.setupAlerts(alertsBtn);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState !== "visible") { return; }
    for (var id in state.cards) {
      if (Object.prototype.hasOwnProperty.call(state.cards, id)) { markSeen(state.cards[id]); }
    }
    // Back on the page: callbacks may have been closed and leads moved in another tab or on another device.
    loadDue();
    refreshLeadsSoon();
  });
  sock.connect();
})();
