"""Migrations run as a job (`dondoc db upgrade`); in production every other process only checks the revision and
refuses to start on an older or a newer schema, saying what to do. The embedded default still upgrades itself."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine
from typer.testing import CliRunner, Result

from activities.database import get_engine
from dondoc import schema
from dondoc.cli.main import app
from dondoc.settings import get_settings

DONDOC = Path(sys.executable).parent / "dondoc"
PRODUCTION = {
    "DONDOC_ENVIRONMENT": "production",
    "DONDOC_SECRET_KEY": "k" * 40,
    "DONDOC_SMTP_HOST": "127.0.0.1",
    "DONDOC_PUBLIC_URL": "https://dondoc.example.vn",
}


@pytest.fixture
def production(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key, value in PRODUCTION.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    get_engine.cache_clear()
    yield
    get_settings.cache_clear()
    get_engine.cache_clear()


def previous_revision() -> str:
    script = ScriptDirectory.from_config(schema.config())
    revision = script.get_revision(schema.head())
    assert revision is not None and isinstance(revision.down_revision, str)
    return revision.down_revision


def at_revision(url: str, revision: str) -> Engine:
    engine = create_engine(url)
    with engine.begin() as connection:
        command.upgrade(schema.config(connection), revision)
    return engine


def cli(*args: str, url: str) -> Result:
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(app, list(args), env={**PRODUCTION, "DONDOC_DATABASE_URL": url})
    finally:
        get_settings.cache_clear()


def test_in_production_an_engine_on_an_empty_database_is_refused_and_nothing_is_created(
    tmp_path: Path, production: None
) -> None:
    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    with pytest.raises(schema.SchemaMismatch, match=r"chưa có lược đồ.*dondoc db upgrade"):
        get_engine(url)
    assert schema.current(create_engine(url)) is None


def test_in_production_an_older_schema_is_refused_with_the_job_to_run(tmp_path: Path, production: None) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    older = previous_revision()
    at_revision(url, older)
    with pytest.raises(schema.SchemaMismatch, match=f"phiên bản {older}, cũ hơn phiên bản {schema.head()}"):
        get_engine(url)
    assert schema.current(create_engine(url)) == older, "checking never migrates"


def test_a_schema_newer_than_the_code_is_refused(tmp_path: Path, production: None) -> None:
    url = f"sqlite:///{tmp_path / 'new.sqlite3'}"
    engine = at_revision(url, "head")
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '9999_from_a_newer_release'")
    with pytest.raises(schema.SchemaMismatch, match=r"9999_from_a_newer_release, mới hơn.*Hãy chạy image mới hơn"):
        get_engine(url)


def test_the_embedded_default_still_upgrades_itself(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DONDOC_ENVIRONMENT", raising=False)
    get_settings.cache_clear()
    url = f"sqlite:///{tmp_path / 'dev.sqlite3'}"
    at_revision(url, previous_revision())
    assert schema.current(get_engine(url)) == schema.head()
    get_settings.cache_clear()


def test_db_upgrade_is_the_job_after_which_db_check_and_the_processes_accept_the_schema(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'job.sqlite3'}"
    at_revision(url, previous_revision())

    refused = cli("db", "check", url=url)
    assert refused.exit_code == 1
    assert "dondoc db upgrade" in refused.stderr

    # the worker process itself (its own interpreter: the command ends with os._exit)
    env = {**os.environ, **PRODUCTION, "DONDOC_DATABASE_URL": url, "DONDOC_TEMPORAL_ADDRESS": "127.0.0.1:1"}
    worker = subprocess.run([str(DONDOC), "worker"], capture_output=True, text=True, timeout=300, env=env)
    assert worker.returncode == 1, worker.stderr
    assert f"cũ hơn phiên bản {schema.head()}" in worker.stderr
    assert "Traceback" not in worker.stderr

    upgraded = cli("db", "upgrade", url=url)
    assert upgraded.exit_code == 0, upgraded.output
    assert f"phiên bản {schema.head()}" in upgraded.stdout
    assert cli("db", "upgrade", url=url).exit_code == 0, "the job can run again safely"

    accepted = cli("db", "check", url=url)
    assert accepted.exit_code == 0, accepted.output
    assert schema.head() in accepted.stdout
