/* 위탁콜 상담 도우미 — CS 리드 대시보드.
 *
 * Charts: Chart.js 4.6.1 (npm `chart.js@4.6.1`, dist/chart.umd.min.js vendored unchanged as
 * chart.umd.min.js, MIT licence in chart.LICENSE.txt; tarball integrity
 * sha512-hJyniucsFmq//EvXYvJ6c6mahPoI3kaxdjVH8awTaJ/fDNWeSqqqArixMJWkWNN6fcYvPU3HneSANFNYtRi61g==).
 * No CDN, no build step, no eval: the page runs under the console's Content-Security-Policy.
 *
 * API: GET /webhooks/assist/analytics?from=YYYY-MM-DD&to=YYYY-MM-DD[&format=csv] with
 * `Authorization: Bearer <lead token>` (role "lead"; an agent token gets 403). Days are KST days.
 * Handoff reasons are named by the server (`handoffs.reason_labels`, from
 * content/agent_assist.yml handoff_reasons), so a new reason never shows as a raw key.
 * Every value from the server is inserted with textContent (never innerHTML).
 * Shared with the console and the Zendesk app: common.js (AssistCommon), loaded first.
 */
(function (common) {
  "use strict";

  var API = "/webhooks/assist/analytics";
  var TOKEN_KEY = "assist.leadToken";
  var CONSOLE_TOKEN_KEY = "assist.agentToken"; // a lead who opened the console first
  var DEFAULT_DAYS = 30;
  var MAX_DAYS = 400; // server/assist/analytics.py MAX_ANALYTICS_DAYS
  var DAY_MS = 86400000;
  // how this page says the API's refusals (the rest: common.js)
  var WORDS = {
    400: { title: "기간 확인", detail: "조회 기간을 확인해 주세요." },
    401: { hint: "상단의 리드 토큰을 확인해 주세요." },
    403: { title: "리드 토큰 필요",
           fixed: "이 대시보드는 CS 리드 토큰(role: lead)으로만 볼 수 있습니다. 상담사 토큰으로는 볼 수 없습니다. 리드 토큰을 입력해 주세요." },
    429: { title: "잠시 후 다시" }
  };
  var make = common.make, clear = common.clear, ApiError = common.ApiError;
  // consignment/analytics.py Q3_OUTCOMES
  var OUTCOMES = { suspended: "계정 정지", customer_block: "특정 고객 차단", none_on_record: "내역 없음" };
  // consignment/assist_store.py VERDICTS, as the console's buttons say them
  var VERDICTS = { used: "사용함", edited: "수정함", rejected: "안 맞음" };
  // domain.yml intents, in the words of content/agent_assist.yml
  var INTENTS = {
    ask_consignment_call: "위탁콜이 무엇인지 문의",
    ask_consignment_insurance: "위탁콜 운행 시 보험 문의",
    ask_service_regions: "위탁콜 운영 지역 문의",
    report_acceptance_blocked: "콜마너 배차 제한 (발주사 정책) 문의",
    inform: "질문에 대한 답변",
    affirm: "긍정 답변",
    deny: "부정 답변",
    unsure: "잘 모르겠다는 답변",
    greet: "인사",
    goodbye: "끝인사",
    thank: "감사 인사",
    request_human: "상담원 연결 요청",
    bot_challenge: "챗봇인지 확인",
    out_of_scope: "위탁콜 정책 범위 밖 문의",
    nlu_fallback: "의도 불명확 (미인식)",
    rate_helpful: "평가: 도움이 됐어요",
    rate_unhelpful: "평가: 아쉬워요",
    unknown: "인텐트 없음"
  };
  var COLORS = {
    brand: "#1f4fd1", brandSoft: "rgba(31, 79, 209, 0.72)", ok: "#16794a", okSoft: "rgba(22, 121, 74, 0.78)",
    warn: "#d48806", danger: "#b42318", dangerSoft: "rgba(180, 35, 24, 0.75)", grid: "#e8ebf1", text: "#5c6878"
  };
  var FONT = '"Apple SD Gothic Neo", "Malgun Gothic", "Noto Sans KR", "Noto Sans CJK KR", "NanumGothic", system-ui, sans-serif';

  function $(id) { return document.getElementById(id); }

  var el = {
    token: $("token"), tokenToggle: $("token-toggle"), tokenState: $("token-state"), tokenForm: $("token-form"),
    rangeForm: $("range-form"), from: $("range-from"), to: $("range-to"), apply: $("range-apply"), csv: $("csv-button"),
    state: $("dash-state"), error: $("dash-error"), empty: $("dash-empty"), body: $("dash-body"),
    conversations: $("kpi-conversations"), messages: $("kpi-messages"),
    containment: $("kpi-containment"), containmentSub: $("kpi-containment-sub"),
    handoffs: $("kpi-handoffs"), handoffsSub: $("kpi-handoffs-sub"),
    fallback: $("kpi-fallback"), fallbackSub: $("kpi-fallback-sub"),
    csatUp: $("kpi-csat-up"), csatDown: $("kpi-csat-down"), csatSub: $("kpi-csat-sub"),
    p50: $("kpi-p50"), p95: $("kpi-p95"), latencySub: $("kpi-latency-sub"),
    reasons: $("handoff-reasons"), outcomes: $("q3-outcomes"), verdicts: $("verdicts"), intents: $("intents"),
    unrecognised: $("unrecognised"), unrecognisedEmpty: $("unrecognised-empty"),
    chartVolume: $("chart-volume"), chartRates: $("chart-rates"), chartRatings: $("chart-ratings")
  };
  var state = { seq: 0, report: null, charts: {}, csvBusy: false };

  /* ---------- small helpers ---------- */

  function count(value) {
    var n = Number(value);
    return isFinite(n) ? n : 0;
  }

  function number(value) { return count(value).toLocaleString("ko-KR"); }

  function rate(value) {
    if (value === null || value === undefined || !isFinite(Number(value))) return "—";
    return (Math.round(Number(value) * 1000) / 10).toLocaleString("ko-KR") + "%";
  }

  function millis(value) {
    if (value === null || value === undefined || !isFinite(Number(value))) return "—";
    var ms = Number(value);
    return ms >= 1000 ? (Math.round(ms / 100) / 10).toLocaleString("ko-KR") + "초" : Math.round(ms) + "ms";
  }

  function setValue(node, text, raw) {
    node.textContent = text;
    node.setAttribute("data-value", raw === null || raw === undefined ? "" : String(raw));
  }

  /* ---------- dates (KST days, as the server counts them) ---------- */

  function kstToday() {
    try {
      var parts = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Seoul", year: "numeric", month: "2-digit", day: "2-digit" })
        .formatToParts(new Date());
      var get = function (type) { return parts.filter(function (p) { return p.type === type; })[0].value; };
      return get("year") + "-" + get("month") + "-" + get("day");
    } catch (e) {
      return new Date(Date.now() + 9 * 3600000).toISOString().slice(0, 10);
    }
  }

  function isDate(text) { return /^\d{4}-\d{2}-\d{2}$/.test(text || "") && !isNaN(Date.parse(text + "T00:00:00Z")); }

  function addDays(date, days) {
    return new Date(Date.parse(date + "T00:00:00Z") + days * DAY_MS).toISOString().slice(0, 10);
  }

  function daysBetween(from, to) { return Math.round((Date.parse(to + "T00:00:00Z") - Date.parse(from + "T00:00:00Z")) / DAY_MS); }

  function shortDate(date) { return Number(date.slice(5, 7)) + "/" + Number(date.slice(8, 10)); }

  function setRange(days) {
    var today = kstToday();
    el.to.value = today;
    el.from.value = addDays(today, -(days - 1));
    el.to.max = today;
    el.from.max = today;
  }

  /* ---------- token and API (common.js) ---------- */

  var tokenField = common.tokenField(el.token, el.tokenState, TOKEN_KEY, [CONSOLE_TOKEN_KEY]);
  function token() { return tokenField.value(); }

  function request(from, to, csv) {
    if (!token()) return Promise.reject(new ApiError(0, "토큰 확인", "상단에 리드 토큰을 입력해 주세요."));
    var url = API + "?from=" + encodeURIComponent(from) + "&to=" + encodeURIComponent(to) + (csv ? "&format=csv" : "");
    return common.fetchJson(url, { token: token(), accept: csv ? "text/csv" : "application/json", text: csv, words: WORDS })
      .then(function (data) { return csv ? new Blob([data], { type: "text/csv;charset=utf-8" }) : data; });
  }

  function showError(error) { common.showError(el.error, error); }

  function checkedRange() {
    var from = el.from.value, to = el.to.value;
    if (!isDate(from) || !isDate(to)) return new ApiError(0, "기간 확인", "시작일과 종료일을 모두 입력해 주세요.");
    if (to < from) return new ApiError(0, "기간 확인", "종료일이 시작일보다 빠릅니다.");
    if (daysBetween(from, to) > MAX_DAYS) return new ApiError(0, "기간 확인", "최대 " + MAX_DAYS + "일까지 조회할 수 있습니다.");
    return null;
  }

  /* ---------- loading ---------- */

  function load() {
    var problem = checkedRange();
    if (problem) { showError(problem); return; }
    if (!token()) {
      state.seq++;
      showError(null);
      el.body.hidden = true;
      el.empty.hidden = false;
      el.state.textContent = "";
      return;
    }
    var from = el.from.value, to = el.to.value;
    var seq = ++state.seq;
    el.apply.disabled = true;
    el.apply.setAttribute("aria-busy", "true");
    el.state.textContent = "불러오는 중…";
    request(from, to, false).then(function (report) {
      if (seq !== state.seq) return;
      showError(null);
      state.report = report;
      render(report, from, to);
      el.state.textContent = from + " ~ " + to + " · 갱신 " + new Date().toLocaleTimeString("ko-KR", { hour: "2-digit", minute: "2-digit" });
    }, function (error) {
      if (seq !== state.seq) return;
      state.report = null;
      el.state.textContent = "";
      el.body.hidden = true;
      el.empty.hidden = true;
      showError(error);
      if (error.status === 401 || error.status === 403) el.token.setAttribute("aria-invalid", "true");
    }).then(function () {
      if (seq !== state.seq) return;
      el.apply.disabled = false;
      el.apply.removeAttribute("aria-busy");
    });
  }

  function exportCsv() {
    var problem = checkedRange();
    if (problem) { showError(problem); return; }
    if (state.csvBusy) return;
    var from = el.from.value, to = el.to.value;
    state.csvBusy = true;
    el.csv.disabled = true;
    el.csv.textContent = "내보내는 중…";
    request(from, to, true).then(function (blob) {
      showError(null);
      var url = URL.createObjectURL(blob);
      var link = document.createElement("a");
      link.href = url;
      link.download = "assistant-" + from + "-" + to + ".csv";
      link.hidden = true;
      document.body.appendChild(link);
      link.click();
      document.body.removeChild(link);
      setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
      el.state.textContent = "CSV 파일을 저장했습니다 (" + link.download + ")";
    }, function (error) {
      showError(error);
    }).then(function () {
      state.csvBusy = false;
      el.csv.disabled = false;
      el.csv.textContent = "CSV 내보내기";
    });
  }

  /* ---------- rendering ---------- */

  function render(report, from, to) {
    el.empty.hidden = true;
    el.body.hidden = false;
    var handoffs = report.handoffs || {};
    var csat = report.csat || {};
    var latency = report.reply_latency_ms || {};
    var days = report.by_day || [];
    var messages = days.reduce(function (sum, d) { return sum + count(d.messages); }, 0);
    var fallbacks = days.reduce(function (sum, d) { return sum + count(d.fallbacks); }, 0);

    setValue(el.conversations, number(report.conversations), count(report.conversations));
    el.messages.textContent = "기사님 메시지 " + number(messages) + "건";
    setValue(el.containment, rate(report.containment_rate), report.containment_rate);
    el.containmentSub.textContent = "상담 연결된 대화 제외";
    setValue(el.handoffs, number(handoffs.total), count(handoffs.total));
    el.handoffsSub.textContent = report.conversations ? "대화 100건당 " + (Math.round(count(handoffs.total) / count(report.conversations) * 1000) / 10) + "건" : "";
    setValue(el.fallback, rate(report.fallback_rate), report.fallback_rate);
    el.fallbackSub.textContent = "미인식 메시지 " + number(fallbacks) + "건";
    setValue(el.csatUp, number(csat.up), count(csat.up));
    setValue(el.csatDown, number(csat.down), count(csat.down));
    var rated = count(csat.up) + count(csat.down);
    el.csatSub.textContent = rated ? "만족 " + rate(count(csat.up) / rated) + " · 평가 " + number(rated) + "건" : "평가 없음";
    setValue(el.p50, millis(latency.p50), latency.p50);
    setValue(el.p95, millis(latency.p95), latency.p95);
    el.latencySub.textContent = "답변 " + number(latency.replies) + "건 기준";

    renderBars(el.reasons, labelled(handoffs.by_reason || {}, reasonLabels(handoffs), true), "reason", "warn");
    renderBars(el.outcomes, labelled(report.q3_outcomes || {}, OUTCOMES, true), "outcome", "brand");
    renderBars(el.verdicts, labelled(report.suggestion_verdicts || {}, VERDICTS, true), "verdict", "ok");
    renderBars(el.intents, labelled(report.intents || {}, INTENTS, false), "intent", "brand", true);
    renderUnrecognised(report.top_unrecognised || []);
    renderCharts(filledDays(days, from, to));
  }

  // the server's Korean name of every handoff reason; "unknown" is listed only when counted
  function reasonLabels(handoffs) {
    var labels = handoffs.reason_labels && typeof handoffs.reason_labels === "object" ? handoffs.reason_labels : {};
    var named = {};
    Object.keys(labels).forEach(function (key) { if (typeof labels[key] === "string") named[key] = labels[key]; });
    return named;
  }

  // [{key, label, value}] — the known keys first (also at 0 when `all`), then anything else the server sent
  function labelled(counts, labels, all) {
    var rows = [];
    Object.keys(labels).forEach(function (key) {
      if (key === "unknown" && !counts[key]) return;
      if (all || counts[key]) rows.push({ key: key, label: labels[key], value: count(counts[key]) });
    });
    Object.keys(counts).forEach(function (key) {
      if (!Object.prototype.hasOwnProperty.call(labels, key)) rows.push({ key: key, label: key, value: count(counts[key]) });
    });
    if (!all) rows.sort(function (a, b) { return b.value - a.value; });
    return rows;
  }

  function renderBars(list, rows, kind, tone, showKey) {
    clear(list);
    var total = rows.reduce(function (sum, r) { return sum + r.value; }, 0);
    var max = rows.reduce(function (m, r) { return Math.max(m, r.value); }, 0);
    if (!rows.length) {
      list.appendChild(make("li", "muted", "이 기간에 기록이 없습니다."));
      return;
    }
    rows.forEach(function (row) {
      var item = make("li", "bar-row");
      item.setAttribute("data-" + kind, row.key);
      item.setAttribute("data-value", String(row.value));
      var head = make("div", "bar-head");
      var name = make("span", "bar-name", row.label);
      if (showKey && row.label !== row.key) name.appendChild(make("code", "bar-key", row.key));
      head.appendChild(name);
      var value = make("span", "bar-value", number(row.value) + (total ? " · " + rate(row.value / total) : ""));
      value.setAttribute("data-testid", kind + "-count");
      head.appendChild(value);
      item.appendChild(head);
      var track = make("div", "bar-track");
      var fill = make("div", "bar-fill-h bar-" + tone);
      fill.style.width = (max ? Math.max(row.value ? 2 : 0, row.value / max * 100) : 0) + "%";
      track.appendChild(fill);
      item.appendChild(track);
      list.appendChild(item);
    });
  }

  function renderUnrecognised(rows) {
    clear(el.unrecognised);
    rows.forEach(function (row) {
      var item = make("li", "unrecognised-row");
      item.setAttribute("data-testid", "unrecognised-row");
      item.appendChild(make("span", "unrecognised-text", row.text));
      item.appendChild(make("span", "unrecognised-count", number(row.count) + "회"));
      el.unrecognised.appendChild(item);
    });
    el.unrecognisedEmpty.hidden = rows.length > 0;
  }

  // every day of the range, with zeros where the server had nothing
  function filledDays(days, from, to) {
    var byDate = {};
    days.forEach(function (d) { if (d && d.date) byDate[d.date] = d; });
    var out = [];
    for (var date = from; date <= to; date = addDays(date, 1)) {
      var d = byDate[date] || {};
      var messages = count(d.messages);
      out.push({
        date: date,
        conversations: count(d.conversations),
        handoffs: count(d.handoffs),
        containment: d.containment_rate === null || d.containment_rate === undefined ? null : Math.round(Number(d.containment_rate) * 1000) / 10,
        fallback: messages ? Math.round(count(d.fallbacks) / messages * 1000) / 10 : null,
        up: count(d.csat_up),
        down: count(d.csat_down)
      });
    }
    return out;
  }

  function chartOptions(percentAxis, stacked) {
    var reduced = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    return {
      responsive: true,
      maintainAspectRatio: false,
      animation: reduced ? false : { duration: 300 },
      interaction: { mode: "index", intersect: false },
      plugins: {
        legend: {
          position: "bottom",
          labels: { boxWidth: 12, boxHeight: 12, color: COLORS.text, sort: function (a, b) { return a.datasetIndex - b.datasetIndex; } }
        },
        tooltip: {
          callbacks: {
            title: function (items) { return items.length ? items[0].label : ""; },
            label: function (item) {
              var value = item.parsed.y;
              if (value === null || value === undefined) return item.dataset.label + ": —";
              return item.dataset.label + ": " + (percentAxis ? value + "%" : value.toLocaleString("ko-KR") + "건");
            }
          }
        }
      },
      scales: {
        x: {
          stacked: !!stacked,
          grid: { display: false },
          ticks: {
            color: COLORS.text, maxRotation: 0, autoSkip: true, autoSkipPadding: 12,
            callback: function (value) { return shortDate(this.getLabelForValue(value)); }
          }
        },
        y: {
          stacked: !!stacked,
          beginAtZero: true,
          max: percentAxis ? 100 : undefined,
          grid: { color: COLORS.grid },
          ticks: {
            color: COLORS.text, precision: 0,
            callback: function (value) { return percentAxis ? value + "%" : value.toLocaleString("ko-KR"); }
          }
        }
      }
    };
  }

  function drawChart(name, canvas, config) {
    var chart = state.charts[name];
    if (chart) {
      chart.data = config.data;
      chart.update();
      return chart;
    }
    state.charts[name] = new window.Chart(canvas, config);
    return state.charts[name];
  }

  function renderCharts(days) {
    if (!window.Chart) {
      showError(new ApiError(0, "차트 불러오기 실패", "차트 라이브러리(chart.umd.min.js)를 불러오지 못했습니다. 합계만 표시합니다."));
      return;
    }
    var labels = days.map(function (d) { return d.date; });
    drawChart("volume", el.chartVolume, {
      type: "bar",
      data: {
        labels: labels,
        datasets: [
          { type: "bar", label: "대화", data: days.map(function (d) { return d.conversations; }),
            backgroundColor: COLORS.brandSoft, borderRadius: 3, order: 2 },
          { type: "line", label: "상담 연결", data: days.map(function (d) { return d.handoffs; }),
            borderColor: COLORS.warn, backgroundColor: COLORS.warn, pointRadius: 2, borderWidth: 2, tension: 0.25, order: 1 }
        ]
      },
      options: chartOptions(false, false)
    });
    drawChart("rates", el.chartRates, {
      type: "line",
      data: {
        labels: labels,
        datasets: [
          { label: "봇 해결률", data: days.map(function (d) { return d.containment; }),
            borderColor: COLORS.ok, backgroundColor: COLORS.ok, pointRadius: 2, borderWidth: 2, tension: 0.25, spanGaps: false },
          { label: "미이해율", data: days.map(function (d) { return d.fallback; }),
            borderColor: COLORS.danger, backgroundColor: COLORS.danger, pointRadius: 2, borderWidth: 2, tension: 0.25, spanGaps: false }
        ]
      },
      options: chartOptions(true, false)
    });
    drawChart("ratings", el.chartRatings, {
      type: "bar",
      data: {
        labels: labels,
        datasets: [
          { label: "도움이 됐어요", data: days.map(function (d) { return d.up; }), backgroundColor: COLORS.okSoft, borderRadius: 2 },
          { label: "아쉬워요", data: days.map(function (d) { return d.down; }), backgroundColor: COLORS.dangerSoft, borderRadius: 2 }
        ]
      },
      options: chartOptions(false, true)
    });
  }

  /* ---------- events ---------- */

  if (window.Chart) {
    window.Chart.defaults.font.family = FONT;
    window.Chart.defaults.font.size = 12;
    window.Chart.defaults.color = COLORS.text;
  }

  var tokenTimer = null;
  el.token.addEventListener("input", function () {
    el.token.removeAttribute("aria-invalid");
    tokenField.save();
    if (tokenTimer) clearTimeout(tokenTimer);
    tokenTimer = setTimeout(function () { tokenTimer = null; load(); }, 300);
  });
  el.tokenForm.addEventListener("submit", function (event) { event.preventDefault(); tokenField.save(); load(); });
  el.tokenToggle.addEventListener("click", function () {
    var show = el.token.type === "password";
    el.token.type = show ? "text" : "password";
    el.tokenToggle.textContent = show ? "숨기기" : "보기";
    el.tokenToggle.setAttribute("aria-pressed", show ? "true" : "false");
  });
  el.rangeForm.addEventListener("submit", function (event) { event.preventDefault(); load(); });
  el.from.addEventListener("change", load);
  el.to.addEventListener("change", load);
  Array.prototype.forEach.call(document.querySelectorAll("[data-days]"), function (button) {
    button.addEventListener("click", function () { setRange(Number(button.getAttribute("data-days"))); load(); });
  });
  el.csv.addEventListener("click", exportCsv);

  setRange(DEFAULT_DAYS);
  tokenField.load();
  load();
})(window.AssistCommon);
