"""The sandbox terminal: type slash commands as a demo user and read the answers."""

from __future__ import annotations

import asyncio
import logging
import shlex
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from bot.emulator import Channel, Emulator, Message
from bot.emulator.problems import EmulatorError
from bot.emulator.result import InteractionResult, walk_components
from bot.sandbox.events import EVENT_HELP
from bot.sandbox.screen import render_message

log = logging.getLogger(__name__)

__all__ = ["Terminal", "parse_command"]

HELP = f"""\
Type a slash command as the current user, for example:
  /balance        /reset        /rollover        /relaxed        /history limit:5
  /cost model:phoenix width:1024 height:1024 alchemy:true        /plans
  /why hours:48   /usage days:14 (the chart is saved to a file you can open)   /notify
Other lines:
  as NAME         switch to another demo user (`users` lists them); their new DMs show
  click N or N    press button N of the last answer (or of the last DM shown)
  pick N [M ...]  choose option N (and M...) of the list in the last answer
  channel triage  the triage channel, as the support team sees it (staff only)
  thread N        the thread of ticket N in the triage channel (staff only)
  event ...       the platform reports something for the current user:
                  {EVENT_HELP}
                  (`event failed gen-x` ends in a DM, as `/notify` promises)
  help            this text
Ctrl-D (end of input) leaves the sandbox."""
DM_WAIT_S = 2.0
"""How long the terminal waits for a DM an event should cause."""

EventRunner = Callable[[str, list[str]], Awaitable[str]]


def parse_command(line: str) -> tuple[str, dict[str, Any]]:
    """`/cost model:phoenix width:512` -> ("cost", {"model": "phoenix", "width": 512}).

    Subcommands come before the options: `/ticket approve id:3`.
    """
    words = shlex.split(line.lstrip("/"))
    if not words:
        raise ValueError("type a command after the slash")
    path, options = [], {}
    for word in words:
        if ":" in word:
            key, value = word.split(":", 1)
            options[key] = _value(value)
        elif options:
            raise ValueError(f"{word!r}: options look like name:value")
        else:
            path.append(word)
    return " ".join(path), options


def _value(text: str) -> Any:
    lowered = text.lower()
    if lowered in ("true", "yes", "on"):
        return True
    if lowered in ("false", "no", "off"):
        return False
    try:
        return int(text)
    except ValueError:
        return text


