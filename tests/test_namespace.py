"""Namespaces: every key and queue of one namespace differs from every one of another."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from worker.contract import namespace
from worker.contract.config import parse_config
from worker.contract.errors import ConfigError
from worker.contract.namespace import Keys

names = st.from_regex(namespace.NAME, fullmatch=True)
ids = st.text("0123456789abcdef:*", min_size=1, max_size=20)


def every_key(keys: Keys, ident: str) -> set[str]:
    return {*keys.queues, keys.step(ident), keys.steps, keys.sweep(ident), keys.sweep_steps(ident),
            keys.sweeps, keys.cancel(ident), keys.events, keys.lease(ident, ident), keys.load_host(ident),
            keys.settling, keys.preflight(ident, ident), keys.optuna, keys.workers, keys.heartbeat(ident),
            keys.held(ident), keys.accounts, keys.cursor(ident), keys.view(ident), keys.wanted(ident),
            keys.looked(ident), keys.sleeping(ident), keys.wake(ident), keys.watched, keys.watching}


@given(a=names, b=names, id_a=ids, id_b=ids)
def test_two_namespaces_never_share_a_key_or_a_queue(a: str, b: str, id_a: str, id_b: str) -> None:
    if a == b:
        return
    assert not every_key(Keys(a), id_a) & every_key(Keys(b), id_b)


@given(name=names)
def test_a_namespace_keeps_every_key_under_its_prefix(name: str) -> None:
    keys = Keys(name)
    assert all(k.startswith(keys.prefix) for k in every_key(keys, "x") - set(keys.queues))
    assert all(k.startswith("servo:") for k in every_key(keys, "x") - set(keys.queues))


def test_the_default_namespace_keeps_release_1_names() -> None:
    keys = Keys()
    assert (keys.step("abc"), keys.steps, keys.queues) == (
        "servo:step:abc", "servo:steps", ("control", "load"))
    assert Keys("team-a").step("abc") == "servo:ns:team-a:step:abc"
    assert Keys("team-a").queues == ("team-a.control", "team-a.load")


def test_the_environment_wins_over_the_config(tmp_path: Any) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("namespace: from-config\nfargate: {}\n")
    env = {"SERVO_CONFIG": str(config)}
    assert namespace.from_config_file(env) == "from-config"
    assert namespace.from_config_file({**env, "SERVO_NAMESPACE": "from-env"}) == "from-env"
    assert namespace.from_config_file({"SERVO_CONFIG": str(tmp_path / "missing.yaml")}) == "default"
    with pytest.raises(ValueError, match="SERVO_NAMESPACE: 'Bad Name' is not a namespace name"):
        namespace.from_config_file({"SERVO_NAMESPACE": "Bad Name"})


def test_a_bad_namespace_in_the_config_is_named() -> None:
    raw = {"namespace": "no/slash", "fargate": {"web": {"service_name": "web"}}}
    with pytest.raises(ConfigError, match=r"namespace: 'no/slash' is not a namespace name"):
        parse_config(raw, environ={})
    assert parse_config({**raw, "namespace": "team-a"}, environ={}).namespace == "team-a"


def test_the_config_given_with_config_names_the_namespace_a_command_uses(
        tmp_path: Path, redis_db: Any, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """`step --config blue.yaml` enqueues on blue's queue, where `worker --config blue.yaml`
    listens, not on the default one; and the process's namespace is its own again after."""
    from producer.cli import main
    from worker.contract.namespace import process_keys

    monkeypatch.delenv("SERVO_NAMESPACE", raising=False)
    monkeypatch.delenv("SERVO_CONFIG", raising=False)
    process_keys.cache_clear()
    path = tmp_path / "blue.yaml"
    path.write_text("namespace: blue\nfargate:\n  web:\n    service_name: web\n"
                    "    settings: {cpu: {type: enum, values: [0.25, 0.5]}}\n")
    assert main(["step", "web", "cpu=0.5", "--config", str(path)]) == 0, capsys.readouterr().err
    blue = Keys("blue")
    assert redis_db.llen(blue.control) == 1 and redis_db.llen(Keys().control) == 0
    assert any(key.startswith("servo:ns:blue:") for key in redis_db.keys("*"))
    assert process_keys().namespace == "default"


def test_cancelling_a_step_that_already_ended_says_so_and_exits_1(
        tmp_path: Path, redis_db: Any, capsys: pytest.CaptureFixture[str]) -> None:
    from producer.cli import main
    from worker.contract.records import RecordStore

    path = tmp_path / "web.yaml"
    path.write_text("fargate:\n  web:\n    service_name: web\n"
                    "    settings: {cpu: {type: enum, values: [0.25, 0.5]}}\n")
    assert main(["step", "web", "cpu=0.5", "--config", str(path)]) == 0
    [record] = RecordStore(redis_db).recent_steps(1)
    assert main(["cancel", record["id"], "--config", str(path)]) == 0  # queued: cancelled
    capsys.readouterr()
    assert main(["cancel", record["id"], "--config", str(path)]) == 1
    assert "already ended (cancelled); nothing to cancel" in capsys.readouterr().err
