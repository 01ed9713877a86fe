"""Minutes per notebook and per section for presenting the workshop, from the notebooks and a timed full run.

    python tools/agenda.py          reads benchmarks/results/notebook-timings-cpu.json

For every section (a `##` heading) of every English notebook it counts what there is to present: slides (the
notebook's slide and sub-slide cells), words of presenter notes, and exercises; and it adds how long the section's
code cells took to run in full mode, from the per-cell timings that `tools/run_notebooks.py --timings` writes. The
Portuguese twins have the same code, so the timings of either serve both.

The presenting estimate is a model, stated here so that anyone can change it: one minute per slide, plus notes read
at 150 words a minute, plus the section's run time (live cells run while the instructor talks, so only the part of a
long run beyond one minute is added as waiting). Exercises are listed apart, at EXERCISE_MINUTES each, because an
agenda chooses which to give. INSTRUCTORS.md quotes this script's committed output
(benchmarks/results/agenda-cpu.txt).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
MINUTES_PER_SLIDE = 1.0
NOTES_WORDS_PER_MINUTE = 150
EXERCISE_MINUTES = 5


def empty_section(title: str) -> dict:
    """A section with nothing counted yet."""
    return {"title": title, "slides": 0, "notes_words": 0, "exercises": 0, "run_s": 0.0}


def sections(notebook, seconds: list) -> list[dict]:
    """The notebook's `##` sections (its title cell and what precedes the first `##` count as 'Introduction')."""
    found = [empty_section("Introduction")]
    for cell, took in zip(notebook.cells, seconds, strict=True):
        text = cell.source
        if cell.cell_type == "markdown":  # a heading may open the cell or stand inside it: the cell counts for it
            for heading in re.findall(r"^## (.+)$", text, flags=re.MULTILINE):
                found.append(empty_section(heading.strip()))
        section = found[-1]
        kind = cell.metadata.get("slideshow", {}).get("slide_type", "-")
        section["slides"] += kind in ("slide", "subslide")
        if kind == "notes":
            section["notes_words"] += len(text.split())
        if cell.cell_type == "markdown" and section["title"] != "Solutions":  # solutions repeat "Exercise 1."
            section["exercises"] += len(re.findall(r"^\*\*Exercise \d", text, flags=re.MULTILINE))
        section["run_s"] += took or 0.0
    return [s for s in found if s["slides"] or s["run_s"]]


def minutes(section: dict) -> int:
    """Presenting minutes, by the model in this module's docstring, rounded up to whole minutes."""
    talk = section["slides"] * MINUTES_PER_SLIDE + section["notes_words"] / NOTES_WORDS_PER_MINUTE
    waiting = max(0.0, section["run_s"] - 60) / 60
    return math.ceil(talk + waiting)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timings", type=Path, default=ROOT / "benchmarks" / "results" / "notebook-timings-cpu.json")
    args = parser.parse_args(argv)
    timings = {Path(name).name: cells for name, cells in json.loads(args.timings.read_text(encoding="utf-8")).items()}
    grand = 0
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        rows = sections(notebook, timings[path.name])
        total = sum(minutes(s) for s in rows)
        exercises = sum(s["exercises"] for s in rows)
        run = sum(s["run_s"] for s in rows)
        grand += total
        print(f"\n{path.name}: {total} minutes to present, {sum(s['slides'] for s in rows)} slides, "
              f"{run:.0f} s of run time in full mode; {exercises} exercises ({exercises * EXERCISE_MINUTES} minutes)")
        for s in rows:
            print(f"  {minutes(s):3d} min  {s['slides']:2d} slides  {s['notes_words']:4d} words of notes  "
                  f"{s['run_s']:6.1f} s run  {s['exercises']} exercises  {s['title']}")
    print(f"\nall notebooks: {grand} minutes to present, without exercises or breaks")
    return 0


if __name__ == "__main__":
    sys.exit(main())
