"""The search for the cheapest configuration that meets the SLOs (cost the only objective).

A configuration's cost is known before it runs; only whether it meets the SLOs is not. So
the question is which is the cheapest *size* (cpu, memory, replicas) that can, and with
which environment (GOGC, say). A general-purpose sampler spends a small budget learning
what the price list already says; this search spends it on feasibility, using what it
knows about services:

- **Pruning** (producer/pruning.py): a size far over the SLO (judged by its best try) rules
  out every size it dominates, under the environment it was measured in, which counts only
  while it is the reference one (the anchor's, then the trusted best's: what each size is
  tried under first); an OOM kill rules out no more memory under an environment as hungry.
  Only sizes cheaper than the best trusted feasible one stay open. With nothing met and no
  size open, the environment is varied at the size that came closest; with a best and no
  cheaper size open, a variable never varied is moved once at the cheaper size that came
  closest before the search ends.
- **A capacity model** (producer/capacity.py), fitted to every measurement so far, gives
  each open size (with the environment the model likes best among the reference one and
  its compass neighbours) a chance of meeting the SLO. The next size is the one with the
  best chance x saving: it jumps to where the model says the SLO can be met, and, where
  the model cannot decide, explores the open size most worth knowing.
- **Noise** (producer/verdict.py): the measurement noise is pooled over every repeated
  configuration; a result whose chance of meeting the SLO is undecided is repeated (up to
  `repeats` measurements for a pass, the median counts) until it is trusted as the best or
  ruled out.
- Once a size is trusted to meet the SLO and no cheaper open size has a fair chance left
  (`stop`), it confirms the best (repeats it until it is sure, `CONFIRMED`) and then spends
  the budget left on long shots: first one in each cpu tier nothing was tried in (the model
  extrapolates there), then the cheaper open sizes with the best chance x saving, far ones
  included. It stops only when no cheaper size is open and the best is confirmed.
- **A cliff**: where a clear miss and a pass differ in one size only and p95 falls between
  them faster than a queue's can (`STEEP`: a retry storm, a listen queue), the model's power
  law cannot place the edge; with no open size likely, a size between them is measured
  (halfway in log size, a bisection).
- Environments are moved one variable at a time (the compass: a quarter, an eighth, a 16th of
  its range; a choice among names, capacity.nominal, to each other name; finer moves of a
  number only where no compass move can go, `_finer`; where neither can, a number's far end and
  the middle of its range, `_far_options`); where one variable
  moved alone went downhill at a size (it did not start, or was slower beyond noise), both it
  and another are moved at once there: a ridge neither climbs alone (a GOGC that fits only
  under a memory limit, a pool that must match its workers).
- While memory shows no effect on latency, a size's more-memory twins share its tries; where
  one cpu and replicas ran two memories and the bigger was no faster, its more-memory twins
  share what it ran there (memory that helps small tasks may not help big ones, or may hurt).

Every proposal carries its reason (`Proposal.why`), shown by `optimize` and the report.
The state is read from the measurements each time, so a resumed run goes on where it
stopped, and nothing is random: the sampler's seed does not change the proposals.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from optuna.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution

from producer import objectives as obj
from producer import pruning, verdict
from producer.capacity import CapacityModel, nominal, position
from producer.pruning import SIZE_KEYS, Measured
from producer.space import SearchSpace, on_step, settings_key, value_text

REPEATS = 6  # measurements of an undecided result, at most, before it is given up
TRIES_PER_SIZE = 4  # configurations (environments) of one size, at most
STOP = 0.03  # below this chance, an open size is tried only after the best is confirmed
CONFIRMED = 0.99  # the best is confirmed (no more repeats of it) once it meets the SLO with this chance
COMPASS = (4, 8, 16)  # an environment variable's moves: a quarter, an eighth, a 16th of its range
NOISE_WIDTH = 2.5  # a miss by more than this many noises (beyond the environment's gain) closes a size
CLEARLY = 0.01  # a chance this much higher beats the compass order
BETTER = 0.1  # an environment this much likelier to pass is tried before a near result is repeated
PREDICTED = 0.5  # a chance from which a proposal is the model's prediction, below it exploring
TIER_OOMS = 4  # a cpu tier's probes that ran out of memory, at most, before the tier counts as probed
FINEST = 2 ** 16  # the finest move, as a part of a range, when nothing else is left (`_finer`)
FAR_PARTS = (1, 2)  # a spent size's last moves (`_far_options`): to the far end, then by half the range
SCREEN_PARTS = (0.5, 0.25, 0.125)  # a never-varied variable's moves, the longest first
MEMORY_GAIN = 0.05  # a memory slope (log p95 per log GiB) below minus this: more memory is faster
STEEP = 2.0  # log p95 per log size: a fall steeper than a queue's (1 / replicas) between two tries is a cliff

Settings = Mapping[str, Any]
SizeKey = tuple[tuple[str, str], ...]
_Valued = tuple[float, Measured]  # a try and its value of one size


@dataclass(frozen=True)
class Proposal:
    """The next configuration, why, and the trial it repeats (if it is a repeat)."""

    settings: dict[str, Any]
    why: dict[str, Any]
    repeat_of: int | None = None


@dataclass
class _State:
    """What the measurements say, computed afresh for each proposal."""

    latest: dict[SizeKey, Measured] = field(default_factory=dict)  # by configuration
    by_size: dict[SizeKey, list[Measured]] = field(default_factory=dict)
    best: float | None = None  # cheapest trusted feasible cost
    best_settings: Settings | None = None
    model: CapacityModel | None = None
    noise: float = verdict.PRIOR_NOISE
    dof: float = verdict.PRIOR_DOF  # the noise's degrees of freedom
    hunger: pruning.Hunger = ()  # per kind of failed start (pruning.FAILURES)
    finer: dict[SizeKey, list[dict[str, Any]]] = field(default_factory=dict)  # `_finer` by center


class CostFirst:
    """Proposes the next configuration from the measured ones; see the module."""

    def __init__(self, space: SearchSpace, goal: obj.Goal, hourly: Callable[[Settings], float | None],
                 anchor_env: Settings | None = None, *, repeats: int = REPEATS, stop: float = STOP):
        self.space, self.goal, self.repeats, self.stop = space, goal, repeats, stop
        sizes = {_size_key(s): _size(s) for s in space.grid(only=SIZE_KEYS)}  # not every environment
        costs = {key: hourly(size) for key, size in sizes.items()}
        self.sizes = sorted((size for key, size in sizes.items() if costs[key] is not None),
                            key=lambda s: costs[_size_key(s)] or 0.0)
        self.cost = {key: float(c) for key, c in costs.items() if c is not None}
        self.env_keys = [k for k in space.others if k not in SIZE_KEYS]
        self.env: dict[str, BaseDistribution] = {k: space.others[k] for k in self.env_keys}
        # A value the space does not hold (a baseline off the step, say) is left to the sampler.
        self.anchor_env = {k: v for k, v in (anchor_env or {}).items() if k in self.env_keys
                           and self.sizes and space.params({**self.sizes[0], k: v}, partial=True) is not None}

    def trusted_best(self, tried: Sequence[Measured]) -> int | None:
        """The trial of the cheapest configuration trusted to meet the SLOs (see `_trusted_feasible`)."""
        state = self._state(tried)
        if state.best_settings is None:
            return None
        return state.latest[settings_key(self._step_settings(state.best_settings))].trial

    @staticmethod
    def applies(space: SearchSpace, goal: obj.Goal) -> bool:
        """Only for cost alone, and only when the size is searched at all."""
        return goal.objectives == ("cost",) and bool(space.cpu or space.memory_alone
                                                     or "replicas" in space.others)

    # -- the proposal ----------------------------------------------------------------------
    def propose(self, tried: Sequence[Measured | tuple[Settings, obj.Outcome]]) -> Proposal | None:
        """The next configuration to measure (an environment variable with no known value is
        left to the sampler), or None when the search is complete."""
        state = self._state([m if isinstance(m, Measured) else Measured(*m) for m in tried])
        return self._repeat(state) or self._next_size(state)

    def _state(self, tried: Sequence[Measured]) -> _State:
        state = _State()
        for m in tried:
            full = Measured({**self.space.fixed, **m.settings}, m.outcome, m.trial)
            state.latest[settings_key(m.settings)] = full
        state.noise, state.dof = verdict.pooled([m.outcome for m in state.latest.values()])
        points = [(m.settings, m.outcome.p95_ms) for m in state.latest.values()
                  if m.outcome.status == "succeeded" and m.outcome.p95_ms is not None]
        state.model = CapacityModel.fit(self.env, [(s, float(p)) for s, p in points], self.goal.max_p95_ms)
        for m in state.latest.values():
            state.by_size.setdefault(self._key(m.settings), []).append(m)
            cost = self.cost.get(self._key(m.settings))
            if (self._trusted_feasible(m, state) and cost is not None
                    and (state.best is None or cost < state.best)):
                state.best, state.best_settings = cost, m.settings
        state.hunger = pruning.hungers(self.env_keys, list(state.latest.values()))
        return state

    def _repeat(self, state: _State) -> Proposal | None:
        """The cheapest near result not yet measured `repeats` times, if it could still win."""
        near = [m for m in state.latest.values() if self._undecided(m, state)
                and m.outcome.samples < self._repeats_of(m.outcome)
                and (state.best is None or self._cost(m) < state.best)]
        if not near:
            return None
        m = min(near, key=self._cost)
        better = self._better_env(state, m)
        if better is not None:
            return better
        said = "met" if obj.feasible(self.goal, m.outcome) else "missed"
        chance = self._chance(m, state)
        text = (f"repeat of trial {m.trial}: it {said} the SLO ({_p95(m.outcome)}) but within noise "
                f"({state.noise:.1%} per measurement): {chance:.0%} chance it meets it; measurement "
                f"{m.outcome.samples + 1} of at most {self._repeats_of(m.outcome)}")
        return Proposal(self._step_settings(m.settings), {"kind": "repeat", "text": text, "trial": m.trial},
                        repeat_of=m.trial)

    def _better_env(self, state: _State, m: Measured) -> Proposal | None:
        """Before repeating a near result: an untried environment of its size that the model
        gives a clearly better chance (a pass with room needs no repeats)."""
        if state.model is None or self.goal.max_p95_ms is None or not self.env_keys:
            return None
        option = self._best_option(state, _size(self._step_settings(m.settings)))
        if option is None or option[0] < state.model.chance_below(m.settings, self.goal.max_p95_ms) + BETTER:
            return None
        chance, settings = option
        why = self._why(state, settings, chance, 0, {})
        head = why["text"].split(";")[0]
        why["text"] = f"a better environment for the near result of trial {m.trial}: {head}"
        return Proposal(settings, why)

    def _next_size(self, state: _State) -> Proposal | None:
        """The open size with the best chance x saving, with its best environment."""
        ref_env = settings_key(self._reference_env(state))  # only far misses under it rule sizes out
        under = [m for m in state.latest.values() if settings_key(self._env_of(m.settings)) == ref_env]
        far = pruning.far_misses(self.goal, under, state.model.env_gain() if state.model else 1.0)
        ruled: dict[str, int] = {}
        scored: list[tuple[float, float, int, dict[str, Any]]] = []
        dearest = self.cost[_size_key(self.sizes[-1])] * 1.05 if self.sizes else 1.0
        reference = state.best if state.best is not None else dearest
        for order, size in enumerate(self.sizes):
            key = _size_key(size)
            if self.cost[key] >= reference:
                break
            full = {**self.space.fixed, **size}
            by = pruning.ruled_out_by(full, far)
            if by is not None:
                ruled[f"trial {by.trial}"] = ruled.get(f"trial {by.trial}", 0) + 1
                continue
            option = self._best_option(state, size)
            if option is None:
                ruled["its own tries"] = ruled.get("its own tries", 0) + 1
                continue
            chance, settings = option
            scored.append((chance * (reference - self.cost[key]) / reference, chance, order, settings))
        if not scored:  # nothing cheaper is open: the best is the answer, once it is sure
            if state.best is None:
                return self._closest_env(state)
            return self._confirm(state) or self._closest_env(state, cheaper_than=state.best)
        if state.model is None:  # nothing measured: a size in the middle of the price list
            _, chance, _, settings = scored[len(scored) // 2]
            text = f"nothing measured yet: a size in the middle of the {len(scored)} open sizes by price"
            return Proposal(settings, {"kind": "exploring", "text": text, "open": len(scored)})
        _, chance, _, settings = max(scored, key=lambda s: (s[0], -s[2]))
        long_shot = Proposal(settings, self._why(state, settings, chance, len(scored), ruled))
        if chance >= PREDICTED:
            return long_shot
        confirm = self._confirm(state) if chance < self.stop and state.best is not None else None
        if confirm is not None:
            return confirm
        cliff = self._cliff(state, scored, ruled)
        if cliff is not None:
            return cliff
        if chance < self.stop and state.best is not None:  # long shots, once the best is confirmed
            return self._tier_probe(state, scored, ruled) or long_shot
        return long_shot

    def _cliff(self, state: _State, scored: Sequence[tuple[float, float, int, dict[str, Any]]],
               ruled: Mapping[str, int]) -> Proposal | None:
        """With no open size likely: where a clear miss and a pass differ in one size only (the
        tightest such pair: the biggest miss below, the smallest pass above) and p95 falls between
        them faster than `STEEP` (a queue's p95 falls about like 1 / replicas; a retry storm, a
        listen queue or a swap cliff falls off an edge), the power-law model cannot place the
        edge, so a size between them that nothing has run at, halfway in log size, is measured
        under their environment: a bisection. Of every such pair, the cheapest halfway size."""
        if self.goal.max_p95_ms is None:
            return None
        ran = [m for m in state.latest.values() if m.outcome.status == "succeeded" and m.outcome.p95_ms]
        # per size and the rest of the settings: (its value, the try) of clear misses and of passes
        groups: dict[tuple[str, SizeKey], tuple[list[_Valued], list[_Valued]]] = {}
        for m in ran:
            met = obj.feasible(self.goal, m.outcome)
            if not met and self._undecided(m, state):
                continue
            for key in SIZE_KEYS:
                if key in m.settings and key not in self.space.fixed:
                    group = (key, settings_key({k: v for k, v in m.settings.items() if k != key}))
                    groups.setdefault(group, ([], []))[1 if met else 0].append((float(m.settings[key]), m))
        open_sizes = {self._key(entry[3]) for entry in scored}
        found: tuple[float, str, Measured, Measured, dict[str, Any]] | None = None
        for (key, _), (misses, passes) in groups.items():  # the smallest pass, the biggest miss below it
            if not passes:
                continue
            b, high = min(passes, key=lambda vm: vm[0])
            below = [vm for vm in misses if vm[0] < b]
            if not below:
                continue
            a, low = max(below, key=lambda vm: vm[0])
            fall = math.log(float(low.outcome.p95_ms or 0) / float(high.outcome.p95_ms or 1))
            if fall / math.log(b / a) <= STEEP:
                continue
            at = _size(self._step_settings(low.settings))
            between = [size for size in self.sizes if _one_size_apart(size, at) == key
                       and a < float(size[key]) < b
                       and _size_key(size) in open_sizes and self._key(size) not in state.by_size]
            if not between:
                continue
            size = min(between, key=lambda z: abs(math.log(float(z[key]) / math.sqrt(a * b))))
            cost = self.cost[_size_key(size)]
            if found is None or cost < found[0]:
                found = (cost, key, low, high, {**size, **self._env_of(high.settings)})
        if found is None:
            return None
        _, key, low, high, settings = found
        full = {**self.space.fixed, **settings}
        chance = pruning.starts(full, self.env_keys, list(state.latest.values()), state.hunger) \
            * self._meets(state, full)
        why = self._why(state, settings, chance, len(scored), ruled)
        why["kind"] = "exploring"
        why["text"] = (f"exploring a cliff in {key}: p95 fell from {_p95(low.outcome)} (trial {low.trial}) "
                       f"to {_p95(high.outcome)} (trial {high.trial}), faster than a queue's, so a size "
                       f"between them; " + why["text"])
        return Proposal(settings, why)

    def _tier_probe(self, state: _State, scored: Sequence[tuple[float, float, int, dict[str, Any]]],
                    ruled: Mapping[str, int]) -> Proposal | None:
        """Once the best is confirmed and only long shots are left, a long shot in a cpu tier
        nothing has been tried in yet, before any other: the model's cpu slope is a power law
        fitted on the tiers measured, and a service can change shape between tiers (a pool
        that needs two cores, request slots per core), so an untried tier's small chance is
        an extrapolation, where a long shot elsewhere has measurements nearby. A probe that
        failed counts as the tier's one probe, unless it ran out of memory (the next has more,
        up to `TIER_OOMS` of them: scatter-shards-6's optimum is its tier's fourth probe, after
        three OOM kills)
        or failed for a reason not its own (`pruning.NOT_ITS_OWN`); then the tier is left to
        the ordinary long shots, which pruning sees. Per tier, the fewest replicas the model
        predicts feasible (else the most open) at its cheapest memory; of the tiers, the best
        chance x saving. It comes only after the search proper (the best found and confirmed),
        so what it adds to the model cannot lead the search away from the sizes that were
        likely."""
        tries = [m for m in state.latest.values() if "cpu" in m.settings]
        ooms: dict[float, int] = {}
        for m in tries:
            if pruning.ran_out(m.outcome):
                ooms[float(m.settings["cpu"])] = ooms.get(float(m.settings["cpu"]), 0) + 1
        seen = {float(m.settings["cpu"]) for m in tries
                if m.outcome.status == "succeeded" or ooms.get(float(m.settings["cpu"]), 0) >= TIER_OOMS
                or (m.outcome.reason not in pruning.NOT_ITS_OWN and not pruning.ran_out(m.outcome))}
        by_tier: dict[float, list[tuple[float, float, int, dict[str, Any]]]] = {}
        for entry in sorted(scored, key=lambda e: e[2]):  # cheapest first
            cpu = float({**self.space.fixed, **entry[3]}.get("cpu", 0) or 0)
            if cpu and cpu not in seen:
                by_tier.setdefault(cpu, []).append(entry)
        if not by_tier:
            return None
        tiers = {}
        for cpu, entries in by_tier.items():
            replicas = [int({**self.space.fixed, **e[3]}.get("replicas", 1)) for e in entries]
            likely = [r for r, e in zip(replicas, entries, strict=True) if e[1] >= PREDICTED]
            wanted = min(likely) if likely else max(replicas)  # fewest predicted to do, else most open
            tiers[cpu] = next(e for r, e in zip(replicas, entries, strict=True) if r == wanted)
        _, chance, _, settings = max(tiers.values(), key=lambda e: (e[0], -e[2]))
        why = self._why(state, settings, chance, len(scored), ruled)
        why["kind"] = "exploring"
        why["text"] = (f"exploring a cpu tier never measured ({value_text(settings.get('cpu'))} vCPU): "
                       f"the model's {chance:.0%} chance there is an extrapolation; " + why["text"])
        return Proposal(settings, why)

    def _closest_env(self, state: _State, cheaper_than: float | None = None) -> Proposal | None:
        """Nothing has met the SLO and no size is left open (each ruled out by a far miss or by
        its own tries, all under environments the search had not varied much): what the sizes
        could not do, the environment may. At the size that came closest, the untried
        environment next to the closest try's, a variable never varied moved half its range
        first, then a quarter and an eighth of its range (a cache of 1024 s may need more memory
        than the size has, where 128 s fits), then finer moves (`_finer`); then the next closest
        size. None only when every such environment was tried.
        With `cheaper_than` (a best is trusted at that cost and no cheaper size is open), only
        the sizes cheaper than the best, and only a variable never varied: the sizes were ruled
        out under one value of it, which says nothing of the others."""
        if not self.env_keys:
            return None
        measured = list(state.latest.values())
        started = sorted((m for m in measured if m.outcome.status == "succeeded"
                          and (cheaper_than is None or self._cost(m) < cheaper_than)),
                         key=lambda m: pruning.miss(self.goal, m.outcome))
        for m in started:
            size = _size(self._step_settings(m.settings))
            tried = state.by_size.get(self._key(m.settings), [])
            done = self._tried_envs(tried)
            options = self._env_options(state, tried) if cheaper_than is None else []
            half, *shorter = self._screen(state, self._env_of(m.settings))
            finer = self._finer(self._env_of(m.settings)) if cheaper_than is None else []
            for env in [*half, *options, *(move for moves in shorter for move in moves), *finer]:
                if settings_key(env) in done:
                    continue
                settings = {**size, **env}
                full = {**self.space.fixed, **settings}
                if pruning.starts(full, self.env_keys, measured, state.hunger) == 0.0:
                    continue
                head = ("nothing has met the SLO and no size is left open" if cheaper_than is None else
                        "no cheaper size is left open, and a variable has never been varied")
                text = (f"exploring the environment: {head}; trial {m.trial} came closest "
                        f"({_p95(m.outcome)}), so its size with another environment")
                return Proposal(settings, {"kind": "exploring", "text": text, "trial": m.trial})
        return None

    def _finer(self, center: Settings) -> list[dict[str, Any]]:
        """Moves of each number from `center` finer than the compass's (a 32nd of its range, a
        64th, ... down to its step or a `FINEST` part of it), both ways, the coarser first, each
        once: where every compass move has failed to start (a prefetch window of 257 runs out
        of memory where 1 starves the threads), the values between are where the search can
        still go."""
        moves: list[dict[str, Any]] = []
        fraction = COMPASS[-1] * 2
        while fraction <= FINEST:
            for name in self.env_keys:
                dist = self.env[name]
                if name not in center or isinstance(dist, CategoricalDistribution):
                    continue
                for sign in (1, -1):
                    value = _move(dist, center[name], sign / fraction)
                    move = {**center, name: value}
                    if value_text(value) != value_text(center[name]) and move not in moves:
                        moves.append(move)
            fraction *= 2
        return moves

    def _screen(self, state: _State, center: Settings) -> list[list[dict[str, Any]]]:
        """Each variable no started try has varied yet, moved towards its far end by each of
        `SCREEN_PARTS` of its range (a choice among names: to each of its other names, with the
        longest): one list of moves per part, the longest first."""
        started = [m for m in state.latest.values() if m.outcome.status == "succeeded"]
        names = [n for n in self.env_keys
                 if n in center and len({value_text(m.settings.get(n)) for m in started}) <= 1]
        screens: list[list[dict[str, Any]]] = []
        for part in SCREEN_PARTS:
            moves: list[dict[str, Any]] = []
            for n in names:
                if nominal(self.env[n]) and part != SCREEN_PARTS[0]:
                    continue  # names: every other one, with the longest moves
                way = 1 if position(self.env[n], center[n]) < 0.5 else -1  # an enum of amounts by its index
                moves.extend({**center, n: v} for v in self._steps(n, center[n], way * part))
            screens.append(moves)
        return screens

    def _confirm(self, state: _State) -> Proposal | None:
        """A repeat of the trusted best while it is not yet sure (`CONFIRMED`): a pass trusted at
        90 % is false one time in ten, and the leftover budget is better spent finding out than
        on sizes the model gives no chance."""
        if state.best_settings is None:
            return None
        m = state.latest[settings_key(self._step_settings(state.best_settings))]
        chance = self._chance(m, state)
        if chance >= CONFIRMED or m.outcome.samples >= self.repeats:
            return None
        text = (f"confirming the best, trial {m.trial} ({_p95(m.outcome)}): {chance:.0%} chance it meets the "
                f"SLO; measurement {m.outcome.samples + 1} of at most {self.repeats}")
        return Proposal(self._step_settings(m.settings), {"kind": "repeat", "text": text, "trial": m.trial},
                        repeat_of=m.trial)

    def _best_option(self, state: _State, size: Settings) -> tuple[float, dict[str, Any]] | None:
        """The size's untried environment with the best chance (the first, in compass order,
        unless another is clearly better), or None when the size is closed."""
        measured = list(state.latest.values())
        own = state.by_size.get(self._key(size), [])
        shared, counted = self._less_memory(state, size)
        tried = own + shared
        if len(own + counted) >= TRIES_PER_SIZE or (tried and not self.env_keys):
            return None
        gain = state.model.env_gain() if state.model else 1.0
        misses = [pruning.miss(self.goal, m.outcome) for m in tried if m.outcome.status == "succeeded"]
        if misses and min(misses) > NOISE_WIDTH * state.noise + gain - 1:  # more than environments make up
            return None
        done = self._tried_envs(tried)
        best: tuple[float, dict[str, Any]] | None = None
        for env in self._env_options(state, tried):
            chance, settings = self._option(state, measured, size, env, done)
            if settings is not None and (best is None or chance > best[0] + CLEARLY):
                best = (chance, settings)
        if best is not None:
            return best
        # only where no compass move can go: the first finer move, then the first far one
        for env in [*self._finer_options(state, tried), *self._far_options(state, tried)]:
            chance, settings = self._option(state, measured, size, env, done)
            if settings is not None:
                return chance, settings
        return None

    def _far_options(self, state: _State, tried: Sequence[Measured]) -> list[dict[str, Any]]:
        """Each number's (or amount's) far moves from the `_centers`: to the far end of its range,
        then by half of it, both ways. The compass is local, and a value at one end whose short
        moves lose may still win at the other: a fetch size of 0 (the whole result in the heap)
        beats 10 and 50 (a round trip for a few rows), and 5000 beats them all. Only once a size
        has no compass or finer move left, so a search whose compass works is unchanged."""
        far: list[dict[str, Any]] = []
        for center in self._centers(state, tried):
            for part in FAR_PARTS:
                for name in self.env_keys:
                    if name in center and not nominal(self.env[name]):
                        far.extend({**center, name: value} for sign in (1, -1)
                                   for value in self._steps(name, center[name], sign / part))
        return far

    def _option(self, state: _State, measured: Sequence[Measured], size: Settings, env: Settings,
                done: set[SizeKey]) -> tuple[float, dict[str, Any] | None]:
        """An environment at a size and its chance; no settings if it was tried or cannot start."""
        if settings_key(env) in done:
            return 0.0, None
        settings = {**size, **env}
        full = {**self.space.fixed, **settings}
        starts = pruning.starts(full, self.env_keys, measured, state.hunger)
        if starts == 0.0:
            return 0.0, None
        return starts * self._meets(state, full), settings

    def _finer_options(self, state: _State, tried: Sequence[Measured]) -> list[dict[str, Any]]:
        """`_finer` moves from the `_centers` (each center's worked out once a proposal)."""
        out: list[dict[str, Any]] = []
        for center in self._centers(state, tried):
            key = settings_key(center)
            if key not in state.finer:
                state.finer[key] = self._finer(center)
            out.extend(state.finer[key])
        return out

    def _meets(self, state: _State, full: Settings) -> float:
        """The model's chance that a configuration (sizes filled in) meets the SLO; even before it has one."""
        if state.model is None or self.goal.max_p95_ms is None:
            return 0.5
        return state.model.chance_below(full, self.goal.max_p95_ms)

    def _less_memory(self, state: _State, size: Settings) -> tuple[list[Measured], list[Measured]]:
        """While memory has shown no effect on latency, the started tries of the same cpu and
        replicas with less memory count as the size's own: more memory would only repeat them
        (the environments tried, the misses), and a wide space has many memory sizes per cpu.
        No effect: the model's memory slope above -`MEMORY_GAIN` (then they count towards the
        size's tries too), or, at this cpu and replicas, two memories under one environment
        where the bigger was no faster by as much (a service that gains from memory elsewhere,
        or loses from it past a point as a collector's pauses grow with the heap; an environment
        that did not start with less memory may with more, so the size keeps its own tries).
        Returns the tries shared and those of them counted."""
        if state.model is None or "mem" not in size:
            return [], []
        full = {**self.space.fixed, **size}
        less = [m for m in state.latest.values() if m.outcome.status == "succeeded"
                and all(value_text(m.settings.get(k)) == value_text(full.get(k)) for k in ("cpu", "replicas"))
                and float(m.settings.get("mem", 0)) < float(full["mem"])]
        if state.model.slope("mem") > -MEMORY_GAIN:
            return less, less
        return (less, []) if self._memory_flat(less) else ([], [])

    def _memory_flat(self, tried: Sequence[Measured]) -> bool:
        """Two of `tried` (one cpu and replicas) under one environment where the one with more
        memory was no faster than `MEMORY_GAIN` (log p95 per log GiB) says memory makes it."""
        by_env: dict[SizeKey, list[tuple[float, float]]] = {}
        for m in tried:
            if m.outcome.p95_ms is not None:
                by_env.setdefault(settings_key(self._env_of(m.settings)), []).append(
                    (float(m.settings["mem"]), float(m.outcome.p95_ms)))
        return any(mem_b > mem_a and math.log(p95_b / p95_a) / math.log(mem_b / mem_a) > -MEMORY_GAIN
                   for points in by_env.values() for mem_a, p95_a in points for mem_b, p95_b in points)

    def _env_options(self, state: _State, tried: Sequence[Measured]) -> list[dict[str, Any]]:
        """The reference environment (the best feasible one's, else the anchor), the size's
        best try's, and their compass neighbours (of a choice among names, all its other names),
        each once, in that order."""
        if not self.env_keys:
            return [{}]
        options: list[dict[str, Any]] = []
        for center in self._centers(state, tried):
            options.append(center)
            for fraction in COMPASS:
                for name in self.env_keys:
                    if name not in center:
                        continue
                    for sign in (1, -1):
                        options.extend({**center, name: value}
                                       for value in self._steps(name, center[name], sign / fraction))
            options.extend(self._ridge_moves(center, tried, state.noise))
        unique: dict[SizeKey, dict[str, Any]] = {}
        for env in options:
            unique.setdefault(settings_key(env), env)
        return list(unique.values())

    def _centers(self, state: _State, tried: Sequence[Measured]) -> list[dict[str, Any]]:
        """Where a size's environments are moved from: the reference environment, then the
        size's best try's (if it has one that started)."""
        centers = [self._reference_env(state)]
        started = [m for m in tried if m.outcome.status == "succeeded"]
        if started:
            top = min(started, key=lambda m: pruning.miss(self.goal, m.outcome))
            centers.append(self._env_of(top.settings))
        return centers

    def _ridge_moves(self, center: Settings, tried: Sequence[Measured], noise: float) -> list[dict[str, Any]]:
        """Two variables moved at once from `center`, where one of them moved alone (a quarter of
        its range, the same way) went downhill at this size: it did not start, or was slower
        than `center` there by more than `NOISE_WIDTH` noises. A ridge (a pool that must match
        its workers, a heap that fits only under a limit) is climbed by neither alone, and a
        model that adds the variables' effects cannot see it."""
        by_env = {settings_key(self._env_of(m.settings)): m.outcome for m in tried}
        base = by_env.get(settings_key(center))

        def downhill(env: Settings) -> bool:
            result = by_env.get(settings_key(env))
            if result is None:
                return False
            if result.status != "succeeded" or result.p95_ms is None:
                return True
            return base is not None and base.p95_ms is not None \
                and math.log(result.p95_ms / base.p95_ms) > NOISE_WIDTH * noise

        moves = []
        names = [n for n in self.env_keys if n in center]
        for i, first in enumerate(names):
            for second in names[i + 1:]:
                for a in self._quarter(first, center[first]):
                    for b in self._quarter(second, center[second]):
                        one, two = {**center, first: a}, {**center, second: b}
                        if downhill(one) or downhill(two):
                            moves.append({**one, second: b})
        return moves

    def _quarter(self, name: str, value: Any) -> list[Any]:
        """A variable's compass moves by a quarter of its range, up then down."""
        return [v for sign in (1, -1) for v in self._steps(name, value, sign / COMPASS[0])]

    def _steps(self, name: str, value: Any, by: float) -> list[Any]:
        """A variable's compass move by `by` of its range; of a choice among names (no order
        to move along), every other name, whatever `by`."""
        dist = self.env[name]
        return _others(dist, value) if nominal(dist) else [_move(dist, value, by)]

    # -- the reasons -----------------------------------------------------------------------
    def _why(self, state: _State, settings: Settings, chance: float, open_sizes: int,
             ruled: Mapping[str, int]) -> dict[str, Any]:
        assert state.model is not None
        full = {**self.space.fixed, **settings}
        p95 = state.model.predict(full)
        kind = "predicted" if chance >= PREDICTED else "exploring"
        head = (f"predicted by the model: p95 about {p95:.1f} ms, {chance:.0%} chance of meeting the SLO"
                if kind == "predicted" else
                f"exploring: no cheaper open size is likely to meet the SLO; this one has the best chance x "
                f"saving ({chance:.0%}, p95 about {p95:.1f} ms)")
        pruned = ", ".join(f"{n} by {who}" for who, n in sorted(ruled.items(), key=lambda kv: -kv[1]))
        text = f"{head}; {open_sizes} cheaper sizes open" + (f"; ruled out: {pruned}" if pruned else "")
        return {"kind": kind, "text": text, "predicted_p95_ms": round(p95, 2), "chance": round(chance, 3),
                "open": open_sizes, "ruled_out": dict(ruled), "model": state.model.describe()}

    # -- helpers -----------------------------------------------------------------------------
    def _reference_env(self, state: _State) -> dict[str, Any]:
        """The environment each size is tried under first: the trusted best's, else the anchor."""
        return self._env_of(state.best_settings) if state.best_settings is not None else dict(self.anchor_env)

    def _env_of(self, settings: Settings) -> dict[str, Any]:
        """The environment variables `settings` name."""
        return {k: settings[k] for k in self.env_keys if k in settings}

    def _tried_envs(self, tried: Sequence[Measured]) -> set[SizeKey]:
        """The environments measured among `tried` (a variable a try left out counts as None)."""
        return {settings_key({k: m.settings.get(k) for k in self.env_keys}) for m in tried}

    def _repeats_of(self, result: obj.Outcome) -> int:
        """An undecided result is measured up to `repeats` times, whichever side of the limit its
        median lies: with a margin of a few per cent, the median of three flips either way."""
        return self.repeats

    def _chance(self, m: Measured, state: _State) -> float:
        """The chance that the configuration meets the SLOs (producer/verdict.py), by its worst
        one; for p95, its own samples pulled towards what the model says of its neighbours."""
        result = m.outcome
        if result.status != "succeeded":
            return 0.0
        ratio = max(1 + pruning.miss(self.goal, result), 1e-6)
        prior = None
        limit = self.goal.max_p95_ms
        if state.model is not None and limit is not None and result.p95_ms is not None \
                and state.model.samples > verdict.MODEL_AFTER and result.p95_ms / limit >= ratio - 1e-9:
            prior = (state.model.log_predict(m.settings) - math.log(limit), state.model.spread)
        return verdict.chance_met(ratio, 1.0, result.samples, state.noise, prior, state.dof)

    def _undecided(self, m: Measured, state: _State) -> bool:
        return m.outcome.status == "succeeded" and verdict.MISSED < self._chance(m, state) < verdict.TRUSTED

    def _trusted_feasible(self, m: Measured, state: _State) -> bool:
        """Met, with a chance of at least `verdict.TRUSTED` given the noise, its samples and the model."""
        return obj.feasible(self.goal, m.outcome) and self._chance(m, state) >= verdict.TRUSTED

    def _cost(self, m: Measured) -> float:
        return self.cost.get(self._key(m.settings), float("inf"))

    def _key(self, settings: Settings) -> SizeKey:
        """The searched size of settings whose fixed sizes are filled in."""
        return _size_key(self._step_settings(settings))

    def _step_settings(self, settings: Settings) -> dict[str, Any]:
        """Settings as a step sends them: the fixed (unsearched) sizes left out."""
        return {k: v for k, v in settings.items() if k not in self.space.fixed}


def _p95(result: obj.Outcome) -> str:
    return "no p95" if result.p95_ms is None else f"p95 {result.p95_ms:.1f} ms"


def _move(dist: BaseDistribution, value: Any, by: float) -> Any:
    """`value` moved by `by` times the distribution's span (or its choices), snapped to a
    value the distribution holds."""
    if isinstance(dist, CategoricalDistribution):
        choices = list(dist.choices)
        index = next((i for i, c in enumerate(choices) if value_text(c) == value_text(value)), 0)
        shift = round(by * len(choices)) or (1 if by > 0 else -1)
        return choices[min(max(index + shift, 0), len(choices) - 1)]
    assert isinstance(dist, IntDistribution | FloatDistribution)
    low, high = dist.low, dist.high
    moved = min(max(float(value) + by * (high - low), low), high)
    if isinstance(dist, IntDistribution):
        return int(low + round((moved - low) / dist.step) * dist.step)
    return on_step(dist, moved) if dist.step else round(moved, 10)  # a float range: its declared decimal


def _others(dist: BaseDistribution, value: Any) -> list[Any]:
    """A choice's values other than `value`, in their declared order."""
    assert isinstance(dist, CategoricalDistribution)
    return [c for c in dist.choices if value_text(c) != value_text(value)]


def _one_size_apart(a: Settings, b: Settings) -> str | None:
    """The one size (cpu, mem, replicas) in which `a` and `b` differ, if they differ in only that."""
    differ = [k for k in SIZE_KEYS if value_text(a.get(k)) != value_text(b.get(k))]
    return differ[0] if len(differ) == 1 else None


def _size(settings: Settings) -> dict[str, Any]:
    return {k: settings[k] for k in SIZE_KEYS if k in settings}


def _size_key(settings: Settings) -> SizeKey:
    return settings_key(_size(settings))
