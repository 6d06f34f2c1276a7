//! What the engine derives from a scenario once, before any run: component keys of the random
//! streams, the step grid, event windows in steps, regime transition tables per step. Per-run
//! coefficients (which depend on the run's parameter draws) are resolved by [`Plan::coefficients`]
//! at the start of each run, so the step loop reads only flat arrays of numbers.

use rayon::prelude::*;

use crate::distribution::Sampler;
use crate::rng::ComponentKey;
use crate::scenario::{DriverKind, Row, Scenario, Value};

pub struct Plan {
    pub n_targets: usize,
    pub n_channels: usize,
    pub n_slots: usize,
    pub n_cells: usize,
    pub n_steps: usize,
    pub dt: f64,
    /// The channels' weights in each target's composite, `[target × channels + channel]`.
    pub channel_weights: Vec<f64>,
    pub target_weights: Vec<f64>,
    pub param_keys: Vec<ComponentKey>,
    /// How each parameter is drawn from its uniform (a table for the beta and PERT); empty
    /// until [`Plan::for_runs`] builds them.
    pub samplers: Vec<Sampler>,
    /// Cells whose volatility may be non-zero, with their noise stream keys.
    pub noise_cells: Vec<(usize, ComponentKey)>,
    /// The shared shocks (`common` in `[[dynamics]]`): one stream per actor and target whose
    /// cells load on it, then one per actor across the region, with their keys.
    pub shared_keys: Vec<ComponentKey>,
    /// Cells that load on a shared shock: the cell, and the index into `shared_keys` of its
    /// actor's shock in its target and of its actor's regional shock (`None` where it does
    /// not load on that one).
    pub shared_cells: Vec<(usize, Option<usize>, Option<usize>)>,
    pub driver_keys: Vec<ComponentKey>,
    pub event_keys: Vec<ComponentKey>,
    /// `event_open[e][k]`: whether event `e` may fire in the step that ends at point `k`.
    pub event_open: Vec<Vec<bool>>,
    /// Pairs (target, channel) with a floor or ceiling on some slot, with those slots.
    pub bounded_pairs: Vec<(usize, Vec<usize>)>,
    /// Per regime driver (empty for factors): the cumulative yearly transition row of each
    /// state, for the rows that are the same in every run (see [`Coefficients`] for all).
    pub regime_cumulative: Vec<Vec<Vec<f64>>>,
    /// Whether some transition row is drawn in each run.
    pub drawn_rows: bool,
    /// Per driver with an uncertain start: the running sums of its start probabilities, and
    /// the state taken when rounding leaves a uniform above the last sum (the last state that
    /// can start).
    pub initial_cumulative: Vec<Option<(Vec<f64>, usize)>>,
    /// Time in years of each point 0..=n_steps.
    pub times: Vec<f64>,
    /// Calendar year of each point.
    pub calendar_years: Vec<i32>,
}

/// Per-run numbers, resolved from the scenario's values and the run's parameter draws.
pub struct Coefficients {
    /// Drift per year of each cell before drivers and events.
    pub base_drift: Vec<f64>,
    /// Update `x ← a·x + c0 + c1·drift + s·z` per cell, covering plain diffusion
    /// (a = 1, c0 = 0, c1 = dt, s = σ√dt) and exact Ornstein–Uhlenbeck steps alike.
    pub a: Vec<f64>,
    pub c0: Vec<f64>,
    pub c1: Vec<f64>,
    pub s: Vec<f64>,
    /// Per cell: the step's loading on its actor's shock in its target, and on its actor's
    /// regional shock (as `s`, scaled to one step, exact for reverting cells too).
    pub s_target: Vec<f64>,
    pub s_region: Vec<f64>,
    pub floor: Vec<f64>,
    pub ceiling: Vec<f64>,
    /// Per regime driver: this run's cumulative yearly transition row of each state, the last
    /// entry exactly 1.
    pub regime_cumulative: Vec<Vec<Vec<f64>>>,
    /// Drift shifts per regime state, resolved: `regime_shifts[d][state]`.
    pub regime_shifts: Vec<Vec<Vec<(usize, f64)>>>,
    /// Per factor driver: AR coefficient per step and innovation sd per step.
    pub factor_phi: Vec<f64>,
    pub factor_innovation: Vec<f64>,
    pub factor_shifts: Vec<Vec<(usize, f64)>>,
    /// Per once-only event: probability of firing in one step, `1 − (1 − hazard)^dt`.
    pub event_probability: Vec<f64>,
    /// Per repeatable event: mean number of firings in one step, `−ln(1 − hazard)·dt` (a
    /// Poisson process that happens at least once in a year with probability `hazard`).
    pub event_rate: Vec<f64>,
    pub event_jumps: Vec<Vec<(usize, f64)>>,
    pub event_drifts: Vec<Vec<(usize, f64)>>,
}

