"""Local stand-in for the WhatsApp Cloud API."""
