/* 위탁콜 상담 도우미 — 상담사 콘솔.
 *
 * No framework, no external resources. Every piece of data from the server is inserted with
 * textContent (never innerHTML), so a driver's message or a script line cannot inject markup.
 * API: POST /webhooks/assist/{suggest,lookup,feedback}, GET /webhooks/assist/intents, all with
 * `Authorization: Bearer <agent token>`; errors are {"error": "<Korean message>"}.
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
    lookupScript: $("lookup-script"), toast: $("toast")
  };
  var verdictButtons = Array.prototype.slice.call(document.querySelectorAll("[data-verdict]"));

  var state = { card: null, suggestSeq: 0, lookupSeq: 0, intentsFor: null, verdict: null };

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
    try { return window.localStorage; } catch (e) { return null; }
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

  /* ---------- events ---------- */

  el.token.addEventListener("input", function () { el.token.removeAttribute("aria-invalid"); saveToken(); });
  el.token.addEventListener("change", function () { saveToken(); loadIntents(); });
  $("token-form").addEventListener("submit", function (event) { event.preventDefault(); saveToken(); loadIntents(); });
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

  loadToken();
  if (token()) loadIntents();
})();
