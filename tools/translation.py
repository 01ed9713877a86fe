"""Keep the Brazilian Portuguese notebooks (notebooks/pt-BR/) in step with the English ones.

Each pt-BR notebook has the English notebook's cells, in the same order, with the same metadata; every translated
cell records, in `metadata.translation.source`, a fingerprint of the English cell it translates.
tests/test_translation.py fails, naming the cells, when an English cell changes and its translation does not.

    python tools/translation.py status          the cells whose English changed since they were translated
    python tools/translation.py sync            copy cell and notebook metadata (tags, slides) from the English
    python tools/translation.py stamp 05 12 14  record that cells 12 and 14 of pt-BR/05_*.ipynb are up to date
    python tools/translation.py stamp 05        ... every cell of that notebook (after translating all of it)
    python tools/translation.py stamp README    record that every section of README.pt-BR.md is up to date

After editing an English cell: translate the change in the pt-BR twin, then stamp that cell.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
ENGLISH = ROOT / "notebooks"
PORTUGUESE = ENGLISH / "pt-BR"
README, README_PT = ROOT / "README.md", ROOT / "README.pt-BR.md"
STAMP = re.compile(r"(?m)^<!-- en: ([0-9a-f]{16}) -->\n")


def fingerprint(source: str) -> str:
    """A short hash of an English cell's text: any edit, even of one character, changes it."""
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:16]


def pairs() -> list[tuple[Path, Path]]:
    """(English notebook, its pt-BR twin) for every English notebook, twin or not."""
    return [(path, PORTUGUESE / path.name) for path in sorted(ENGLISH.glob("[0-9][0-9]_*.ipynb"))]


def stale_cells(english, portuguese) -> list[int]:
    """Indexes of the cells whose English changed since they were translated (or that were never stamped)."""
    return [index for index, (source, twin) in enumerate(zip(english.cells, portuguese.cells, strict=True))
            if twin.metadata.get("translation", {}).get("source") != fingerprint(source.source)]


def synced_metadata(english_cell, portuguese_cell) -> dict:
    """The English cell's metadata, with the translation's own fingerprint kept."""
    metadata = dict(english_cell.metadata)
    if "translation" in portuguese_cell.metadata:
        metadata["translation"] = portuguese_cell.metadata["translation"]
    return metadata


def readme_sections(text: str) -> list[tuple[str, str]]:
    """(heading line, the text up to the next heading of level 1 or 2) for each section of a README."""
    parts = re.split(r"(?m)^(#{1,2} .*)$", text)
    return list(zip(parts[1::2], parts[2::2], strict=True))


def stale_readme_sections() -> list[str]:
    """The headings of the English README whose section changed since README.pt-BR.md recorded it."""
    english = readme_sections(README.read_text(encoding="utf-8"))
    recorded = STAMP.findall(README_PT.read_text(encoding="utf-8"))
    recorded += [""] * (len(english) - len(recorded))
    return [heading for (heading, body), stamp in zip(english, recorded, strict=False)
            if fingerprint(heading + body) != stamp]


def stamp_readme() -> None:
    """Record under each heading of README.pt-BR.md the fingerprint of the English section it translates."""
    english = readme_sections(README.read_text(encoding="utf-8"))
    text = STAMP.sub("", README_PT.read_text(encoding="utf-8"))
    headings = list(re.finditer(r"(?m)^#{1,2} .*\n", text))
    if len(headings) != len(english):
        raise SystemExit(f"README.pt-BR.md has {len(headings)} sections, README.md {len(english)}: add or remove the "
                         "same sections first")
    for match, (heading, body) in reversed(list(zip(headings, english, strict=True))):
        text = text[:match.end()] + f"<!-- en: {fingerprint(heading + body)} -->\n" + text[match.end():]
    README_PT.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["status", "sync", "stamp"])
    parser.add_argument("notebook", nargs="?", help="two digits: 05")
    parser.add_argument("cells", nargs="*", type=int, help="cell indexes, counted from 0 as the .ipynb lists them")
    args = parser.parse_args(argv)
    problems = 0
    if args.notebook == "README" or not args.notebook:
        if args.command == "stamp" and args.notebook == "README":
            stamp_readme()
        for heading in stale_readme_sections() if README_PT.exists() else []:
            print(f"README.md section {heading!r}: the English changed since README.pt-BR.md translated it")
            problems += 1
        if args.notebook == "README":
            return 1 if problems and args.command == "status" else 0
    for english_path, portuguese_path in pairs():
        if args.notebook and not english_path.name.startswith(args.notebook):
            continue
        if not portuguese_path.exists():
            print(f"{english_path.name}: no translation yet (notebooks/pt-BR/{english_path.name})")
            problems += 1
            continue
        english = nbformat.read(english_path, as_version=4)
        portuguese = nbformat.read(portuguese_path, as_version=4)
        if [c.cell_type for c in english.cells] != [c.cell_type for c in portuguese.cells]:
            print(f"{english_path.name}: the cells differ in number or kind; add or remove the same cells in the twin")
            problems += 1
            continue
        if args.command == "sync":
            portuguese.metadata = english.metadata
            for source, twin in zip(english.cells, portuguese.cells, strict=True):
                twin.metadata = synced_metadata(source, twin)
                twin.id = source.id
            nbformat.write(portuguese, portuguese_path)
        elif args.command == "stamp":
            for index in args.cells or range(len(english.cells)):
                portuguese.cells[index].metadata["translation"] = {"source": fingerprint(english.cells[index].source)}
            nbformat.write(portuguese, portuguese_path)
        stale = stale_cells(english, portuguese)
        problems += len(stale)
        for index in stale:
            first = english.cells[index].source.strip().splitlines()[:1] or [""]
            print(f"{english_path.name} cell {index} ({english.cells[index].cell_type}): the English changed since it "
                  f"was translated: {first[0][:80]!r}")
    return 1 if problems and args.command == "status" else 0


if __name__ == "__main__":
    sys.exit(main())
