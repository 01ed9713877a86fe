"""What a learner meets in JupyterLab, tested in a real browser: Chromium, driven by Playwright.

JupyterLab starts on the loopback address with a token, as the README's command starts it, with the settings
the workshop ships (`jupyter-config/`, installed by requirements.txt) and nothing else: empty user settings and
workspaces, as at a learner's first launch. It serves a temporary copy of `notebooks/` and `images/`, so that Run
All and autosave never touch the committed notebooks. For every notebook the suite checks that it opens straight
into the Python 3 kernel, with no dialog and no toast to dismiss, and that its markdown, images and formulas
render. For 01 and 05 it then clicks Run > Run All Cells (quick mode, as every test) and checks what the learner
sees: no error except in cells tagged `raises-exception`, progress bars drawn as widgets, no console errors; and
it runs 05's training cells a second time in the same kernel, as a learner does.

Screenshots go to `test-results/browser/` (git-ignored): each notebook once open, 01 and 05 after Run All, and
the page at any failure (the failure message names the file).

The suite needs Chromium (Debian/Ubuntu: `sudo apt install chromium`); without it, it skips with one line
saying so. `WORKSHOP_CHROMIUM` names another Chromium or Chrome executable. CI (`.ci/run`) installs Chromium and
sets `WORKSHOP_BROWSER_TESTS=required`, which turns a missing browser into a failure.
"""

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from notebook_code import printed, readme_command, training_cells

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_FILES = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
# Every notebook a learner or an instructor opens: the English ones and their Brazilian Portuguese twins.
ALL_NOTEBOOKS = NOTEBOOK_FILES + sorted((ROOT / "notebooks" / "pt-BR").glob("[0-9][0-9]_*.ipynb"))


def notebook_id(path: Path) -> str:
    return path.relative_to(ROOT / "notebooks").as_posix()
SCREENSHOTS = ROOT / "test-results" / "browser"
RUN_ALL = ["01_tensors.ipynb", "05_training.ipynb"]
KERNEL_NAME = "Python 3 (ipykernel)"
# Chromium's own network features, which a closed classroom network refuses, many times a minute.
CHROMIUM_ARGS = ["--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-quic", "--no-first-run"]
HOW_TO_ENABLE = ("browser tests skipped: no Chromium found; install it (Debian/Ubuntu: sudo apt install chromium) "
                 "or set WORKSHOP_CHROMIUM to a Chromium or Chrome executable")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def find_chromium() -> str | None:
    named = os.environ.get("WORKSHOP_CHROMIUM")
    if named:
        if not Path(named).is_file():
            pytest.fail(f"WORKSHOP_CHROMIUM is '{named}', which is not a file", pytrace=False)
        return named
    return next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)


