"""SQLite: a writer thread with group commit, and a reader thread, on one WAL file."""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.engine import make_url

from ledger.store.database import Database, DatabaseUnavailable, Tx, compile_sql, resolve_all
from ledger.store.urls import sqlite_path

log = logging.getLogger(__name__)

__all__ = ["SqliteDatabase", "connect"]

T = TypeVar("T")
GROUP_LIMIT = 256
_STOP = object()


def connect(path: str) -> sqlite3.Connection:
    """A connection in autocommit mode, WAL journal, foreign keys on.

    `synchronous=NORMAL` is SQLite's recommended setting for WAL: a commit survives the
    process being killed; only an operating-system crash can lose the latest commits.
    """
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30.0)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


class _Worker(threading.Thread):
    """A thread that owns one connection and runs jobs from a queue."""

    def __init__(self, path: str, name: str, group: int) -> None:
        super().__init__(name=name, daemon=True)
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._path = path
        self._group = group
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
            while True:
                jobs = [self.jobs.get()]
                while len(jobs) < self._group:
                    try:
                        jobs.append(self.jobs.get_nowait())
                    except queue.Empty:
                        break
                stop = _STOP in jobs
                jobs = [job for job in jobs if job is not _STOP]
                if jobs:
                    self._run_group(cursor, jobs)
                if stop:
                    break
        finally:
            conn.close()

    def _run_group(self, cursor: sqlite3.Cursor, jobs: list) -> None:
        raise NotImplementedError


class _Writer(_Worker):
    def _run_group(self, cursor: sqlite3.Cursor, jobs: list) -> None:
        tx = Tx(cursor, self._sql)
        outcomes: list[tuple[Any, Any, BaseException | None]] = []
        try:
            cursor.execute("BEGIN IMMEDIATE")
            for op, future, _loop in jobs:
                try:
                    with tx.savepoint():
                        outcomes.append((future, op(tx), None))
                except Exception as exc:  # the op's own failure; its savepoint undid it
                    outcomes.append((future, None, exc))
            cursor.execute("COMMIT")
        except sqlite3.Error as exc:
            log.exception("write group of %d failed to commit", len(jobs))
            if cursor.connection.in_transaction:
                cursor.execute("ROLLBACK")
            outcomes = [(future, None, exc) for _op, future, _loop in jobs]
        _settle(jobs, outcomes)


class _Reader(_Worker):
    def _run_group(self, cursor: sqlite3.Cursor, jobs: list) -> None:
        tx = Tx(cursor, self._sql)
        outcomes = []
        for op, future, _loop in jobs:
            try:
                cursor.execute("BEGIN")
                try:
                    outcomes.append((future, op(tx), None))
                finally:
                    cursor.execute("COMMIT")
            except Exception as exc:
                outcomes.append((future, None, exc))
        _settle(jobs, outcomes)


def _settle(jobs: list, outcomes: list) -> None:
    by_loop: dict[asyncio.AbstractEventLoop, list] = {}
    for (_op, _future, loop), outcome in zip(jobs, outcomes, strict=True):
        by_loop.setdefault(loop, []).append(outcome)
    for loop, items in by_loop.items():
        try:
            loop.call_soon_threadsafe(resolve_all, items)
        except RuntimeError:  # the caller's loop is closed: nobody is waiting
            log.warning("dropping %d results for a closed event loop", len(items))


class SqliteDatabase(Database):
    """The SQLite engine (see `ledger.store.database`)."""

    dialect = "sqlite"

    def __init__(self, url: str) -> None:
        self.url = url
        self.path = sqlite_path(url)
        self._writer = _Writer(self.path, "ledger-writer", GROUP_LIMIT)
        self._reader = _Reader(self.path, "ledger-reader", 64)
        for worker in (self._writer, self._reader):
            worker.start()
            worker.ready.wait()
            if worker.failure is not None:
                self._stop()
                safe = make_url(url).render_as_string(hide_password=True)
                raise DatabaseUnavailable(safe, str(worker.failure))
        self._closed = False

    async def _submit(self, worker: _Worker, op: Callable[[Tx], T]) -> T:
        if self._closed:
            raise RuntimeError("the database is closed")
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        worker.jobs.put((op, future, loop))
        return await future

    async def write(self, op: Callable[[Tx], T]) -> T:
        return await self._submit(self._writer, op)

    async def read(self, op: Callable[[Tx], T]) -> T:
        return await self._submit(self._reader, op)

    def _stop(self) -> None:
        for worker in (self._writer, self._reader):
            if worker.is_alive():
                worker.jobs.put(_STOP)
                worker.join()

    async def close(self) -> None:
        if not self._closed:
            self._closed = True
            await asyncio.to_thread(self._stop)
