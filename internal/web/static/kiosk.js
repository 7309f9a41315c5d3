// The hall's self-service kiosk (issue 19): after data-idle seconds with no
// touch, key or input, every input of the page is cleared and the kiosk
// returns to its home (data-home) through its reset form, which also ends
// a session if one exists. On the home page with nothing to clear and no
// session, it stays. "Print" prints the ticket page (print styles show the
// ticket only).
(function () {
  "use strict";
  var body = document.body;
  if (!body.classList.contains("kiosk")) return;
  var idle = parseInt(body.getAttribute("data-idle"), 10) || 60;
  var timer = null;
  function clearInputs() {
    document.querySelectorAll("input, textarea, select").forEach(function (el) {
      if (el.type === "hidden") return;
      if (el.type === "radio" || el.type === "checkbox") { el.checked = el.defaultChecked = false; return; }
      if (el.tagName === "SELECT") { el.selectedIndex = -1; return; }
      el.value = "";
      el.defaultValue = "";
    });
  }
  function reset() {
    clearInputs();
    var home = body.getAttribute("data-page") === "home";
    if (home && body.getAttribute("data-session") !== "1") { arm(); return; }
    body.setAttribute("data-reset", "1");
    document.getElementById("kiosk-reset").submit();
  }
  function arm() {
    if (timer) clearTimeout(timer);
    timer = setTimeout(reset, idle * 1000);
  }
  ["pointerdown", "touchstart", "keydown", "input", "wheel"].forEach(function (ev) {
    document.addEventListener(ev, arm, { passive: true, capture: true });
  });
  // A page restored from the back/forward cache starts its minute again.
  window.addEventListener("pageshow", arm);
  var print = document.getElementById("ticket-print");
  if (print) {
    print.hidden = false;
    print.addEventListener("click", function () { window.print(); });
  }
  arm();
})();
