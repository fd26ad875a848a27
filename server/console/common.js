/* 위탁콜 상담 도우미 — what every staff page shares: the agent console (console.js), the CS lead's
 * dashboard (dashboard.js) and the Zendesk ticket sidebar (integrations/zendesk: build.py bundles a
 * copy of this file as assets/common.js, because the app cannot load the console's files).
 *
 * Loaded before the page's own script, it defines one global, `AssistCommon`:
 *   DOM (text only):  make, clear, percent, setBusy, showError
 *   errors:           ApiError, explain, serverMessageOf, readBody, connectionError, timeoutError, withTimeout
 *   API calls:        fetchJson (fetch with a timeout, Korean errors, the JSON body or a refusal)
 *   the token field:  tokenField (this tab's sessionStorage only)
 *   times:            parseTime, clock
 * Every error a person reads is an ApiError {status, title, detail} in Korean, never a stack trace.
 * No framework, no eval: it runs under the pages' Content-Security-Policy (script-src 'self').
 */
(function (global) {
  "use strict";

  var TIMEOUT_MS = 30000;

  /* ---------- DOM helpers: every value goes in as textContent, never as markup ---------- */

  function make(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  // a confidence (0…1) as a whole percentage, clamped
  function percent(value) {
    var n = Number(value);
    if (!isFinite(n)) n = 0;
    return Math.round(Math.max(0, Math.min(1, n)) * 100);
  }

  function setBusy(button, busy, busyText, idleText) {
    button.disabled = busy;
    button.textContent = busy ? busyText : idleText;
    button.setAttribute("aria-busy", busy ? "true" : "false");
  }

  // an alert box: the error's title and detail, or hidden when there is none
  function showError(box, error) {
    clear(box);
    if (!error) { box.hidden = true; return; }
    box.appendChild(make("strong", "alert-title", error.title));
    box.appendChild(make("span", "alert-detail", error.detail));
    box.setAttribute("data-status", String(error.status || 0));
    box.hidden = false;
  }

  /* ---------- errors ---------- */

  function ApiError(status, title, detail) {
    this.status = status;
    this.title = title;
    this.detail = detail;
  }

  // What each refusal means to staff. `hint`: said after the server's own message (401);
  // `fixed`: said instead of it; otherwise `detail` stands in when the server says nothing.
  var REFUSALS = {
    400: { title: "입력 확인", detail: "입력 내용을 확인해 주세요." },
    401: { title: "토큰 확인", hint: "상단의 상담사 토큰을 확인해 주세요." },
    403: { title: "권한 없음", detail: "상담사 권한이 없는 토큰입니다." },
    404: { title: "찾을 수 없음", detail: "요청한 항목을 찾을 수 없습니다." },
    413: { title: "메시지 길이", detail: "메시지가 너무 깁니다. 2,000자 이하로 보내 주세요." },
    429: { title: "요청 과다", detail: "요청이 너무 많습니다. 잠시 후 다시 시도해 주세요." },
    503: { title: "DB 연결 불가", detail: "데이터베이스에 연결할 수 없습니다. 잠시 후 다시 시도해 주세요." }
  };

  function joined(first, second) { return first ? first + " " + second : second; }

  // An HTTP refusal in Korean. `words` lets a page say a status its own way, e.g.
  // {401: {hint: "리드 토큰을 확인해 주세요."}, 403: {title: "리드 토큰 필요", fixed: "…"}}.
  function explain(status, serverMessage, words) {
    var base = REFUSALS[status];
    var own = words && words[status];
    var detail = serverMessage || "";
    if (!base && !own) {
      return new ApiError(status, "서버 오류", (detail || "요청을 처리하지 못했습니다.") + " (상태 코드 " + status + ")");
    }
    var said = {};
    [base || {}, own || {}].forEach(function (source) {
      Object.keys(source).forEach(function (key) { said[key] = source[key]; });
    });
    if (own && (own.fixed || own.detail) && !own.hint) delete said.hint;
    if (said.fixed) return new ApiError(status, said.title, said.fixed);
    if (said.hint) return new ApiError(status, said.title, joined(detail, said.hint));
    return new ApiError(status, said.title, detail || said.detail);
  }

  // the API's {"error": "<Korean message>"}, from a parsed body or its text
  function serverMessageOf(body) {
    if (!body) return "";
    if (typeof body === "object") return typeof body.error === "string" ? body.error : "";
    try {
      var data = JSON.parse(body);
      return data && typeof data.error === "string" ? data.error : "";
    } catch (e) { return ""; }
  }

  // a JSON object from a response body (text or parsed), else a Korean "could not read" error
  function readBody(data, status) {
    if (typeof data === "string") {
      try { data = data ? JSON.parse(data) : null; } catch (e) { data = null; }
    }
    if (data === null || typeof data !== "object") throw new ApiError(status || 0, "응답 오류", "서버 응답을 읽을 수 없습니다.");
    return data;
  }

  function connectionError(detail) {
    return new ApiError(0, "연결 실패", detail || "서버에 연결할 수 없습니다. 네트워크 또는 서버 상태를 확인해 주세요.");
  }

  function timeoutError(again) {
    return new ApiError(0, "시간 초과", "서버 응답이 " + TIMEOUT_MS / 1000 + "초 안에 오지 않았습니다. " + (again || "다시 시도해 주세요."));
  }

  // the promise, or a timeout error after TIMEOUT_MS (`onTimeout` may abort the request)
  function withTimeout(promise, again, onTimeout) {
    return new Promise(function (resolve, reject) {
      var timer = setTimeout(function () {
        if (onTimeout) onTimeout();
        reject(timeoutError(again));
      }, TIMEOUT_MS);
      promise.then(function (value) { clearTimeout(timer); resolve(value); },
        function (error) { clearTimeout(timer); reject(error); });
    });
  }

  /* ---------- API calls ---------- */

  // fetch with a bearer token and a timeout. Resolves with the JSON object (or, with
  // `text: true`, the body's text); rejects with an ApiError in Korean.
  // options: method, token, body (sent as JSON), accept, words (see explain), again (timeout
  // advice), connection (connection-error detail), mode, credentials.
  function fetchJson(url, options) {
    options = options || {};
    var controller = global.AbortController ? new AbortController() : null;
    var init = {
      method: options.method || "GET",
      headers: { "Authorization": "Bearer " + options.token, "Accept": options.accept || "application/json" },
      cache: "no-store",
      credentials: options.credentials || "same-origin"
    };
    if (options.mode) init.mode = options.mode;
    if (controller) init.signal = controller.signal;
    if (options.body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(options.body);
    }
    var request = fetch(url, init).then(function (response) {
      return response.text().then(function (text) {
        if (!response.ok) throw explain(response.status, serverMessageOf(text), options.words);
        return options.text ? text : readBody(text, response.status);
      });
    }, function () { throw connectionError(options.connection); });
    return withTimeout(request, options.again, function () { if (controller) controller.abort(); })
      .then(null, function (error) {
        throw error instanceof ApiError ? error : new ApiError(0, "오류", "요청을 처리하지 못했습니다.");
      });
  }

  /* ---------- the token field ---------- */

  function storage() {
    // this tab only: a staff token never outlives the tab, nor sits where the public widget (same origin) could read it
    try { return global.sessionStorage; } catch (e) { return null; }
  }

  // A password field holding a staff token, kept under `key` in this tab's storage (also read
  // from `alsoRead`, e.g. the console's key on the dashboard); `state` says whether one is set.
  function tokenField(input, stateNode, key, alsoRead) {
    function value() { return input.value.trim().replace(/^Bearer\s+/i, ""); }

    function show() {
      stateNode.textContent = value() ? "저장됨" : "토큰 없음";
      stateNode.className = "token-state " + (value() ? "is-set" : "is-missing");
    }

    function load() {
      var store = storage();
      var saved = null;
      if (store) {
        [key].concat(alsoRead || []).forEach(function (name) { saved = saved || store.getItem(name); });
      }
      if (saved) input.value = saved;
      show();
    }

    function save() {
      var store = storage();
      if (store) {
        try {
          if (value()) store.setItem(key, value()); else store.removeItem(key);
        } catch (e) { /* private mode: the field only */ }
      }
      show();
    }

    return { value: value, load: load, save: save };
  }

  /* ---------- times ---------- */

  // "2026-11-29 03:00:00.123456[+00:00]" (UTC, as the queue lists it) or epoch seconds (transcripts)
  function parseTime(value) {
    if (value === null || value === undefined || value === "") return null;
    if (typeof value === "number") return isFinite(value) ? new Date(value * 1000) : null;
    var text = String(value).trim().replace(" ", "T").replace(/(\.\d{3})\d+/, "$1");
    if (!/(?:Z|[+-]\d{2}:?\d{2})$/i.test(text)) text += "Z";
    var date = new Date(text);
    return isNaN(date.getTime()) ? null : date;
  }

  // hh:mm in Korean
  function clock(date) {
    if (!date) return "";
    try {
      return date.toLocaleTimeString("ko-KR", { hour: "2-digit", minute: "2-digit" });
    } catch (e) {
      return "";
    }
  }

  global.AssistCommon = Object.freeze({
    TIMEOUT_MS: TIMEOUT_MS,
    make: make, clear: clear, percent: percent, setBusy: setBusy, showError: showError,
    ApiError: ApiError, explain: explain, serverMessageOf: serverMessageOf, readBody: readBody,
    connectionError: connectionError, timeoutError: timeoutError, withTimeout: withTimeout,
    fetchJson: fetchJson, tokenField: tokenField, parseTime: parseTime, clock: clock
  });
})(window);
