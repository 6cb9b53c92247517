/* kefu 客服 widget: one tag on any shop page, no dependencies, no build step.
 *   <script src="https://HOST/widget.js" data-tenant="demo" async></script>
 * Optional: data-identity-token="<signed token>" (docs/identity.md), data-lang="en".
 * Lossless: every message gets a client id and waits in an outbox (localStorage) until
 * the server has stored it; the timeline resumes from the last seq seen. */
(function () {
  "use strict";
  if (window.__kefuWidget) return;
  var script = document.currentScript ||
    document.querySelector('script[src*="widget.js"][data-tenant]');
  if (!script) return;
  window.__kefuWidget = true;

  var BASE = new URL(script.src, location.href).origin;
  var TENANT = script.getAttribute("data-tenant") || "demo";
  var IDENTITY = script.getAttribute("data-identity-token") || "";
  var LANG = (script.getAttribute("data-lang") || "zh").indexOf("en") === 0 ? "en" : "zh";
  var KEY = "kefu:" + TENANT;

  var TEXT = {
    zh: {
      launcher: "客服", title: "在线客服", handoff: "转人工", send: "发送", attach: "图片",
      placeholder: "请输入您的问题…", bot: "智能助手", you: "我", agentNo: "工号",
      sending: "发送中…", failed: "未发送，网络恢复后自动重发", read: "已读",
      typing: "正在输入…", offline: "网络已断开，消息会在恢复后自动发送",
      queuePos: "排队第 {p} 位", queueWait: "预计等待 {a}–{b} 分钟", queueSoon: "马上为您接入",
      queueUnknown: "暂时无法估计等待时间",
      handoffAfterLeave: "您的留言（工单号 {no}）已在人工队列中：客服上线后会按顺序接入，并在 {m} 分钟内回复您，无需重复留言。",
      queued: "已为您转接人工客服，请稍候…", handedOff: "已为您转人工",
      assigned: "客服 {name}（工号 {no}）为您服务", transferred: "已为您转接到 {dept}",
      resolved: "客服已将问题标记为已解决", reopened: "会话已重新打开", closed: "会话已关闭",
      rated: "感谢您的评价", rateTitle: "请为本次服务打分", rateComment: "还有什么想说的（可选）",
      rateSubmit: "提交评价", nobody: "当前暂无客服在线，您可以留言，我们将在 {m} 分钟内回复",
      leave: "留言", leaveName: "称呼（可选）", leaveContact: "手机号或邮箱",
      leaveBody: "请描述您的问题（订单号、时间、错误提示）", leaveSubmit: "提交留言",
      leaveDone: "已收到您的留言（工单号 {no}），我们将在 {m} 分钟内回复您：留了邮箱的会收到邮件，也可凭工单号和手机号后四位在帮助中心查询进度。",
      leaveTrack: "查看进度",
      leaveBad: "请填写正确的手机号或邮箱，以及留言内容", close: "关闭", cancel: "取消",
      verifyOpen: "已下单？验证身份，客服可直接查看您的订单", verifyTitle: "验证身份",
      callbackOpen: "不想等？预约回电", callbackTitle: "预约回电", callbackPhone: "手机号",
      callbackSoon: "尽快（1 小时内）", callbackEvening: "今天 18:00–21:00", callbackTomorrow: "明天 09:00–12:00",
      callbackSubmit: "预约", callbackBad: "请填写正确的手机号",
      callbackDone: "已预约回电：{from}–{to}，客服将拨打 {phone}",
      verifyOrder: "订单号（如 KM2026…）", verifyPhone: "下单手机号后 4 位", verifySubmit: "验证",
      verifyBad: "请填写订单号和手机号后 4 位数字", verifyDone: "身份已验证，您的咨询已关联到会员账号",
      uploadFailed: "图片上传失败：", sendRejected: "发送失败：", image: "[图片]",
      slaWarn: "客服正在加紧处理", welcome: "您好，请问有什么可以帮您？输入问题或点「转人工」。",
    },
    en: {
      launcher: "Help", title: "Customer service", handoff: "Talk to a human", send: "Send",
      attach: "Image", placeholder: "Type your question…", bot: "Assistant", you: "Me",
      agentNo: "ID", sending: "Sending…", failed: "Not sent yet; will retry when online",
      read: "Read", typing: "is typing…", offline: "Offline: messages will be sent when the network is back",
      queuePos: "Number {p} in the queue", queueWait: "expected wait {a}–{b} min", queueSoon: "connecting you now",
      queueUnknown: "wait cannot be estimated yet",
      handoffAfterLeave: "Your message (ticket {no}) is in the queue for a human: agents take it in order once online and reply within {m} minutes; no need to write again.",
      queued: "Connecting you to an agent…", handedOff: "Handed over to a human agent",
      assigned: "{name} (ID {no}) is helping you", transferred: "Transferred to {dept}",
      resolved: "The agent marked this as resolved", reopened: "Conversation reopened",
      closed: "Conversation closed", rated: "Thank you for your rating",
      rateTitle: "How did we do?", rateComment: "Anything else? (optional)", rateSubmit: "Submit",
      nobody: "No agent is online. Leave a message and we reply within {m} minutes",
      leave: "Leave a message", leaveName: "Name (optional)", leaveContact: "Phone or email",
      leaveBody: "Your question (order number, time, error message)", leaveSubmit: "Send",
      leaveDone: "Message received (ticket {no}); we reply within {m} minutes, by e-mail if you gave one; track it in the help center with the ticket number and your phone's last 4 digits.",
      leaveTrack: "Track progress",
      leaveBad: "Please give a valid phone or email and a message", close: "Close",
      cancel: "Cancel",
      verifyOpen: "Ordered already? Verify so we can see your orders", verifyTitle: "Verify",
      callbackOpen: "Rather not wait? Ask for a call-back", callbackTitle: "Call-back", callbackPhone: "Phone",
      callbackSoon: "As soon as possible (1 h)", callbackEvening: "Today 18:00–21:00", callbackTomorrow: "Tomorrow 09:00–12:00",
      callbackSubmit: "Request", callbackBad: "Enter a valid phone number",
      callbackDone: "Call-back booked: {from}–{to}, we will call {phone}",
      verifyOrder: "Order number (e.g. KM2026…)", verifyPhone: "Last 4 digits of your phone",
      verifySubmit: "Verify", verifyBad: "Enter the order number and the last 4 phone digits",
      verifyDone: "Verified: this chat is now linked to your member account", uploadFailed: "Upload failed: ", sendRejected: "Not sent: ",
      image: "[image]", slaWarn: "We are working on it", welcome: "Hello! Ask a question or press “Talk to a human”.",
    },
  };
  var T = TEXT[LANG];
  function fmt(s, vars) {
    return s.replace(/\{(\w+)\}/g, function (_, k) { return vars[k] == null ? "" : String(vars[k]); });
  }

  /* ---------- persistent state (per tenant) ---------- */
  function load() {
    try { return JSON.parse(localStorage.getItem(KEY) || "{}") || {}; } catch (e) { return {}; }
  }
  var S = load();
  S.outbox = S.outbox || [];
  function save() {
    try { localStorage.setItem(KEY, JSON.stringify(S)); } catch (e) { /* private mode */ }
  }
  function uuid() {
    if (window.crypto && crypto.randomUUID) return "c-" + crypto.randomUUID();
    return "c-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 12);
  }

  /* ---------- DOM (shadow root: the shop's CSS cannot reach in, ours cannot leak) ---------- */
  var host = document.createElement("div");
  host.id = "kefu-widget-host";
  host.style.cssText = "all:initial;position:fixed;z-index:2147483000;right:0;bottom:0;";
  var root = host.attachShadow({ mode: "open" });
  root.innerHTML =
    "<style>" +
    ":host{all:initial}*{box-sizing:border-box;font-family:-apple-system,'PingFang SC','Microsoft YaHei','Noto Sans CJK SC',sans-serif}" +
    ".launcher{position:fixed;right:20px;bottom:20px;background:#e8452c;color:#fff;border:0;border-radius:28px;padding:12px 20px;font-size:16px;font-weight:600;box-shadow:0 4px 14px rgba(0,0,0,.25);cursor:pointer}" +
    ".badge{display:none;background:#fff;color:#e8452c;border-radius:10px;padding:0 6px;margin-left:6px;font-size:12px}" +
    ".panel{position:fixed;right:20px;bottom:84px;width:380px;height:600px;max-height:calc(100vh - 104px);background:#f5f6f8;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.3);display:none;flex-direction:column;overflow:hidden;font-size:14px;color:#222}" +
    ".panel.open{display:flex}" +
    ".head{background:#e8452c;color:#fff;padding:10px 12px;display:flex;align-items:center;gap:8px}" +
    ".head .t{flex:1;font-weight:600;font-size:15px}" +
    ".head button{border:1px solid rgba(255,255,255,.8);background:transparent;color:#fff;border-radius:14px;padding:4px 10px;cursor:pointer;font-size:13px}" +
    ".head .handoff{background:#fff;color:#e8452c;font-weight:600}" +
    ".ann{background:#fff7e0;color:#7a5600;padding:6px 12px;font-size:12px;border-bottom:1px solid #f0e0b0}" +
    ".note{background:#eef4ff;color:#244a8f;padding:6px 12px;font-size:12px}" +
    ".note a,.ann a{color:inherit;text-decoration:underline;cursor:pointer}" +
    ".net{display:none;background:#fdecea;color:#a12a1a;padding:6px 12px;font-size:12px}" +
    ".log{flex:1;overflow-y:auto;padding:10px 12px}" +
    ".row{display:flex;flex-direction:column;margin:8px 0;align-items:flex-start}" +
    ".row.me{align-items:flex-end}" +
    ".who{font-size:11px;color:#888;margin:0 4px 2px}" +
    ".bubble{max-width:80%;padding:8px 11px;border-radius:10px;background:#fff;white-space:pre-wrap;word-break:break-word;line-height:1.45}" +
    ".me .bubble{background:#e8452c;color:#fff}" +
    ".bot .bubble{background:#fff;border:1px solid #e3e3e3}" +
    ".meta{font-size:11px;color:#999;margin:2px 4px}" +
    ".sys{text-align:center;color:#888;font-size:12px;margin:8px 0}" +
    ".qr{display:flex;flex-wrap:wrap;gap:6px;margin-top:6px;max-width:90%}" +
    ".qr button{border:1px solid #e8452c;color:#e8452c;background:#fff;border-radius:14px;padding:4px 10px;cursor:pointer;font-size:13px}" +
    ".thumb{display:block;max-width:160px;max-height:160px;border-radius:6px;margin-top:4px;cursor:zoom-in;background:#eee;min-width:40px;min-height:40px}" +
    ".pending .bubble{opacity:.6}" +
    ".typing{display:none;color:#888;font-size:12px;padding:0 14px 4px}" +
    ".queue{display:none;background:#fff3e8;color:#8a4b00;padding:6px 12px;font-size:13px}" +
    ".card{background:#fff;border-radius:10px;padding:12px;margin:10px 0;border:1px solid #eee}" +
    ".card h4{margin:0 0 8px;font-size:14px}" +
    ".card input,.card textarea{width:100%;margin:4px 0;padding:7px;border:1px solid #ccc;border-radius:6px;font-size:14px}" +
    ".card .btn{background:#e8452c;color:#fff;border:0;border-radius:6px;padding:7px 14px;cursor:pointer;font-size:14px;margin-top:4px}" +
    ".card .link{background:none;border:0;color:#666;cursor:pointer;font-size:13px}" +
    ".stars button{font-size:26px;background:none;border:0;color:#ccc;cursor:pointer;padding:0 2px}" +
    ".stars button.on{color:#f5a623}" +
    ".err{color:#c0392b;font-size:12px;margin:4px 0}" +
    ".foot{display:flex;gap:6px;padding:8px;background:#fff;border-top:1px solid #e5e5e5;align-items:flex-end}" +
    ".foot textarea{flex:1;resize:none;height:40px;max-height:100px;border:1px solid #ddd;border-radius:8px;padding:8px;font-size:14px}" +
    ".foot button{border:0;border-radius:8px;padding:0 12px;height:40px;cursor:pointer;font-size:14px}" +
    ".send{background:#e8452c;color:#fff}.attach{background:#f0f0f0;color:#444}" +
    "@media (max-width:480px){.panel{right:0;bottom:0;width:100vw;height:100%;max-height:100%;border-radius:0}.panel.open~.launcher{display:none}}" +
    "</style>" +
    '<div class="panel" data-testid="kefu-panel" role="dialog" aria-label="' + T.title + '">' +
    '<div class="head"><span class="t"></span>' +
    '<button class="handoff" data-testid="kefu-handoff" type="button"></button>' +
    '<button class="x" type="button" aria-label="close">×</button></div>' +
    '<div class="anns"></div><div class="nobody note" data-testid="kefu-nobody" style="display:none"></div>' +
    '<div class="net"></div><div class="queue" data-testid="kefu-queue"></div>' +
    '<div class="verify note" style="display:none"></div>' +
    '<div class="log" aria-live="polite"></div>' +
    '<div class="typing" data-testid="kefu-typing"></div>' +
    '<div class="foot"><button class="attach" data-testid="kefu-attach" type="button"></button>' +
    '<input type="file" accept="image/png,image/jpeg,image/gif,image/webp" style="display:none" data-testid="kefu-file">' +
    '<textarea data-testid="kefu-input" rows="1"></textarea>' +
    '<button class="send" data-testid="kefu-send" type="button"></button></div></div>' +
    '<button class="launcher" data-testid="kefu-launcher" type="button"><span class="lt"></span><span class="badge"></span></button>';
  function $(sel) { return root.querySelector(sel); }
  var panel = $(".panel"), log = $(".log"), input = $("textarea"), fileInput = $("input[type=file]");
  $(".lt").textContent = T.launcher;
  $(".head .t").textContent = T.title;
  $(".handoff").textContent = T.handoff;
  $(".send").textContent = T.send;
  $(".attach").textContent = T.attach;
  input.placeholder = T.placeholder;
  $(".net").textContent = T.offline;
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }

  /* ---------- HTTP ---------- */
  function api(method, path, body, isForm) {
    var headers = { "X-Kefu-Tenant": TENANT };  // CORS: the tenant whose shops may call
    if (S.token) headers.Authorization = "Bearer " + S.token;
    var init = { method: method, headers: headers };
    if (body != null) {
      if (isForm) init.body = body;
      else { headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
    }
    return fetch(BASE + path, init).then(function (r) {
      return r.text().then(function (t) {
        var data = null;
        try { data = t ? JSON.parse(t) : null; } catch (e) { data = null; }
        if (!r.ok) {
          var err = new Error((data && data.error && (LANG === "en" ? data.error.message_en : data.error.message)) || ("HTTP " + r.status));
          err.status = r.status;
          err.code = data && data.error && data.error.code;
          throw err;
        }
        return data;
      });
    });
  }

  var sessionPromise = null;
  function ensureSession() {
    if (S.token && (!IDENTITY || S.idt === IDENTITY)) return Promise.resolve();
    if (sessionPromise) return sessionPromise;
    var req = { tenant: TENANT };
    if (IDENTITY) req.identity_token = IDENTITY;
    else if (S.oldToken) req.visitor_token = S.oldToken;
    sessionPromise = api("POST", "/api/v1/widget/session", req).catch(function (e) {
      if (!req.visitor_token || e.status !== 401) throw e;
      return api("POST", "/api/v1/widget/session", { tenant: TENANT }); // too old: a new visitor
    }).then(function (s) {
      if (S.customer_id && S.customer_id !== s.customer_id) resetConversation();
      S.token = s.token; S.customer_id = s.customer_id; S.idt = IDENTITY || null;
      S.oldToken = null;
      save();
    }).finally(function () { sessionPromise = null; });
    return sessionPromise;
  }
  function onAuthLost() {
    // the customer token expired: a new session (the signed identity maps to the same
    // customer; an anonymous visitor's old token is renewed for the same visitor)
    if (!IDENTITY && S.token) S.oldToken = S.token;
    S.token = null; S.idt = null; save();
  }

  function resetConversation() {
    S.conv = null; S.lastSeq = 0; S.status = null; S.ratedAfter = 0; S.resolvedSeq = 0; S.leftNo = null; S.leftMinutes = null; S.leftUrl = null;
    seen = {}; log.innerHTML = ""; save();
  }

  /* ---------- timeline ---------- */
  var seen = {};
  var agentReadSeq = 0;
  var renderedBots = [];
  function scrollDown() { log.scrollTop = log.scrollHeight; }

  function sysLine(text, seq) {
    var d = el("div", "sys", text);
    d.setAttribute("data-testid", "kefu-event");
    if (seq) d.setAttribute("data-seq", seq);
    return d;
  }

  var blobCache = {};
  function imageThumb(att) {
    var img = el("img", "thumb");
    img.alt = att.filename || T.image;
    img.setAttribute("data-testid", "kefu-thumb");
    var apply = function (url) {
      img.src = url;
      img.onclick = function () { window.open(url, "_blank"); };
    };
    if (blobCache[att.id]) apply(blobCache[att.id]);
    else {
      fetch(BASE + "/api/v1/attachments/" + encodeURIComponent(att.id), {
        headers: { Authorization: "Bearer " + S.token, "X-Kefu-Tenant": TENANT },
      }).then(function (r) { if (!r.ok) throw new Error(); return r.blob(); })
        .then(function (b) { blobCache[att.id] = URL.createObjectURL(b); apply(blobCache[att.id]); })
        .catch(function () { img.alt = T.image; });
    }
    return img;
  }

  function messageRow(ev) {
    var mine = ev.author_type === "customer";
    var row = el("div", "row " + (mine ? "me" : ev.author_type === "bot" ? "bot" : "agent"));
    row.setAttribute("data-testid", "kefu-message");
    row.setAttribute("data-seq", ev.seq);
    row.setAttribute("data-author", ev.author_type);
    if (ev.client_msg_id) row.setAttribute("data-client-msg-id", ev.client_msg_id);
    var author = (ev.data && ev.data.author) || null;
    var who = mine ? T.you : ev.author_type === "bot" ? T.bot
      : author ? author.name + " · " + T.agentNo + " " + author.agent_no : T.title;
    row.appendChild(el("div", "who", who));
    var bubble = el("div", "bubble", ev.body || "");
    var atts = (ev.data && ev.data.attachments) || [];
    atts.forEach(function (a) {
      if ((a.content_type || "").indexOf("image/") === 0) bubble.appendChild(imageThumb(a));
      else bubble.appendChild(el("div", null, "📎 " + a.filename));
    });
    row.appendChild(bubble);
    if (mine) {
      var meta = el("div", "meta", ev.seq <= agentReadSeq ? T.read : "");
      meta.setAttribute("data-testid", "kefu-read");
      row.appendChild(meta);
    }
    var qrs = (ev.type === "bot_turn" && ev.data && ev.data.quick_replies) || [];
    if (qrs.length) {
      var box = el("div", "qr");
      qrs.forEach(function (q) {
        var b = el("button", null, q.label);
        b.type = "button";
        b.setAttribute("data-testid", "kefu-quick-reply");
        b.setAttribute("data-payload", q.payload);
        b.onclick = function () { quickReply(q); };
        box.appendChild(b);
      });
      row.appendChild(box);
      renderedBots.push(box);
    }
    return row;
  }

  function systemText(ev) {
    var d = ev.data || {};
    switch (ev.type) {
      case "handoff": return T.handedOff;
      case "assignment": return fmt(T.assigned, { name: d.name, no: d.agent_no });
      case "transfer": return d.to_department_name ? fmt(T.transferred, { dept: d.to_department_name }) : null;
      case "status_change":
        if (d.to === "resolved") return T.resolved;
        if (d.to === "closed") return T.closed;
        if (d.from === "resolved" || d.from === "closed") return T.reopened;
        if (d.to === "queued") return T.queued;
        return null;
      case "rating": return T.rated + "（" + "★★★★★".slice(0, d.score || 0) + "）";
      case "sla_warning": case "sla_breach": return ev.text || null;
      default: return ev.text || null;  // the server's Chinese line for any other event
    }
  }

  function render(ev) {
    if (seen[ev.seq]) return;
    seen[ev.seq] = true;
    if (ev.seq > (S.lastSeq || 0)) S.lastSeq = ev.seq;
    if (ev.type === "status_change" && ev.data) {
      S.status = ev.data.to;
      if (ev.data.to === "resolved") S.resolvedSeq = ev.seq;
      if (ev.data.to !== "queued") hideQueue();
    }
    if (ev.type === "handoff" && S.status === "bot") S.status = "queued";
    if (ev.type === "assignment") { S.status = "assigned"; hideQueue(); showNobody(false); }
    if (ev.type === "rating") S.ratedAfter = ev.seq;
    var node;
    if (ev.type === "message" || ev.type === "bot_turn") {
      node = messageRow(ev);
      if (ev.client_msg_id) removePending(ev.client_msg_id);
      if (ev.author_type !== "customer" && !panel.classList.contains("open")) bumpUnread();
      if (ev.author_type !== "customer") {
        if (ev.seq > lastReplySeq) lastReplySeq = ev.seq;
        setTyping(false);
      }
    } else {
      var text = systemText(ev);
      if (!text) return;
      node = sysLine(text, ev.seq);
    }
    // keep seq order even if frames arrive out of order
    var after = null;
    var rows = log.querySelectorAll("[data-seq]");
    for (var i = rows.length - 1; i >= 0; i--) {
      if (+rows[i].getAttribute("data-seq") < ev.seq) { after = rows[i]; break; }
    }
    if (after) after.after(node);
    else log.insertBefore(node, log.firstChild);
    var pend = log.querySelectorAll(".pending");
    for (var j = 0; j < pend.length; j++) log.appendChild(pend[j]);
    renderedBots.slice(0, -1).forEach(function (b) { b.style.display = "none"; });
    updateRating();
    save();
    scrollDown();
    markRead();
  }

  function removePending(cid) {
    var p = log.querySelector('.pending[data-client-msg-id="' + cid + '"]');
    if (p) p.remove();
    var before = S.outbox.length;
    S.outbox = S.outbox.filter(function (m) { return m.cid !== cid; });
    if (S.outbox.length !== before) save();
  }

  function renderPending(m) {
    if (log.querySelector('.pending[data-client-msg-id="' + m.cid + '"]')) return;
    var row = el("div", "row me pending");
    row.setAttribute("data-testid", "kefu-pending");
    row.setAttribute("data-client-msg-id", m.cid);
    row.appendChild(el("div", "who", T.you));
    row.appendChild(el("div", "bubble", m.body || T.image));
    row.appendChild(el("div", "meta", navigator.onLine ? T.sending : T.failed));
    log.appendChild(row);
    scrollDown();
  }

  /* ---------- rating ---------- */
  var ratingCard = null;
  function updateRating() {
    var want = S.conv && (S.status === "resolved" || S.status === "closed") &&
      (S.resolvedSeq || 0) > (S.ratedAfter || 0);
    if (!want) { if (ratingCard) { ratingCard.remove(); ratingCard = null; } return; }
    if (ratingCard) { log.appendChild(ratingCard); return; }
    var score = 0;
    ratingCard = el("div", "card");
    ratingCard.setAttribute("data-testid", "kefu-rating");
    ratingCard.appendChild(el("h4", null, T.rateTitle));
    var stars = el("div", "stars");
    for (var i = 1; i <= 5; i++) {
      (function (n) {
        var b = el("button", null, "★");
        b.type = "button";
        b.setAttribute("data-testid", "kefu-rating-star-" + n);
        b.setAttribute("aria-label", n + "");
        b.onclick = function () {
          score = n;
          var all = stars.querySelectorAll("button");
          for (var k = 0; k < all.length; k++) all[k].classList.toggle("on", k < n);
        };
        stars.appendChild(b);
      })(i);
    }
    ratingCard.appendChild(stars);
    var comment = el("textarea");
    comment.placeholder = T.rateComment;
    comment.setAttribute("data-testid", "kefu-rating-comment");
    ratingCard.appendChild(comment);
    var err = el("div", "err");
    ratingCard.appendChild(err);
    var submit = el("button", "btn", T.rateSubmit);
    submit.type = "button";
    submit.setAttribute("data-testid", "kefu-rating-submit");
    submit.onclick = function () {
      if (!score) { err.textContent = T.rateTitle; return; }
      submit.disabled = true;
      api("POST", "/api/v1/conversations/" + S.conv + "/rating", { score: score, comment: comment.value })
        .then(function (ev) { render(ev); })
        .catch(function (e) { err.textContent = e.message; submit.disabled = false; });
    };
    ratingCard.appendChild(submit);
    log.appendChild(ratingCard);
    scrollDown();
  }

  /* ---------- queue, typing, read ---------- */
  function hideQueue() { $(".queue").style.display = "none"; }
  function showQueue(f) {
    if (S.status && S.status !== "queued") return;
    var q = $(".queue");
    if (f.position == null) return;
    // the banner follows the queue: shown only while nobody is online to take the chat
    if (f.reason) showNobody(f.reason === "no_agent_online" || (config && config.open_now === false));
    // position beside the wait: a range from measured handling times, or plainly unknown
    q.textContent = "";
    var pos = el("span", "qpos", fmt(T.queuePos, { p: f.position }));
    pos.setAttribute("data-testid", "kefu-queue-position");
    var wait;
    if (f.expected_wait_max_seconds == null) wait = T.queueUnknown;
    else if (f.expected_wait_max_seconds <= 0) wait = T.queueSoon;
    else wait = fmt(T.queueWait, { a: Math.round(f.expected_wait_min_seconds / 60), b: Math.round(f.expected_wait_max_seconds / 60) });
    var w = el("span", "qwait", wait);
    w.setAttribute("data-testid", "kefu-queue-wait");
    q.appendChild(pos); q.appendChild(document.createTextNode(" · ")); q.appendChild(w);
    if (f.offer_alternatives && !S.callbackAsked) {
      q.appendChild(document.createTextNode(" · "));
      var a = el("a", null, T.callbackOpen);
      a.setAttribute("data-testid", "kefu-callback-open");
      a.onclick = openCallbackForm;
      q.appendChild(a);
    }
    q.style.display = "block";
  }

  /* ---------- call-back: a phone number and a time window instead of waiting ---------- */
  function callbackWindow(choice) {
    var start = new Date(), end;
    if (choice === "tomorrow") {
      start.setDate(start.getDate() + 1); start.setHours(9, 0, 0, 0);
      end = new Date(start); end.setHours(12, 0, 0, 0);
    } else if (choice === "evening" && start.getHours() < 18) {
      start.setHours(18, 0, 0, 0); end = new Date(start); end.setHours(21, 0, 0, 0);
    } else {
      end = new Date(start.getTime() + 60 * 60 * 1000);
    }
    return { window_start: start.toISOString(), window_end: end.toISOString() };
  }
  function openCallbackForm() {
    if (log.querySelector(".callbackform") || !S.conv) return;
    var card = el("form", "card callbackform");
    card.setAttribute("data-testid", "kefu-callback");
    card.appendChild(el("h4", null, T.callbackTitle));
    var phone = el("input"); phone.name = "phone"; phone.placeholder = T.callbackPhone;
    phone.maxLength = 20; phone.inputMode = "tel";
    var when = el("select"); when.name = "when";
    [["soon", T.callbackSoon], ["evening", T.callbackEvening], ["tomorrow", T.callbackTomorrow]]
      .forEach(function (o) { var opt = el("option", null, o[1]); opt.value = o[0]; when.appendChild(opt); });
    var err = el("div", "err");
    var submit = el("button", "btn", T.callbackSubmit); submit.type = "submit";
    var cancel = el("button", "link", T.cancel); cancel.type = "button";
    cancel.onclick = function () { card.remove(); };
    [phone, when, err, submit, cancel].forEach(function (x) { card.appendChild(x); });
    card.onsubmit = function (ev) {
      ev.preventDefault();
      if (!phone.value.trim()) { err.textContent = T.callbackBad; return; }  // the server validates the number
      submit.disabled = true;
      var body = callbackWindow(when.value);
      body.phone = phone.value.trim();
      api("POST", "/api/v1/conversations/" + S.conv + "/callback", body).then(function (cb) {
        card.remove();
        S.callbackAsked = true; save();
        var start = new Date(cb.window_start), end = new Date(cb.window_end);
        function hm(d) { return ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2); }
        log.appendChild(sysLine(fmt(T.callbackDone, { from: hm(start), to: hm(end), phone: cb.phone })));
        scrollDown();
      }).catch(function (e) { err.textContent = e.message; submit.disabled = false; });
    };
    log.appendChild(card);
    scrollDown();
    phone.focus();
  }
  var typingTimer = null;
  var lastReplySeq = 0; // newest answer (bot or agent) shown
  function setTyping(on, name, ms) {
    var t = $(".typing");
    t.textContent = on ? (name || T.title) + " " + T.typing : "";
    t.style.display = on ? "block" : "none";
    clearTimeout(typingTimer);
    if (on) typingTimer = setTimeout(function () { setTyping(false); }, ms || 8000);
  }
  function applyRead(seq) {
    if (seq <= agentReadSeq) return;
    agentReadSeq = seq;
    var rows = log.querySelectorAll('.row.me[data-seq]');
    for (var i = 0; i < rows.length; i++) {
      if (+rows[i].getAttribute("data-seq") <= seq) rows[i].querySelector(".meta").textContent = T.read;
    }
  }
  var readSent = 0;
  function markRead() {
    if (!panel.classList.contains("open") || document.hidden) return;
    if (!S.conv || (S.lastSeq || 0) <= readSent) return;
    if (wsSend({ type: "read", conversation_id: S.conv, seq: S.lastSeq })) readSent = S.lastSeq;
  }
  var unread = 0;
  function bumpUnread() {
    unread += 1;
    var b = $(".badge");
    b.textContent = unread;
    b.style.display = "inline-block";
  }

  /* ---------- the live socket (docs/protocol.md) with REST polling as fallback ---------- */
  var ws = null, wsReady = false, wsBackoff = 1000, wsTimer = null, subscribed = null;
  function wsSend(frame) {
    if (!ws || !wsReady) return false;
    try { ws.send(JSON.stringify(frame)); return true; } catch (e) { return false; }
  }
  function connect() {
    if (ws || !S.token || !("WebSocket" in window)) return;
    var url = BASE.replace(/^http/, "ws") + "/ws";
    var sock;
    try { sock = new WebSocket(url); } catch (e) { scheduleReconnect(); return; }
    ws = sock;
    sock.onopen = function () { sock.send(JSON.stringify({ type: "hello", token: S.token })); };
    sock.onmessage = function (m) {
      var f;
      try { f = JSON.parse(m.data); } catch (e) { return; }
      onFrame(f);
    };
    sock.onclose = function (e) {
      if (ws !== sock) return;
      ws = null; wsReady = false; subscribed = null;
      if (e.code === 4401) onAuthLost();
      scheduleReconnect();
    };
    sock.onerror = function () { /* onclose follows */ };
  }
  function scheduleReconnect() {
    clearTimeout(wsTimer);
    wsTimer = setTimeout(function () { ensureSession().then(connect, scheduleReconnect); }, wsBackoff);
    wsBackoff = Math.min(wsBackoff * 2, 30000);
  }
  function subscribe() {
    if (S.conv && subscribed !== S.conv && wsSend({ type: "subscribe", conversation_id: S.conv, after_seq: S.lastSeq || 0 })) {
      subscribed = S.conv;
    }
  }
  function onFrame(f) {
    switch (f.type) {
      case "welcome": wsReady = true; wsBackoff = 1000; subscribe(); flush(); break;
      case "event": if (f.conversation_id === S.conv && f.event) render(f.event); break;
      case "ack":
        if (f.conversation_id === S.conv && f.seq) fetchEvents();
        break;
      case "typing": if (f.who === "agent" && f.conversation_id === S.conv) setTyping(f.on, f.name); break;
      case "read": if (f.who === "agent" && f.conversation_id === S.conv) applyRead(f.seq); break;
      case "queue": if (f.conversation_id === S.conv) showQueue(f); break;
      case "ping": wsSend({ type: "pong" }); break;
      case "error":
        if (f.code === "not_found" && !f.ref) { subscribed = null; }
        else if (f.ref) rejectOutbox(f.ref, f);
        break;
    }
  }

  var fetching = null;
  function fetchEvents() {
    if (!S.conv || fetching) return fetching || Promise.resolve();
    var conv = S.conv;
    fetching = api("GET", "/api/v1/conversations/" + conv + "/events?after_seq=" + (S.lastSeq || 0) + "&limit=200")
      .then(function (tl) {
        if (conv !== S.conv) return;
        tl.events.forEach(render);
        setNet(true);
        if (tl.has_more) { fetching = null; return fetchEvents(); }
      })
      .catch(function (e) {
        if (e.status === 401) onAuthLost();
        else if (e.status === 404) resetConversation();
        else setNet(false);
      })
      .finally(function () { fetching = null; });
    return fetching;
  }
  function setNet(ok) { $(".net").style.display = ok && navigator.onLine ? "none" : "block"; }

  /* ---------- sending: the outbox is the only path, so nothing typed is lost ---------- */
  var convPromise = null;
  function ensureConversation() {
    if (S.conv) return Promise.resolve(S.conv);
    if (convPromise) return convPromise;
    convPromise = ensureSession().then(function () {
      return api("POST", "/api/v1/conversations", { channel: "web", start_with_bot: true });
    }).then(function (c) {
      S.conv = c.id; S.lastSeq = 0; S.status = c.status; save();
      subscribe();
      return c.id;
    }).finally(function () { convPromise = null; });
    return convPromise;
  }

  function queueMessage(body, attachmentIds, quickReplyPayload) {
    var m = { cid: uuid(), body: body, att: attachmentIds || [], tries: 0, at: 0 };
    if (quickReplyPayload) m.qr = quickReplyPayload; // the label is shown, the payload is understood
    S.outbox.push(m);
    save();
    renderPending(m);
    flush();
  }

  function rejectOutbox(cid, err) {
    var m = S.outbox.filter(function (x) { return x.cid === cid; })[0];
    if (!m) return;
    removePending(cid);
    if (m.body && !input.value) input.value = m.body; // never lose what the user typed
    var line = sysLine(T.sendRejected + (err.message || err.code || ""));
    line.className = "err";
    log.appendChild(line);
    scrollDown();
  }

  var flushing = false;
  function flush() {
    if (flushing || !S.outbox.length) return;
    flushing = true;
    ensureConversation().then(function (conv) {
      var chain = Promise.resolve();
      S.outbox.slice().forEach(function (m) {
        chain = chain.then(function () { return sendOne(conv, m); });
      });
      return chain;
    }).catch(function (e) {
      if (e.status === 401) onAuthLost();
      setNet(false);
    }).finally(function () {
      flushing = false;
      var p = log.querySelectorAll(".pending .meta");
      for (var i = 0; i < p.length; i++) p[i].textContent = navigator.onLine ? T.sending : T.failed;
    });
  }

  function sendOne(conv, m) {
    m.tries += 1; m.at = Date.now(); save();
    // REST is the confirmation path (idempotent by client_msg_id); the socket delivers events
    var payload = { body: m.body, client_msg_id: m.cid, attachment_ids: m.att, lang: LANG };
    if (m.qr) payload.quick_reply = m.qr;
    return api("POST", "/api/v1/conversations/" + conv + "/messages", payload)
      .then(function (posted) {
        setNet(true); render(posted.event); removePending(m.cid);
        // the bot is thinking: show it until its answer arrives (or 20 s pass)
        if (S.status === "bot" && lastReplySeq < posted.event.seq && m.body) setTyping(true, T.bot, 20000);
      })
      .catch(function (e) {
        if (e.status === 401) { onAuthLost(); throw e; }
        if (e.code === "conversation_closed") { resetConversation(); throw e; }
        if (e.status && e.status >= 400 && e.status < 500 && e.status !== 408 && e.status !== 429) {
          rejectOutbox(m.cid, e);
          return;
        }
        throw e;
      });
  }

  function sendTyped() {
    var body = input.value.trim();
    if (!body) return;
    input.value = "";
    wsSend({ type: "typing", conversation_id: S.conv, on: false });
    queueMessage(body, []);
  }

  function quickReply(q) {
    if (q.payload === "handoff") { handoff(); return; }
    queueMessage(q.label, [], q.payload);
  }

  function handoff() {
    ensureConversation().then(function (conv) {
      return api("POST", "/api/v1/conversations/" + conv + "/handoff", { reason: "button" });
    }).then(function (c) {
      if (c.status === "queued") {
        S.status = "queued";
        // the queue line right away (a pushed update may have gone out before we listened)
        api("GET", "/api/v1/conversations/" + c.id + "/queue").then(showQueue, function () {});
        if (S.leftNo) log.appendChild(sysLine(fmt(T.handoffAfterLeave, { no: S.leftNo, m: S.leftMinutes || (config ? config.promised_reply_minutes : 30) })));
      }
      fetchEvents();
      if (config && !config.agents_online && c.status === "queued") showNobody(true);
    }).catch(function (e) {
      var line = sysLine(T.sendRejected + e.message);
      line.className = "err";
      log.appendChild(line);
    });
  }

  function upload(file) {
    var form = new FormData();
    form.append("file", file, file.name || "image.png");
    ensureSession().then(function () {
      return api("POST", "/api/v1/attachments", form, true);
    }).then(function (att) {
      queueMessage("", [att.id]);
    }).catch(function (e) {
      var line = sysLine(T.uploadFailed + e.message);
      line.className = "err";
      log.appendChild(line);
      scrollDown();
    });
  }

  /* ---------- leave a message (nobody online) ---------- */
  var config = null;
  function showNobody(on) {
    var n = $(".nobody");
    n.style.display = on ? "block" : "none";
    if (!on) return;
    n.textContent = fmt(T.nobody, { m: config ? config.promised_reply_minutes : 30 }) + " ";
    var a = el("a", null, T.leave);
    a.setAttribute("data-testid", "kefu-leave-message-open");
    a.onclick = openLeaveForm;
    n.appendChild(a);
  }
  function showLeft() {
    var line = sysLine(fmt(T.leaveDone, { no: S.leftNo, m: S.leftMinutes || 30 }));
    line.setAttribute("data-testid", "kefu-leave-done");
    if (S.leftUrl) {
      line.appendChild(document.createTextNode(" "));
      var a = el("a", null, T.leaveTrack);
      a.href = S.leftUrl; a.target = "_blank"; a.rel = "noopener";
      a.setAttribute("data-testid", "kefu-leave-track");
      line.appendChild(a);
    }
    log.appendChild(line);
  }
  function openLeaveForm() {
    if (log.querySelector(".leave")) return;
    var card = el("form", "card leave");
    card.setAttribute("data-testid", "kefu-leave-message");
    card.appendChild(el("h4", null, T.leave));
    var name = el("input"); name.name = "name"; name.placeholder = T.leaveName; name.maxLength = 50;
    var contact = el("input"); contact.name = "contact"; contact.placeholder = T.leaveContact; contact.maxLength = 100;
    var body = el("textarea"); body.name = "body"; body.placeholder = T.leaveBody; body.rows = 4; body.maxLength = 5000;
    var err = el("div", "err");
    var submit = el("button", "btn", T.leaveSubmit); submit.type = "submit";
    var cancel = el("button", "link", T.cancel); cancel.type = "button";
    cancel.onclick = function () { card.remove(); };
    [name, contact, body, err, submit, cancel].forEach(function (x) { card.appendChild(x); });
    var cid = uuid();
    card.onsubmit = function (ev) {
      ev.preventDefault();
      var c = contact.value.trim();
      var okContact = /^\+?[0-9 -]{7,20}$/.test(c) || /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(c);
      if (!okContact || !body.value.trim()) { err.textContent = T.leaveBad; return; }
      submit.disabled = true;
      ensureSession().then(function () {
        return api("POST", "/api/v1/widget/messages", {
          contact: c, name: name.value.trim(), body: body.value.trim(), client_msg_id: cid,
        });
      }).then(function (left) {
        var conv = left.conversation;
        card.remove();
        resetConversation();
        S.conv = conv.id; S.status = conv.status; S.leftNo = left.number;
        S.leftMinutes = left.promised_reply_minutes; S.leftUrl = left.tracking_url; save();
        showLeft();
        subscribe();
        fetchEvents();
      }).catch(function (e) { err.textContent = e.message; submit.disabled = false; });
    };
    log.appendChild(card);
    scrollDown();
    contact.focus();
  }

  /* ---------- anonymous visitor: verify with order number + last 4 phone digits ---------- */
  function showVerifyLink() {
    var v = $(".verify");
    if (IDENTITY || S.verified) { v.style.display = "none"; return; }
    v.style.display = "block";
    v.textContent = "";
    var a = el("a", null, T.verifyOpen);
    a.setAttribute("data-testid", "kefu-verify-open");
    a.onclick = openVerifyForm;
    v.appendChild(a);
  }
  function openVerifyForm() {
    if (log.querySelector(".verifyform")) return;
    var card = el("form", "card verifyform");
    card.setAttribute("data-testid", "kefu-verify");
    card.appendChild(el("h4", null, T.verifyTitle));
    var order = el("input"); order.name = "order_no"; order.placeholder = T.verifyOrder; order.maxLength = 64;
    var last4 = el("input"); last4.name = "phone_last4"; last4.placeholder = T.verifyPhone;
    last4.maxLength = 4; last4.inputMode = "numeric";
    var err = el("div", "err");
    var submit = el("button", "btn", T.verifySubmit); submit.type = "submit";
    var cancel = el("button", "link", T.cancel); cancel.type = "button";
    cancel.onclick = function () { card.remove(); };
    [order, last4, err, submit, cancel].forEach(function (x) { card.appendChild(x); });
    card.onsubmit = function (ev) {
      ev.preventDefault();
      if (!order.value.trim() || !/^[0-9]{4}$/.test(last4.value)) { err.textContent = T.verifyBad; return; }
      submit.disabled = true;
      ensureSession().then(function () {
        return api("POST", "/api/v1/widget/verify", { order_no: order.value.trim(), phone_last4: last4.value });
      }).then(function (s) {
        card.remove();
        S.token = s.token; S.customer_id = s.customer_id; S.verified = true; save();
        showVerifyLink();
        log.appendChild(sysLine(T.verifyDone));
        scrollDown();
      }).catch(function (e) { err.textContent = e.message; submit.disabled = false; });
    };
    log.appendChild(card);
    scrollDown();
    order.focus();
  }

  function applyConfig(c) {
    config = c;
    var anns = $(".anns");
    anns.innerHTML = "";
    (c.announcements || []).forEach(function (a) {
      var d = el("div", "ann", (a.title ? a.title + "：" : "") + (a.body || ""));
      d.setAttribute("data-testid", "kefu-announcement");
      anns.appendChild(d);
    });
    if (c.name) $(".head .t").textContent = c.name + " · " + T.title;
    showNobody(!c.agents_online || c.open_now === false);
    showVerifyLink();
  }

  /* ---------- wiring ---------- */
  var started = false;
  function start() {
    if (started) return;
    started = true;
    S.lastSeq = 0; // a fresh page renders the whole (public) timeline, then follows it
    api("GET", "/api/v1/widget/config?tenant=" + encodeURIComponent(TENANT)).then(applyConfig, function () {});
    ensureSession().then(function () {
      connect();
      if (S.conv) return fetchEvents();
      var hello = sysLine(T.welcome);
      hello.setAttribute("data-testid", "kefu-welcome");
      hello.setAttribute("data-seq", "0");
      log.appendChild(hello);
    }).then(function () {
      S.outbox.forEach(renderPending);
      flush();
    }).catch(function () { setNet(false); S.outbox.forEach(renderPending); });
  }
  function openPanel() {
    panel.classList.add("open");
    unread = 0;
    $(".badge").style.display = "none";
    start();
    markRead();
    setTimeout(function () { input.focus(); }, 0);
  }
  $(".launcher").onclick = function () {
    if (panel.classList.contains("open")) panel.classList.remove("open");
    else openPanel();
  };
  $(".x").onclick = function () { panel.classList.remove("open"); };
  $(".handoff").onclick = handoff;
  $(".send").onclick = sendTyped;
  $(".attach").onclick = function () { fileInput.click(); };
  fileInput.onchange = function () {
    if (fileInput.files && fileInput.files[0]) upload(fileInput.files[0]);
    fileInput.value = "";
  };
  var lastTyping = 0;
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); sendTyped(); }
  });
  input.addEventListener("input", function () {
    var now = Date.now();
    if (S.conv && now - lastTyping > 3000) {
      lastTyping = now;
      wsSend({ type: "typing", conversation_id: S.conv, on: true });
    }
  });
  window.addEventListener("online", function () { setNet(true); flush(); fetchEvents(); if (!ws) connect(); });
  window.addEventListener("offline", function () { setNet(false); });
  document.addEventListener("visibilitychange", markRead);

  // polling: the truth is the database; without a socket we ask every few seconds
  setInterval(function () {
    if (!started) return;
    if (S.outbox.length) flush();
    if (!wsReady || !subscribed) fetchEvents();
  }, 2000);
  setInterval(function () { if (started && wsReady) fetchEvents(); }, 30000);

  function mount() {
    document.body.appendChild(host);
    if (S.conv || S.outbox.length) start(); // a running conversation resumes on every page
  }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
