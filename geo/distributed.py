"""Run independent tasks here or on a Dask cluster, with results in input order.

The national work splits into independent tasks: reading and checking one file, and
finding one area's hotspots. :func:`ordered_map` runs them

- in this process (``"none"``): no Dask needed, the default for one area or a small
  ingest;
- on a local ``dask.distributed`` cluster (``"local"``), one single-threaded worker
  process per core;
- on a running cluster (``"tcp://HOST:8786"``, or the ``DASK_SCHEDULER_ADDRESS``
  environment variable), e.g. workers on several machines that all see the same files.

Results come back in input order whatever finishes first, and every task is a pure
function of its inputs, so outputs are identical on any scheduler. At most ``window``
tasks are in flight, so memory on the client stays bounded however many tasks there
are.

Dask distributed: https://distributed.dask.org/en/stable/
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from geo.checks import fail

#: The environment variable Dask itself reads for the scheduler address.
SCHEDULER_ENV = "DASK_SCHEDULER_ADDRESS"


def resolve_scheduler(scheduler: str | None, *, default: str) -> str:
    """``"none"``, ``"local"`` or a ``tcp://`` address: the argument, else the
    environment variable, else ``default``."""
    chosen = scheduler or os.environ.get(SCHEDULER_ENV) or default
    if chosen not in ("none", "local") and "://" not in chosen:
        fail(
            f"`--scheduler` must be 'none', 'local' or an address like tcp://HOST:8786, "
            f"got {chosen!r}"
        )
    return chosen


def ordered_map(
    scheduler: str, window: int | None = None
) -> Callable[[Callable, Iterable], Iterator]:
    """A ``map(function, items)`` that runs on ``scheduler``, yielding results in order."""

    def run(function: Callable[[Any], Any], items: Iterable) -> Iterator:
        if scheduler == "none":
            yield from map(function, items)
            return
        with _Client(scheduler) as client:
            limit = window or 2 * max(1, sum(client.nthreads().values()))
            pending: deque = deque()
            for item in items:
                pending.append(client.submit(function, item, pure=False))
                if len(pending) >= limit:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()

    return run


class _Client:
    """A dask.distributed Client on ``scheduler``, with its local cluster if it made one."""

    def __init__(self, scheduler: str) -> None:
        self.scheduler = scheduler

    def __enter__(self):
        from dask.distributed import Client, LocalCluster

        self.cluster = None
        if self.scheduler == "local":
            self.cluster = LocalCluster(
                n_workers=os.cpu_count() or 1,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
            )
            self.client = Client(self.cluster)
        else:
            self.client = Client(self.scheduler)
        return self.client

    def __exit__(self, *exc) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()
