"""What the desk's timed jobs decide: SLA reminders, warnings before auto-close, auto-close.

Each is a synchronous function over a unit of work, at the transaction's instant (the
ledger's clock). Each decision is written with the ticket row locked and re-checked,
and the messages it causes are outbox items with unique keys, so a job that runs twice
(two processes, a restart halfway) decides each thing once and loses none:

- SLA: an open ticket with no staff response for longer than the SLA gets ONE reminder
  in its thread (`reminded_us` is set, key `sla:N`), and its triage message is brought
  up to date (it now shows as overdue).
- Auto-close: a ticket waiting on the user (staff wrote last) gets a warning DM once it
  has waited `auto_close_days - 1` days (`warned_us`, key per wait), and is closed by
  the system once it has waited `auto_close_days` days AND the warning is a day old: a
  user is always warned a day before, even when the bot was down when it fell due.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from diagnostics.decisions import announce, decide_in
from diagnostics.desk_topics import CLOSING_WARNING, SLA_REMINDER, SYSTEM_NO_ANSWER
from diagnostics.tickets import TicketPolicy
from ledger import DAY_US, OutboxKind, Ticket, TicketAction, UnitOfWork

log = logging.getLogger(__name__)

__all__ = ["BATCH", "Swept", "sweep_in"]

BATCH = 200
"""Tickets each kind of decision looks at per run; a longer backlog takes more runs."""


@dataclass(frozen=True)
class Swept:
    """What one run decided: reminders, warnings and closes (ticket numbers)."""

    reminded: tuple[int, ...] = ()
    warned: tuple[int, ...] = ()
    closed: tuple[int, ...] = ()

    @property
    def full(self) -> bool:
        """A batch was full: run again for the rest."""
        return BATCH in (len(self.reminded), len(self.warned), len(self.closed))


def sweep_in(uow: UnitOfWork, policy: TicketPolicy) -> Swept:
    """Decide every reminder, warning and auto-close due at the transaction's instant."""
    return Swept(
        reminded=tuple(_remind(uow, policy)),
        warned=tuple(_warn(uow, policy)),
        closed=tuple(_close(uow, policy)),
    )


def _remind(uow: UnitOfWork, policy: TicketPolicy) -> list[int]:
    now, sla = uow.now_us, policy.sla_us
    done = []
    for found in uow.tickets.overdue_unreminded(now - sla, BATCH):
        ticket = uow.tickets.load(found.id, lock=True)
        if ticket is None or ticket.reminded_us is not None or not ticket.overdue(now, sla):
            continue  # answered or reminded meanwhile (another process)
        uow.tickets.save(replace(ticket, reminded_us=now))
        done.append(ticket.id)
        if ticket.quiet:
            continue
        uow.outbox.add(
            OutboxKind.THREAD,
            SLA_REMINDER,
            {"created_us": ticket.created_us, "sla_hours": policy.sla_hours},
            ticket_id=ticket.id,
            key=f"sla:{ticket.id}",
        )
        announce(uow, ticket, None)  # its triage message now shows it overdue
    return done


def _waiting(ticket: Ticket | None) -> Ticket | None:
    return ticket if ticket is not None and ticket.waiting_on_user else None


def _warn(uow: UnitOfWork, policy: TicketPolicy) -> list[int]:
    now, days = uow.now_us, policy.auto_close_days
    replied_before = now - (days - 1) * DAY_US
    done = []
    for found in uow.tickets.to_warn(replied_before, BATCH):
        ticket = _waiting(uow.tickets.load(found.id, lock=True))
        if ticket is None or ticket.warned_us is not None:
            continue
        if ticket.last_reply_us is None or ticket.last_reply_us > replied_before:
            continue  # staff wrote again meanwhile: a new wait
        uow.tickets.save(replace(ticket, warned_us=now))
        done.append(ticket.id)
        wait = f"{ticket.id}:{ticket.last_reply_us}"
        close_at = max(ticket.last_reply_us + days * DAY_US, now + DAY_US)
        payload = {"ticket_id": ticket.id, "close_at_us": close_at}
        uow.outbox.add(
            OutboxKind.DM,
            CLOSING_WARNING,
            payload,
            user_id=ticket.user_id,
            ticket_id=ticket.id,
            key=f"closing:{wait}",
        )
        if not ticket.quiet:
            uow.outbox.add(
                OutboxKind.THREAD,
                CLOSING_WARNING,
                payload,
                ticket_id=ticket.id,
                key=f"closing-line:{wait}",
            )
    return done


def _close(uow: UnitOfWork, policy: TicketPolicy) -> list[int]:
    now = uow.now_us
    replied_before = now - policy.auto_close_days * DAY_US
    warned_before = now - DAY_US
    done = []
    for found in uow.tickets.to_close(replied_before, warned_before, BATCH):
        ticket = _waiting(uow.tickets.load(found.id, lock=True))
        if ticket is None or ticket.warned_us is None or ticket.warned_us > warned_before:
            continue
        if ticket.last_reply_us is None or ticket.last_reply_us > replied_before:
            continue
        decide_in(uow, ticket.id, TicketAction.CLOSE, SYSTEM_NO_ANSWER, None)
        done.append(ticket.id)
    return done
