/* kefu agent console: actions through /api/v1 (with X-CSRF-Token), live updates through
 * /ws (docs/protocol.md) and REST polling when the socket is unavailable. Pages and
 * partials are rendered by the server; this script only moves them around. */
(function () {
  "use strict";
  var CSRF = document.querySelector('meta[name="kefu-csrf"]').content;
  var ME = +document.querySelector('meta[name="kefu-agent"]').content;
  var state = { tab: "queued", open: document.body.getAttribute("data-open") || "", lastSeq: 0, counts: null };
  window.kefuConsole = state;

  function $(sel, root) { return (root || document).querySelector(sel); }
  // labels for codes come from the server (kefu.domain.vocabulary), embedded in the page
  var LABELS = (function () {
    var node = document.getElementById("kefu-labels");
    try { return node ? JSON.parse(node.textContent) : {}; } catch (e) { return {}; }
  })();
  function labelOf(kind, code) { return (LABELS[kind] || {})[code] || "未知"; }
  function toast(text, bad) {
    var t = $("#toast");
    t.textContent = text;
    t.className = "toast show" + (bad ? " bad" : "");
    clearTimeout(toast.timer);
    toast.timer = setTimeout(function () { t.className = "toast"; }, 4000);
  }
  function uuid() {
    if (window.crypto && crypto.randomUUID) return "a-" + crypto.randomUUID();
    return "a-" + Date.now().toString(36) + Math.random().toString(36).slice(2, 10);
  }

  function api(method, path, body, isForm) {
    var headers = { "X-CSRF-Token": CSRF };
    var init = { method: method, headers: headers, credentials: "same-origin" };
    if (body != null) {
      if (isForm) init.body = body;
      else { headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
    }
    return fetch(path, init).then(function (r) {
      if (r.status === 401) { location.href = "/console/login"; throw new Error("请先登录"); }
      return r.text().then(function (t) {
        var data = null;
        try { data = t ? JSON.parse(t) : null; } catch (e) { data = null; }
        if (!r.ok) throw new Error((data && data.error && data.error.message) || "请求失败（" + r.status + "）");
        return data;
      });
    }, function () { throw new Error("网络异常，请稍后重试"); });
  }
  function partial(path) {
    return fetch(path, { credentials: "same-origin", headers: { "HX-Request": "true" } }).then(function (r) {
      if (r.status === 401) { location.href = "/console/login"; throw new Error("login"); }
      if (!r.ok) throw new Error("加载失败（" + r.status + "）");
      return r.text().then(function (html) { return { html: html, headers: r.headers }; });
    });
  }
  function put(target, html) {
    target.innerHTML = html;
    if (window.htmx) htmx.process(target);
  }

  /* ---------- sound + notification for new work ---------- */
  var ding = new Audio("/static/sounds/new-assignment.wav");
  function announce(title, body) {
    ding.currentTime = 0;
    ding.play().catch(function () { /* autoplay blocked until the first click */ });
    if ("Notification" in window && Notification.permission === "granted") {
      try { new Notification(title, { body: body, tag: "kefu-" + title }); } catch (e) { /* ignore */ }
    }
  }
  document.addEventListener("click", function askOnce() {
    document.removeEventListener("click", askOnce);
    if ("Notification" in window && Notification.permission === "default") Notification.requestPermission();
  });

  /* ---------- lists ---------- */
  var listGen = 0;
  function refreshLists() {
    var gen = ++listGen; // a slower, older answer must not overwrite a newer one
    partial("/console/partials/tabs?tab=" + state.tab).then(function (r) {
      if (gen !== listGen) return;
      put($("#tabs"), r.html);
      var counts = {};
      document.querySelectorAll("#tabs [data-tab]").forEach(function (b) {
        counts[b.getAttribute("data-tab")] = +b.querySelector(".count").textContent;
      });
      if (state.counts) {
        if (counts.mine > state.counts.mine) announce("新会话分配给您", "我的会话：" + counts.mine);
        else if (counts.queued > state.counts.queued) announce("有客户在排队", "待接入：" + counts.queued);
      }
      state.counts = counts;
    }).catch(function () {});
    partial("/console/partials/list?tab=" + state.tab + "&selected=" + encodeURIComponent(state.open))
      .then(function (r) { if (gen === listGen) put($("#list"), r.html); }).catch(function () {});
  }
  var listTimer = null;
  function refreshListsSoon() {
    clearTimeout(listTimer);
    listTimer = setTimeout(refreshLists, 250);
  }
  document.addEventListener("click", function (e) {
    var tab = e.target.closest("#tabs [data-tab]");
    if (tab) { state.tab = tab.getAttribute("data-tab"); refreshLists(); return; }
    var item = e.target.closest("[data-testid=console-conversation-item]");
    if (item) { openConversation(item.getAttribute("data-id")); return; }
  });

  /* ---------- one conversation ---------- */
  function pane() { return $("#conversation .conv"); }
  function openConversation(id, keepDrafts) {
    var prev = pane();
    var drafts = null;
    if (keepDrafts && prev && prev.getAttribute("data-id") === id) {
      drafts = { reply: $(".reply", prev).value, note: $(".note-input", prev).value };
    }
    if (state.open && state.open !== id) wsSend({ type: "unsubscribe", conversation_id: state.open });
    state.open = id;
    return partial("/console/partials/conversation/" + encodeURIComponent(id)).then(function (r) {
      put($("#conversation"), r.html);
      var p = pane();
      state.lastSeq = +p.getAttribute("data-last-seq");
      if (drafts) { $(".reply", p).value = drafts.reply; $(".note-input", p).value = drafts.note; }
      history.replaceState(null, "", "/console?c=" + encodeURIComponent(id));
      document.querySelectorAll("[data-testid=console-conversation-item]").forEach(function (li) {
        li.classList.toggle("selected", li.getAttribute("data-id") === id);
      });
      scrollTimeline();
      wsSend({ type: "subscribe", conversation_id: id, after_seq: state.lastSeq });
      markRead();
    }).catch(function (e) { toast(e.message, true); });
  }
  function scrollTimeline() {
    var t = $("#conversation .timeline");
    if (t) t.scrollTop = t.scrollHeight;
  }
  var fetching = false;
  function fetchEvents() {
    var p = pane();
    if (!p || fetching) return;
    var id = p.getAttribute("data-id");
    fetching = true;
    partial("/console/partials/conversation/" + encodeURIComponent(id) + "/events?after_seq=" + state.lastSeq)
      .then(function (r) {
        if (state.open !== id || !pane()) return;
        var box = document.createElement("div");
        box.innerHTML = r.html;
        var timeline = $(".timeline", pane());
        Array.prototype.forEach.call(box.querySelectorAll("[data-seq]"), function (ev) {
          var seq = +ev.getAttribute("data-seq");
          if (timeline.querySelector('[data-seq="' + seq + '"]')) return;
          timeline.appendChild(ev);
          if (seq > state.lastSeq) state.lastSeq = seq;
          if (ev.getAttribute("data-author") === "customer") setTyping(false);
        });
        scrollTimeline();
        markRead();
        var status = r.headers.get("X-Kefu-Status");
        if (status && status !== pane().getAttribute("data-status")) openConversation(id, true);
      })
      .catch(function () {})
      .then(function () { fetching = false; });
  }

  var busy = false;
  function act(promise, okText, reload) {
    busy = true;
    return promise.then(function (res) {
      if (okText) toast(okText);
      if (reload) openConversation(state.open, true); else fetchEvents();
      refreshListsSoon();
      return res;
    }, function (e) { toast(e.message, true); throw e; }).finally(function () { busy = false; });
  }
  function convPath(suffix) { return "/api/v1/conversations/" + encodeURIComponent(state.open) + suffix; }

  var replyId = null, replyText = null;
  function sendReply() {
    var box = $(".reply", pane());
    var body = box.value.trim();
    if (!body || busy) return;
    // the same text retried after a network error keeps its client id: stored once
    if (body !== replyText) { replyText = body; replyId = uuid(); }
    act(api("POST", convPath("/messages"), { body: body, client_msg_id: replyId }), null, false)
      .then(function () { box.value = ""; replyText = null; wsSend({ type: "typing", conversation_id: state.open, on: false }); },
        function () { /* the text stays in the box */ });
  }
  function sendImage(file) {
    var form = new FormData();
    form.append("file", file, file.name || "image.png");
    act(api("POST", "/api/v1/attachments", form, true).then(function (att) {
      return api("POST", convPath("/messages"), { body: "", client_msg_id: uuid(), attachment_ids: [att.id] });
    }), null, false).catch(function () {});
  }

  // 待回电: record the outcome of a call-back (it goes on the conversation's timeline)
  document.addEventListener("click", function (e) {
    var cb = e.target.closest("[data-callback-outcome]");
    if (!cb) return;
    cb.disabled = true;
    api("POST", "/api/v1/callbacks/" + cb.getAttribute("data-callback-id") + "/outcome",
      { outcome: cb.getAttribute("data-callback-outcome") })
      .then(function () {
        toast("已记录回电结果：" + cb.textContent);
        if (window.htmx) htmx.trigger(document.body, "kefu-callbacks");
      })
      .catch(function (err) { cb.disabled = false; toast(err.message, true); });
  });

  // 查看卡密: a deliberate reveal for the open conversation (logged on its timeline and in
  // the audit log, rate-limited); the codes stay on screen only, never in storage
  document.addEventListener("click", function (e) {
    var rb = e.target.closest("[data-testid=reveal-codes]");
    if (!rb) return;
    if (!state.open) { toast("请先打开一个会话", true); return; }
    if (!window.confirm("查看卡密会记录在会话和审计日志中，确定查看？")) return;
    rb.disabled = true;
    var shown = rb.parentNode.querySelector("[data-testid=order-codes]");
    api("POST", "/api/v1/orders/" + encodeURIComponent(rb.getAttribute("data-order")) + "/card-codes/reveal",
      { conversation_id: state.open })
      .then(function (data) {
        shown.textContent = "卡密：" + data.codes.join("，");
        shown.className = "codes shown";
        setTimeout(function () { shown.textContent = "卡密 ••••••••"; shown.className = "codes"; rb.disabled = false; }, 60000);
      })
      .catch(function (err) { rb.disabled = false; toast(err.message, true); });
  });

  document.addEventListener("click", function (e) {
    var canned = e.target.closest("[data-canned]");
    if (canned) {
      var box = $(".reply", pane());
      var start = box.selectionStart || box.value.length;
      box.value = box.value.slice(0, start) + canned.getAttribute("data-canned") + box.value.slice(box.selectionEnd || start);
      box.focus();
      return;
    }
    var b = e.target.closest("[data-action]");
    if (!b || !pane()) return;
    switch (b.getAttribute("data-action")) {
      case "claim": act(api("POST", convPath("/assign"), { agent_id: ME }), "已接入", true).catch(function () {}); break;
      case "resolve": act(api("POST", convPath("/status"), { status: "resolved" }), "已标记为已解决", true).catch(function () {}); break;
      case "reopen": act(api("POST", convPath("/status"), { status: "assigned", reason: "reopened" }), "已重新打开", true).catch(function () {}); break;
      case "reply": sendReply(); break;
      case "note": {
        var n = $(".note-input", pane());
        if (!n.value.trim()) return;
        act(api("POST", convPath("/notes"), { body: n.value.trim() }), "备注已添加", false)
          .then(function () { n.value = ""; }, function () {});
        break;
      }
      case "toggle-transfer": { var f = $(".transfer", pane()); f.hidden = !f.hidden; break; }
      case "merge-link":
        act(api("POST", convPath("/merge")), "已合并到工单 " + b.textContent.replace("合并到", "").trim(), true).catch(function () {});
        break;
      case "dismiss-link": act(api("POST", convPath("/dismiss-link")), "已驳回关联", true).catch(function () {}); break;
    }
  });
  document.addEventListener("submit", function (e) {
    if (!e.target.matches(".transfer")) return;
    e.preventDefault();
    var target = e.target.target.value.split(":");
    var body = { note: e.target.note.value };
    if (target[0] === "dept") body.department = target[1]; else body.agent_id = +target[1];
    act(api("POST", convPath("/transfer"), body), "已转接", true).catch(function () {});
  });
  document.addEventListener("keydown", function (e) {
    if (e.target.matches && e.target.matches(".reply") && e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      sendReply();
    }
  });
  var lastTyping = 0;
  document.addEventListener("input", function (e) {
    if (!e.target.matches || !state.open) return;
    var internal = e.target.matches(".note-input");
    if (!e.target.matches(".reply") && !internal) return;
    if (Date.now() - lastTyping < 3000) return;
    lastTyping = Date.now();
    wsSend({ type: "typing", conversation_id: state.open, on: true, internal: internal });
  });
  document.addEventListener("change", function (e) {
    if (e.target.matches("[data-testid=console-attach]") && e.target.files[0]) {
      sendImage(e.target.files[0]);
      e.target.value = "";
    }
    if (e.target.id === "presence" || e.target.id === "capacity") {
      remember($("#presence").value);
      setPresence($("#presence").value, true);
    }
  });
  $("#logout").addEventListener("click", function () {
    remember(null);
    api("POST", "/api/v1/auth/logout").finally(function () { location.href = "/console/login"; });
  });

  /* ---------- presence (docs/presence.md) ----------
   * The server sets an agent offline as soon as their last console socket closes or
   * stops answering heartbeats. A reload closes the old socket, so the status chosen in
   * this tab is kept in sessionStorage (gone with the tab) and restored once the new
   * socket is live; closing the tab or 退出 leaves the agent offline. */
  function remember(value) {
    try { if (value) sessionStorage.setItem("kefu-presence", value); else sessionStorage.removeItem("kefu-presence"); } catch (e) { /* private mode */ }
  }
  function remembered() {
    try { return sessionStorage.getItem("kefu-presence"); } catch (e) { return null; }
  }
  function setPresence(value, announceIt) {
    return api("PUT", "/api/v1/agents/me/presence", { presence: value, capacity: +$("#capacity").value })
      .then(function (me) {
        $("#presence").value = me.presence;
        if (announceIt) toast("状态：" + labelOf("presence", me.presence));
        refreshListsSoon();
      }, function (err) { toast(err.message, true); });
  }
  function restorePresence() {
    var wanted = remembered();
    if (wanted && wanted !== "offline" && $("#presence").value !== wanted) setPresence(wanted, false);
  }
  function onPresence(f) {
    refreshListsSoon();
    if (f.agent_id !== ME) return;
    $("#presence").value = f.presence;
    if (f.presence !== "offline") return;
    if (f.reason === "connection_lost" && ready) restorePresence(); // our old socket (reload) closed
    else if (f.reason === "signed_out") toast("您已在其他页面退出，状态已设为离线", true);
  }

  var typingTimer = null;
  function setTyping(on, name) {
    var t = $("#conversation .typing");
    if (!t) return;
    t.textContent = on ? (name || "客户") + " 正在输入…" : "";
    clearTimeout(typingTimer);
    if (on) typingTimer = setTimeout(function () { setTyping(false); }, 8000);
  }
  var readSent = {};
  function markRead() {
    if (!state.open || document.hidden) return;
    if ((readSent[state.open] || 0) >= state.lastSeq) return;
    if (wsSend({ type: "read", conversation_id: state.open, seq: state.lastSeq })) readSent[state.open] = state.lastSeq;
  }
  document.addEventListener("visibilitychange", markRead);

  /* ---------- live socket with polling fallback ---------- */
  var ws = null, ready = false, backoff = 1000;
  function wsSend(frame) {
    if (!ws || !ready) return false;
    try { ws.send(JSON.stringify(frame)); return true; } catch (e) { return false; }
  }
  function live(text) { $("#live-state").textContent = text; $("#live-state").classList.toggle("on", text === "实时"); }
  function connect() {
    if (!("WebSocket" in window)) return;
    var sock = new WebSocket(location.origin.replace(/^http/, "ws") + "/ws");
    ws = sock;
    sock.onopen = function () { sock.send(JSON.stringify({ type: "hello" })); };
    sock.onmessage = function (m) {
      var f;
      try { f = JSON.parse(m.data); } catch (e) { return; }
      if (f.type === "welcome") {
        ready = true; backoff = 1000; live("实时");
        wsSend({ type: "subscribe_tenant" });
        restorePresence();
        if (state.open) wsSend({ type: "subscribe", conversation_id: state.open, after_seq: state.lastSeq });
      } else if (f.type === "event" && f.conversation_id === state.open) fetchEvents();
      else if (f.type === "conversation") {
        refreshListsSoon();
        if (f.conversation_id === state.open && f.seq > state.lastSeq) fetchEvents();
      } else if (f.type === "presence") onPresence(f);
      else if (f.type === "typing" && f.conversation_id === state.open && f.who === "customer") setTyping(f.on, f.name);
      else if (f.type === "ping") wsSend({ type: "pong" });
    };
    sock.onclose = function (e) {
      if (ws !== sock) return;
      ws = null; ready = false; live("轮询");
      // without a live socket the server has set us offline (no new customers)
      $("#presence").value = "offline";
      if (e.code === 4401) { location.href = "/console/login"; return; }
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 30000);
    };
  }
  setInterval(function () {
    if (ready) return;
    refreshLists();
    fetchEvents();
  }, 3000);
  setInterval(function () { if (ready) { refreshLists(); fetchEvents(); } }, 30000);

  /* ---------- due times count down (the server renders date + time in the tenant's zone) ---------- */
  function span(minutes) {
    return minutes < 60 ? minutes + " 分钟" : Math.floor(minutes / 60) + " 小时 " + (minutes % 60) + " 分钟";
  }
  function tickDue() {
    var now = Date.now();
    document.querySelectorAll("[data-due]").forEach(function (d) {
      var left = (Date.parse(d.getAttribute("data-due")) - now) / 1000;
      var c = d.querySelector(".countdown");
      if (!c) return;
      var minutes = Math.ceil(Math.abs(left) / 60);
      c.textContent = (left > 0 ? "剩余 " : "已超时 ") + span(minutes);
      if (left <= 0 && d.getAttribute("data-state") !== "breached") {
        d.setAttribute("data-state", "breached");
        d.className = "due due-breached";
      }
    });
  }
  setInterval(tickDue, 30000);

  refreshLists();
  if (state.open) openConversation(state.open);
  connect();
})();
