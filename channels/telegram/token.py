"""What a bot token says about its bot: BotFather's tokens are `<bot id>:<secret>`."""

from __future__ import annotations


class MalformedToken(ValueError):
    """The token is not `<bot id>:<secret>`."""


def bot_id(token: str) -> int:
    """The bot's number, the part before the colon; update ids are counted per bot."""
    number, colon, secret = token.partition(":")
    if not (colon and number.isdigit() and secret):
        raise MalformedToken(
            "a Telegram bot token is the bot's number, a colon and a secret, as BotFather gives it "
            "(123456:ABC-...): check JAUAP_TELEGRAM_BOT_TOKEN"
        )
    return int(number)
