"""Benchmark: the load mix on the production stack with 1,000,000 members (loadtest.run).

    DATABASE_URL=postgres://postgres@127.0.0.1:8141/kyoukai_opsb \\
    CELERY_BROKER_URL=redis://127.0.0.1:8142/0 LOADTEST_LOCUST=/tmp/opsb-locust/bin/locust \\
        .venv/bin/python -m bench.load_mix [--users 30] [--duration 90] [--port 8143] \\
            [--batch-items 200] [--fault none|postgres|redis|web+worker] [--keep-stack]

The same command as ``python -m loadtest.run`` (see loadtest/README.md: a private
PostgreSQL cluster and redis-server for the faults), listed here so that every figure of
docs/scaling.md traces back to a script under bench/. It prints the report it writes to
``var/loadtest/report-<fault>.md``.
"""

from loadtest.run import main

if __name__ == "__main__":
    main()
