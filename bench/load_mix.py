"""Benchmark: the load mix on the production stack with 1,000,000 members (loadtest.run).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kyoukai_ops_load \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/12 \\
        .venv/bin/python -m bench.load_mix [--users 40] [--duration 90] [--fault …]

The same command as ``python -m loadtest.run`` (see loadtest/README.md), listed here so
that every figure of docs/scaling.md traces back to a script under bench/.
"""

from loadtest.run import main

if __name__ == "__main__":
    main()
