"""Helpers of the safety properties (tests/test_safety.py): input layouts and run checks."""
