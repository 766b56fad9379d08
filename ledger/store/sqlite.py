"""SQLite: group commit through a writer thread, a fast path for lone writes, a reader thread.

Writes submitted in the same event-loop turn form one group. A group of several goes
to the writer thread, which runs it as one `BEGIN IMMEDIATE` transaction with a
savepoint per operation and commits once. A lone write while the writer is idle runs
at once on the event loop's own connection, which never waits for a lock: if another
process holds the write lock it steps aside and the write joins the writer's queue.
Either way a call returns only after its transaction is committed.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from ledger.errors import DatabaseUnavailable
from ledger.store.database import Database, Tx, compile_sql, resolve_all
from ledger.store.urls import safe_url, sqlite_path

log = logging.getLogger(__name__)

__all__ = ["SqliteDatabase", "connect"]

T = TypeVar("T")
GROUP_LIMIT = 128
"""Jobs per transaction: big enough to share a commit, small enough that the event loop
settles one group while the writer runs the next."""
CHECKPOINT_EVERY = 512
_STOP = object()
_CHECKPOINT = object()
Job = tuple[Callable[[Tx], Any], asyncio.Future, asyncio.AbstractEventLoop]


def connect(path: str, *, busy_ms: int = 30_000) -> sqlite3.Connection:
    """A connection in autocommit mode, WAL journal, foreign keys on.

    `synchronous=NORMAL` is SQLite's recommended setting for WAL: a commit survives the
    process being killed; only an operating-system crash can lose the latest commits.
    """
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30.0)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute(f"PRAGMA busy_timeout={busy_ms}")
    return conn


class _Worker(threading.Thread):
    """A thread that owns one connection and runs jobs from a queue."""

    def __init__(self, path: str, name: str, settle: Callable[[list], None]) -> None:
        super().__init__(name=name, daemon=True)
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._path = path
        self._settle = settle
        self._sql = compile_sql("named")
        self.ready = threading.Event()
        self.failure: BaseException | None = None

    def run(self) -> None:
        try:
            conn = connect(self._path)
        except sqlite3.Error as exc:
            self.failure = exc
            self.ready.set()
            return
        self.ready.set()
        cursor = conn.cursor()
        try:
            self._serve(cursor)
        finally:
            conn.close()

    def _serve(self, cursor: sqlite3.Cursor) -> None:
        while True:
            batch = [self.jobs.get()]
            size = len(batch[0]) if isinstance(batch[0], list) else 0
            while size < GROUP_LIMIT:
                try:
                    item = self.jobs.get_nowait()
                except queue.Empty:
                    break
                batch.append(item)
                size += len(item) if isinstance(item, list) else 0
            jobs: list[Job] = []
            for item in batch:
                if item is _CHECKPOINT:
                    cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
                elif item is not _STOP:
                    jobs.extend(item)
            if jobs:
                self._settle(self._run_group(cursor, jobs))
            if _STOP in batch:
                return

    def _run_group(self, cursor: sqlite3.Cursor, jobs: list[Job]) -> list:
        raise NotImplementedError


class _Writer(_Worker):
    def _run_group(self, cursor: sqlite3.Cursor, jobs: list[Job]) -> list:
        tx = Tx(cursor, self._sql, "sqlite", sqlite3.IntegrityError)
        outcomes: list[tuple[Job, Any, BaseException | None]] = []
        try:
            cursor.execute("BEGIN IMMEDIATE")
            for job in jobs:
                try:
                    with tx.savepoint():
                        outcomes.append((job, job[0](tx), None))
                except Exception as exc:  # the op's own failure; its savepoint undid it
                    outcomes.append((job, None, exc))
            cursor.execute("COMMIT")
        except sqlite3.Error as exc:
            log.exception("write group of %d failed to commit", len(jobs))
            if cursor.connection.in_transaction:
                cursor.execute("ROLLBACK")
            outcomes = [(job, None, exc) for job in jobs]
        return outcomes


class _Reader(_Worker):
    def _run_group(self, cursor: sqlite3.Cursor, jobs: list[Job]) -> list:
        tx = Tx(cursor, self._sql, "sqlite", sqlite3.IntegrityError)
        outcomes = []
        for job in jobs:
            try:
                cursor.execute("BEGIN")
                try:
                    outcomes.append((job, job[0](tx), None))
                finally:
                    cursor.execute("COMMIT")
            except Exception as exc:
                outcomes.append((job, None, exc))
        return outcomes


def _post(outcomes: list, done: Callable[[int], None] | None = None) -> None:
    """Hand each result to the event loop its caller waits on (from a worker thread)."""
    by_loop: dict[asyncio.AbstractEventLoop, list] = {}
    for (_op, future, loop), result, error in outcomes:
        by_loop.setdefault(loop, []).append((future, result, error))
    for loop, items in by_loop.items():
        try:
            loop.call_soon_threadsafe(_deliver, items, done)
        except RuntimeError:  # the caller's loop is closed: nobody is waiting
            log.warning("dropping %d results for a closed event loop", len(items))


def _deliver(items: list, done: Callable[[int], None] | None) -> None:
    if done is not None:
        done(len(items))
    resolve_all(items)


class SqliteDatabase(Database):
    """The SQLite engine (see the module docstring and `ledger.store.database`)."""

    dialect = "sqlite"

    def __init__(self, url: str) -> None:
        self.url = url
        self.path = sqlite_path(url)
        self._in_writer = 0
        self._writer = _Writer(self.path, "ledger-writer", lambda out: _post(out, self._drained))
        self._reader = _Reader(self.path, "ledger-reader", _post)
        for worker in (self._writer, self._reader):
            worker.start()
            worker.ready.wait()
            if worker.failure is not None:
                self._stop()
                safe = safe_url(url)
                raise DatabaseUnavailable(safe, str(worker.failure))
        self._closed = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending: list[Job] = []
        self._inline: sqlite3.Connection | None = None
        self._inline_tx: Tx | None = None
        self._inline_commits = 0

    def _drained(self, count: int) -> None:
        self._in_writer -= count

    async def write(self, op: Callable[[Tx], T]) -> T:
        if self._closed:
            raise RuntimeError("the database is closed")
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        if self._loop is None:
            self._loop = loop
        if loop is not self._loop:  # another loop: straight to the writer, no fast path
            self._writer.jobs.put([(op, future, loop)])
            return await future
        if not self._pending:
            loop.call_soon(self._flush)
        self._pending.append((op, future, loop))
        return await future

    def _flush(self) -> None:
        jobs, self._pending = self._pending, []
        if len(jobs) == 1 and self._in_writer == 0 and self._run_inline(jobs[0]):
            return
        self._in_writer += len(jobs)
        for start in range(0, len(jobs), GROUP_LIMIT):
            self._writer.jobs.put(jobs[start : start + GROUP_LIMIT])

    def _run_inline(self, job: Job) -> bool:
        """Run a lone write on the loop's connection; False if the write lock is taken."""
        if self._inline_tx is None:
            self._inline = connect(self.path, busy_ms=0)
            self._inline.execute("PRAGMA wal_autocheckpoint=0")  # the writer checkpoints
            self._inline_tx = Tx(
                self._inline.cursor(), compile_sql("named"), "sqlite", sqlite3.IntegrityError
            )
        tx, conn = self._inline_tx, self._inline
        assert conn is not None
        op, future, _loop = job
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:
            return False
        try:
            result = op(tx)
            conn.execute("COMMIT")
        except Exception as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if not future.cancelled():
                future.set_exception(exc)
        else:
            if not future.cancelled():
                future.set_result(result)
        self._inline_commits += 1
        if self._inline_commits % CHECKPOINT_EVERY == 0:
            self._writer.jobs.put(_CHECKPOINT)
        return True

    async def read(self, op: Callable[[Tx], T]) -> T:
        if self._closed:
            raise RuntimeError("the database is closed")
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._reader.jobs.put([(op, future, loop)])
        return await future

    def _stop(self) -> None:
        for worker in (self._writer, self._reader):
            if worker.is_alive():
                worker.jobs.put(_STOP)
                worker.join()

    async def close(self) -> None:
        if not self._closed:
            self._closed = True
            await asyncio.to_thread(self._stop)
            if self._inline is not None:
                self._inline.close()
