/* kefu help center: open the chat widget, ticket draft in localStorage, suggestions. */
(function () {
  "use strict";
  var slug = document.body.getAttribute("data-tenant") || "";

  // "在线客服": click the widget's launcher (it lives in a shadow root)
  document.querySelectorAll("[data-open-chat]").forEach(function (btn) {
    btn.addEventListener("click", function () {
      var hosts = document.querySelectorAll("body > *");
      for (var i = 0; i < hosts.length; i++) {
        var root = hosts[i].shadowRoot;
        var l = root && root.querySelector('[data-testid="kefu-launcher"]');
        if (l) { l.click(); return; }
      }
      var l2 = document.querySelector('[data-testid="kefu-launcher"]');
      if (l2) l2.click();
    });
  });

  // a submitted ticket: forget the draft
  var done = document.querySelector("[data-clear-draft]");
  if (done) { try { localStorage.removeItem(done.getAttribute("data-clear-draft")); } catch (e) {} }

  var form = document.querySelector("form[data-draft-key]");
  if (!form) return;
  var key = form.getAttribute("data-draft-key");
  var fields = form.querySelectorAll("input:not([type=file]), select, textarea");

  // restore the draft only into empty fields (the server's re-rendered values win)
  try {
    var saved = JSON.parse(localStorage.getItem(key) || "{}");
    fields.forEach(function (f) { if (!f.value && saved[f.name]) f.value = saved[f.name]; });
  } catch (e) {}
  function save() {
    var d = {};
    fields.forEach(function (f) { if (f.name) d[f.name] = f.value; });
    try { localStorage.setItem(key, JSON.stringify(d)); } catch (e) {}
  }
  form.addEventListener("input", save);
  form.addEventListener("change", save);

  // per-category template: hints for the five facts
  var cat = form.querySelector("select[name=category]");
  function applyTemplate() {
    var opt = cat.options[cat.selectedIndex];
    if (!opt || !opt.value) return;
    var desc = form.querySelector("textarea[name=description]");
    desc.placeholder = opt.getAttribute("data-hint") || desc.placeholder;
    form.querySelector("input[name=error_message]").placeholder = opt.getAttribute("data-error-hint");
    form.querySelector("input[name=tried]").placeholder = opt.getAttribute("data-tried-hint");
    form.querySelector(".req-order").textContent = opt.getAttribute("data-order") === "1" ? "*" : "";
  }
  cat.addEventListener("change", applyTemplate);
  applyTemplate();

  // matching articles while typing
  var desc = form.querySelector("textarea[name=description]");
  var box = document.getElementById("suggest");
  var timer = null, last = "";
  desc.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var q = desc.value.trim().slice(0, 100);
      if (q.length < 2 || q === last) return;
      last = q;
      fetch("/help/" + encodeURIComponent(slug) + "/search?partial=1&q=" + encodeURIComponent(q))
        .then(function (r) { return r.ok ? r.text() : ""; })
        .then(function (html) { box.innerHTML = html; })
        .catch(function () {});
    }, 400);
  });
})();
