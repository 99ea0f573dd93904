"""smabot: answers questions about SMA with quotes from curated documents.

from bot import Bot, Config
reply = Bot.load(Config.from_env()).answer("What is SMA type 2?")
"""

from bot.bot import Bot
from bot.config import Config
from bot.reply import Reply

__all__ = ["Bot", "Config", "Reply"]
