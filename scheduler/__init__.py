"""The scheduler process: plans and sends reminders from what the database says is due."""
