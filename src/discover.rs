//! Scenario discovery with PRIM, the patient rule induction method (Friedman & Fisher 1999):
//! find ranges of the assumptions — a box — in which an outcome is much more likely than
//! overall, by peeling a small share of the runs at a time off the box's edges.

use serde::Serialize;

/// Version of the discovery document (docs/sensitivity.md).
pub const SCHEMA: &str = "steppe.discover/1";

/// What PRIM found for one outcome (the `discover --json` document, docs/sensitivity.md).
#[derive(Debug, Clone, Serialize)]
pub struct Discovery {
    /// `schema`: always [`SCHEMA`].
    pub schema: &'static str,
    /// The outcome asked about: a metric's name, or `CONDITION in YEAR` for `--where`.
    pub outcome: String,
    /// Runs looked at.
    pub runs: u64,
    /// Runs in which the outcome holds.
    pub positives: u64,
    /// The peeling trajectory, from the whole space (step 0) on.
    pub trajectory: Vec<Step>,
    /// Index into `trajectory` of the box a user would pick (see `RULE`).
    pub chosen: usize,
    /// The rule the choice followed: always [`RULE`].
    pub rule: &'static str,
}

/// How the box is picked from the trajectory.
pub const RULE: &str = "among the boxes that cover at least half of the runs where the outcome holds, the largest whose density is within 1 percentage point of the densest";

/// One box of the peeling trajectory.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    /// Its index in the trajectory: 0 is the whole space, each later one a peel more.
    pub step: usize,
    /// Share of all runs where the outcome holds that lie in the box.
    pub coverage: f64,
    /// Share of the runs in the box where the outcome holds.
    pub density: f64,
    /// Runs inside the box.
    pub runs_in_box: u64,
    /// One-sided binomial test of the box against chance: the probability that `runs_in_box`
    /// runs drawn at the overall rate hold the outcome at least as often as the box's do. (PRIM
    /// picks its boxes for their density, so this flatters them: a large value says the box is
    /// no better than chance.)
    pub p_value: f64,
    /// Every parameter's range in the box; `restricted` if narrower than all the draws.
    pub limits: Vec<Limit>,
}

/// One parameter's range in a box.
#[derive(Debug, Clone, Serialize)]
pub struct Limit {
    /// The parameter's name (named or inline; parameters with a fixed value are left out).
    pub param: String,
    /// Lowest value in the box, inclusive.
    pub low: f64,
    /// Highest value in the box, inclusive.
    pub high: f64,
    /// Whether the box is narrower than the parameter's draws on either side.
    pub restricted: bool,
    /// For a restricted parameter, the quasi-p-value of the restriction (as ema_workbench):
    /// a one-sided binomial test of the box's density against the density of the box with
    /// this restriction removed. Small: the restriction matters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quasi_p: Option<f64>,
}

/// Above this p-value a box counts as no better than chance (the table warns).
pub const CHANCE_LEVEL: f64 = 0.05;

/// `P(X ≥ k)` for X binomial with `n` trials of probability `p`: the regularised incomplete
/// beta function I_p(k, n − k + 1).
pub fn binomial_upper_tail(k: u64, n: u64, p: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if k > n {
        return 0.0;
    }
    if p <= 0.0 {
        return 0.0;
    }
    if p >= 1.0 {
        return 1.0;
    }
    statrs::function::beta::beta_reg(k as f64, (n - k + 1) as f64, p)
}

