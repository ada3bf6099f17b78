"""Suites across the rooms: privacy, replays, faults, properties, the browser, code quality."""
