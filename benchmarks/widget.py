"""The widget's budgets, measured in a real Chromium: size, load cost, streaming cost.

    python benchmarks/widget.py              # the full run: a 2,000-token reply at 100 tokens/s
    python benchmarks/widget.py --tokens 300 # a short form (what CI runs)

Prints, against the budgets (issue 14):
- widget.js gzipped as the BFF sends it (what every page pays at load): at most 8 KB; with the
  conversation UI it loads on intent (the chunk): at most 32 KB;
- script evaluation at load: Chrome's EvaluateScript trace event for
  widget.js, median of several loads: at most 4 ms of main-thread CPU time
  (its wall time is printed too; on a busy machine it counts waiting for a CPU);
- how long a click on the launcher takes to show the panel (to the first
  frame that has it), median of several: at most 100 ms when the chunk was
  fetched on intent (a pointer over the launcher), at most 300 ms from a cold
  cache (a fresh browser context, clicked before anything else loaded);
- main-thread time per streamed token, and every long task seen (none over 50 ms).

The markdown scenarios stream three replies into the real renderer (with the
widget's styles, in a shadow root), one token per task, and time each token
including the layout it causes: a 2,000-token reply, a 300-row table and a
500-line code block. Each token's cost is its task's main-thread CPU time
from Chrome's trace (not wall time, which a busy machine inflates at random).
Budgets: a late token costs at most 1.5x an early one (the mean of tokens
50-250 against the mean of the last 400: wide enough to hold several of a
long table's row groups), and no token, nor the final render, takes over 50 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bff.emulator.composer import long_reply  # noqa: E402
from bff.emulator.tokenizer import stream_pieces  # noqa: E402
from bff.page_templates import STATIC_DIR  # noqa: E402
from bff.widget_asset import compressed  # noqa: E402
from e2e.stack import CHROMIUM_ARGS, chromium_executable, running_stack  # noqa: E402

BUDGET_EAGER_GZIP = 8 * 1024
BUDGET_TOTAL_GZIP = 32 * 1024
BUDGET_EVAL_MS = 4.0
BUDGET_OPEN_WARM_MS = 100.0
BUDGET_OPEN_COLD_MS = 300.0
BUDGET_LONG_TASK_MS = 50.0
BUDGET_LATE_TOKEN_RATIO = 1.5

# Milliseconds from a click on the launcher to the first animation frame with
# the panel shown. CLICK_AT_LOAD clicks as soon as the launcher exists, before
# the widget fetched anything on its own, and resolves window.__openMs.
MEASURE_OPEN = """
window.__measureOpen = () => new Promise((resolve) => {
  const root = document.querySelector("repchat-widget").shadowRoot;
  const start = performance.now();
  root.querySelector(".launcher").click();
  const check = () => {
    const panel = root.querySelector(".panel");
    if (panel && !panel.hidden) resolve(performance.now() - start);
    else requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
});
"""
CLICK_AT_LOAD = MEASURE_OPEN + """
window.__openMs = new Promise((resolve) => {
  const watch = new MutationObserver(() => {
    const host = document.querySelector("repchat-widget");
    if (!host || !host.shadowRoot) return;
    watch.disconnect();
    window.__measureOpen().then(resolve);
  });
  watch.observe(document, { childList: true, subtree: true });
});
"""

OBSERVE_LONG_TASKS = """
window.__longTasks = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) window.__longTasks.push(entry.duration);
}).observe({ type: "longtask", buffered: true });
"""


def evaluate_ms(trace: dict | list) -> tuple[float, float]:
    """Milliseconds Chrome spent evaluating widget.js, from a timeline trace: wall
    time (`dur`) and the main thread's CPU time (`tdur`). On a busy machine the
    wall time also counts waiting for a CPU; the CPU time is the script's own cost."""
    events = trace["traceEvents"] if isinstance(trace, dict) else trace
    evaluations = [
        event
        for event in events
        if event.get("name") == "EvaluateScript"
        and event.get("args", {}).get("data", {}).get("url", "").endswith("/widget.js")
    ]
    return (
        sum(event["dur"] for event in evaluations) / 1000,
        sum(event.get("tdur", event["dur"]) for event in evaluations) / 1000,
    )


def metrics(cdp) -> dict[str, float]:
    return {item["name"]: item["value"] for item in cdp.send("Performance.getMetrics")["metrics"]}


def run(tokens: int, rate: float, loads: int, browser: Browser | None = None) -> dict[str, object]:
    """Measure; uses `browser` if given (a test's), else launches Chromium."""
    if browser is None:
        with sync_playwright() as playwright:
            launched = playwright.chromium.launch(executable_path=chromium_executable(playwright), args=CHROMIUM_ARGS)
            try:
                return run(tokens, rate, loads, launched)
            finally:
                launched.close()
    return _measure(tokens, rate, loads, browser)


