"""Tests for the scheduler process: planning, sending, alerts, jobs."""
