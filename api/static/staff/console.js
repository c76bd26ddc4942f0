"use strict";
// The staff console. Everything from users, staff or the bot is shown with textContent only:
// no HTML from a message is ever parsed, so script and javascript: links stay inert text.
// The console's own refreshes are marked as polls: the server serves them but does not take them
// for the person's doing (they neither keep the session alive nor count as being at the console).
const state = {csrf: "", ticket: null, lastAction: Date.now(), unreviewed: new Set(), languages: new Set()};
const ACTIVITY_EVERY_MS = 60_000;

async function api(method, path, body, {poll = false} = {}) {
  const headers = {};
  if (method !== "GET") headers["X-CSRF-Token"] = state.csrf;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (poll) {
    headers["X-Wegwijs-Poll"] = "1";
  } else {
    state.lastAction = Date.now();
  }
  const answer = await fetch(path, {method, headers, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body)});
  if (answer.status === 401) {
    window.location.assign("/staff/login");
    throw new Error("logged out");
  }
  return answer;
}

function item(text, className) {
  const li = document.createElement("li");
  li.textContent = text;
  if (className) li.className = className;
  return li;
}

const SPEAKERS = {user: "User", bot: "Bot", staff: "Staff"};
const CALLBACK_TIMES = {morning: "morning", afternoon: "afternoon", any: "any time"};

function transcriptEntry(entry) {
  const li = item("", entry.who);
  const who = document.createElement("span");
  who.className = "who";
  who.textContent = `${SPEAKERS[entry.who] || entry.who}: `;
  const words = document.createElement("span");
  words.textContent = entry.text;
  words.dir = "auto";
  li.append(who, words);
  return li;
}

function callbackDetails(callback) {
  const box = document.getElementById("callback");
  box.replaceChildren();
  box.hidden = !callback;
  if (!callback) return;
  box.append(`Call back (${CALLBACK_TIMES[callback.time] || callback.time}, Netherlands time): `);
  if (callback.phone && /^\+[0-9]{6,15}$/.test(callback.phone)) {
    const link = document.createElement("a");
    link.href = "tel:" + callback.phone;
    link.dir = "ltr";
    link.className = "tel";
    link.textContent = callback.phone;
    box.append(link);
  } else {
    box.append("the number was deleted when the ticket closed");
  }
}

// Languages whose catalog still holds machine-drafted entries: the bot's replies in them have not
// been checked by a native speaker, which staff should know when they read a transcript.
function showUnreviewed(languages) {
  state.unreviewed = new Set(languages);
  const note = document.getElementById("unreviewed");
  note.hidden = languages.length === 0;
  note.textContent = languages.length
    ? `Bot replies not yet reviewed by a native speaker (machine-drafted translations): ${languages.join(", ")}`
    : "";
  for (const option of document.getElementById("language-filter").options) {
    if (option.value && state.unreviewed.has(option.value)) option.textContent = `${option.value} (not reviewed)`;
  }
}

// The languages the member's account lists (python -m api.staff.accounts set-languages): the
// server puts their tickets first in the queue; the console marks them. None listed: no preference.
function showLanguages(languages) {
  state.languages = new Set(languages);
  document.getElementById("languages").textContent = languages.length
    ? `You speak: ${languages.join(", ")}`
    : "No languages listed: the queue in its plain order";
}

function languageBadge(language) {
  const badge = document.createElement("span");
  badge.className = "lang";
  badge.textContent = language;
  return badge;
}

function say(text) {
  document.getElementById("status").textContent = text;
}

async function refreshQueue({poll = false} = {}) {
  const language = document.getElementById("language-filter").value;
  const answer = await api("GET", "/staff/api/queue" + (language ? "?language=" + encodeURIComponent(language) : ""),
    undefined, {poll});
  const list = document.getElementById("queue");
  list.replaceChildren();
  for (const ticket of (await answer.json()).tickets) {
    const callback = ticket.callback ? ` · call back, ${CALLBACK_TIMES[ticket.callback.time] || ticket.callback.time}` : "";
    const speaks = state.languages.has(ticket.language);
    const li = item("", `${ticket.priority}${speaks ? " speaks" : ""}`);
    li.dataset.language = ticket.language;
    li.append(languageBadge(ticket.language),
      `${ticket.priority === "urgent" ? "URGENT " : ""}${speaks ? "(your language) " : ""}` +
      `${ticket.topic} · ${ticket.reason}${callback} `);
    const claim = document.createElement("button");
    claim.type = "button";
    claim.textContent = "Claim";
    claim.dataset.ticket = ticket.id;
    claim.addEventListener("click", () => claimTicket(ticket.id));
    li.append(claim);
    list.append(li);
  }
}

async function claimTicket(id) {
  const answer = await api("POST", `/staff/api/tickets/${encodeURIComponent(id)}/claim`);
  if (!answer.ok) {
    say((await answer.json()).error || "Could not claim this ticket.");
    return refreshQueue();
  }
  state.ticket = id;
  document.getElementById("reply-form").hidden = false;
  await refreshTicket();
  await refreshQueue();
}

