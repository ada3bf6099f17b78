"""Tests for service.flows."""
