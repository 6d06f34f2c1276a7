//! One simulated future: the step loop. A [`Worker`] owns every buffer a run needs and reuses
//! them run after run, so the loop allocates nothing.

use super::plan::{Coefficients, Plan};
use super::series::SeriesAccumulator;
use crate::expr::{Context, WindowKind};
use crate::rng::{self, Stream};
use crate::scenario::{DriverKind, MetricKind, Scenario};

/// The state of one run at one point, as expressions see it.
struct State<'a> {
    shares: &'a [f64],
    composite: &'a [f64],
    region: &'a [f64],
    regimes: &'a [usize],
    factors: &'a [f64],
    params: &'a [f64],
    derived: &'a [f64],
    fired: &'a [bool],
    fired_year: &'a [f64],
    /// Each window's value at this point (NaN until it has its points).
    windows: &'a [f64],
    /// This run's values of the scenario's start expressions (empty while they are computed).
    starts: &'a [f64],
    year: f64,
    n_channels: usize,
    n_slots: usize,
}

impl Context for State<'_> {
    fn share(&self, target: usize, channel: usize, slot: usize) -> f64 {
        self.shares[(target * self.n_channels + channel) * self.n_slots + slot]
    }
    fn composite(&self, target: usize, slot: usize) -> f64 {
        self.composite[target * self.n_slots + slot]
    }
    fn region(&self, slot: usize) -> f64 {
        self.region[slot]
    }
    fn regime(&self, driver: usize) -> usize {
        self.regimes[driver]
    }
    fn factor(&self, driver: usize) -> f64 {
        self.factors[driver]
    }
    fn param(&self, param: usize) -> f64 {
        self.params[param]
    }
    fn derived(&self, derived: usize) -> f64 {
        self.derived[derived]
    }
    fn fired(&self, event: usize) -> bool {
        self.fired[event]
    }
    fn fired_year(&self, event: usize) -> f64 {
        self.fired_year[event]
    }
    fn window(&self, slot: usize) -> f64 {
        self.windows[slot]
    }
    fn year(&self) -> f64 {
        self.year
    }
    fn start(&self, slot: usize) -> f64 {
        self.starts[slot]
    }
}

/// Highest hazard of a repeatable event whose hazard depends on the state: just below 1, as
/// for parameters (a hazard of 1 would be an infinite rate).
const MAX_REPEAT_HAZARD: f64 = 1.0 - 1e-15;

/// Moves the strengths `exp` (total `sum`) so that every share lies within its bounds, changing
/// only the strengths of the slots that end on a bound, and returns the new total.
///
/// With scale `c`, shares are `clamp(c·e_i, floor_i, ceiling_i)`; their sum rises with `c`, so
/// bisection finds the `c` where they sum to 1 (validation keeps floors' sum below 1 and
/// ceilings' at or above 1). A slot inside its bounds keeps `e_i` (its share is `c·e_i`); a
/// slot on a bound gets the strength `bound / c`.
fn enforce_bounds(exp: &mut [f64], sum: f64, bounds: impl Fn(usize) -> (f64, f64)) -> f64 {
    let excess = |c: f64| -> f64 {
        exp.iter()
            .enumerate()
            .map(|(s, e)| {
                let (floor, ceiling) = bounds(s);
                (c * e).clamp(floor, ceiling)
            })
            .sum::<f64>()
            - 1.0
    };
    let (mut lo, mut hi) = (1.0 / sum, 1.0 / sum);
    // Bracket the root by doubling, then bisect to the last bit.
    for _ in 0..2000 {
        if excess(lo) <= 0.0 {
            break;
        }
        lo *= 0.5;
    }
    for _ in 0..2000 {
        if excess(hi) >= 0.0 {
            break;
        }
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if excess(mid) < 0.0 {
            lo = mid
        } else {
            hi = mid
        }
    }
    let c = 0.5 * (lo + hi);
    let mut total = 0.0;
    for (s, e) in exp.iter_mut().enumerate() {
        let (floor, ceiling) = bounds(s);
        let share = (c * *e).clamp(floor, ceiling);
        if share != c * *e {
            *e = share / c;
        }
        total += *e;
    }
    total
}

