/* 위탁콜 상담 도우미 — 티켓 사이드바 (Zendesk Apps Framework v2).
 *
 * In Zendesk (the default): the page runs in ZAF's iframe. It reads the ticket's latest message
 * from the requester (ticket.comments, or ticket.conversation for messaging/chat tickets), asks
 * the assistant for a suggestion through ZAF's proxy (client.request with secure: true: the agent
 * token is the secure setting `agent_token`, which Zendesk puts into the header on its server, so
 * it never reaches this page), and inserts a script line into the reply with
 * client.invoke('ticket.editor.insert', text).
 *
 * In another tool's sidebar (`?mode=postmessage&assistant=<https://assistant>`, optionally
 * `&parent_origin=<https://tool>`): the parent frame posts
 *   {type: "conversation", messages: [{from: "driver"|"agent"|"bot", text}, ...], token, conversation_id?}
 * and this page calls the API itself with fetch (the assistant must allow the tool's origin: CORS)
 * and posts {type: "insert", text} back instead of inserting; also {type: "ready"} once loaded and
 * {type: "resize", height} when its height changes. See docs/zendesk.md.
 *
 * No framework. Every piece of data is inserted with textContent (never innerHTML), so a driver's
 * message or a script line cannot inject markup; comment HTML is parsed in an inert document.
 * The DOM helpers, the Korean errors and the fetch with a timeout are the agent console's
 * (server/console/common.js, AssistCommon): build.py bundles a copy as assets/common.js.
 */
