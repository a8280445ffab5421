"""A local Telegram Bot API for the demo and the tests (`python -m sandboxes.telegram`)."""
