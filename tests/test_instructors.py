"""The facilitator's guide (INSTRUCTORS.md) and the agenda figures it quotes stay true to the notebooks."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AGENDA = ROOT / "benchmarks" / "results" / "agenda-cpu.txt"
GUIDE = ROOT / "INSTRUCTORS.md"


def test_the_committed_agenda_is_what_tools_agenda_prints_now():
    """A notebook whose slides, notes or exercises change must have its agenda (and so the guide) looked at again."""
    printed = subprocess.run([sys.executable, "tools/agenda.py"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout
    committed = AGENDA.read_text(encoding="utf-8")
    assert committed.splitlines()[0] == "$ .venv/bin/python tools/agenda.py"
    assert committed.split("\n", 1)[1] == printed, \
        "re-run `.venv/bin/python tools/agenda.py` into benchmarks/results/agenda-cpu.txt and update INSTRUCTORS.md"


def test_the_guide_quotes_the_agenda():
    guide, agenda = GUIDE.read_text(encoding="utf-8"), AGENDA.read_text(encoding="utf-8")
    totals = re.findall(r"^(\d\d)_\w+\.ipynb: (\d+) minutes to present, (\d+) slides, (\d+) s of run time "
                        r"in full mode; (\d+) exercises", agenda, flags=re.MULTILINE)
    assert len(totals) == len(list((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))) == 7
    for number, minutes, slides, run, exercises in totals:
        row = re.search(rf"^\| {number} · [^|]+\| (\d+) \| (\d+) \| (\d+) s \| (\d+) \|$", guide, flags=re.MULTILINE)
        assert row, f"INSTRUCTORS.md has no row for notebook {number}"
        assert row.groups() == (minutes, slides, run, exercises), f"notebook {number}: the guide's row is stale"
    everything = re.search(r"all notebooks: (\d+) minutes to present", agenda).group(1)
    assert f"| **All seven** | **{everything}** |" in guide


def test_each_agenda_adds_up_and_fits_its_hours():
    guide = GUIDE.read_text(encoding="utf-8")
    for title, hours in (("A 3-hour session", 3), ("A full day", 8)):
        section = guide.split(f"## {title}")[1].split("\n## ")[0]
        rows = re.findall(r"^\| (\d\d):(\d\d) \| [^|]+ \| (\d*) \|$", section, flags=re.MULTILINE)
        starts = [int(h) * 60 + int(m) for h, m, _ in rows]
        for (start, (_, _, minutes)), following in zip(zip(starts, rows, strict=False), starts[1:], strict=False):
            assert start + int(minutes) == following, f"{title}: a row's minutes do not reach the next row's start"
        assert starts[-1] - starts[0] <= hours * 60, f"{title} runs past {hours} hours"


def test_the_readme_links_the_guide():
    assert "[INSTRUCTORS.md](INSTRUCTORS.md)" in (ROOT / "README.md").read_text(encoding="utf-8")