impl Plan {
    pub fn new(scenario: &Scenario) -> Plan {
        let n_steps = scenario.n_steps();
        let n_slots = scenario.n_slots();
        let times: Vec<f64> = (0..=n_steps).map(|k| scenario.time(k)).collect();
        let calendar_years: Vec<i32> = (0..=n_steps).map(|k| scenario.calendar_year(k)).collect();
        let mut noise_cells = Vec::new();
        for t in 0..scenario.targets.len() {
            for c in 0..scenario.channels.len() {
                for slot in 0..n_slots {
                    let cell = scenario.cell(t, c, slot);
                    if !scenario.cells[cell].volatility.is_zero() {
                        let name = format!(
                            "noise/{}/{}/{}",
                            scenario.targets[t].name,
                            scenario.channels[c].name,
                            scenario.slot_name(slot)
                        );
                        noise_cells.push((cell, ComponentKey::new(&name)));
                    }
                }
            }
        }
        let (shared_keys, shared_cells) = shared_shocks(scenario);
        let event_open = scenario
            .events
            .iter()
            .map(|e| {
                calendar_years
                    .iter()
                    .enumerate()
                    .map(|(k, &y)| k > 0 && y >= e.window.0 && y <= e.window.1)
                    .collect()
            })
            .collect();
        let mut bounded_pairs = Vec::new();
        for pair in 0..scenario.targets.len() * scenario.channels.len() {
            let slots: Vec<usize> = (0..n_slots)
                .filter(|&s| {
                    let cell = &scenario.cells[pair * n_slots + s];
                    cell.floor.is_some() || cell.ceiling.is_some()
                })
                .collect();
            if !slots.is_empty() {
                bounded_pairs.push((pair, slots));
            }
        }
        // Rows drawn in each run are filled in by `coefficients`; the fixed ones are here.
        let regime_cumulative = scenario
            .drivers
            .iter()
            .map(|d| match &d.kind {
                DriverKind::Regime(r) => r
                    .transitions
                    .iter()
                    .map(|row| match row {
                        Row::Fixed(p) => cumulative(p),
                        _ => vec![0.0; r.states.len()],
                    })
                    .collect(),
                DriverKind::Factor(_) => Vec::new(),
            })
            .collect();
        let drawn_rows = scenario.drivers.iter().any(|d| match &d.kind {
            DriverKind::Regime(r) => r.transitions.iter().any(|row| !row.is_fixed()),
            DriverKind::Factor(_) => false,
        });
        let initial_cumulative = scenario
            .drivers
            .iter()
            .map(|d| match &d.kind {
                DriverKind::Regime(r) => r.initial_chances.as_ref().map(|chances| {
                    let mut sums = chances.clone();
                    let mut sum = 0.0;
                    for p in sums.iter_mut() {
                        sum += *p;
                        *p = sum;
                    }
                    let last = chances.iter().rposition(|p| *p > 0.0).unwrap_or(0);
                    (sums, last)
                }),
                DriverKind::Factor(_) => None,
            })
            .collect();
        Plan {
            regime_cumulative,
            drawn_rows,
            initial_cumulative,
            n_targets: scenario.targets.len(),
            n_channels: scenario.channels.len(),
            n_slots,
            n_cells: scenario.n_cells(),
            n_steps,
            dt: scenario.step.dt(),
            channel_weights: scenario.composite_weights.clone(),
            target_weights: scenario.targets.iter().map(|t| t.weight).collect(),
            samplers: Vec::new(),
            param_keys: scenario
                .params
                .iter()
                .map(|p| ComponentKey::new(&format!("param/{}", p.name)))
                .collect(),
            noise_cells,
            shared_keys,
            shared_cells,
            driver_keys: scenario
                .drivers
                .iter()
                .map(|d| ComponentKey::new(&format!("driver/{}", d.name)))
                .collect(),
            event_keys: scenario
                .events
                .iter()
                .map(|e| ComponentKey::new(&format!("event/{}", e.name)))
                .collect(),
            event_open,
            bounded_pairs,
            times,
            calendar_years,
        }
    }

