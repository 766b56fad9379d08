"""`tokendesk sandbox`: starts, answers as a demo user, exits cleanly at end of input."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from bot.sandbox.terminal import parse_command

ROOT = Path(__file__).parents[2]


def test_the_sandbox_answers_balance_for_a_demo_user_and_exits_on_end_of_input(tmp_path):
    script = "/balance\nas bob\n/balance\n/cost model:phoenix width:1024 height:1024\n"
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "sandbox"],
        input=script,
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "You are alice" in out and "┌ Your tokens" in out
    assert "0 tokens to spend" in out  # alice spent her 150 today
    assert "-280 tokens (relaxed mode)" in out  # bob is relaxed
    assert "tokens per image" in out or "Per image" in out
    assert out.rstrip().endswith("bye")
    assert "Traceback" not in done.stderr


def test_command_lines_parse_like_discord_options():
    assert parse_command("/cost model:phoenix width:512 alchemy:true") == (
        "cost",
        {"model": "phoenix", "width": 512, "alchemy": True},
    )
    assert parse_command('/ticket note id:3 text:"two words"') == (
        "ticket note",
        {"id": 3, "text": "two words"},
    )


def _sandbox(script: str, folder) -> str:
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "sandbox"],
        input=script,
        capture_output=True,
        text=True,
        env=env,
        cwd=folder,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done.stdout


def test_staff_see_the_triage_channel_and_a_tickets_thread_with_names_for_mentions(tmp_path):
    script = "\n".join(
        [
            "as erin",
            '/refund generation_id:gen-e7 details:"it timed out"',
            "channel triage",
            "as sam",
            "channel triage",
            "click 2",  # 1 is the demo outage's alert: Refund all
            '/ticket reply id:1 text:"Which model was it?"',
            "channel triage",
            "thread 1",
            "",
        ]
    )
    out = _sandbox(script, tmp_path)
    assert "only the support team sees the triage channel" in out  # erin is not staff
    assert "┌ Ticket #1: refund" in out and "User: @erin" in out
    assert "[1] Refund all" in out and "[2] Claim" in out and "[5] Close" in out
    assert "Claimed by: @sam" in out  # a mention, shown as a name
    assert "Opened by @erin." in out and "Claimed by @sam." in out
    assert "@sam wrote to the user:" in out and "> Which model was it?" in out
    assert "<@" not in out  # no raw mention markup anywhere


def test_the_sandbox_saves_the_usage_chart_and_shows_dms_and_events(tmp_path):
    script = "/usage days:7\nas erin\nevent failed gen-x 40\nclick 1\nevent payment\nevent nope\n"
    out = _sandbox(script, tmp_path)
    saved = re.search(r"saved to (\S+\.png) \(open it", out)
    assert saved and Path(saved.group(1)).read_bytes().startswith(b"\x89PNG")
    # erin's demo failure was told by DM before she came; the sandbox shows it on switching.
    switched = out.split("You are erin", 1)[1]
    assert switched.index("✉ a direct message") < switched.index("gen-e7")
    assert "generation.charged: applied; generation.failed: applied" in out
    assert "`gen-x` failed and cost you 40 tokens." in out
    assert "Ticket #1: refund of gen-x" in out  # its button opened the ticket
    assert "payment.failed: applied" in out  # payment DMs are off until /notify turns them on
    assert "! try: event failed GEN" in out


def test_the_demo_outage_raised_an_alert_and_a_moderator_refunds_it(tmp_path):
    script = "\n".join(
        [
            "as sam",
            "channel triage",
            "click 1",
            "as mona",
            "channel triage",
            "click 1",
            "as carol",
            "",
        ]
    )
    out = _sandbox(script, tmp_path)
    assert "Incident: kino is failing" in out
    assert "Staff only" in out  # sam is support, not a moderator
    assert "Refunded 24 failed generations on 6 accounts: 5,040 tokens." in out
    carol = out.split("You are carol", 1)[1]
    assert "`gen-kino-1` failed and cost you 200 tokens." in carol  # told as it failed
    assert "Refund approved: ticket #" in carol  # and of the refund (the rest follow)
