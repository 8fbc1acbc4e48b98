"""The benchmark corpus: the 8,125 real legacy XML records of the 2014 archive, scaled to any size.

Copy i of the corpus is real record i mod 8,125 under a new NCT id (NCT9xxxxxxx, a range the registry
has not used), otherwise unchanged, so copies are distinct documents with real content. Each record
is written in every input form the pipeline takes:

  xml_archive   legacy XML in ZIP archives (like the registry's AllPublicXML.zip), ≤ 50,000 per part
  xml_files     legacy XML, one file per record
  json_files    API v2 JSON, one study per file (mapped from the record, see render.api_v2)
  veeva_files   ClinicalTrials.Veeva page text (render.veeva_text)
  classic_files classic ClinicalTrials.gov page text (render.classic_text)
  ictrp_xml     WHO ICTRP export XML (render.ictrp_xml), 500 trials a file like a user's search exports

Files go 1,000 to a folder (ZIP parts and ICTRP exports all in one). Every form is rendered once per
real record into a template (checked: the pipeline's reader for that form must recognise it, alone in
its file, and read back the same trial id), then copies are written by a pool of processes, a chunk
each. Corpora are cached under benchmarks/.cache/corpus/ and made again when the renderer changes.

    .venv/bin/python -m benchmarks.corpus 10000 [--forms xml_archive,json_files]
"""
from __future__ import annotations

import argparse
import hashlib
import itertools
import multiprocessing
import os
import pickle
import shutil
import tarfile
import time
import zipfile
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import orjson

from benchmarks import render

REPO = Path(__file__).resolve().parents[1]
SOURCE = REPO.parent / "shared" / "corpus" / "ctgov_legacy_xml_2014.tar.xz"
CACHE = REPO / "benchmarks" / ".cache"
FORMS = ("xml_archive", "xml_files", "json_files", "veeva_files", "classic_files", "ictrp_xml")
SUFFIX = {"xml_files": ".xml", "json_files": ".json", "veeva_files": ".txt", "classic_files": ".txt"}
TEMPLATE_FORM = {"xml_archive": "xml", "xml_files": "xml", "json_files": "json", "veeva_files": "veeva",
                 "classic_files": "classic", "ictrp_xml": "ictrp"}
READER = {"xml": "ctgov_xml", "json": "ctgov_api_v2_json", "veeva": "veeva_text", "classic": "ctgov_classic",
          "ictrp": "ictrp_xml"}
PER_FOLDER = 1000
PER_ARCHIVE = 50_000
PER_EXPORT = 500
FIRST_ID = 90_000_000


def new_id(i: int) -> str:
    return f"NCT{FIRST_ID + i:08d}"


def source_records(archive: Path = SOURCE, limit: int | None = None) -> Iterator[str]:
    """The legacy XML texts of a real archive's records, in its order (the first `limit` of them)."""
    with tarfile.open(archive, "r|xz") as tar:
        for member in itertools.islice((m for m in tar if m.isfile() and m.name.endswith(".xml")), limit):
            yield tar.extractfile(member).read().decode("utf-8")


def _templates_for(texts: list[str]) -> list[tuple[str, dict[str, str]]]:
    """(real NCT id, {form: text}) for each real record the XML reader reads, each form checked against its reader."""
    from pipeline import sources
    from pipeline.sources import ctgov_xml

    out = []
    for xml in texts:
        try:
            (record,) = ctgov_xml.parse(xml)
        except Exception:  # a record the reader quarantines would be quarantined in every copy: leave it out
            continue
        forms = {"xml": xml, "json": orjson.dumps(render.api_v2(record)).decode(),
                 "veeva": render.veeva_text(record), "classic": render.classic_text(record),
                 "ictrp": render.ictrp_xml(record)}
        for form, template in forms.items():
            text = render.ictrp_export([template]) if form == "ictrp" else template
            reader = sources.detect(text)
            if reader is None or reader.FORMAT != READER[form]:
                raise AssertionError(f"{record.trial_id}: rendered {form} recognised as "
                                     f"{reader.FORMAT if reader else 'nothing'}")
            (back,) = reader.parse(text)
            if back.trial_id != record.trial_id:
                raise AssertionError(f"{record.trial_id}: rendered {form} read back as {back.trial_id}")
        out.append((record.trial_id, forms))
    return out


