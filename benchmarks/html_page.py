"""Does a big HTML page open and scroll without freezing? Load, scroll and filter timings in headless Chromium.

A generated MediaCrawler-shaped thread (text from ../shared/data's public evaluation sets, or made up without
it; never the dev exports) is spread over notes, translated with the random-weight fixture models (the real
Translator path, gibberish text of realistic length) and written twice:

  * baseline: the same originals and translations as a bare ``<ol>`` of ``<li>`` (no CSS, no script), the least
    a browser must do for this much text;
  * page: ``render_html``, the page ``xhs-translate translate -o x.html`` writes.

Each opens from a file in Debian's Chromium (driven by Playwright) at 1280x900. Measured in the page:
DOMContentLoaded, load and first contentful paint; long tasks (main-thread tasks over 50 ms, which is when a page
feels frozen) by a PerformanceObserver installed before the page's own script; total blocking time (the sum of
each long task's time over 50 ms), and the CPU time of the page's main thread, which a busy machine moves much
less than wall time. Then, on the page: scrolling 40 screens with every note collapsed and with
every note expanded (the worst frame), "Expand all", and the filter (a text query, first and again, a language,
clearing it), each from the event to the next painted frame. The text filter runs 120 ms after typing stops;
that wait is included. ``--repeats`` rounds, each in fresh tabs; the tables show medians. Times depend on the
machine and its load: compare the page with the baseline of the same run.

    python benchmarks/html_page.py [--comments 20000] [--per-note 6] [--size tiny] [--repeats 3] [--seed 0] [--keep DIR]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from html import escape
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import format_table, generate_thread, load_pools, machine_line
from testkit.chromium import CHROMIUM_ARGS, find_chromium

VIEWPORT = {"width": 1280, "height": 900}
SCROLL_SCREENS = 40

# Installed before any page script: collects long tasks and paint entries from the very start of the load.
OBSERVE = """
window.__longTasks = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) window.__longTasks.push({start: e.startTime, duration: e.duration});
}).observe({type: "longtask", buffered: true});
"""

LOAD_METRICS = """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const fcp = performance.getEntriesByName("first-contentful-paint")[0];
  return {dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd, fcp: fcp ? fcp.startTime : null,
          nodes: document.getElementsByTagName("*").length};
}"""

# Does one thing to a control (`click`, or sets its value and fires `input` / `change`) and resolves after the
# frame that follows was painted (a double requestAnimationFrame), with the time taken and the longest long task
# meanwhile. With `waitShown`, first waits for the filter to write its count into #shown (it rewrites the text
# node every time, so a MutationObserver sees it even when the count is the same).
TIMED = """async ([selector, event, value, waitShown]) => {
  const frame = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  await frame();
  let changed = false;
  const watch = new MutationObserver(() => { changed = true; });
  watch.observe(document.getElementById("shown"), {childList: true, characterData: true, subtree: true});
  const before = window.__longTasks.length, t0 = performance.now();
  const el = document.querySelector(selector);
  if (event === "click") el.click(); else { el.value = value; el.dispatchEvent(new Event(event)); }
  while (waitShown && !changed) await new Promise((r) => setTimeout(r, 2));
  watch.disconnect();
  await frame();
  const tasks = window.__longTasks.slice(before).map((t) => t.duration);
  return {ms: performance.now() - t0, longest: Math.max(0, ...tasks)};
}"""

SCROLL = """async (screens) => {
  const frame = () => new Promise((r) => requestAnimationFrame(r));
  window.scrollTo(0, 0);
  await frame(); await frame();
  const before = window.__longTasks.length;
  let last = performance.now(), worst = 0;
  const t0 = last;
  for (let i = 0; i < screens; i++) {
    window.scrollBy(0, innerHeight * 0.9);
    await frame();
    const now = performance.now();
    worst = Math.max(worst, now - last);
    last = now;
  }
  const tasks = window.__longTasks.slice(before).map((t) => t.duration);
  return {ms: last - t0, worst_frame: worst, long_tasks: tasks.length, longest: Math.max(0, ...tasks),
          height: document.documentElement.scrollHeight};
}"""


def spread_over_notes(thread: list[dict], per_note: float, seed: int) -> int:
    """Give each top-level comment a note (a new one every ``per_note`` comments on average) and each reply its
    parent's note, in place; returns the number of notes."""
    import numpy as np

    rng = np.random.default_rng(seed)
    note_of: dict[str, str] = {}
    notes = 0
    for c in thread:
        parent = c["parent_comment_id"]
        if parent and parent in note_of:
            c["note_id"] = note_of[parent]
        else:
            if notes == 0 or rng.random() < 1 / per_note:
                notes += 1
            c["note_id"] = f"6790{notes:020x}"
        note_of[c["comment_id"]] = c["note_id"]
    return notes


