//! Scenario discovery with PRIM, the patient rule induction method (Friedman & Fisher 1999):
//! find ranges of the assumptions — a box — in which an outcome is much more likely than
//! overall, by peeling a small share of the runs at a time off the box's edges.

use serde::Serialize;

/// Version of the discovery document (docs/sensitivity.md).
pub const SCHEMA: &str = "steppe.discover/1";

#[derive(Debug, Clone, Serialize)]
pub struct Discovery {
    pub schema: &'static str,
    pub outcome: String,
    pub runs: u64,
    /// Runs in which the outcome holds.
    pub positives: u64,
    /// The peeling trajectory, from the whole space (step 0) on.
    pub trajectory: Vec<Step>,
    /// Index into `trajectory` of the box a user would pick (see `RULE`).
    pub chosen: usize,
    pub rule: &'static str,
}

/// How the box is picked from the trajectory.
pub const RULE: &str = "among the boxes that cover at least half of the runs where the outcome holds, the largest whose density is within 1 percentage point of the densest";

#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub step: usize,
    /// Share of all runs where the outcome holds that lie in the box.
    pub coverage: f64,
    /// Share of the runs in the box where the outcome holds.
    pub density: f64,
    pub runs_in_box: u64,
    /// Every parameter's range in the box; `restricted` if narrower than all the draws.
    pub limits: Vec<Limit>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Limit {
    pub param: String,
    pub low: f64,
    pub high: f64,
    pub restricted: bool,
}

/// PRIM over `params` (name, each run's draw) and `outcome` (per run). Peels `peel` of the
/// runs in the box at each step until fewer than `min_support` of all runs remain, or no peel
/// can keep the density from falling.
pub fn prim(
    name: &str,
    params: &[(String, Vec<f64>)],
    outcome: &[bool],
    peel: f64,
    min_support: f64,
) -> Discovery {
    let n = outcome.len();
    let positives = outcome.iter().filter(|o| **o).count();
    let full: Vec<(f64, f64)> = params
        .iter()
        .map(|(_, v)| {
            (
                v.iter().copied().fold(f64::INFINITY, f64::min),
                v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            )
        })
        .collect();
    let mut bounds = full.clone();
    let mut inside = vec![true; n];
    let mut trajectory = vec![step(0, params, &full, &bounds, &inside, outcome, positives)];
    loop {
        let in_box: Vec<usize> = (0..n).filter(|&r| inside[r]).collect();
        let count = in_box.len();
        if (count as f64) < min_support * n as f64 || count < 2 {
            break;
        }
        let current = density(&in_box, outcome);
        let k = ((peel * count as f64).floor() as usize).max(1);
        // Best candidate peel: (density after, runs kept, parameter, new bounds).
        let mut best: Option<(f64, usize, usize, (f64, f64))> = None;
        for (p, (_, values)) in params.iter().enumerate() {
            let mut sorted: Vec<f64> = in_box.iter().map(|&r| values[r]).collect();
            sorted.sort_by(f64::total_cmp);
            for new in [
                (sorted[k.min(count - 1)], bounds[p].1),
                (bounds[p].0, sorted[count - 1 - k.min(count - 1)]),
            ] {
                let kept: Vec<usize> = in_box
                    .iter()
                    .copied()
                    .filter(|&r| values[r] >= new.0 && values[r] <= new.1)
                    .collect();
                if kept.len() == count || kept.is_empty() {
                    continue;
                }
                let d = density(&kept, outcome);
                let better = match best {
                    None => true,
                    Some((bd, bk, ..)) => {
                        d > bd + 1e-12 || ((d - bd).abs() <= 1e-12 && kept.len() > bk)
                    }
                };
                if better {
                    best = Some((d, kept.len(), p, new));
                }
            }
        }
        let Some((d, _, p, new)) = best else { break };
        if d + 1e-12 < current {
            break;
        }
        bounds[p] = new;
        for (inside, value) in inside.iter_mut().zip(&params[p].1) {
            *inside = *inside && *value >= new.0 && *value <= new.1;
        }
        trajectory.push(step(
            trajectory.len(),
            params,
            &full,
            &bounds,
            &inside,
            outcome,
            positives,
        ));
    }
    let eligible: Vec<usize> = {
        let covering: Vec<usize> = (0..trajectory.len())
            .filter(|&i| trajectory[i].coverage >= 0.5)
            .collect();
        if covering.is_empty() {
            (0..trajectory.len()).collect()
        } else {
            covering
        }
    };
    // The last peels toward the densest box often cut into it: prefer the largest box that is
    // nearly as dense.
    let densest = eligible
        .iter()
        .map(|&i| trajectory[i].density)
        .fold(0.0, f64::max);
    let chosen = eligible
        .iter()
        .copied()
        .filter(|&i| trajectory[i].density >= densest - 0.01)
        .max_by(|&a, &b| trajectory[a].coverage.total_cmp(&trajectory[b].coverage))
        .unwrap_or(0);
    Discovery {
        schema: SCHEMA,
        outcome: name.to_string(),
        runs: n as u64,
        positives: positives as u64,
        trajectory,
        chosen,
        rule: RULE,
    }
}

fn density(rows: &[usize], outcome: &[bool]) -> f64 {
    rows.iter().filter(|&&r| outcome[r]).count() as f64 / rows.len().max(1) as f64
}

fn step(
    index: usize,
    params: &[(String, Vec<f64>)],
    full: &[(f64, f64)],
    bounds: &[(f64, f64)],
    inside: &[bool],
    outcome: &[bool],
    positives: usize,
) -> Step {
    let rows: Vec<usize> = (0..inside.len()).filter(|&r| inside[r]).collect();
    let covered = rows.iter().filter(|&&r| outcome[r]).count();
    Step {
        step: index,
        coverage: covered as f64 / positives.max(1) as f64,
        density: density(&rows, outcome),
        runs_in_box: rows.len() as u64,
        limits: params
            .iter()
            .zip(bounds)
            .zip(full)
            .map(|(((name, _), b), f)| Limit {
                param: name.clone(),
                low: b.0,
                high: b.1,
                restricted: b.0 > f.0 || b.1 < f.1,
            })
            .collect(),
    }
}
