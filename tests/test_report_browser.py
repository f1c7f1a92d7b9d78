"""The sample report opened in headless Chromium, as a reader on a laptop would open it.

Chromium renders the page (a screenshot that is not blank), parses it (the DOM it dumps has the
sections and figures), prints it (a PDF of several pages), and must make no request: its
network log may hold no request started by the page -- with the page's Content-Security-Policy
removed, so that a stray reference would really be fetched -- and its console no message (a
blocked request is reported there). Both detectors are first shown to catch a page that does
load something. Skipped, with the reason, when Chromium is not installed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import run_cli
from test_report import code_sample

pytest.importorskip("matplotlib", reason="qualcode report needs matplotlib")

CHROMIUM = next(
    (
        p
        for p in (shutil.which("chromium"), "/usr/bin/chromium", shutil.which("chromium-browser"))
        if p and Path(p).exists()
    ),
    None,
)
if CHROMIUM is None:
    pytest.skip("chromium not installed: apt-get install chromium", allow_module_level=True)

CSP = "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
LEAK = '<img alt="" src="http://example.invalid/pixel.png"><link rel="stylesheet" href="https://cdn.example.invalid/x.css">'


def chromium(page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess:
    """Headless Chromium on `page`; DNS answers nothing, so no test ever reaches the network."""
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--user-data-dir={profile}",
        *args,
        page.as_uri(),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return result


def page_requests(page: Path, tmp: Path) -> tuple[list[str], list[str]]:
    """(URLs the page asked the network for, console messages) while Chromium loads `page`."""
    log = tmp / f"{page.stem}-net.json"
    result = chromium(
        page,
        tmp / f"{page.stem}-profile",
        f"--log-net-log={log}",
        "--enable-logging=stderr",
        "--v=0",
        "--dump-dom",
    )
    events = json.loads(log.read_text(encoding="utf-8"))
    names = {code: name for name, code in events["constants"]["logEventTypes"].items()}
    urls = []
    for event in events["events"]:
        params = event.get("params") or {}
        if names.get(event["type"]) != "URL_REQUEST_START_JOB" or "url" not in params:
            continue
        # Chromium's own background requests have no page behind them; the page's carry its
        # file:// origin in the isolation key and the site for cookies.
        if "file://" in str(params.get("network_isolation_key", "")) + str(
            params.get("site_for_cookies", "")
        ):
            urls.append(params["url"])
    console = [line for line in result.stderr.splitlines() if ":CONSOLE" in line]
    return urls, console


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("browser")
    out = code_sample(root / "out")
    path = root / "report.html"
    result = run_cli(["report", "--from", str(out), "-o", str(path)])
    assert result.exit_code == 0, result.stderr
    return path


def test_detectors_catch_a_page_that_loads_from_the_network(report, tmp_path):
    leaky = tmp_path / "leaky.html"
    leaky.write_text(
        report.read_text(encoding="utf-8").replace(CSP, "").replace("</main>", LEAK + "</main>")
    )
    urls, _ = page_requests(leaky, tmp_path)
    assert sorted(urls) == ["http://example.invalid/pixel.png", "https://cdn.example.invalid/x.css"]
    blocked = tmp_path / "blocked.html"
    blocked.write_text(report.read_text(encoding="utf-8").replace("</main>", LEAK + "</main>"))
    urls, console = page_requests(blocked, tmp_path)
    assert urls == []  # the Content-Security-Policy stops them...
    assert any("Content Security Policy" in line for line in console)  # ...and says so


def test_report_makes_no_request_even_without_its_content_security_policy(report, tmp_path):
    text = report.read_text(encoding="utf-8")
    assert CSP in text
    bare = tmp_path / "bare.html"
    bare.write_text(text.replace(CSP, ""), encoding="utf-8")
    for page in (report, bare):
        urls, console = page_requests(page, tmp_path)
        assert urls == []
        assert console == []


def test_browser_parses_every_section_and_figure(report, tmp_path):
    dom = chromium(report, tmp_path / "profile", "--dump-dom").stdout
    for section in ("overview", "frequencies", "figures", "codes", "agreement", "warnings"):
        assert f'<section id="{section}"' in dom
    assert dom.count("<svg") == 3
    assert dom.count("<figcaption>") == 3
    assert dom.count('class="quote"') > 10
    assert "<mark>" in dom


def test_screenshot_of_the_report_is_not_blank(report, tmp_path):
    shot = tmp_path / "report.png"
    chromium(
        report,
        tmp_path / "profile",
        f"--screenshot={shot}",
        "--window-size=1280,2000",
        "--hide-scrollbars",
    )
    assert shot.exists()
    pixels = _pixels(shot)
    assert pixels.shape[:2] == (2000, 1280)
    ink = (pixels[..., :3] < 0.9).any(axis=-1)  # anything visibly darker than white
    assert 0.03 < ink.mean() < 0.6, ink.mean()
    assert ink[:200].any() and ink[-400:].any()  # text at the top and further down
    colours = {tuple(p) for p in (pixels[::7, ::7, :3] * 255).astype(int).reshape(-1, 3).tolist()}
    assert len(colours) > 50  # text, tables, coloured notice, figures: not one flat colour


def _pixels(path: Path):
    """The screenshot as an array of floats in [0, 1] (PIL if present, else matplotlib)."""
    import numpy as np

    try:
        from PIL import Image
    except ModuleNotFoundError:
        import matplotlib.image

        return np.asarray(matplotlib.image.imread(path), dtype=float)
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"), dtype=float) / 255.0


def test_report_prints_to_a_pdf_of_several_pages(report, tmp_path):
    pdf = tmp_path / "report.pdf"
    chromium(report, tmp_path / "profile", f"--print-to-pdf={pdf}", "--no-pdf-header-footer")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    assert (
        data.count(b"/Type /Page\n") + data.count(b"/Type /Page>") + data.count(b"/Type/Page") > 3
    )
