/* 위탁콜 상담 도우미 — 상담사 콘솔.
 *
 * No framework, no external resources. Every piece of data from the server is inserted with
 * textContent (never innerHTML), so a driver's message or a script line cannot inject markup.
 * API: POST /webhooks/assist/{suggest,lookup,feedback}, GET /webhooks/assist/intents,
 * GET /webhooks/assist/handoffs, POST /webhooks/assist/handoffs/<id>/{take,reply,resolve}, all with
 * `Authorization: Bearer <agent token>`; errors are {"error": "<Korean message>"}.
 * A taken handoff gets live suggestions (실시간 추천): one POST suggest per new driver message in
 * the polled transcript, with the conversation id; a script line goes into the reply box, never sent.
 */
(function () {
  "use strict";

  var API = "/webhooks/assist/";
  var TOKEN_KEY = "assist.agentToken";
  var TIMEOUT_MS = 30000;
  var STATUS = {
    suspended: { label: "정지", tone: "danger" },
    customer_blocked: { label: "특정 고객 차단", tone: "warn" },
    none: { label: "내역 없음", tone: "ok" }
  };

  var HANDOFF_REFRESH_MS = 5000;
  var HANDOFF_STATUS = {
    open: { label: "대기", tone: "warn" },
    taken: { label: "진행 중", tone: "ok" }
  };
  // consignment/handoff.py REASONS
  var HANDOFF_REASONS = {
    driver_request: "기사님 요청",
    misunderstanding: "연속 미이해",
    other_call_type: "위탁콜 외 콜타입",
    not_consignment: "위탁콜(콜마너) 외 상황"
  };
  var CHANNELS = { widget: "웹 채팅", rest: "REST", slack: "Slack", socketio: "웹 채팅", cmdline: "터미널" };
  var SLOT_LABELS = {
    call_type: "콜타입", partner_app: "이용 앱", ordering_company: "발주사",
    driver_name: "기사님 성함", phone_number: "휴대폰 번호"
  };
  var SPEAKERS = { driver: "기사님", bot: "봇", agent: "상담원" };
  var NOT_DELIVERED = "기사님 화면에 연결되어 있지 않아 대화 기록에만 남았습니다";

  function $(id) { return document.getElementById(id); }

  var el = {
    token: $("token"), tokenToggle: $("token-toggle"), tokenState: $("token-state"),
    suggestForm: $("suggest-form"), message: $("message"), conversation: $("conversation"),
    suggestButton: $("suggest-button"), clearButton: $("clear-button"), suggestError: $("suggest-error"),
    card: $("card"), cardEmpty: $("card-empty"), cardBody: $("card-body"),
    intentName: $("intent-name"), intentSummary: $("intent-summary"),
    confidenceValue: $("confidence-value"), confidenceBar: $("confidence-bar"), ranking: $("ranking"),
    lowConfidence: $("low-confidence"), nextStep: $("next-step"), callType: $("call-type"),
    path: $("consultation-path"), order: $("response-order"), entitiesBlock: $("entities-block"),
    entities: $("entities"), conversationBlock: $("conversation-block"), conversationState: $("conversation-state"),
    script: $("script"), scriptEmpty: $("script-empty"), referencesBlock: $("references-block"),
    references: $("references"), correctIntent: $("correct-intent"), feedbackState: $("feedback-state"),
    suggestionId: $("suggestion-id"),
    lookupForm: $("lookup-form"), lookup: $("lookup"), lookupButton: $("lookup-button"), lookupError: $("lookup-error"),
    lookupResult: $("lookup-result"), lookupDriver: $("lookup-driver"), lookupPhone: $("lookup-phone"),
    lookupStatus: $("lookup-status"), lookupReason: $("lookup-reason"), lookupBlocked: $("lookup-blocked"),
    lookupScript: $("lookup-script"), toast: $("toast"),
    handoffCount: $("handoff-count"), handoffUpdated: $("handoff-updated"), handoffRefresh: $("handoff-refresh"),
    handoffError: $("handoff-error"), handoffList: $("handoff-list"), handoffListEmpty: $("handoff-list-empty"),
    handoffNone: $("handoff-none"), handoffBody: $("handoff-body"), detailSummary: $("detail-summary"),
    detailConversation: $("detail-conversation"), detailChannel: $("detail-channel"), detailStatus: $("detail-status"),
    detailReason: $("detail-reason"), detailCallType: $("detail-call-type"), detailWait: $("detail-wait"),
    detailPath: $("detail-path"), takeButton: $("take-button"), resolveButton: $("resolve-button"),
    handoffSuggest: $("handoff-suggest"), resolveConfirm: $("resolve-confirm"), resolveYes: $("resolve-yes"),
    resolveNo: $("resolve-no"), handoffState: $("handoff-state"), detailAsked: $("detail-asked"),
    detailAskedEmpty: $("detail-asked-empty"), detailSlots: $("detail-slots"), detailSlotsEmpty: $("detail-slots-empty"),
    transcript: $("transcript"), transcriptEmpty: $("transcript-empty"), replyForm: $("reply-form"),
    reply: $("reply"), replyButton: $("reply-button"), replyState: $("reply-state"),
    whisperState: $("whisper-state"), whisperCards: $("whisper-cards"), whisperAnnounce: $("whisper-announce")
  };
  var verdictButtons = Array.prototype.slice.call(document.querySelectorAll("[data-verdict]"));

  var state = {
    card: null, suggestSeq: 0, lookupSeq: 0, intentsFor: null, verdict: null,
    handoffs: [], selected: null, handoffSeq: 0, handoffBusy: false, handoffAgain: false, handoffsLoaded: false,
    actionBusy: false, replyBusy: false, transcriptKey: null,
    whisper: {}, whisperSeq: 0, whisperRendered: null, replyDraft: null
  };

  /* ---------- small DOM helpers (text only) ---------- */

  function make(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  function percent(value) {
    var n = Number(value);
    if (!isFinite(n)) n = 0;
    return Math.round(Math.max(0, Math.min(1, n)) * 100);
  }

  /* ---------- token ---------- */

  function storage() {
    // this tab only: an agent token never outlives the tab, nor sits where the public widget (same origin) could read it
    try { return window.sessionStorage; } catch (e) { return null; }
  }

  function token() { return el.token.value.trim().replace(/^Bearer\s+/i, ""); }

  function loadToken() {
    var store = storage();
    var saved = store ? store.getItem(TOKEN_KEY) : null;
    if (saved) el.token.value = saved;
    showTokenState();
  }

  function saveToken() {
    var store = storage();
    if (store) {
      try {
        if (token()) store.setItem(TOKEN_KEY, token()); else store.removeItem(TOKEN_KEY);
      } catch (e) { /* private mode: keep it in the field only */ }
    }
    showTokenState();
    state.intentsFor = null;
  }

  function showTokenState() {
    el.tokenState.textContent = token() ? "저장됨" : "토큰 없음";
    el.tokenState.className = "token-state " + (token() ? "is-set" : "is-missing");
  }

  /* ---------- API ---------- */

  function ApiError(status, title, detail) {
    this.status = status;
    this.title = title;
    this.detail = detail;
  }

  function explain(status, serverMessage) {
    var detail = serverMessage || "";
    if (status === 401) return new ApiError(status, "토큰 확인", (detail ? detail + " " : "") + "상단의 상담사 토큰을 확인해 주세요.");
    if (status === 403) return new ApiError(status, "권한 없음", detail || "상담사 권한이 없는 토큰입니다.");
    if (status === 404) return new ApiError(status, "찾을 수 없음", detail || "요청한 항목을 찾을 수 없습니다.");
    if (status === 503) return new ApiError(status, "DB 연결 불가", detail || "데이터베이스에 연결할 수 없습니다. 잠시 후 다시 시도해 주세요.");
    if (status === 400) return new ApiError(status, "입력 확인", detail || "입력 내용을 확인해 주세요.");
    return new ApiError(status, "서버 오류", (detail || "요청을 처리하지 못했습니다.") + " (상태 코드 " + status + ")");
  }

  function call(method, path, body) {
    if (!token()) {
      return Promise.reject(new ApiError(0, "토큰 확인", "상단에 상담사 토큰을 입력해 주세요."));
    }
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, TIMEOUT_MS) : null;
    var options = {
      method: method,
      headers: { "Authorization": "Bearer " + token(), "Accept": "application/json" },
      cache: "no-store",
      credentials: "same-origin"
    };
    if (controller) options.signal = controller.signal;
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(API + path, options).then(function (response) {
      return response.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        if (!response.ok) {
          throw explain(response.status, data && typeof data.error === "string" ? data.error : "");
        }
        if (data === null || typeof data !== "object") {
          throw new ApiError(response.status, "응답 오류", "서버 응답을 읽을 수 없습니다.");
        }
        return data;
      });
    }, function (error) {
      if (error && error.name === "AbortError") {
        throw new ApiError(0, "시간 초과", "서버 응답이 " + TIMEOUT_MS / 1000 + "초 안에 오지 않았습니다. 다시 시도해 주세요.");
      }
      throw new ApiError(0, "연결 실패", "서버에 연결할 수 없습니다. 네트워크 또는 서버 상태를 확인해 주세요.");
    }).then(function (data) {
      if (timer) clearTimeout(timer);
      return data;
    }, function (error) {
      if (timer) clearTimeout(timer);
      if (!(error instanceof ApiError)) error = new ApiError(0, "오류", "요청을 처리하지 못했습니다.");
      throw error;
    });
  }

  function showError(box, error) {
    clear(box);
    if (!error) { box.hidden = true; return; }
    box.appendChild(make("strong", "alert-title", error.title));
    box.appendChild(make("span", "alert-detail", error.detail));
    box.hidden = false;
    if (error.status === 401 || (error.status === 0 && !token())) {
      el.token.setAttribute("aria-invalid", "true");
    }
  }

  /* ---------- copy ---------- */

  function fallbackCopy(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.setAttribute("aria-hidden", "true");
    area.style.position = "fixed";
    area.style.top = "-1000px";
    area.style.opacity = "0";
    document.body.appendChild(area);
    var active = document.activeElement;
    area.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(area);
    if (active && active.focus) active.focus();
    return ok ? Promise.resolve() : Promise.reject(new Error("copy failed"));
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).catch(function () { return fallbackCopy(text); });
    }
    return fallbackCopy(text);
  }

  var toastTimer = null;
  function toast(message, tone) {
    el.toast.textContent = message;
    el.toast.className = "toast is-visible" + (tone ? " toast-" + tone : "");
    if (toastTimer) clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { el.toast.className = "toast"; }, 1800);
  }

  function copyLine(text, button, label) {
    return copyText(text).then(function () {
      if (button) {
        button.textContent = "복사됨";
        button.classList.add("is-done");
        setTimeout(function () { button.textContent = "복사"; button.classList.remove("is-done"); }, 1500);
      }
      toast((label ? label + " " : "") + "복사했습니다");
    }, function () {
      toast("복사하지 못했습니다. 직접 선택해 복사해 주세요.", "danger");
    });
  }

  function renderScript(list, lines, shortcuts) {
    clear(list);
    lines.forEach(function (line, index) {
      var text = line && typeof line.text === "string" ? line.text : "";
      var item = make("li", "script-line");
      item.setAttribute("data-testid", "script-line");
      item.setAttribute("data-response", line && line.response ? String(line.response) : "");
      var key = make("span", "script-key", shortcuts && index < 9 ? "Alt+" + (index + 1) : String(index + 1));
      key.setAttribute("aria-hidden", "true");
      var body = make("div", "script-body");
      body.appendChild(make("p", "script-text", text));
      if (line && line.response) body.appendChild(make("p", "script-source", line.response));
      var button = make("button", "btn btn-copy", "복사");
      button.type = "button";
      button.setAttribute("data-testid", "copy-button");
      button.setAttribute("aria-label", (index + 1) + "번째 줄 복사" + (shortcuts && index < 9 ? " (Alt+" + (index + 1) + ")" : ""));
      button.addEventListener("click", function () { copyLine(text, button, (index + 1) + "번째 줄"); });
      item.appendChild(key);
      item.appendChild(body);
      item.appendChild(button);
      list.appendChild(item);
    });
  }

  /* ---------- suggestion card ---------- */

  function setBusy(button, busy, busyText, idleText) {
    button.disabled = busy;
    button.textContent = busy ? busyText : idleText;
    button.setAttribute("aria-busy", busy ? "true" : "false");
  }

  function suggest() {
    var text = el.message.value.trim();
    if (!text) {
      showError(el.suggestError, new ApiError(0, "입력 확인", "기사님 메시지를 입력해 주세요."));
      el.message.focus();
      return;
    }
    var body = { text: text };
    var conversationId = el.conversation.value.trim();
    if (conversationId) body.conversation_id = conversationId;
    var seq = ++state.suggestSeq;
    showError(el.suggestError, null);
    setBusy(el.suggestButton, true, "분석 중…", "추천 받기");
    el.card.setAttribute("aria-busy", "true");
    call("POST", "suggest", body).then(function (card) {
      if (seq !== state.suggestSeq) return;
      el.token.removeAttribute("aria-invalid");
      renderCard(card, conversationId);
      loadIntents();
    }, function (error) {
      if (seq !== state.suggestSeq) return;
      showError(el.suggestError, error);
    }).then(function () {
      if (seq !== state.suggestSeq) return;
      setBusy(el.suggestButton, false, "분석 중…", "추천 받기");
      el.card.removeAttribute("aria-busy");
    });
  }

  function renderCard(card, conversationId) {
    state.card = card;
    state.verdict = null;
    var intent = card.intent || {};
    var confidence = percent(intent.confidence);

    el.intentSummary.textContent = card.summary || "요약 없음";
    el.intentName.textContent = intent.name || "알 수 없음";
    el.confidenceValue.textContent = confidence + "%";
    el.confidenceBar.style.width = confidence + "%";
    el.confidenceBar.className = "bar-fill " + (confidence >= 80 ? "is-high" : confidence >= 50 ? "is-mid" : "is-low");
    el.lowConfidence.hidden = confidence >= 50;

    clear(el.ranking);
    (card.ranking || []).slice(0, 3).forEach(function (candidate) {
      var item = make("li", "ranking-item");
      item.appendChild(make("span", "ranking-name", candidate.name));
      item.appendChild(make("span", "ranking-value", percent(candidate.confidence) + "%"));
      el.ranking.appendChild(item);
    });

    el.nextStep.textContent = card.next_step || "—";
    el.callType.textContent = card.call_type || "미확인";
    el.callType.classList.toggle("is-unknown", !card.call_type);
    el.path.textContent = card.consultation_path || "—";

    clear(el.order);
    var order = card.response_order || {};
    (order.steps || []).forEach(function (step, index) {
      var item = make("li", "step");
      item.appendChild(make("span", "step-no", String(index + 1)));
      item.appendChild(make("span", "step-name", step));
      if (step === order.current) {
        item.classList.add("is-current");
        item.setAttribute("aria-current", "step");
        item.setAttribute("data-testid", "current-step");
        item.appendChild(make("span", "step-now", "현재"));
      }
      el.order.appendChild(item);
    });

    clear(el.entities);
    var entities = card.entities || [];
    entities.forEach(function (entity) {
      var chip = make("li", "chip");
      chip.appendChild(make("span", "chip-key", entity.entity));
      chip.appendChild(make("span", "chip-value", entity.value));
      el.entities.appendChild(chip);
    });
    el.entitiesBlock.hidden = entities.length === 0;

    renderConversation(card.conversation, conversationId);

    var script = card.script || [];
    renderScript(el.script, script, true);
    el.scriptEmpty.hidden = script.length > 0;

    clear(el.references);
    var references = card.references || [];
    references.forEach(function (ref) {
      var item = make("li", "ref");
      item.setAttribute("data-testid", "reference");
      item.appendChild(make("span", "ref-title", ref.title));
      if (ref.section) item.appendChild(make("span", "ref-section", ref.section));
      if (ref.note) item.appendChild(make("span", "ref-note", ref.note));
      el.references.appendChild(item);
    });
    el.referencesBlock.hidden = references.length === 0;

    verdictButtons.forEach(function (button) { button.setAttribute("aria-pressed", "false"); button.disabled = false; });
    el.correctIntent.value = "";
    el.feedbackState.textContent = "";
    el.feedbackState.className = "feedback-state";
    el.suggestionId.textContent = card.suggestion_id || "";

    el.cardEmpty.hidden = true;
    el.cardBody.hidden = false;
  }

  function renderConversation(conversation, conversationId) {
    clear(el.conversationState);
    if (!conversationId) { el.conversationBlock.hidden = true; return; }
    el.conversationBlock.hidden = false;
    if (!conversation) {
      el.conversationState.textContent = "대화 ID '" + conversationId + "' 의 대화를 찾을 수 없습니다. 메시지만으로 추천했습니다.";
      return;
    }
    var parts = [];
    if (conversation.active_form) parts.push("진행 중: " + conversation.active_form);
    if (conversation.requested_slot) parts.push("묻는 중: " + conversation.requested_slot);
    if (conversation.latest_intent) parts.push("마지막 인텐트: " + conversation.latest_intent);
    var slots = conversation.slots || {};
    Object.keys(slots).forEach(function (key) { parts.push(key + " = " + slots[key]); });
    el.conversationState.textContent = parts.length ? parts.join(" · ") : "진행 중인 단계 없음";
  }

  /* ---------- feedback ---------- */

  function loadIntents() {
    var current = token();
    if (!current || state.intentsFor === current) return;
    state.intentsFor = current;
    call("GET", "intents").then(function (data) {
      var chosen = el.correctIntent.value;
      while (el.correctIntent.options.length > 1) el.correctIntent.remove(1);
      (data.intents || []).slice().sort().forEach(function (name) {
        var option = document.createElement("option");
        option.value = name;
        option.textContent = name;
        el.correctIntent.appendChild(option);
      });
      el.correctIntent.value = chosen;
    }, function () { state.intentsFor = null; });
  }

  function sendFeedback(verdict) {
    if (!state.card || !state.card.suggestion_id) return;
    var corrected = el.correctIntent.value;
    var predicted = state.card.intent && state.card.intent.name;
    var body = { suggestion_id: state.card.suggestion_id, verdict: verdict };
    if (corrected && corrected !== predicted && verdict !== "used") body.corrected_intent = corrected;
    var suggestionId = state.card.suggestion_id;
    el.feedbackState.textContent = "저장 중…";
    el.feedbackState.className = "feedback-state";
    verdictButtons.forEach(function (button) { button.disabled = true; });
    call("POST", "feedback", body).then(function () {
      if (!state.card || state.card.suggestion_id !== suggestionId) return;
      state.verdict = verdict;
      verdictButtons.forEach(function (button) {
        button.setAttribute("aria-pressed", button.getAttribute("data-verdict") === verdict ? "true" : "false");
      });
      el.feedbackState.textContent = "저장되었습니다" + (body.corrected_intent ? " (정정: " + body.corrected_intent + ")" : "");
      el.feedbackState.className = "feedback-state is-ok";
    }, function (error) {
      if (!state.card || state.card.suggestion_id !== suggestionId) return;
      el.feedbackState.textContent = error.title + ": " + error.detail;
      el.feedbackState.className = "feedback-state is-error";
    }).then(function () {
      verdictButtons.forEach(function (button) { button.disabled = false; });
    });
  }

  /* ---------- lookup ---------- */

  function lookupQuery(value) {
    var compact = value.replace(/[\s\-().]/g, "");
    if (/^\+?\d{9,13}$/.test(compact)) return { phone: value };
    return { driver_id: value.toUpperCase() };
  }

  function lookup() {
    var value = el.lookup.value.trim();
    if (!value) {
      showError(el.lookupError, new ApiError(0, "입력 확인", "기사 ID 또는 휴대폰 번호를 입력해 주세요."));
      el.lookup.focus();
      return;
    }
    var seq = ++state.lookupSeq;
    showError(el.lookupError, null);
    setBusy(el.lookupButton, true, "조회 중…", "조회");
    call("POST", "lookup", lookupQuery(value)).then(function (result) {
      if (seq !== state.lookupSeq) return;
      el.token.removeAttribute("aria-invalid");
      renderLookup(result);
    }, function (error) {
      if (seq !== state.lookupSeq) return;
      el.lookupResult.hidden = true;
      showError(el.lookupError, error);
    }).then(function () {
      if (seq !== state.lookupSeq) return;
      setBusy(el.lookupButton, false, "조회 중…", "조회");
    });
  }

  function renderLookup(result) {
    var status = STATUS[result.status] || { label: String(result.status || "알 수 없음"), tone: "neutral" };
    el.lookupDriver.textContent = (result.name || "이름 없음") + " · " + (result.driver_id || "");
    el.lookupPhone.textContent = result.phone || "";
    el.lookupStatus.textContent = status.label;
    el.lookupStatus.className = "badge badge-" + status.tone;
    el.lookupReason.textContent = result.reason || "—";
    var blocked = Number(result.blocked_customers) || 0;
    el.lookupBlocked.textContent = blocked + "명";
    renderScript(el.lookupScript, result.script || [], false);
    el.lookupResult.hidden = false;
  }

  /* ---------- handoffs (상담 연결 대기) ---------- */

  // The agent id of the token, for display only (the server checks the token on every call).
  function myAgentId() {
    try {
      var part = token().split(".")[1];
      if (!part) return null;
      var binary = atob(part.replace(/-/g, "+").replace(/_/g, "/"));
      var bytes = new Uint8Array(binary.length);
      for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
      var claims = JSON.parse(new TextDecoder().decode(bytes));
      return claims && typeof claims.sub === "string" ? claims.sub : null;
    } catch (e) {
      return null;
    }
  }

  // created_at/taken_at come as "2026-11-29 03:00:00.123456[+00:00]" (UTC); transcript timestamps as epoch seconds.
  function parseTime(value) {
    if (value === null || value === undefined || value === "") return null;
    if (typeof value === "number") return isFinite(value) ? new Date(value * 1000) : null;
    var text = String(value).trim().replace(" ", "T").replace(/(\.\d{3})\d+/, "$1");
    if (!/(?:Z|[+-]\d{2}:?\d{2})$/i.test(text)) text += "Z";
    var date = new Date(text);
    return isNaN(date.getTime()) ? null : date;
  }

  function clock(date) {
    if (!date) return "";
    try {
      return date.toLocaleTimeString("ko-KR", { hour: "2-digit", minute: "2-digit" });
    } catch (e) {
      return "";
    }
  }

  function span(from, to) {
    if (!from) return "—";
    var minutes = Math.max(0, Math.floor(((to ? to.getTime() : Date.now()) - from.getTime()) / 60000));
    if (minutes < 1) return "1분 미만";
    if (minutes < 60) return minutes + "분";
    var hours = Math.floor(minutes / 60);
    if (hours < 24) return hours + "시간 " + (minutes % 60) + "분";
    return Math.floor(hours / 24) + "일 " + (hours % 24) + "시간";
  }

  function waitText(handoff) {
    var created = parseTime(handoff.created_at);
    if (handoff.status === "taken") {
      var taken = parseTime(handoff.taken_at);
      return "대기 " + span(created, taken) + " · 진행 " + span(taken, null);
    }
    return "대기 " + span(created, null);
  }

  function statusOf(handoff) {
    var known = HANDOFF_STATUS[handoff.status] || { label: String(handoff.status || "알 수 없음"), tone: "neutral" };
    var label = known.label;
    if (handoff.status === "taken") label += " (" + (handoff.agent_id || "상담사") + ")";
    return { label: label, tone: known.tone };
  }

  function packetOf(handoff) {
    return handoff && handoff.packet && typeof handoff.packet === "object" ? handoff.packet : {};
  }

  function reasonText(packet) {
    return HANDOFF_REASONS[packet.reason] || (packet.reason ? String(packet.reason) : "사유 미상");
  }

  function callTypeText(packet) {
    var text = packet.call_type ? String(packet.call_type) : "콜타입 미확인";
    if (packet.consultation_type && packet.consultation_type !== packet.call_type) text += " · 상담 유형 " + packet.consultation_type;
    return text;
  }

  function channelText(handoff) {
    var channel = handoff.input_channel;
    return channel ? (CHANNELS[channel] || String(channel)) : "채널 미상";
  }

  function isPayload(text) { return /^\//.test(text || ""); }

  function lastDriverMessage(handoff) {
    var lines = Array.isArray(handoff.transcript) ? handoff.transcript : [];
    for (var i = lines.length - 1; i >= 0; i--) {
      var line = lines[i];
      if (line && line.from === "driver" && typeof line.text === "string" && line.text.trim() && !isPayload(line.text)) {
        return line.text.trim();
      }
    }
    var asked = packetOf(handoff).what_was_asked;
    if (Array.isArray(asked)) {
      for (var j = asked.length - 1; j >= 0; j--) {
        if (typeof asked[j] === "string" && asked[j].trim() && !isPayload(asked[j])) return asked[j].trim();
      }
    }
    return "";
  }

  function selectedHandoff() {
    if (!state.selected) return null;
    for (var i = 0; i < state.handoffs.length; i++) {
      if (state.handoffs[i].handoff_id === state.selected) return state.handoffs[i];
    }
    return null;
  }

  function setStateLine(node, baseClass, text, tone) {
    node.textContent = text || "";
    node.className = baseClass + (tone ? " is-" + tone : "");
  }

  function loadHandoffs() {
    if (!token()) {
      state.handoffSeq++;
      state.handoffs = [];
      state.handoffsLoaded = false;
      showError(el.handoffError, null);
      el.handoffUpdated.textContent = "";
      renderHandoffs("상단에 상담사 토큰을 입력하면 상담 연결 요청이 표시됩니다.");
      return;
    }
    if (state.handoffBusy) { state.handoffAgain = true; return; }
    state.handoffBusy = true;
    state.handoffAgain = false;
    var seq = ++state.handoffSeq;
    el.handoffRefresh.disabled = true;
    el.handoffRefresh.setAttribute("aria-busy", "true");
    call("GET", "handoffs").then(function (data) {
      if (seq !== state.handoffSeq) return;
      showError(el.handoffError, null);
      state.handoffs = Array.isArray(data.handoffs) ? data.handoffs.filter(function (h) {
        return h && typeof h.handoff_id === "string";
      }) : [];
      state.handoffsLoaded = true;
      pruneWhisper();
      el.handoffUpdated.textContent = "갱신 " + clock(new Date());
      renderHandoffs();
    }, function (error) {
      if (seq !== state.handoffSeq) return;
      showError(el.handoffError, error);
    }).then(function () {
      state.handoffBusy = false;
      el.handoffRefresh.disabled = false;
      el.handoffRefresh.removeAttribute("aria-busy");
      if (state.handoffAgain) loadHandoffs();
    });
  }

  // After a take/reply/resolve: the local change stands, a poll already on its way is dropped.
  function refreshAfterAction() {
    state.handoffSeq++;
    loadHandoffs();
  }

  function renderHandoffs(emptyText) {
    var list = state.handoffs;
    var waiting = list.filter(function (h) { return h.status === "open"; }).length;
    el.handoffCount.textContent = String(list.length);
    el.handoffCount.className = "count" + (waiting ? " is-waiting" : "");
    el.handoffCount.setAttribute("aria-label", "전체 " + list.length + "건, 대기 " + waiting + "건");

    // Items are kept and updated in place: a poll never takes a button away from under the pointer.
    var existing = {};
    Array.prototype.forEach.call(el.handoffList.children, function (item) {
      existing[item.getAttribute("data-handoff-id")] = item;
    });
    list.forEach(function (handoff, index) {
      var item = existing[handoff.handoff_id] || createHandoffItem(handoff.handoff_id);
      delete existing[handoff.handoff_id];
      fillHandoffItem(item, handoff);
      if (el.handoffList.children[index] !== item) el.handoffList.insertBefore(item, el.handoffList.children[index] || null);
    });
    Object.keys(existing).forEach(function (id) { el.handoffList.removeChild(existing[id]); });

    el.handoffListEmpty.textContent = emptyText || "대기 중인 상담 연결 요청이 없습니다.";
    el.handoffListEmpty.hidden = list.length > 0;
    renderDetail();
  }

  function createHandoffItem(handoffId) {
    var item = make("li", "handoff-entry");
    item.setAttribute("data-handoff-id", handoffId);
    var button = make("button", "handoff-item");
    button.type = "button";
    button.setAttribute("data-testid", "handoff-item");
    button.setAttribute("data-handoff-id", handoffId);
    button.addEventListener("click", function () { selectHandoff(handoffId); });
    item.appendChild(button);
    return item;
  }

  function fillHandoffItem(item, handoff) {
    var packet = packetOf(handoff);
    var status = statusOf(handoff);
    var button = item.firstChild;
    button.setAttribute("data-conversation-id", String(handoff.conversation_id || ""));
    button.setAttribute("data-status", String(handoff.status || ""));
    var selected = handoff.handoff_id === state.selected;
    button.classList.toggle("is-selected", selected);
    if (selected) button.setAttribute("aria-current", "true"); else button.removeAttribute("aria-current");
    clear(button);

    var top = make("span", "handoff-item-top");
    var badge = make("span", "badge badge-" + status.tone, status.label);
    badge.setAttribute("data-testid", "handoff-status");
    var wait = make("span", "handoff-wait", waitText(handoff));
    wait.setAttribute("data-testid", "handoff-wait");
    top.appendChild(badge);
    top.appendChild(wait);
    button.appendChild(top);

    var summary = make("span", "handoff-summary", packet.summary || "요약 없음");
    summary.setAttribute("data-testid", "handoff-summary");
    button.appendChild(summary);
    var path = make("span", "handoff-path", packet.consultation_path || "상담 경로 없음");
    path.setAttribute("data-testid", "handoff-path");
    button.appendChild(path);

    var tags = make("span", "handoff-tags");
    var reason = make("span", "tag", reasonText(packet));
    reason.setAttribute("data-testid", "handoff-reason");
    var callType = make("span", "tag", callTypeText(packet));
    callType.setAttribute("data-testid", "handoff-call-type");
    tags.appendChild(reason);
    tags.appendChild(callType);
    tags.appendChild(make("span", "tag tag-faint", channelText(handoff)));
    button.appendChild(tags);
  }

  function selectHandoff(handoffId) {
    if (state.selected !== handoffId) {
      state.selected = handoffId;
      state.transcriptKey = null;
      el.resolveConfirm.hidden = true;
      setStateLine(el.handoffState, "handoff-state", "");
      setStateLine(el.replyState, "reply-state", "");
    }
    renderHandoffs();
  }

  function renderDetail() {
    var handoff = selectedHandoff();
    if (!handoff) {
      if (state.selected && state.handoffsLoaded) {
        el.handoffNone.textContent = "선택한 요청이 더 이상 목록에 없습니다. 다른 상담사가 종료했을 수 있습니다.";
        state.selected = null;
      }
      el.handoffBody.hidden = true;
      el.handoffNone.hidden = false;
      return;
    }
    // shown first: the transcript below scrolls to its end, which needs a laid-out box
    el.handoffNone.hidden = true;
    el.handoffBody.hidden = false;
    var packet = packetOf(handoff);
    var status = statusOf(handoff);
    var mine = isMine(handoff);

    el.detailSummary.textContent = packet.summary || "요약 없음";
    el.detailConversation.textContent = String(handoff.conversation_id || "");
    el.detailChannel.textContent = channelText(handoff);
    el.detailStatus.textContent = status.label;
    el.detailStatus.className = "badge badge-" + status.tone;
    el.detailReason.textContent = reasonText(packet);
    el.detailCallType.textContent = callTypeText(packet);
    el.detailCallType.classList.toggle("is-unknown", !packet.call_type);
    el.detailWait.textContent = waitText(handoff);
    el.detailPath.textContent = packet.consultation_path || "—";

    clear(el.detailAsked);
    var asked = Array.isArray(packet.what_was_asked) ? packet.what_was_asked : [];
    asked.forEach(function (text) {
      var item = make("li", "asked-line" + (isPayload(text) ? " is-payload" : ""), text);
      item.setAttribute("data-testid", "asked-line");
      el.detailAsked.appendChild(item);
    });
    el.detailAskedEmpty.hidden = asked.length > 0;

    clear(el.detailSlots);
    var slots = packet.slots && typeof packet.slots === "object" ? packet.slots : {};
    var slotNames = Object.keys(slots).filter(function (name) { return slots[name] !== null && slots[name] !== ""; });
    slotNames.forEach(function (name) {
      var row = make("div", "slot");
      row.setAttribute("data-testid", "slot");
      row.setAttribute("data-slot", name);
      row.appendChild(make("dt", null, SLOT_LABELS[name] || name));
      var value = slots[name];
      row.appendChild(make("dd", null, typeof value === "object" ? JSON.stringify(value) : value));
      el.detailSlots.appendChild(row);
    });
    el.detailSlotsEmpty.hidden = slotNames.length > 0;

    renderTranscript(handoff);
    updateWhisper(handoff, mine);

    var busy = state.actionBusy;
    el.takeButton.disabled = busy || handoff.status !== "open";
    el.takeButton.hidden = handoff.status !== "open";
    el.resolveButton.disabled = busy;
    el.handoffSuggest.disabled = !lastDriverMessage(handoff);

    var canReply = mine && !state.replyBusy;
    el.reply.disabled = !mine;
    el.replyButton.disabled = !canReply;
    el.reply.placeholder = mine ? "기사님께 보낼 메시지"
      : handoff.status === "open" ? "맡기를 누르면 답장할 수 있습니다"
        : (handoff.agent_id || "다른 상담사") + " 상담사가 진행 중입니다";
  }

  function isMine(handoff) {
    var me = myAgentId();
    return handoff.status === "taken" && (!me || !handoff.agent_id || handoff.agent_id === me);
  }

  function renderTranscript(handoff) {
    var lines = Array.isArray(handoff.transcript) ? handoff.transcript : [];
    var last = lines[lines.length - 1];
    var key = handoff.handoff_id + ":" + lines.length + ":" + (last ? String(last.timestamp) + String(last.text) : "");
    if (key === state.transcriptKey) return;
    state.transcriptKey = key;
    clear(el.transcript);
    lines.forEach(function (line) {
      if (!line || typeof line.text !== "string") return;
      var from = SPEAKERS[line.from] ? line.from : "bot";
      var item = make("li", "line line-" + from);
      item.setAttribute("data-testid", "transcript-line");
      item.setAttribute("data-from", from);
      var head = make("span", "line-head");
      head.appendChild(make("span", "line-who", SPEAKERS[from]));
      var time = clock(parseTime(line.timestamp));
      if (time) head.appendChild(make("span", "line-time", time));
      item.appendChild(head);
      var text = make("p", "line-text" + (isPayload(line.text) ? " is-payload" : ""), line.text);
      if (isPayload(line.text)) text.setAttribute("title", "버튼으로 보낸 메시지");
      item.appendChild(text);
      el.transcript.appendChild(item);
    });
    el.transcriptEmpty.hidden = lines.length > 0;
    el.transcript.scrollTop = el.transcript.scrollHeight;
  }

  function handoffPath(handoff, action) {
    return "handoffs/" + encodeURIComponent(handoff.handoff_id) + "/" + action;
  }

  function setActionBusy(busy) {
    state.actionBusy = busy;
    el.handoffBody.setAttribute("aria-busy", busy ? "true" : "false");
  }

  function takeHandoff() {
    var handoff = selectedHandoff();
    if (!handoff || state.actionBusy) return;
    setActionBusy(true);
    setBusy(el.takeButton, true, "맡는 중…", "맡기");
    setStateLine(el.handoffState, "handoff-state", "");
    call("POST", handoffPath(handoff, "take"), {}).then(function (data) {
      handoff.status = "taken";
      handoff.agent_id = data.agent_id || myAgentId();
      handoff.taken_at = new Date().toISOString();
      setStateLine(el.handoffState, "handoff-state", "상담을 맡았습니다. 기사님께 답장할 수 있습니다.", "ok");
      if (state.selected === handoff.handoff_id) setTimeout(function () { el.reply.focus(); }, 0);
    }, function (error) {
      setStateLine(el.handoffState, "handoff-state", error.title + ": " + error.detail, "error");
    }).then(function () {
      setBusy(el.takeButton, false, "맡는 중…", "맡기");
      setActionBusy(false);
      renderHandoffs();
      refreshAfterAction();
    });
  }

  function askResolve() {
    if (!selectedHandoff() || state.actionBusy) return;
    el.resolveConfirm.hidden = false;
    el.resolveNo.focus();
  }

  function cancelResolve() {
    el.resolveConfirm.hidden = true;
    el.resolveButton.focus();
  }

  function resolveHandoff() {
    var handoff = selectedHandoff();
    el.resolveConfirm.hidden = true;
    if (!handoff || state.actionBusy) return;
    setActionBusy(true);
    setBusy(el.resolveButton, true, "종료 중…", "종료");
    call("POST", handoffPath(handoff, "resolve"), {}).then(function () {
      state.handoffs = state.handoffs.filter(function (h) { return h.handoff_id !== handoff.handoff_id; });
      if (state.selected === handoff.handoff_id) state.selected = null;
      el.handoffNone.textContent = "상담을 종료했습니다. 기사님의 다음 메시지부터 봇이 다시 답변합니다.";
      toast("상담을 종료했습니다");
    }, function (error) {
      setStateLine(el.handoffState, "handoff-state", error.title + ": " + error.detail, "error");
    }).then(function () {
      setBusy(el.resolveButton, false, "종료 중…", "종료");
      setActionBusy(false);
      renderHandoffs();
      refreshAfterAction();
    });
  }

  function sendReply() {
    var handoff = selectedHandoff();
    var text = el.reply.value.trim();
    if (!handoff || state.replyBusy || el.reply.disabled) return;
    if (!text) {
      setStateLine(el.replyState, "reply-state", "보낼 메시지를 입력해 주세요.", "error");
      el.reply.focus();
      return;
    }
    state.replyBusy = true;
    setBusy(el.replyButton, true, "보내는 중…", "보내기");
    setStateLine(el.replyState, "reply-state", "");
    call("POST", handoffPath(handoff, "reply"), { text: text }).then(function (data) {
      whisperReplySent(handoff, text);
      if (el.reply.value.trim() === text) el.reply.value = "";
      if (!Array.isArray(handoff.transcript)) handoff.transcript = [];
      handoff.transcript.push({ from: "agent", text: text, timestamp: Date.now() / 1000 });
      if (data.delivered === true) setStateLine(el.replyState, "reply-state", "전달됨", "ok");
      else setStateLine(el.replyState, "reply-state", NOT_DELIVERED, "warn");
    }, function (error) {
      setStateLine(el.replyState, "reply-state", error.title + ": " + error.detail, "error");
    }).then(function () {
      state.replyBusy = false;
      setBusy(el.replyButton, false, "보내는 중…", "보내기");
      renderDetail();
      refreshAfterAction();
      if (!el.reply.disabled) el.reply.focus();
    });
  }

  function suggestFromHandoff() {
    var handoff = selectedHandoff();
    var text = handoff ? lastDriverMessage(handoff) : "";
    if (!text) { toast("추천에 쓸 기사님 메시지가 없습니다.", "danger"); return; }
    el.message.value = text;
    el.conversation.value = String(handoff.conversation_id || "");
    el.message.focus();
    suggest();
  }

  /* ---------- live suggestions (실시간 추천) for a taken handoff ----------
   * Once the agent has taken a conversation, each new driver message in the polled transcript gets
   * its own suggestion (POST suggest with the conversation id: the server reads the driver's
   * conversation and never writes to it). Which message was already suggested for is remembered per
   * handoff, so a poll that brings nothing new costs no request. */

  var WHISPER_KEEP = 5;
  // domain.yml forms and their requested slots, consignment/assist.py q3_step, in the agent's words
  var FORM_LABELS = { restriction_form: "배차 제한 확인 (발주사 확인 · 본인확인)" };
  var REQUESTED_LABELS = {
    ordering_company: "발주사 확인", driver_name: "기사님 성함", phone_number: "휴대폰 번호", call_type: "콜타입"
  };
  var Q3_STEP_LABELS = {
    ordering_company: "탐색 — 발주사가 카카오 모빌리티인지 확인",
    other_company: "발주사가 다른 업체 — 해당 업체로 문의 안내",
    driver_name: "본인확인 — 성함 확인",
    phone_number: "본인확인 — 휴대폰 번호 확인",
    lookup: "본인확인 완료 — 어드민 조회"
  };

  function latestDriverLine(handoff) {
    var lines = Array.isArray(handoff.transcript) ? handoff.transcript : [];
    for (var i = lines.length - 1; i >= 0; i--) {
      var line = lines[i];
      if (line && line.from === "driver" && typeof line.text === "string" && line.text.trim() && !isPayload(line.text)) {
        return { text: line.text.trim(), timestamp: line.timestamp, key: String(line.timestamp) + "|" + line.text };
      }
    }
    return null;
  }

  function whisperEntry(handoffId) {
    if (!state.whisper[handoffId]) state.whisper[handoffId] = { key: null, cards: [], version: 0 };
    return state.whisper[handoffId];
  }

  function pruneWhisper() {
    var present = {};
    state.handoffs.forEach(function (h) { present[h.handoff_id] = true; });
    Object.keys(state.whisper).forEach(function (id) { if (!present[id]) delete state.whisper[id]; });
  }

  // Called on every render of the detail panel: asks for a suggestion only for a driver message not seen yet.
  function updateWhisper(handoff, mine) {
    if (!mine) {
      renderWhisper(handoff, false);
      return;
    }
    var latest = latestDriverLine(handoff);
    var entry = whisperEntry(handoff.handoff_id);
    if (latest && latest.key !== entry.key) {
      entry.key = latest.key;
      var item = { key: latest.key, message: latest.text, timestamp: latest.timestamp, card: null, error: null,
                   pending: true, verdict: null, feedbackError: null, id: ++state.whisperSeq };
      entry.cards.push(item);
      if (entry.cards.length > WHISPER_KEEP) entry.cards.splice(0, entry.cards.length - WHISPER_KEEP);
      entry.version++;
      requestWhisper(handoff, entry, item);
    }
    renderWhisper(handoff, true);
  }

  function requestWhisper(handoff, entry, item) {
    var body = { text: item.message };
    if (handoff.conversation_id) body.conversation_id = String(handoff.conversation_id);
    item.pending = true;
    item.error = null;
    call("POST", "suggest", body).then(function (card) {
      item.card = card;
      var selected = selectedHandoff();
      if (selected && selected.handoff_id === handoff.handoff_id && entry.cards[entry.cards.length - 1] === item) {
        el.whisperAnnounce.textContent = "새 추천: " + (card.summary || "요약 없음");
      }
    }, function (error) {
      item.error = error;
    }).then(function () {
      item.pending = false;
      entry.version++;
      var selected = selectedHandoff();
      if (selected && selected.handoff_id === handoff.handoff_id) renderWhisper(selected, true);
    });
  }

  function stageText(conversation) {
    if (!conversation) return "기사님 대화를 읽지 못했습니다 — 메시지만으로 추천했습니다";
    var parts = [];
    if (conversation.active_form) {
      parts.push("진행 중: " + (FORM_LABELS[conversation.active_form] || conversation.active_form));
    }
    if (conversation.q3_step) {
      parts.push("단계: " + (Q3_STEP_LABELS[conversation.q3_step] || conversation.q3_step));
    } else if (conversation.requested_slot) {
      parts.push("묻는 중: " + (REQUESTED_LABELS[conversation.requested_slot] || SLOT_LABELS[conversation.requested_slot] || conversation.requested_slot));
    }
    return parts.length ? parts.join(" · ") : "진행 중인 단계 없음 — 상담원 응대 중";
  }

  function renderWhisper(handoff, mine) {
    var entry = state.whisper[handoff.handoff_id];
    var renderKey = handoff.handoff_id + ":" + (mine ? "mine" : "other") + ":" + (entry ? entry.version : -1);
    if (renderKey === state.whisperRendered) return;
    state.whisperRendered = renderKey;
    clear(el.whisperCards);
    if (!mine) {
      setStateLine(el.whisperState, "whisper-state", handoff.status === "open"
        ? "맡기를 누르면 기사님 메시지마다 추천 답변이 여기에 표시됩니다." : "이 상담을 맡은 상담사에게만 추천이 표시됩니다.");
      return;
    }
    if (!entry || !entry.cards.length) {
      setStateLine(el.whisperState, "whisper-state", "기사님의 새 메시지가 오면 추천 답변이 자동으로 표시됩니다.");
      return;
    }
    setStateLine(el.whisperState, "whisper-state", "");
    for (var i = entry.cards.length - 1; i >= 0; i--) {
      el.whisperCards.appendChild(whisperCard(handoff, entry.cards[i], i === entry.cards.length - 1));
    }
  }

  function whisperCard(handoff, item, latest) {
    var box = make("details", "whisper-card" + (latest ? " is-latest" : ""));
    box.open = latest || !!item.expanded;
    box.setAttribute("data-testid", "whisper-card");
    box.setAttribute("data-latest", latest ? "true" : "false");
    box.addEventListener("toggle", function () { if (!latest) item.expanded = box.open; });

    var head = make("summary", "whisper-head");
    var quote = make("span", "whisper-quote", item.message);
    quote.setAttribute("data-testid", "whisper-message");
    head.appendChild(quote);
    var meta = make("span", "whisper-when");
    var time = clock(parseTime(item.timestamp));
    meta.textContent = (latest ? "최신 메시지" : "이전 메시지") + (time ? " · " + time : "");
    head.appendChild(meta);
    box.appendChild(head);

    var body = make("div", "whisper-body");
    box.appendChild(body);
    if (item.pending) {
      var wait = make("p", "whisper-pending", "추천을 불러오는 중…");
      wait.setAttribute("data-testid", "whisper-pending");
      body.appendChild(wait);
      box.setAttribute("aria-busy", "true");
      return box;
    }
    if (item.error || !item.card) {
      var failure = make("div", "alert");
      failure.setAttribute("data-testid", "whisper-error");
      failure.appendChild(make("strong", "alert-title", item.error ? item.error.title : "오류"));
      failure.appendChild(make("span", "alert-detail", item.error ? item.error.detail : "추천을 받지 못했습니다."));
      body.appendChild(failure);
      var retry = make("button", "btn btn-ghost btn-small", "다시 시도");
      retry.type = "button";
      retry.setAttribute("data-testid", "whisper-retry");
      retry.addEventListener("click", function () {
        var entry = whisperEntry(handoff.handoff_id);
        item.pending = true;
        entry.version++;
        renderWhisper(handoff, true);
        requestWhisper(handoff, entry, item);
      });
      body.appendChild(retry);
      return box;
    }

    var card = item.card;
    var intent = card.intent || {};
    box.setAttribute("data-suggestion-id", String(card.suggestion_id || ""));
    box.setAttribute("data-intent", String(intent.name || ""));

    var top = make("div", "whisper-intent");
    var summary = make("p", "whisper-summary", card.summary || "요약 없음");
    summary.setAttribute("data-testid", "whisper-summary");
    top.appendChild(summary);
    var confidence = percent(intent.confidence);
    var code = make("span", "whisper-code" + (confidence < 50 ? " is-low" : ""), (intent.name || "알 수 없음") + " · " + confidence + "%");
    code.setAttribute("data-testid", "whisper-intent");
    top.appendChild(code);
    body.appendChild(top);

    var facts = make("dl", "whisper-facts");
    var callType = make("div");
    callType.appendChild(make("dt", null, "콜타입"));
    var callTypeValue = make("dd", card.call_type ? null : "is-unknown", card.call_type || "미확인");
    callTypeValue.setAttribute("data-testid", "whisper-call-type");
    callType.appendChild(callTypeValue);
    facts.appendChild(callType);
    var stage = make("div", "whisper-stage-box");
    stage.appendChild(make("dt", null, "대화 단계"));
    var stageValue = make("dd", null, stageText(card.conversation));
    stageValue.setAttribute("data-testid", "whisper-stage");
    stage.appendChild(stageValue);
    facts.appendChild(stage);
    body.appendChild(facts);

    var next = make("div", "whisper-next");
    next.appendChild(make("span", "whisper-next-label", "다음 단계"));
    var nextText = make("p", "whisper-next-text", card.next_step || "—");
    nextText.setAttribute("data-testid", "whisper-next-step");
    next.appendChild(nextText);
    body.appendChild(next);

    var script = card.script || [];
    if (script.length) {
      var list = make("ol", "whisper-script");
      list.setAttribute("aria-label", "추천 스크립트");
      script.forEach(function (line, index) {
        var text = line && typeof line.text === "string" ? line.text : "";
        if (!text) return;
        var row = make("li", "whisper-line");
        row.setAttribute("data-testid", "whisper-line");
        row.setAttribute("data-response", line.response ? String(line.response) : "");
        row.appendChild(make("p", "whisper-line-text", text));
        var insert = make("button", "btn btn-copy btn-insert", "답변란에 넣기");
        insert.type = "button";
        insert.setAttribute("data-testid", "whisper-insert");
        insert.setAttribute("aria-label", (index + 1) + "번째 줄을 답변란에 넣기");
        insert.addEventListener("click", function () { insertIntoReply(handoff, item, text); });
        row.appendChild(insert);
        list.appendChild(row);
      });
      body.appendChild(list);
    } else {
      body.appendChild(make("p", "muted", "정해진 스크립트가 없습니다. 다음 단계를 참고해 직접 답변해 주세요."));
    }

    var foot = make("div", "whisper-foot");
    var reject = make("button", "btn btn-ghost btn-small", "안 맞음");
    reject.type = "button";
    reject.setAttribute("data-testid", "whisper-reject");
    reject.disabled = item.verdict !== null;
    reject.addEventListener("click", function () { whisperFeedback(handoff, item, "rejected"); });
    foot.appendChild(reject);
    var note = make("span", "whisper-verdict" + (item.feedbackError ? " is-error" : item.verdict ? " is-ok" : ""),
      item.feedbackError ? "피드백 저장 실패: " + item.feedbackError
        : item.verdict === "used" ? "사용함으로 기록됨"
          : item.verdict === "edited" ? "수정함으로 기록됨"
            : item.verdict === "rejected" ? "안 맞음으로 기록됨" : "");
    note.setAttribute("data-testid", "whisper-verdict");
    foot.appendChild(note);
    body.appendChild(foot);
    return box;
  }

  // A script line goes into the reply box (never sent from here); the suggestion counts as used, once.
  function insertIntoReply(handoff, item, text) {
    var selected = selectedHandoff();
    if (!selected || selected.handoff_id !== handoff.handoff_id || el.reply.disabled) {
      toast("이 상담을 맡은 뒤에 답변란에 넣을 수 있습니다.", "danger");
      return;
    }
    var current = el.reply.value.replace(/\s+$/, "");
    el.reply.value = current ? current + "\n" + text : text;
    state.replyDraft = { handoffId: handoff.handoff_id, item: item, inserted: el.reply.value.trim() };
    el.reply.focus();
    try { el.reply.setSelectionRange(el.reply.value.length, el.reply.value.length); } catch (e) { /* not focusable */ }
    setStateLine(el.replyState, "reply-state", "추천 문장을 넣었습니다. 확인 후 보내기를 누르세요.");
    if (!item.verdict) whisperFeedback(handoff, item, "used");
  }

  // After a reply was sent: if it was built from a suggestion and changed before sending, "edited" (once).
  function whisperReplySent(handoff, text) {
    var draft = state.replyDraft;
    state.replyDraft = null;
    if (!draft || draft.handoffId !== handoff.handoff_id) return;
    if (text !== draft.inserted && !draft.item.edited) whisperFeedback(handoff, draft.item, "edited");
  }

  function whisperFeedback(handoff, item, verdict) {
    var card = item.card;
    if (!card || !card.suggestion_id) return;
    if (verdict === "used" || verdict === "rejected") {
      if (item.verdict) return;
      item.verdict = verdict;
    } else if (verdict === "edited") {
      item.edited = true;
    }
    item.feedbackError = null;
    call("POST", "feedback", { suggestion_id: card.suggestion_id, verdict: verdict }).then(function () {
      if (verdict === "edited") item.verdict = "edited";
    }, function (error) {
      item.feedbackError = error.title + ": " + error.detail;
      if (verdict !== "edited") item.verdict = null;
    }).then(function () {
      var entry = state.whisper[handoff.handoff_id];
      if (!entry) return;
      entry.version++;
      var selected = selectedHandoff();
      if (selected && selected.handoff_id === handoff.handoff_id) renderWhisper(selected, isMine(selected));
    });
    var entry = state.whisper[handoff.handoff_id];
    if (entry) entry.version++;
    var selected = selectedHandoff();
    if (selected && selected.handoff_id === handoff.handoff_id) renderWhisper(selected, isMine(selected));
  }

  /* ---------- events ---------- */

  var tokenTimer = null;
  function tokenChanged() {
    if (tokenTimer) clearTimeout(tokenTimer);
    tokenTimer = setTimeout(function () { tokenTimer = null; loadHandoffs(); }, 300);
  }
  el.token.addEventListener("input", function () { el.token.removeAttribute("aria-invalid"); saveToken(); tokenChanged(); });
  el.token.addEventListener("change", function () { saveToken(); loadIntents(); });
  $("token-form").addEventListener("submit", function (event) { event.preventDefault(); saveToken(); loadIntents(); tokenChanged(); });
  el.tokenToggle.addEventListener("click", function () {
    var show = el.token.type === "password";
    el.token.type = show ? "text" : "password";
    el.tokenToggle.textContent = show ? "숨기기" : "보기";
    el.tokenToggle.setAttribute("aria-pressed", show ? "true" : "false");
  });

  el.suggestForm.addEventListener("submit", function (event) { event.preventDefault(); suggest(); });
  el.message.addEventListener("keydown", function (event) {
    // Enter suggests; Shift+Enter is a newline; Enter that ends Hangul composition is not a send.
    if (event.key !== "Enter" || event.shiftKey || event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.isComposing || event.keyCode === 229) return;
    event.preventDefault();
    suggest();
  });
  el.conversation.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.isComposing) { event.preventDefault(); suggest(); }
  });
  el.clearButton.addEventListener("click", function () {
    el.message.value = "";
    el.conversation.value = "";
    showError(el.suggestError, null);
    el.message.focus();
  });

  verdictButtons.forEach(function (button) {
    button.addEventListener("click", function () { sendFeedback(button.getAttribute("data-verdict")); });
  });
  el.correctIntent.addEventListener("focus", loadIntents);
  el.correctIntent.addEventListener("change", function () {
    // Choosing the right intent is itself feedback: the suggestion did not match (or was edited).
    if (el.correctIntent.value) sendFeedback(state.verdict === "edited" ? "edited" : "rejected");
  });

  el.lookupForm.addEventListener("submit", function (event) { event.preventDefault(); lookup(); });

  document.addEventListener("keydown", function (event) {
    if (!event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    var match = /^(?:Digit|Numpad)([1-9])$/.exec(event.code || "");
    if (!match || !state.card || el.cardBody.hidden) return;
    var lines = el.script.querySelectorAll(".script-line");
    var index = Number(match[1]) - 1;
    event.preventDefault();
    if (index >= lines.length) { toast(match[1] + "번째 스크립트 줄이 없습니다.", "danger"); return; }
    var line = (state.card.script || [])[index];
    copyLine(line && line.text ? line.text : "", lines[index].querySelector(".btn-copy"), match[1] + "번째 줄");
  });

  el.handoffRefresh.addEventListener("click", loadHandoffs);
  el.takeButton.addEventListener("click", takeHandoff);
  el.resolveButton.addEventListener("click", askResolve);
  el.resolveYes.addEventListener("click", resolveHandoff);
  el.resolveNo.addEventListener("click", cancelResolve);
  el.resolveConfirm.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { event.preventDefault(); cancelResolve(); }
  });
  el.handoffSuggest.addEventListener("click", suggestFromHandoff);
  el.replyForm.addEventListener("submit", function (event) { event.preventDefault(); sendReply(); });
  el.reply.addEventListener("keydown", function (event) {
    // Enter sends; Shift+Enter is a newline; Enter that ends Hangul composition is not a send.
    if (event.key !== "Enter" || event.shiftKey || event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.isComposing || event.keyCode === 229) return;
    event.preventDefault();
    sendReply();
  });
  setInterval(loadHandoffs, HANDOFF_REFRESH_MS);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) loadHandoffs(); });

  loadToken();
  if (token()) loadIntents();
  loadHandoffs();
})();
