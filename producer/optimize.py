"""The built-in optimizer: Optuna's ask-and-tell over the producer API, its study in Redis.

    optimizer = Optimizer(producer, "web", Goal(("cost",), max_p95_ms=45),
                          baseline={"cpu": 0.25, "mem": 1, "replicas": 2, "GOGC": 100})
    study = optimizer.run()          # every trial is a step any other client could submit
    print(summarize(study)["best"])

Each trial: ask → settings from the conditional space (valid Fargate pairs only) →
`Producer.submit` → `wait` → tell the objective values, with the SLO constraints stored
for the sampler. A `rejected` step (the configuration did not start) is told as a
COMPLETE trial whose "started" constraint is violated by far more than any measured miss:
TPE's constraint handling puts it among the worst trials, so its density model moves
away from that region. A FAIL would be ignored by TPE and proposed again. Retryable
failures (`failed`, not the configuration's fault) are told FAIL on purpose.

With cost per hour as the only objective, the proposals come from the structured search
of `producer/costfirst.py` (pruning, a capacity model, repeats of near results), enqueued
as fixed trials with their reason, and the run ends when no cheaper size has a fair
chance; the study then names the best trial that search trusts (`best_trial`). While
nothing is trusted to meet the SLOs and the search has nothing left it rates, the sampler
takes the steps (their reason says so) and the search is asked again after each. With cost
and other objectives under a p95 SLO, that search finds the front's cheap end with up to
a third of the budget and TPE goes on; otherwise the sampler (TPE, or random) proposes.
Every trial records why it was run (`why`: kind and text).

Three rules save or spend steps without hiding anything in the study: a configuration
already measured is answered from its earlier trial, unless the search asks for a repeat
(a near result: a new step, and the outcome of every step of that configuration); and,
for a sampler with cost per hour the only objective (known before any step), a proposal
that costs at least as much as the best feasible one found cannot win and is told PRUNED
without running. The trial budget counts steps run, so the study may hold more trials
than the budget.

The study lives in Optuna's journal storage on Redis: after a crash, `run()` again with
the same study name picks up the running trial's step (the step itself ran on) and goes
on until the budget is spent.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import optuna
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalRedisBackend
from optuna.trial import FrozenTrial, TrialState

from producer import objectives as obj
from producer.api import Producer
from producer.cost import cost_per_hour
from producer.costfirst import CostFirst
from producer.pruning import Measured
from producer.space import SearchSpace, build_space, settings_key
from worker.contract.errors import ConfigError, ServoError
from worker.contract.namespace import process_keys
from worker.contract.params import DEFAULT_UNIT, Param, Role

ASKS_PER_STEP = 20  # proposals answered without a step are cheap, but never endless
FALLBACK = ("nothing measured is trusted to meet the SLOs and the search has no configuration left "
            "that it rates")
SAMPLER_REPEATS = 10  # the sampler's turns in a row that proposed what was measured: the run ends
HAND_OVER_SHARE = 1 / 3  # of the budget, at most, for the front's cheap end before TPE takes over
WAIT_MARGIN_S = 60  # beyond the settle, rollback and benchmark limits of one step
CHECKED_ATTRS = ("component", "goal", "space", "repeat", "control")  # a resumed study must match these


@dataclass(frozen=True)
class Options:
    """Budget and run options of one `optimize`."""

    trials: int = 30  # steps run (configurations measured), resumed runs included
    timeout_s: float | None = None  # no new trial after this long
    repeat: int = 1  # steps per configuration; the median is told, the spread recorded
    sampler: str = "auto"  # cost-first for cost alone, else tpe
    seed: int | None = None
    control: Mapping[str, Any] = field(default_factory=dict)  # load overrides for every step
    expires_s: float | None = None  # how long each step may wait for a worker (worker.contract.expiry)

    def __post_init__(self) -> None:
        problems = []
        if self.trials < 1:
            problems.append(f"--trials: must be at least 1, got {self.trials}")
        if self.repeat < 1:
            problems.append(f"--repeat: must be at least 1, got {self.repeat}")
        if self.timeout_s is not None and self.timeout_s <= 0:
            problems.append(f"--timeout: must be above 0 s, got {self.timeout_s:g}")
        if self.sampler not in obj.SAMPLERS:
            problems.append(f"--sampler: {self.sampler!r} is not a sampler "
                            f"(allowed: {', '.join(obj.SAMPLERS)})")
        if problems:
            raise ConfigError(problems)


class NotRun(ServoError):
    """A step of the study never ran on the service: no worker took it before it expired, or the
    worker that took it serves another config or target. Every later step would end the same
    way, so the run stops (its trial is told FAIL: no verdict on the configuration)."""


def not_run(study_name: str, step_ids: list[str], result: obj.Outcome) -> NotRun | None:
    """The error that stops a run whose step never ran (objectives.NOT_RUN), else None."""
    if result.status != "failed" or result.reason not in obj.NOT_RUN:
        return None
    step = step_ids[-1] if step_ids else "?"
    if result.reason == "expired":
        cause = (f"step {step} expired: no worker took it within its expires, so it never ran; start a "
                 "worker for this config")
    else:
        cause = (f"step {step} was refused as wrong-target: the worker that took it serves another config "
                 f"or target ({result.message or 'no message'}); start one for this config")
    return NotRun(f"study {study_name}: {cause}, then run the same command to resume")


def storage(redis_url: str, prefix: str | None = None) -> JournalStorage:
    """Optuna's journal storage on the project's Redis, under the project's key prefix (a
    bench gives each run its own prefix: a journal is replayed whole when it is opened)."""
    with warnings.catch_warnings():  # "experimental" since 3.1, and what we want
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return JournalStorage(JournalRedisBackend(redis_url, prefix=prefix or process_keys().optuna))


def _sampler_repeats(study: optuna.Study) -> bool:
    """The sampler's last `SAMPLER_REPEATS` turns (trials marked "fallback") all proposed
    configurations already measured: the space holds nothing new that it finds."""
    turns = [t for t in study.get_trials(deepcopy=False) if t.user_attrs.get("fallback")][-SAMPLER_REPEATS:]
    return len(turns) == SAMPLER_REPEATS and all(t.user_attrs.get("source", "").startswith("trial ")
                                                 for t in turns)


def default_study_name(component: str, goal: obj.Goal) -> str:
    return f"{component}-{'-'.join(goal.objectives)}"


class Optimizer:
    """Runs one study on one component through a Producer."""

    def __init__(self, producer: Producer, component: str, goal: obj.Goal, *, redis_url: str,
                 study_name: str | None = None, baseline: Mapping[str, Any] | None = None,
                 options: Options | None = None,
                 on_trial: Callable[[FrozenTrial], None] | None = None, storage_prefix: str | None = None):
        self.producer, self.goal, self.options = producer, goal, options or Options()
        self.comp = producer.config.component(component)
        current = {("mem" if k == "memory" else k): v for k, v in (baseline or {}).items()}
        self._check_before_a_step(current)
        self.space: SearchSpace = build_space(self.comp, current)
        self.baseline = {k: v for k, v in current.items() if k in self._searched_keys()} or None
        self.name = study_name or default_study_name(component, goal)
        self.redis_url, self.on_trial, self.storage_prefix = redis_url, on_trial, storage_prefix
        self._check_cost_inputs()
        self.hand_over = False  # a strategy that leaves the rest of the budget to the sampler
        self.strategy = self._strategy()

    # -- the loop ------------------------------------------------------------------------
    def run(self) -> optuna.Study:
        """Run trials until the budget is spent; return the study (also kept in Redis)."""
        study = self.study()
        for frozen in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
            self._resume(study, frozen)
        if self.baseline is not None and _baseline_due(study):
            self._baseline(study, self.baseline)
        deadline = None if self.options.timeout_s is None else time.monotonic() + self.options.timeout_s
        asks = 0
        while (steps_run(study) < self.options.trials and asks < ASKS_PER_STEP * self.options.trials
               and (deadline is None or time.monotonic() < deadline)):
            asks += 1
            if not self._enqueue_proposal(study):
                break
            trial = study.ask()
            settings = self.space.suggest(trial)
            trial.set_user_attr("settings", settings)
            self._answer(study, trial, settings)
        if self.strategy is not None and len(self.goal.objectives) == 1:  # the best it trusts (repeats)
            study.set_user_attr("best_trial", self.strategy.trusted_best(_tried(study)))
        return study

    def _enqueue_proposal(self, study: optuna.Study) -> bool:
        """With a strategy, put its next configuration first in line (unless one waits
        already), with its reason. With none left: the sampler's turn while nothing is trusted
        to meet the SLOs and its proposals are new (`SAMPLER_REPEATS`); else False, the search
        complete."""
        if self.strategy is None or study.get_trials(deepcopy=False, states=(TrialState.WAITING,)):
            return True
        if self.hand_over and steps_run(study) >= self.options.trials * HAND_OVER_SHARE:
            self.strategy = None  # the rest of the front needs the budget too
            return True
        tried = _tried(study)
        proposal = self.strategy.propose(tried)
        if proposal is None and self.hand_over:  # the front's cheap end is found: the sampler goes on
            self.strategy = None
            return True
        if proposal is None and self.strategy.trusted_best(tried) is None and not _sampler_repeats(study):
            # Nothing trusted to meet the SLOs and nothing left the search rates: the budget is
            # needed, so this step is the sampler's, and the search is asked again after it.
            study.set_user_attr("complete", False)  # a study resumed from an older run's end
            text = f"proposed by the {self._sampler_name()} sampler: {FALLBACK}"
            study.enqueue_trial({}, user_attrs={"why": {"kind": "sampler", "text": text}, "fallback": True})
            return True
        if proposal is None:  # no cheaper size has a fair chance left: the budget is not needed
            study.set_user_attr("complete", True)
            return False
        attrs: dict[str, Any] = {"why": proposal.why}
        if proposal.repeat_of is not None:
            attrs["repeat_of"] = proposal.repeat_of
        study.enqueue_trial(self.space.params(proposal.settings, partial=True) or {}, user_attrs=attrs)
        return True

    def _baseline(self, study: optuna.Study, settings: Mapping[str, Any]) -> None:
        """The current settings first: as trial 0 when they lie in the space, else as a plain
        step recorded with the study (the sampler cannot hold a point outside its space). A
        step cannot send a value outside the declared space (or a pinned one), and need not:
        the service keeps its current value of what a step leaves out, so such a setting is
        left out. With none left to send, there is no baseline step, and the study says why."""
        params = self.space.params(settings)
        if params is not None:
            study.enqueue_trial(params, user_attrs={"baseline": True, "why": {
                "kind": "baseline", "text": "the service's current settings, measured first"}})
            return
        sent = self._sendable(settings)
        if not sent:
            study.set_user_attr("baseline", {"settings": dict(settings), "skipped": (
                "no setting of it can be sent as a step (each is outside the declared space or pinned), "
                "so the current settings were not measured")})
            return
        record = self.producer.submit(self.comp.name, sent, self.options.control,
                                      self.options.expires_s).wait(self._wait_s())
        result = obj.outcome([record], self.hourly(settings))
        if stop := not_run(self.name, [record["id"]], result):
            raise stop
        study.set_user_attr("baseline", {"settings": dict(settings), "step_ids": [record["id"]],
                                         "outcome": result.to_dict(), "outside_space": True})

    def _sendable(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        """The part of `settings` a step accepts (cpu and memory as a pair); the rest is left out."""
        from worker.contract.steps import validate_step

        groups = [("cpu", "mem"), ("replicas",), *((k,) for k in self.comp.environment)]
        sent: dict[str, Any] = {}
        for group in groups:
            part = {k: settings[k] for k in group if k in settings}
            if not part:
                continue
            try:
                validate_step(self.producer.config, self.comp.name, part)
            except ConfigError:
                continue  # outside the space or pinned: the service keeps it
            sent.update(part)
        return sent

    def _answer(self, study: optuna.Study, trial: optuna.Trial, settings: dict[str, Any]) -> None:
        number = trial.number
        if "why" not in trial.user_attrs:
            trial.set_user_attr("why", {"kind": "sampler", "text": f"proposed by the {self._sampler_name()} "
                                        "sampler"})
        repeat_of = trial.user_attrs.get("repeat_of")
        earlier = _measured(study).get(settings_key(settings))
        if earlier is not None and repeat_of is not None:  # near the SLO: one more step, all of them count
            trial.set_user_attr("source", "run")
            prior = [*earlier.user_attrs.get("prior_step_ids", []), *earlier.user_attrs.get("step_ids", [])]
            trial.set_user_attr("prior_step_ids", prior)
            self._run_steps(study, trial, settings, self.hourly(settings), [])
            return
        if earlier is not None:  # the same configuration again: its result, not a new step
            trial.set_user_attr("source", f"trial {earlier.number}")
            text = f"measured before in trial {earlier.number}: its result, no new step"
            trial.set_user_attr("why", {"kind": "answered", "trial": earlier.number, "text": text})
            self._tell(study, trial, obj.Outcome.from_dict(earlier.user_attrs["outcome"]))
            return
        hourly = self.hourly(settings)
        best = self._best_feasible_cost(study)
        # A strategy proposes only sizes cheaper than the best it trusts; a sampler may not.
        if (self.strategy is None and self.goal.objectives == ("cost",) and hourly is not None
                and best is not None and hourly >= best):
            trial.set_user_attr("source", "cost-dominated")
            text = (f"costs ${hourly:.4f}/h, no less than the best configuration meeting the SLO "
                    f"(${best:.4f}/h): cannot win, not run")
            trial.set_user_attr("why", {"kind": "pruned", "text": text})
            trial.set_user_attr("outcome", obj.Outcome("pruned", hourly).to_dict())
            trial.set_constraint("started", 0.0)  # not known to fail: no verdict either way
            study.tell(number, state=TrialState.PRUNED)
            self._report(study, number)
            return
        trial.set_user_attr("source", "run")
        self._run_steps(study, trial, settings, hourly, [])

    def _run_steps(self, study: optuna.Study, trial: optuna.Trial, settings: Mapping[str, Any],
                   hourly: float | None, step_ids: list[str]) -> None:
        """Run the trial's steps (`step_ids`: those already submitted); a repeat's earlier
        steps (`prior_step_ids`) count in its outcome too."""
        prior_ids = list(trial.user_attrs.get("prior_step_ids") or [])
        prior = self.producer.wait(prior_ids, self._wait_s()) if prior_ids else []
        records = self.producer.wait(step_ids, self._wait_s()) if step_ids else []
        while len(records) < self.options.repeat and all(r["status"] == "succeeded" for r in records):
            handle = self.producer.submit(self.comp.name, settings, self.options.control,
                                          self.options.expires_s)
            step_ids.append(handle.id)
            trial.set_user_attr("step_ids", step_ids)  # before the wait: a crash resumes from here
            records.append(handle.wait(self._wait_s()))
        result = obj.outcome([*prior, *records], hourly)
        self._tell(study, trial, result)
        if stop := not_run(self.name, step_ids, result):
            raise stop

    def _tell(self, study: optuna.Study, trial: optuna.Trial, result: obj.Outcome) -> None:
        trial.set_user_attr("outcome", result.to_dict())
        for name, value in obj.constraints(self.goal, result).items():
            trial.set_constraint(name, value)  # TPE ranks infeasible trials by their sum
        if result.status in ("failed", "cancelled"):  # not the configuration's fault: no verdict
            study.tell(trial.number, state=TrialState.FAIL)
        else:
            study.tell(trial.number, obj.values(self.goal, result))
        self._report(study, trial.number)

    def _resume(self, study: optuna.Study, frozen: FrozenTrial) -> None:
        """A trial left running by a crash: finish its step(s), or fail it if none started."""
        trial = optuna.Trial(study, frozen._trial_id)
        settings = frozen.user_attrs.get("settings")
        step_ids = list(frozen.user_attrs.get("step_ids") or [])
        if settings is None or frozen.user_attrs.get("source") != "run" or not step_ids:
            study.tell(frozen.number, state=TrialState.FAIL)
            return
        self._run_steps(study, trial, settings, self.hourly(settings), step_ids)

    def _report(self, study: optuna.Study, number: int) -> None:
        if self.on_trial is not None:
            self.on_trial(study.trials[number])

    # -- the study -----------------------------------------------------------------------
    def study(self) -> optuna.Study:
        """Create the study, or load it and check it was made for the same question."""
        attrs = {"component": self.comp.name, "goal": self.goal.to_dict(), "space": self.space.describe(),
                 "repeat": self.options.repeat, "control": dict(self.options.control),
                 "pricing": self.producer.config.pricing.to_dict(), "fixed": dict(self.space.fixed)}
        directions: list[Literal["minimize", "maximize"]] = ["minimize"] * len(self.goal.objectives)
        study = optuna.create_study(study_name=self.name, sampler=self._sampler(), directions=directions,
                                    storage=storage(self.redis_url, self.storage_prefix), load_if_exists=True)
        if not study.user_attrs:
            for key, value in attrs.items():
                study.set_user_attr(key, value)
            return study
        changed = [key for key in CHECKED_ATTRS if study.user_attrs.get(key) != attrs[key]]
        if changed:
            raise ConfigError([f"--study: {self.name!r} was started with a different {key} "
                               f"({_show(study.user_attrs.get(key))}); resume it with the same options "
                               "or name a new study" for key in changed])
        return study

    def _strategy(self) -> CostFirst | None:
        """Cheapest size first when the sampler is `cost-first`, or `auto` with cost alone.
        With `auto`, cost and more objectives and a p95 SLO, the cheapest size meeting it is
        searched first (the front's cheap end, most of its hypervolume), then TPE goes on."""
        goal = self.goal
        cost_only = obj.Goal(("cost",), goal.max_p95_ms, goal.max_error_rate, goal.min_throughput)
        if (self.options.sampler == "auto" and len(goal.objectives) > 1 and "cost" in goal.objectives
                and goal.max_p95_ms is not None and CostFirst.applies(self.space, cost_only)):
            self.hand_over = True
            return CostFirst(self.space, cost_only, self.hourly, anchor_env=self.baseline)
        wanted = self.options.sampler == "cost-first" or (
            self.options.sampler == "auto" and CostFirst.applies(self.space, self.goal))
        if not wanted:
            return None
        if not CostFirst.applies(self.space, self.goal):
            raise ConfigError(["--sampler: cost-first needs cost as the only objective and cpu, memory or "
                               "replicas searched (use tpe or random)"])
        return CostFirst(self.space, self.goal, self.hourly, anchor_env=self.baseline)

    def _sampler_name(self) -> str:
        return "random" if self.options.sampler == "random" else "tpe"

    def _sampler(self) -> optuna.samplers.BaseSampler:
        if self.options.sampler == "random":
            return optuna.samplers.RandomSampler(seed=self.options.seed)
        with warnings.catch_warnings():  # multivariate/group are "experimental" since 2.x
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            # group + multivariate model the conditional cpu -> memory space jointly;
            # 5 random startup trials, since a budget of 30 leaves few for the model.
            return optuna.samplers.TPESampler(seed=self.options.seed, multivariate=True, group=True,
                                              n_startup_trials=5)

    # -- helpers -------------------------------------------------------------------------
    def hourly(self, settings: Mapping[str, Any]) -> float | None:
        """Cost per hour of a configuration: its sizes, else the fixed (pinned or current) ones."""
        merged = {**self.space.fixed, **settings}
        natives: list[int] = []
        roles: tuple[tuple[Role, str], ...] = (("cpu", "cpu"), ("memory", "mem"), ("replicas", "replicas"))
        for role, key in roles:
            param = self.comp.settings.get(role)
            if key not in merged:
                return None
            native = param.check(merged[key])[0] if param else _plain_native(role, merged[key])
            if not isinstance(native, int):
                return None
            natives.append(native)
        return cost_per_hour(natives[0], natives[1], natives[2], self.producer.config.pricing)

    def _check_before_a_step(self, current: Mapping[str, Any]) -> None:
        """What a step would refuse, refused before the study is made: the load overrides, how
        long a step may wait, and a baseline naming a variable the component does not declare."""
        problems: list[str] = []
        try:
            self.producer.check_options(self.options.control, self.options.expires_s)
        except ConfigError as exc:
            problems += exc.problems
        known = {"cpu", "mem", "replicas", *self.comp.environment}  # a size undeclared still prices a step
        unknown = sorted(k for k in current if k not in known)
        if unknown:
            problems.append(f"--baseline: {', '.join(map(repr, unknown))} is no setting of component "
                            f"{self.comp.name} (allowed: {', '.join(sorted(known))})")
        if problems:
            raise ConfigError(problems)

    def _check_cost_inputs(self) -> None:
        if not any(o.startswith("cost") for o in self.goal.objectives):
            return
        missing = [k for k in ("cpu", "mem", "replicas") if k not in self._searched_keys()
                   and k not in self.space.fixed]
        if missing:
            raise ConfigError([f"--objective: cost needs the task size; {', '.join(missing)} is neither "
                               "searched nor known (declare it, pin it with a default, or give the current "
                               "value with --baseline)"])

    def _searched_keys(self) -> set[str]:
        keys = set(self.space.others)
        if self.space.cpu:
            keys.add("cpu")
        if self.space.memory or self.space.memory_alone:
            keys.add("mem")
        return keys

    def _best_feasible_cost(self, study: optuna.Study) -> float | None:
        costs = [o.cost_per_hour for o in _outcomes(study) if obj.feasible(self.goal, o)
                 and o.cost_per_hour is not None]
        return min(costs) if costs else None

    def _wait_s(self) -> float:
        return (self.comp.settle_timeout + self.comp.rollback_timeout
                + self.producer.bench_limit(self.options.control) + WAIT_MARGIN_S)


def _baseline_due(study: optuna.Study) -> bool:
    """The baseline runs first: in a new study, or again when every trial so far is a baseline
    whose step never ran (it expired: `NotRun`)."""
    if "baseline" in study.user_attrs:  # measured outside the space, or skipped
        return False
    return all(t.user_attrs.get("baseline") and t.state == TrialState.FAIL
               for t in study.get_trials(deepcopy=False))


def steps_run(study: optuna.Study) -> int:
    """Trials that ran steps (the budget's unit), finished or not."""
    return sum(1 for t in study.get_trials(deepcopy=False) if t.user_attrs.get("source") == "run")


def _measured(study: optuna.Study) -> dict[tuple[tuple[str, str], ...], FrozenTrial]:
    done = (TrialState.COMPLETE,)
    return {settings_key(t.user_attrs["settings"]): t for t in study.get_trials(deepcopy=False, states=done)
            if t.user_attrs.get("source") == "run" and "outcome" in t.user_attrs}


def _tried(study: optuna.Study) -> list[Measured]:
    """Each measured configuration's latest trial (a repeat's outcome holds every step)."""
    return [Measured(t.user_attrs["settings"], obj.Outcome.from_dict(t.user_attrs["outcome"]), t.number)
            for t in _measured(study).values()]


def _outcomes(study: optuna.Study) -> list[obj.Outcome]:
    return [m.outcome for m in _tried(study)]


def _plain_native(role: Role, value: Any) -> int | None:
    """A size the config does not declare, given in the default unit (vCPU, GiB, count)."""
    native = Param(name=role, role=role, kind="range", unit=DEFAULT_UNIT[role]).check(value)[0]
    return native if isinstance(native, int) else None


def _show(value: Any) -> str:
    if isinstance(value, Mapping):
        return " ".join(f"{k}={v}" for k, v in value.items())
    return repr(value)
