// The hall's display board (issue 19): the state arrives by Server-Sent
// Events from any replica; the browser reconnects by itself, sending the
// last version it has (Last-Event-ID). A new call, or a recall, is spoken
// when the voice is switched on ("请 A012 号到 3 号窗口办理").
(function () {
  "use strict";
  var body = document.body;
  if (!body.classList.contains("board")) return;
  var status = document.getElementById("board-status");
  var voice = document.getElementById("board-voice");
  var say = body.getAttribute("data-say");
  var waitingText = document.getElementById("t-waiting").innerHTML;
  var speak = false;
  var heard = {};
  var first = true;
  document.querySelectorAll("#board-calls tbody tr").forEach(function (tr) {
    heard[tr.getAttribute("data-number") + "#" + tr.getAttribute("data-calls")] = true;
  });
  voice.addEventListener("click", function () {
    speak = !speak;
    voice.setAttribute("aria-pressed", speak ? "true" : "false");
  });
  function text(tag, t, cls) {
    var el = document.createElement(tag);
    el.textContent = t;
    if (cls) el.className = cls;
    return el;
  }
  function announce(c) {
    if (!speak || !window.speechSynthesis) return;
    var u = new SpeechSynthesisUtterance(say.replace("{number}", c.number.split("").join(" ")).replace("{window}", c.window));
    u.lang = "zh-CN";
    window.speechSynthesis.speak(u);
  }
  function render(b) {
    var tbody = document.querySelector("#board-calls tbody");
    tbody.textContent = "";
    b.calling.forEach(function (c) {
      var tr = document.createElement("tr");
      tr.setAttribute("data-number", c.number);
      tr.setAttribute("data-calls", c.calls);
      tr.appendChild(text("td", c.number, "num"));
      tr.appendChild(text("td", c.window));
      tbody.appendChild(tr);
      var key = c.number + "#" + c.calls;
      if (!heard[key]) {
        heard[key] = true;
        if (!first) {
          tr.className = "fresh";
          announce(c);
        }
      }
    });
    var ul = document.getElementById("board-next");
    ul.textContent = "";
    b.next.forEach(function (n) {
      var li = document.createElement("li");
      li.setAttribute("data-prefix", n.prefix);
      li.appendChild(text("strong", n.prefix + " " + (body.getAttribute("data-lang") === "en" && n.name_en ? n.name_en : n.name)));
      li.appendChild(document.createTextNode(" "));
      li.appendChild(text("span", waitingText.replace("{n}", n.waiting), "waiting"));
      li.appendChild(document.createTextNode(" "));
      li.appendChild(text("span", n.numbers.join(" "), "nums"));
      ul.appendChild(li);
    });
    first = false;
  }
  var es = new EventSource(body.getAttribute("data-events"));
  es.addEventListener("board", function (e) {
    status.classList.remove("lost");
    render(JSON.parse(e.data));
  });
  es.addEventListener("open", function () { status.classList.remove("lost"); first = false; });
  es.addEventListener("error", function () { status.classList.add("lost"); });
})();
