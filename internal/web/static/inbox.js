// Steward inbox. The pages work without this script; it adds signing in
// from a link, sending without a reload, and live updates. No framework,
// no build step, no inline code (the Content-Security-Policy forbids it).
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  var FETCH_HEADERS = { "X-Requested-With": "fetch", "Accept": "application/json" };
  var SIGNED_OUT = "signed out";

  function byId(id) { return document.getElementById(id); }

  function signedOut() {
    var next = location.pathname.indexOf("/inbox/") === 0 ? location.pathname : "/inbox/";
    location.assign("/inbox/login?next=" + encodeURIComponent(next));
  }

  // get fetches a fragment or JSON; a 401 means the session is over.
  function get(url, asJSON) {
    return fetch(url, { headers: FETCH_HEADERS, credentials: "same-origin", cache: "no-store" }).then(function (res) {
      if (res.status === 401) { signedOut(); throw new Error(SIGNED_OUT); }
      if (!res.ok) { throw new Error("HTTP " + res.status); }
      return asJSON ? res.json() : res.text();
    });
  }

  // post sends a form and resolves to the JSON answer, or rejects with the
  // server's message for the user.
  function post(url, body) {
    return fetch(url, { method: "POST", body: body, headers: FETCH_HEADERS, credentials: "same-origin" }).then(function (res) {
      if (res.status === 401) { signedOut(); throw new Error(SIGNED_OUT); }
      return res.json().catch(function () { return {}; }).then(function (data) {
        if (!res.ok) {
          var e = data && data.error;
          var err = new Error((e && e.message) || "Something went wrong (HTTP " + res.status + "). Try again.");
          err.status = res.status;
          err.code = e && e.code;
          throw err;
        }
        return data;
      });
    });
  }

  function debounce(fn, ms) {
    var t = null;
    return function () {
      clearTimeout(t);
      t = setTimeout(fn, ms);
    };
  }

  // Times are rendered in UTC by the server; show them in the reader's zone.
  var fmtDateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
  var fmtDate = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });
  var fmtTime = new Intl.DateTimeFormat(undefined, { timeStyle: "short" });
  var fmtShort = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric" });

  function localizeTimes(root) {
    root.querySelectorAll("time[datetime]").forEach(function (el) {
      if (el.dataset.localized) { return; }
      var d = new Date(el.getAttribute("datetime"));
      if (isNaN(d.getTime())) { return; }
      var today = d.toDateString() === new Date().toDateString();
      var f = el.dataset.format;
      if (f === "date") {
        el.textContent = fmtDate.format(d);
      } else if (f === "short") {
        el.textContent = today ? fmtTime.format(d) : fmtShort.format(d);
      } else {
        el.textContent = today ? fmtTime.format(d) : fmtDateTime.format(d);
      }
      el.title = fmtDateTime.format(d);
      el.dataset.localized = "1";
    });
  }

  // Sign-in: a link may carry the token in the URL fragment (#token=…),
  // which the browser never sends to the server. Take it, wipe it from the
  // address bar and history, and submit the form.
  function initLogin() {
    if (!byId("login-form")) { return; }
    tokenFromFragment();
    window.addEventListener("hashchange", tokenFromFragment);
  }

  function tokenFromFragment() {
    var form = byId("login-form");
    var m = /^#token=([^&]+)/.exec(location.hash);
    if (!m) { return; }
    var token;
    try { token = decodeURIComponent(m[1]); } catch (e) { return; }
    history.replaceState(null, "", location.pathname + location.search);
    byId("token").value = token;
    var box = byId("token-signin");
    if (box) { box.open = true; }
    if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
  }

  // The sidebar's lists, refetched on live events.
  function initLists() {
    var box = byId("lists");
    if (!box) { return null; }
    var url = "/inbox/lists?active=" + encodeURIComponent(box.dataset.active || "");
    var last = null;
    var refresh = function () {
      get(url, false).then(function (html) {
        if (html === last) { return; }
        last = html;
        var focusedKey = focusKey(box);
        box.innerHTML = html; // server-rendered and escaped by html/template
        localizeTimes(box);
        restoreFocus(box, focusedKey);
      }).catch(function () {});
    };
    return { refresh: debounce(refresh, 200) };
  }

  function focusKey(root) {
    var a = document.activeElement;
    if (!a || !root.contains(a)) { return null; }
    var item = a.closest("[data-conversation-id],[data-contact-id]");
    if (!item) { return null; }
    return item.dataset.conversationId ? '[data-conversation-id="' + item.dataset.conversationId + '"]'
      : '[data-contact-id="' + item.dataset.contactId + '"]';
  }

  function restoreFocus(root, sel) {
    if (!sel) { return; }
    var item = root.querySelector(sel);
    var target = item && item.querySelector("a, button");
    if (target) { target.focus(); }
  }

  // The open conversation.
  function initConversation() {
    var main = document.querySelector("main[data-conversation-id]");
    if (!main) { return null; }
    var convID = main.dataset.conversationId;
    var fragmentURL = "/inbox/c/" + encodeURIComponent(convID) + "/messages";
    var scroller = byId("scroller");
    var composer = byId("composer");
    var fields = byId("composer-fields");
    var textarea = byId("body");
    var files = byId("files");
    var fileNames = byId("file-names");
    var sendBtn = byId("send");
    var composerError = byId("composer-error");
    var pageError = byId("page-error");
    var replyTo = byId("reply-to");
    var replying = byId("replying");
    var replyingText = byId("replying-text");
    var announcer = byId("announcer");

    function nearBottom() { return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 120; }
    function toBottom() { scroller.scrollTop = scroller.scrollHeight; }

    var target = location.hash && document.getElementById(location.hash.slice(1));
    if (target && scroller.contains(target)) { target.scrollIntoView({ block: "center" }); } else { toBottom(); }

    function showPageError(msg) {
      if (!pageError) { return; }
      pageError.textContent = msg;
      pageError.hidden = !msg;
    }

    function setComposer(canSend, blockedText) {
      fields.disabled = !canSend;
      var blocked = byId("blocked");
      if (!canSend) {
        if (!blocked) {
          blocked = document.createElement("p");
          blocked.id = "blocked";
          blocked.className = "blocked";
          blocked.setAttribute("role", "status");
          composer.insertBefore(blocked, fields);
        }
        blocked.textContent = blockedText || "You cannot send in this conversation yet.";
      } else if (blocked) {
        blocked.remove();
      }
    }

    function announce(items) {
      if (!announcer || !items.length) { return; }
      var last = items[items.length - 1];
      var body = last.querySelector(".body");
      var text = body ? body.textContent.trim() : "";
      if (text.length > 140) { text = text.slice(0, 139) + "…"; }
      var who = last.dataset.sender || "someone";
      announcer.textContent = (items.length > 1 ? items.length + " new messages. Latest from " : "New message from ") +
        who + (text ? ": " + text : "");
    }

    // apply merges a fresh fragment into the list: entries whose revision
    // did not change are kept as they are (an open menu stays open, an
    // image is not fetched again), changed ones are replaced, new ones
    // added, gone ones removed.
    function apply(html, stick) {
      var tpl = document.createElement("template");
      tpl.innerHTML = html;
      var fresh = tpl.content.querySelector("#messages");
      var list = byId("messages");
      if (!fresh || !list) { return; }
      stick = stick || nearBottom();
      var old = {};
      Array.prototype.forEach.call(list.children, function (li) { old[li.dataset.key] = li; });
      var keep = {};
      var nodes = [];
      var incoming = [];
      Array.prototype.slice.call(fresh.children).forEach(function (li) {
        var key = li.dataset.key;
        var prev = old[key];
        if (prev && prev.dataset.rev === li.dataset.rev) {
          keep[key] = true;
          nodes.push(prev);
          return;
        }
        nodes.push(li);
        if (!prev && li.classList.contains("message") && li.dataset.mine !== "true") { incoming.push(li); }
      });
      var focused = document.activeElement && list.contains(document.activeElement) ?
        document.activeElement.closest("[data-key]") : null;
      var focusedKey = focused && !keep[focused.dataset.key] ? focused.dataset.key : null;
      Object.keys(old).forEach(function (k) { if (!keep[k]) { old[k].remove(); } });
      var cursor = list.firstElementChild;
      nodes.forEach(function (n) {
        if (n === cursor) { cursor = cursor.nextElementSibling; } else { list.insertBefore(n, cursor); }
      });
      localizeTimes(list);
      if (focusedKey) {
        var again = list.querySelector('[data-key="' + focusedKey + '"]');
        var f = again && again.querySelector(".picker summary, button, a");
        if (f) { f.focus({ preventScroll: true }); }
      }
      list.dataset.canSend = fresh.dataset.canSend;
      setComposer(fresh.dataset.canSend === "true", fresh.dataset.blocked);
      // The header's consent badge follows the other party's state.
      var badge = document.querySelector(".conv-people .badge");
      if (badge && fresh.dataset.consent) {
        badge.className = "badge badge-" + fresh.dataset.consent;
        badge.textContent = fresh.dataset.consentLabel;
      }
      announce(incoming);
      if (stick) { toBottom(); }
    }

    var loading = false;
    var pending = false;
    var stickNext = false;
    function refresh() {
      if (loading) { pending = true; return; }
      loading = true;
      get(fragmentURL, false).then(function (html) {
        apply(html, stickNext);
        stickNext = false;
      }).catch(function () {}).then(function () {
        loading = false;
        if (pending) { pending = false; refresh(); }
      });
    }

    function clearReply() {
      replyTo.value = "";
      replying.hidden = true;
      replyingText.textContent = "";
    }

    function showFiles() {
      var names = Array.prototype.map.call(files.files || [], function (f) { return f.name; });
      fileNames.textContent = names.length ? "Attached: " + names.join(", ") : "";
    }

    function autosize() {
      textarea.style.height = "auto";
      textarea.style.height = Math.min(textarea.scrollHeight + 2, 200) + "px";
    }

    composer.addEventListener("submit", function (ev) {
      ev.preventDefault();
      if (fields.disabled) { return; }
      var hasFiles = files.files && files.files.length > 0;
      if (!textarea.value.trim() && !hasFiles) {
        composerError.textContent = "Write a message or attach a file.";
        textarea.focus();
        return;
      }
      var data = new FormData(composer);
      composerError.textContent = "";
      sendBtn.disabled = true;
      sendBtn.setAttribute("aria-busy", "true");
      post(composer.action, data).then(function () {
        textarea.value = "";
        files.value = "";
        showFiles();
        clearReply();
        autosize();
        stickNext = true;
        refresh();
      }).catch(function (err) {
        if (err.message !== SIGNED_OUT) { composerError.textContent = err.message; }
        if (err.code === "consent_required") { refresh(); }
      }).then(function () {
        sendBtn.disabled = false;
        sendBtn.removeAttribute("aria-busy");
        textarea.focus();
      });
    });

    textarea.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing && !ev.altKey && !ev.ctrlKey && !ev.metaKey) {
        ev.preventDefault();
        if (composer.requestSubmit) { composer.requestSubmit(); } else { composer.dispatchEvent(new Event("submit", { cancelable: true })); }
      }
    });
    textarea.addEventListener("input", autosize);
    files.addEventListener("change", showFiles);
    byId("cancel-reply").addEventListener("click", function () { clearReply(); textarea.focus(); });

    // Reactions and deletion post with fetch, then refresh the list.
    scroller.addEventListener("submit", function (ev) {
      var form = ev.target;
      if (!form.matches("form[data-fetch]")) { return; }
      ev.preventDefault();
      if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) { return; }
      var picker = form.closest("details");
      if (picker) { picker.open = false; }
      showPageError("");
      post(form.action, new FormData(form)).then(refresh).catch(function (err) {
        if (err.message !== SIGNED_OUT) { showPageError(err.message); }
      });
    });

    scroller.addEventListener("click", function (ev) {
      var btn = ev.target.closest("[data-reply]");
      if (!btn) { return; }
      replyTo.value = btn.dataset.reply;
      replyingText.textContent = btn.dataset.quote || "a message";
      replying.hidden = false;
      textarea.focus();
    });

    // One reaction menu open at a time; Escape or a click elsewhere closes it.
    document.addEventListener("click", function (ev) {
      document.querySelectorAll("details.picker[open]").forEach(function (d) {
        if (!d.contains(ev.target)) { d.open = false; }
      });
    });
    document.addEventListener("keydown", function (ev) {
      if (ev.key !== "Escape") { return; }
      document.querySelectorAll("details.picker[open], details.members-panel[open]").forEach(function (d) {
        d.open = false;
        var s = d.querySelector("summary");
        if (s && d.contains(document.activeElement)) { s.focus(); }
      });
    });

    autosize();
    return { id: convID, refresh: debounce(refresh, 150) };
  }

  // Live events: the stream names what changed; the page refetches it.
  function initLive(conv, lists) {
    if (!document.querySelector("[data-live]") || !window.EventSource) { return; }
    var es = new EventSource("/inbox/events");
    function handle(type) {
      es.addEventListener(type, function (e) {
        var ev = {};
        try { ev = JSON.parse(e.data); } catch (err) { return; }
        if (lists) { lists.refresh(); }
        if (conv && (type === "contact" || ev.conversation_id === conv.id)) { conv.refresh(); }
      });
    }
    // Every event the server names (see chat.Event): all of them change
    // what a list or the open conversation shows.
    ["message", "edit", "delete", "reaction", "receipt", "membership", "consent", "delivery",
      "conversation", "contact", "identity"].forEach(handle);
    es.addEventListener("error", function () {
      if (es.readyState !== EventSource.CLOSED) { return; } // the browser retries by itself
      // Closed for good: signed out (401), or the server is away.
      get("/inbox/lists", false).then(function () {
        setTimeout(function () { initLive(conv, lists); }, 5000);
      }).catch(function (err) {
        if (err.message !== SIGNED_OUT) { setTimeout(function () { initLive(conv, lists); }, 10000); }
      });
    });
  }

  // Linking a phone: poll until the phone has scanned the code.
  function initLink() {
    var el = byId("link-status");
    if (!el) { return; }
    var url = el.dataset.statusUrl;
    function poll() {
      get(url, true).then(function (s) {
        if (s.linked) {
          el.textContent = "Linked. Steward now records this number's conversations.";
          el.className = "link-status ok";
          var qr = byId("link-qr");
          if (qr) { qr.hidden = true; }
          return;
        }
        if (s.failed) {
          el.textContent = "Linking did not finish" + (s.error ? ": " + s.error : "") + ". Reload the page to try again.";
          el.className = "link-status failed";
          return;
        }
        el.textContent = "Waiting for your phone…";
        setTimeout(poll, 2000);
      }).catch(function (err) {
        if (err.message !== SIGNED_OUT) { setTimeout(poll, 5000); }
      });
    }
    setTimeout(poll, 2000);
  }

  function init() {
    localizeTimes(document);
    initLogin();
    var lists = initLists();
    var conv = initConversation();
    initLive(conv, lists);
    initLink();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
