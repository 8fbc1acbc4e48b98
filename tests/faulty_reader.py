"""Imported by the parse workers' fork server in tests (added to workers.PRELOAD): the legacy XML reader wrapped so
that a worker reading NCT01219465's record is killed, as the out-of-memory killer kills (SIGKILL), and one reading
NCT01374854's hangs without spending CPU time, so that no alarm of the worker's own stops it (as none stops a hang
inside native code). The test's own process keeps the real reader."""
import os
import re
import signal
import time

from pipeline import parsing
from pipeline.sources import ctgov_xml

KILLED = "<nct_id>NCT01219465</nct_id>"
HANGS = "<nct_id>NCT01374854</nct_id>"
ATTEMPTS = "FAULTY_READER_ATTEMPTS"  # where set, a file each attempt at reading a record adds its NCT number to
BATCH = "FAULTY_READER_BATCH"  # where set, the records a segment holds (parsing.BATCH_SIZE)
_parse = ctgov_xml.parse
if os.environ.get(BATCH):
    parsing.BATCH_SIZE = int(os.environ[BATCH])


def parse(text: str) -> list:
    if os.environ.get(ATTEMPTS):
        with open(os.environ[ATTEMPTS], "a", encoding="utf-8") as attempts:
            attempts.write(re.search(r"NCT\d{8}", text)[0] + "\n")
    if KILLED in text:
        os.kill(os.getpid(), signal.SIGKILL)
    if HANGS in text:
        time.sleep(3600)
    return _parse(text)


ctgov_xml.parse = parse
