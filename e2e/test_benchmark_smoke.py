"""The widget benchmark's short form: figures printed for the record, only the sizes asserted."""

import pytest

from benchmarks.widget import BUDGET_EAGER_GZIP, BUDGET_TOTAL_GZIP, report, run

pytestmark = pytest.mark.e2e


def test_widget_benchmark_short_form(browser, capsys):
    results = run(tokens=300, rate=200, loads=3, browser=browser)
    with capsys.disabled():
        print("\n" + report(results))
    assert results["widget_gzip_bytes"] <= BUDGET_EAGER_GZIP
    assert results["total_gzip_bytes"] <= BUDGET_TOTAL_GZIP
    assert results["open_cold_ms_median"] > 0 and results["open_warm_ms_median"] > 0
    assert results["tokens"] == 300 and results["main_thread_ms_per_token"] > 0
