/* The web chat. Text only: what people type and what the bot says is set as
 * textContent, never parsed as HTML. On the bot's own page it fills
 * <main id="kzbot">; anywhere else one <script src=".../chat.js"> adds a
 * launcher button and a panel, talking to the server the script came from. */
(function () {
  "use strict";
  var script = document.currentScript;
  var base = script ? new URL(".", script.src).href : location.origin + "/";
  var UI = {
    en: { title: "Turkey–Kazakhstan relations", placeholder: "Ask a question…", send: "Send",
          source: "Source", hideSource: "Hide source", open: "Ask about Turkey–Kazakhstan",
          close: "Close", failed: "Sorry, the answer could not be fetched. Please try again.",
          busy: "Too many questions at once: please wait a moment.", you: "You", bot: "Bot",
          language: "Language" },
    tr: { title: "Türkiye–Kazakistan ilişkileri", placeholder: "Bir soru yazın…", send: "Gönder",
          source: "Kaynak", hideSource: "Kaynağı gizle", open: "Türkiye–Kazakistan hakkında sorun",
          close: "Kapat", failed: "Üzgünüm, yanıt alınamadı. Lütfen yeniden deneyin.",
          busy: "Aynı anda çok fazla soru: lütfen biraz bekleyin.", you: "Siz", bot: "Bot",
          language: "Dil" }
  };
  var lang = (navigator.language || "en").toLowerCase().indexOf("tr") === 0 ? "tr" : "en";
  var conversation = null;
  var starting = null;  // one conversation, however many messages are sent before it exists

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  var root = document.getElementById("kzbot");
  var embedded = !root;
  if (embedded) {
    document.documentElement.classList.add("kzbot-embed");
    var css = el("link", { rel: "stylesheet", href: base + "chat.css" });
    document.head.appendChild(css);
    root = el("section", { id: "kzbot", "class": "kzbot", hidden: "" });
    var launcher = el("button", { type: "button", "class": "kzbot-launcher", "aria-expanded": "false" });
    launcher.addEventListener("click", function () {
      var opening = root.hasAttribute("hidden");
      if (opening) { root.removeAttribute("hidden"); input.focus(); } else { root.setAttribute("hidden", ""); }
      launcher.setAttribute("aria-expanded", String(opening));
    });
    document.body.appendChild(launcher);
    document.body.appendChild(root);
  }

  var header = el("header");
  var title = el("h1");
  var langs = el("div", { role: "group" });
  var buttons = {};
  ["en", "tr"].forEach(function (code) {
    var b = el("button", { type: "button", lang: code }, code.toUpperCase());
    b.addEventListener("click", function () { if (code !== lang) send({ text: "/lang " + code }, null); });
    buttons[code] = b;
    langs.appendChild(b);
  });
  header.appendChild(title);
  header.appendChild(langs);
  var log = el("div", { "class": "log", role: "log", "aria-live": "polite" });
  var form = el("form");
  var label = el("label", { "for": "kzbot-input", "class": "visually-hidden" });
  var input = el("input", { id: "kzbot-input", type: "text", autocomplete: "off", maxlength: "4096" });
  var submit = el("button", { type: "submit" });
  form.appendChild(label);
  form.appendChild(input);
  form.appendChild(submit);
  root.appendChild(header);
  root.appendChild(log);
  root.appendChild(form);

  function relabel() {
    var t = UI[lang];
    title.textContent = t.title;
    input.placeholder = t.placeholder;
    label.textContent = t.placeholder;
    submit.textContent = t.send;
    langs.setAttribute("aria-label", t.language);
    root.setAttribute("lang", lang);
    Object.keys(buttons).forEach(function (code) {
      buttons[code].setAttribute("aria-pressed", String(code === lang));
    });
    if (embedded) document.querySelector(".kzbot-launcher").textContent = t.open;
  }

  function say(who, text) {
    var bubble = el("div", { "class": "msg " + who });
    bubble.appendChild(el("span", { "class": "visually-hidden" }, UI[lang][who === "me" ? "you" : "bot"] + ": "));
    bubble.appendChild(document.createTextNode(text));
    log.appendChild(bubble);
    log.scrollTop = log.scrollHeight;
    return bubble;
  }

  function options(bubble, answer) {
    var offered = answer.choices.length ? answer.choices : answer.suggestions;
    if (!offered.length && answer.topics) {
      offered = [];
      answer.topics.forEach(function (g) { offered = offered.concat(g.choices); });
    }
    var row = el("div", { "class": "options" });
    offered.forEach(function (choice) {
      var b = el("button", { type: "button", "class": "choice" }, choice.text);
      b.addEventListener("click", function () { send({ choice: choice.intent }, choice.text); });
      row.appendChild(b);
    });
    if (answer.source.length && answer.kind === "answer") {
      var quote = el("blockquote", { "class": "source", hidden: "" }, answer.source.join(" "));
      var toggle = el("button", { type: "button", "class": "show-source", "aria-expanded": "false" }, UI[lang].source);
      toggle.addEventListener("click", function () {
        var showing = quote.hasAttribute("hidden");
        if (showing) quote.removeAttribute("hidden"); else quote.setAttribute("hidden", "");
        toggle.setAttribute("aria-expanded", String(showing));
        toggle.textContent = showing ? UI[lang].hideSource : UI[lang].source;
      });
      row.appendChild(toggle);
      bubble.appendChild(row);
      bubble.appendChild(quote);
    } else if (row.childNodes.length) {
      bubble.appendChild(row);
    }
  }

  function post(path, body) {
    return fetch(base + path, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-KZBot-Client": "web" },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (data) { return { status: response.status, data: data }; });
    });
  }

  function start() {
    if (!starting) {
      starting = post("v1/conversations", { lang: lang }).then(function (r) {
        if (r.status !== 201) throw new Error(r.data.error);
        conversation = r.data.id;
      });
      starting.catch(function () { starting = null; });
    }
    return starting;
  }

  function send(body, shown, retried) {
    if (shown !== null) say("me", shown === undefined ? body.text : shown);
    var ready = conversation ? Promise.resolve() : start();
    return ready.then(function () {
      return post("v1/conversations/" + encodeURIComponent(conversation) + "/messages", body);
    }).then(function (r) {
      if (r.status === 404 && !retried) {  // expired while the page was open: once more, anew
        conversation = null; starting = null;
        return send(body, null, true);
      }
      if (r.status !== 200) { say("bot error", r.status === 429 ? UI[lang].busy : UI[lang].failed); return; }
      var answer = r.data;
      if (answer.lang !== lang) { lang = answer.lang; relabel(); }
      options(say("bot", answer.text), answer);
    }).catch(function () { say("bot error", UI[lang].failed); });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    input.value = "";
    send({ text: text });
  });

  relabel();
  send({ text: "/start" }, null);
})();
