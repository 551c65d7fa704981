"""`servo-fargate report` on a sweep's records in Redis: the HTML page loads in headless
Chromium with its pictures rendered and fetches nothing; CSV and JSON exports match."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from producer.cli import main
from worker.contract.records import RecordStore

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--virtual-time-budget=5000")
# Appended to a copy of the page (the report itself holds no script): once loaded, write
# each image's decoded width into the DOM, where --dump-dom shows it.
PROBE = ('<script>window.addEventListener("load",()=>{const d=document.createElement("div");'
         'd.id="probe";d.textContent=[...document.images].map(i=>i.complete?i.naturalWidth:0).join(",");'
         "document.body.appendChild(d);});</script>")
STEPS = [  # settings, target (native units), p95 ms, status
    ({"cpu": 0.25, "mem": 0.5, "replicas": 2}, (256, 512, 2), 55.0, "succeeded"),
    ({"cpu": 0.25, "mem": 0.5, "replicas": 3}, (256, 512, 3), 40.0, "succeeded"),
    ({"cpu": 0.5, "mem": 1, "replicas": 2}, (512, 1024, 2), 36.0, "succeeded"),
    ({"cpu": 0.5, "mem": 1, "replicas": 3}, (512, 1024, 3), 38.0, "succeeded"),  # dominated
    ({"cpu": 0.25, "mem": 0.5, "replicas": 4}, (256, 512, 4), None, "rejected"),
]


OOM = ("task 1f2e stopped: Essential container in task exited (container web exit code 137: "
       "OutOfMemoryError: Container killed due to memory usage)")


def make_sweep(store: RecordStore) -> str:
    """Records as the pipeline leaves them: stage times, a measurement, a final status."""
    ids, t0 = [], time.time()
    for i, (settings, (cpu, mem, replicas), p95, status) in enumerate(STEPS):
        target = {"component": "web", "cpu": cpu, "memory": mem, "replicas": replicas, "env": {}}
        step_id = store.create_step("web", settings, target, {}, sweep_id="sweep1", index=i)["id"]
        start = t0 + 6 * i

        def change(rec: dict[str, Any], start: float = start, p95: float | None = p95) -> None:
            rec["created_at"] = start - 0.5
            rec["stages"] = {"adjust": {"start": start, "end": start + 0.4},
                             "settle": {"start": start + 0.4, "end": start + 3.0}}
            if p95 is not None:
                rec["stages"]["measure"] = {"start": start + 3.0, "end": start + 5.0}
                rec["measurement"] = {"metrics": {"time per request p95": {"value": p95},
                                                  "requests throughput": {"value": 400.0},
                                                  "error rate": {"value": 0.0}}}
        store.update(step_id, change)
        store.finish(step_id, status, reason=None if p95 else "start-failed",
                     message=None if p95 else OOM)
        ids.append(step_id)
    store.create_sweep(ids, name="report test", sweep_id="sweep1")
    return "sweep1"


@pytest.fixture
def report_dir(redis_db: Any, tmp_path: Path) -> Path:
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"fargate": {"web": {"service_name": "web"}}}))
    sweep = make_sweep(RecordStore(redis_db))  # type: ignore[arg-type]
    out = tmp_path / "report"
    assert main(["report", sweep, "--out", str(out), "--slo-p95", "45", "--config", str(config)]) == 0
    return out


def chromium(page: Path, profile: Path, netlog: Path) -> str:
    assert CHROMIUM is not None
    cmd = [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--log-net-log={netlog}",
           "--dump-dom", page.as_uri()]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=True).stdout


def page_requests(netlog: Path) -> list[str]:
    """URLs the page itself asked for (Chromium's own background requests carry no origin)."""
    log = json.loads(netlog.read_text())
    start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    starts = [e.get("params") or {} for e in log["events"] if e["type"] == start_job]
    return [p["url"] for p in starts if "url" in p and p.get("initiator") != "not an origin"]


def test_report_writes_html_csv_and_json_with_every_step(report_dir: Path) -> None:
    html = (report_dir / "report.html").read_text()
    assert html.count('src="data:image/png;base64,') == 2
    assert not re.search(r"(src|href)=\"(?!data:)", html)  # nothing to load but the page itself
    assert "http://" not in html and "https://" not in html and "<script" not in html
    rows = list(csv.DictReader((report_dir / "steps.csv").open()))
    assert [r["status"] for r in rows] == [s[3] for s in STEPS]
    assert float(rows[1]["cost_per_hour"]) == pytest.approx(0.0370275)
    assert [r["feasible"] for r in rows] == ["False", "True", "True", "True", ""]  # SLO 45
    exported = json.loads((report_dir / "steps.json").read_text())
    assert exported["slo_p95_ms"] == 45
    assert set(exported["steps"][0]["stages"]) == {"adjust", "settle", "measure"}
    pareto = html.split("Pareto front")[1].split("</ul>")[0]
    assert "replicas=3" in pareto and "cpu=0.5 mem=1 replicas=3" not in pareto  # dominated step left out


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium; "
                                             ".ci/run installs it)")
def test_the_report_loads_in_headless_chromium_images_render_and_nothing_is_fetched(
        report_dir: Path, tmp_path: Path) -> None:
    probed = tmp_path / "probed.html"
    probed.write_text((report_dir / "report.html").read_text().replace("</body>", PROBE + "</body>"))
    dom = chromium(probed, tmp_path / "profile", tmp_path / "netlog.json")
    widths = re.search(r'<div id="probe">([\d,]*)</div>', dom)
    assert widths, dom[-2000:]
    assert [int(w) > 0 for w in widths.group(1).split(",")] == [True, True]  # both PNGs decoded
    assert dom.count("<tr") == len(STEPS) + 1
    assert "cpu=0.25 mem=0.5 replicas=4</code>: rejected, start-failed: OutOfMemoryError, exit 137" in dom
    assert page_requests(tmp_path / "netlog.json") == []
    # The same check sees a page that does fetch something, so an empty list means something.
    leaky = tmp_path / "leaky.html"
    leaky.write_text('<!DOCTYPE html><img src="http://127.0.0.1:9/x.png">')
    chromium(leaky, tmp_path / "profile2", tmp_path / "netlog2.json")
    assert page_requests(tmp_path / "netlog2.json") == ["http://127.0.0.1:9/x.png"]


def test_the_latency_axis_is_fitted_to_the_data_and_the_slo() -> None:
    from producer.report_charts import y_range

    low, high = y_range([36.0, 38.0, 40.0, 55.0], 45.0)
    assert 30 < low < 36 and 55 < high < 60  # not from 0: the points fill the plot
    low, high = y_range([20.0, 22.0], 80.0)
    assert low < 20 and high > 80  # the SLO line is always inside
