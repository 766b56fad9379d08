"""Long-running `tokendesk` processes under test: their log in a file, HTTP to them, signals."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp

from ledger.events import parse_event
from ledger.service import LedgerService

ROOT = Path(__file__).parents[2]
LINE = re.compile(
    r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (DEBUG|INFO|WARNING|ERROR|CRITICAL) [\w.]+: "
)


def clean_env(**settings: str) -> dict[str, str]:
    """This process's environment without any DISCORD_/TOKENDESK_ variable, plus `settings`."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD", "TOKENDESK"))}
    return {**base, **settings}


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Running:
    """A `tokendesk` process whose standard error goes to `log`."""

    process: asyncio.subprocess.Process
    log: Path

    def lines(self) -> list[str]:
        return self.log.read_text(errors="replace").splitlines()

    async def logged(self, pattern: str, within: float = 30.0) -> str:
        """Wait until a log line matches `pattern`; return it."""
        deadline = asyncio.get_running_loop().time() + within
        while True:
            for line in self.lines():
                if re.search(pattern, line):
                    return line
            if self.process.returncode is not None:
                raise AssertionError(f"exited {self.process.returncode}:\n{self.log.read_text()}")
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"no log line like {pattern!r}:\n{self.log.read_text()}")
            await asyncio.sleep(0.02)

    def signal(self, sig: signal.Signals = signal.SIGTERM) -> None:
        self.process.send_signal(sig)

    async def exit_code(self, within: float) -> int:
        """The exit code, waiting at most `within` seconds for it (a bound, not a timing)."""
        return await asyncio.wait_for(self.process.wait(), within)

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)
            await self.process.wait()


async def spawn(*args: str, env: dict[str, str], log: Path) -> Running:
    """Start `python -m bot ARGS` with `env`; standard output is a pipe, standard error `log`."""
    with log.open("wb") as err:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            *args,
            env=env,
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
            stderr=err,
        )
    return Running(process, log)


async def get(url: str, within: float = 5.0) -> tuple[int, str]:
    """GET `url`: its status and text (bounded by `within` seconds)."""
    timeout = aiohttp.ClientTimeout(total=within)
    async with aiohttp.ClientSession(timeout=timeout) as session, session.get(url) as response:
        return response.status, await response.text()


def metric(text: str, name: str, **labels: str) -> float:
    """One sample's value from Prometheus text (0 when the series is absent)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    head = f"{name}{{{wanted}}}" if labels else name
    for line in text.splitlines():
        if line.startswith(head + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def fail_after_charge(
    ledger: LedgerService, users: list[str], *, cost: int, step: timedelta
) -> None:
    """Give the n-th user an apprentice account `acc-n` whose generation `gn` was charged
    `cost` and then failed: three events `step` apart, the last one `step` ago."""
    now = datetime.now(UTC)
    for n, user in enumerate(users):
        for kind, steps, extra in (
            ("account.created", 3, {"plan": "apprentice", "discord_user_id": user}),
            ("generation.charged", 2, {"generation_id": f"g{n}", "source": "web", "cost": cost}),
            ("generation.failed", 1, {"generation_id": f"g{n}"}),
        ):
            body = {
                "id": f"{kind}-{n}",
                "type": kind,
                "account_id": f"acc-{n}",
                "at": (now - step * steps).isoformat(),
                **extra,
            }
            result = await ledger.apply(parse_event(body, ledger.catalogue))
            assert result.outcome == "applied", result
