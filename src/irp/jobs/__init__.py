"""Running IRP all day: the queue, its tasks, the scheduler, the workers (SPEC §8).

The database decides what is due; the queue (Huey: SQLite by default, Redis to scale
out) only carries wake-ups. Pieces, one module each:

- ``service``   :class:`Service` — config (reloadable), database, queue, stop event
- ``queue``     where the queue is (``IRP_QUEUE_URL``), JSON messages
- ``tasks``     the tasks: ``orders``, ``sync``, ``periodic``
- ``periodic``  :data:`PERIODIC_JOBS`, the list to add scheduled work to
- ``sweep``     the periodic sweep: due orders, lookups, leases, scheduled syncs
- ``scheduler`` fires the periodic jobs (one leader cluster-wide)
- ``worker``    threads running the queue
- ``watch``     config reloads (SIGHUP, a changed file)
- ``process``   one process's lifetime: start, signals, a clean stop

Import the submodules; nothing here opens anything.
"""