def translate(thread: list[dict], size: str, workdir: Path) -> list[dict]:
    from testkit.models import cached_package

    from xhs_translate import Translator
    from xhs_translate.models.install import install_package

    models = workdir / "models"
    for pair in (("zh", "en"), ("en", "zh")):
        install_package(cached_package(*pair, size=size), models)
    return Translator(models_dir=models, cache=False, errors="mark").translate_thread(thread)


def baseline_page(records: list[dict]) -> str:
    items = "".join(f"<li>{escape(str(r.get('content') or ''))}<br>{escape(str(r.get('translation') or ''))}</li>\n"
                    for r in records)
    return ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>baseline</title></head>'
            f"<body><ol>\n{items}</ol></body></html>\n")


def open_timed(browser, path: Path) -> tuple[object, dict]:
    """A fresh page on the file, with its load metrics and the long tasks of the load."""
    context = browser.new_context(viewport=VIEWPORT)
    context.add_init_script(OBSERVE)
    page = context.new_page()
    page.cdp = context.new_cdp_session(page)
    page.cdp.send("Performance.enable")
    page.errors = []
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_timeout(300)  # let the long-task observer deliver the load's entries
    metrics = page.evaluate(LOAD_METRICS)
    tasks = page.evaluate("window.__longTasks.map((t) => t.duration)")
    metrics.update(long_tasks=len(tasks), longest=max(tasks, default=0.0),
                   tbt=sum(max(0.0, t - 50) for t in tasks), cpu=cpu_ms(page))
    return page, metrics


def cpu_ms(page) -> float:
    """CPU time of the page's main thread so far (Chrome's ThreadTime): unlike wall time, it hardly moves when
    other processes share the machine."""
    metrics = page.cdp.send("Performance.getMetrics")["metrics"]
    return 1000 * next(m["value"] for m in metrics if m["name"] == "ThreadTime")


def with_cpu(page, step) -> dict:
    """``step()``'s result, plus the main thread's CPU time it took (``cpu``)."""
    before = cpu_ms(page)
    result = step()
    return {**result, "cpu": cpu_ms(page) - before}


def timed(page, selector: str, event: str, value: str = "", wait_shown: bool = False) -> dict:
    return page.evaluate(TIMED, [selector, event, value, wait_shown])


FILTERS = (
    ("text 'so cute', first use (builds the index)", "#q", "input", "so cute"),
    ("text 'hello', again", "#q", "input", "hello"),
    ("clear the text", "#q", "input", ""),
    ("language = en", "#lang", "change", "en"),
    ("language = all", "#lang", "change", ""),
)


def measure(browser, base_file: Path, page_file: Path) -> dict:
    """One round: the baseline's load and scroll, then the page's load, scroll, Expand all, scroll, filters."""
    base, m = open_timed(browser, base_file)
    out = {("baseline", k): v for k, v in m.items()}
    scrolled = with_cpu(base, lambda: base.evaluate(SCROLL, SCROLL_SCREENS))
    out.update({("baseline scroll", k): v for k, v in scrolled.items()})
    base.context.close()
    page, m = open_timed(browser, page_file)
    out.update({("page", k): v for k, v in m.items()})
    scroll = lambda: page.evaluate(SCROLL, SCROLL_SCREENS)  # noqa: E731
    out.update({("page scroll", k): v for k, v in with_cpu(page, scroll).items()})
    out.update({("expand", k): v for k, v in with_cpu(page, lambda: timed(page, "#expand", "click")).items()})
    out.update({("expanded scroll", k): v for k, v in with_cpu(page, scroll).items()})
    page.evaluate("window.scrollTo(0, 0)")
    for label, selector, event, value in FILTERS:
        step = lambda selector=selector, event=event, value=value: timed(  # noqa: E731
            page, selector, event, value, wait_shown=True)
        out.update({(label, k): v for k, v in with_cpu(page, step).items()})
        out[(label, "shown")] = page.inner_text("#shown") or "-"
    out[("page", "errors")] = page.errors
    page.context.close()
    return out


