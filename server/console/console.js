/* 위탁콜 상담 도우미 — 상담사 콘솔.
 *
 * API (all with `Authorization: Bearer <agent token>`; errors are {"error": "<Korean message>"};
 * server/assist_openapi.json describes every field):
 *   POST suggest {text, conversation_id?}, POST lookup, POST feedback, GET intents
 *   GET  handoffs                  the queue: queue data, `reason_label`, the one-line `summary`; no transcript
 *   POST handoffs/<id>/take        takes it; answers with the taker's view: `handoff` (full packet) and `transcript`
 *   GET  handoffs/<id>             the taker's view again (polled while the agent holds it)
 *   POST handoffs/<id>/reply|resolve
 * A driver's messages (the transcript, what was asked, the slots) reach only the agent who took
 * the conversation; every other agent's queue shows why, which call type and the summary.
 *
 * Where things are (one section each, in this order):
 *   labels                 what the page says for the API's keys
 *   page                   the page's elements (`el`)
 *   token / api            the agent token field, `call(method, path, body)`
 *   copy                   clipboard, toast, a script as copyable lines
 *   SuggestionCard         the 추천 답변 card: suggest, render, feedback buttons
 *   Lookup                 기사 배차 제한 조회
 *   HandoffQueue           상담 연결 대기: the polled list and its items
 *   HandoffDetail          the selected handoff: the taker's view, transcript, 맡기 / 답장 / 종료
 *   LiveSuggestions        실시간 추천 for a taken handoff: one card per new driver message
 *   start                  events, the poll, the first load
 * Shared with the lead dashboard and the Zendesk app: common.js (AssistCommon), loaded first.
 * Every value from the server is inserted with textContent (never innerHTML), so a driver's
 * message or a script line cannot inject markup.
 */
