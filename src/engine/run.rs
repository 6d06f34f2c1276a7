//! One simulated future: the step loop. A [`Worker`] owns every buffer a run needs and reuses
//! them run after run, so the loop allocates nothing.

use super::plan::{Coefficients, Plan};
use super::series::SeriesAccumulator;
use crate::expr::Context;
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
    fired: &'a [bool],
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
    fn fired(&self, event: usize) -> bool {
        self.fired[event]
    }
    fn year(&self) -> f64 {
        self.year
    }
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
    x: Vec<f64>,
    initial_x: Vec<f64>,
    drift_base: Vec<f64>,
    drift: Vec<f64>,
    /// `noise[k * n_cells + cell]`: the standard normal of a cell in step k (0 without noise).
    noise: Vec<f64>,
    exp: Vec<f64>,
    shares: Vec<f64>,
    /// Composite shares of every target then the region: one row of the series accumulator.
    aggregates: Vec<f64>,
    regimes: Vec<usize>,
    factors: Vec<f64>,
    fired: Vec<bool>,
    driver_streams: Vec<Stream>,
    event_streams: Vec<Stream>,
    metric_state: Vec<f64>,
}

impl<'a> Worker<'a> {
    pub fn new(scenario: &'a Scenario, plan: &'a Plan, seed: u64, bins: usize) -> Worker<'a> {
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
            x: initial_x.clone(),
            initial_x,
            drift_base: vec![0.0; n],
            drift: vec![0.0; n],
            noise: vec![0.0; n * plan.n_steps],
            exp: vec![0.0; plan.n_slots],
            shares: vec![0.0; n],
            aggregates: vec![0.0; plan.n_series()],
            regimes: vec![0; scenario.drivers.len()],
            factors: vec![0.0; scenario.drivers.len()],
            fired: vec![false; scenario.events.len()],
            driver_streams: vec![placeholder.clone(); scenario.drivers.len()],
            event_streams: vec![placeholder; scenario.events.len()],
            metric_state: vec![0.0; scenario.metrics.len()],
        }
    }

    /// Simulates run `run`, records its series, and writes its metric values and parameter
    /// draws into the given slices.
    pub fn run(&mut self, run: u64, metrics_out: &mut [f64], params_out: &mut [f64]) {
        let scenario = self.scenario;
        let plan = self.plan;
        let seed = self.seed;

        for (p, param) in scenario.params.iter().enumerate() {
            let mut stream = rng::stream(seed, run, plan.param_keys[p]);
            self.params[p] = param.distribution.quantile(rng::uniform(&mut stream));
        }
        params_out.copy_from_slice(&self.params);
        plan.coefficients(scenario, &self.params, &mut self.coefficients);
        let co = &self.coefficients;

        let n = plan.n_cells;
        for &(cell, key) in &plan.noise_cells {
            let mut stream = rng::stream(seed, run, key);
            for k in 0..plan.n_steps {
                self.noise[k * n + cell] = rng::standard_normal(&mut stream);
            }
        }
        for (d, driver) in scenario.drivers.iter().enumerate() {
            self.driver_streams[d] = rng::stream(seed, run, plan.driver_keys[d]);
            match &driver.kind {
                DriverKind::Regime(regime) => self.regimes[d] = regime.initial,
                DriverKind::Factor(factor) => self.factors[d] = factor.initial,
            }
        }
        for e in 0..scenario.events.len() {
            self.event_streams[e] = rng::stream(seed, run, plan.event_keys[e]);
        }
        self.fired.fill(false);
        // 0 is "not yet" for `first` and "not so far" for `ever`; min and max start at point 0.
        self.metric_state.fill(0.0);
        self.x.copy_from_slice(&self.initial_x);
        self.drift_base.copy_from_slice(&co.base_drift);

        self.shares_from_strengths();
        self.observe(0);

        for k in 0..plan.n_steps {
            let point = k + 1;
            self.move_drivers();
            self.try_events(point);
            self.move_strengths(k);
            self.shares_from_strengths();
            self.observe(point);
        }
        self.series.finish_run();
        for (m, metric) in scenario.metrics.iter().enumerate() {
            metrics_out[m] = match metric.kind {
                // "Never" is NaN in memory; every output renders it as "never".
                MetricKind::First if self.metric_state[m] == 0.0 => f64::NAN,
                _ => self.metric_state[m],
            };
        }
    }

    fn move_drivers(&mut self) {
        let co = &self.coefficients;
        for (d, driver) in self.scenario.drivers.iter().enumerate() {
            let stream = &mut self.driver_streams[d];
            match driver.kind {
                DriverKind::Regime(_) => {
                    // One uniform per step whatever happens, so the stream stays aligned
                    // across scenarios (common random numbers).
                    let u = rng::uniform(stream);
                    let from = self.regimes[d];
                    let leave = co.regime_leave[d][from];
                    if u < leave {
                        let v = u / leave;
                        let destinations = &co.regime_destination[d][from];
                        let to = destinations
                            .iter()
                            .find(|(_, cumulative)| v < *cumulative)
                            .or(destinations.last())
                            .map_or(from, |(j, _)| *j);
                        self.regimes[d] = to;
                    }
                }
                DriverKind::Factor(_) => {
                    let z = rng::standard_normal(stream);
                    self.factors[d] =
                        co.factor_phi[d] * self.factors[d] + co.factor_innovation[d] * z;
                }
            }
        }
    }

    fn try_events(&mut self, point: usize) {
        let scenario = self.scenario;
        for (e, event) in scenario.events.iter().enumerate() {
            let u = rng::uniform(&mut self.event_streams[e]);
            if !self.plan.event_open[e][point] || (self.fired[e] && !event.repeat) {
                continue;
            }
            if u >= self.coefficients.event_probability[e] {
                continue;
            }
            if let Some(condition) = &event.condition {
                let state = self.state(point - 1);
                if condition.eval(&state) == 0.0 {
                    continue;
                }
            }
            self.fired[e] = true;
            for &(cell, amount) in &self.coefficients.event_jumps[e] {
                self.x[cell] += amount;
            }
            for &(cell, amount) in &self.coefficients.event_drifts[e] {
                self.drift_base[cell] += amount;
            }
            for &(driver, state) in &event.regime_changes {
                self.regimes[driver] = state;
            }
        }
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
                // Resetting one strength moves every other share, so a few passes settle
                // slots that bound each other; validation keeps the floors' sum below 1.
                for _ in 0..4 {
                    let mut adjusted = false;
                    for &s in slots {
                        let (floor, ceiling) = (co.floor[base + s], co.ceiling[base + s]);
                        let share = self.exp[s] / sum;
                        let bound = if share < floor {
                            floor
                        } else if share > ceiling {
                            ceiling
                        } else {
                            continue;
                        };
                        // Strength giving share `bound` against the others' total.
                        let others = sum - self.exp[s];
                        let strength = bound / (1.0 - bound) * others;
                        sum = others + strength;
                        self.exp[s] = strength;
                        x[s] = strength.ln() + max;
                        adjusted = true;
                    }
                    if !adjusted {
                        break;
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
            for (c, &w) in plan.channel_weights.iter().enumerate() {
                let base = (t * n_channels + c) * n_slots;
                for (acc, share) in composite.iter_mut().zip(&self.shares[base..base + n_slots]) {
                    *acc += w * share;
                }
            }
            let w = plan.target_weights[t];
            for (acc, value) in region.iter_mut().zip(composite.iter()) {
                *acc += w * value;
            }
        }
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
            fired: &self.fired,
            year: self.plan.times[point],
            n_channels: self.plan.n_channels,
            n_slots: self.plan.n_slots,
        }
    }

    /// Records the series at `point` and advances every metric.
    fn observe(&mut self, point: usize) {
        self.series.record(point, &self.aggregates);
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
                    // 0 means "not yet": calendar years are never 0 in a valid scenario.
                    if *current == 0.0 && metric.expr.eval(&state) != 0.0 {
                        *current = calendar_year;
                    }
                }
                MetricKind::Ever => {
                    if *current == 0.0 && metric.expr.eval(&state) != 0.0 {
                        *current = 1.0;
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