def median_of(rounds: list[dict]) -> dict:
    """Each number's median over the rounds; anything else from the last round."""
    return {key: statistics.median(r[key] for r in rounds) if isinstance(value, (int, float)) else value
            for key, value in rounds[-1].items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=20_000, help="comments on the page (default %(default)s)")
    parser.add_argument("--per-note", type=float, default=6.0,
                        help="top-level comments per note on average (default %(default)s; a real export: 5.6)")
    parser.add_argument("--size", choices=("tiny", "base"), default="tiny", help="fixture model size")
    parser.add_argument("--repeats", type=int, default=3,
                        help="rounds in fresh tabs; medians shown (default %(default)s)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, default=None, help="write the two pages into this folder and keep them")
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    from xhs_translate.html import render_html

    browser_path = find_chromium()
    if browser_path is None:
        sys.exit("no Chromium binary: apt-get install chromium, or set XHS_TRANSLATE_CHROMIUM")
    workdir = Path(tempfile.mkdtemp(prefix="xhs-html-bench-"))
    try:
        pools = load_pools(seed=args.seed)
        thread = generate_thread(args.comments, seed=args.seed, pools=pools)
        notes = spread_over_notes(thread, args.per_note, args.seed)
        t0 = time.perf_counter()
        records = translate(thread, args.size, workdir)
        translate_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        page_html = render_html(records, title=f"{len(records):,} generated comments")
        render_s = time.perf_counter() - t0
        out = args.keep or workdir
        out.mkdir(parents=True, exist_ok=True)
        page_file, base_file = out / "page.html", out / "baseline.html"
        page_file.write_text(page_html, encoding="utf-8")
        base_file.write_text(baseline_page(records), encoding="utf-8")
        sizes = {f: f.stat().st_size / 2**20 for f in (page_file, base_file)}
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=browser_path, args=CHROMIUM_ARGS)
            rounds = [measure(browser, base_file, page_file) for _ in range(args.repeats)]
            browser.close()
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)

    m = median_of(rounds)
    errors = [e for r in rounds for e in r[("page", "errors")]]
    print(f"machine: {machine_line()}; Chromium {browser_path}")
    print(f"thread: {len(records):,} comments on {notes:,} notes (text from {pools.source} pools, seed {args.seed}); "
          f"translated with the {args.size} fixture models in {translate_s:.1f} s; render_html {render_s:.2f} s")
    print(f"page: {sizes[page_file]:.1f} MiB, {m[('page', 'nodes')]:,.0f} elements; baseline: "
          f"{sizes[base_file]:.1f} MiB, {m[('baseline', 'nodes')]:,.0f} elements; medians of {args.repeats} rounds\n")
    rows = []
    for name, load, scroll in (("baseline (bare list)", "baseline", "baseline scroll"), ("page", "page", "page scroll"),
                               ("page, every note expanded", None, "expanded scroll")):
        keys = ("dcl", "load", "fcp", "long_tasks", "longest", "tbt", "cpu")
        cells = [f"{m[(load, k)]:.0f}" if m[(load, k)] is not None else "-" for k in keys] if load else [""] * 7
        rows.append([name, *cells, f"{m[(scroll, 'worst_frame')]:.0f}", f"{m[(scroll, 'long_tasks')]:.0f}",
                     f"{m[(scroll, 'cpu')]:.0f}"])
    print(format_table(["page", "DOMContentLoaded ms", "load ms", "first paint ms", "long tasks", "longest ms",
                        "blocking ms", "CPU ms", f"worst frame, {SCROLL_SCREENS} screens ms", "long tasks scrolling",
                        "CPU scrolling ms"], rows))
    ratio = lambda k: f"{m[('page', k)] / m[('baseline', k)]:.2f}x" if m[("baseline", k)] else "-"  # noqa: E731
    print(f"\npage/baseline: load {ratio('load')}, first paint {ratio('fcp')}, load CPU {ratio('cpu')}; "
          f"\"Expand all\" to painted: {m[('expand', 'ms')]:.0f} ms (longest task {m[('expand', 'longest')]:.0f} ms, "
          f"CPU {m[('expand', 'cpu')]:.0f} ms)\n")
    print(format_table(["filter", "to painted ms", "longest task ms", "CPU ms", "shown"],
                       [[label, f"{m[(label, 'ms')]:.0f}", f"{m[(label, 'longest')]:.0f}", f"{m[(label, 'cpu')]:.0f}",
                         m[(label, "shown")]] for label, *_ in FILTERS]))
    print(f"\nconsole errors on the page: {len(errors)}" + (f": {errors[:3]}" if errors else ""))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
