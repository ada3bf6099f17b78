"""Helpers the test suites share: driving webhooks like Twilio, fake Twilio servers, seeding."""
