"""`python -m fuzz report`: numbers on the page from a hand-built store, usage errors, and a tiny
real campaign's report opened in Debian's Chromium (sections present, no console or page error,
no request outside the file itself)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from fuzz.cli import main
from fuzz.engine.result import CaseResult
from fuzz.engine.store import Store

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = ("coverage", "verdicts", "findings", "throughput", "settings")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

SOURCE = (
    "@wp.kernel\n"
    "def {k}(a1: wp.array[wp.float32], out2: wp.array[wp.float32]):\n"
    "    i = wp.tid()\n"
    "    out2[i] = wp.{f}(a1[i]) + 1.0\n"
)


# ---- reading the page back -------------------------------------------------------------------
class _Cells(HTMLParser):
    """Coverage cells: name -> (data-used, data-verified, visible 'used/verified' text)."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self.cells: dict[str, tuple[int, int, str]] = {}
        self._open: str | None = None
        self._depth = 0
        self._text = ""
        self.never: dict[str, list[str]] = {}
        self._never: str | None = None
        self._in_code = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self._in_code = tag == "code"
        if tag == "p" and (a.get("id") or "").startswith("never-"):
            self._never = str(a["id"])
            self.never[self._never] = []
        if self._open is not None:
            self._depth += 1
        elif tag == "span" and a.get("data-kind") == self.kind:
            self._open, self._depth, self._text = str(a["data-name"]), 1, ""
            self.cells[self._open] = (int(a["data-used"] or -1), int(a["data-verified"] or -1), "")

    def handle_endtag(self, tag: str) -> None:
        self._in_code = self._in_code and tag != "code"
        if tag == "p":
            self._never = None
        if self._open is None:
            return
        self._depth -= 1
        if self._depth == 0:
            used, verified, _ = self.cells[self._open]
            self.cells[self._open] = (used, verified, self._text)
            self._open = None

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._text += data
        elif self._never is not None and self._in_code:
            self.never[self._never].append(data)


def cell_counts(page: str, name: str, kind: str = "builtin") -> tuple[int, int]:
    """(used, verified) of a coverage cell; its attributes and its visible text must agree."""
    p = _Cells(kind)
    p.feed(page)
    assert name in p.cells, f"no {kind} cell for {name!r}"
    used, verified, text = p.cells[name]
    assert text == f"{name}{used}/{verified}", f"cell {name!r} shows {text!r} but says {used}/{verified}"
    return used, verified


def check_cell(page: str, name: str, used: int, verified: int, kind: str = "builtin") -> None:
    got = cell_counts(page, name, kind)
    assert got == (used, verified), (
        f"{kind} {name}: page says used/verified {got}, expected {(used, verified)}"
    )


def never_reached(page: str, ident: str) -> list[str]:
    p = _Cells("builtin")
    p.feed(page)
    return p.never.get(ident, [])


# ---- a hand-built store ----------------------------------------------------------------------
def _checks(passed: bool, written: int | None, compared: int | None) -> list[dict]:
    arr = {
        "name": "out2", "dtype": "float32", "passed": passed, "elements": 8, "checked": 8, "unstable": 0,
        "bad": 0 if passed else 3, "max_abs_err": 0.0 if passed else 0.5, "max_ulp": 0.0,
        "worst_index": [5], "observed": 1.25 if passed else 7.5, "expected": 1.25, "tolerance": 1e-6,
    }  # fmt: skip
    if written is not None:
        arr |= {"written": written, "compared": compared}
    return [{"device": "cpu", "passed": passed, "tolerance_rule": "", "arrays": [arr]}]


def _case(seed: int, family: str, verdict: str, func: str, written: int | None = 8) -> CaseResult:
    k = f"k_{seed}"
    constructs = sorted({"Add", "tid", func})
    case = {
        "kernel_name": k,
        "family": family,
        "source": SOURCE.format(k=k, f=func),
        "constructs": constructs,
    }
    mismatch = verdict == "mismatch"
    return CaseResult(
        seed=seed, kernel_name=k, family=family, generator_version="test", case=case, verdict=verdict,
        stage="judge" if mismatch else "", device="cpu" if mismatch else "",
        message="out2: 3 of 8 elements differ" if mismatch else "",
        checks=_checks(not mismatch, written, None if written is None else written - 1),
    )  # fmt: skip


@pytest.fixture
def store_run(tmp_path: Path) -> Path:
    run = tmp_path / "run"
    st = Store(str(run))
    try:
        sid = st.begin_session(60.0, ["--budget", "1m"], "1.19.0", ["cpu"])
        st.add_results(
            [
                _case(1, "unary", "verified", "sinh"),
                _case(2, "unary", "mismatch", "sinh"),
                _case(3, "elementwise", "verified", "cos"),
                _case(4, "elementwise", "verified", "cos", written=None),  # as an old store wrote it
            ],
            sid,
        )
        st.update_session(sid, 12.0, 4, ended=True)
        st.set_meta("campaign", {"first_seed": 1, "generator_version": "test"})
    finally:
        st.close()
    return run


