"""Tests for service.gateway."""
