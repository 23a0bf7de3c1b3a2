"""What the web app sends to the workflows, recorded: each command is one workflow update (one workflow task and its
history events), so a test can say how many updates a page or route costs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from models import commands as c
from models.workflow_io import UpdateResult
from tests.web.conftest import Web


def record_updates(web: Web, monkeypatch: pytest.MonkeyPatch) -> list[c.Command]:
    """Every command the app sends through its gateway from now on, in order (the updates still go through)."""
    sent: list[c.Command] = []
    real: Callable[..., Awaitable[UpdateResult]] = web.ctx.gateway.update

    async def update(workflow_id: str, command: c.Command, update_id: str | None = None) -> UpdateResult:
        sent.append(command)
        return await real(workflow_id, command, update_id)

    monkeypatch.setattr(web.ctx.gateway, "update", update)
    return sent
