"use strict";
// Logs in with JSON (a cross-site form cannot send it) and opens the console.
document.getElementById("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const error = document.getElementById("login-error");
  error.textContent = "";
  const answer = await fetch("/staff/api/login", {
    method: "POST",
    headers: {"Content-Type": "application/json"},
    credentials: "same-origin",
    body: JSON.stringify({
      username: document.getElementById("username").value,
      password: document.getElementById("password").value,
      code: document.getElementById("code").value.trim(),
    }),
  });
  if (answer.ok) {
    window.location.assign("/staff");
  } else {
    const body = await answer.json().catch(() => ({}));
    error.textContent = body.error || "Log in failed.";
    document.getElementById("code").value = "";  // a code works once: the next try needs a new one
  }
});
