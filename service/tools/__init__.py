"""The `boneline` command and the terminal simulator, built on flows and the store."""