    /// The plan with what running needs beyond the scenario's shape: the parameters'
    /// samplers, built in parallel (a beta's table costs about 2 ms).
    pub fn for_runs(scenario: &Scenario) -> Plan {
        let mut plan = Plan::new(scenario);
        plan.samplers = scenario
            .params
            .par_iter()
            .map(|p| Sampler::new(&p.distribution))
            .collect();
        plan
    }

    /// Number of aggregate series: (targets + region) × slots.
    pub fn n_series(&self) -> usize {
        (self.n_targets + 1) * self.n_slots
    }

    /// Resolves every per-run number of the scenario from the run's parameter values.
    pub fn coefficients(
        &self,
        scenario: &Scenario,
        (params, derived): (&[f64], &[f64]),
        out: &mut Coefficients,
    ) {
        let dt = self.dt;
        let v = |value: Value| value.resolve(params, derived);
        for (cell, dynamics) in scenario.cells.iter().enumerate() {
            out.base_drift[cell] = dynamics.drift.iter().map(|d| v(*d)).sum();
            let sigma = v(dynamics.volatility);
            // The standard deviation, after one step, of a unit of noise per √year.
            let scale = match dynamics.reversion {
                None => {
                    out.a[cell] = 1.0;
                    out.c0[cell] = 0.0;
                    out.c1[cell] = dt;
                    dt.sqrt()
                }
                Some(reversion) => {
                    // Exact OU step toward m = ln(level) + drift/κ over dt.
                    // expm1 keeps 1 − e^(−κ·dt) exact for the tiny speeds a parameter can draw.
                    let kappa = v(reversion.speed);
                    let one_minus_a = -(-kappa * dt).exp_m1();
                    out.a[cell] = 1.0 - one_minus_a;
                    out.c0[cell] = one_minus_a * v(reversion.level).ln();
                    out.c1[cell] = one_minus_a / kappa;
                    (-(-2.0 * kappa * dt).exp_m1() / (2.0 * kappa)).sqrt()
                }
            };
            out.s[cell] = sigma * scale;
            out.s_target[cell] = v(dynamics.common_target) * scale;
            out.s_region[cell] = v(dynamics.common_region) * scale;
            out.floor[cell] = dynamics.floor.map_or(0.0, v);
            out.ceiling[cell] = dynamics.ceiling.map_or(1.0, v);
        }
        for (d, driver) in scenario.drivers.iter().enumerate() {
            match &driver.kind {
                DriverKind::Regime(regime) => {
                    if self.drawn_rows {
                        for (row, cumulative) in
                            regime.transitions.iter().zip(&mut out.regime_cumulative[d])
                        {
                            if !row.is_fixed() {
                                row.resolve(params, derived, cumulative);
                                accumulate(cumulative);
                            }
                        }
                    }
                    for (state, shifts) in regime.shifts.iter().enumerate() {
                        let resolved = &mut out.regime_shifts[d][state];
                        resolved.clear();
                        resolved.extend(shifts.iter().map(|s| (s.cell, v(s.amount))));
                    }
                }
                DriverKind::Factor(factor) => {
                    // Factors move once a year (see `Worker::move_drivers`).
                    let phi = v(factor.persistence);
                    out.factor_phi[d] = phi;
                    out.factor_innovation[d] = v(factor.sd) * (1.0 - phi * phi).max(0.0).sqrt();
                    out.factor_shifts[d].clear();
                    out.factor_shifts[d]
                        .extend(factor.shifts.iter().map(|s| (s.cell, v(s.amount))));
                }
            }
        }
        for (e, event) in scenario.events.iter().enumerate() {
            let hazard = v(event.hazard).clamp(0.0, 1.0);
            out.event_probability[e] = 1.0 - (1.0 - hazard).powf(dt);
            // A hazard of 1 is refused for repeatable events; parameters stop just short of it.
            out.event_rate[e] = -(1.0 - hazard).max(1e-15).ln() * dt;
            out.event_jumps[e].clear();
            out.event_jumps[e].extend(event.jumps.iter().map(|s| (s.cell, v(s.amount))));
            out.event_drifts[e].clear();
            out.event_drifts[e].extend(event.drifts.iter().map(|s| (s.cell, v(s.amount))));
        }
    }