def _measure(tokens: int, rate: float, loads: int, browser: Browser) -> dict[str, object]:
    widget = (STATIC_DIR / "widget.js").read_bytes()
    chunk = (STATIC_DIR / "widget-chunk.js").read_bytes()
    results: dict[str, object] = {
        "widget_bytes": len(widget),
        # As the BFF sends them (bff/widget_asset.py): gzip by zopfli.
        "widget_gzip_bytes": len(compressed(widget)[0]),
        "chunk_gzip_bytes": len(compressed(chunk)[0]),
        "total_brotli_bytes": len(compressed(widget)[1]) + len(compressed(chunk)[1]),
        "machine_load": round(os.getloadavg()[0], 1),
    }
    results["total_gzip_bytes"] = results["widget_gzip_bytes"] + results["chunk_gzip_bytes"]  # type: ignore[operator]
    with running_stack(token_gap=1.0 / rate) as stack:
        host = stack.host
        load_times: list[tuple[float, float]] = []
        for _ in range(loads):
            page = browser.new_page()
            browser.start_tracing(page=page, categories=["devtools.timeline"])
            page.goto(host)
            page.locator("repchat-widget .launcher").wait_for()
            load_times.append(evaluate_ms(json.loads(browser.stop_tracing())))
            page.close()
        wall = [elapsed for elapsed, _ in load_times]
        cpu = [own for _, own in load_times]
        results["script_ms_at_load_median"] = round(statistics.median(wall), 2)
        results["script_ms_at_load_max"] = round(max(wall), 2)
        results["script_cpu_ms_at_load_median"] = round(statistics.median(cpu), 2)
        results["script_cpu_ms_at_load_max"] = round(max(cpu), 2)
        results.update(_open_latency(browser, host, loads))

        page = browser.new_page()
        page.add_init_script(OBSERVE_LONG_TASKS)
        cdp = page.context.new_cdp_session(page)
        cdp.send("Performance.enable")
        page.goto(host)
        page.locator("repchat-widget .launcher").click()
        page.evaluate("window.__longTasks = []")
        before = metrics(cdp)
        box = page.locator("repchat-widget textarea")
        box.fill(f"Tell me everything [[fault: words={tokens}]]")
        box.press("Enter")
        bubble = page.locator("repchat-widget .msg.bot").last
        bubble.wait_for()
        page.wait_for_function(
            "() => { const b = [...document.querySelector('repchat-widget').shadowRoot.querySelectorAll('.msg.bot')].pop();"
            " return b && !b.hasAttribute('aria-busy') && !b.querySelector('.typing'); }",
            timeout=(tokens / rate + 60) * 1000,
        )
        after = metrics(cdp)
        busy = sum(after[name] - before[name] for name in ("ScriptDuration", "LayoutDuration", "RecalcStyleDuration"))
        long_tasks = page.evaluate("window.__longTasks")
        results["tokens"] = tokens
        results["tokens_per_second"] = rate
        results["main_thread_ms_per_token"] = round(busy * 1000 / tokens, 3)
        results["long_tasks_ms"] = [round(value, 1) for value in long_tasks]
        results["longest_task_ms"] = round(max(long_tasks, default=0.0), 1)
        page.close()
    results["markdown"] = markdown_scenarios(browser, tokens, repeats=3 if tokens >= 2000 else 1)
    results["within_budget"] = (
        results["widget_gzip_bytes"] <= BUDGET_EAGER_GZIP
        and results["total_gzip_bytes"] <= BUDGET_TOTAL_GZIP  # type: ignore[operator]
        and results["script_cpu_ms_at_load_median"] <= BUDGET_EVAL_MS
        and results["open_warm_ms_median"] <= BUDGET_OPEN_WARM_MS  # type: ignore[operator]
        and results["open_cold_ms_median"] <= BUDGET_OPEN_COLD_MS  # type: ignore[operator]
        and results["longest_task_ms"] <= BUDGET_LONG_TASK_MS
        and all(row["within_budget"] for row in results["markdown"])
    )
    return results


def _open_latency(browser: Browser, host: str, loads: int) -> dict[str, float]:
    """Click-to-panel times: after a pointer over the launcher fetched the chunk, and from a cold cache."""
    warm, cold = [], []
    for _ in range(loads):
        context = browser.new_context()  # a fresh context: nothing cached
        page = context.new_page()
        page.add_init_script(CLICK_AT_LOAD)
        page.goto(host)
        cold.append(page.evaluate("window.__openMs"))
        context.close()
        context = browser.new_context()
        page = context.new_page()
        page.add_init_script(MEASURE_OPEN)
        page.goto(host)
        page.locator("repchat-widget .launcher").hover()
        page.locator("repchat-widget[data-ready]").wait_for(state="attached")
        warm.append(page.evaluate("window.__measureOpen()"))
        context.close()
    return {
        "open_warm_ms_median": round(statistics.median(warm), 1),
        "open_warm_ms_max": round(max(warm), 1),
        "open_cold_ms_median": round(statistics.median(cold), 1),
        "open_cold_ms_max": round(max(cold), 1),
    }


