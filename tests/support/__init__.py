"""Helpers of the test suite: servers, browsers and course workflows that several test modules share.

Test modules import from here (and from the checkout's `tools`), never from one another or from conftest."""
