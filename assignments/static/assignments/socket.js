// The websocket shared by /rep/ and /live/: connect, reconnect with back-off, ping/pong, server clock skew.
// var sock = LeadSocket.create({path: "/ws/notifications/", status: el, onopen: f, on: {type: f}, onmessage: f,
//                               onclose: f});  // on: a handler per message type; onmessage sees every message
// sock.connect(); sock.send({type: "snapshot"}); sock.syncClock(message.now); sock.now()
(function () {
  "use strict";

  var PING_MS = 25000, PONG_MS = 10000, MAX_DELAY_MS = 30000;

  function create(options) {
    var socket = null, attempt = 0, retryTimer = null, pingTimer = null, pongTimer = null, skewMs = 0;
    var statusEl = options.status;

    function call(name, arg) { if (options[name]) { options[name](arg); } }

    function dispatch(message) {
      var on = options.on || {};
      if (Object.prototype.hasOwnProperty.call(on, message.type)) { on[message.type](message); }
      call("onmessage", message);
    }

    function setConn(kind, text) {
      if (!statusEl) { return; }
      statusEl.className = "conn conn-" + kind;
      statusEl.textContent = text;
    }

    function isOpen() { return !!socket && socket.readyState === 1; }

    function connect() {
      clearTimeout(retryTimer);
      if (socket && socket.readyState <= 1) { return; }
      setConn("connecting", "Connecting…");
      socket = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + options.path);
      socket.onopen = function () {
        attempt = 0;
        call("onopen");
        setConn("live", "Live");
        clearInterval(pingTimer);
        pingTimer = setInterval(ping, PING_MS);
      };
      socket.onmessage = function (event) {
        clearTimeout(pongTimer);
        var message;
        try { message = JSON.parse(event.data); } catch (e) { return; }
        dispatch(message);
      };
      socket.onclose = function () {
        clearInterval(pingTimer);
        clearTimeout(pongTimer);
        call("onclose");
        var delay = Math.min(MAX_DELAY_MS, 500 * Math.pow(2, attempt)) * (0.75 + Math.random() / 2);
        attempt += 1;
        setConn("down", "Reconnecting in " + Math.ceil(delay / 1000) + " s…");
        retryTimer = setTimeout(connect, delay);
      };
    }

    function ping() {
      if (!isOpen()) { return; }
      socket.send(JSON.stringify({ type: "ping" }));
      clearTimeout(pongTimer);
      // A socket that stays silent after a ping is half-open: drop it and reconnect.
      pongTimer = setTimeout(function () { socket.close(); }, PONG_MS);
    }

    function revive() {
      // Back in view or back online: a closed socket reconnects now rather than after its back-off.
      if (!socket || socket.readyState > 1) { attempt = 0; connect(); }
    }

    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") { revive(); }
    });
    window.addEventListener("online", revive);

    return {
      connect: connect,
      revive: revive,
      isOpen: isOpen,
      send: function (message) {
        if (!isOpen()) { return false; }
        socket.send(JSON.stringify(message));
        return true;
      },
      // Server clock minus browser clock, from an ISO time the server just sent.
      syncClock: function (iso) { if (iso) { skewMs = Date.parse(iso) - Date.now(); } },
      now: function () { return Date.now() + skewMs; },
    };
  }

  window.LeadSocket = { create: create };
})();
