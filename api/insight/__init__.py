"""Insight for IOM (issue 15): analytics events without personal data, and the dashboard."""
