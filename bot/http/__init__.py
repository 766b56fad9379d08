"""HTTP entry points: the events webhook, and `/healthz` + `/metrics` for every process.

Nothing here imports discord.py: the webhook process never loads it.
"""
