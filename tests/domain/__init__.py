"""Tests for service.domain."""
