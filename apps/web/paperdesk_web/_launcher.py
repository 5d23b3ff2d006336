"""Serve the web UI in production mode on one port (what `python -m paperdesk_web` runs).

`reflex run --env prod` rebuilds the frontend on every start. Here the frontend is built
(`reflex export --frontend-only`) only when its inputs changed — the app's sources,
rxconfig, the Reflex version, Node and the port, which Reflex bakes into the bundle. Each
build is copied to `.web-serve/<port>/` and served from there, so stacks on other ports
(tests, a second checkout of the UI) can rebuild `.web` without pulling files from under
a running server. The backend serves that copy and the Reflex event socket on the same
port (Granian, one worker: the per-session state and its quote streams live in memory).
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

WEB_DIR = Path(__file__).resolve().parent.parent  # apps/web: holds rxconfig.py
PACKAGE_DIR = WEB_DIR / "paperdesk_web"
BUILD_DIR = WEB_DIR / ".web" / "build" / "client"  # where Reflex builds
SERVE_ROOT = WEB_DIR / ".web-serve"  # one immutable copy of a build per port
STAMP_NAME = "paperdesk-build.json"
KEEP_SNAPSHOTS = 6
ENSURE_NODE = WEB_DIR.parent.parent / "infra" / "scripts" / "ensure-node.sh"
MIN_NODE_MAJOR = 22


def _log(message: str) -> None:
    print(f"[web] {message}", flush=True)


def _node_major(node: str) -> int:
    try:
        out = subprocess.run(
            [node, "--version"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
        return int(out.strip().lstrip("v").split(".")[0])
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return 0


def ensure_node(env: dict[str, str]) -> str:
    """Put a Node.js >= 22 first on PATH (Reflex needs it to build); return its version."""
    node = shutil.which("node", path=env.get("PATH"))
    if (node is None or _node_major(node) < MIN_NODE_MAJOR) and ENSURE_NODE.exists():
        bin_dir = subprocess.run(
            [str(ENSURE_NODE)], capture_output=True, text=True, check=True
        ).stdout.strip()
        if bin_dir:
            env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
        node = shutil.which("node", path=env.get("PATH"))
    if node is None or _node_major(node) < MIN_NODE_MAJOR:
        msg = f"Node.js >= {MIN_NODE_MAJOR} is needed to build the web UI"
        raise SystemExit(msg)
    return subprocess.run(
        [node, "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()


def _source_files() -> Iterator[Path]:
    yield WEB_DIR / "rxconfig.py"
    yield from sorted(PACKAGE_DIR.rglob("*.py"))
    assets = WEB_DIR / "assets"
    if assets.is_dir():
        # assets/external is written by Reflex itself during a build: not an input.
        external = assets / "external"
        yield from sorted(p for p in assets.rglob("*") if p.is_file() and external not in p.parents)


def build_fingerprint(port: int, node_version: str) -> str:
    """Hash of everything the built frontend depends on."""
    from importlib.metadata import version

    digest = hashlib.sha256()
    digest.update(f"reflex={version('reflex')};node={node_version};port={port}\n".encode())
    for path in _source_files():
        digest.update(str(path.relative_to(WEB_DIR)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def serve_dir(port: int) -> Path:
    """Reflex web dir the server of a port uses (holds `build/client`)."""
    return SERVE_ROOT / str(port)


def build_is_current(port: int, fingerprint: str) -> bool:
    """Whether the port's copy of the frontend was built from the same inputs."""
    snapshot = serve_dir(port)
    stamp = snapshot / STAMP_NAME
    if not (snapshot / "build" / "client" / "index.html").exists() or not stamp.exists():
        return False
    try:
        return bool(json.loads(stamp.read_text())["fingerprint"] == fingerprint)
    except (ValueError, KeyError):
        return False


class _Stop(Exception):
    """SIGTERM/SIGINT arrived while building."""


def _raise_stop(_signum: int, _frame: FrameType | None) -> None:
    raise _Stop


