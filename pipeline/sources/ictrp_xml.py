"""WHO ICTRP search-portal export XML (`<Trials_downloaded_from_ICTRP><Trial>…`), one record per trial.

The export's layout changed over the years (fields added and renamed); every child of a `<Trial>` is
taken by its name, whatever the set, and mapped by the WHO data set fields of `who_dataset`.
"""
from __future__ import annotations

import re

from pipeline.record import TrialRecord
from pipeline.sources import XML_PROLOG, who_dataset

FORMAT = "ictrp_xml"

_ROOT = re.compile(XML_PROLOG + r")*<Trials_downloaded_from_ICTRP[\s/>]", re.DOTALL)


def recognises(text: str) -> bool:
    return bool(_ROOT.match(text[:4096]))


def parse(text: str) -> list[TrialRecord]:
    root = who_dataset.xml_root(text, FORMAT)
    return [who_dataset.record(who_dataset.fields((child.tag, child.text) for child in trial
                                                   if isinstance(child.tag, str)), FORMAT)
            for trial in root.iterchildren("Trial")]