    pub fn empty_coefficients(&self, scenario: &Scenario) -> Coefficients {
        let n = self.n_cells;
        let n_drivers = scenario.drivers.len();
        let mut regime_shifts = vec![Vec::new(); n_drivers];
        for (d, driver) in scenario.drivers.iter().enumerate() {
            if let DriverKind::Regime(regime) = &driver.kind {
                let n_states = regime.states.len();
                regime_shifts[d] = vec![Vec::new(); n_states];
            }
        }
        let n_events = scenario.events.len();
        Coefficients {
            regime_cumulative: self.regime_cumulative.clone(),
            base_drift: vec![0.0; n],
            a: vec![1.0; n],
            c0: vec![0.0; n],
            c1: vec![0.0; n],
            s: vec![0.0; n],
            s_target: vec![0.0; n],
            s_region: vec![0.0; n],
            floor: vec![0.0; n],
            ceiling: vec![1.0; n],
            regime_shifts,
            factor_phi: vec![0.0; n_drivers],
            factor_innovation: vec![0.0; n_drivers],
            factor_shifts: vec![Vec::new(); n_drivers],
            event_probability: vec![0.0; n_events],
            event_rate: vec![0.0; n_events],
            event_jumps: vec![Vec::new(); n_events],
            event_drifts: vec![Vec::new(); n_events],
        }
    }
}

/// The shared shocks' stream keys and the cells that load on them (see [`Plan::shared_keys`]).
/// A shock exists where some cell may load on it: actor × target shocks first, in target then
/// slot order, then the regional shocks in slot order. Keys are `shared/TARGET/ACTOR` and
/// `shared-region/ACTOR`, apart from every cell's own `noise/...`.
#[allow(clippy::type_complexity)]
fn shared_shocks(
    scenario: &Scenario,
) -> (
    Vec<ComponentKey>,
    Vec<(usize, Option<usize>, Option<usize>)>,
) {
    let n_slots = scenario.n_slots();
    let (n_targets, n_channels) = (scenario.targets.len(), scenario.channels.len());
    let loads = |cell: usize| {
        let c = &scenario.cells[cell];
        (!c.common_target.is_zero(), !c.common_region.is_zero())
    };
    let mut keys = Vec::new();
    let mut target_shock = vec![None; n_targets * n_slots];
    for t in 0..n_targets {
        for slot in 0..n_slots {
            if (0..n_channels).any(|c| loads(scenario.cell(t, c, slot)).0) {
                target_shock[t * n_slots + slot] = Some(keys.len());
                let name = format!(
                    "shared/{}/{}",
                    scenario.targets[t].name,
                    scenario.slot_name(slot)
                );
                keys.push(ComponentKey::new(&name));
            }
        }
    }
    let mut region_shock = vec![None; n_slots];
    for (slot, shock) in region_shock.iter_mut().enumerate() {
        let any =
            (0..n_targets).any(|t| (0..n_channels).any(|c| loads(scenario.cell(t, c, slot)).1));
        if any {
            *shock = Some(keys.len());
            let name = format!("shared-region/{}", scenario.slot_name(slot));
            keys.push(ComponentKey::new(&name));
        }
    }
    let mut cells = Vec::new();
    for t in 0..n_targets {
        for c in 0..n_channels {
            for slot in 0..n_slots {
                let cell = scenario.cell(t, c, slot);
                let (in_target, in_region) = loads(cell);
                if in_target || in_region {
                    cells.push((
                        cell,
                        target_shock[t * n_slots + slot].filter(|_| in_target),
                        region_shock[slot].filter(|_| in_region),
                    ));
                }
            }
        }
    }
    (keys, cells)
}

/// The cumulative sums of a row, the last exactly 1 (whatever rounding left of the sum).
fn cumulative(row: &[f64]) -> Vec<f64> {
    let mut sums = row.to_vec();
    accumulate(&mut sums);
    sums
}

/// Turns a row into its cumulative sums in place, the last exactly 1.
fn accumulate(row: &mut [f64]) {
    let mut sum = 0.0;
    for p in row.iter_mut() {
        sum += *p;
        *p = sum;
    }
    if let Some(last) = row.last_mut() {
        *last = 1.0;
    }
}