(function (common) {
  "use strict";

  var API_PATH = "/webhooks/assist/";
  var TIMEOUT_MS = common.TIMEOUT_MS;
  var MAX_TEXT = 2000; // the API's limit (413 above it)
  var EVENT_DELAY_MS = 250; // ticket.comments.changed and ticket.conversation.changed often come together
  var DRIVER_ROLES = ["driver", "customer", "contact", "end-user", "end_user", "enduser", "requester", "user", "incoming"];

  function $(id) { return document.getElementById(id); }

  var el = {
    app: $("app"), refresh: $("refresh"), asked: $("asked"), driverMessage: $("driver-message"),
    askedNote: $("asked-note"), status: $("status"), error: $("error"), empty: $("empty"),
    emptyTitle: $("empty-title"), emptyDetail: $("empty-detail"), card: $("card"),
    intentSummary: $("intent-summary"), intentName: $("intent-name"), confidence: $("confidence"),
    lowConfidence: $("low-confidence"), nextStep: $("next-step"), callType: $("call-type"),
    path: $("consultation-path"), orderBlock: $("order-block"), order: $("response-order"),
    script: $("script"), scriptEmpty: $("script-empty"), insertState: $("insert-state"),
    referencesBlock: $("references-block"), references: $("references"), suggestionId: $("suggestion-id")
  };

  var state = {
    host: null, seq: 0, card: null, messageKey: null, used: {}, busy: false,
    eventTimer: null, lastHeight: 0
  };

  /* ---------- small helpers (text only; common.js) ---------- */

  var make = common.make, clear = common.clear, percent = common.percent;
  var ApiError = common.ApiError, serverMessageOf = common.serverMessageOf, bodyOf = common.readBody;

  function parseQuery(search) {
    var result = {};
    (search || "").replace(/^\?/, "").split("&").forEach(function (pair) {
      if (!pair) return;
      var at = pair.indexOf("=");
      var key = at < 0 ? pair : pair.slice(0, at);
      var value = at < 0 ? "" : pair.slice(at + 1);
      try {
        result[decodeURIComponent(key.replace(/\+/g, " "))] = decodeURIComponent(value.replace(/\+/g, " "));
      } catch (e) { /* a malformed pair is ignored */ }
    });
    return result;
  }

  function baseUrl(value) {
    var url = String(value || "").trim().replace(/\/+$/, "");
    if (!/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/i.test(url)) return "";
    return url.replace(/\/webhooks\/assist$/, "");
  }

  function originOf(url) {
    var match = /^(https?:\/\/[^/?#]+)/i.exec(url || "");
    return match ? match[1] : "";
  }

  /* ---------- errors: this app's words for the API's refusals (the rest: common.js) ---------- */

  var AGAIN = "다시 추천을 눌러 주세요.";
  // one name for the action, as in the agent console (server/console/console.js)
  var INSERT = "답변란에 넣기";
  var UNREACHABLE = "어시스턴트 서버에 연결할 수 없습니다. 어시스턴트 주소와 서버 상태를 확인해 주세요.";

  function words(tokenHint) {
    return {
      400: { detail: "요청 내용을 확인해 주세요." },
      401: { hint: tokenHint },
      404: { title: "주소 확인", fixed: "어시스턴트 주소에서 추천 API를 찾을 수 없습니다. 어시스턴트 주소(assistant_url)를 확인해 주세요." },
      429: { detail: "요청이 너무 많습니다. 잠시 후 다시 추천을 눌러 주세요." }
    };
  }

  function explain(status, serverMessage, tokenHint) { return common.explain(status, serverMessage, words(tokenHint)); }

  function connectionError() { return common.connectionError(UNREACHABLE); }

  function withTimeout(promise) { return common.withTimeout(promise, AGAIN); }

  /* ---------- the driver's latest message ---------- */

  function htmlToText(html) {
    var source = String(html || "");
    if (!/[<&]/.test(source)) return source.trim();
    // an inert document: no script runs, no image loads
    var doc = new DOMParser().parseFromString("<body>" + source + "</body>", "text/html");
    var lines = [];
    var current = "";
    function walk(node) {
      if (node.nodeType === 3) { current += node.nodeValue; return; }
      if (node.nodeType !== 1) return;
      var tag = node.nodeName.toLowerCase();
      if (tag === "script" || tag === "style" || tag === "template") return;
      if (tag === "br") { lines.push(current); current = ""; return; }
      var block = /^(p|div|li|tr|h[1-6]|blockquote|pre|ul|ol|table)$/.test(tag);
      if (block && current) { lines.push(current); current = ""; }
      for (var child = node.firstChild; child; child = child.nextSibling) walk(child);
      if (block && current) { lines.push(current); current = ""; }
    }
    walk(doc.body);
    if (current) lines.push(current);
    return lines.map(function (line) { return line.replace(/[ \t\u00a0]+/g, " ").trim(); })
      .filter(function (line) { return line; }).join("\n");
  }

  function timeOf(value) {
    if (value === undefined || value === null || value === "") return NaN;
    if (typeof value === "number") return value < 1e12 ? value * 1000 : value;
    return Date.parse(String(value));
  }

  // the newest of items: by time when both have one, else by (growing) id, else by position
  function newest(items) {
    var best = null;
    items.forEach(function (item) {
      if (!best) { best = item; return; }
      var newer;
      if (!isNaN(item.time) && !isNaN(best.time)) newer = item.time >= best.time;
      else if (!isNaN(item.id) && !isNaN(best.id)) newer = item.id >= best.id;
      else newer = item.index >= best.index;
      if (newer) best = item;
    });
    return best;
  }

  function sameId(a, b) {
    return a !== undefined && a !== null && b !== undefined && b !== null && String(a) === String(b);
  }

  function fromComments(comments, requesterId) {
    if (!Array.isArray(comments)) return null;
    var items = [];
    comments.forEach(function (comment, index) {
      if (!comment || typeof comment !== "object") return;
      var author = comment.author || {};
      var byRequester = requesterId !== undefined && requesterId !== null
        ? sameId(author.id, requesterId)
        : String(author.role || "").toLowerCase() === "end-user";
      if (!byRequester) return;
      var text = htmlToText(comment.value !== undefined ? comment.value : (comment.html_body || comment.body || comment.plain_body));
      if (!text) return;
      items.push({
        text: text, index: index, id: Number(comment.id),
        time: timeOf(comment.created_at || comment.createdAt || comment.timestamp),
        key: "comment:" + (comment.id !== undefined ? comment.id : index)
      });
    });
    return newest(items);
  }

  function fromConversation(messages, requesterId) {
    if (!Array.isArray(messages)) return null;
    var items = [];
    messages.forEach(function (entry, index) {
      if (!entry || typeof entry !== "object") return;
      var author = entry.author || {};
      var role = String(author.role || "").toLowerCase();
      if (!(sameId(author.id, requesterId) || role === "end-user" || role === "end_user")) return;
      var message = entry.message || {};
      var content = typeof message === "string" ? message : message.content;
      var html = /html/i.test(String(message.contentType || ""));
      var text = html ? htmlToText(content) : String(content || "").trim();
      if (!text) return;
      items.push({
        text: text, index: index, id: NaN, time: timeOf(entry.timestamp || entry.created_at),
        key: "message:" + (entry.timestamp || index)
      });
    });
    return newest(items);
  }

  /* ---------- hosts: Zendesk (ZAF) or a parent frame (postMessage) ---------- */

  function zafHost(client) {
    var tokenHint = "상담사 토큰을 확인해 주세요. 토큰은 Zendesk 관리자가 앱 설정(상담사 토큰)에서 바꿀 수 있습니다.";
    var settings = null;

    function assistant() {
      if (settings) return Promise.resolve(settings);
      return client.metadata().then(function (metadata) {
        settings = (metadata && metadata.settings) || {};
        return settings;
      });
    }

    function failure(response) {
      if (response instanceof ApiError) return response;
      var status = response && typeof response.status === "number" ? response.status : 0;
      if (!status) return connectionError();
      return explain(status, serverMessageOf(response.responseJSON) || serverMessageOf(response.responseText), tokenHint);
    }

    return {
      name: "zaf",
      call: function (path, body) {
        return assistant().then(function (values) {
          var base = baseUrl(values.assistant_url);
          if (!base) {
            throw new ApiError(0, "설정 확인", "앱 설정의 어시스턴트 주소(assistant_url)가 비어 있거나 올바르지 않습니다. Zendesk 관리자에게 문의해 주세요.");
          }
          return withTimeout(client.request({
            url: base + API_PATH + path,
            type: "POST",
            contentType: "application/json",
            dataType: "json",
            data: JSON.stringify(body),
            // a placeholder: Zendesk's proxy puts the secure setting in, on its server
            headers: { Authorization: "Bearer {{setting.agent_token}}", Accept: "application/json" },
            secure: true,
            cors: false,
            timeout: TIMEOUT_MS
          })).then(function (data) { return bodyOf(data, 200); }, function (response) { throw failure(response); });
        });
      },
      latest: function () {
        return client.get(["ticket.id", "ticket.requester.id", "ticket.comments", "ticket.conversation"]).then(function (data) {
          var requesterId = data["ticket.requester.id"];
          var comment = fromComments(data["ticket.comments"], requesterId);
          var message = fromConversation(data["ticket.conversation"], requesterId);
          var found = comment && message
            ? (!isNaN(comment.time) && !isNaN(message.time) ? (message.time >= comment.time ? message : comment) : message)
            : comment || message;
          if (!found) return null;
          return { text: found.text, key: String(data["ticket.id"]) + ":" + found.key + ":" + found.text };
        });
      },
      insert: function (text) { return client.invoke("ticket.editor.insert", text); },
      resize: function (height) { client.invoke("resize", { width: "100%", height: height + "px" }); },
      onChange: function (handler) {
        client.on("ticket.comments.changed", handler);
        client.on("ticket.conversation.changed", handler);
      }
    };
  }

  function postMessageHost(assistantParam, parentOrigin) {
    var base = baseUrl(assistantParam);
    var tokenHint = "상담사 토큰을 확인해 주세요. 상위 화면이 보낸 토큰이 유효하지 않습니다.";
    var conversation = null;
    var replyOrigin = parentOrigin || "";
    var handlers = [];
    var inFrame = window.parent && window.parent !== window;

    function post(message, targetOrigin) {
      if (inFrame) window.parent.postMessage(message, targetOrigin);
    }

    function isDriver(entry) {
      if (entry["private"] === true) return false;
      var who = entry.from || entry.sender_type || entry.role || entry.author;
      if (typeof who === "string" && who) return DRIVER_ROLES.indexOf(who.toLowerCase()) >= 0;
      // a Chatwoot message: message_type 0 is incoming (from the contact)
      return entry.message_type === 0 || entry.message_type === "incoming";
    }

    window.addEventListener("message", function (event) {
      if (!inFrame || event.source !== window.parent) return;
      if (parentOrigin && event.origin !== parentOrigin) return;
      var data = event.data;
      if (typeof data === "string") {
        try { data = JSON.parse(data); } catch (e) { return; }
      }
      if (!data || typeof data !== "object" || data.type !== "conversation") return;
      replyOrigin = event.origin;
      conversation = {
        messages: Array.isArray(data.messages) ? data.messages : [],
        token: typeof data.token === "string" ? data.token.trim().replace(/^Bearer\s+/i, "") : "",
        conversationId: typeof data.conversation_id === "string" || typeof data.conversation_id === "number"
          ? String(data.conversation_id).slice(0, 128) : ""
      };
      handlers.forEach(function (handler) { handler(); });
    });

    return {
      name: "postmessage",
      start: function () {
        if (!base) {
          return new ApiError(0, "주소 확인", "어시스턴트 주소(assistant 매개변수)가 없거나 올바르지 않습니다. 예) iframe.html?mode=postmessage&assistant=https://assistant.example.com");
        }
        if (!inFrame) {
          return new ApiError(0, "연결 대기", "이 화면은 상담 도구의 사이드바(iframe) 안에서 열어야 합니다.");
        }
        post({ type: "ready" }, parentOrigin || "*");
        return null;
      },
      waiting: function () { return conversation === null; },
      call: function (path, body) {
        if (!conversation || !conversation.token) {
          return Promise.reject(new ApiError(401, "토큰 확인", "상위 화면이 상담사 토큰(token)을 보내지 않았습니다. " + tokenHint));
        }
        return common.fetchJson(base + API_PATH + path, {
          method: "POST", token: conversation.token, body: body, mode: "cors", credentials: "omit",
          words: words(tokenHint), again: AGAIN, connection: UNREACHABLE
        });
      },
      latest: function () {
        if (!conversation) return Promise.resolve(null);
        var items = [];
        conversation.messages.forEach(function (entry, index) {
          if (!entry || typeof entry !== "object" || !isDriver(entry)) return;
          var text = typeof entry.text === "string" ? entry.text : typeof entry.content === "string" ? entry.content : "";
          text = text.trim();
          if (text) items.push({ text: text, index: index, id: NaN, time: NaN, key: "message:" + (entry.id !== undefined ? entry.id : index) });
        });
        var found = newest(items);
        if (!found) return Promise.resolve(null);
        return Promise.resolve({
          text: found.text,
          conversationId: conversation.conversationId,
          key: conversation.conversationId + ":" + found.key + ":" + found.text
        });
      },
      insert: function (text) {
        if (!replyOrigin) return Promise.reject(new Error("no parent"));
        post({ type: "insert", text: text }, replyOrigin);
        return Promise.resolve();
      },
      resize: function (height) { post({ type: "resize", height: height }, replyOrigin || parentOrigin || "*"); },
      onChange: function (handler) { handlers.push(handler); }
    };
  }

  /* ---------- showing things ---------- */

  function setStatus(text) { el.status.textContent = text || ""; el.status.hidden = !text; }

  function showError(error) { common.showError(el.error, error); }

  function showEmpty(title, detail) {
    el.emptyTitle.textContent = title;
    el.emptyDetail.textContent = detail;
    el.empty.hidden = false;
    el.card.hidden = true;
    el.asked.hidden = true;
    state.card = null;
  }

  function showAsked(message, truncated) {
    el.driverMessage.textContent = message.text;
    el.askedNote.textContent = truncated ? "메시지가 길어 앞 " + MAX_TEXT.toLocaleString("ko-KR") + "자로 추천했습니다." : "";
    el.askedNote.hidden = !truncated;
    el.asked.hidden = false;
  }

  function setInsertState(text, tone) {
    el.insertState.textContent = text || "";
    el.insertState.className = "insert-state" + (tone ? " is-" + tone : "");
  }

  function renderCard(card) {
    state.card = card;
    var intent = card.intent || {};
    var confidence = percent(intent.confidence);

    el.intentSummary.textContent = card.summary || "요약 없음";
    el.intentName.textContent = intent.name || "알 수 없음";
    el.confidence.textContent = "신뢰도 " + confidence + "%";
    el.confidence.className = "confidence " + (confidence >= 80 ? "is-high" : confidence >= 50 ? "is-mid" : "is-low");
    el.lowConfidence.hidden = confidence >= 50;

    el.nextStep.textContent = card.next_step || "—";
    el.callType.textContent = card.call_type || "미확인";
    el.callType.classList.toggle("is-unknown", !card.call_type);
    el.path.textContent = card.consultation_path || "—";

    clear(el.order);
    var order = card.response_order || {};
    var steps = Array.isArray(order.steps) ? order.steps : [];
    steps.forEach(function (step, index) {
      var item = make("li", "step");
      item.appendChild(make("span", "step-no", String(index + 1)));
      item.appendChild(make("span", "step-name", step));
      if (step === order.current) {
        item.classList.add("is-current");
        item.setAttribute("aria-current", "step");
        item.setAttribute("data-testid", "current-step");
      }
      el.order.appendChild(item);
    });
    el.orderBlock.hidden = steps.length === 0;

    clear(el.script);
    var lines = Array.isArray(card.script) ? card.script : [];
    lines.forEach(function (line, index) {
      var text = line && typeof line.text === "string" ? line.text : "";
      if (!text) return;
      var item = make("li", "script-line");
      item.setAttribute("data-testid", "script-line");
      item.setAttribute("data-response", line.response ? String(line.response) : "");
      item.appendChild(make("p", "script-text", text));
      var foot = make("div", "script-foot");
      var button = make("button", "btn btn-insert", INSERT);
      button.type = "button";
      button.setAttribute("data-testid", "insert-button");
      button.setAttribute("aria-label", (index + 1) + "번째 줄을 " + INSERT);
      button.addEventListener("click", function () { insertLine(card, text, button, index); });
      foot.appendChild(button);
      item.appendChild(foot);
      el.script.appendChild(item);
    });
    el.scriptEmpty.hidden = el.script.childNodes.length > 0;
    setInsertState("");

    clear(el.references);
    var references = Array.isArray(card.references) ? card.references : [];
    references.forEach(function (ref) {
      if (!ref || typeof ref !== "object") return;
      var item = make("li", "ref");
      item.setAttribute("data-testid", "reference");
      if (ref.section) item.appendChild(make("span", "ref-section", ref.section));
      if (ref.note) item.appendChild(make("span", "ref-note", ref.note));
      if (!ref.section && !ref.note) item.appendChild(make("span", "ref-section", ref.title || ""));
      if (ref.title) item.setAttribute("title", ref.title);
      el.references.appendChild(item);
    });
    el.referencesBlock.hidden = el.references.childNodes.length === 0;
    el.suggestionId.textContent = card.suggestion_id || "";

    el.empty.hidden = true;
    el.card.hidden = false;
  }

  /* ---------- the flow ---------- */

  function setBusy(busy) {
    state.busy = busy;
    el.refresh.disabled = busy;
    el.refresh.setAttribute("aria-busy", busy ? "true" : "false");
    el.app.setAttribute("aria-busy", busy ? "true" : "false");
  }

  // force: 다시 추천 (ask again even when the message did not change)
  function refresh(force) {
    var host = state.host;
    if (!host) return;
    var seq = ++state.seq;
    setBusy(true);
    setStatus("기사님 메시지를 확인하는 중…");
    host.latest().then(function (message) {
      if (seq !== state.seq) return null;
      if (!message) {
        state.messageKey = null;
        showError(null);
        if (host.waiting && host.waiting()) {
          showEmpty("대화를 기다리는 중", "상담 도구가 대화를 보내면 자동으로 추천합니다.");
        } else {
          showEmpty("추천할 메시지가 없습니다", "기사님(요청자)이 보낸 메시지가 아직 없습니다. 새 메시지가 오면 자동으로 추천합니다.");
        }
        return null;
      }
      if (!force && message.key === state.messageKey && state.card) return null;
      var truncated = message.text.length > MAX_TEXT;
      var body = { text: truncated ? message.text.slice(0, MAX_TEXT) : message.text };
      if (message.conversationId) body.conversation_id = message.conversationId;
      showAsked(message, truncated);
      setStatus("추천을 불러오는 중…");
      return host.call("suggest", body).then(function (card) {
        if (seq !== state.seq) return;
        state.messageKey = message.key;
        showError(null);
        renderCard(card);
      });
    }).then(null, function (error) {
      if (seq !== state.seq) return;
      state.messageKey = null;
      state.card = null;
      el.card.hidden = true;
      el.empty.hidden = true;
      if (!(error instanceof ApiError)) {
        error = new ApiError(0, "티켓 읽기 실패", "티켓의 메시지를 읽지 못했습니다. 다시 추천을 눌러 주세요.");
      }
      showError(error);
    }).then(function () {
      if (seq !== state.seq) return;
      setBusy(false);
      setStatus("");
      fit();
    });
  }

  function schedule() {
    if (state.eventTimer) clearTimeout(state.eventTimer);
    state.eventTimer = setTimeout(function () { state.eventTimer = null; refresh(false); }, EVENT_DELAY_MS);
  }

  function insertLine(card, text, button, index) {
    var host = state.host;
    button.disabled = true;
    Promise.resolve().then(function () { return host.insert(text); }).then(function () {
      button.textContent = "넣었습니다";
      button.classList.add("is-done");
      setTimeout(function () { button.textContent = INSERT; button.classList.remove("is-done"); }, 1500);
      setInsertState((index + 1) + "번째 줄을 답변란에 넣었습니다.", "ok");
      return sendUsed(card);
    }, function () {
      setInsertState("답변란에 넣지 못했습니다. 문장을 직접 선택해 복사해 주세요.", "error");
    }).then(function () {
      button.disabled = false;
      fit();
    });
  }

  // one `used` verdict a suggestion, whichever and however many lines went into the reply
  function sendUsed(card) {
    var id = card && card.suggestion_id;
    if (!id || state.used[id]) return null;
    state.used[id] = true;
    return state.host.call("feedback", { suggestion_id: id, verdict: "used" }).then(null, function (error) {
      state.used[id] = false;
      if (state.card === card) {
        setInsertState("답변란에 넣었습니다. (사용 기록 저장 실패: " + (error && error.detail ? error.detail : "알 수 없는 오류") + ")", "warn");
      }
    });
  }

  function fit() {
    if (!state.host) return;
    var height = Math.ceil(el.app.getBoundingClientRect().height);
    if (!height || Math.abs(height - state.lastHeight) < 2) return;
    state.lastHeight = height;
    try { state.host.resize(height); } catch (e) { /* the host may not size frames */ }
  }

  /* ---------- start ---------- */

  el.refresh.addEventListener("click", function () { refresh(true); });
  if (window.ResizeObserver) new window.ResizeObserver(fit).observe(el.app);

  function start(host) {
    state.host = host;
    host.onChange(schedule);
    refresh(false);
  }

  var query = parseQuery(window.location.search);
  if (query.mode === "postmessage") {
    var host = postMessageHost(query.assistant, originOf(query.parent_origin));
    var problem = host.start();
    state.host = host;
    if (problem) {
      el.refresh.disabled = true;
      showError(problem);
      fit();
    } else {
      host.onChange(schedule);
      showEmpty("대화를 기다리는 중", "상담 도구가 대화를 보내면 자동으로 추천합니다.");
      fit();
    }
    return;
  }

  var client = window.ZAFClient && window.ZAFClient.init ? window.ZAFClient.init() : null;
  if (!client) {
    el.refresh.disabled = true;
    showError(new ApiError(0, "Zendesk 밖에서 열림", "이 화면은 Zendesk 티켓 사이드바 앱입니다. 다른 상담 도구에서는 ?mode=postmessage&assistant=<어시스턴트 주소> 로 여세요."));
    return;
  }
  setStatus("Zendesk와 연결하는 중…");
  client.on("app.registered", function () { start(zafHost(client)); });
})(window.AssistCommon);
