"""reports/index.html as the front page: titles, headlines, analyst runs apart, escaped, atomic."""

from __future__ import annotations

import datetime as dt
import threading

from brief_helpers import fake_run, pricing_metrics, store_metrics

from luckin_lab.reporting.index import write_index

NOW = dt.datetime.now(dt.UTC)
EVIL = "x'><img src=x onerror=alert(1)>"  # a run name (no slash: it is a folder name)


def test_front_page_shows_titles_headlines_and_analyst_runs_apart(tmp_path):
    fake_run(tmp_path, "price_elasticity", "demo", NOW, pricing_metrics(800.0, 100.0, 1500.0),
             data_window="2025-09-01 to 2026-02-13")
    fake_run(tmp_path, "store_trends", "weekly", NOW, store_metrics())
    fake_run(tmp_path, "price_elasticity", "generic_example", NOW, pricing_metrics(1.0, 0.5, 2.0),
             audience="analyst")
    page = write_index(tmp_path).read_text()
    leadership, analyst = page.split("<h2>Analyst runs</h2>")
    assert "Menu prices" in leadership and "Store sales" in leadership
    assert "Apply the recommended prices: margin rises." in leadership
    assert "$800" in leadership and "2026-02-13" in leadership
    assert "$4,147" in leadership and "(revenue)" in leadership  # revenue is never called profit
    assert "generic_example" in analyst and "generic_example" not in leadership


def test_a_hostile_run_name_is_escaped_everywhere(tmp_path):
    fake_run(tmp_path, "store_trends", EVIL, NOW, store_metrics())
    page = write_index(tmp_path).read_text()
    assert "<img" not in page and "onerror=alert(1)>" not in page
    assert "x&#x27;&gt;&lt;img src=x onerror=alert(1)&gt;" in page  # shown, as text
    assert "href='store_trends/x%27%3E%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E/latest/" in page


def test_readers_never_see_a_partial_index(tmp_path):
    for i in range(30):
        fake_run(tmp_path, "store_trends", f"run{i}", NOW - dt.timedelta(minutes=i), store_metrics())
    write_index(tmp_path)
    path, stop, torn = tmp_path / "index.html", threading.Event(), []

    def read() -> None:
        while not stop.is_set():
            text = path.read_text()
            if not text.endswith("</html>\n"):
                torn.append(len(text))

    readers = [threading.Thread(target=read) for _ in range(2)]
    for t in readers:
        t.start()
    for _ in range(15):
        write_index(tmp_path)
    stop.set()
    for t in readers:
        t.join()
    assert torn == []
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
