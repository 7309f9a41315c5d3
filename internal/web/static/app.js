// Tongban: attach the CSRF token to every htmx request that changes state.
document.addEventListener("htmx:configRequest", function (e) {
  var m = document.querySelector('meta[name="csrf-token"]');
  if (m) { e.detail.headers["X-CSRF-Token"] = m.content; }
});

// Print buttons (no inline handlers: the CSP forbids them).
document.addEventListener("click", function (e) {
  var b = e.target.closest("[data-print]");
  if (b) { window.print(); }
});

// Region picker: choosing a township loads its villages and communities from
// the public regions API into the next select. A pre-filled address (from an
// earlier application) loads its township's villages and selects its own.
function loadChildren(sel) {
  var next = sel.form && sel.form.elements[sel.dataset.children];
  if (!next) { return; }
  while (next.options.length > 1) { next.remove(1); }
  next.hidden = true;
  if (!sel.value) { return; }
  fetch("/api/v1/regions/" + encodeURIComponent(sel.value) + "/children")
    .then(function (r) { return r.ok ? r.json() : { children: [] }; })
    .then(function (d) {
      (d.children || []).forEach(function (c) { next.add(new Option(c.name, c.code)); });
      next.hidden = next.options.length <= 1;
      if (next.dataset.selected) { next.value = next.dataset.selected; delete next.dataset.selected; }
    });
}
document.addEventListener("change", function (e) {
  if (e.target.matches && e.target.matches("select[data-children]")) { loadChildren(e.target); }
});
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("select[data-children]").forEach(function (sel) {
    if (sel.value) { loadChildren(sel); }
  });
});

// The guide's application form carries the situation answers along, so that
// the page it returns shows the same material list.
document.addEventListener("submit", function (e) {
  var f = e.target;
  var sit = document.getElementById("situation-form");
  if (f.id !== "apply" || !sit) { return; }
  f.querySelectorAll("input[data-answer]").forEach(function (i) { i.remove(); });
  sit.querySelectorAll("input[type=radio]:checked").forEach(function (r) {
    var h = document.createElement("input");
    h.type = "hidden"; h.name = r.name; h.value = r.value; h.dataset.answer = "1";
    f.appendChild(h);
  });
});

// The divisions served (/admin/regions): unticking a division unticks the
// divisions inside it, ticking one ticks those above it — as the server
// reads the form (a division is served only with every one above it).
document.addEventListener("change", function (e) {
  var box = e.target;
  if (!box.matches || !box.matches('#region-tree input[type="checkbox"]')) { return; }
  var li = box.closest("li");
  if (!box.checked) {
    li.querySelectorAll('input[type="checkbox"]').forEach(function (b) { b.checked = false; });
    return;
  }
  for (var up = li.parentElement.closest("li"); up; up = up.parentElement.closest("li")) {
    var b = up.querySelector('input[type="checkbox"]');
    if (b) { b.checked = true; }
  }
});