/// The number of firings of a Poisson process with mean `mean` in one step, by inversion of
/// its distribution function at `u` (one uniform per step keeps the stream aligned).
fn poisson_quantile(u: f64, mean: f64) -> u32 {
    let mut probability = (-mean).exp();
    let mut cumulative = probability;
    let mut n = 0;
    // Means are small (−ln(1 − hazard)·dt); the cap only guards against absurd inputs.
    while u > cumulative && n < 10_000 {
        n += 1;
        probability *= mean / f64::from(n);
        cumulative += probability;
    }
    n
}

/// Largest gap kept between the log-strengths of one target and channel.
const MAX_LOG_RATIO: f64 = 600.0;

pub struct Worker<'a> {
    scenario: &'a Scenario,
    plan: &'a Plan,
    seed: u64,
    pub series: SeriesAccumulator,
    coefficients: Coefficients,
    params: Vec<f64>,
    /// This run's derived parameters, computed from `params`.
    derived: Vec<f64>,
    x: Vec<f64>,
    initial_x: Vec<f64>,
    /// This run's channel and target weights, normalised (the plan's, unless some weight is a
    /// parameter).
    channel_weights: Vec<f64>,
    target_weights: Vec<f64>,
    /// Whether some initial share, and some weight, is drawn per run (known once, not
    /// looked up in every run).
    uncertain_start: bool,
    uncertain_weights: bool,
    drift_base: Vec<f64>,
    drift: Vec<f64>,
    /// `noise[k * n_cells + cell]`: the standard normal of a cell in step k (0 without noise).
    noise: Vec<f64>,
    /// `shared[k * n_shared + j]`: the standard normal of shared shock j in step k.
    shared: Vec<f64>,
    exp: Vec<f64>,
    shares: Vec<f64>,
    /// Composite shares of every target then the region: one row of the series accumulator.
    aggregates: Vec<f64>,
    regimes: Vec<usize>,
    factors: Vec<f64>,
    fired: Vec<bool>,
    /// When each event first fired in this run (the time of the step, as `year`), NaN before.
    fired_year: Vec<f64>,
    /// Per window: its expression's values at the last `points + 1` points, point p at
    /// `p % (points + 1)`; and the window's value at the latest point observed.
    window_rings: Vec<Vec<f64>>,
    window_values: Vec<f64>,
    /// This run's value of each of the scenario's start expressions, at point 0.
    starts: Vec<f64>,
    driver_streams: Vec<Stream>,
    event_streams: Vec<Stream>,
    metric_state: Vec<f64>,
    /// Firings of each event in the current step.
    firings: Vec<u32>,
    /// This run's series values at the tracked points, and which tracked point a point is.
    tracked: Vec<f64>,
    tracked_slot: Vec<Option<usize>>,
    /// Where parameter uniforms come from when they are not drawn per run.
    source: &'a super::ParamSource<'a>,
    /// For designed rows: the run whose streams each row uses (otherwise its own index), and
    /// per source of chance, if given (see [`super::Rows::sources`]).
    rows: Option<&'a super::Rows>,
    /// Whether the noise is a source of chance of its own (some cell has volatility), and
    /// whether the shared shocks are (some cell loads on one): 1 or 0 each.
    noise_source: usize,
    shared_source: usize,
    /// The first run of this shard (0 when unsharded).
    first_run: u64,
}

