"use strict";
// What the supervisors' pages (whatsapp-sends.html, review.html) share: the staff API with the
// session's CSRF token (to the login page on 401), a table cell of plain text, the status line,
// and the session shown in the header. Every text is set with textContent only.
const staffPage = {csrf: ""};

async function staffApi(method, path, body) {
  const headers = {};
  if (method !== "GET") headers["X-CSRF-Token"] = staffPage.csrf;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const answer = await fetch(path, {method, headers, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body)});
  if (answer.status === 401) {
    window.location.assign("/staff/login");
    throw new Error("logged out");
  }
  return answer;
}

function textCell(text) {
  const td = document.createElement("td");
  td.textContent = text;
  return td;
}

function say(text) {
  document.getElementById("status").textContent = text;
}

// Loads the session (its CSRF token, the header's name and role), then runs ``start``.
async function openStaffPage(start) {
  const session = await (await staffApi("GET", "/staff/api/session")).json();
  staffPage.csrf = session.csrf;
  document.getElementById("who").textContent = `${session.username} (${session.role})`;
  await start();
}

// A button of the page's own (type "button", so it never submits a form).
function actionButton(label, className, onClick) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = className;
  button.textContent = label;
  button.addEventListener("click", onClick);
  return button;
}
