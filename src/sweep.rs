//! Sweeps: every metric across a grid of values of one or two assumptions.
//!
//! Each grid point is the scenario with `--set NAME=value` applied, run with the same seed and
//! run count, so neighbouring cells share every other random number (common random numbers)
//! and differ by the assumption, not by noise. This module parses `--vary` and assembles the
//! table; running the grid is the caller's.

use serde::Serialize;

use crate::summary::{MetricResult, Summary};

/// Version of the sweep document (docs/tweaking.md).
pub const SCHEMA: &str = "steppe.sweep/1";

/// One varied assumption: a key path and its values.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Vary {
    /// The key path as given (`russia_trend` is short for `params.russia_trend`).
    pub name: String,
    /// The values it takes, in the order given (a range's evenly spaced values, both ends included).
    pub values: Vec<f64>,
}

impl Vary {
    /// Parses `NAME=FROM..TO[:N]` (N evenly spaced values, default 5) or `NAME=V1,V2,...`.
    pub fn parse(text: &str) -> Result<Vary, String> {
        let (name, spec) = text
            .split_once('=')
            .ok_or_else(|| format!("`{text}`: expected NAME=FROM..TO[:N] or NAME=V1,V2,..."))?;
        let name = name.trim();
        if name.is_empty() {
            return Err(format!("`{text}`: the name before `=` is empty"));
        }
        if let Some(setting) = ["seed", "runs"]
            .into_iter()
            .find(|s| name == format!("scenario.{s}") || name == *s)
        {
            // A bare `seed` would name a parameter; far likelier, the run setting is meant.
            let parameter = if name == setting {
                format!(" (for a parameter named `{setting}`, write params.{setting})")
            } else {
                String::new()
            };
            return Err(format!(
                "`{name}` cannot be varied: every point of a sweep runs the same futures, so that \
                 the points differ by the assumption alone; give --{setting} for the whole sweep{parameter}"
            ));
        }
        let number = |s: &str| {
            s.trim()
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| format!("`{}` is not a number", s.trim()))
        };
        let values = if let Some((from, rest)) = spec.split_once("..") {
            let (to, count) = match rest.split_once(':') {
                Some((to, n)) => (
                    to,
                    n.trim()
                        .parse::<usize>()
                        .map_err(|_| format!("`{}` is not a count of values", n.trim()))?,
                ),
                None => (rest, 5),
            };
            let (from, to) = (number(from)?, number(to)?);
            if !(2..=1000).contains(&count) {
                return Err(format!("a range needs 2 to 1000 values, got {count}"));
            }
            // Weighted ends rather than from + step·i: both ends are exact and round values
            // stay round (−0.02, not −0.020000000000000004).
            (0..count)
                .map(|i| {
                    let t = i as f64 / (count - 1) as f64;
                    from * (1.0 - t) + to * t
                })
                .collect()
        } else {
            spec.split(',')
                .map(number)
                .collect::<Result<Vec<f64>, String>>()?
        };
        if values.is_empty() {
            return Err(format!("`{text}` gives no values"));
        }
        Ok(Vary {
            name: name.to_string(),
            values,
        })
    }

    /// The `--set` key path this varies.
    pub fn key(&self) -> String {
        if self.name.contains('.') {
            self.name.clone()
        } else {
            format!("params.{}", self.name)
        }
    }
}

/// Every grid point as its values, in row-major order (the last varied name fastest).
pub fn grid(vary: &[Vary]) -> Vec<Vec<f64>> {
    let mut points = vec![Vec::new()];
    for v in vary {
        points = points
            .into_iter()
            .flat_map(|p| v.values.iter().map(move |x| [p.clone(), vec![*x]].concat()))
            .collect();
    }
    points
}

/// A sweep's result: every metric's headline at every grid point (the `sweep --json` document,
/// docs/tweaking.md).
#[derive(Debug, Clone, Serialize)]
pub struct Sweep {
    /// `schema`: always [`SCHEMA`].
    pub schema: &'static str,
    /// `[scenario] name` of the swept scenario.
    pub scenario: String,
    /// Its path as given on the command line.
    pub file: String,
    /// The run count of every point.
    pub runs: u64,
    /// The master seed of every point.
    pub seed: u64,
    /// The varied assumptions, in the order given.
    pub vary: Vec<Vary>,
    /// `--set` overrides applied at every point.
    pub overrides: Vec<String>,
    /// Every grid point, in the order of [`grid`].
    pub points: Vec<Point>,
}

