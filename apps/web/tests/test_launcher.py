from paperdesk_web import _launcher


def test_the_build_depends_on_the_port_and_node():
    a = _launcher.build_fingerprint(3000, "v22.1.0")
    assert a == _launcher.build_fingerprint(3000, "v22.1.0")
    assert a != _launcher.build_fingerprint(3001, "v22.1.0")
    assert a != _launcher.build_fingerprint(3000, "v22.2.0")


def test_server_env_pins_one_worker_and_the_port(monkeypatch):
    monkeypatch.setenv("REFLEX_REDIS_URL", "redis://elsewhere")
    env = _launcher.prepare_env(4123)
    assert env["REFLEX_BACKEND_PORT"] == env["REFLEX_FRONTEND_PORT"] == "4123"
    assert env["REFLEX_API_URL"] == "http://localhost:4123"
    assert env["GRANIAN_WORKERS"] == "1"
    assert "REFLEX_REDIS_URL" not in env