(function (common) {
  "use strict";

  var make = common.make, clear = common.clear, percent = common.percent, setBusy = common.setBusy;
  var parseTime = common.parseTime, clock = common.clock, ApiError = common.ApiError;

  /* ---------- labels ---------- */

  var API = "/webhooks/assist/";
  var TOKEN_KEY = "assist.agentToken";
  var HANDOFF_REFRESH_MS = 5000;
  var LOOKUP_STATUS = {
    suspended: { label: "정지", tone: "danger" },
    customer_blocked: { label: "특정 고객 차단", tone: "warn" },
    none: { label: "내역 없음", tone: "ok" }
  };
  var HANDOFF_STATUS = {
    open: { label: "대기", tone: "warn" },
    taken: { label: "진행 중", tone: "ok" }
  };
  // handoff reasons are named by the server (`reason_label`, content/agent_assist.yml handoff_reasons)
  var UNKNOWN_REASON = "사유 미상";
  var SLOT_LABELS = {
    call_type: "콜타입", partner_app: "이용 앱", ordering_company: "발주사",
    driver_name: "기사님 성함", phone_number: "휴대폰 번호"
  };
  var SPEAKERS = { driver: "기사님", bot: "봇", agent: "상담원" };
  var LOADING_VIEW = "불러오는 중…";
  var NOT_DELIVERED = "기사님 화면에 바로 전달되지 않았습니다 (대화 기록에 남았습니다). 앱(REST)으로 대화 중인 기사님께는 앱이 새 답변을 확인할 때나 다음 메시지와 함께 전해집니다";
  var ONLY_THE_TAKER = {
    open: "맡기를 누르면 기사님 문의 내용과 대화 기록이 표시됩니다.",
    taken: "이 상담을 맡은 상담사에게만 표시됩니다."
  };
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

  /* ---------- page ---------- */

  function $(id) { return document.getElementById(id); }

  var el = {
    token: $("token"), tokenToggle: $("token-toggle"), tokenState: $("token-state"), tokenForm: $("token-form"),
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
    detailTopic: $("detail-topic"), detailIdentity: $("detail-identity"),
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

  function setStateLine(node, baseClass, text, tone) {
    node.textContent = text || "";
    node.className = baseClass + (tone ? " is-" + tone : "");
  }

  function isPayload(text) { return /^\//.test(text || ""); }

  /* ---------- token / api ---------- */

  var tokenField = common.tokenField(el.token, el.tokenState, TOKEN_KEY);
  function token() { return tokenField.value(); }

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

  function call(method, path, body) {
    if (!token()) {
      return Promise.reject(new ApiError(0, "토큰 확인", "상단에 상담사 토큰을 입력해 주세요."));
    }
    return common.fetchJson(API + path, { method: method, token: token(), body: body });
  }

  // an alert box; a refused token is marked on the token field
  function showError(box, error) {
    common.showError(box, error);
    if (error && (error.status === 401 || (error.status === 0 && !token()))) {
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

  // a script as numbered lines, each with its copy button (Alt+1…9 when `shortcuts`)
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
      // the response's key stays in data-response for tools, out of the agent's reading
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

  /* ---------- SuggestionCard: 추천 답변 ---------- */

  function SuggestionCard() {
    var current = null;   // the card shown
    var verdict = null;   // the feedback given on it
    var seq = 0;          // a newer request makes an older answer stale
    var intentsFor = null; // the token the intent list was loaded with

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
      var mine = ++seq;
      showError(el.suggestError, null);
      setBusy(el.suggestButton, true, "분석 중…", "추천 받기");
      el.card.setAttribute("aria-busy", "true");
      call("POST", "suggest", body).then(function (card) {
        if (mine !== seq) return;
        el.token.removeAttribute("aria-invalid");
        render(card, conversationId);
        loadIntents();
      }, function (error) {
        if (mine !== seq) return;
        showError(el.suggestError, error);
      }).then(function () {
        if (mine !== seq) return;
        setBusy(el.suggestButton, false, "분석 중…", "추천 받기");
        el.card.removeAttribute("aria-busy");
      });
    }

    function render(card, conversationId) {
      current = card;
      verdict = null;
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
        var name = make("span", "ranking-name", candidate.summary || candidate.name);
        if (candidate.summary) name.setAttribute("title", candidate.name);
        item.appendChild(name);
        item.appendChild(make("span", "ranking-value", percent(candidate.confidence) + "%"));
        el.ranking.appendChild(item);
      });

      el.nextStep.textContent = card.next_step || "—";
      el.callType.textContent = card.call_type || "미확인";
      el.callType.classList.toggle("is-unknown", !card.call_type);
      el.path.textContent = card.consultation_path || "—";
      renderOrder(card.response_order || {});
      renderEntities(card.entities || []);
      renderConversation(card.conversation, conversationId);

      var script = card.script || [];
      renderScript(el.script, script, true);
      el.scriptEmpty.hidden = script.length > 0;
      renderReferences(card.references || []);

      verdictButtons.forEach(function (button) { button.setAttribute("aria-pressed", "false"); button.disabled = false; });
      el.correctIntent.value = "";
      setStateLine(el.feedbackState, "feedback-state", "");
      el.suggestionId.textContent = card.suggestion_id || "";

      el.cardEmpty.hidden = true;
      el.cardBody.hidden = false;
    }

    function renderOrder(order) {
      clear(el.order);
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
    }

    function renderEntities(entities) {
      clear(el.entities);
      entities.forEach(function (entity) {
        var chip = make("li", "chip");
        chip.appendChild(make("span", "chip-key", entity.label || entity.entity));
        chip.appendChild(make("span", "chip-value", entity.value));
        el.entities.appendChild(chip);
      });
      el.entitiesBlock.hidden = entities.length === 0;
    }

    function renderReferences(references) {
      clear(el.references);
      references.forEach(function (ref) {
        var item = make("li", "ref");
        item.setAttribute("data-testid", "reference");
        item.appendChild(make("span", "ref-title", ref.title));
        if (ref.section) item.appendChild(make("span", "ref-section", ref.section));
        if (ref.note) item.appendChild(make("span", "ref-note", ref.note));
        el.references.appendChild(item);
      });
      el.referencesBlock.hidden = references.length === 0;
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

    // the intents an agent may pick as the right one (for feedback), once per token
    function loadIntents() {
      var now = token();
      if (!now || intentsFor === now) return;
      intentsFor = now;
      call("GET", "intents").then(function (data) {
        var chosen = el.correctIntent.value;
        while (el.correctIntent.options.length > 1) el.correctIntent.remove(1);
        var labels = data.labels || {};
        (data.intents || []).slice().sort().forEach(function (name) {
          var option = document.createElement("option");
          option.value = name;
          option.textContent = labels[name] || name;
          el.correctIntent.appendChild(option);
        });
        el.correctIntent.value = chosen;
      }, function () { intentsFor = null; });
    }

    function sendFeedback(given) {
      if (!current || !current.suggestion_id) return;
      var corrected = el.correctIntent.value;
      var predicted = current.intent && current.intent.name;
      var body = { suggestion_id: current.suggestion_id, verdict: given };
      if (corrected && corrected !== predicted && given !== "used") body.corrected_intent = corrected;
      var suggestionId = current.suggestion_id;
      setStateLine(el.feedbackState, "feedback-state", "저장 중…");
      verdictButtons.forEach(function (button) { button.disabled = true; });
      call("POST", "feedback", body).then(function () {
        if (!current || current.suggestion_id !== suggestionId) return;
        verdict = given;
        verdictButtons.forEach(function (button) {
          button.setAttribute("aria-pressed", button.getAttribute("data-verdict") === given ? "true" : "false");
        });
        setStateLine(el.feedbackState, "feedback-state",
          "저장되었습니다" + (body.corrected_intent ? " (정정: " + el.correctIntent.options[el.correctIntent.selectedIndex].textContent + ")" : ""), "ok");
      }, function (error) {
        if (!current || current.suggestion_id !== suggestionId) return;
        setStateLine(el.feedbackState, "feedback-state", error.title + ": " + error.detail, "error");
      }).then(function () {
        verdictButtons.forEach(function (button) { button.disabled = false; });
      });
    }

    // Alt+1…9 copies that line of the card's script
    function copyShortcut(event) {
      if (!event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
      var match = /^(?:Digit|Numpad)([1-9])$/.exec(event.code || "");
      if (!match || !current || el.cardBody.hidden) return;
      var lines = el.script.querySelectorAll(".script-line");
      var index = Number(match[1]) - 1;
      event.preventDefault();
      if (index >= lines.length) { toast(match[1] + "번째 스크립트 줄이 없습니다.", "danger"); return; }
      var line = (current.script || [])[index];
      copyLine(line && line.text ? line.text : "", lines[index].querySelector(".btn-copy"), match[1] + "번째 줄");
    }

    return {
      suggest: suggest,
      loadIntents: loadIntents,
      tokenChanged: function () { intentsFor = null; },
      sendFeedback: sendFeedback,
      // choosing the right intent is itself feedback: the suggestion did not match (or was edited)
      correctIntentChosen: function () { if (el.correctIntent.value) sendFeedback(verdict === "edited" ? "edited" : "rejected"); },
      copyShortcut: copyShortcut
    };
  }

  /* ---------- Lookup: 기사 배차 제한 조회 ---------- */

  function Lookup() {
    var seq = 0;

    function query(value) {
      var compact = value.replace(/[\s\-().]/g, "");
      if (/^\+?\d{9,13}$/.test(compact)) return { phone: value };
      return { driver_id: value.toUpperCase() };
    }

    function run() {
      var value = el.lookup.value.trim();
      if (!value) {
        showError(el.lookupError, new ApiError(0, "입력 확인", "기사 ID 또는 휴대폰 번호를 입력해 주세요."));
        el.lookup.focus();
        return;
      }
      var mine = ++seq;
      showError(el.lookupError, null);
      setBusy(el.lookupButton, true, "조회 중…", "조회");
      call("POST", "lookup", query(value)).then(function (result) {
        if (mine !== seq) return;
        el.token.removeAttribute("aria-invalid");
        render(result);
      }, function (error) {
        if (mine !== seq) return;
        el.lookupResult.hidden = true;
        showError(el.lookupError, error);
      }).then(function () {
        if (mine !== seq) return;
        setBusy(el.lookupButton, false, "조회 중…", "조회");
      });
    }

    function render(result) {
      var status = LOOKUP_STATUS[result.status] || { label: String(result.status || "알 수 없음"), tone: "neutral" };
      el.lookupDriver.textContent = (result.name || "이름 없음") + " · " + (result.driver_id || "");
      el.lookupPhone.textContent = result.phone || "";
      el.lookupStatus.textContent = status.label;
      el.lookupStatus.className = "badge badge-" + status.tone;
      el.lookupReason.textContent = result.reason || "—";
      el.lookupBlocked.textContent = (Number(result.blocked_customers) || 0) + "명";
      renderScript(el.lookupScript, result.script || [], false);
      el.lookupResult.hidden = false;
    }

    return { run: run };
  }

  /* ---------- handoff words shared by the queue and the detail ---------- */

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

  function reasonText(handoff) {
    return typeof handoff.reason_label === "string" && handoff.reason_label ? handoff.reason_label : UNKNOWN_REASON;
  }

  function summaryText(handoff) {
    return handoff.summary || packetOf(handoff).summary || "요약 없음";
  }

  function callTypeText(packet) {
    var text = packet.call_type ? String(packet.call_type) : "콜타입 미확인";
    if (packet.consultation_type && packet.consultation_type !== packet.call_type) text += " · 상담 유형 " + packet.consultation_type;
    return text;
  }

  // channel, topic and 본인확인 are labelled by the server (content/agent_assist.yml)
  function channelText(handoff) {
    return typeof handoff.channel_label === "string" && handoff.channel_label ? handoff.channel_label : "채널 미상";
  }

  function topicText(handoff) {
    return typeof handoff.topic_label === "string" && handoff.topic_label ? handoff.topic_label : "주제 미확인";
  }

  function identityText(handoff) {
    return typeof handoff.identity_check_label === "string" && handoff.identity_check_label
      ? handoff.identity_check_label : "본인확인 미상";
  }

  // when the driver asked: two requests waiting "1분 미만" are still told apart
  function askedAt(handoff) {
    var time = clock(parseTime(handoff.created_at));
    return time ? time + " 요청" : "";
  }

  function isMine(handoff) {
    var me = myAgentId();
    return handoff.status === "taken" && (!me || !handoff.agent_id || handoff.agent_id === me);
  }

  function handoffPath(handoffId, action) {
    return "handoffs/" + encodeURIComponent(handoffId) + (action ? "/" + action : "");
  }

  /* ---------- HandoffQueue: 상담 연결 대기 ---------- */

  function HandoffQueue(onChange) {
    var items = [];       // the queue as last listed: queue data only
    var loaded = false;   // at least one list arrived with this token
    var seq = 0, busy = false, again = false;

    function load() {
      if (!token()) {
        seq++;
        items = [];
        loaded = false;
        showError(el.handoffError, null);
        el.handoffUpdated.textContent = "";
        onChange("상단에 상담사 토큰을 입력하면 상담 연결 요청이 표시됩니다.");
        return;
      }
      if (busy) { again = true; return; }
      busy = true;
      again = false;
      var mine = ++seq;
      el.handoffRefresh.disabled = true;
      el.handoffRefresh.setAttribute("aria-busy", "true");
      call("GET", "handoffs").then(function (data) {
        if (mine !== seq) return;
        showError(el.handoffError, null);
        items = Array.isArray(data.handoffs) ? data.handoffs.filter(function (h) {
          return h && typeof h.handoff_id === "string";
        }) : [];
        loaded = true;
        el.handoffUpdated.textContent = "갱신 " + clock(new Date());
        onChange();
      }, function (error) {
        if (mine !== seq) return;
        showError(el.handoffError, error);
      }).then(function () {
        busy = false;
        el.handoffRefresh.disabled = false;
        el.handoffRefresh.removeAttribute("aria-busy");
        if (again) load();
      });
    }

    // After a take/reply/resolve: the local change stands, a poll already on its way is dropped.
    function reload() {
      seq++;
      load();
    }

    function find(handoffId) {
      for (var i = 0; i < items.length; i++) if (items[i].handoff_id === handoffId) return items[i];
      return null;
    }

    function remove(handoffId) {
      items = items.filter(function (h) { return h.handoff_id !== handoffId; });
    }

    // Items are kept and updated in place: a poll never takes a button away from under the pointer.
    function render(selectedId, onSelect, emptyText) {
      var waiting = items.filter(function (h) { return h.status === "open"; }).length;
      el.handoffCount.textContent = String(items.length);
      el.handoffCount.className = "count" + (waiting ? " is-waiting" : "");
      el.handoffCount.setAttribute("aria-label", "전체 " + items.length + "건, 대기 " + waiting + "건");

      var existing = {};
      Array.prototype.forEach.call(el.handoffList.children, function (item) {
        existing[item.getAttribute("data-handoff-id")] = item;
      });
      items.forEach(function (handoff, index) {
        var item = existing[handoff.handoff_id] || createItem(handoff.handoff_id, onSelect);
        delete existing[handoff.handoff_id];
        fillItem(item, handoff, handoff.handoff_id === selectedId);
        if (el.handoffList.children[index] !== item) el.handoffList.insertBefore(item, el.handoffList.children[index] || null);
      });
      Object.keys(existing).forEach(function (id) { el.handoffList.removeChild(existing[id]); });

      el.handoffListEmpty.textContent = emptyText || "대기 중인 상담 연결 요청이 없습니다.";
      el.handoffListEmpty.hidden = items.length > 0;
    }

    function createItem(handoffId, onSelect) {
      var item = make("li", "handoff-entry");
      item.setAttribute("data-handoff-id", handoffId);
      var button = make("button", "handoff-item");
      button.type = "button";
      button.setAttribute("data-testid", "handoff-item");
      button.setAttribute("data-handoff-id", handoffId);
      button.addEventListener("click", function () { onSelect(handoffId); });
      item.appendChild(button);
      return item;
    }

    function tagged(tag, className, text, testId) {
      var node = make(tag, className, text);
      if (testId) node.setAttribute("data-testid", testId);
      return node;
    }

    function fillItem(item, handoff, selected) {
      var packet = packetOf(handoff);
      var status = statusOf(handoff);
      var button = item.firstChild;
      button.setAttribute("data-conversation-id", String(handoff.conversation_id || ""));
      button.setAttribute("data-status", String(handoff.status || ""));
      button.classList.toggle("is-selected", selected);
      if (selected) button.setAttribute("aria-current", "true"); else button.removeAttribute("aria-current");
      clear(button);

      var top = make("span", "handoff-item-top");
      top.appendChild(tagged("span", "badge badge-" + status.tone, status.label, "handoff-status"));
      top.appendChild(tagged("span", "handoff-topic", topicText(handoff), "handoff-topic"));
      var when = make("span", "handoff-when");
      when.appendChild(tagged("span", "handoff-wait", waitText(handoff), "handoff-wait"));
      when.appendChild(tagged("span", "handoff-asked", askedAt(handoff), "handoff-asked"));
      top.appendChild(when);
      button.appendChild(top);
      button.appendChild(tagged("span", "handoff-summary", summaryText(handoff), "handoff-summary"));

      var tags = make("span", "handoff-tags");
      var identity = tagged("span", "tag tag-identity", identityText(handoff), "handoff-identity");
      identity.setAttribute("data-identity-check", String(packet.identity_check || ""));
      tags.appendChild(identity);
      tags.appendChild(tagged("span", "tag", channelText(handoff), "handoff-channel"));
      tags.appendChild(tagged("span", "tag", reasonText(handoff), "handoff-reason"));
      tags.appendChild(tagged("span", "tag", callTypeText(packet), "handoff-call-type"));
      button.appendChild(tags);
      button.appendChild(tagged("span", "handoff-path", packet.consultation_path || "상담 경로 없음", "handoff-path"));
    }

    return {
      load: load, reload: reload, find: find, remove: remove, render: render,
      items: function () { return items; },
      loaded: function () { return loaded; }
    };
  }

  /* ---------- HandoffDetail: the selected handoff, the taker's view, 맡기 / 답장 / 종료 ---------- */

  function HandoffDetail(queue, card, live) {
    var selected = null;       // handoff id
    var views = {};            // handoff id → the taker's view: {handoff, transcript, error, loading}
    var actionBusy = false, replyBusy = false, transcriptKey = null;

    function current() { return selected ? queue.find(selected) : null; }

    // the taker's view of a handoff the agent holds (from take, then GET handoffs/<id>)
    function viewOf(handoff) {
      var view = handoff && isMine(handoff) ? views[handoff.handoff_id] : null;
      return view && (view.handoff || view.transcript || view.error) ? view : null;
    }

    function transcriptOf(handoff) {
      var view = viewOf(handoff);
      return view && Array.isArray(view.transcript) ? view.transcript : [];
    }

    function keepView(handoffId, data) {
      var view = views[handoffId] || (views[handoffId] = {});
      if (data.handoff && typeof data.handoff === "object") view.handoff = data.handoff;
      if (Array.isArray(data.transcript)) {
        view.transcript = data.transcript;
        view.error = null;
      } else if (data.transcript === null || data.transcript_error) {
        view.error = data.transcript_error || "대화 기록을 불러오지 못했습니다. 잠시 후 다시 시도해 주세요.";
      }
      return view;
    }

    // The taker's view, again: new driver messages for the transcript and the live suggestions.
    function refreshView(handoff) {
      var view = views[handoff.handoff_id] || (views[handoff.handoff_id] = {});
      if (view.loading) return;
      view.loading = true;
      call("GET", handoffPath(handoff.handoff_id)).then(function (data) {
        keepView(handoff.handoff_id, data);
      }, function (error) {
        if (error.status === 403 || error.status === 404) delete views[handoff.handoff_id];
        else view.error = error.title + ": " + error.detail;
      }).then(function () {
        view.loading = false;
        if (selected === handoff.handoff_id) render();
      });
    }

    // after each poll of the queue: views of handoffs no longer held are dropped, the selected one refreshed
    function queueChanged(emptyText) {
      var held = {};
      queue.items().forEach(function (h) { if (isMine(h)) held[h.handoff_id] = true; });
      Object.keys(views).forEach(function (id) { if (!held[id]) delete views[id]; });
      live.prune(held);
      queue.render(selected, select, emptyText);
      render();
      var handoff = current();
      if (handoff && isMine(handoff)) refreshView(handoff);
    }

    function select(handoffId) {
      if (selected !== handoffId) {
        selected = handoffId;
        transcriptKey = null;
        el.resolveConfirm.hidden = true;
        // the previous conversation's announcement must not be read out as this one's
        el.whisperAnnounce.textContent = "";
        setStateLine(el.handoffState, "handoff-state", "");
        setStateLine(el.replyState, "reply-state", "");
      }
      queue.render(selected, select);
      render();
      var handoff = current();
      if (handoff && isMine(handoff) && !views[handoffId]) refreshView(handoff);
    }

    function render() {
      var handoff = current();
      if (!handoff) {
        if (selected && queue.loaded()) {
          el.handoffNone.textContent = "선택한 요청이 더 이상 목록에 없습니다. 다른 상담사가 종료했을 수 있습니다.";
          selected = null;
        }
        el.handoffBody.hidden = true;
        el.handoffNone.hidden = false;
        return;
      }
      // shown first: the transcript below scrolls to its end, which needs a laid-out box
      el.handoffNone.hidden = true;
      el.handoffBody.hidden = false;
      var mine = isMine(handoff);
      var view = viewOf(handoff);
      var packet = view && view.handoff ? packetOf(view.handoff) : packetOf(handoff);
      var status = statusOf(handoff);

      el.detailSummary.textContent = summaryText(handoff);
      el.detailConversation.textContent = String(handoff.conversation_id || "");
      el.detailChannel.textContent = channelText(handoff);
      el.detailStatus.textContent = status.label;
      el.detailStatus.className = "badge badge-" + status.tone;
      el.detailReason.textContent = reasonText(handoff);
      el.detailCallType.textContent = callTypeText(packet);
      el.detailCallType.classList.toggle("is-unknown", !packet.call_type);
      el.detailWait.textContent = waitText(handoff);
      el.detailTopic.textContent = topicText(handoff);
      el.detailIdentity.textContent = identityText(handoff);
      el.detailPath.textContent = packet.consultation_path || "—";

      // the driver's messages: the taker's view only (still on its way right after a reload)
      var hidden = !mine ? ONLY_THE_TAKER[handoff.status] || ONLY_THE_TAKER.taken : view ? "" : LOADING_VIEW;
      renderAsked(view ? packet : {}, hidden);
      renderSlots(view ? packet : {}, hidden);
      renderTranscript(handoff, view, hidden);
      live.update(handoff, mine, transcriptOf(handoff));

      el.takeButton.disabled = actionBusy || handoff.status !== "open";
      el.takeButton.hidden = handoff.status !== "open";
      // only the taker can end it (the server says so too): nobody is offered what would be refused
      el.resolveButton.hidden = !mine;
      el.resolveButton.disabled = actionBusy || !mine;
      if (!mine) el.resolveConfirm.hidden = true;
      el.handoffSuggest.disabled = !lastDriverMessage(handoff);

      el.reply.disabled = !mine;
      el.replyButton.disabled = !(mine && !replyBusy);
      el.reply.placeholder = mine ? "기사님께 보낼 메시지"
        : handoff.status === "open" ? "맡기를 누르면 답장할 수 있습니다"
          : (handoff.agent_id || "다른 상담사") + " 상담사가 진행 중입니다";
    }

    function renderAsked(packet, hidden) {
      clear(el.detailAsked);
      var asked = Array.isArray(packet.what_was_asked) ? packet.what_was_asked : [];
      asked.forEach(function (text) {
        var item = make("li", "asked-line" + (isPayload(text) ? " is-payload" : ""), text);
        item.setAttribute("data-testid", "asked-line");
        el.detailAsked.appendChild(item);
      });
      el.detailAskedEmpty.textContent = hidden || "기록된 문의가 없습니다.";
      el.detailAskedEmpty.hidden = asked.length > 0;
    }

    function renderSlots(packet, hidden) {
      clear(el.detailSlots);
      var slots = packet.slots && typeof packet.slots === "object" ? packet.slots : {};
      var names = Object.keys(slots).filter(function (name) { return slots[name] !== null && slots[name] !== ""; });
      names.forEach(function (name) {
        var row = make("div", "slot");
        row.setAttribute("data-testid", "slot");
        row.setAttribute("data-slot", name);
        row.appendChild(make("dt", null, SLOT_LABELS[name] || name));
        var value = slots[name];
        row.appendChild(make("dd", null, typeof value === "object" ? JSON.stringify(value) : value));
        el.detailSlots.appendChild(row);
      });
      el.detailSlotsEmpty.textContent = hidden || "입력된 정보가 없습니다.";
      el.detailSlotsEmpty.hidden = names.length > 0;
    }

    function renderTranscript(handoff, view, hidden) {
      var lines = transcriptOf(handoff);
      var last = lines[lines.length - 1];
      var note = hidden || (view && view.error) || "대화 기록이 없습니다.";
      var key = handoff.handoff_id + ":" + lines.length + ":" + (last ? String(last.timestamp) + String(last.text) : "") + ":" + note;
      if (key === transcriptKey) return;
      transcriptKey = key;
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
      el.transcriptEmpty.textContent = note;
      el.transcriptEmpty.hidden = lines.length > 0;
      el.transcript.scrollTop = el.transcript.scrollHeight;
    }

    // the driver's latest typed message (not a button's payload), from the taker's view
    function lastDriverMessage(handoff) {
      var lines = transcriptOf(handoff);
      for (var i = lines.length - 1; i >= 0; i--) {
        var line = lines[i];
        if (line && line.from === "driver" && typeof line.text === "string" && line.text.trim() && !isPayload(line.text)) {
          return line.text.trim();
        }
      }
      var view = viewOf(handoff);
      var asked = view && view.handoff ? packetOf(view.handoff).what_was_asked : null;
      if (Array.isArray(asked)) {
        for (var j = asked.length - 1; j >= 0; j--) {
          if (typeof asked[j] === "string" && asked[j].trim() && !isPayload(asked[j])) return asked[j].trim();
        }
      }
      return "";
    }

    function setActionBusy(busy) {
      actionBusy = busy;
      el.handoffBody.setAttribute("aria-busy", busy ? "true" : "false");
    }

    function take() {
      var handoff = current();
      if (!handoff || actionBusy) return;
      setActionBusy(true);
      setBusy(el.takeButton, true, "맡는 중…", "맡기");
      setStateLine(el.handoffState, "handoff-state", "");
      call("POST", handoffPath(handoff.handoff_id, "take"), {}).then(function (data) {
        handoff.status = "taken";
        handoff.agent_id = data.agent_id || myAgentId();
        handoff.taken_at = new Date().toISOString();
        keepView(handoff.handoff_id, data);
        setStateLine(el.handoffState, "handoff-state", "상담을 맡았습니다. 기사님께 답장할 수 있습니다.", "ok");
        if (selected === handoff.handoff_id) setTimeout(function () { el.reply.focus(); }, 0);
      }, function (error) {
        setStateLine(el.handoffState, "handoff-state", error.title + ": " + error.detail, "error");
      }).then(function () {
        setBusy(el.takeButton, false, "맡는 중…", "맡기");
        setActionBusy(false);
        queue.render(selected, select);
        render();
        queue.reload();
      });
    }

    function askResolve() {
      var handoff = current();
      if (!handoff || actionBusy || !isMine(handoff)) return;
      el.resolveConfirm.hidden = false;
      el.resolveNo.focus();
    }

    function cancelResolve() {
      el.resolveConfirm.hidden = true;
      el.resolveButton.focus();
    }

    function resolve() {
      var handoff = current();
      el.resolveConfirm.hidden = true;
      if (!handoff || actionBusy) return;
      setActionBusy(true);
      setBusy(el.resolveButton, true, "종료 중…", "종료");
      call("POST", handoffPath(handoff.handoff_id, "resolve"), {}).then(function () {
        queue.remove(handoff.handoff_id);
        delete views[handoff.handoff_id];
        if (selected === handoff.handoff_id) selected = null;
        el.handoffNone.textContent = "상담을 종료했습니다. 기사님의 다음 메시지부터 봇이 다시 답변합니다.";
        toast("상담을 종료했습니다");
      }, function (error) {
        setStateLine(el.handoffState, "handoff-state", error.title + ": " + error.detail, "error");
      }).then(function () {
        setBusy(el.resolveButton, false, "종료 중…", "종료");
        setActionBusy(false);
        queue.render(selected, select);
        render();
        queue.reload();
      });
    }

    function reply() {
      var handoff = current();
      var text = el.reply.value.trim();
      if (!handoff || replyBusy || el.reply.disabled) return;
      if (!text) {
        setStateLine(el.replyState, "reply-state", "보낼 메시지를 입력해 주세요.", "error");
        el.reply.focus();
        return;
      }
      replyBusy = true;
      setBusy(el.replyButton, true, "보내는 중…", "보내기");
      setStateLine(el.replyState, "reply-state", "");
      call("POST", handoffPath(handoff.handoff_id, "reply"), { text: text }).then(function (data) {
        live.replySent(handoff, text);
        if (el.reply.value.trim() === text) el.reply.value = "";
        var view = views[handoff.handoff_id] || (views[handoff.handoff_id] = {});
        if (!Array.isArray(view.transcript)) view.transcript = [];
        view.transcript.push({ from: "agent", text: text, timestamp: Date.now() / 1000 });
        if (data.delivered === true) setStateLine(el.replyState, "reply-state", "전달됨", "ok");
        else setStateLine(el.replyState, "reply-state", NOT_DELIVERED, "warn");
      }, function (error) {
        setStateLine(el.replyState, "reply-state", error.title + ": " + error.detail, "error");
      }).then(function () {
        replyBusy = false;
        setBusy(el.replyButton, false, "보내는 중…", "보내기");
        render();
        queue.reload();
        if (!el.reply.disabled) el.reply.focus();
      });
    }

    // 이 메시지로 추천 받기: the driver's last message and the conversation id into the suggestion box
    function suggestFromHandoff() {
      var handoff = current();
      var text = handoff ? lastDriverMessage(handoff) : "";
      if (!text) { toast("추천에 쓸 기사님 메시지가 없습니다.", "danger"); return; }
      el.message.value = text;
      el.conversation.value = String(handoff.conversation_id || "");
      el.message.focus();
      card.suggest();
    }

    return {
      queueChanged: queueChanged, current: current, isSelected: function (id) { return selected === id; },
      take: take, askResolve: askResolve, cancelResolve: cancelResolve, resolve: resolve, reply: reply,
      suggestFromHandoff: suggestFromHandoff
    };
  }

  /* ---------- LiveSuggestions: 실시간 추천 for a taken handoff ----------
   * Once the agent has taken a conversation, each new driver message in the taker's view gets its
   * own suggestion (POST suggest with the conversation id: the server reads the driver's
   * conversation and never writes to it). Which message was already suggested for is remembered
   * per handoff, so a poll that brings nothing new costs no request. */

  function LiveSuggestions(detail) {
    var KEEP = 5;
    var entries = {};   // handoff id → {key, cards, version}
    var seq = 0, rendered = null, replyDraft = null;

    function latestDriverLine(lines) {
      for (var i = lines.length - 1; i >= 0; i--) {
        var line = lines[i];
        if (line && line.from === "driver" && typeof line.text === "string" && line.text.trim() && !isPayload(line.text)) {
          return { text: line.text.trim(), timestamp: line.timestamp, key: String(line.timestamp) + "|" + line.text };
        }
      }
      return null;
    }

    function entryOf(handoffId) {
      if (!entries[handoffId]) entries[handoffId] = { key: null, cards: [], version: 0 };
      return entries[handoffId];
    }

    function prune(held) {
      Object.keys(entries).forEach(function (id) { if (!held[id]) delete entries[id]; });
    }

    function shownFor(handoff) {
      var selected = detail().current();
      return selected && selected.handoff_id === handoff.handoff_id ? selected : null;
    }

    // on every render of the detail panel: asks only for a driver message not seen yet
    function update(handoff, mine, transcript) {
      if (!mine) {
        render(handoff, false);
        return;
      }
      var latest = latestDriverLine(transcript);
      var entry = entryOf(handoff.handoff_id);
      if (latest && latest.key !== entry.key) {
        entry.key = latest.key;
        var item = { key: latest.key, message: latest.text, timestamp: latest.timestamp, card: null, error: null,
                     pending: true, verdict: null, feedbackError: null, id: ++seq };
        entry.cards.push(item);
        if (entry.cards.length > KEEP) entry.cards.splice(0, entry.cards.length - KEEP);
        entry.version++;
        request(handoff, entry, item);
      }
      render(handoff, true);
    }

    function request(handoff, entry, item) {
      var body = { text: item.message };
      if (handoff.conversation_id) body.conversation_id = String(handoff.conversation_id);
      item.pending = true;
      item.error = null;
      call("POST", "suggest", body).then(function (card) {
        item.card = card;
        if (shownFor(handoff) && entry.cards[entry.cards.length - 1] === item) {
          el.whisperAnnounce.textContent = "새 추천: " + (card.summary || "요약 없음");
        }
      }, function (error) {
        item.error = error;
      }).then(function () {
        item.pending = false;
        entry.version++;
        var shown = shownFor(handoff);
        if (shown) render(shown, true);
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

    function render(handoff, mine) {
      var entry = entries[handoff.handoff_id];
      var renderKey = handoff.handoff_id + ":" + (mine ? "mine" : "other") + ":" + (entry ? entry.version : -1);
      if (renderKey === rendered) return;
      rendered = renderKey;
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
        el.whisperCards.appendChild(cardBox(handoff, entry.cards[i], i === entry.cards.length - 1));
      }
    }

    function cardBox(handoff, item, latest) {
      var box = make("details", "whisper-card" + (latest ? " is-latest" : ""));
      box.open = latest || !!item.expanded;
      box.setAttribute("data-testid", "whisper-card");
      box.setAttribute("data-latest", latest ? "true" : "false");
      box.addEventListener("toggle", function () { if (!latest) item.expanded = box.open; });

      var head = make("summary", "whisper-head");
      var quote = make("span", "whisper-quote", item.message);
      quote.setAttribute("data-testid", "whisper-message");
      head.appendChild(quote);
      var time = clock(parseTime(item.timestamp));
      head.appendChild(make("span", "whisper-when", (latest ? "최신 메시지" : "이전 메시지") + (time ? " · " + time : "")));
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
        body.appendChild(failureBox(item));
        body.appendChild(retryButton(handoff, item));
        return box;
      }
      fillCard(body, box, handoff, item);
      return box;
    }

    function failureBox(item) {
      var failure = make("div", "alert");
      failure.setAttribute("data-testid", "whisper-error");
      failure.appendChild(make("strong", "alert-title", item.error ? item.error.title : "오류"));
      failure.appendChild(make("span", "alert-detail", item.error ? item.error.detail : "추천을 받지 못했습니다."));
      return failure;
    }

    function retryButton(handoff, item) {
      var retry = make("button", "btn btn-ghost btn-small", "다시 시도");
      retry.type = "button";
      retry.setAttribute("data-testid", "whisper-retry");
      retry.addEventListener("click", function () {
        var entry = entryOf(handoff.handoff_id);
        item.pending = true;
        entry.version++;
        render(handoff, true);
        request(handoff, entry, item);
      });
      return retry;
    }

    function fillCard(body, box, handoff, item) {
      var card = item.card;
      var intent = card.intent || {};
      box.setAttribute("data-suggestion-id", String(card.suggestion_id || ""));
      box.setAttribute("data-intent", String(intent.name || ""));

      var top = make("div", "whisper-intent");
      var summary = make("p", "whisper-summary", card.summary || "요약 없음");
      summary.setAttribute("data-testid", "whisper-summary");
      top.appendChild(summary);
      var confidence = percent(intent.confidence);
      var code = make("span", "whisper-code" + (confidence < 50 ? " is-low" : ""), "신뢰도 " + confidence + "%");
      code.setAttribute("data-testid", "whisper-confidence");
      top.appendChild(code);
      var keys = make("details", "keys");
      keys.appendChild(make("summary", null, "세부 정보"));
      var key = make("p", "intent-name", "인텐트 키 ");
      var keyCode = make("code", null, intent.name || "알 수 없음");
      keyCode.setAttribute("data-testid", "whisper-intent");
      key.appendChild(keyCode);
      keys.appendChild(key);
      top.appendChild(keys);
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

      body.appendChild(scriptList(handoff, item, card.script || []));
      body.appendChild(footer(handoff, item));
    }

    function scriptList(handoff, item, script) {
      if (!script.length) return make("p", "muted", "정해진 스크립트가 없습니다. 다음 단계를 참고해 직접 답변해 주세요.");
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
      return list;
    }

    function footer(handoff, item) {
      var foot = make("div", "whisper-foot");
      var reject = make("button", "btn btn-ghost btn-small", "안 맞음");
      reject.type = "button";
      reject.setAttribute("data-testid", "whisper-reject");
      reject.disabled = item.verdict !== null;
      reject.addEventListener("click", function () { feedback(handoff, item, "rejected"); });
      foot.appendChild(reject);
      var note = make("span", "whisper-verdict" + (item.feedbackError ? " is-error" : item.verdict ? " is-ok" : ""),
        item.feedbackError ? "피드백 저장 실패: " + item.feedbackError
          : item.verdict === "used" ? "사용함으로 기록됨"
            : item.verdict === "edited" ? "수정함으로 기록됨"
              : item.verdict === "rejected" ? "안 맞음으로 기록됨" : "");
      note.setAttribute("data-testid", "whisper-verdict");
      foot.appendChild(note);
      return foot;
    }

    // A script line goes into the reply box (never sent from here); the suggestion counts as used, once.
    function insertIntoReply(handoff, item, text) {
      if (!shownFor(handoff) || el.reply.disabled) {
        toast("이 상담을 맡은 뒤에 답변란에 넣을 수 있습니다.", "danger");
        return;
      }
      var now = el.reply.value.replace(/\s+$/, "");
      el.reply.value = now ? now + "\n" + text : text;
      replyDraft = { handoffId: handoff.handoff_id, item: item, inserted: el.reply.value.trim() };
      el.reply.focus();
      try { el.reply.setSelectionRange(el.reply.value.length, el.reply.value.length); } catch (e) { /* not focusable */ }
      setStateLine(el.replyState, "reply-state", "추천 문장을 넣었습니다. 확인 후 보내기를 누르세요.");
      if (!item.verdict) feedback(handoff, item, "used");
    }

    // After a reply was sent: if it was built from a suggestion and changed before sending, "edited" (once).
    function replySent(handoff, text) {
      var draft = replyDraft;
      replyDraft = null;
      if (!draft || draft.handoffId !== handoff.handoff_id) return;
      if (text !== draft.inserted && !draft.item.edited) feedback(handoff, draft.item, "edited");
    }

    function rerender(handoff) {
      var entry = entries[handoff.handoff_id];
      if (entry) entry.version++;
      var shown = shownFor(handoff);
      if (shown) render(shown, isMine(shown));
    }

    function feedback(handoff, item, verdict) {
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
      }).then(function () { rerender(handoff); });
      rerender(handoff);
    }

    return { update: update, prune: prune, replySent: replySent };
  }

  /* ---------- start: events, the poll, the first load ---------- */

  var card = SuggestionCard();
  var lookup = Lookup();
  var handoffs = null;
  var live = LiveSuggestions(function () { return handoffs; });
  var queue = HandoffQueue(function (emptyText) { handoffs.queueChanged(emptyText); });
  handoffs = HandoffDetail(queue, card, live);

  // Enter sends; Shift+Enter is a newline; Enter that ends Hangul composition is not a send.
  function onEnter(node, action) {
    node.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" || event.shiftKey || event.altKey || event.ctrlKey || event.metaKey) return;
      if (event.isComposing || event.keyCode === 229) return;
      event.preventDefault();
      action();
    });
  }

  function submits(form, action) {
    form.addEventListener("submit", function (event) { event.preventDefault(); action(); });
  }

  var tokenTimer = null;
  function tokenChanged() {
    if (tokenTimer) clearTimeout(tokenTimer);
    tokenTimer = setTimeout(function () { tokenTimer = null; queue.load(); }, 300);
  }
  function saveToken() { tokenField.save(); card.tokenChanged(); }
  el.token.addEventListener("input", function () { el.token.removeAttribute("aria-invalid"); saveToken(); tokenChanged(); });
  el.token.addEventListener("change", function () { saveToken(); card.loadIntents(); });
  submits(el.tokenForm, function () { saveToken(); card.loadIntents(); tokenChanged(); });
  el.tokenToggle.addEventListener("click", function () {
    var show = el.token.type === "password";
    el.token.type = show ? "text" : "password";
    el.tokenToggle.textContent = show ? "숨기기" : "보기";
    el.tokenToggle.setAttribute("aria-pressed", show ? "true" : "false");
  });

  submits(el.suggestForm, card.suggest);
  onEnter(el.message, card.suggest);
  el.conversation.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.isComposing) { event.preventDefault(); card.suggest(); }
  });
  el.clearButton.addEventListener("click", function () {
    el.message.value = "";
    el.conversation.value = "";
    showError(el.suggestError, null);
    el.message.focus();
  });
  verdictButtons.forEach(function (button) {
    button.addEventListener("click", function () { card.sendFeedback(button.getAttribute("data-verdict")); });
  });
  el.correctIntent.addEventListener("focus", card.loadIntents);
  el.correctIntent.addEventListener("change", card.correctIntentChosen);
  document.addEventListener("keydown", card.copyShortcut);

  submits(el.lookupForm, lookup.run);

  el.handoffRefresh.addEventListener("click", queue.load);
  el.takeButton.addEventListener("click", handoffs.take);
  el.resolveButton.addEventListener("click", handoffs.askResolve);
  el.resolveYes.addEventListener("click", handoffs.resolve);
  el.resolveNo.addEventListener("click", handoffs.cancelResolve);
  el.resolveConfirm.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { event.preventDefault(); handoffs.cancelResolve(); }
  });
  el.handoffSuggest.addEventListener("click", handoffs.suggestFromHandoff);
  submits(el.replyForm, handoffs.reply);
  onEnter(el.reply, handoffs.reply);
  setInterval(queue.load, HANDOFF_REFRESH_MS);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) queue.load(); });

  tokenField.load();
  if (token()) card.loadIntents();
  queue.load();
})(window.AssistCommon);
