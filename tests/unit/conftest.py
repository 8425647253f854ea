"""The four-member team of test_service_steps, shared with the handoff and ban-list tests."""

from tests.unit.test_service_steps import team

__all__ = ["team"]