/// PRIM over `params` (name, each run's draw) and `outcome` (per run). Peels `peel` of the
/// runs in the box at each step, never to fewer than `min_support` of all runs (a peel that
/// would leave fewer is not taken, as in ema_workbench), until no peel is left or none can
/// keep the density from falling.
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
    // An outcome that holds in no run or in every run has no box to find: the trajectory is
    // the whole space alone.
    let decided = positives == 0 || positives == n;
    loop {
        if decided {
            break;
        }
        let in_box: Vec<usize> = (0..n).filter(|&r| inside[r]).collect();
        let count = in_box.len();
        let least = (min_support * n as f64).ceil() as usize;
        if count <= least || count < 2 {
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
                if kept.len() == count || kept.is_empty() || kept.len() < least {
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
        .max_by(|&a, &b| {
            // Equal coverage (or none to measure): the larger box, the earlier step.
            (trajectory[a].coverage.total_cmp(&trajectory[b].coverage)).then(b.cmp(&a))
        })
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
    let n = outcome.len();
    let restricted: Vec<bool> = bounds
        .iter()
        .zip(full)
        .map(|(b, f)| b.0 > f.0 || b.1 < f.1)
        .collect();
    // The box without restriction `p`: every other parameter within its bounds.
    let quasi_p = |p: usize| {
        let (mut runs, mut holds) = (0u64, 0u64);
        for r in 0..n {
            let within = params
                .iter()
                .zip(bounds)
                .enumerate()
                .all(|(q, ((_, v), b))| q == p || (v[r] >= b.0 && v[r] <= b.1));
            if within {
                runs += 1;
                holds += u64::from(outcome[r]);
            }
        }
        let rate = holds as f64 / runs.max(1) as f64;
        binomial_upper_tail(covered as u64, rows.len() as u64, rate)
    };
    Step {
        step: index,
        coverage: covered as f64 / positives.max(1) as f64,
        density: density(&rows, outcome),
        runs_in_box: rows.len() as u64,
        p_value: binomial_upper_tail(
            covered as u64,
            rows.len() as u64,
            positives as f64 / n.max(1) as f64,
        ),
        limits: params
            .iter()
            .zip(bounds)
            .enumerate()
            .map(|(p, ((name, _), b))| Limit {
                param: name.clone(),
                low: b.0,
                high: b.1,
                restricted: restricted[p],
                quasi_p: restricted[p].then(|| quasi_p(p)),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng;

    #[test]
    fn binomial_tails_match_closed_forms() {
        // P(X ≥ 4), X ~ Bin(5, 1/2) = (5 + 1)/32; P(X ≥ n) = pⁿ; P(X ≥ 0) = 1;
        // P(X ≥ 1), X ~ Bin(10, 0.1) = 1 − 0.9¹⁰.
        assert!((binomial_upper_tail(4, 5, 0.5) - 0.1875).abs() < 1e-14);
        assert!((binomial_upper_tail(7, 7, 0.3) - 0.3f64.powi(7)).abs() < 1e-15);
        assert_eq!(binomial_upper_tail(0, 9, 0.2), 1.0);
        assert!((binomial_upper_tail(1, 10, 0.1) - (1.0 - 0.9f64.powi(10))).abs() < 1e-14);
        assert_eq!(binomial_upper_tail(3, 2, 0.5), 0.0);
    }

    fn uniforms(n: usize, name: &str) -> Vec<f64> {
        let key = rng::ComponentKey::new(name);
        (0..n)
            .map(|r| rng::uniform(&mut rng::stream(1, r as u64, key)))
            .collect()
    }

    #[test]
    fn an_outcome_that_never_or_always_holds_has_no_box() {
        let x = uniforms(500, "x");
        for value in [false, true] {
            let d = prim(
                "constant",
                &[("x".into(), x.clone())],
                &[value; 500],
                0.05,
                0.05,
            );
            assert_eq!(d.trajectory.len(), 1, "{value}");
            assert_eq!((d.chosen, d.trajectory[0].runs_in_box), (0, 500));
        }
    }

    #[test]
    fn no_box_holds_fewer_runs_than_the_minimum_support() {
        // The outcome holds exactly where x > 0.9: peeling toward it keeps the density at 1,
        // so PRIM would go on peeling below any support it is not held to.
        let n = 1000;
        let x = uniforms(n, "x");
        let outcome: Vec<bool> = x.iter().map(|v| *v > 0.9).collect();
        let d = prim("x > 0.9", &[("x".into(), x)], &outcome, 0.05, 0.05);
        for s in &d.trajectory {
            assert!(
                s.runs_in_box >= 50,
                "step {}: {} runs",
                s.step,
                s.runs_in_box
            );
        }
        let last = d.trajectory.last().unwrap();
        assert_eq!(last.density, 1.0);
    }

    #[test]
    fn quasi_p_values_tell_a_relevant_restriction_from_an_irrelevant_one() {
        // The outcome needs x > 0.6 and holds there half the time at random; z plays no part.
        let n = 4000;
        let (x, z, coin) = (uniforms(n, "x"), uniforms(n, "z"), uniforms(n, "coin"));
        let outcome: Vec<bool> = (0..n).map(|r| x[r] > 0.6 && coin[r] < 0.5).collect();
        let d = prim(
            "o",
            &[("x".into(), x.clone()), ("z".into(), z)],
            &outcome,
            0.05,
            0.05,
        );
        let chosen = &d.trajectory[d.chosen];
        let limit = |name: &str| chosen.limits.iter().find(|l| l.param == name).unwrap();
        let qx = limit("x").quasi_p.expect("x is restricted");
        assert!(qx < 1e-20, "quasi-p of x: {qx}");
        // The box against chance: its density (about 1/2) far above the overall 1/5.
        assert!(chosen.p_value < 1e-20, "{}", chosen.p_value);
        // The quasi-p of a restriction, by hand: the box's positives against the density of
        // the box without it.
        let (box_runs, box_holds) = (
            chosen.runs_in_box,
            (chosen.density * chosen.runs_in_box as f64).round() as u64,
        );
        let zl = limit("z");
        let without: Vec<usize> = (0..n)
            .filter(|&r| x[r] >= limit("x").low && x[r] <= limit("x").high)
            .collect();
        let rate = without.iter().filter(|&&r| outcome[r]).count() as f64 / without.len() as f64;
        if zl.restricted {
            let want = binomial_upper_tail(box_holds, box_runs, rate);
            assert!(
                (zl.quasi_p.unwrap() - want).abs() <= 1e-12 * want.max(1e-300),
                "{zl:?}"
            );
            assert!(zl.quasi_p.unwrap() > 1e-3, "{zl:?}");
        } else {
            assert!(zl.quasi_p.is_none());
        }
    }

    #[test]
    fn a_chance_outcome_gives_a_box_no_better_than_chance() {
        // An outcome of probability 0.016 that no parameter affects (the case).
        let n = 10_000;
        let (x, z, coin) = (uniforms(n, "x"), uniforms(n, "z"), uniforms(n, "coin"));
        let outcome: Vec<bool> = coin.iter().map(|c| *c < 0.016).collect();
        let d = prim(
            "o",
            &[("x".into(), x), ("z".into(), z)],
            &outcome,
            0.05,
            0.05,
        );
        let chosen = &d.trajectory[d.chosen];
        assert!(chosen.p_value > CHANCE_LEVEL, "{chosen:?}");
    }
}
