/* [데모] 위탁콜 상담 위젯: pick a demo driver, the server mints that driver's token (demo mode only),
 * and the widget in the frame is opened with it in the URL fragment, as the driver app would. */
(function () {
  "use strict";
  var list = document.getElementById("drivers");
  var frame = document.getElementById("widget");
  var current = document.getElementById("current");
  var error = document.getElementById("demo-error");
  var anonymous = document.getElementById("anonymous");

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function fail(text) {
    error.textContent = text;
    error.hidden = false;
  }

  function mark(button) {
    Array.prototype.forEach.call(document.querySelectorAll(".demo-driver"), function (b) {
      b.setAttribute("aria-pressed", b === button ? "true" : "false");
    });
  }

  function open(driver, button) {
    error.hidden = true;
    fetch("demo-token?driver=" + encodeURIComponent(driver.driver_id), { cache: "no-store" })
      .then(function (response) {
        if (!response.ok) throw new Error("token " + response.status);
        return response.json();
      })
      .then(function (body) {
        frame.src = "./#token=" + encodeURIComponent(body.token);
        current.textContent = driver.driver_id + " " + driver.name + " (성함 " + driver.name + ", 휴대폰 " + driver.phone + ")";
        mark(button);
      })
      .catch(function () { fail("데모 토큰을 받지 못했어요. 서버가 데모 모드(ASSISTANT_DEMO_MODE=1, DRIVER_TOKEN_SECRET)로 실행 중인지 확인해 주세요."); });
  }

  anonymous.addEventListener("click", function () {
    error.hidden = true;
    // the widget keeps its token for the tab (sessionStorage, shared with this page): drop it
    try { window.sessionStorage.removeItem("wtc-widget:token"); } catch (e) { /* ignore */ }
    frame.src = "./?anonymous=" + Date.now();
    current.textContent = "토큰 없음 (익명)";
    mark(anonymous);
  });

  fetch("demo-drivers", { cache: "no-store" })
    .then(function (response) {
      if (!response.ok) throw new Error("drivers " + response.status);
      return response.json();
    })
    .then(function (body) {
      body.drivers.forEach(function (driver, index) {
        var item = el("li");
        var button = el("button", "demo-driver");
        button.type = "button";
        button.appendChild(el("span", "id", driver.driver_id + " " + driver.name));
        button.appendChild(el("span", "what", driver.situation));
        button.appendChild(el("span", "phone", driver.phone));
        button.addEventListener("click", function () { open(driver, button); });
        item.appendChild(button);
        list.appendChild(item);
        if (index === 0) open(driver, button);
      });
    })
    .catch(function () { fail("데모 기사 목록을 불러오지 못했어요."); });
})();
