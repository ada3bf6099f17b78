"""Tests for service.tools."""
