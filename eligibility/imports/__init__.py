"""CSV import of members (加入者) and employers (事業所).

Every module of the package, in the order a file flows through them:

Starting a job
- :mod:`.admin`          the upload page (本部のみ) and the job's progress, loaded from
                         eligibility.admin;
- :mod:`.command`        the management commands import_members / import_employers;
- :mod:`.service`        jobs: submitting, claiming, choosing where rows are parsed
                         (recorded on the job), the two modes (all-or-nothing, good rows),
                         counts, the sweep of jobs a killed worker left;

Reading the file
- :mod:`.columns`        documented columns (Japanese header names) of each file kind;
- :mod:`.encoding`       UTF-8 (with or without BOM) or CP932 detection, or a clear error;
- :mod:`.reader`         streaming CSV rows with their line numbers;
- :mod:`.pipeline`       reading and parsing ahead of the writer, in a child process
                         (:mod:`.forked`: ``os.fork`` and a pipe) or a thread;
- :mod:`.forked`         the forked child process and its pipe;

Checking the rows
- :mod:`.fields`         parsing one cell (dates through core.jp.dates, digits, kana …),
                         Japanese messages;
- :mod:`.memo`           memoised cell parsers (the same text, the same value);
- :mod:`.branches`       the 47 branches in memory, by insurer number or prefecture code;
- :mod:`.errors`         errors per cell (row and column) or for the whole file;
- :mod:`.members` / :mod:`.employers`  row validation, matching with what is stored, the
                         plan of writes (members: the fast and the checked row parser);
- :mod:`.batch`          what every importer shares: one batch's outcome, counts;
- :mod:`.sql`            set-based lookups by composite keys, one query per batch;

Writing
- :mod:`.references`     the rows a batch refers to, checked and locked where it is written
                         (no FK constraints: docs/decisions/0001);
- :mod:`.member_writer`  set-based writes of members (COPY on PostgreSQL);
- :mod:`.writes`         writing checked batches in their own transactions, in a thread;
- :mod:`.audit`          audit events: one per job, one per changed record;

After the job
- :mod:`.report`         the error report (CSV, UTF-8 with BOM for Excel, My Numbers masked);
- :mod:`.views`          download of the error report (本部のみ, audited).
"""