def test_report_numbers_from_a_hand_built_store(store_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "page" / "report.html"
    pngs = tmp_path / "pngs"
    assert main(["report", str(store_run), "--out", str(out), "--png-dir", str(pngs)]) == 0
    page = out.read_text()
    for s in SECTIONS:
        assert f'<section id="{s}">' in page
    check_cell(page, "sinh", 2, 1)  # used by seeds 1 and 2, only seed 1 verified
    check_cell(page, "cos", 2, 2)
    check_cell(page, "add", 4, 3)  # `a + b` lowers to Warp's add: every kernel
    check_cell(page, "Add", 4, 3, kind="construct")
    check_cell(page, "cosh", 0, 0)
    check_cell(page, "unary", 2, 1, kind="family")
    assert "cosh" in never_reached(page, "never-builtins")
    assert "sinh" not in never_reached(page, "never-builtins")
    assert "loop" in never_reached(page, "never-families")
    # written/compared: three cases carry counts (8 written, 7 compared each); seed 4 does not
    assert "21 of 24 written elements compared (87.50%)" in page
    assert "1 case(s) carry no written/compared counts" in page
    # the finding: observed vs expected of the differing array, seed named
    assert "mismatch at judge" in page and "(seed 2)" in page and "<td>7.5</td>" in page
    assert {p.name for p in pngs.iterdir()} >= {"coverage.png", "verdicts_family.png", "throughput.png"}
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs.iterdir())
    assert "http://" not in page and "https://" not in page and "<script" not in page


