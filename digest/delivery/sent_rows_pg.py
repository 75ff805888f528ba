"""PostgreSQL: the recorder's 250s written without holding the event loop.

The recorder commits a result before the same connection's next message may be accepted (see
recorder.py). Through the engine's (blocking) connection every such commit held the whole event
loop for the server's round trip: in a send of 20,000 on PostgreSQL the loop stood still 38% of
the time (2.9 s of 7.65 s, 14,049 commits, about 0.2 ms each), and no connection read its reply
or wrote its data meanwhile. Here the rows go through a psycopg AsyncConnection of their own,
whose waits are the event loop's: while one commit is on its way the connections go on, and
the results that arrive meanwhile make the next commit (one at a time, in order).

One statement per commit, in autocommit (its own transaction, one round trip): an UPDATE from
the rows' values as arrays, unnested. The connection commits with `synchronous_commit=off`,
as the recorder's other connection does (see recorder.py: the server has the commit before it
answers; a crash of the machine or of the server itself may forget the last fraction of a
second).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import psycopg
from sqlalchemy import Engine, Integer, String, Text, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import ARRAY

from digest.delivery import outbox
from digest.models import Delivery
from digest.states import DeliveryStatus

# The rows' values as three arrays, each given as the text of an array (_array): psycopg's own
# array dumpers look at every element's type, a third of a commit's CPU.
_ROWS = select(
    func.unnest(bindparam("row_ids", type_=ARRAY(Integer))).label("row_id"),
    func.unnest(bindparam("replies", type_=ARRAY(Text))).label("reply"),
    func.unnest(bindparam("message_ids", type_=ARRAY(String))).label("message_id"),
).subquery("sent")

# outbox's _RECORD_SENT for many rows at once: the same values, each row's from the arrays.
_RECORD_SENT_MANY = (
    update(Delivery)
    .where(Delivery.id == _ROWS.c.row_id)
    .values(
        status=DeliveryStatus.SENT,
        last_reply=_ROWS.c.reply,
        sent_at=bindparam("at"),
        message_id=_ROWS.c.message_id,
        next_attempt_at=None,
    )
)


class SentRowsWriter:
    """write() attempts that all got a 250, one statement and commit each, on a connection of
    its own (open() it first, close() it last)."""

    def __init__(self, engine: Engine) -> None:
        dialect = engine.dialect
        assert dialect.name == "postgresql", "sent_rows_pg is PostgreSQL's"
        self._engine = engine
        statement = outbox.for_the_driver(_RECORD_SENT_MANY, dialect, _PER_ROW)
        # The constants: the new status, ..., as their columns' types bind them.
        self._sql, self._at, self._constants = statement.sql, statement.at, statement.constants
        self._connection: psycopg.AsyncConnection[Any] | None = None

    async def open(self) -> None:
        """Connect as the engine does (its URL and connect arguments)."""
        args, kwargs = self._engine.dialect.create_connect_args(self._engine.url)
        connection = await psycopg.AsyncConnection.connect(*args, **kwargs, autocommit=True)
        try:
            await connection.execute("SET synchronous_commit TO off")
        except BaseException:
            await connection.close()
            raise
        self._connection = connection

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            await connection.close()

    async def write(self, sent: Sequence[outbox.Attempt], now: datetime) -> dict[str, int]:
        """Store attempts that all got a 250, committed (a statement of its own)."""
        assert self._connection is not None, "write() between open() and close()"
        row_ids, replies, message_ids = zip(*map(outbox.sent_row, sent), strict=True)
        params = {
            **self._constants,
            "at": self._at(now),
            "row_ids": "{" + ",".join(map(str, row_ids)) + "}",
            "replies": _array(replies),
            "message_ids": _array(message_ids),
        }
        await self._connection.execute(self._sql, params, prepare=True)
        return {DeliveryStatus.SENT: len(sent)}


_PER_ROW = ("row_ids", "replies", "message_ids")


def _array(values: Sequence[str | None]) -> str:
    """PostgreSQL's text of a one-dimensional array of these strings (None: NULL)."""
    return "{" + ",".join("NULL" if v is None else _quoted(v) for v in values) + "}"


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
