"use strict";
// The supervisors' review of misunderstood messages. A user's text is shown with textContent
// only, in its own direction (dir="auto"): no HTML from a message is ever parsed.
const state = {labels: []};

function nextStep(item) {
  if (item.chosen) return `tapped ${item.chosen}`;
  if (item.then_topic) return `rephrased: understood as ${item.then_topic}`;
  return "";
}

async function decide(item, action, intent) {
  const answer = await staffApi("POST", `/staff/api/review/${encodeURIComponent(item.id)}/${action}`,
    action === "label" ? {intent} : undefined);
  const result = await answer.json();
  say(answer.ok ? (action === "label" ? `Labelled ${intent}.` : "Discarded.") : result.error || "Not done.");
  await refresh();
}

function row(item) {
  const tr = document.createElement("tr");
  tr.dataset.id = item.id;
  const words = textCell(item.text);
  words.dir = "auto";
  words.className = "text";
  const choose = document.createElement("select");
  choose.className = "intent";
  choose.setAttribute("aria-label", "Intent");
  const preferred = item.label || item.chosen || item.guesses[0] || "";
  for (const name of ["", ...state.labels]) {
    const option = document.createElement("option");
    option.value = name;
    option.textContent = name || "choose…";
    option.selected = name === preferred;
    choose.append(option);
  }
  const actions = document.createElement("td");
  const give = actionButton("Label", "label", () => {
    if (choose.value) decide(item, "label", choose.value);
    else say("Choose an intent first.");
  });
  actions.append(give, actionButton("Discard", "discard canned", () => decide(item, "discard")));
  const intentCell = document.createElement("td");
  intentCell.append(choose);
  tr.append(words, textCell(item.language), textCell(item.guesses.join(", ") || "nothing"), textCell(nextStep(item)),
    intentCell, actions);
  return tr;
}

async function refresh() {
  const query = new URLSearchParams();
  const language = document.getElementById("language").value;
  const which = document.getElementById("which").value;
  if (language) query.set("language", language);
  if (which) query.set("labelled", which);
  const answer = await staffApi("GET", `/staff/api/review?${query}`);
  const table = document.getElementById("items");
  if (answer.status === 403) {
    table.hidden = true;
    say("Only supervisors review misunderstood messages.");
    return;
  }
  const {items, labels} = await answer.json();
  state.labels = labels;
  table.querySelector("tbody").replaceChildren(...items.map(row));
  table.hidden = items.length === 0;
  document.getElementById("empty").hidden = items.length !== 0;
}

for (const id of ["language", "which"]) document.getElementById(id).addEventListener("change", refresh);

openStaffPage(refresh);