def readme_launch_arguments() -> list[str]:
    """The arguments of `jupyter lab` in the README's setup command (its last step)."""
    launch = readme_command("setup-command").split("&&")[-1].split()
    assert launch[:2] == [".venv/bin/jupyter", "lab"], f"the setup command should end by starting JupyterLab: {launch}"
    return launch[2:]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class JupyterLab:
    """A JupyterLab server on a temporary copy of the workshop, with a learner's first-launch settings."""

    def __init__(self, folder: Path):
        self.root = folder / "workshop"
        for part in ("notebooks", "notebooks/pt-BR"):
            (self.root / part).mkdir(parents=True)
            for path in (ROOT / part).iterdir():
                if path.suffix in (".ipynb", ".py", ".css"):
                    shutil.copy2(path, self.root / part)
        shutil.copytree(ROOT / "images", self.root / "images", ignore=shutil.ignore_patterns("*.py", "__pycache__"))
        self.token = secrets.token_hex(16)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environment = dict(os.environ)
        for variable, name in [("JUPYTERLAB_SETTINGS_DIR", "settings"), ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"),
                               ("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_RUNTIME_DIR", "runtime")]:
            (folder / name).mkdir()
            environment[variable] = str(folder / name)
        environment["WORKSHOP_QUICK"] = "1"
        self.log_path = folder / "jupyterlab.log"
        self.log = self.log_path.open("w")
        self.runtime = folder / "runtime"
        # Started as the README's setup command starts it, in the workshop's top folder with the same arguments, plus
        # a port, a token, no browser of its own and the app object exposed for the checks. No --allow-root: run as
        # root (CI, Docker), it must start by the setting the workshop ships.
        self.process = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", *readme_launch_arguments(), "--no-browser",
             "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
             f"--IdentityProvider.token={self.token}", "--LabApp.expose_app_in_browser=True"],
            cwd=self.root, env=environment, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 90
        while True:
            if self.process.poll() is not None:
                pytest.fail(f"JupyterLab exited at start (code {self.process.returncode}):\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.api("status"), timeout=5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not answer within 90 s:\n{self.log_tail()}")
                time.sleep(0.5)

    def api(self, path: str) -> str:
        return f"{self.url}/api/{path}?token={self.token}"

    def log_tail(self) -> str:
        self.log.flush()
        return "\n".join(self.log_path.read_text().splitlines()[-30:])

    def shut_down_kernels(self):
        """What the README asks of a learner before the next notebook: no kernel left running."""
        with urllib.request.urlopen(self.api("sessions"), timeout=10) as answer:
            sessions = json.load(answer)
        for session in sessions:
            request = urllib.request.Request(self.api(f"sessions/{session['id']}"), method="DELETE")
            urllib.request.urlopen(request, timeout=30).close()

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


# One line for the whole suite, said at collection: skip it without a browser (a contributor's machine), or fail
# where it is required (CI).
CHROMIUM = find_chromium()
if CHROMIUM is None:
    if os.environ.get("WORKSHOP_BROWSER_TESTS") == "required":
        pytest.fail("WORKSHOP_BROWSER_TESTS=required, but " + HOW_TO_ENABLE.replace("browser tests skipped: ", ""),
                    pytrace=False)
    pytest.skip(HOW_TO_ENABLE, allow_module_level=True)


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def lab():
    with tempfile.TemporaryDirectory(prefix="workshop-browser-") as folder:
        server = JupyterLab(Path(folder))
        try:
            yield server
        finally:
            server.stop()


