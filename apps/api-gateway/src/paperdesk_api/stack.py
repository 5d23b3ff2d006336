"""``paperdesk up``: start Redis (embedded when no REDIS_URL), migrate, run every component."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

import httpx
from paperdesk_core.config import get_settings
from paperdesk_core.redis_server import EmbeddedRedis

from paperdesk_api.serve import listen_sockets

ALL_COMPONENTS = ("api", "workers", "ingestion", "web")
WEB_DIR = Path(__file__).resolve().parents[3] / "web"


@dataclass
class Stack:
    components: list[str]
    host: str = "127.0.0.1"
    api_port: int = 8000
    web_port: int = 3000
    api_workers: int = field(default_factory=lambda: get_settings().api_workers)
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    redis: EmbeddedRedis | None = None
    _stopping: bool = False

    def commands(self, api_fds: Sequence[int] = ()) -> dict[str, list[str]]:
        """Each component's command; one API process per listening socket in ``api_fds``."""
        py = sys.executable
        api = {
            f"api:{i + 1}" if i else "api": [py, "-m", "paperdesk_api.serve", "--fd", str(fd)]
            for i, fd in enumerate(api_fds)
        }
        return {
            **api,
            "workers": [
                py, "-m", "celery", "-A", "paperdesk_workers.celery_app", "worker",
                "--loglevel", "INFO", "--concurrency", "2", "--without-gossip",
                "--without-mingle", "-Q", "celery,backtests,fills",
            ],
            # A second process of the "workers" component: the paper fill engine.
            "workers:fills": [py, "-m", "paperdesk_workers.fill_engine"],
            "ingestion": [py, "-m", "paperdesk_ingestion", "run"],
            "web": [py, "-m", "paperdesk_web", "--port", str(self.web_port)],
        }  # fmt: skip

    def env(self) -> dict[str, str]:
        settings = get_settings()
        env = dict(os.environ)
        env.setdefault("PAPERDESK_DATA_DIR", str(settings.data_dir.resolve()))
        env["DATABASE_URL"] = settings.db_url
        env.setdefault("PAPERDESK_API_URL", f"http://127.0.0.1:{self.api_port}")
        env.setdefault("REFLEX_USE_NPM", "1")
        env.setdefault("REFLEX_TELEMETRY_ENABLED", "false")
        if self.redis:
            env["REDIS_URL"] = self.redis.url
        if self.api_workers > 1:  # Prometheus metrics summed over the API processes
            metrics_dir = settings.data_dir.resolve() / "prometheus"
            shutil.rmtree(metrics_dir, ignore_errors=True)
            metrics_dir.mkdir(parents=True)
            env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
        return env

    def start(self) -> None:
        settings = get_settings()
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        if not settings.redis_url:
            self.redis = EmbeddedRedis(workdir=settings.data_dir / "redis")
            url = self.redis.start()
            os.environ["REDIS_URL"] = url
            get_settings.cache_clear()
            print(f"embedded Redis on {url}", flush=True)
        from paperdesk_api.database import upgrade

        upgrade()
        env = self.env()
        sockets = []
        if "api" in self.components:
            sockets = listen_sockets(self.host, self.api_port, self.api_workers)
        try:
            for name, cmd in self.commands([s.fileno() for s in sockets]).items():
                component = name.split(":")[0]
                if component in self.components:
                    cwd = WEB_DIR if name == "web" else None
                    fds = (int(cmd[-1]),) if component == "api" else ()
                    self.procs[name] = subprocess.Popen(cmd, env=env, cwd=cwd, pass_fds=fds)
        finally:
            for sock in sockets:  # each API process holds its own
                sock.close()

    def wait_ready(self, timeout: float = 600.0) -> bool:
        """Wait for the API (and the web UI when started) to answer."""
        deadline = time.monotonic() + timeout
        urls = []
        if "api" in self.procs:
            urls.append(f"http://127.0.0.1:{self.api_port}/healthz")
        if "web" in self.procs:
            urls.append(f"http://127.0.0.1:{self.web_port}/")
        pending = list(urls)
        while pending and time.monotonic() < deadline:
            for url in list(pending):
                try:
                    if httpx.get(url, timeout=2).status_code < 500:
                        pending.remove(url)
                except httpx.HTTPError:
                    pass
            if self.dead():
                return False
            time.sleep(0.3)
        return not pending

    def dead(self) -> list[str]:
        return [n for n, p in self.procs.items() if p.poll() is not None]

    def stop(self) -> None:
        self._stopping = True
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
        if self.redis:
            self.redis.stop()

    def run_forever(self) -> int:
        def _on_signal(_sig: int, _frame: FrameType | None) -> None:
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, _on_signal)
        try:
            self.start()
            if self.wait_ready():
                if "web" in self.procs:
                    print(
                        f"\nPaperDesk is ready: open http://127.0.0.1:{self.web_port}/", flush=True
                    )
                if "api" in self.procs:
                    print(f"API: http://127.0.0.1:{self.api_port}/docs", flush=True)
            while not (dead := self.dead()):
                time.sleep(0.5)
            print(f"component(s) exited: {', '.join(dead)}; stopping", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print("\nstopping PaperDesk ...", flush=True)
            return 0
        finally:
            self.stop()
