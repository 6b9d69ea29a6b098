"""The HTML pages of `check --html` in a real browser: Debian's headless Chromium, driven by selenium.

Every page loads with no console message (a blocked resource or a script error would log one), the
overview sorts by a click on a column's header, the pages print, and the screenshots in docs/reports.md
are taken here (from graded corpus workbooks, which needs LibreOffice: that test is slow).
"""

import base64
import dataclasses
import importlib.util
import os
import re
import shutil
from pathlib import Path

import pytest

from backprop_sheet.cli import main

_here = Path(__file__).parent
_spec = importlib.util.spec_from_file_location("sample_class", _here / "sample_class.py")
sample_class = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sample_class)
_spec = importlib.util.spec_from_file_location("corpus", _here / "corpus.py")
corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(corpus)

ROOT = _here.parents[1]
SHOTS = {"index": "check_html_index.png", "feedback": "check_html_feedback.png"}  # in output/ and docs/img/
WIDTH = 1280  # px: a laptop's window


def _chromium() -> tuple[str, str]:
    """(chromium, chromedriver): skip without them here, but never in CI, which installs them."""
    browser = next((p for p in map(shutil.which, ("chromium", "chromium-browser")) if p), None)
    driver = shutil.which("chromedriver")
    if browser is None or driver is None:
        reason = ("Chromium is not installed (apt-get install chromium chromium-driver): the HTML pages are "
                  "tested in a real browser")
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    return browser, driver


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    binary, driver_path = _chromium()
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install -e '.[test]')")
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     f"--window-size={WIDTH},900", "--force-device-scale-factor=1", "--hide-scrollbars",
                     f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # The driver is named, so that selenium never goes looking for one on the network.
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """The sample class's pages (with the similarity section), graded from saved values."""
    from click.testing import CliRunner
    folder = tmp_path_factory.mktemp("class")
    sample = sample_class.build(folder / "submissions")
    out = folder / "html"
    result = CliRunner().invoke(main, ["check", *map(str, sample.values()), "--html", str(out), "--similar"])
    assert result.exit_code == 1, result.output
    return out


def _open(browser, page: Path) -> list[dict]:
    browser.get(page.as_uri())
    assert browser.execute_script("return document.readyState") == "complete"
    return browser.get_log("browser")


def test_every_page_loads_without_a_console_message(browser, pages):
    names = sorted(p.name for p in pages.iterdir())
    assert names == ["alice.html", "bob.html", "carol.html", "dave.html", "index.html"]
    for name in names:
        assert _open(browser, pages / name) == [], name
        assert browser.title  # every page has its title
        assert browser.find_element("tag name", "h1").text


def test_the_browser_blocks_what_a_page_would_fetch(browser, pages, tmp_path):
    """The pages' Content-Security-Policy is in force: a resource added to one is refused and logged."""
    page = tmp_path / "fetching.html"
    text = (pages / "alice.html").read_text()
    page.write_text(text.replace("</body>", '<img src="https://example.invalid/x.png"></body>'))
    logs = _open(browser, page)
    assert any("Content Security Policy" in entry["message"] for entry in logs), logs


def _column(browser, header: str) -> list[str]:
    index = browser.execute_script(
        "return Array.from(document.querySelectorAll('#overview thead th'))"
        ".findIndex(th => th.textContent.replace(/[↕▲▼\\u00a0]/g, '').trim() === arguments[0]);", header)
    assert index >= 0, header
    return [row.find_elements("tag name", "td")[index].text
            for row in browser.find_elements("css selector", "#overview tbody tr")]


def _click(browser, header: str) -> None:
    browser.find_element("xpath", f"//table[@id='overview']//th/button[normalize-space()='{header}']").click()