def test_cell_check_can_say_no(store_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    assert main(["report", str(store_run), "--out", str(out)]) == 0
    page = out.read_text()
    with pytest.raises(AssertionError, match="expected"):
        check_cell(page, "sinh", 2, 2)
    with pytest.raises(AssertionError, match="expected"):
        check_cell(page, "sinh", 1, 1)
    forged = page.replace('data-name="sinh" data-used="2"', 'data-name="sinh" data-used="3"')
    assert forged != page
    with pytest.raises(AssertionError, match="shows"):
        cell_counts(forged, "sinh")
    assert "sinh" not in never_reached(page, "never-builtins")


def test_coverage_png(store_run: Path, tmp_path: Path) -> None:
    from fuzz.report import coverage_png

    path = coverage_png([str(store_run)], str(tmp_path / "card" / "coverage.png"))
    assert Path(path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_usage_errors(store_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cases = [
        (["report", str(tmp_path / "nope")], "no such directory"),
        (["report", str(tmp_path)], "no campaign.db"),
        (["report", str(store_run), "--out", str(tmp_path)], "is a directory"),
    ]
    for argv, said in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and said in err[0], err


# ---- a real campaign in a real browser ------------------------------------------------------
def _browser_or_skip():  # type: ignore[no-untyped-def]
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install -e '.[test]')")
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} missing: apt-get update && apt-get install -y chromium")
    return sync_playwright


def _open(browser, path: Path, shot: Path | None = None) -> tuple[object, list[str], list[str]]:  # type: ignore[no-untyped-def]
    """Load the page: (page, console and page errors, requested URLs other than the file itself)."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    foreign: list[str] = []
    url = path.resolve().as_uri()
    page.on("console", lambda m: errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    page.on(
        "request", lambda r: foreign.append(r.url) if r.url != url and not r.url.startswith("data:") else None
    )
    page.goto(url, wait_until="load")
    page.wait_for_timeout(300)
    if shot is not None:
        page.screenshot(path=str(shot), full_page=True)
    return page, errors, foreign


@pytest.mark.slow
def test_real_campaign_report_in_chromium(tmp_path: Path) -> None:
    sync_playwright = _browser_or_skip()
    run = tmp_path / "run"
    cmd = [sys.executable, "-m", "fuzz", "--budget", "2m", "--max-kernels", "8", "--workers", "1", "--batch", "4",
           "--no-backward", "--no-reduce", "--no-progress", "--out", str(run)]  # fmt: skip
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True, timeout=300)
    out = tmp_path / "report.html"
    assert main(["report", str(run), "--out", str(out)]) == 0
    shot = tmp_path / "report.png"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page, errors, foreign = _open(browser, out, shot)
            for s in SECTIONS:
                assert page.locator(f"section#{s}").count() == 1, s  # type: ignore[attr-defined]
            assert page.locator("section#coverage img").count() >= 1  # type: ignore[attr-defined]
            assert page.evaluate("[...document.images].every(i => i.complete && i.naturalWidth > 0)")  # type: ignore[attr-defined]
            assert errors == [], errors
            assert foreign == [], foreign
            # the same checks catch a page that errs or reaches out
            bad = tmp_path / "bad.html"
            bad.write_text(
                out.read_text().replace(
                    "</body>",
                    '<img src="http://example.invalid/x.png"><script>console.error("planted")</script></body>',
                )
            )
            _, bad_errors, bad_foreign = _open(browser, bad)
            assert any("planted" in e for e in bad_errors), bad_errors
            assert bad_foreign == ["http://example.invalid/x.png"], bad_foreign
        finally:
            browser.close()
    assert shot.stat().st_size > 10_000
    artifacts = os.environ.get("WARPFUZZ_ARTIFACTS")
    if artifacts:
        os.makedirs(artifacts, exist_ok=True)
        shutil.copy(shot, os.path.join(artifacts, "report.png"))


def _finding_articles(page: str) -> list[str]:
    return page.split('<article class="finding"')[1:]


def test_new_findings_first_and_runs_merged(store_run: Path, tmp_path: Path) -> None:
    st = Store(str(store_run))
    try:  # a second session: a new signature (a mismatch through cos), the old one again
        sid = st.begin_session(60.0, ["--budget", "1m"], "1.19.0", ["cpu"])
        st.add_results(
            [_case(5, "elementwise", "mismatch", "cos"), _case(6, "unary", "mismatch", "sinh")], sid
        )
        st.update_session(sid, 5.0, 2, ended=True)
    finally:
        st.close()
    out = tmp_path / "report.html"
    assert main(["report", str(store_run), "--out", str(out)]) == 0
    arts = _finding_articles(out.read_text())
    assert len(arts) == 2
    assert "(seed 5)" in arts[0] and "badge new" in arts[0]  # first seen in the latest session
    assert "(seed 2)" in arts[1] and "seen before" in arts[1] and "2 case(s)" in arts[1]
    # the same run twice (another folder of the same name): each finding names both runs
    other = tmp_path / "copy" / "run"
    shutil.copytree(store_run, other)
    assert main(["report", str(store_run), str(other), "--out", str(out)]) == 0
    arts = _finding_articles(out.read_text())
    assert "(seed 2)" in arts[1] and "4 case(s)" in arts[1]
    assert "<td>run</td>" in arts[1] and "<td>copy/run</td>" in arts[1]


def test_saved_bisect_is_matched_to_its_folder(tmp_path: Path) -> None:
    from fuzz.report.findings import saved_bisects

    run = tmp_path / "run"
    folder = run / "corpus" / "7-mismatch"
    folder.mkdir(parents=True)
    rows = [{"version": "1.17.0", "status": "failing"}, {"version": "1.18.0", "status": "passing"}]
    result = {"seed_path": str(folder), "first_failing": "1.17.0", "last_failing": "1.17.0", "rows": rows}
    other = result | {"seed_path": str(run / "corpus" / "8-mismatch")}
    (run / "bisect.json").write_text(json.dumps([other, result]))
    assert saved_bisects(str(run), str(folder)) == [result]  # the run's list, matched by seed_path
    assert saved_bisects(str(run), str(run / "corpus" / "9-mismatch")) == []
    (folder / "bisect.json").write_text(json.dumps(result))
    assert saved_bisects(str(run), str(folder)) == [result, result]


def test_gradient_finding_shows_adjoint_vs_finite_differences(tmp_path: Path) -> None:
    run = tmp_path / "run"
    r = _case(9, "unary", "gradient_mismatch", "frac")
    r.stage, r.device = "gradient", "cpu"
    msg = "d(sum w*out)/da1[3]: Warp -0.25 vs finite differences -1.0 (|err| 0.75, tolerance 1e-05)"
    r.message = f"cpu backward: {msg}"
    r.gradient_check = [
        {
            "device": "cpu",
            "status": "mismatch",
            "message": msg,
            "where": "a1[3]",
            "error": 0.75,
            "tolerance": 1e-05,
        }
    ]
    st = Store(str(run))
    try:
        sid = st.begin_session(60.0, [], "1.19.0", ["cpu"])
        st.add_results([r], sid)
    finally:
        st.close()
    out = tmp_path / "report.html"
    assert main(["report", str(run), "--out", str(out)]) == 0
    art = _finding_articles(out.read_text())[0]
    assert "gradient_mismatch at gradient" in art
    assert "<td>a1[3]</td><td>-0.25</td><td>-1.0</td><td>0.75</td>" in art, art
