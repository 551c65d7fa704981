"""apache bench, without running it: the command line, the report parser and the merge of
several parallel processes' results.

Everything here is pure; `worker.load.abrun` is the one place that starts processes.
"""

from __future__ import annotations

import math
import os
import re
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from urllib.parse import urlsplit, urlunsplit

from worker.contract.config import AbConfig
from worker.contract.errors import ConfigError, MeasurementFailed

AB = "ab"
REDACTED = "***"
PERCENTS = tuple(range(101))  # the rows of ab's -e CSV: 0..100, 100 being the longest request
NAMED_PERCENTILES = (50, 66, 75, 80, 90, 95, 98, 99)  # the rows of ab's own text table

_LINE = re.compile(r"^([A-Za-z][A-Za-z0-9 \-]*?):\s+(.*?)\s*$", re.MULTILINE)
_BREAKDOWN = re.compile(
    r"\(Connect: (\d+), Receive: (\d+), Length: (\d+), Exceptions: (\d+)\)")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_DONE = re.compile(r"\.done$", re.MULTILINE)


@dataclass(frozen=True)
class AbResult:
    """One apache bench report (or several merged). Times in ms unless named `_s`."""

    requests_per_second: float
    time_per_request_ms: float  # mean latency: ab's "Time per request (mean)"
    time_per_request_all_ms: float  # ab's "(mean, across all concurrent requests)"
    time_taken_s: float
    complete: int
    concurrency: int = 0
    failed: int = 0  # ab's "Failed requests", which leaves out Non-2xx and write errors
    connect_errors: int = 0
    receive_errors: int = 0
    length_errors: int = 0
    exceptions: int = 0
    non_2xx: int = 0
    write_errors: int = 0
    keepalive: int = 0
    bytes_transferred: int = 0
    length_checked: bool = True  # False when ab ran with -l ("Document Length: Variable")
    interrupted: bool = False  # stopped by SIGINT before its time or request limit
    percentiles_ms: tuple[float, ...] = field(default=())  # index = percent, 0..100

    @property
    def errors(self) -> int:
        """Requests that did not get a good answer.

        Non-2xx + Connect + Receive + Exceptions + write errors, plus Length only when ab
        checked lengths (without -l every response unlike the first counts as Length).
        ab counts a failed send ("Write errors") outside "Failed requests"; it is an error.
        """
        length = self.length_errors if self.length_checked else 0
        return (self.non_2xx + self.connect_errors + self.receive_errors + self.exceptions
                + self.write_errors + length)

    @property
    def error_rate(self) -> float:
        """errors / complete requests, 0..1 (ab can count one request in two columns)."""
        if self.complete <= 0:
            return 1.0 if self.errors else 0.0
        return min(1.0, self.errors / self.complete)

    def percentile(self, percent: int) -> float | None:
        """Latency in ms within which `percent`% of requests were served (100 = longest)."""
        if not self.percentiles_ms:
            return None
        return self.percentiles_ms[percent]


