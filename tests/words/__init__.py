"""Tests for service.words."""
