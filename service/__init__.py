"""BoneLine: bone health reminders by text and phone for pregnant and postpartum people.

The rooms, from the bottom up (`pyproject.toml`'s import contract keeps the arrows pointing down):
`words` (the catalog), `domain` (pure decisions), `store` (the database) and `gateway` (Twilio and
the care team's webhook), `flows` (one transaction each), then `web` and `scheduler`, and `tools`.
"""
