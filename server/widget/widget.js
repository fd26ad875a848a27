/*
 * 위탁콜 상담 위젯 — the drivers' web chat, talking to Rasa over socket.io
 * (server/widget_channel.py; the socket.io client is vendored in vendor/, see README.md).
 *
 * Driver token (CONTRACT §4): from the page URL (#token=… preferred, ?token=… accepted), from
 * window.DRIVER_TOKEN, from window.DriverWidget.setToken(token), or from the embedding app via
 * postMessage({type: "driver_token", token}) from the parent window. It is kept for this tab only
 * (sessionStorage), removed from the address bar, and sent with every message:
 *   socket.emit("user_uttered", {message, session_id, customData: {driver_token}})
 *
 * The conversation (session id and the rendered messages) is kept in localStorage per driver,
 * so a reload continues it; another driver's token on the same device opens that driver's own.
 * What is stored holds no personal data: a message the server marks `custom.sensitive` (the
 * suspension reason) and an agent's answer are shown but stored as a placeholder, and the
 * driver's phone numbers are masked. The
 * server binds a session to the driver of the token that opened it: a stored session id is no
 * key for anyone else (the server answers `session_expired` and the widget starts a new one).
 * All text is rendered with textContent.
 */
(function () {
  "use strict";

  var STORAGE_PREFIX = "wtc-widget:v2:";
  // v1 stored whole conversations, disclosures included: remove them from the device
  try {
    Object.keys(window.localStorage).forEach(function (key) {
      if (key.indexOf("wtc-widget:v1:") === 0) window.localStorage.removeItem(key);
    });
  } catch (e) { /* storage unavailable */ }
  var TOKEN_KEY = "wtc-widget:token";
  var MAX_STORED = 200;
  var TURN_TIMEOUT_MS = 60000;
  var HANDOFF_NOTE = "상담원이 곧 연결됩니다";
  var NOT_STORED_NOTE = "(개인정보 보호를 위해 이 기기에는 저장하지 않은 안내입니다. 다시 확인하시려면 문의해 주세요.)";

  var chat = document.getElementById("chat");
  var log = document.getElementById("log");
  var messages = document.getElementById("messages");
  var intro = document.getElementById("intro");
  var typing = document.getElementById("typing");
  var notice = document.getElementById("notice");
  var statusText = document.getElementById("status-text");
  var form = document.getElementById("form");
  var input = document.getElementById("input");
  var humanButton = document.getElementById("human");
  var newChatButton = document.getElementById("new-chat");
  var announcer = document.getElementById("announcer");
  var ANNOUNCED_KEPT = 3;
  var SPEAKER = { bot: "상담 도우미", agent: "상담원" };

  var pathMeta = document.querySelector('meta[name="socketio-path"]');
  var socketioPath = (pathMeta && pathMeta.content && pathMeta.content.indexOf("{{") < 0) ? pathMeta.content : "/socket.io";

  // ── storage helpers (private mode or full storage must not break the chat) ──
  function storageGet(store, key) {
    try { return store.getItem(key); } catch (e) { return null; }
  }
  function storageSet(store, key, value) {
    try { store.setItem(key, value); } catch (e) { /* not kept: the chat still works */ }
  }
  function storageRemove(store, key) {
    try { store.removeItem(key); } catch (e) { /* ignore */ }
  }

  // ── driver token ─────────────────────────────────────────────────────────
  var explicitToken = null;

  function tokenFromUrl() {
    var hash = new URLSearchParams(window.location.hash.replace(/^#/, ""));
    var query = new URLSearchParams(window.location.search);
    var token = hash.get("token") || query.get("token");
    if (hash.has("token") || query.has("token")) {
      hash.delete("token");
      query.delete("token");
      var search = query.toString();
      var fragment = hash.toString();
      try {
        window.history.replaceState(null, "", window.location.pathname + (search ? "?" + search : "") + (fragment ? "#" + fragment : ""));
      } catch (e) { /* ignore */ }
    }
    return token;
  }

  function currentToken() {
    var token = explicitToken || (typeof window.DRIVER_TOKEN === "string" ? window.DRIVER_TOKEN : null);
    return token && token.length ? token : null;
  }

  function tokenSubject(token) {
    // Only to keep each driver's conversation apart on this device; the server verifies the token.
    try {
      var part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      while (part.length % 4) part += "=";
      var claims = JSON.parse(decodeURIComponent(Array.prototype.map.call(atob(part), function (c) {
        return "%" + ("00" + c.charCodeAt(0).toString(16)).slice(-2);
      }).join("")));
      return typeof claims.sub === "string" && claims.sub ? claims.sub : "token";
    } catch (e) {
      return "token";
    }
  }

  function ownerOf(token) {
    return token ? "driver:" + tokenSubject(token) : "anonymous";
  }

  // ── conversation state ───────────────────────────────────────────────────
  var state = null; // {owner, session_id, messages: [{role, text, quick_replies?, ts}]}

  function loadState(owner) {
    var raw = storageGet(window.localStorage, STORAGE_PREFIX + owner);
    var loaded = null;
    try { loaded = raw ? JSON.parse(raw) : null; } catch (e) { loaded = null; }
    if (!loaded || !Array.isArray(loaded.messages)) loaded = { session_id: null, messages: [] };
    loaded.owner = owner;
    return loaded;
  }

  var PHONE = /(01[016789])[\s.\-]*\d{3,4}[\s.\-]*(\d{4})/g;

  function storable(message) {
    // what may rest on the device: no disclosure, no full phone number
    // a disclosure, and an agent's answer (it may quote a suspension reason or a number)
    if (message.sensitive || message.role === "agent") return { role: message.role, text: NOT_STORED_NOTE, ts: message.ts };
    var copy = {};
    Object.keys(message).forEach(function (key) { copy[key] = message[key]; });
    // the driver's own phone number, as they typed it
    if (copy.role === "user" && typeof copy.text === "string") copy.text = copy.text.replace(PHONE, "$1-****-$2");
    return copy;
  }

  function saveState() {
    if (!state) return;
    var kept = state.messages.slice(-MAX_STORED);
    state.messages = kept;
    storageSet(window.localStorage, STORAGE_PREFIX + state.owner, JSON.stringify({
      session_id: state.session_id, messages: kept.map(storable),
    }));
  }

  // ── rendering ────────────────────────────────────────────────────────────
  function timeLabel(ts) {
    try {
      return new Date(ts).toLocaleTimeString("ko-KR", { hour: "numeric", minute: "2-digit" });
    } catch (e) {
      return "";
    }
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function renderMessage(message) {
    var item = el("li", "row " + message.role);
    if (message.role === "system") {
      item.appendChild(el("p", "system-note", message.text));
      return item;
    }
    var column = el("div", "column");
    if (message.role === "agent") column.appendChild(el("span", "sender", "상담원"));
    if (message.text) column.appendChild(el("p", "bubble", message.text));
    if (message.ts) column.appendChild(el("time", "time", timeLabel(message.ts)));
    item.appendChild(column);
    return item;
  }

  function minuteOf(ts) {
    return ts ? Math.floor(ts / 60000) : 0;
  }

  // Messages in a row from the same side within a minute form a group: the time shows once, at its end.
  function appendRendered(message) {
    var item = renderMessage(message);
    item.setAttribute("data-group", message.role + ":" + minuteOf(message.ts));
    var previous = log.lastElementChild;
    if (message.role !== "system" && previous && previous.getAttribute("data-group") === item.getAttribute("data-group")) {
      previous.classList.add("grouped");
      item.classList.add("follows");
    }
    log.appendChild(item);
  }

  function renderQuickReplies(replies) {
    var box = el("div", "quick-replies");
    replies.forEach(function (reply) {
      var button = el("button", "quick-reply", reply.title || reply.payload);
      button.type = "button";
      button.addEventListener("click", function (event) {
        send(reply.payload, reply.title || reply.payload);
        keepFocus(event);
      });
      box.appendChild(button);
    });
    return box;
  }

  // A quick reply goes with the question it answered, and the focus would go with it: a keyboard
  // user (a click with no pointer: detail 0) is put back in the message box. A tap is left alone,
  // so a phone does not open its keyboard unasked.
  function keepFocus(event) {
    if (event && event.detail === 0) input.focus();
  }

  function clearQuickReplies() {
    var old = document.getElementById("quick-replies");
    if (old) old.remove();
  }

  function showQuickRepliesOfLast() {
    clearQuickReplies();
    var last = state.messages[state.messages.length - 1];
    if (last && last.role === "bot" && last.quick_replies && last.quick_replies.length) {
      var item = el("li", "row bot replies-row");
      item.appendChild(renderQuickReplies(last.quick_replies));
      item.id = "quick-replies";
      log.appendChild(item);
    }
  }

  function renderAll() {
    log.textContent = "";
    state.messages.forEach(appendRendered);
    showQuickRepliesOfLast();
    intro.hidden = state.messages.length > 0;
    scrollToEnd();
  }

  function addMessage(message) {
    message.ts = message.ts || Date.now();
    state.messages.push(message);
    saveState();
    clearQuickReplies();
    appendRendered(message);
    showQuickRepliesOfLast();
    intro.hidden = true;
    scrollToEnd();
  }

  // A reply is read out once, as it arrives (a reload's re-rendered log is not): the newest few
  // are kept so that a reader who missed one can find it, older ones go.
  function announce(role, text) {
    if (!announcer || !text) return;
    announcer.appendChild(el("p", null, SPEAKER[role] + ": " + text));
    while (announcer.childNodes.length > ANNOUNCED_KEPT) announcer.removeChild(announcer.firstChild);
  }

  function scrollToEnd() {
    window.requestAnimationFrame(function () { messages.scrollTop = messages.scrollHeight; });
  }

  // ── busy (typing indicator) ──────────────────────────────────────────────
  var busyTimer = null;

  function setBusy(busy) {
    chat.setAttribute("data-busy", busy ? "true" : "false");
    typing.hidden = !busy;
    if (busyTimer) { clearTimeout(busyTimer); busyTimer = null; }
    if (busy) {
      busyTimer = setTimeout(function () {
        setBusy(false);
        showNotice("답변이 늦어지고 있어요. 잠시 후 다시 보내 주시거나 '상담원 연결'을 눌러 주세요.", "warn", 8000);
      }, TURN_TIMEOUT_MS);
    }
    scrollToEnd();
  }

  // ── notices ──────────────────────────────────────────────────────────────
  var noticeTimer = null;

  function showNotice(text, kind, hideAfterMs) {
    notice.textContent = text;
    notice.className = "notice " + (kind || "");
    notice.hidden = false;
    if (noticeTimer) { clearTimeout(noticeTimer); noticeTimer = null; }
    if (hideAfterMs) noticeTimer = setTimeout(function () { notice.hidden = true; }, hideAfterMs);
  }

  function setConnection(connection, label) {
    chat.setAttribute("data-connection", connection);
    statusText.textContent = label;
  }

  // ── socket.io ────────────────────────────────────────────────────────────
  if (typeof window.io !== "function") {
    setConnection("offline", "연결 안 됨");
    showNotice("채팅을 불러오지 못했어요. 페이지를 새로고침해 주세요.", "error");
    return;
  }

  var socket = window.io({ path: socketioPath, reconnectionDelayMax: 10000 });
  var confirmed = false;  // the server confirmed the session of the current owner
  var pending = [];       // messages waiting for a session id
  var everConnected = false;

  function requestSession() {
    confirmed = false;
    var token = currentToken();
    socket.emit("session_request", {
      session_id: state.session_id,
      customData: token ? { driver_token: token } : {},
    });
  }

  function emitMessage(text) {
    var token = currentToken();
    socket.emit("user_uttered", {
      message: text,
      session_id: state.session_id,
      customData: token ? { driver_token: token } : {},
    });
  }

  socket.on("connect", function () {
    setConnection("online", "상담 도우미 · 연결됨");
    if (everConnected) showNotice("다시 연결되었어요.", "ok", 2500);
    else notice.hidden = true;
    everConnected = true;
    requestSession();
  });

  socket.on("session_confirm", function (sessionId) {
    if (typeof sessionId !== "string" || !sessionId) return;
    if (state.session_id !== sessionId) {
      state.session_id = sessionId;
      saveState();
    }
    confirmed = true;
    var queued = pending;
    pending = [];
    queued.forEach(emitMessage);
  });

  socket.on("disconnect", function (reason) {
    confirmed = false;
    setConnection("offline", "연결 끊김");
    showNotice("연결이 끊겼어요. 다시 연결하는 중이에요… 보내신 메시지는 연결되면 전달돼요.", "warn");
    if (reason === "io server disconnect") socket.connect();
  });

  socket.io.on("reconnect_attempt", function () {
    setConnection("connecting", "다시 연결하는 중…");
  });

  socket.on("connect_error", function () {
    setConnection("offline", "연결 안 됨");
    showNotice("서버에 연결하지 못했어요. 다시 연결하는 중이에요…", "warn");
  });

  socket.on("bot_uttered", function (message) {
    if (!message || typeof message !== "object") return;
    var role = message.from === "agent" ? "agent" : "bot";
    var replies = normaliseReplies(message.quick_replies || message.buttons);
    var text = typeof message.text === "string" ? message.text : "";
    if (text || replies.length) {
      addMessage({
        role: role, text: text, quick_replies: replies.length ? replies : undefined,
        sensitive: Boolean(message.custom && message.custom.sensitive) || undefined,
      });
      announce(role, text);
    }
    if (message.custom && message.custom.handoff) {
      addMessage({ role: "system", text: HANDOFF_NOTE });
    }
    if (role === "bot" && chat.getAttribute("data-busy") === "true") scrollToEnd();
  });

  socket.on("bot_turn_end", function () { setBusy(false); });

  socket.on("session_expired", function () {
    // the stored session is not this driver's (another token on this device): start afresh
    state.session_id = null;
    saveState();
    setBusy(false);
    requestSession();
  });

  function normaliseReplies(replies) {
    if (!Array.isArray(replies)) return [];
    return replies.filter(function (reply) {
      return reply && typeof reply.payload === "string" && reply.payload;
    }).map(function (reply) {
      return { title: typeof reply.title === "string" ? reply.title : reply.payload, payload: reply.payload };
    });
  }

  // ── sending ──────────────────────────────────────────────────────────────
  function send(text, shownText) {
    text = (text || "").trim();
    if (!text) return;
    switchOwnerIfNeeded();
    addMessage({ role: "user", text: shownText || text });
    setBusy(true);
    if (confirmed && state.session_id) emitMessage(text);
    else pending.push(text);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value;
    if (!text.trim()) return;
    input.value = "";
    autosize();
    send(text);
    input.focus();
  });

  input.addEventListener("keydown", function (event) {
    // Korean IME: Enter while composing finishes the syllable, it must not send
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit", { cancelable: true }));
    }
  });

  function autosize() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight, 120) + "px";
  }
  input.addEventListener("input", autosize);

  humanButton.addEventListener("click", function () {
    send("/request_human", "상담원 연결");
  });

  Array.prototype.forEach.call(intro.querySelectorAll(".quick-reply"), function (button) {
    button.addEventListener("click", function (event) {
      send(button.getAttribute("data-payload"), button.textContent);
      keepFocus(event);
    });
  });

  newChatButton.addEventListener("click", function () { reset(); input.focus(); });

  // ── owners (one conversation per driver on this device) ─────────────────
  function activate(owner) {
    state = loadState(owner);
    pending = [];
    setBusy(false);
    renderAll();
    if (socket.connected) requestSession();
  }

  function switchOwnerIfNeeded() {
    var owner = ownerOf(currentToken());
    if (!state || state.owner !== owner) activate(owner);
  }

  function setToken(token) {
    explicitToken = typeof token === "string" && token ? token : null;
    if (explicitToken) storageSet(window.sessionStorage, TOKEN_KEY, explicitToken);
    else storageRemove(window.sessionStorage, TOKEN_KEY);
    switchOwnerIfNeeded();
  }

  function reset() {
    storageRemove(window.localStorage, STORAGE_PREFIX + state.owner);
    activate(state.owner);
  }

  window.addEventListener("message", function (event) {
    if (event.source !== window.parent || window.parent === window) return;
    var data = event.data;
    if (data && data.type === "driver_token" && typeof data.token === "string") setToken(data.token);
  });

  window.addEventListener("hashchange", function () {
    var token = tokenFromUrl();
    if (token) setToken(token);
  });

  // ── start ────────────────────────────────────────────────────────────────
  if (window.parent !== window) document.body.classList.add("embedded");
  var fromUrl = tokenFromUrl();
  if (fromUrl) storageSet(window.sessionStorage, TOKEN_KEY, fromUrl);
  explicitToken = fromUrl || storageGet(window.sessionStorage, TOKEN_KEY);
  activate(ownerOf(currentToken()));

  window.DriverWidget = { setToken: setToken, reset: reset, socket: socket };
})();