class Terminal:
    """Reads lines, acts as the chosen user in the emulator, prints what the bot sent."""

    def __init__(
        self,
        emulator: Emulator,
        people: dict[str, Any],
        describe: dict[str, str],
        *,
        now: Callable[[], datetime],
        out: TextIO = sys.stdout,
        triage: Channel | None = None,
        staff: frozenset[str] = frozenset(),
        settle: Callable[[], Awaitable[None]] | None = None,
        files: Path | None = None,
        events: EventRunner | None = None,
    ) -> None:
        self.emu = emulator
        self.people = people
        self.describe = describe
        self.now = now
        self.out = out
        self.triage = triage
        self.staff = staff
        self.settle = settle
        """Waits for the bot to deliver what it decided (triage messages, thread lines)."""
        self.current = next(iter(people))
        self.last: InteractionResult | None = None
        self.shown: list[tuple[Message, dict[str, Any]]] = []
        """Buttons of the channel messages shown last, numbered from 1 in this order."""
        self.files = files
        """Where attachments (the /usage chart) are saved for opening."""
        self.events = events
        self.last_dm: Message | None = None
        """The DM shown last, when it came after the last answer (its buttons are `click N`)."""
        self._seen: dict[str, set[int]] = {}
        self._saved = 0

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def prompt(self) -> None:
        print(f"{self.current}> ", end="", file=self.out, flush=True)

    async def run(self, lines: TextIO = sys.stdin) -> None:
        """Serve until end of input."""
        self.say(HELP)
        self.say(f"\nYou are {self.current}: {self.describe[self.current]}.")
        loop = asyncio.get_running_loop()
        while True:
            self.prompt()
            line = await loop.run_in_executor(None, lines.readline)
            if not line:
                self.say("\nbye")
                return
            await self.handle(line.strip())

    async def handle(self, line: str) -> None:
        """Act on one line."""
        if not line:
            return
        try:
            if line.startswith("/"):
                name, options = parse_command(line)
                self.show(await self.emu.slash(self.people[self.current], name, options=options))
            elif line.split()[0] == "event":
                await self.event(line.split()[1:])
            elif line.startswith("as "):
                self.switch(line[3:].strip())
            elif line == "users":
                for name, text in self.describe.items():
                    self.say(f"  {name:<8} {text}")
            elif line in ("help", "?"):
                self.say(HELP)
            elif line.startswith("pick "):
                await self.pick([int(n) for n in line[5:].split()])
            elif line.startswith("channel"):
                await self.channel(line.removeprefix("channel").strip())
            elif line.startswith("thread "):
                await self.thread(line.removeprefix("thread ").strip().lstrip("#"))
            elif line.removeprefix("click ").strip().isdigit():
                await self.click(int(line.removeprefix("click ").strip()))
            else:
                self.say("Not understood. Type `help`.")
        except (ValueError, EmulatorError) as exc:
            self.say(f"! {exc}")
        await asyncio.sleep(0.05)  # a DM the line caused (a decision, a notice) shows now
        self.show_dms()

    def switch(self, name: str) -> None:
        if name not in self.people:
            self.say(f"! no demo user {name!r}; try `users`")
            return
        self.current = name
        self.last = None
        self.shown = []
        self.last_dm = None
        self.say(f"You are {name}: {self.describe[name]}.")

    def names(self, kind: str, ident: int) -> str | None:
        """Who a mention names, as Discord shows it: a user's or a role's name."""
        world = self.emu.world
        if kind == "user":
            user = world.users.get(ident)
            return user.name if user else None
        role = next((g.roles[ident] for g in world.guilds.values() if ident in g.roles), None)
        return role.name if role else None

    def _staff_only(self) -> bool:
        if self.triage is not None and self.current in self.staff:
            return True
        self.say("! only the support team sees the triage channel; try `as sam`")
        return False

    async def channel(self, name: str) -> None:
        """Show the triage channel's messages, their buttons numbered for `click N`."""
        if name != "triage":
            self.say("! the channel to look at is `channel triage`")
        elif self._staff_only():
            assert self.triage is not None
            if self.settle is not None:
                await self.settle()
            found = self.emu.channel_messages(self.triage)
            self.show_messages(found, "The triage channel is empty.")

    async def thread(self, number: str) -> None:
        """Show the thread of ticket `number` in the triage channel."""
        if not number.isdigit():
            self.say("! which ticket? `thread 1`")
            return
        if not self._staff_only():
            return
        assert self.triage is not None
        if self.settle is not None:
            await self.settle()
        for message in self.emu.channel_messages(self.triage):
            titles = [str(e.get("title", "")) for e in message.embeds]
            if any(t.startswith(f"Ticket #{number}:") for t in titles):
                found = self.emu.thread_messages(message)
                self.show_messages(found, f"Ticket #{number}'s thread is empty.")
                return
        self.say(f"! ticket #{number} has no message in the triage channel")

    def show_messages(self, messages: list[Message], empty: str) -> None:
        """Print channel messages, numbering their buttons across all of them."""
        self.last, self.shown = None, []
        if not messages:
            self.say(empty)
        for message in messages:
            buttons = _buttons(message.components)
            first = len(self.shown) + 1
            self.shown += [(message, button) for button in buttons]
            text = render_message(
                message.content,
                message.embeds,
                buttons,
                ephemeral=False,
                now=self.now(),
                names=self.names,
                first=first,
            )
            self.say(text)

    async def event(self, words: list[str]) -> None:
        """Let the platform report an event for the current user, then wait for its DM."""
        if self.events is None:
            self.say("! events are not available here")
            return
        before = len(self._unseen())
        self.say(await self.events(self.current, words))
        for _ in range(int(DM_WAIT_S / 0.05)):
            if len(self._unseen()) != before:
                break
            await asyncio.sleep(0.05)

    def _unseen(self) -> list[Message]:
        seen = self._seen.setdefault(self.current, set())
        return [m for m in self.emu.dms_to(self.people[self.current]) if m.id not in seen]

    def show_dms(self) -> None:
        """Print the DMs the current user has not seen yet, oldest first."""
        for message in self._unseen():
            self._seen[self.current].add(message.id)
            self.say("✉ a direct message from the bot:")
            self.say(
                render_message(
                    message.content,
                    message.embeds,
                    _buttons(message.components),
                    ephemeral=False,
                    now=self.now(),
                    names=self.names,
                )
            )
            if _buttons(message.components):
                self.last_dm, self.shown = message, []  # `click N` means this DM's buttons

    async def click(self, number: int) -> None:
        if self.shown:
            if not 1 <= number <= len(self.shown):
                self.say("! no such button in the channel shown last")
                return
            message, button = self.shown[number - 1]
            person = self.people[self.current]
            self.show(await self.emu.click(message, button["custom_id"], user=person))
            return
        if self.last_dm is not None:
            buttons = _buttons(self.last_dm.components)
            if not 1 <= number <= len(buttons):
                self.say("! no such button on the last DM")
                return
            dm, self.last_dm = self.last_dm, None
            self.show(await self.emu.click(dm, buttons[number - 1]["custom_id"]))
            return
        shown = [m for m in (self.last.messages if self.last else []) if m.action != "defer"]
        buttons = _buttons(shown[-1].components) if shown else []
        if not 1 <= number <= len(buttons):
            self.say("! no such button on the last answer")
            return
        button = buttons[number - 1]
        self.show(await self.emu.click(self.last, button["custom_id"]))

    async def pick(self, numbers: list[int]) -> None:
        shown = [m for m in (self.last.messages if self.last else []) if m.action != "defer"]
        menus = _selects(shown[-1].components) if shown else []
        if not menus:
            self.say("! the last answer has no list to pick from")
            return
        options = menus[0]["options"]
        if not numbers or not all(1 <= n <= len(options) for n in numbers):
            self.say(f"! pick numbers between 1 and {len(options)}")
            return
        values = [options[n - 1]["value"] for n in numbers]
        self.show(await self.emu.select(self.last, menus[0]["custom_id"], values))

    def show(self, result: InteractionResult) -> None:
        self.last, self.shown = result, []
        self.last_dm = None
        if result.modal is not None:
            self.say(f"(the bot opened a form: {result.modal.get('title', '')})")
        for message in result.messages or []:
            if message.action in ("defer", "delete"):
                continue
            self.say(
                render_message(
                    message.content,
                    message.embeds,
                    _buttons(message.components),
                    ephemeral=message.ephemeral,
                    now=self.now(),
                    names=self.names,
                )
            )
            for menu in _selects(message.components):
                for number, option in enumerate(menu["options"], start=1):
                    extra = f": {option['description']}" if option.get("description") else ""
                    self.say(f"  (pick {number}) {option['label']}{extra}")
            stored = self.emu.world.messages.get(message.message_id)
            for attachment in stored.attachments if stored is not None else []:
                self.say(self.save(attachment))

    def save(self, attachment: dict[str, Any]) -> str:
        """Save an attachment where it can be opened; the line that says where."""
        name = attachment.get("filename") or "file"
        where = f"[{name}, {attachment.get('size', 0):,} bytes: the image in the answer]"
        if self.files is None:
            return where
        self._saved += 1
        path = self.files / f"{self._saved}-{name}"
        path.write_bytes(self.emu.attachment(attachment))
        return f"{where}\n  saved to {path} (open it to see it)"


def _buttons(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [c for c in walk_components(components or []) if c.get("type") == 2]


def _selects(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [c for c in walk_components(components or []) if c.get("type") == 3]
