"""SPEC 7 logs: UTC time, level and logger on every line, or JSON; secrets never written."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import signal
import subprocess
import sys
from pathlib import Path

from bot.logs import JsonFormatter, TextFormatter
from tests.bot.processes import LINE, ROOT, clean_env, get, spawn

SECRETS = {
    "DISCORD_TOKEN": "discord-token-never-logged",
    "TOKENDESK_WEBHOOK_SECRET": "webhook-secret-never-logged",
}


async def webhook_lines(tmp_path: Path, sqlite_url: str, **settings: str) -> list[str]:
    """Start a webhook, ask it for /healthz, /metrics and a 404, stop it; its log lines."""
    env = clean_env(TOKENDESK_DATABASE_URL=sqlite_url, **SECRETS, **settings)
    running = await spawn("webhook", "--port", "0", env=env, log=tmp_path / "hook.log")
    try:
        line = await asyncio.wait_for(running.process.stdout.readline(), 60)
        base = line.decode().split()[-1].removesuffix("/v1/events")
        assert (await get(f"{base}/healthz"))[0] == 200
        assert (await get(f"{base}/metrics"))[0] == 200
        assert (await get(f"{base}/nowhere"))[0] == 404
        running.signal(signal.SIGINT)
        assert await running.exit_code(within=10) == 0
    finally:
        await running.stop()
    return running.lines()


async def test_text_lines_carry_utc_time_level_and_logger_and_no_secret(tmp_path, sqlite_url):
    lines = await webhook_lines(tmp_path, sqlite_url, TOKENDESK_LOG_LEVEL="DEBUG")
    assert all(LINE.match(line) for line in lines), [x for x in lines if not LINE.match(x)]
    assert any(" DEBUG bot.cli: tokendesk " in line and "Settings(" in line for line in lines)
    assert sum(" INFO bot.http.access: GET " in line for line in lines) == 3
    assert any("SIGINT received: stopping" in line for line in lines)
    text = "\n".join(lines)
    assert not any(secret in text for secret in SECRETS.values())


async def test_log_level_info_hides_debug_lines(tmp_path, sqlite_url):
    lines = await webhook_lines(tmp_path, sqlite_url)
    assert lines and not any(" DEBUG " in line for line in lines)
    assert sum(" INFO bot.http.access: " in line for line in lines) == 3


async def test_json_format_is_one_object_per_line(tmp_path, sqlite_url):
    lines = await webhook_lines(
        tmp_path, sqlite_url, TOKENDESK_LOG_FORMAT="json", TOKENDESK_LOG_LEVEL="DEBUG"
    )
    entries = [json.loads(line) for line in lines]
    assert all({"time", "level", "logger", "message"} <= set(e) for e in entries)
    assert all(e["time"].endswith("Z") and e["time"][10] == "T" for e in entries)
    access = [e for e in entries if e["logger"] == "bot.http.access"]
    assert [e["message"].split()[:3] for e in access] == [
        ["GET", "/healthz", "200"],
        ["GET", "/metrics", "200"],
        ["GET", "/nowhere", "404"],
    ]
    assert not any(secret in "\n".join(lines) for secret in SECRETS.values())


def test_tracebacks_keep_the_line_form_and_lose_their_secrets():
    record_logger = logging.getLogger("tests.logs.trace")
    for formatter in (TextFormatter(["hunter2-secret"]), JsonFormatter(["hunter2-secret"])):
        out = io.StringIO()
        handler = logging.StreamHandler(out)
        handler.setFormatter(formatter)
        record_logger.addHandler(handler)
        try:
            try:
                raise ValueError("cannot log in with hunter2-secret")
            except ValueError:
                record_logger.exception("failed for %s", "hunter2-secret")
        finally:
            record_logger.removeHandler(handler)
        text = out.getvalue()
        assert "hunter2-secret" not in text and "***" in text
        if isinstance(formatter, TextFormatter):
            assert all(LINE.match(line) for line in text.splitlines()) and "Traceback" in text
        else:
            assert len(text.splitlines()) == 1 and "Traceback" in json.loads(text)["exception"]


def test_the_webhook_process_never_loads_discord(tmp_path, sqlite_url):
    env = clean_env(TOKENDESK_DATABASE_URL=sqlite_url, TOKENDESK_WEBHOOK_SECRET="s")
    process = subprocess.Popen(
        [sys.executable, "-X", "importtime", "-m", "bot", "webhook", "--port", "0"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None
    assert process.stdout.readline().startswith(b"webhook listening on ")
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=10)
    assert process.returncode == 0
    modules = [line.rsplit("|", 1)[-1].strip() for line in err.decode().splitlines() if "|" in line]
    assert "bot.http.webhook" in modules and "aiohttp" in modules
    assert not [m for m in modules if m.split(".")[0] == "discord"]
