"""Intake: channel webhooks and the web form → questions.received.v1."""