def _templates_key() -> str:
    """Names the renderer's code and the source archive's content (not its mtime: a copy of the same archive is the
    same source): templates and corpora made from others are stale."""
    return hashlib.sha256((Path(__file__).parent / "render.py").read_bytes() + SOURCE.read_bytes()).hexdigest()[:16]


def templates(workers: int) -> list[tuple[str, dict[str, str]]]:
    """Every real record in every form, cached by _templates_key."""
    path = CACHE / f"templates-{_templates_key()}.pickle"
    if path.exists():
        return pickle.loads(path.read_bytes())
    texts = list(source_records())
    chunks = [texts[i::workers] for i in range(workers)]
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        parts = list(pool.map(_templates_for, chunks))
    result = sorted((t for part in parts for t in part), key=lambda t: t[0])
    CACHE.mkdir(parents=True, exist_ok=True)
    for stale in CACHE.glob("templates-*.pickle"):
        stale.unlink()
    path.write_bytes(pickle.dumps(result))
    return result


_TEMPLATES: list[tuple[str, dict[str, str]]] = []


def _init(templates_path: str) -> None:
    _TEMPLATES.extend(pickle.loads(Path(templates_path).read_bytes()))


def copy_text(i: int, form: str) -> tuple[str, str]:
    """(new id, text) of copy i in one template form."""
    real_id, forms = _TEMPLATES[i % len(_TEMPLATES)]
    nct = new_id(i)
    return nct, forms[form].replace(real_id, nct)


def _write_chunk(form: str, root: str, start: int, stop: int) -> int:
    root_path = Path(root)
    if form == "xml_archive":
        with zipfile.ZipFile(root_path / f"registry_xml_part{start // PER_ARCHIVE:03d}.zip", "w",
                             zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
            for i in range(start, stop):
                nct, text = copy_text(i, "xml")
                zf.writestr(f"{nct[:7]}xxxx/{nct}.xml", text)
        return stop - start
    if form == "ictrp_xml":
        for file_start in range(start, stop, PER_EXPORT):
            trials = (copy_text(i, "ictrp")[1] for i in range(file_start, min(file_start + PER_EXPORT, stop)))
            (root_path / f"ictrp_export_{file_start // PER_EXPORT:05d}.xml").write_text(
                render.ictrp_export(trials), encoding="utf-8", newline="")
        return stop - start
    for folder_start in range(start, stop, PER_FOLDER):
        folder = root_path / f"d{folder_start // PER_FOLDER:04d}"
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(folder_start, min(folder_start + PER_FOLDER, stop)):
            nct, text = copy_text(i, TEMPLATE_FORM[form])
            (folder / f"{nct}{SUFFIX[form]}").write_text(text, encoding="utf-8")
    return stop - start


def corpus_dir(n: int, form: str) -> Path:
    return CACHE / "corpus" / str(n) / form


def ensure(n: int, forms=FORMS, workers: int = os.cpu_count() or 1, log=print) -> dict[str, Path]:
    """The raw folder of each form for n records, generated unless already cached."""
    key = _templates_key()
    done = {f: corpus_dir(n, f).parent / f".{f}.done" for f in forms}
    missing = [f for f in forms if not done[f].exists() or done[f].read_text() != key]
    if missing:
        started = time.perf_counter()
        base = templates(workers)
        templates_path = CACHE / f"templates-{key}.pickle"
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"), initializer=_init,
                                 initargs=(str(templates_path),)) as pool:
            for form in missing:
                root = corpus_dir(n, form)
                shutil.rmtree(root, ignore_errors=True)
                root.mkdir(parents=True)
                step = PER_ARCHIVE if form == "xml_archive" else max(PER_FOLDER, -(-n // (workers * 4 * PER_FOLDER)) * PER_FOLDER)
                jobs = [(form, str(root), s, min(s + step, n)) for s in range(0, n, step)]
                written = sum(pool.map(_write_chunk, *zip(*jobs)))
                assert written == n
                done[form].write_text(key)
        log(f"corpus: {n:,} records from {len(base):,} real ones in {', '.join(missing)} "
            f"({time.perf_counter() - started:.0f} s)")
    return {f: corpus_dir(n, f) for f in forms}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("n", type=int)
    parser.add_argument("--forms", default=",".join(FORMS))
    args = parser.parse_args()
    for form, path in ensure(args.n, args.forms.split(",")).items():
        print(form, path)


if __name__ == "__main__":
    main()
