"use strict";
// The supervisors' review of WhatsApp sends that did not surely arrive. Every text is shown with
// textContent only; a number is a left-to-right island that never wraps (console.css, a.tel).
function happened(send) {
  if (send.outcome === "uncertain") return `may have arrived (${send.error || "connection broken"})`;
  return `refused by Meta (status ${send.status || "?"}, code ${send.error_code || "?"})`;
}

async function decide(send, action) {
  let body;
  if (action === "resend") {
    body = {even_if_arrived: false};
    if (send.outcome === "uncertain") {
      if (!window.confirm("This message may already have arrived. Send it again? The person may get it twice.")) return;
      body.even_if_arrived = true;
    }
  }
  const answer = await staffApi("POST", `/staff/api/whatsapp/failed/${encodeURIComponent(send.id)}/${action}`, body);
  const result = await answer.json();
  say(answer.ok ? (action === "resend" ? "Queued to send again." : "Dismissed.") : result.error || "Not done.");
  await refresh();
}

function row(send) {
  const tr = document.createElement("tr");
  tr.dataset.id = send.id;
  tr.className = send.outcome;
  const to = document.createElement("td");
  const number = document.createElement("a");
  number.href = "tel:" + send.to;
  number.className = "tel";
  number.dir = "ltr";
  number.textContent = send.to;
  to.append(number);
  const words = textCell(send.text);
  words.dir = "auto";
  const actions = document.createElement("td");
  const again = actionButton("Send again", "resend", () => decide(send, "resend"));
  again.disabled = !send.in_window;
  again.title = send.in_window ? "" : "Outside WhatsApp's 24-hour window";
  actions.append(again, actionButton("Dismiss", "dismiss canned", () => decide(send, "dismiss")));
  tr.append(textCell(new Date(send.at * 1000).toLocaleString()), to, words, textCell(happened(send)), actions);
  return tr;
}

async function refresh() {
  const answer = await staffApi("GET", "/staff/api/whatsapp/failed");
  const table = document.getElementById("sends");
  if (answer.status === 403) {
    table.hidden = true;
    say("Only supervisors can review undelivered WhatsApp messages.");
    return;
  }
  const {sends} = await answer.json();
  table.querySelector("tbody").replaceChildren(...sends.map(row));
  table.hidden = sends.length === 0;
  document.getElementById("empty").hidden = sends.length !== 0;
}

openStaffPage(refresh);