// Opening a ticket (poll false) is audited as a view; refreshing the open one (poll true) is not.
async function refreshTicket({poll = false} = {}) {
  if (!state.ticket) return;
  const answer = await api("GET", `/staff/api/tickets/${encodeURIComponent(state.ticket)}`, undefined, {poll});
  if (!answer.ok) return;
  const ticket = await answer.json();
  const meta = document.getElementById("ticket-meta");
  meta.replaceChildren(languageBadge(ticket.language),
    `${state.unreviewed.has(ticket.language) ? "(translation not reviewed) " : ""}` +
    `${ticket.topic} · ${ticket.channel} · ${ticket.status}`);
  const transcript = document.getElementById("transcript");
  transcript.dir = ticket.direction;
  transcript.replaceChildren(...ticket.transcript.map(transcriptEntry));
  callbackDetails(ticket.callback);
  // Each canned reply in the ticket's language, its English source beside it: the member knows
  // what they send, in a language they may not read.
  const canned = document.getElementById("canned");
  canned.replaceChildren(...ticket.canned.map((reply) => {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "canned";
    button.dataset.key = reply.key;
    const text = document.createElement("span");
    text.className = "canned-text";
    text.dir = ticket.direction;
    text.lang = ticket.language;
    text.textContent = reply.text;
    const source = document.createElement("span");
    source.className = "canned-source";
    source.lang = "en";
    source.dir = "ltr";
    source.textContent = `English: ${reply.source}`;
    button.append(text);
    if (reply.source !== reply.text) button.append(source);  // an English ticket needs no translation
    button.addEventListener("click", () => { document.getElementById("reply").value = reply.text; });
    return button;
  }));
  document.getElementById("reply").dir = ticket.direction;
}

document.getElementById("reply-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const box = document.getElementById("reply");
  const answer = await api("POST", `/staff/api/tickets/${encodeURIComponent(state.ticket)}/reply`, {text: box.value});
  if (answer.ok) {
    box.value = "";
    const sent = await answer.json();
    say(sent.whatsapp === "template"
      ? "Outside WhatsApp's 24-hour window: the template message was sent instead of your reply."
      : "Sent.");
    await refreshTicket({poll: true});
  } else {
    say((await answer.json()).error || "Not sent.");
  }
});

document.getElementById("close").addEventListener("click", async () => {
  const answer = await api("POST", `/staff/api/tickets/${encodeURIComponent(state.ticket)}/close`);
  say(answer.ok ? "Closed: the bot has the conversation again." : "Could not close.");
  state.ticket = null;
  document.getElementById("reply-form").hidden = true;
  document.getElementById("transcript").replaceChildren();
  document.getElementById("canned").replaceChildren();
  callbackDetails(null);
});

document.getElementById("logout").addEventListener("click", async () => {
  await api("POST", "/staff/api/logout");
  window.location.assign("/staff/login");
});

document.getElementById("language-filter").addEventListener("change", () => refreshQueue());

// The "available" switch: off after every login. Users who ask for a person are queued only
// while someone is available (and doing something); otherwise they get the phone line.
function showAvailable(available) {
  document.getElementById("available").checked = available;
  document.getElementById("available-state").textContent = available ? "on" : "off";
}

document.getElementById("available").addEventListener("change", async (event) => {
  const wanted = event.target.checked;
  const answer = await api("POST", "/staff/api/availability", {available: wanted});
  if (answer.ok) {
    showAvailable((await answer.json()).available);
    say(wanted ? "You are available: users who ask for a person are queued for you." :
      "You are not available: users who ask for a person get the phone line.");
  } else {
    showAvailable(!wanted);
    say("Could not change your availability.");
  }
});

// Typing, clicking or moving the mouse is the person at the console, even when it sends nothing:
// tell the server, at most once a minute (any other request of theirs counts the same).
function noteActivity() {
  if (!state.csrf || Date.now() - state.lastAction < ACTIVITY_EVERY_MS) return;
  api("POST", "/staff/api/activity").catch(() => {});
}
for (const kind of ["keydown", "pointerdown", "pointermove", "wheel"]) {
  document.addEventListener(kind, noteActivity, {passive: true});
}

(async () => {
  const session = await (await api("GET", "/staff/api/session")).json();
  state.csrf = session.csrf;
  document.getElementById("who").textContent = `${session.username} (${session.role})`;
  for (const id of ["whatsapp-sends", "review", "dashboard-link"]) {
    document.getElementById(id).hidden = session.role !== "supervisor";
  }
  showAvailable(session.available);
  showUnreviewed(session.unreviewed_languages || []);
  showLanguages(session.languages || []);
  await refreshQueue();
  setInterval(() => refreshQueue({poll: true}), 3000);
  setInterval(() => refreshTicket({poll: true}), 1500);
})();
