"""Front ends and what they share: conversations, state stores, rendering, reload, misses.

:class:`~bot.serve.conversations.Conversations` runs the turn every front
end needs (lock, load, session, save) over a
:class:`~bot.serve.stores.StateStore`; :mod:`bot.serve.render` writes an
answer for a medium. The console lives in :mod:`bot.serve.console`, the
Telegram bot in :mod:`bot.serve.telegram` (the only module that imports
python-telegram-bot).
"""
