"""The web app with its Temporal test environment and users of every role, as the web tests have it."""

from tests.web.conftest import settings, web

__all__ = ["settings", "web"]
