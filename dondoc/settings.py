"""Every setting of dondoc, read from DONDOC_* environment variables (documented in docs/settings.md)."""

from __future__ import annotations

import secrets
from datetime import time
from functools import lru_cache
from pathlib import Path
from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from models.office import OfficeCalendar
from models.workflow_io import FollowUpOptions


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DONDOC_", env_file=".env", extra="ignore", env_ignore_empty=True)

    data_dir: Path = Field(default=Path("data"), description="where the embedded default keeps its files")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; default: SQLite in the data dir")
    temporal_address: str | None = Field(default=None, description="host:port of a Temporal server; unset: embedded")
    temporal_namespace: str = "default"
    task_queue: str = "dondoc"
    worker_workflow_tasks: int = Field(
        default=4,
        ge=1,
        le=500,
        description="workflow tasks one worker process runs at once; more only share its one Python thread of"
        " execution and wait past their 10 s timeout under load",
    )
    worker_sticky_seconds: int = Field(
        default=30,
        ge=1,
        le=300,
        description="how long a workflow task waits for the worker that has its workflow cached before any worker"
        " takes it (and replays the workflow's history)",
    )
    temporal_port: int = 7233
    temporal_ui_port: int = 8233
    temporal_api_key: str | None = Field(default=None, description="API key (Temporal Cloud); implies TLS")
    temporal_tls: bool = Field(default=False, description="TLS to the Temporal frontend, checked against system CAs")
    temporal_tls_cert_file: Path | None = Field(default=None, description="client certificate (PEM), mTLS; implies TLS")
    temporal_tls_key_file: Path | None = Field(default=None, description="client private key (PEM) of that certificate")
    temporal_tls_ca_file: Path | None = Field(default=None, description="CA (PEM) of the server's certificate; TLS")
    temporal_tls_server_name: str | None = Field(
        default=None, description="name the server certificate must carry when it is not the address's host"
    )
    temporal_metrics_port: int | None = Field(default=None, description="Temporal SDK Prometheus metrics; unset: off")
    metrics_port: int | None = Field(default=None, description="dondoc's metrics and the worker's health; unset: off")
    metrics_host: str = Field(default="127.0.0.1", description="address both metrics ports listen on")
    tracing_enabled: bool = Field(default=False, description="OpenTelemetry traces over OTLP (OTEL_* variables)")
    smtp_host: str | None = Field(default=None, description="SMTP relay; unset: the built-in sink")
    smtp_port: int | None = None
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_timeout_seconds: float = 30.0
    sink_port: int = 8025
    mail_from: str = "dondoc <khong-tra-loi@dondoc.local>"
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    public_url: str | None = Field(default=None, description="base URL used in email links")
    policy_file: Path | None = Field(default=None, description="YAML escalation ladder replacing the default")
    holidays_file: Path | None = Field(default=None, description="YAML of extra holidays and make-up days")
    dispatch_time: time = Field(default=time(8, 0), description="local time whole-day notices go out")
    import_due_days: int = Field(
        default=45,
        ge=0,
        le=3650,
        description="an imported action the conclusion gives no deadline is proposed one this many days after the "
        "conclusion's date, marked assumed; 0: none proposed",
    )
    import_due_working: bool = Field(default=False, description="count import_due_days as working days")
    office_hours_enabled: bool = Field(default=True, description="letters go only in office hours on working days")
    office_opens: time = Field(default=time(7, 30), description="office hours start (Asia/Ho_Chi_Minh)")
    office_closes: time = Field(default=time(17, 0), description="office hours end (Asia/Ho_Chi_Minh)")
    letter_window_seconds: int | None = Field(
        default=None, ge=0, description="items of a unit reaching a step this close join one letter; unset: same day"
    )
    notice_delay_seconds: int = Field(
        default=120,
        ge=0,
        le=86400,
        description="a notice of decisions waits this long for more decisions on the same unit, then goes as one email",
    )
    secret_key: str | None = Field(
        default=None, description="signs sessions and links; default: a key file in the data dir"
    )
    environment: Literal["dev", "production"] = "dev"
    storage_dir: Path | None = Field(default=None, description="evidence files; default: <data dir>/files")
    storage_backend: Literal["local", "s3"] = Field(default="local", description="where evidence files are kept")
    s3_bucket: str | None = Field(default=None, description="bucket of the s3 backend (required for it)")
    s3_prefix: str = Field(default="", description="key prefix inside the bucket, e.g. 'dondoc/'")
    s3_endpoint_url: str | None = Field(default=None, description="S3-compatible server; unset: AWS")
    s3_region: str | None = None
    s3_access_key_id: str | None = Field(default=None, description="unset: the AWS credential chain")
    s3_secret_access_key: SecretStr | None = None
    s3_addressing_style: Literal["auto", "path", "virtual"] = "auto"
    max_upload_mb: int = 50
    link_days: int = Field(default=60, description="how long an emailed portal link stays valid")
    log_format: Literal["auto", "console", "json"] = "auto"
    log_level: str = "INFO"

    @model_validator(mode="after")
    def _production_is_explicit(self) -> Self:
        """In production a missing secret would give each replica its own, and missing SMTP would lose mail."""
        if self.environment == "production":
            missing = [name for name in ("secret_key", "smtp_host", "public_url") if not getattr(self, name)]
            if missing:
                names = ", ".join(f"DONDOC_{m.upper()}" for m in missing)
                raise ValueError(f"Môi trường production cần đặt {names}")
        return self

    @model_validator(mode="after")
    def _s3_has_a_bucket(self) -> Self:
        if self.storage_backend == "s3" and not self.s3_bucket:
            raise ValueError("DONDOC_STORAGE_BACKEND=s3 cần đặt DONDOC_S3_BUCKET")
        return self

    @model_validator(mode="after")
    def _temporal_client_certificate_is_a_pair(self) -> Self:
        if (self.temporal_tls_cert_file is None) != (self.temporal_tls_key_file is None):
            raise ValueError("DONDOC_TEMPORAL_TLS_CERT_FILE và DONDOC_TEMPORAL_TLS_KEY_FILE phải được đặt cùng nhau")
        return self

    @property
    def follow_up_options(self) -> FollowUpOptions:
        """How the follow-ups this deployment starts run."""
        return FollowUpOptions(notice_delay_seconds=self.notice_delay_seconds)

    @property
    def office_hours(self) -> OfficeCalendar:
        """When letters may go out (the working days themselves come from the deadline calendar)."""
        return OfficeCalendar(
            enabled=self.office_hours_enabled,
            opens=self.office_opens,
            closes=self.office_closes,
            window_seconds=self.letter_window_seconds,
        )

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'dondoc.sqlite3').resolve()}"

    @property
    def files_dir(self) -> Path:
        return self.storage_dir or self.data_dir / "files"

    @property
    def signing_key(self) -> str:
        """The configured secret, or one generated once and kept in the data dir (embedded default)."""
        if self.secret_key:
            return self.secret_key
        return _kept_secret((self.data_dir / "secret.key").resolve())

    @property
    def mail_sink_dir(self) -> Path:
        return self.data_dir / "mail"

    @property
    def link_base(self) -> str:
        return (self.public_url or f"http://{self.http_host}:{self.http_port}").rstrip("/")

    @property
    def effective_temporal_address(self) -> str:
        return self.temporal_address or f"127.0.0.1:{self.temporal_port}"

    @property
    def effective_smtp(self) -> tuple[str, int]:
        if self.smtp_host:
            return self.smtp_host, self.smtp_port or 25
        return "127.0.0.1", self.smtp_port or self.sink_port


@lru_cache
def get_settings() -> Settings:
    return Settings()


@lru_cache(maxsize=8)
def _kept_secret(path: Path) -> str:
    """The embedded default's secret, generated once into the data dir and read once per process (every letter's
    link and every portal request needs it)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()
