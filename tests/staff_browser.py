"""A staff member logging in to the console in the browser (Playwright), as the browser tests do:
name, password and a fresh code from the account's authenticator app."""

from __future__ import annotations

from tests.test_staff_api import PASSWORD, next_code


def log_in(page, base_url: str, username: str) -> None:
    """From the login page to the console, with the session's name shown."""
    if not page.url.endswith("/staff/login"):
        page.goto(f"{base_url}/staff/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.fill("#code", next_code(username))
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/staff")
    page.wait_for_selector(f"#who:has-text('{username}')")
