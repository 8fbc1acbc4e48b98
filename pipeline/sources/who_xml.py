"""The WHO trial registration data set XML primary registries send to ICTRP (`<trials><Triall><main>…`).

ChiCTR writes the trial element `Triall` (sic); `trial` is read too. The flat fields sit in `<main>`,
the repeated ones in their own groups (`<countries><country2>`, `<criteria><inclusion_criteria>`,
`<secondary_ids><secondary_id><sec_id>`); every leaf is taken by its name and mapped by `who_dataset`.
"""
from __future__ import annotations

import re

from lxml import etree

from pipeline.record import TrialRecord
from pipeline.sources import XML_PROLOG, who_dataset

FORMAT = "who_xml"

_ROOT = re.compile(XML_PROLOG + r")*<trials[\s>].{0,400}?<(?:Triall|trial)>\s*<main>",
                   re.DOTALL)
_SKIPPED_GROUPS = ("contacts", "ethics_reviews")  # people and committees: no field of the contract


def recognises(text: str) -> bool:
    return bool(_ROOT.match(text[:4096]))


def parse(text: str) -> list[TrialRecord]:
    root = who_dataset.xml_root(text, FORMAT)
    return [who_dataset.record(who_dataset.fields(_leaves(trial)), FORMAT)
            for trial in root.iterchildren("Triall", "trial")]


def _leaves(trial: etree._Element):
    """(name, text) of every leaf element of one trial, outside the groups the contract has no place for."""
    for group in trial.iterchildren(tag=etree.Element):
        if group.tag in _SKIPPED_GROUPS:
            continue
        for leaf in group.iter(tag=etree.Element):
            if len(leaf) == 0:
                yield leaf.tag, leaf.text
