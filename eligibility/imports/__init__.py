"""CSV import of members (加入者) and employers (事業所).

Modules, in the order a file flows through them:

- :mod:`.columns`   documented columns (Japanese header names) of each file kind;
- :mod:`.encoding`  UTF-8 (with or without BOM) or CP932 detection, or a clear error;
- :mod:`.reader`    streaming CSV rows with their line numbers;
- :mod:`.fields`    parsing one cell (dates incl. 和暦, digits, kana …), Japanese messages;
- :mod:`.members` / :mod:`.employers`  row validation and the set-based writer per batch;
- :mod:`.report`    the error report (CSV, UTF-8 with BOM for Excel);
- :mod:`.service`   jobs, the two modes (all-or-nothing, good rows), counts and audit.
"""