def report(results: dict[str, object]) -> str:
    return "\n".join(
        [
            f"widget.js, gzipped        {results['widget_gzip_bytes']:>8} bytes at load (budget {BUDGET_EAGER_GZIP})",
            f"with the chunk, gzipped   {results['total_gzip_bytes']:>8} bytes (budget {BUDGET_TOTAL_GZIP};"
            " peers 82 KB to 456 KB)",
            f"  the same, brotli        {results['total_brotli_bytes']:>8} bytes (what browsers that accept it get)",
            f"script evaluation at load {results['script_cpu_ms_at_load_median']:>8} ms median main-thread CPU,"
            f" {results['script_cpu_ms_at_load_max']} ms max (budget {BUDGET_EVAL_MS} ms)",
            f"  the same, wall time     {results['script_ms_at_load_median']:>8} ms median,"
            f" {results['script_ms_at_load_max']} ms max (counts waiting for a CPU on a busy machine)",
            f"open, chunk fetched       {results['open_warm_ms_median']:>8} ms median,"
            f" {results['open_warm_ms_max']} ms max (budget {BUDGET_OPEN_WARM_MS} ms)",
            f"open, cold cache          {results['open_cold_ms_median']:>8} ms median,"
            f" {results['open_cold_ms_max']} ms max (budget {BUDGET_OPEN_COLD_MS} ms)",
            f"streaming                 {results['tokens']:>8} tokens at {results['tokens_per_second']}/s",
            f"main thread per token     {results['main_thread_ms_per_token']:>8} ms",
            f"long tasks                {len(results['long_tasks_ms']):>8} seen, longest {results['longest_task_ms']} ms"
            f" (budget {BUDGET_LONG_TASK_MS} ms)",
            *markdown_report(results["markdown"]),
            f"machine load              {results['machine_load']:>8} (1-minute load average over {os.cpu_count()} CPUs:"
            " timings stretch with it)",
            f"within budget             {str(results['within_budget']):>8}",
        ]
    )


# The markdown renderer and the widget's styles, exposed for the scenarios below.
MARKDOWN_ENTRY = """
export { createRenderer } from "./markdown.js";
export { applyBaseStyles, applyPanelStyles } from "./styles.js";
"""

STREAM_INTO_BUBBLE = """async (tokens) => {
  const { createRenderer, applyBaseStyles, applyPanelStyles } = window.RepchatMarkdown;
  const host = document.body.appendChild(document.createElement("div"));
  const root = host.attachShadow({ mode: "open" });
  applyBaseStyles(root);
  applyPanelStyles(root);
  const panel = root.appendChild(document.createElement("section"));
  panel.className = "panel";
  const log = panel.appendChild(document.createElement("div"));
  log.className = "log";
  const bubble = log.appendChild(document.createElement("div"));
  bubble.className = "msg bot";
  const renderer = createRenderer(document, bubble);
  const channel = new MessageChannel();
  const nextTask = () => new Promise((resolve) => { channel.port1.onmessage = resolve; channel.port2.postMessage(0); });
  const times = [];
  for (const token of tokens) {
    await nextTask(); // each token in its own task, as network chunks arrive
    performance.mark("repchat-token");
    renderer.append(token);
    renderer.render();
    void bubble.offsetHeight; // the layout the token causes counts too
  }
  await nextTask();
  performance.mark("repchat-finish");
  renderer.finish();
  void bubble.offsetHeight;
  return bubble.children.length;
}"""


def task_cpu_ms(trace: dict | list, mark: str) -> list[float]:
    """Main-thread CPU ms of each task in which `mark` was made, in order, from a Chrome trace."""
    events = trace["traceEvents"] if isinstance(trace, dict) else trace
    marks = sorted((e["ts"], e["pid"], e["tid"]) for e in events if e.get("name") == mark)
    tasks: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
    for e in events:
        if e.get("name") == "ThreadControllerImpl::RunTask" and "tdur" in e:
            tasks.setdefault((e["pid"], e["tid"]), []).append((e["ts"], e["ts"] + e["dur"], e["tdur"]))
    result = []
    for ts, pid, tid in marks:
        enclosing = [tdur for start, end, tdur in tasks.get((pid, tid), []) if start <= ts <= end]
        result.append(min(enclosing, default=0) / 1000)  # the innermost task
    return result