def build_frontend(env: dict[str, str], port: int, fingerprint: str) -> None:
    """Build the frontend for a port and install it as that port's copy.

    Builds share `.web`, so they take turns (a file lock); SIGTERM kills the build.
    """
    SERVE_ROOT.mkdir(exist_ok=True)
    with (SERVE_ROOT / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if build_is_current(port, fingerprint):  # built while we waited
            return
        started = time.monotonic()
        cmd = [sys.executable, "-m", "reflex", "export", "--frontend-only", "--no-zip"]
        cmd += ["--loglevel", "warning"]
        # Own process group so a stop also reaches npm/node started by Reflex.
        proc = subprocess.Popen(cmd, cwd=WEB_DIR, env=env, start_new_session=True)
        try:
            code = proc.wait()
        except (_Stop, KeyboardInterrupt):
            _kill_group(proc)
            raise
        if code != 0:
            raise SystemExit(f"building the web UI failed (exit {code})")
        _install_snapshot(port, fingerprint)
        _prune_snapshots(keep=port)
    _log(f"frontend built in {time.monotonic() - started:.0f} s")


def _install_snapshot(port: int, fingerprint: str) -> None:
    target = serve_dir(port)
    staging = SERVE_ROOT / f".{port}.{os.getpid()}.new"
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(BUILD_DIR, staging / "build" / "client")
    (staging / STAMP_NAME).write_text(json.dumps({"fingerprint": fingerprint, "port": port}))
    retired = SERVE_ROOT / f".{port}.{os.getpid()}.old"
    if target.exists():
        target.rename(retired)
    staging.rename(target)
    shutil.rmtree(retired, ignore_errors=True)


def _prune_snapshots(keep: int) -> None:
    """Keep the newest few copies (tests start stacks on random ports)."""
    snapshots = sorted(
        (p for p in SERVE_ROOT.iterdir() if p.is_dir() and p.name.isdigit()),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in snapshots[KEEP_SNAPSHOTS:]:
        if old.name != str(keep):
            shutil.rmtree(old, ignore_errors=True)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def prepare_env(port: int) -> dict[str, str]:
    """Environment of the build and of the server."""
    env = dict(os.environ)
    env.setdefault("REFLEX_USE_NPM", "1")
    env.setdefault("REFLEX_TELEMETRY_ENABLED", "false")
    env.setdefault("PAPERDESK_API_URL", "http://127.0.0.1:8000")
    env["REFLEX_FRONTEND_PORT"] = str(port)
    env["REFLEX_BACKEND_PORT"] = str(port)
    # The browser reaches the event socket on the page's own host and this port.
    env["REFLEX_API_URL"] = f"http://localhost:{port}"
    env["REFLEX_DEPLOY_URL"] = f"http://localhost:{port}"
    # The in-memory state manager needs a single worker; never borrow PaperDesk's Redis.
    env.pop("REFLEX_REDIS_URL", None)
    env.pop("REFLEX_WEB_WORKDIR", None)  # builds use .web; the server its own copy
    env["GRANIAN_WORKERS"] = "1"
    env.setdefault("GRANIAN_LOG_LEVEL", "warning")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def serve(host: str, port: int) -> None:
    """Run the Reflex backend with the port's frontend copy mounted (blocks until SIGTERM)."""
    os.chdir(WEB_DIR)
    os.environ["REFLEX_WEB_WORKDIR"] = str(serve_dir(port))
    if str(WEB_DIR) not in sys.path:
        sys.path.insert(0, str(WEB_DIR))
    from reflex.utils import exec as reflex_exec
    from reflex_base import constants
    from reflex_base.environment import environment

    environment.REFLEX_ENV_MODE.set(constants.Env.PROD)
    environment.REFLEX_SKIP_COMPILE.set(True)
    reflex_exec.run_backend_prod(host, port, constants.LogLevel.WARNING, True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m paperdesk_web", description="Serve the PaperDesk web UI."
    )
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("PAPERDESK_WEB_PORT", "3000"))
    )
    parser.add_argument("--host", default=os.environ.get("PAPERDESK_WEB_HOST", "127.0.0.1"))
    parser.add_argument(
        "--rebuild", action="store_true", help="build the frontend even when it is current"
    )
    parser.add_argument(
        "--build-only", action="store_true", help="build the frontend if needed, then exit"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Build the frontend when needed, then serve the UI until SIGTERM/Ctrl-C."""
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _raise_stop)
    env = prepare_env(args.port)
    try:
        node_version = ensure_node(env)
        fingerprint = build_fingerprint(args.port, node_version)
        if args.rebuild or not build_is_current(args.port, fingerprint):
            _log(f"building the frontend for port {args.port} (first start or the UI changed)")
            build_frontend(env, args.port, fingerprint)
        else:
            _log("frontend is up to date; reusing the build")
    except (_Stop, KeyboardInterrupt):
        _log("stopped before the UI server started")
        return 143
    if args.build_only:
        return 0
    os.environ.clear()
    os.environ.update(env)
    # Granian installs its own SIGTERM/SIGINT handlers and stops its worker on either.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _log(
        f"starting the UI server on http://{args.host}:{args.port}/ (API {env['PAPERDESK_API_URL']})"
    )
    serve(args.host, args.port)
    return 0