class Learner:
    """One browser tab, as a learner uses it, with what the page logged."""

    def __init__(self, browser, lab: JupyterLab, name: str):
        self.lab = lab
        self.name = name
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.console_errors = []
        self.page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text))
        self.page.on("pageerror", lambda error: self.console_errors.append(str(error)))

    @property
    def slug(self) -> str:
        """The notebook's path in one word, for file and workspace names: 01_tensors, pt-BR-01_tensors."""
        return self.name.replace("/", "-").removesuffix(".ipynb")

    def screenshot(self, what: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{self.slug}-{what}.png"
        self.page.screenshot(path=path)
        return path

    def open_notebook(self):
        """Open the notebook in a fresh workspace (no tabs restored) and wait for its kernel to be ready."""
        workspace = f"{self.slug}-{secrets.token_hex(4)}"
        self.page.goto(f"{self.lab.url}/lab/workspaces/{workspace}/tree/notebooks/{self.name}"
                       f"?reset&token={self.lab.token}")
        self.page.wait_for_function(
            """name => { const panel = window.jupyterapp?.shell.currentWidget;
                         return panel?.context?.path === 'notebooks/' + name && panel.context.isReady; }""",
            arg=self.name, timeout=60_000)
        # The kernel starts by itself (the notebook names the python3 kernelspec) or a dialog asks for one.
        self.page.wait_for_function(
            """() => window.jupyterapp.shell.currentWidget.sessionContext.session?.kernel?.status === 'idle'
                     || document.querySelector('.jp-Dialog') !== null""", timeout=90_000)

    def evaluate(self, script: str, arg=None):
        return self.page.evaluate(script, arg)

    def cells(self) -> list[dict]:
        """The notebook as JupyterLab holds it now: sources, outputs, metadata of every cell."""
        return self.evaluate("""() => { const cells = window.jupyterapp.shell.currentWidget.content.model.cells;
                                        return Array.from({length: cells.length},
                                                          (_, i) => cells.get(i).toJSON()); }""")

    def kernel_status(self) -> str:
        return self.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.session?.kernel?.status")

    def wait_until_idle(self, done: str, timeout_s: float, what: str):
        """Wait until `done` (a JS expression on `nb`, the notebook widget) is true and the kernel is idle."""
        deadline = time.monotonic() + timeout_s
        idle_since = None
        while True:
            finished = self.evaluate(f"() => {{ const nb = window.jupyterapp.shell.currentWidget.content; "
                                     f"return Boolean({done}); }}")
            idle = self.kernel_status() == "idle"
            if finished and idle:
                return
            idle_since = (idle_since or time.monotonic()) if idle else None
            if idle_since and time.monotonic() - idle_since > 30:
                raise AssertionError(f"{self.name}: {what} stopped: the kernel has been idle for 30 s, and it is not "
                                     f"done; see {self.screenshot('stopped')}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name}: {what} did not finish within {timeout_s:.0f} s; "
                                     f"see {self.screenshot('timeout')}")
            time.sleep(1)

    def close(self):
        self.context.close()
        self.lab.shut_down_kernels()


@pytest.fixture
def learner(request, chromium, lab):
    opened = []

    def open_tab(name: str) -> Learner:
        tab = Learner(chromium, lab, name)
        opened.append(tab)
        return tab

    yield open_tab
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    for tab in opened:
        if failed:
            print(f"screenshot at the failure: {tab.screenshot('failure')}")
        tab.close()


def markdown_sources(path: Path) -> list[str]:
    return ["".join(c["source"]) for c in json.loads(path.read_text(encoding="utf-8"))["cells"]
            if c["cell_type"] == "markdown"]


def error_outputs(cell: dict) -> list[str]:
    return [f"{o['ename']}: {o['evalue']}" for o in cell["outputs"] if o["output_type"] == "error"]


def test_the_setup_command_opens_notebook_01_with_the_workshop_folder_as_jupyterlabs_top_folder(lab):
    """The notebooks link their diagrams as ../images/...: JupyterLab must serve the folder above notebooks/."""
    opens = [re.search(r'url=([^"]+)"', path.read_text()) for path in lab.runtime.glob("jpserver-file-to-run-*.html")]
    assert len(opens) == 1 and opens[0], "JupyterLab was started with a notebook to open"
    assert "/lab/tree/notebooks/01_tensors.ipynb?" in opens[0].group(1), opens[0].group(1)
    with urllib.request.urlopen(lab.api("contents"), timeout=10) as answer:
        top = {item["name"] for item in json.load(answer)["content"]}
    assert {"notebooks", "images"} <= top, f"JupyterLab's top folder holds {sorted(top)}"


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=notebook_id)
def test_a_notebook_opens_ready_to_run(learner, path):
    tab = learner(notebook_id(path))
    tab.open_notebook()
    page = tab.page
    assert page.locator(".jp-Dialog").count() == 0, \
        f"{path.name} opened with a dialog: {page.locator('.jp-Dialog').first.inner_text()!r}"
    assert tab.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.kernelDisplayName") == KERNEL_NAME
    # JupyterLab's first-launch questions (news, updates) come a few seconds after start-up: give them time.
    page.wait_for_timeout(5000)
    toasts = page.locator(".Toastify__toast")
    assert toasts.count() == 0, \
        f"{path.name} opened under a toast the learner must dismiss: {toasts.first.inner_text()!r}"

    markdown = markdown_sources(path)
    rendered = page.locator(".jp-MarkdownCell .jp-RenderedMarkdown")
    assert rendered.count() == len(markdown), f"{rendered.count()} of {len(markdown)} markdown cells rendered"
    assert page.locator(".jp-MarkdownCell:not(.jp-mod-rendered)").count() == 0, "a markdown cell shows its source"

    images = tab.evaluate("""() => Array.from(document.querySelectorAll('.jp-RenderedMarkdown img'),
                                              img => ({src: img.getAttribute('src'),
                                                       loaded: img.complete && img.naturalWidth > 0}))""")
    expected = sum(len(re.findall(r"!\[[^\]]*\]\(|<img ", text)) for text in markdown)
    assert len(images) == expected, f"{len(images)} images in the page, {expected} in the notebook's markdown"
    broken = [image["src"] for image in images if not image["loaded"]]
    assert not broken, f"images that did not load: {broken}"

    formulas = sum(text.count("$$") // 2 for text in markdown)
    if formulas:
        typeset = "document.querySelectorAll('.jp-RenderedMarkdown mjx-container').length"
        try:
            page.wait_for_function(f"() => {typeset} >= {formulas}", timeout=30_000)
        except PlaywrightTimeout:
            pytest.fail(f"{path.name}: {tab.evaluate('() => ' + typeset)} of its {formulas} formulas were typeset by "
                        f"MathJax within 30 s; see {tab.screenshot('formulas')}")
    unrendered = tab.evaluate("() => Array.from(document.querySelectorAll('.jp-RenderedMarkdown'), e => e.innerText)"
                              ".filter(text => text.includes('$$'))")
    assert not unrendered, f"a formula shows as raw LaTeX: {unrendered[0][:200]!r}"

    tab.screenshot("opened")
    assert not tab.console_errors, f"console errors while {path.name} opened: {tab.console_errors[:5]}"


@pytest.mark.parametrize("name", RUN_ALL)
def test_run_all_cells_then_train_again(learner, name):
    tab = learner(name)
    tab.open_notebook()
    page = tab.page
    # The committed outputs carry execution counts 1, 2, 3 ..., as a fresh kernel numbers them too: what shows
    # that a cell ran is its count being set anew, which a listener on every code cell records.
    tab.evaluate("""() => { const cells = window.jupyterapp.shell.currentWidget.content.model.cells;
        window.ranCells = new Set();
        for (let i = 0; i < cells.length; i++) {
            cells.get(i).stateChanged.connect((model, change) => {
                if (change.name === 'executionCount' && change.newValue !== null) window.ranCells.add(model.id); });
        } }""")
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    started = time.monotonic()
    everything_ran = ("Array.from({length: nb.model.cells.length}, (_, i) => nb.model.cells.get(i))"
                      ".every(c => c.type !== 'code' || !c.sharedModel.source.trim() || window.ranCells.has(c.id))")
    tab.wait_until_idle(everything_ran, timeout_s=900, what="Run All Cells")
    print(f"{name}: Run All Cells took {time.monotonic() - started:.0f} s in the browser (quick mode)")

    cells = tab.cells()
    for index, cell in enumerate(cells):
        if cell["cell_type"] != "code":
            continue
        errors = error_outputs(cell)
        if "raises-exception" in cell["metadata"].get("tags", []):
            assert errors, f"{name} cell {index} is tagged raises-exception but raised nothing"
        else:
            assert not errors, f"{name} cell {index} shows an error: {errors}"

    # Progress bars: tqdm's widgets. A bar made with leave=False is removed when its loop ends, so fewer are drawn
    # than were output; a broken widget setup draws none and shows a message or the raw model instead.
    widgets = sum(WIDGET_VIEW in o.get("data", {}) for c in cells if c["cell_type"] == "code" for o in c["outputs"])
    drawn = page.locator(".jp-OutputArea-output .widget-hprogress").count()
    if name.startswith("05"):
        assert widgets >= 3, f"05 should show its training progress bars as widgets, found {widgets}"
    assert (drawn > 0) == (widgets > 0), f"{widgets} progress-bar widgets in the outputs, {drawn} drawn"
    for broken in ("Error displaying widget", "HBox(children", "Loading widget..."):
        assert page.get_by_text(broken).count() == 0, f"an output shows {broken!r} instead of a progress bar"

    # The screenshot shows the first progress bar still drawn. Cells out of view are not laid out until they come
    # into view, so the scroll is repeated until the bar's position settles.
    for _ in range(4):
        tab.evaluate("""() => { const nb = window.jupyterapp.shell.currentWidget.content;
            const index = nb.widgets.findIndex(cell => cell.node.querySelector('.widget-hprogress'));
            if (index >= 0) { nb.scrollToItem(index, 'center'); } }""")
        page.wait_for_timeout(500)
    tab.screenshot("run-all")
    assert not tab.console_errors, f"console errors during Run All: {tab.console_errors[:5]}"

    # A learner runs a training cell again (to see it once more, or after an interrupt): it must train again.
    for index in training_cells(cells):
        before = cells[index]["execution_count"]
        tab.evaluate("i => { const nb = window.jupyterapp.shell.currentWidget.content; nb.activeCellIndex = i;"
                     " nb.mode = 'command'; nb.node.focus(); }", index)
        page.keyboard.press("Control+Enter")
        tab.wait_until_idle(f"nb.model.cells.get({index}).executionCount > {before}", timeout_s=600,
                            what=f"running training cell {index} again")
        again = tab.cells()[index]
        assert not error_outputs(again), f"{name} training cell {index}, run again: {error_outputs(again)}"
        # Not a silent no-op either (a finished schedule trains at a learning rate of 0): it starts over, so it
        # prints the losses and accuracies of the first run.
        assert re.search(r"loss|accuracy", printed(again)), \
            f"{name} training cell {index}, run again, printed no training: {printed(again)!r}"
        assert printed(again) == printed(cells[index]), \
            f"{name} training cell {index} trained differently when run again:\n{printed(cells[index])}\n" \
            f"{printed(again)}"
    assert not tab.console_errors, f"console errors while training again: {tab.console_errors[:5]}"


def test_the_menus_and_panels_the_readme_names_exist(learner):
    """The README and the facilitator's guide say where to click (*Kernel > Shut Down Kernel*): each path must be in
    JupyterLab's menus (the workshop's own extensions included: *View > Render as Reveal Slideshow*)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    guide = (ROOT / "INSTRUCTORS.md").read_text(encoding="utf-8")
    paths = set(re.findall(r"\*(File|Edit|View|Run|Kernel|Tabs|Settings|Help) > ([^*\n]+?)\*", readme + guide))
    assert len(paths) >= 5, paths
    tab = learner("03_cnn.ipynb")
    tab.open_notebook()
    page = tab.page
    for menu in sorted({menu for menu, _ in paths}):
        page.get_by_role("menuitem", name=menu, exact=True).click()
        labels = page.locator(".lm-Menu:not(.lm-MenuBar) .lm-Menu-itemLabel").all_inner_texts()
        items = {label.rstrip("…") for label in labels}
        page.keyboard.press("Escape")
        for item in (item for name, item in paths if name == menu):
            assert item.rstrip("…") in items, \
                f"the README or INSTRUCTORS.md names '{menu} > {item}', which the {menu} menu lacks: {sorted(items)}"
    assert "*Running Terminals and Kernels*" in readme
    assert page.locator('[title="Running Terminals and Kernels"]').count() == 1


# What the slideshow app of jupyterlab-rise 0.43.1 logs on every deck, whatever the notebook: upstream bugs that do
# not change what is shown (jupyterlab-contrib/rise#144 for the first), and its request for an optional stylesheet
# named after the notebook, which the workshop does not need (notebooks/rise.css styles every deck).
KNOWN_DECK_ERRORS = [r"^RangeError: Maximum call stack size exceeded$",
                     r"^Error: Shared module @jupyterlab/console doesn't exist in shared scope default",
                     r"^Failed to load resource: the server responded with a status of 404 .*$",
                     r"^Refused to apply style from '[^']*/\d\d_\w+\.css' because its MIME type"]
PROJECTOR = {"width": 1280, "height": 720}


def deck_slides(path: Path) -> list[str]:
    """The ids RISE gives the slides of a notebook, from its cells' slide types: slide-<slide>-<sub-slide>."""
    slides, number, sub = [], -1, 0
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        kind = cell["metadata"]["slideshow"]["slide_type"]
        if kind == "slide":
            number, sub = number + 1, 0
        elif kind == "subslide":
            sub += 1
        else:
            continue
        slides.append(f"slide-{number}-{sub}")
    return slides


def show_slide(page, slide: str):
    """Go to a slide by its address, as a presenter's link does. RISE re-lays the deck out while cells render, and
    now and then misses one change of address: the address is set again, with its event, until the slide shows."""
    for _ in range(6):
        page.evaluate("id => { location.hash = '#/' + id; window.dispatchEvent(new HashChangeEvent('hashchange')); }",
                      slide)
        try:
            page.wait_for_function("id => document.getElementById(id).classList.contains('present')", arg=slide,
                                   timeout=5_000)
            return
        except PlaywrightTimeout:
            continue
    raise AssertionError(f"slide {slide} did not show within 30 s of asking for it 6 times")


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=notebook_id)
def test_a_notebook_presents_as_slides_that_fit_a_1280_by_720_projector(chromium, lab, path):
    """The deck an instructor shows (View > Render as Reveal Slideshow, or the toolbar's slideshow button): every
    slide's text, code and outputs end above the bottom of a 1280 x 720 screen. A long definition or printout scrolls
    inside its own box (notebooks/rise.css); what is measured is the box, as the audience sees it."""
    context = chromium.new_context(viewport=PROJECTOR)
    page = context.new_page()
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    stem = notebook_id(path).replace("/", "-").removesuffix(".ipynb")
    try:
        relative = path.relative_to(ROOT).as_posix()
        page.goto(f"{lab.url}/rise/{relative}?token={lab.token}")
        page.wait_for_selector(".reveal .slides section.present .jp-Cell", timeout=90_000)
        ids = page.evaluate("""() => Array.from(document.querySelectorAll('.reveal .slides section'))
                                      .filter(s => !s.querySelector('section')).map(s => s.id)""")
        expected = deck_slides(path)
        assert ids == expected, f"the deck has {len(ids)} slides, the notebook's slide metadata {len(expected)}"
        overflowing = []
        for number, slide in enumerate(ids):
            show_slide(page, slide)
            page.wait_for_timeout(300)
            bottom = page.evaluate("""id => Math.max(0, ...Array.from(document.getElementById(id).querySelectorAll(
                    '.jp-InputArea-editor, .jp-OutputArea-output > *, .jp-RenderedMarkdown > *'),
                    e => e.getBoundingClientRect().bottom))""", slide)
            if number < 3:
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=SCREENSHOTS / f"{stem}-slide-{number + 1}.png")
            if bottom > PROJECTOR["height"]:
                shot = SCREENSHOTS / f"{stem}-{slide}-overflows.png"
                page.screenshot(path=shot)
                overflowing.append(f"{slide} ends at {bottom:.0f} px (see {shot})")
        assert not overflowing, (f"{path.name}: slides taller than the {PROJECTOR['height']} px screen; give a cell "
                                 f"its own sub-slide or make a long explanation presenter notes:\n"
                                 + "\n".join(overflowing))
        unknown = [e for e in errors if not any(re.search(known, e) for known in KNOWN_DECK_ERRORS)]
        assert not unknown, f"console errors in {path.name}'s deck: {unknown[:5]}"
    finally:
        context.close()
        lab.shut_down_kernels()
