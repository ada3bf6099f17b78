"""Tests for service.web."""
