"""Platform events a sandbox user can set off, so a newcomer can watch a notice happen.

`event failed gen-x [cost]` charges a web generation to the current user's account and
reports it failed; `event charge gen-x cost` only charges it; `event payment` reports a
failed payment. They go through the same ledger path as `tokendesk ingest`.
"""

from __future__ import annotations

import itertools
import logging
from typing import Any

from ledger import Event, LedgerService, parse_event

log = logging.getLogger(__name__)

__all__ = ["EVENT_HELP", "run_event"]

EVENT_HELP = "event failed GEN [COST] | event charge GEN COST | event payment"
_ids = itertools.count(1)


def _cost(text: str | None, default: int) -> int:
    if text is None:
        return default
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"{text!r}: a cost is a whole number of tokens, 1 or more")
    return int(text)


def _bodies(words: list[str], account: str, at: str) -> list[dict[str, Any]]:
    kind, *rest = words or [""]
    common = {"at": at, "account_id": account}
    if kind in ("failed", "charge") and rest:
        gid = rest[0]
        cost = _cost(rest[1] if len(rest) > 1 else None, 120)
        charge = {
            "type": "generation.charged",
            "generation_id": gid,
            "source": "web",
            "cost": cost,
            "settings": {"model": "phoenix", "width": 1024, "height": 1024},
        }
        bodies = [{**common, **charge}]
        if kind == "failed":
            fail = {"type": "generation.failed", "generation_id": gid, "reason": "sandbox"}
            bodies.append({**common, **fail})
        return bodies
    if kind == "payment" and not rest:
        return [{**common, "type": "payment.failed"}]
    raise ValueError(f"try: {EVENT_HELP}")


async def run_event(ledger: LedgerService, account: str | None, words: list[str]) -> str:
    """Apply the events `words` describe to `account`; a line saying how each went.

    Raises:
        ValueError: the words are not an event the sandbox knows, or nobody is linked.
    """
    if account is None:
        raise ValueError("this demo user has no account: switch to one who does (`users`)")
    at = ledger.clock.now().isoformat()
    said = []
    for body in _bodies(words, account, at):
        body["id"] = f"sandbox-{next(_ids)}-{at}"
        parsed = parse_event(body, ledger.catalogue)
        if not isinstance(parsed, Event):
            raise ValueError(f"{body['type']}: {parsed.reason}")
        result = await ledger.apply(parsed)
        why = f" ({result.reason})" if result.reason else ""
        said.append(f"{body['type']}: {result.outcome}{why}")
    return "; ".join(said)
