"""Dagster's SQLite event log, keeping one engine per database instead of building one per event.

The stock SqliteEventLogStorage creates a SQLAlchemy engine, connects, compiles the INSERT and disposes of the
engine for every event it stores, twice for an asset event (the run's database and the index). A run of this job
stores about 200 events, and that cost some 3.7 s of a one-file change at 100,000 trials (py-spy). Kept engines
pool their connections and cache their compiled statements; the databases, their layout and their locking are
Dagster's own. Each run has a database of its own, so only the index's and the last few runs' engines are kept (a
long-lived webserver reads many runs). `python -m pipeline` names this class in a new DAGSTER_HOME's dagster.yaml
(cli.DAGSTER_YAML).
"""
from __future__ import annotations

import os
from collections import OrderedDict
from contextlib import contextmanager
from typing import Iterator

import dagster as dg
from dagster._core.storage.event_log import SqliteEventLogStorage
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._serdes import ConfigurableClassData
from sqlalchemy import Connection, Engine, create_engine, event

KEPT_ENGINES = 8


def _synchronous_normal(dbapi_connection, _record) -> None:
    """In WAL mode (Dagster's), NORMAL syncs at checkpoints, not at every commit: a crash of the process loses
    nothing, a power cut may lose the last events, and the database stays sound."""
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """SqliteEventLogStorage under DAGSTER_HOME/history/runs/ (Dagster's own default place), engines kept."""

    def __init__(self, dagster_home: str, inst_data: ConfigurableClassData | None = None) -> None:
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        super().__init__(os.path.join(dagster_home, "history", "runs", ""), inst_data)

    @classmethod
    def config_type(cls):
        return {"dagster_home": dg.StringSource}

    @classmethod
    def from_config_value(cls, inst_data, config_value):
        return cls(inst_data=inst_data, **config_value)

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            engine = self._engines.get(shard)
            if engine is not None:
                self._engines.move_to_end(shard)
            else:
                # one connection kept: they are used one at a time (under _db_lock)
                engine = create_engine(self.conn_string_for_shard(shard), pool_size=1,
                                       connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS})
                event.listen(engine, "connect", _synchronous_normal)
                if shard not in self._initialized_dbs:
                    self._initdb(engine)
                    self._initialized_dbs.add(shard)
                self._engines[shard] = engine
                if len(self._engines) > KEPT_ENGINES:
                    self._engines.popitem(last=False)[1].dispose()
            with engine.connect() as conn, conn.begin():
                yield conn

    def _dispose_engines(self) -> None:
        with self._db_lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()

    def wipe(self) -> None:
        self._dispose_engines()  # before the run databases' files are removed
        super().wipe()

    def dispose(self) -> None:
        super().dispose()
        self._dispose_engines()
