"""Rendering results into Discord embeds: every sentence the bot shows lives here."""
