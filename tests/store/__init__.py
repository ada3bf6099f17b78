"""Tests for service.store."""