impl<'a> Worker<'a> {
    pub fn new(
        scenario: &'a Scenario,
        plan: &'a Plan,
        config: &super::RunConfig,
        source: &'a super::ParamSource<'a>,
        rows: Option<&'a super::Rows>,
    ) -> Worker<'a> {
        let (seed, bins) = (config.seed, config.bins);
        let mut tracked_slot = vec![None; plan.n_steps + 1];
        for (i, &point) in config.tracked_points.iter().enumerate() {
            if let Some(slot) = tracked_slot.get_mut(point) {
                *slot = Some(i);
            }
        }
        let n = plan.n_cells;
        let initial_x: Vec<f64> = scenario.initial_shares.iter().map(|s| s.ln()).collect();
        let placeholder = rng::stream(0, 0, rng::ComponentKey::new(""));
        Worker {
            scenario,
            plan,
            seed,
            series: SeriesAccumulator::new(plan.n_steps + 1, plan.n_series(), bins),
            coefficients: plan.empty_coefficients(scenario),
            params: vec![0.0; scenario.params.len()],
            derived: vec![0.0; scenario.derived.len()],
            x: initial_x.clone(),
            initial_x,
            channel_weights: plan.channel_weights.clone(),
            target_weights: plan.target_weights.clone(),
            uncertain_start: scenario.uncertain_start(),
            uncertain_weights: scenario.uncertain_weights(),
            drift_base: vec![0.0; n],
            drift: vec![0.0; n],
            noise: vec![0.0; n * plan.n_steps],
            shared: vec![0.0; plan.shared_keys.len() * plan.n_steps],
            exp: vec![0.0; plan.n_slots],
            shares: vec![0.0; n],
            aggregates: vec![0.0; plan.n_series()],
            regimes: vec![0; scenario.drivers.len()],
            factors: vec![0.0; scenario.drivers.len()],
            fired: vec![false; scenario.events.len()],
            fired_year: vec![f64::NAN; scenario.events.len()],
            window_rings: scenario
                .windows
                .iter()
                .map(|w| vec![f64::NAN; w.points + 1])
                .collect(),
            window_values: vec![f64::NAN; scenario.windows.len()],
            starts: vec![0.0; scenario.starts.len()],
            driver_streams: vec![placeholder.clone(); scenario.drivers.len()],
            event_streams: vec![placeholder; scenario.events.len()],
            metric_state: vec![0.0; scenario.metrics.len()],
            firings: vec![0; scenario.events.len()],
            tracked: vec![0.0; config.tracked_points.len() * plan.n_series()],
            tracked_slot,
            source,
            rows,
            noise_source: usize::from(!plan.noise_cells.is_empty()),
            shared_source: usize::from(!plan.shared_keys.is_empty()),
            first_run: config.shard.map_or(0, |s| s.first),
        }
    }

    /// Simulates run `run`, records its series, and writes its metric values and parameter
    /// draws into the given slices.
    pub fn run(&mut self, run: u64, metrics_out: &mut [f64], params_out: &mut [f64]) {
        let scenario = self.scenario;
        let plan = self.plan;
        let seed = self.seed;

        let row = run as usize;
        let run = self
            .rows
            .map_or(run + self.first_run, |r| r.stream_runs[row]);
        // The run each source of chance draws from: `run`, unless the rows say otherwise.
        let n_sources =
            self.noise_source + self.shared_source + scenario.drivers.len() + scenario.events.len();
        let sources = self
            .rows
            .map(|r| r.sources.as_slice())
            .filter(|s| !s.is_empty())
            .map(|s| &s[row * n_sources..(row + 1) * n_sources]);
        let source_run = |i: usize| sources.map_or(run, |s| s[i]);
        let noise_run = source_run(0);
        let shared_run = source_run(self.noise_source);
        let first_driver = self.noise_source + self.shared_source;
        let first_event = first_driver + scenario.drivers.len();
        for p in 0..scenario.params.len() {
            let u = match self.source.uniform(scenario, seed, row, p) {
                Some(u) => u,
                None => rng::uniform(&mut rng::stream(seed, run, plan.param_keys[p])),
            };
            self.params[p] = plan.samplers[p].quantile(u);
        }
        params_out.copy_from_slice(&self.params);
        crate::scenario::derive(&scenario.derived, &self.params, &mut self.derived);
        if self.uncertain_start {
            self.draw_start();
        }
        if self.uncertain_weights {
            let inputs = (self.params.as_slice(), self.derived.as_slice());
            draw_composite_weights(scenario, inputs, &mut self.channel_weights);
            draw_weights(&scenario.targets, inputs, &mut self.target_weights);
        }
        plan.coefficients(
            scenario,
            (&self.params, &self.derived),
            &mut self.coefficients,
        );
        let co = &self.coefficients;

        let n = plan.n_cells;
        for &(cell, key) in &plan.noise_cells {
            let mut stream = rng::stream(seed, noise_run, key);
            for k in 0..plan.n_steps {
                self.noise[k * n + cell] = rng::standard_normal(&mut stream);
            }
        }
        let n_shared = plan.shared_keys.len();
        for (j, &key) in plan.shared_keys.iter().enumerate() {
            let mut stream = rng::stream(seed, shared_run, key);
            for k in 0..plan.n_steps {
                self.shared[k * n_shared + j] = rng::standard_normal(&mut stream);
            }
        }
        for (d, driver) in scenario.drivers.iter().enumerate() {
            self.driver_streams[d] =
                rng::stream(seed, source_run(first_driver + d), plan.driver_keys[d]);
            match &driver.kind {
                DriverKind::Regime(regime) => {
                    self.regimes[d] = match &plan.initial_cumulative[d] {
                        None => regime.initial,
                        // An uncertain start: the driver's first uniform picks the state.
                        Some((sums, last)) => {
                            let u = rng::uniform(&mut self.driver_streams[d]);
                            sums.iter().position(|c| u < *c).unwrap_or(*last)
                        }
                    }
                }
                DriverKind::Factor(factor) => self.factors[d] = factor.initial,
            }
        }
        for e in 0..scenario.events.len() {
            self.event_streams[e] =
                rng::stream(seed, source_run(first_event + e), plan.event_keys[e]);
        }
        self.fired.fill(false);
        self.fired_year.fill(f64::NAN);
        // 0 is "not yet" for `first` and "not so far" for `ever`; min and max start at point 0.
        // "Not yet" is NaN for `first` (any year, 0 included, is a result); "not so far" is 0
        // for `ever`; `at`, `min` and `max` are set at their first observation.
        for (state, metric) in self.metric_state.iter_mut().zip(&scenario.metrics) {
            *state = match metric.kind {
                MetricKind::First => f64::NAN,
                // "So far, it has held at every step."
                MetricKind::Always => 1.0,
                _ => 0.0,
            };
        }
        self.x.copy_from_slice(&self.initial_x);
        self.drift_base.copy_from_slice(&co.base_drift);

        self.shares_from_strengths();
        // `start(x)`: every x on the state at point 0, before anything reads it. No x holds a
        // start(...) (refused when compiled), so none reads the buffer while it is filled.
        let mut starts = std::mem::take(&mut self.starts);
        let state = self.state(0);
        for (value, x) in starts.iter_mut().zip(&scenario.starts) {
            *value = x.eval(&state);
        }
        self.starts = starts;
        self.observe(0);

        let per_year = scenario.step.per_year() as usize;
        for k in 0..plan.n_steps {
            let point = k + 1;
            if k % per_year == 0 {
                self.move_drivers();
            }
            self.try_events(point);
            self.move_strengths(k);
            self.shares_from_strengths();
            self.observe(point);
        }
        self.series.finish_run();
        // A `first` metric's "never" is NaN in memory; every output renders it as "never".
        let (metrics, tracked) = metrics_out.split_at_mut(self.metric_state.len());
        metrics.copy_from_slice(&self.metric_state);
        tracked.copy_from_slice(&self.tracked);
    }

    /// This run's initial log-strengths, when some initial share is a parameter: each actor's
    /// share as drawn, autonomy the remainder (positive by validation).
    fn draw_start(&mut self) {
        let scenario = self.scenario;
        let slots = scenario.actors.len() + 1;
        for (cells, x) in scenario
            .initial
            .chunks(slots)
            .zip(self.initial_x.chunks_mut(slots))
        {
            let mut sum = 0.0;
            for (value, x) in cells[..slots - 1].iter().zip(x.iter_mut()) {
                let share = value.resolve(&self.params, &self.derived);
                sum += share;
                *x = share.ln();
            }
            x[slots - 1] = (1.0 - sum).ln();
        }
    }

    /// Drivers move once a year, at the first step of each year: the yearly transition rows
    /// and AR(1) coefficients then hold exactly at every step length, and a driver's state
    /// holds for the whole year.
    fn move_drivers(&mut self) {
        let co = &self.coefficients;
        for (d, driver) in self.scenario.drivers.iter().enumerate() {
            let stream = &mut self.driver_streams[d];
            match driver.kind {
                DriverKind::Regime(_) => {
                    let u = rng::uniform(stream);
                    let row = &co.regime_cumulative[d][self.regimes[d]];
                    // The last state takes whatever rounding leaves above the final sum.
                    self.regimes[d] = row.iter().position(|c| u < *c).unwrap_or(row.len() - 1);
                }
                DriverKind::Factor(_) => {
                    let z = rng::standard_normal(stream);
                    self.factors[d] =
                        co.factor_phi[d] * self.factors[d] + co.factor_innovation[d] * z;
                }
            }
        }
    }

    /// Events: each draws one uniform per step whatever happens (streams stay aligned). All
    /// conditions are judged on the state before any event of this step acts, so the order in
    /// which events are declared does not matter; then the effects apply.
    fn try_events(&mut self, point: usize) {
        let scenario = self.scenario;
        let mut firings = std::mem::take(&mut self.firings);
        for (e, event) in scenario.events.iter().enumerate() {
            let u = rng::uniform(&mut self.event_streams[e]);
            firings[e] = 0;
            if !self.plan.event_open[e][point] || (self.fired[e] && !event.repeat) {
                continue;
            }
            let count = match &event.hazard_of_state {
                // The hazard of the moment, on the state the step starts from.
                Some((hazard, _)) => {
                    let h = hazard.eval(&self.state(point - 1));
                    let dt = self.plan.dt;
                    if event.repeat {
                        let h = if h.is_nan() {
                            0.0
                        } else {
                            h.clamp(0.0, MAX_REPEAT_HAZARD)
                        };
                        poisson_quantile(u, -(1.0 - h).ln() * dt)
                    } else {
                        let h = if h.is_nan() { 0.0 } else { h.clamp(0.0, 1.0) };
                        u32::from(u < 1.0 - (1.0 - h).powf(dt))
                    }
                }
                None if event.repeat => poisson_quantile(u, self.coefficients.event_rate[e]),
                None => u32::from(u < self.coefficients.event_probability[e]),
            };
            if count == 0 {
                continue;
            }
            if let Some(condition) = &event.condition
                && condition.eval(&self.state(point - 1)) == 0.0
            {
                continue;
            }
            firings[e] = count;
        }
        for (e, event) in scenario.events.iter().enumerate() {
            let count = firings[e];
            if count == 0 {
                continue;
            }
            if !self.fired[e] {
                self.fired_year[e] = self.plan.times[point];
            }
            self.fired[e] = true;
            let times = f64::from(count);
            for &(cell, amount) in &self.coefficients.event_jumps[e] {
                self.x[cell] += amount * times;
            }
            for &(cell, amount) in &self.coefficients.event_drifts[e] {
                self.drift_base[cell] += amount * times;
            }
            for &(driver, state) in &event.regime_changes {
                self.regimes[driver] = state;
            }
        }
        self.firings = firings;
    }

    fn move_strengths(&mut self, k: usize) {
        let co = &self.coefficients;
        self.drift.copy_from_slice(&self.drift_base);
        for (d, driver) in self.scenario.drivers.iter().enumerate() {
            match driver.kind {
                DriverKind::Regime(_) => {
                    for &(cell, amount) in &co.regime_shifts[d][self.regimes[d]] {
                        self.drift[cell] += amount;
                    }
                }
                DriverKind::Factor(_) => {
                    let f = self.factors[d];
                    for &(cell, amount) in &co.factor_shifts[d] {
                        self.drift[cell] += amount * f;
                    }
                }
            }
        }
        let n = self.plan.n_cells;
        let noise = &self.noise[k * n..(k + 1) * n];
        let terms = co.a.iter().zip(&co.c0).zip(&co.c1).zip(&co.s);
        for (((x, drift), z), (((a, c0), c1), s)) in
            self.x.iter_mut().zip(&self.drift).zip(noise).zip(terms)
        {
            *x = a * *x + c0 + c1 * drift + s * z;
        }
        let n_shared = self.plan.shared_keys.len();
        if n_shared > 0 {
            let shocks = &self.shared[k * n_shared..(k + 1) * n_shared];
            for &(cell, in_target, in_region) in &self.plan.shared_cells {
                if let Some(j) = in_target {
                    self.x[cell] += co.s_target[cell] * shocks[j];
                }
                if let Some(j) = in_region {
                    self.x[cell] += co.s_region[cell] * shocks[j];
                }
            }
        }
    }

    /// Shares from log-strengths (softmax per target and channel, shifted by the maximum so no
    /// strength overflows), with floors and ceilings enforced; then composites and region.
    fn shares_from_strengths(&mut self) {
        let plan = self.plan;
        let n_slots = plan.n_slots;
        let mut next_bounded = 0;
        for pair in 0..plan.n_targets * plan.n_channels {
            let base = pair * n_slots;
            let x = &mut self.x[base..base + n_slots];
            let max = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let mut sum = 0.0;
            for (e, xi) in self.exp.iter_mut().zip(x.iter_mut()) {
                // A strength e^-600 times the largest is nil for every output, but keeping it
                // above zero keeps its logarithm finite whatever drifts and jumps do.
                *xi = xi.max(max - MAX_LOG_RATIO);
                *e = (*xi - max).exp();
                sum += *e;
            }
            if plan
                .bounded_pairs
                .get(next_bounded)
                .is_some_and(|(p, _)| *p == pair)
            {
                let slots = &plan.bounded_pairs[next_bounded].1;
                next_bounded += 1;
                let co = &self.coefficients;
                let bounds = |s: usize| (co.floor[base + s], co.ceiling[base + s]);
                let violated = slots.iter().any(|&s| {
                    let share = self.exp[s] / sum;
                    let (floor, ceiling) = bounds(s);
                    share < floor || share > ceiling
                });
                if violated {
                    sum = enforce_bounds(&mut self.exp, sum, |s| {
                        if slots.contains(&s) {
                            bounds(s)
                        } else {
                            (0.0, 1.0)
                        }
                    });
                    for (xi, e) in x.iter_mut().zip(&self.exp) {
                        *xi = e.ln() + max;
                    }
                }
            }
            let inverse = 1.0 / sum;
            for (share, e) in self.shares[base..base + n_slots].iter_mut().zip(&self.exp) {
                *share = e * inverse;
            }
        }
        let n_channels = plan.n_channels;
        let (composites, region) = self.aggregates.split_at_mut(plan.n_targets * n_slots);
        region.fill(0.0);
        for t in 0..plan.n_targets {
            let composite = &mut composites[t * n_slots..(t + 1) * n_slots];
            composite.fill(0.0);
            let weights = &self.channel_weights[t * n_channels..(t + 1) * n_channels];
            for (c, &w) in weights.iter().enumerate() {
                let base = (t * n_channels + c) * n_slots;
                for (acc, share) in composite.iter_mut().zip(&self.shares[base..base + n_slots]) {
                    *acc += w * share;
                }
            }
            let w = self.target_weights[t];
            for (acc, value) in region.iter_mut().zip(composite.iter()) {
                *acc += w * value;
            }
        }
    }

    /// Each window takes its expression's value at `point` (on the state there, before any
    /// metric reads it; a window's expression reads no window) and recomputes its value.
    fn move_windows(&mut self, point: usize) {
        let mut rings = std::mem::take(&mut self.window_rings);
        let mut values = std::mem::take(&mut self.window_values);
        {
            let state = self.state(point);
            for ((window, ring), value) in self
                .scenario
                .windows
                .iter()
                .zip(&mut rings)
                .zip(&mut values)
            {
                let len = ring.len();
                ring[point % len] = window.expr.eval(&state);
                *value = window_value(window, ring, point);
            }
        }
        self.window_rings = rings;
        self.window_values = values;
    }

    fn state(&self, point: usize) -> State<'_> {
        let split = self.plan.n_targets * self.plan.n_slots;
        State {
            shares: &self.shares,
            composite: &self.aggregates[..split],
            region: &self.aggregates[split..],
            regimes: &self.regimes,
            factors: &self.factors,
            params: &self.params,
            derived: &self.derived,
            fired: &self.fired,
            fired_year: &self.fired_year,
            windows: &self.window_values,
            starts: &self.starts,
            year: self.plan.times[point],
            n_channels: self.plan.n_channels,
            n_slots: self.plan.n_slots,
        }
    }

    /// Records the series at `point`, moves every window on to it, and advances every metric.
    fn observe(&mut self, point: usize) {
        if !self.scenario.windows.is_empty() {
            self.move_windows(point);
        }
        self.series.record(point, &self.aggregates);
        if let Some(i) = self.tracked_slot[point] {
            let n = self.aggregates.len();
            self.tracked[i * n..(i + 1) * n].copy_from_slice(&self.aggregates);
        }
        let calendar_year = f64::from(self.plan.calendar_years[point]);
        let mut metric_state = std::mem::take(&mut self.metric_state);
        let state = self.state(point);
        for (m, metric) in self.scenario.metrics.iter().enumerate() {
            let current = &mut metric_state[m];
            match metric.kind {
                MetricKind::At { step, .. } => {
                    if step == point {
                        *current = metric.expr.eval(&state);
                    }
                }
                MetricKind::First => {
                    if current.is_nan() && metric.expr.eval(&state) != 0.0 {
                        *current = calendar_year;
                    }
                }
                MetricKind::Ever => {
                    if *current == 0.0 && metric.expr.eval(&state) != 0.0 {
                        *current = 1.0;
                    }
                }
                MetricKind::Always => {
                    if *current == 1.0 && metric.expr.eval(&state) == 0.0 {
                        *current = 0.0;
                    }
                }
                // Each step after the start counts its length when the condition holds at
                // its end.
                MetricKind::Duration => {
                    if point > 0 && metric.expr.eval(&state) != 0.0 {
                        *current += self.plan.dt;
                    }
                }
                MetricKind::Count { event } => {
                    if point > 0 {
                        *current += f64::from(self.firings[event]);
                    }
                }
                MetricKind::Min => {
                    let v = metric.expr.eval(&state);
                    *current = if point == 0 { v } else { current.min(v) };
                }
                MetricKind::Max => {
                    let v = metric.expr.eval(&state);
                    *current = if point == 0 { v } else { current.max(v) };
                }
            }
        }
        self.metric_state = metric_state;
    }
}