def markdown_bundle() -> str:
    """The renderer and styles as one script (esbuild, as the widget's build uses)."""
    widget = ROOT / "widget"
    result = subprocess.run(
        [str(widget / "node_modules" / ".bin" / "esbuild"), "--bundle", "--minify", "--format=iife",
         "--global-name=RepchatMarkdown", "--loader=js", f"--sourcefile={widget / 'src' / 'bench-entry.js'}"],
        input=MARKDOWN_ENTRY, capture_output=True, text=True, check=True, cwd=widget / "src",
    )
    return result.stdout


def markdown_replies(tokens: int) -> dict[str, list[str]]:
    """The scenarios' replies, cut into the pieces the emulator streams.

    The full run (2,000 tokens) has a 300-row table and a 500-line code block;
    shorter runs shrink them in proportion (CI's short form).
    """
    scale = min(1.0, tokens / 2000)
    table_rows, code_lines_count = max(20, int(300 * scale)), max(30, int(500 * scale))
    rows = "\n".join(
        f"| {n} | Plan {n} | ${n * 3}.00 | {'yes' if n % 2 else 'no'} | note {n} |" for n in range(1, table_rows + 1)
    )
    table = "| # | Plan | Price | Annual | Notes |\n|--:|:--|--:|:-:|---|\n" + rows + "\n"
    code_lines = "\n".join(
        f"    total_{n} = compute(values[{n}], weight={n % 7}) + offset  # line {n}" for n in range(1, code_lines_count + 1)
    )
    code = "```python\ndef report(values, offset):\n" + code_lines + "\n```\n"
    return {"reply": stream_pieces(long_reply(tokens)), "table": stream_pieces(table), "code": stream_pieces(code)}


def token_cost(times: list[float], start: int, end: int) -> float:
    """Mean ms per token over times[start:end] (all of them: a costly token every so often counts)."""
    window = times[start:end]
    return sum(window) / len(window)


def markdown_scenarios(browser: Browser, tokens: int, repeats: int = 3) -> list[dict[str, object]]:
    """Per-token cost, early against late, and the longest token, for each markdown scenario."""
    bundle = markdown_bundle()
    rows = []
    for name, pieces in markdown_replies(tokens).items():
        early, late, longest, finish = [], [], [], []
        for _ in range(repeats):
            page = browser.new_page()
            page.set_content("<!doctype html><html><body></body></html>")
            page.add_script_tag(content=bundle)
            browser.start_tracing(page=page, categories=["toplevel", "blink.user_timing"])
            page.evaluate(STREAM_INTO_BUBBLE, pieces)
            trace = json.loads(browser.stop_tracing())
            page.close()
            times = task_cpu_ms(trace, "repchat-token")
            early.append(token_cost(times, 50, 250))
            late.append(token_cost(times, len(times) - 400, len(times)))
            longest.append(max(times))
            finish.append(max(task_cpu_ms(trace, "repchat-finish")))
        row: dict[str, object] = {
            "scenario": name,
            "tokens": len(pieces),
            "early_ms_per_token": round(statistics.median(early), 4),
            "late_ms_per_token": round(statistics.median(late), 4),
            "longest_token_ms": round(max(longest), 2),
            "finish_ms": round(max(finish), 2),
        }
        row["late_to_early"] = round(float(row["late_ms_per_token"]) / max(float(row["early_ms_per_token"]), 1e-6), 2)
        row["within_budget"] = (
            float(row["late_to_early"]) <= BUDGET_LATE_TOKEN_RATIO
            and max(float(row["longest_token_ms"]), float(row["finish_ms"])) <= BUDGET_LONG_TASK_MS
        )
        rows.append(row)
    return rows


def markdown_report(rows: list[dict[str, object]]) -> list[str]:
    lines = [f"markdown, per token       (budget: late <= {BUDGET_LATE_TOKEN_RATIO}x early, none over {BUDGET_LONG_TASK_MS} ms)"]
    for row in rows:
        lines.append(
            f"  {row['scenario']:<7} {row['tokens']:>6} tokens: early {row['early_ms_per_token']:.4f} ms,"
            f" late {row['late_ms_per_token']:.4f} ms ({row['late_to_early']}x), longest {row['longest_token_ms']} ms,"
            f" finish {row['finish_ms']} ms"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokens", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=100.0, help="tokens per second")
    parser.add_argument("--loads", type=int, default=7, help="page loads to time")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    results = run(args.tokens, args.rate, args.loads)
    print(json.dumps(results, indent=2) if args.json else report(results))
    return 0 if results["within_budget"] else 1


if __name__ == "__main__":
    sys.exit(main())