def test_the_overview_sorts_by_a_click_on_a_header(browser, pages):
    _open(browser, pages / "index.html")
    assert _column(browser, "Submission") == ["alice.xlsx", "bob.xlsx", "carol.xlsx", "dave.xlsx"]  # file order
    _click(browser, "Score")
    scores = [float(s) for s in _column(browser, "Score")]
    assert scores == sorted(scores) and scores[0] == 0 and scores[-1] == 100
    header = browser.find_element("xpath", "//th[button[normalize-space()='Score']]")
    assert header.get_attribute("aria-sort") == "ascending"
    _click(browser, "Score")
    assert [float(s) for s in _column(browser, "Score")] == sorted(scores, reverse=True)
    assert header.get_attribute("aria-sort") == "descending"
    _click(browser, "Status")  # by the word, not its symbol
    assert [s.split(" ", 1)[1] for s in _column(browser, "Status")] == ["mistakes", "mistakes", "right", "unreadable"]
    _click(browser, "Submission")
    assert _column(browser, "Submission") == ["alice.xlsx", "bob.xlsx", "carol.xlsx", "dave.xlsx"]
    assert browser.get_log("browser") == []


def test_pages_print_without_the_navigation(browser, pages):
    from selenium.webdriver.common.print_page_options import PrintOptions
    for name, most in (("index.html", 3), ("bob.html", 3)):
        _open(browser, pages / name)
        pdf = base64.b64decode(browser.print_page(PrintOptions()))
        assert pdf.startswith(b"%PDF")
        assert 1 <= len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf)) <= most, name
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert browser.find_element("tag name", "nav").value_of_css_property("display") == "none"
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})


# The class of the screenshots: corpus workbooks under students' names, and one copy of another's work.
SCREENSHOT_CLASS = {
    "amira": "right_two_sheets", "ben": "mistake_h1_typo", "chen": "mistake_output_slope",
    "dara": "right_shuffled_columns", "eli": "mistake_update_sign", "farah": "mistake_gradients_doubled",
    "gus": "right_real_headers", "hana": "mistake_sequential_update", "ivan": "mistake_pasted_values",
    "jo": "right_side_by_side", "kai": "mistake_hidden_activation",
}


def _shot(browser, page: Path, name: str, height: int | None = None) -> Path:
    """The page at WIDTH, as tall as its content (at most `height`), to output/ and docs/img/."""
    _open(browser, page)
    full = browser.execute_script("return document.documentElement.scrollHeight")
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": WIDTH, "height": min(full, height or full), "deviceScaleFactor": 1, "mobile": False})
    try:
        out = ROOT / "output" / name
        browser.save_screenshot(str(out))
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    docs = ROOT / "docs" / "img" / name
    docs.parent.mkdir(exist_ok=True)
    shutil.copyfile(out, docs)
    return out


def test_screenshots_of_the_overview_and_a_feedback_page(browser, soffice, tmp_path):
    from click.testing import CliRunner
    specs = {s.name: s for s in corpus.SPECS}
    folder = tmp_path / "submissions"
    folder.mkdir()
    paths = corpus.build_all([dataclasses.replace(specs[spec], name=student)
                              for student, spec in SCREENSHOT_CLASS.items()], folder)
    shutil.copy(paths["kai"], folder / "lena.xlsx")  # a plain copy of kai's work
    out = tmp_path / "html"
    files = [*map(str, paths.values()), str(folder / "lena.xlsx")]
    result = CliRunner().invoke(main, ["check", *files, "--html", str(out), "--similar"])
    assert result.exit_code == 1, result.output
    for page in out.iterdir():
        assert _open(browser, page) == [], page.name
    ben = (out / "ben.html").read_text()
    assert "<code>=B6*$D$3+C6+$E$3+0</code>" in ben and "<code>h1 = w1·i1+w2·i2+b1</code>" in ben
    assert "kai.xlsx and lena.xlsx" in (out / "index.html").read_text()
    shots = [_shot(browser, out / "index.html", SHOTS["index"], height=2400),
             _shot(browser, out / "ben.html", SHOTS["feedback"])]
    for shot in shots:
        assert shot.stat().st_size > 20_000  # a page, not a blank
    text = (ROOT / "docs" / "reports.md").read_text()
    assert all(f"(img/{name})" in text for name in SHOTS.values())
