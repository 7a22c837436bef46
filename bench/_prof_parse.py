import os, time, pickle, cProfile, pstats, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
import django; django.setup()
from pathlib import Path
from eligibility.imports.members import MemberImporter
from eligibility.imports import pipeline
imp = MemberImporter(actor=None, job_id=None)
path = Path("/tmp/kyoukai-bench/members.csv")
N = 200_000
def run():
    n = 0
    for batch in pipeline.batches(imp, path, "utf-8", 10_000):
        pickle.dumps(imp.prepare(batch))
        n += len(batch)
        if n >= N: break
    return n
t = time.process_time(); n = run(); print("parse+pack µs/row", (time.process_time()-t)/n*1e6)
t = time.process_time(); n=0
for batch in pipeline.batches(imp, path, "utf-8", 10_000):
    n += len(batch)
    if n >= N: break
print("read only µs/row", (time.process_time()-t)/n*1e6)
if "-p" in sys.argv:
    cProfile.run("run()", "/tmp/parse.prof")
    pstats.Stats("/tmp/parse.prof").sort_stats("tottime").print_stats(25)