/// One grid point of a sweep.
#[derive(Debug, Clone, Serialize)]
pub struct Point {
    /// The value of each varied assumption here, in the order of [`Sweep::vary`].
    pub values: Vec<f64>,
    /// Every metric's headline here, in the scenario's order.
    pub metrics: Vec<Headline>,
}

/// A metric's headline number at one grid point, with its Monte Carlo standard error.
#[derive(Debug, Clone, Serialize)]
pub struct Headline {
    /// The metric's name.
    pub name: String,
    /// `mean` (numbers), `probability` (conditions) or `by_horizon` (first-year metrics: the
    /// probability that it happens by the end).
    pub statistic: &'static str,
    /// The statistic's value at this point.
    pub value: f64,
    /// Its standard error (of the probability of "never", for `by_horizon`, which is the same).
    pub se: f64,
}

/// Every metric's headline number in `summary`, in its order.
pub fn headlines(summary: &Summary) -> Vec<Headline> {
    let mut out = Vec::new();
    for m in &summary.metrics {
        let mut push = |name: String, statistic, value, se| {
            out.push(Headline {
                name,
                statistic,
                value,
                se,
            });
        };
        match &m.result {
            MetricResult::Number(d) => push(m.name.clone(), "mean", d.mean, d.se),
            MetricResult::Probability { probability, se } => {
                push(m.name.clone(), "probability", *probability, *se);
            }
            // The share of runs in which it happened by the horizon, as counted (1 − never
            // would round: 0.43999999999999995 for 22 of 50).
            MetricResult::FirstYear {
                never,
                never_se,
                by_year,
                ..
            } => push(
                m.name.clone(),
                "by_horizon",
                by_year.last().map_or(1.0 - never, |y| y.cumulative),
                *never_se,
            ),
            // One headline per category, named as the scenario's metrics are (`NAME.CATEGORY`).
            MetricResult::Categorical { categories, .. } => {
                for c in categories {
                    push(
                        format!("{}.{}", m.name, c.name),
                        "probability",
                        c.probability,
                        c.se,
                    );
                }
            }
        }
    }
    out
}

/// The headline with the largest standard error among `names` (all when empty), a
/// non-finite error counting as infinite: the one that decides whether `--precision` is met.
pub fn least_precise<'a>(headlines: &'a [Headline], names: &[String]) -> Option<&'a Headline> {
    let error = |h: &Headline| {
        if h.se.is_finite() {
            h.se
        } else {
            f64::INFINITY
        }
    };
    headlines
        .iter()
        .filter(|h| names.is_empty() || names.contains(&h.name))
        .max_by(|a, b| error(a).total_cmp(&error(b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ranges_and_lists() {
        let v = Vary::parse("russia_trend=-0.08..0:5").unwrap();
        assert_eq!(v.values, [-0.08, -0.06, -0.04, -0.02, 0.0]);
        assert_eq!(v.key(), "params.russia_trend");
        assert_eq!(
            Vary::parse("events.e.hazard=0.1,0.2").unwrap().values,
            [0.1, 0.2]
        );
        assert_eq!(
            Vary::parse("events.e.hazard=0.1,0.2").unwrap().key(),
            "events.e.hazard"
        );
        assert_eq!(Vary::parse("x=0..1").unwrap().values.len(), 5);
        for bad in ["x", "=1,2", "x=a,b", "x=0..1:1", "x=0..1:z", "x=0..inf"] {
            assert!(Vary::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_seed_and_the_run_count_are_not_assumptions() {
        for name in ["scenario.seed", "scenario.runs"] {
            let error = Vary::parse(&format!("{name}=1..3:3")).unwrap_err();
            assert!(
                error.starts_with(&format!("`{name}` cannot be varied")),
                "{error}"
            );
        }
        assert!(Vary::parse("scenario.end=2030,2035").is_ok());
    }

    #[test]
    fn grid_is_row_major() {
        let a = Vary {
            name: "a".into(),
            values: vec![1.0, 2.0],
        };
        let b = Vary {
            name: "b".into(),
            values: vec![10.0, 20.0, 30.0],
        };
        assert_eq!(
            grid(&[a, b]),
            [
                [1.0, 10.0],
                [1.0, 20.0],
                [1.0, 30.0],
                [2.0, 10.0],
                [2.0, 20.0],
                [2.0, 30.0]
            ]
        );
    }
}