def normalize_url(url: str) -> str:
    """The URL with a path: ab rejects `http://host:port` without the trailing slash."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError([f"ab.url: {url!r} is not an http:// or https:// URL with a host"])
    if parts.username or parts.password:
        raise ConfigError(["ab.url: credentials in the URL are not allowed; use ab.auth, which "
                           "names environment variables"])
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))


def ab_command(
    cfg: AbConfig, *, csv_path: str, duration: float | None = None, concurrency: int | None = None,
    environ: Mapping[str, str] = os.environ,
) -> list[str]:
    """The argument list for one ab process.

    Args:
        cfg: the `ab:` config; `cfg.url` must be set.
        csv_path: where ab writes its -e percentile CSV.
        duration: seconds to run (default `cfg.duration`); a warmup passes its own.
        concurrency: this process's share of `cfg.concurrency` (default all of it).
        environ: where the basic auth variables named in `cfg.auth` are read.

    Returns:
        `ab` and its arguments, ready for subprocess without a shell. It may hold a
        password: log only `redact(command)`.
    """
    if not cfg.url:
        raise ConfigError(["ab.url: no target URL: set ab.url, $AB_TEST_URL or --url"])
    conc = cfg.concurrency if concurrency is None else concurrency
    seconds = cfg.duration if duration is None else duration
    cmd = [AB, "-q", "-l"]  # -l: dynamic pages vary in length; that is not a failure
    if cfg.keepalive:
        cmd.append("-k")
    cmd += ["-s", str(max(1, math.ceil(cfg.timeout))), "-c", str(conc)]
    # -t must come before -n: ab's -t resets the request cap to 50,000, so a later -n wins.
    cmd += ["-t", str(max(1, math.ceil(seconds))), "-n", str(max(cfg.requests, conc))]
    cmd += ["-e", csv_path]
    for header in cfg.headers:
        cmd += ["-H", header]
    if cfg.auth is not None:
        cmd += ["-A", _credentials(cfg, environ)]
    cmd.append(normalize_url(cfg.url))
    return cmd


def _credentials(cfg: AbConfig, environ: Mapping[str, str]) -> str:
    assert cfg.auth is not None
    missing = [name for name in (cfg.auth.username_env, cfg.auth.password_env) if not environ.get(name)]
    if missing:
        raise ConfigError([f"ab.auth: environment variable ${name} is not set" for name in missing])
    user = environ[cfg.auth.username_env]
    if ":" in user:
        raise ConfigError([f"ab.auth: the user name in ${cfg.auth.username_env} contains ':'"])
    return f"{user}:{environ[cfg.auth.password_env]}"


def redact(cmd: Sequence[str]) -> list[str]:
    """The command with the `-A user:password` value replaced by `***`."""
    out = list(cmd)
    for i, arg in enumerate(out[:-1]):
        if arg in ("-A", "-P"):
            out[i + 1] = REDACTED
    return out


def split_concurrency(total: int, processes: int) -> list[int]:
    """`total` connections spread over `processes` ab processes, none empty."""
    if processes < 1 or total < processes:
        raise ConfigError([f"ab.processes: {processes} processes need a concurrency of at least "
                           f"{processes}, got {total}"])
    base, extra = divmod(total, processes)
    return [base + (1 if i < extra else 0) for i in range(processes)]


def parse_ab(stdout: str, csv: str | None) -> AbResult:
    """Parse ab's text report and its -e CSV.

    Args:
        stdout: ab's standard output. Unknown keys are ignored; the lines that only
            sometimes appear (failure breakdown, Write errors, Non-2xx, Keep-Alive) count 0
            when absent.
        csv: the -e file's text, or None when ab wrote none.

    Raises:
        MeasurementFailed: the report has no "Requests per second": ab did not finish a run.
    """
    fields: dict[str, list[str]] = {}
    for key, value in _LINE.findall(stdout):
        fields.setdefault(key, []).append(value)
    if "Requests per second" not in fields:
        last = next((ln.strip() for ln in reversed(stdout.splitlines()) if ln.strip()), "")
        raise MeasurementFailed(f"ab printed no results (last line: {last!r})")

    def num(key: str, index: int = 0) -> float:
        values = fields.get(key, [])
        match = _NUMBER.search(values[index]) if len(values) > index else None
        return float(match.group()) if match else 0.0

    breakdown = _BREAKDOWN.search(stdout)
    conn, recv, length, exc = (int(g) for g in breakdown.groups()) if breakdown else (0, 0, 0, 0)
    return AbResult(
        requests_per_second=num("Requests per second"),
        time_per_request_ms=num("Time per request", 0),
        time_per_request_all_ms=num("Time per request", 1),
        time_taken_s=num("Time taken for tests"),
        complete=int(num("Complete requests")),
        concurrency=int(num("Concurrency Level")),
        failed=int(num("Failed requests")),
        connect_errors=conn, receive_errors=recv, length_errors=length, exceptions=exc,
        non_2xx=int(num("Non-2xx responses")),
        write_errors=int(num("Write errors")),
        keepalive=int(num("Keep-Alive requests")),
        bytes_transferred=int(num("Total transferred")),
        length_checked=fields.get("Document Length", [""])[0] != "Variable",
        # "..done" ends the progress dots of a run that reached its limit; SIGINT skips it.
        interrupted=_DONE.search(stdout) is None,
        percentiles_ms=parse_csv(csv or ""),
    )


def parse_csv(text: str) -> tuple[float, ...]:
    """ab's -e CSV (`percent,ms` rows under a header) as 101 latencies, or () if incomplete.

    ab reads row p from sorted index round(done * p / 100), which for fewer than 50 requests
    reaches one past the last request (garbage, or 0); rows are therefore capped at the
    100% row (the longest request) and made non-decreasing, as percentiles are.
    """
    table: dict[int, float] = {}
    for line in text.splitlines()[1:]:
        percent, _, ms = line.partition(",")
        try:
            table[int(percent)] = float(ms)
        except ValueError:
            continue
    if any(p not in table for p in PERCENTS):
        return ()
    longest = table[PERCENTS[-1]]
    return tuple(accumulate((min(table[p], longest) for p in PERCENTS), max))


def merge(results: Sequence[AbResult]) -> AbResult:
    """One result from ab processes that ran side by side against the same target.

    Throughput and counts add up; the mean latency is weighted by requests; percentiles
    are those of the mixture of the processes' latency distributions.
    """
    if not results:
        raise ValueError("merge() needs at least one result")
    if len(results) == 1:
        return results[0]
    complete = sum(r.complete for r in results)
    rps = sum(r.requests_per_second for r in results)

    def total(name: str) -> int:
        return sum(int(getattr(r, name)) for r in results)

    weighted = sum(r.time_per_request_ms * r.complete for r in results)
    return AbResult(
        requests_per_second=rps,
        time_per_request_ms=weighted / complete if complete else 0.0,
        time_per_request_all_ms=1000.0 / rps if rps else 0.0,
        time_taken_s=max(r.time_taken_s for r in results),
        complete=complete,
        concurrency=total("concurrency"), failed=total("failed"),
        connect_errors=total("connect_errors"), receive_errors=total("receive_errors"),
        length_errors=total("length_errors"), exceptions=total("exceptions"),
        non_2xx=total("non_2xx"), write_errors=total("write_errors"),
        keepalive=total("keepalive"), bytes_transferred=total("bytes_transferred"),
        length_checked=all(r.length_checked for r in results),
        interrupted=any(r.interrupted for r in results),
        percentiles_ms=mix_percentiles([(r.percentiles_ms, r.complete) for r in results]),
    )


def mix_percentiles(parts: Sequence[tuple[Sequence[float], int]]) -> tuple[float, ...]:
    """Percentiles 0..100 of a mixture of distributions, each given by its percentiles.

    Each part is (101 latencies, request count). Within a part, latency is taken as
    linear between its percentile points, so its CDF is piecewise linear; the mixture's
    CDF is the count-weighted sum of those, linear between the union of all points, and is
    inverted exactly on each segment. An average of percentiles would be wrong whenever
    the processes saw different latencies.
    """
    used = [(tuple(q), n) for q, n in parts if n > 0 and len(q) == len(PERCENTS)]
    if not used:
        return ()
    if len(used) == 1:
        return used[0][0]
    weight = sum(n for _, n in used)
    points = sorted({t for q, _ in used for t in q})
    cdf = [sum(n * _cdf(q, t) for q, n in used) / weight for t in points]
    out = [points[0]]
    j = 0
    for percent in PERCENTS[1:-1]:
        target = percent / 100
        while cdf[j + 1] < target:
            j += 1
        lo, hi = cdf[j], cdf[j + 1]
        frac = 0.0 if hi <= lo else (target - lo) / (hi - lo)
        out.append(points[j] + frac * (points[j + 1] - points[j]))
    out.append(points[-1])
    return tuple(out)


def _cdf(q: tuple[float, ...], t: float) -> float:
    """P(latency <= t) for one part, from its percentile points."""
    j = bisect_right(q, t)
    if j == 0:
        return 0.0
    if j >= len(q):
        return 1.0
    k = j - 1
    return (k + (t - q[k]) / (q[j] - q[k])) / 100