/// A window's value at `point` from its ring (see `Worker::window_rings`): NaN until the
/// points it needs exist.
fn window_value(window: &crate::expr::Window, ring: &[f64], point: usize) -> f64 {
    let (m, len) = (window.points, ring.len());
    match window.kind {
        WindowKind::Lag => {
            if point < m {
                f64::NAN
            } else {
                ring[(point - m) % len]
            }
        }
        _ if point + 1 < m => f64::NAN,
        kind => {
            let values = (0..m).map(|j| ring[(point - j) % len]);
            match kind {
                WindowKind::Mean => values.sum::<f64>() / m as f64,
                WindowKind::Min => values.fold(f64::INFINITY, f64::min),
                _ => values.fold(f64::NEG_INFINITY, f64::max),
            }
        }
    }
}

/// This run's channel weights in every target's composite: a target's own where it has them,
/// else the channels', each row normalised to sum 1.
fn draw_composite_weights(scenario: &Scenario, inputs: (&[f64], &[f64]), out: &mut [f64]) {
    let n = scenario.channels.len();
    for (target, row) in scenario.targets.iter().zip(out.chunks_mut(n)) {
        for (w, c) in row.iter_mut().zip(&scenario.channels) {
            *w = c.weight_value.resolve(inputs.0, inputs.1);
        }
        for &(c, value) in &target.channel_weights {
            row[c] = value.resolve(inputs.0, inputs.1);
        }
        let total: f64 = row.iter().sum();
        row.iter_mut().for_each(|w| *w /= total);
    }
}

/// A table's weights for this run: each as drawn, normalised to sum 1.
fn draw_weights(
    entities: &[crate::scenario::Entity],
    (params, derived): (&[f64], &[f64]),
    out: &mut [f64],
) {
    for (w, e) in out.iter_mut().zip(entities) {
        *w = e.weight_value.resolve(params, derived);
    }
    let total: f64 = out.iter().sum();
    for w in out.iter_mut() {
        *w /= total;
    }
}
