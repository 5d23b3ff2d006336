"""Root conftest: shared fixtures for every member's tests."""

pytest_plugins = ["paperdesk_core.testing"]
