"""One cog per area; each is given its services by the bot, never imports them."""
