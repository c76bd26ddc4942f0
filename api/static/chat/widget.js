"use strict";
// The Wegwijs web chat. One <script src="https://GATEWAY/chat/widget.js" defer></script> adds a
// launcher and a chat panel to any page; on a page with <main id="wegwijs-chat" data-mode="page">
// the chat fills that element instead. Every text from users, the bot or staff is shown with
// textContent: no HTML from a message is ever parsed. Every word of the widget's own comes from
// /api/v1/ui/{language} (the Babel catalogs), so none is written here.
(() => {
  const script = document.currentScript;
  if (!script || document.querySelector(".wegwijs")) return;
  const base = new URL("../", script.src); // the script lives at BASE/chat/widget.js
  const api = (path) => new URL("api/v1/" + path, base).href;
  const STORAGE_KEY = "wegwijs.conversation";
  const TEL = /^tel:\+?[0-9][0-9-]*$/;
  const NOTICE_PAGE = /^\/privacy\/[A-Za-z-]{2,8}$/; // the gateway's own privacy notice page
  // "Leave quickly" goes to the page the host names with data-exit-url on the script tag (the
  // gateway's own chat page names a search engine's front page), else to an empty page.
  const EXIT_URL = (script.dataset && script.dataset.exitUrl) || "about:blank";
  const RETRY_MS = 5000;
  const RTL = new Set(["ar", "fa-AF", "ps"]);
  const SPEAKER = {user: "you", bot: "assistant", staff: "staff"};

  const host = document.getElementById("wegwijs-chat");
  const pageMode = Boolean(host && host.dataset.mode === "page");
  const state = {id: null, language: null, texts: {}, languages: [], events: null, started: false};
  const uiCache = new Map();
  const outbox = [];
  let sending = false;
  let retryTimer = 0;
  let languageTurn = 0;

  function el(tag, className, attributes = {}) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
    return node;
  }

  // ---- the DOM: built once, texts filled in by applyUi ----
  const root = el("div", "wegwijs" + (pageMode ? " ww-page" : " ww-floating"));
  root.hidden = true;
  const panel = el("section", "ww-panel", {id: "wegwijs-panel"});
  const header = el("header", "ww-header");
  const title = el(pageMode ? "h1" : "h2", "ww-title", {id: "wegwijs-title"});
  panel.setAttribute("aria-labelledby", title.id);
  const pickerLabel = el("label", "ww-sr", {for: "wegwijs-language"});
  const picker = el("select", "ww-language", {id: "wegwijs-language"});
  // Always visible, first in the header: someone who shares the phone with a person they fear
  // must be able to close the chat and leave no trace of it in this browser with one tap.
  const exitButton = el("button", "ww-exit", {type: "button"});
  exitButton.addEventListener("click", leaveQuickly);
  header.append(exitButton, title, pickerLabel, picker);
  const log = el("div", "ww-log", {role: "log", "aria-live": "polite", "aria-relevant": "additions"});
  const typing = el("p", "ww-typing");
  typing.hidden = true;
  const status = el("p", "ww-status", {role: "status"});
  const form = el("form", "ww-form");
  const inputLabel = el("label", "ww-sr", {for: "wegwijs-input"});
  const input = el("input", "ww-input", {id: "wegwijs-input", type: "text", maxlength: "2000", autocomplete: "off",
    enterkeyhint: "send"});
  const sendButton = el("button", "ww-send", {type: "submit"});
  form.append(inputLabel, input, sendButton);
  panel.append(header, log, typing, status, form);

  let launcher = null;
  let closeButton = null;
  if (pageMode) {
    root.append(panel);
    host.append(root);
  } else {
    launcher = el("button", "ww-launcher", {type: "button", "aria-expanded": "false", "aria-controls": panel.id});
    closeButton = el("button", "ww-close", {type: "button"});
    header.append(closeButton);
    panel.hidden = true;
    root.append(panel, launcher);
    document.body.append(root);
    launcher.addEventListener("click", () => openPanel(true));
    closeButton.addEventListener("click", () => openPanel(false));
    panel.addEventListener("keydown", (event) => {
      if (event.key === "Escape") openPanel(false);
    });
  }

  function openPanel(open) {
    panel.hidden = !open;
    launcher.hidden = open;
    launcher.setAttribute("aria-expanded", String(open));
    if (open) {
      input.focus();
      ensureConversation().catch(() => undefined);
    } else {
      launcher.focus();
    }
  }

  function stylesheet() {
    const href = new URL("widget.css", script.src).href;
    let link = [...document.querySelectorAll("link[rel=stylesheet]")].find((l) => l.href === href);
    if (link && link.sheet) return Promise.resolve();
    if (!link) {
      link = el("link", "", {rel: "stylesheet", href});
      document.head.append(link);
    }
    return new Promise((resolve) => {
      link.addEventListener("load", resolve);
      link.addEventListener("error", resolve);
    });
  }

  function leaveQuickly() {
    outbox.length = 0;
    if (state.events) state.events.close();
    state.events = null;
    state.id = null;
    log.replaceChildren();
    input.value = "";
    remember(null);
    try { sessionStorage.clear(); } catch (error) { /* nothing stored there */ }
    root.remove();
    window.location.replace(EXIT_URL); // replace: the chat page is not left in the back history
  }

  // ---- storage ----
  function remembered() {
    try { return localStorage.getItem(STORAGE_KEY); } catch (error) { return null; }
  }

  function remember(id) {
    try {
      if (id) localStorage.setItem(STORAGE_KEY, id);
      else localStorage.removeItem(STORAGE_KEY);
    } catch (error) { /* storage off: the conversation lasts as long as the page */ }
  }

  // ---- language and the widget's own texts ----
  function direction(code) {
    const known = state.languages.find((l) => l.code === code);
    return known ? known.direction : (RTL.has(code) ? "rtl" : "ltr");
  }

  async function loadUi(code) {
    if (uiCache.has(code)) return uiCache.get(code);
    const answer = await fetch(api("ui/" + encodeURIComponent(code)));
    if (!answer.ok) return null;
    const ui = await answer.json();
    uiCache.set(code, ui);
    return ui;
  }

  function browserLanguage() {
    const primary = (navigator.language || "").toLowerCase().split("-")[0];
    if (primary === "fa" || primary === "prs") return "fa-AF";
    return /^[a-z]{2,3}$/.test(primary) ? primary : "nl";
  }

  async function firstUi() {
    return (await loadUi(browserLanguage())) || loadUi("nl");
  }

  function applyUi(ui) {
    const texts = ui.texts || {};
    state.language = ui.language;
    state.texts = texts;
    if (Array.isArray(ui.languages) && ui.languages.length) state.languages = ui.languages;
    const dir = ui.direction === "rtl" ? "rtl" : "ltr";
    root.dir = dir;
    root.lang = ui.language;
    if (pageMode) {
      document.documentElement.lang = ui.language;
      document.documentElement.dir = dir;
      document.title = texts.title || document.title;
    }
    title.textContent = texts.title || "";
    pickerLabel.textContent = texts.language || "";
    inputLabel.textContent = texts.input_label || "";
    input.placeholder = texts.placeholder || "";
    sendButton.textContent = texts.send || "";
    typing.textContent = texts.typing || "";
    if (launcher) launcher.textContent = texts.open || "";
    if (closeButton) closeButton.textContent = texts.close || "";
    exitButton.textContent = texts.exit || "";
    if (picker.options.length !== state.languages.length) {
      picker.replaceChildren(...state.languages.map((language) => {
        const option = el("option", "", {value: language.code, lang: language.code, dir: language.direction});
        // A language whose translation a native speaker has not reviewed says so, in itself.
        option.textContent = language.review_note ? `${language.name} (${language.review_note})` : language.name;
        return option;
      }));
    }
    picker.value = ui.language;
    for (const label of log.querySelectorAll(".ww-who")) label.textContent = texts[SPEAKER[label.dataset.who]] || "";
    for (const link of log.querySelectorAll(".ww-links a")) link.setAttribute("aria-label", `${texts.call || ""} ${link.textContent}`);
    if (status.dataset.text) status.textContent = texts[status.dataset.text] || "";
  }

  async function setLanguage(code) {
    if (!code || code === state.language) return;
    const turn = ++languageTurn;
    let ui = null;
    try { ui = await loadUi(code); } catch (error) { ui = null; }
    if (ui && turn === languageTurn) applyUi(ui);
  }

  function say(key) {
    status.dataset.text = key;
    status.textContent = key ? state.texts[key] || "" : "";
  }

  // ---- messages ----
  function addMessage(who, text, details = {}) {
    const item = el("div", "ww-msg ww-" + who);
    const label = el("span", "ww-sr ww-who");
    label.dataset.who = who;
    label.textContent = state.texts[SPEAKER[who]] || "";
    const words = el("p", "ww-text");
    words.textContent = String(text || "");
    words.dir = who === "user" ? "auto" : details.dir || direction(state.language);
    item.append(label, words);
    const buttons = Array.isArray(details.buttons) ? details.buttons : [];
    if (buttons.length) {
      const row = el("div", "ww-buttons");
      for (const choice of buttons) {
        if (!choice || typeof choice.title !== "string" || typeof choice.payload !== "string") continue;
        const button = el("button", "ww-choice", {type: "button", dir: "auto"});
        button.textContent = choice.title;
        button.addEventListener("click", () => send(choice.title, choice.payload));
        row.append(button);
      }
      item.append(row);
    }
    const links = (Array.isArray(details.links) ? details.links : []).filter(
      (link) => link && typeof link.url === "string" && (TEL.test(link.url) || NOTICE_PAGE.test(link.url)));
    if (links.length) {
      const row = el("div", "ww-links");
      for (const link of links) {
        let anchor;
        if (TEL.test(link.url)) {
          // A phone number is a left-to-right island that never wraps, in any reply's direction.
          anchor = el("a", "ww-tel", {href: link.url, dir: "ltr"});
          anchor.textContent = String(link.title || "");
          anchor.setAttribute("aria-label", `${state.texts.call || ""} ${anchor.textContent}`);
        } else {
          anchor = el("a", "ww-notice", {href: new URL(link.url.slice(1), base).href, target: "_blank",
            rel: "noopener noreferrer"});
          anchor.textContent = String(link.title || "");
        }
        row.append(anchor);
      }
      item.append(row);
    }
    log.append(item);
    log.scrollTop = log.scrollHeight;
  }

  function botMessages(messages, language) {
    for (const message of Array.isArray(messages) ? messages : []) {
      if (message && typeof message.text === "string") {
        addMessage("bot", message.text, {buttons: message.buttons, links: message.links, dir: direction(language)});
      }
    }
  }

  // ---- the conversation ----
  async function mint() {
    const answer = await fetch(api("conversations"), {method: "POST", headers: {"Content-Type": "application/json"},
      body: "{}"});
    if (!answer.ok) throw Object.assign(new Error("conversation not created"), {status: answer.status});
    const created = await answer.json();
    state.id = created.conversation_id;
    remember(state.id);
    listen();
    return state.id;
  }

  async function ensureConversation() {
    return state.id || mint();
  }

  function listen() {
    if (state.events) state.events.close();
    state.events = null;
    if (!state.id || !window.EventSource) return;
    const source = new EventSource(api(`conversations/${encodeURIComponent(state.id)}/events`));
    source.addEventListener("message", (event) => {
      let data = null;
      try { data = JSON.parse(event.data); } catch (error) { return; }
      if (!data || typeof data.text !== "string") return;
      let buttons = [];
      try { buttons = data.buttons ? JSON.parse(data.buttons) : []; } catch (error) { buttons = []; }
      addMessage(data.kind === "staff" ? "staff" : "bot", data.text, {buttons});
    });
    // EventSource reconnects by itself (with Last-Event-ID); it gives up only on an HTTP error.
    source.addEventListener("error", () => {
      if (source.readyState === EventSource.CLOSED) {
        setTimeout(() => { if (state.events === source) listen(); }, RETRY_MS * 6);
      }
    });
    state.events = source;
  }

  function send(text, payload) {
    if (!String(text).trim().replace(/^\/+/, "").trim()) return;
    addMessage("user", text);
    const body = {text};
    if (payload) body.payload = payload;
    outbox.push(body);
    flush();
  }

  function retryLater() {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(flush, RETRY_MS);
  }

  async function flush() {
    if (sending || !outbox.length) return;
    sending = true;
    clearTimeout(retryTimer);
    typing.hidden = false;
    try {
      while (outbox.length) {
        const body = Object.assign({}, outbox[0]);
        delete body.apologised;
        if (state.language && !body.language) body.language = state.language;
        let answer;
        try {
          body.conversation_id = await ensureConversation();
          answer = await fetch(api("messages"), {method: "POST", headers: {"Content-Type": "application/json"},
            body: JSON.stringify(body)});
        } catch (error) { // no network (or no conversation yet): keep the message and try again
          say(error.status ? "error" : "offline");
          retryLater();
          return;
        }
        let data = null;
        try { data = await answer.json(); } catch (error) { data = null; }
        if (answer.status === 429) { // too fast: the apology once, and the message is sent again later
          if (data && Array.isArray(data.messages) && !outbox[0].apologised) botMessages(data.messages, data.language || state.language);
          outbox[0].apologised = true;
          clearTimeout(retryTimer);
          retryTimer = setTimeout(flush, 1000 * Math.min(120, Number(answer.headers.get("Retry-After")) || 10));
          return;
        }
        outbox.shift();
        if (!answer.ok) {
          say("error");
          if (data && Array.isArray(data.messages)) botMessages(data.messages, data.language || state.language);
          if (answer.status === 404) { // not a conversation of this gateway (any more): start a new one
            state.id = null;
            remember(null);
          }
          continue;
        }
        say("");
        if (data.language && data.language !== state.language) await setLanguage(data.language);
        if (data.erased) { // "delete my data" confirmed: forget the conversation here too
          if (state.events) state.events.close();
          state.events = null;
          state.id = null;
          remember(null);
          log.replaceChildren();
        }
        botMessages(data.messages, data.language || state.language);
        if (data.notice) botMessages([data.notice], data.language || state.language);
      }
    } finally {
      sending = false;
      typing.hidden = true;
    }
  }

  async function history(id) {
    const answer = await fetch(api("conversations/" + encodeURIComponent(id)));
    if (answer.status === 404) return null;
    if (!answer.ok) throw new Error("history unavailable: " + answer.status);
    return answer.json();
  }

  async function start() {
    try {
      const stored = remembered();
      const past = stored ? await history(stored) : null;
      if (stored && !past) remember(null);
      const [ui] = await Promise.all([past && past.language ? loadUi(past.language) : firstUi(), stylesheet()]);
      if (!ui) throw new Error("no texts");
      applyUi(ui);
      root.hidden = false;
      if (past) {
        state.id = past.conversation_id || stored;
        log.replaceChildren();
        for (const message of Array.isArray(past.messages) ? past.messages : []) {
          if (!message || typeof message.text !== "string") continue;
          const who = message.who === "user" || message.who === "staff" ? message.who : "bot";
          addMessage(who, message.text, {buttons: message.buttons, links: message.links, dir: past.direction});
        }
        listen();
      } else if (pageMode) {
        await mint();
      }
      state.started = true;
      root.dataset.state = "ready";
    } catch (error) {
      setTimeout(start, RETRY_MS);
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value;
    if (!text.trim()) return;
    input.value = "";
    send(text);
  });

  picker.addEventListener("change", () => {
    const chosen = state.languages.find((language) => language.code === picker.value);
    if (!chosen || chosen.code === state.language) return;
    setLanguage(chosen.code);
    send(chosen.name, `/language_chosen{"language": "${chosen.code}"}`);
  });

  window.addEventListener("online", flush);
  start();
})();
