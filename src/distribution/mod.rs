//! Parameter distributions: the uncertain numbers of a scenario.
//!
//! A [`Distribution`] is a small validated value: [`Distribution::new`] and
//! [`Distribution::parse`] are the only ways in from user input, and both refuse anything the
//! engine could not draw from (a negative sd, `low > high`, a NaN, numbers so wide that the
//! extreme draws overflow). The inline form of scenario files, `normal(-0.03, 0.01)`, is read
//! by `parse` and printed back by `Display`, so `parse(&d.to_string()) == Ok(d)`.
//!
//! Parameters are drawn through the quantile function, `x = quantile(u)` for a uniform `u` in
//! (0, 1), rather than by a distribution-specific sampler. Each run owns its `u`, so a changed
//! distribution keeps every run at the same quantile: comparing two versions of a scenario
//! compares like with like, run by run, instead of reshuffling all the draws. For that to hold
//! the quantile must be non-decreasing in `u` and finite, and it is made so by construction:
//! uniform and triangular are closed forms; normal and lognormal use statrs's inverse CDF at
//! fixed knots in `u` with linear interpolation between them; beta and PERT search a fixed
//! bisection tree over statrs's beta CDF (see `beta_quantile`, about 5 µs a draw).
//!
//! Here: the type, its validation (`build`, behind both `new` and `parse`), and its quantile,
//! cdf, mean and support by family. `parse.rs` reads the inline form; `quantile.rs` holds the
//! numerics that make each family's quantile monotone.

mod metalog;
mod parse;
mod pool;
mod quantile;
mod table;

pub use metalog::Metalog;
pub use pool::{Expert, Experts};
pub use table::Sampler;

use statrs::distribution::{ContinuousCDF, LogNormal as LogNormalDist, Normal as NormalDist};

use quantile::{
    beta_cdf, beta_quantile, inside, pert_shapes, standard_normal_quantile, triangular_cdf,
    triangular_quantile,
};

/// An uncertain number. The variants are public to be matched on; build them with
/// [`Distribution::new`] or [`Distribution::parse`], which validate. A value built by hand with
/// invalid fields (say a negative `sd`) makes `quantile` and `cdf` return NaN, never panic.
#[derive(Debug, Clone, PartialEq)]
pub enum Distribution {
    /// Always `value`.
    Fixed {
        /// The value.
        value: f64,
    },
    /// `normal(mean, sd)`: support ℝ.
    Normal {
        /// The mean.
        mean: f64,
        /// The standard deviation, > 0.
        sd: f64,
    },
    /// `exp` of a normal with mean `mu` and standard deviation `sigma`.
    LogNormal {
        /// Mean of the underlying normal (of `ln x`).
        mu: f64,
        /// Standard deviation of the underlying normal, > 0.
        sigma: f64,
    },
    /// `uniform(low, high)`: every value in `[low, high]` equally likely.
    Uniform {
        /// Lower end.
        low: f64,
        /// Upper end, > `low`.
        high: f64,
    },
    /// `triangular(low, mode, high)`: a triangle density on `[low, high]` peaking at `mode`.
    Triangular {
        /// Lower end.
        low: f64,
        /// Most likely value, in `[low, high]`.
        mode: f64,
        /// Upper end, > `low`.
        high: f64,
    },
    /// `beta(alpha, beta)`: support [0, 1].
    Beta {
        /// First shape, > 0.
        alpha: f64,
        /// Second shape, > 0.
        beta: f64,
    },
    /// PERT with λ = 4: `Beta(1 + 4(m-a)/(b-a), 1 + 4(b-m)/(b-a))` scaled to `[a, b]`.
    Pert {
        /// Lower end.
        low: f64,
        /// Most likely value, in `[low, high]`.
        mode: f64,
        /// Upper end, > `low`.
        high: f64,
    },
    /// `quantiles(5% = 0.1, 50% = 0.25, 95% = 0.5)`, optionally with `low = …`, `high = …`:
    /// the metalog through those quantiles (see [`Metalog`]).
    Metalog(Box<Metalog>),
    /// `pool = [...]` of a parameter: a weighted mixture of experts' distributions (see
    /// [`Expert`]).
    Pool(Experts),
}

impl Distribution {
    /// Validating constructor from a name and arguments as written by the user.
    ///
    /// Names and arities: `fixed(value)`, `normal(mean, sd)`, `lognormal(mu, sigma)`,
    /// `uniform(low, high)`, `triangular(low, mode, high)`, `beta(alpha, beta)`,
    /// `pert(low, mode, high)`. Every argument must be finite. The error is one sentence meant
    /// for the author of the scenario, e.g. `normal(mean, sd) needs sd > 0, got -1`.
    pub fn new(name: &str, args: &[f64]) -> Result<Distribution, String> {
        build(name, args).map_err(|(_, message)| message)
    }
    /// distribution lies. Non-decreasing in `u`, and finite for every `u` in `[0, 1]`.
    ///
    /// `u` is first clamped to `[1e-15, 1 - 1e-15]`: the normal and lognormal reach ±∞ at 0
    /// and 1, and a single infinite draw would poison every sum it enters. The clamp moves
    /// probability 1e-15 per tail, which no Monte Carlo run count could ever detect, and keeps
    /// a normal draw within about ±7.9 sd. A NaN `u` gives NaN.
    ///
    /// A bounded distribution's draw is strictly inside its support (the lognormal's strictly
    /// positive): a quantile that rounds to an end — `beta(0.1, 0.1)` puts 1.2 % of its mass
    /// within 10⁻¹⁶ of 1 — is moved to the nearest double inside, so that `ln(x)` or
    /// `ln(1 − x)` of a draw is always finite.
    pub fn quantile(&self, u: f64) -> f64 {
        if u.is_nan() {
            return f64::NAN;
        }
        let x = self.quantile_within(u.clamp(U_MIN, U_MAX));
        let (low, high) = match *self {
            Distribution::Fixed { .. } | Distribution::Normal { .. } => return x,
            Distribution::Metalog(ref m) if m.low.is_infinite() && m.high.is_infinite() => {
                return x;
            }
            _ => self.support(),
        };
        inside(x, low, high)
    }

    fn quantile_within(&self, u: f64) -> f64 {
        match *self {
            Distribution::Fixed { value } => value,
            Distribution::Normal { mean, sd } => match NormalDist::new(mean, sd) {
                Ok(_) => mean + sd * standard_normal_quantile(u),
                Err(_) => f64::NAN,
            },
            Distribution::LogNormal { mu, sigma } => match LogNormalDist::new(mu, sigma) {
                Ok(_) => (mu + sigma * standard_normal_quantile(u)).exp(),
                Err(_) => f64::NAN,
            },
            Distribution::Uniform { low, high } => {
                if low < high {
                    (low + u * (high - low)).clamp(low, high)
                } else {
                    f64::NAN
                }
            }
            Distribution::Triangular { low, mode, high } => triangular_quantile(low, mode, high, u),
            Distribution::Beta { alpha, beta } => beta_quantile(alpha, beta, u),
            Distribution::Pert { low, mode, high } => match pert_shapes(low, mode, high) {
                Some((alpha, beta)) => {
                    (low + (high - low) * beta_quantile(alpha, beta, u)).clamp(low, high)
                }
                None => f64::NAN,
            },
            Distribution::Metalog(ref m) => m.quantile(u),
            Distribution::Pool(ref experts) => pool::quantile(experts, u),
        }
    }

    /// Cumulative distribution function: the probability of a draw `<= x`. NaN for a NaN `x`.
    pub fn cdf(&self, x: f64) -> f64 {
        if x.is_nan() {
            return f64::NAN;
        }
        match *self {
            Distribution::Fixed { value } => {
                if x < value {
                    0.0
                } else {
                    1.0
                }
            }
            Distribution::Normal { mean, sd } => {
                NormalDist::new(mean, sd).map_or(f64::NAN, |d| d.cdf(x))
            }
            Distribution::LogNormal { mu, sigma } => {
                LogNormalDist::new(mu, sigma).map_or(f64::NAN, |d| d.cdf(x))
            }
            Distribution::Uniform { low, high } => {
                if low < high {
                    ((x - low) / (high - low)).clamp(0.0, 1.0)
                } else {
                    f64::NAN
                }
            }
            Distribution::Triangular { low, mode, high } => triangular_cdf(low, mode, high, x),
            Distribution::Beta { alpha, beta } => beta_cdf(alpha, beta, x),
            Distribution::Pert { low, mode, high } => match pert_shapes(low, mode, high) {
                Some(_) if x <= low => 0.0,
                Some(_) if x >= high => 1.0,
                Some((alpha, beta)) => beta_cdf(alpha, beta, (x - low) / (high - low)),
                None => f64::NAN,
            },
            Distribution::Metalog(ref m) => m.cdf(x),
            Distribution::Pool(ref experts) => pool::cdf(experts, x),
        }
    }

    /// The distribution's mean (by its closed form, not from draws).
    pub fn mean(&self) -> f64 {
        match *self {
            Distribution::Fixed { value } => value,
            Distribution::Normal { mean, .. } => mean,
            Distribution::LogNormal { mu, sigma } => (mu + sigma * sigma / 2.0).exp(),
            Distribution::Uniform { low, high } => low / 2.0 + high / 2.0,
            Distribution::Triangular { low, mode, high } => low / 3.0 + mode / 3.0 + high / 3.0,
            Distribution::Beta { alpha, beta } => alpha / (alpha + beta),
            Distribution::Pert { low, mode, high } => low / 6.0 + mode * (4.0 / 6.0) + high / 6.0,
            Distribution::Metalog(ref m) => m.mean(),
            Distribution::Pool(ref experts) => pool::mean(experts),
        }
    }

    /// Closed support `[lo, hi]`, with ±infinity for an unbounded side; `(0, inf)` for the
    /// lognormal.
    pub fn support(&self) -> (f64, f64) {
        match *self {
            Distribution::Fixed { value } => (value, value),
            Distribution::Normal { .. } => (f64::NEG_INFINITY, f64::INFINITY),
            Distribution::LogNormal { .. } => (0.0, f64::INFINITY),
            Distribution::Uniform { low, high }
            | Distribution::Triangular { low, high, .. }
            | Distribution::Pert { low, high, .. } => (low, high),
            Distribution::Beta { .. } => (0.0, 1.0),
            Distribution::Metalog(ref m) => (m.low, m.high),
            Distribution::Pool(ref experts) => pool::support(experts),
        }
    }

    /// The name as written in the inline form, e.g. `"normal"`.
    pub fn name(&self) -> &'static str {
        match self {
            Distribution::Fixed { .. } => "fixed",
            Distribution::Normal { .. } => "normal",
            Distribution::LogNormal { .. } => "lognormal",
            Distribution::Uniform { .. } => "uniform",
            Distribution::Triangular { .. } => "triangular",
            Distribution::Beta { .. } => "beta",
            Distribution::Pert { .. } => "pert",
            Distribution::Metalog(_) => "quantiles",
            Distribution::Pool(_) => "pool",
        }
    }
}

/// Renders the canonical inline form, e.g. `normal(-0.03, 0.01)`. Numbers use `{}`, which is
/// the shortest text that reads back as the same `f64`, so `parse` inverts it exactly.
impl std::fmt::Display for Distribution {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Distribution::Metalog(m) = self {
            f.write_str("quantiles(")?;
            for (i, (p, q)) in m.given[..m.n].iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{p}% = {q}")?;
            }
            if m.low.is_finite() {
                write!(f, ", low = {}", m.low)?;
            }
            if m.high.is_finite() {
                write!(f, ", high = {}", m.high)?;
            }
            return f.write_str(")");
        }
        if let Distribution::Pool(experts) = self {
            f.write_str("pool(")?;
            for (i, e) in experts.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{} × {}", e.weight, e.distribution)?;
            }
            return f.write_str(")");
        }
        let (args, n) = self.args();
        write!(f, "{}(", self.name())?;
        for (i, arg) in args[..n].iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{arg}")?;
        }
        f.write_str(")")
    }
}

/// Smallest and largest `u` that `quantile` uses (see there).
const U_MIN: f64 = 1e-15;
const U_MAX: f64 = 1.0 - 1e-15;

/// Largest beta shape accepted: beyond it statrs's incomplete beta function (a continued
/// fraction cut at 140 terms) loses accuracy, e.g. the median of beta(1e6, 1e6) comes out
/// 1.5 % of an sd off.
const MAX_BETA_SHAPE: f64 = 100_000.0;

/// The valid names with their argument names, in the order of the docs.
const KINDS: [(&str, &[&str]); 7] = [
    ("fixed", &["value"]),
    ("normal", &["mean", "sd"]),
    ("lognormal", &["mu", "sigma"]),
    ("uniform", &["low", "high"]),
    ("triangular", &["low", "mode", "high"]),
    ("beta", &["alpha", "beta"]),
    ("pert", &["low", "mode", "high"]),
];

impl Distribution {
    /// The arguments in written order: the first `n` of the array.
    fn args(&self) -> ([f64; 3], usize) {
        match *self {
            Distribution::Fixed { value } => ([value, 0.0, 0.0], 1),
            Distribution::Normal { mean, sd } => ([mean, sd, 0.0], 2),
            Distribution::LogNormal { mu, sigma } => ([mu, sigma, 0.0], 2),
            Distribution::Uniform { low, high } => ([low, high, 0.0], 2),
            Distribution::Triangular { low, mode, high }
            | Distribution::Pert { low, mode, high } => ([low, mode, high], 3),
            Distribution::Beta { alpha, beta } => ([alpha, beta, 0.0], 2),
            Distribution::Metalog(_) | Distribution::Pool(_) => ([0.0; 3], 0),
        }
    }
}

/// What an error of [`build`] is about, so that `parse` can point at it.
enum Blame {
    Name,
    /// Wrong argument count; holds the expected count.
    Arity(usize),
    Arg(usize),
    Whole,
}

/// The argument names of the family `name`, if it is one.
fn params_of(name: &str) -> Option<&'static [&'static str]> {
    KINDS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|&(_, params)| params)
}

/// The distribution `name(args)`, or what is wrong with it — the one validation behind
/// [`Distribution::new`] and [`Distribution::parse`].
fn build(name: &str, args: &[f64]) -> Result<Distribution, (Blame, String)> {
    let Some(params) = params_of(name) else {
        return Err((Blame::Name, unknown_name(name)));
    };
    let signature = format!("{name}({})", params.join(", "));
    if args.len() != params.len() {
        let plural = if params.len() == 1 { "" } else { "s" };
        return Err((
            Blame::Arity(params.len()),
            format!(
                "{name} takes {} argument{plural} ({}), got {}",
                params.len(),
                params.join(", "),
                args.len()
            ),
        ));
    }
    if let Some(i) = args.iter().position(|a| !a.is_finite()) {
        return Err((
            Blame::Arg(i),
            format!(
                "{signature} needs finite numbers, got {} for {}",
                args[i], params[i]
            ),
        ));
    }
    let positive = |i: usize| -> Result<f64, (Blame, String)> {
        if args[i] > 0.0 {
            Ok(args[i])
        } else {
            let message = format!("{signature} needs {} > 0, got {}", params[i], args[i]);
            Err((Blame::Arg(i), message))
        }
    };
    let ordered = |low: f64, high: f64| -> Result<(), (Blame, String)> {
        if low < high {
            Ok(())
        } else {
            let message = format!("{signature} needs low < high, got {low} and {high}");
            Err((Blame::Arg(args.len() - 1), message))
        }
    };
    let with_mode = || -> Result<(f64, f64, f64), (Blame, String)> {
        let (low, mode, high) = (args[0], args[1], args[2]);
        ordered(low, high)?;
        if low <= mode && mode <= high {
            Ok((low, mode, high))
        } else {
            let message =
                format!("{signature} needs low <= mode <= high, got {low}, {mode} and {high}");
            Err((Blame::Arg(1), message))
        }
    };

    let d = match name {
        "fixed" => Distribution::Fixed { value: args[0] },
        "normal" => Distribution::Normal {
            mean: args[0],
            sd: positive(1)?,
        },
        "lognormal" => Distribution::LogNormal {
            mu: args[0],
            sigma: positive(1)?,
        },
        "uniform" => {
            ordered(args[0], args[1])?;
            Distribution::Uniform {
                low: args[0],
                high: args[1],
            }
        }
        "triangular" => {
            let (low, mode, high) = with_mode()?;
            Distribution::Triangular { low, mode, high }
        }
        "beta" => {
            let shape = |i: usize| -> Result<f64, (Blame, String)> {
                let value = positive(i)?;
                if value <= MAX_BETA_SHAPE {
                    Ok(value)
                } else {
                    let message = format!(
                        "{signature} needs {} <= {MAX_BETA_SHAPE}, got {value}; \
                         for so narrow a distribution use normal(mean, sd)",
                        params[i]
                    );
                    Err((Blame::Arg(i), message))
                }
            };
            Distribution::Beta {
                alpha: shape(0)?,
                beta: shape(1)?,
            }
        }
        _ => {
            let (low, mode, high) = with_mode()?;
            Distribution::Pert { low, mode, high }
        }
    };
    // Finite arguments can still overflow: `uniform(-1e308, 1e308)` has an infinite width,
    // `lognormal(0, 100)` an infinite top quantile and `lognormal(0, 40)` an infinite mean.
    let (lo, hi) = d.support();
    let width = if lo.is_finite() && hi.is_finite() {
        hi - lo
    } else {
        0.0
    };
    let finite = [
        width,
        d.quantile(0.0),
        d.quantile(0.5),
        d.quantile(1.0),
        d.mean(),
    ];
    if finite.iter().any(|x| !x.is_finite()) {
        return Err((
            Blame::Whole,
            format!("{signature} with these numbers reaches values too large to compute with"),
        ));
    }
    Ok(d)
}

/// The message for a name that is not a distribution, with the nearest valid name if it is
/// close enough to be a typo, or else the list of valid names.
fn unknown_name(name: &str) -> String {
    if name.is_empty() {
        return "expected a distribution name such as `normal`".to_string();
    }
    let lower = name.to_lowercase();
    let nearest = KINDS
        .iter()
        .map(|&(kind, _)| (strsim::levenshtein(&lower, kind), kind))
        .min_by_key(|&(distance, _)| distance);
    match nearest {
        Some((distance, kind)) if distance <= 2 => {
            format!("unknown distribution `{name}`; did you mean `{kind}`?")
        }
        _ => {
            let names: Vec<&str> = KINDS.iter().map(|&(kind, _)| kind).collect();
            format!(
                "unknown distribution `{name}`; the distributions are {}",
                names.join(", ")
            )
        }
    }
}

#[cfg(test)]
mod samples {
    //! The distributions and uniforms the tests of every part of the module share.

    use super::Distribution;

    /// A distribution known to be valid.
    pub(super) fn d(text: &str) -> Distribution {
        Distribution::parse(text).unwrap_or_else(|e| panic!("{text}: {e:?}"))
    }

    /// One of each variant, plus the shapes that stress the formulas: degenerate triangular
    /// and PERT modes, U- and J-shaped betas, a skewed lognormal, a tiny PERT.
    pub(super) const ALL: [&str; 15] = [
        "fixed(2)",
        "normal(-0.03, 0.01)",
        "normal(0, 1)",
        "lognormal(0.5, 1.2)",
        "uniform(-2, 3)",
        "triangular(0, 1, 4)",
        "triangular(1, 1, 2)",
        "triangular(1, 2, 2)",
        "beta(2, 18)",
        "beta(0.5, 0.5)",
        "beta(0.3, 4)",
        "pert(0, 0.03, 0.08)",
        "pert(5, 5, 6)",
        "pert(5, 6, 6)",
        "pert(-1e-3, 0, 1e-3)",
    ];

    /// 0 and 1 themselves, the clamp, the tails and a regular grid.
    pub(super) fn u_grid() -> Vec<f64> {
        let mut us = vec![0.0, 1e-300, 1e-16, 1e-15, 1e-12, 1e-9, 1e-6];
        us.extend((1..1000).map(|i| f64::from(i) / 1000.0));
        us.extend([1e-6, 1e-9, 1e-12, 1e-15, 1e-16, 0.0].map(|v| 1.0 - v));
        us
    }

    /// A deterministic stream of uniforms in (0, 1) (SplitMix64), so as to need no other crate.
    pub(super) fn uniforms(seed: u64, n: usize) -> Vec<f64> {
        let mut state = seed;
        let mut next = move || {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        (0..n)
            .map(|_| ((next() >> 11) as f64 + 0.5) / (1u64 << 53) as f64)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::samples::{ALL, d, u_grid, uniforms};
    use super::*;

    #[test]
    fn cdf_inverts_quantile() {
        for text in ALL.iter().filter(|t| !t.starts_with("fixed")) {
            let dist = d(text);
            for u in u_grid() {
                let back = dist.cdf(dist.quantile(u));
                assert!(
                    (back - u).abs() < 1e-9,
                    "{text}: cdf(quantile({u})) = {back}"
                );
            }
        }
        let fixed = d("fixed(2)");
        assert_eq!([1.999, 2.0, 3.0].map(|x| fixed.cdf(x)), [0.0, 1.0, 1.0]);
    }

    #[test]
    fn means_match_closed_forms() {
        let cases = [
            ("fixed(2)", 2.0),
            ("normal(-0.03, 0.01)", -0.03),
            ("lognormal(0.5, 1.2)", (0.5f64 + 1.2 * 1.2 / 2.0).exp()),
            ("uniform(-2, 3)", 0.5),
            ("triangular(0, 1, 4)", (0.0 + 1.0 + 4.0) / 3.0),
            ("beta(2, 18)", 2.0 / 20.0),
            ("pert(0, 0.03, 0.08)", (0.0 + 4.0 * 0.03 + 0.08) / 6.0),
            ("pert(5, 5, 6)", (5.0 + 4.0 * 5.0 + 6.0) / 6.0),
        ];
        for (text, expected) in cases {
            let got = d(text).mean();
            assert!(
                (got - expected).abs() < 1e-12,
                "{text}: mean {got} != {expected}"
            );
        }
        // And the mean describes the same distribution as the quantiles: their average over
        // a midpoint grid of u.
        let n = 20_000;
        for text in ALL {
            let dist = d(text);
            let sum: f64 = (0..n)
                .map(|i| dist.quantile((i as f64 + 0.5) / n as f64))
                .sum();
            let scale = dist.quantile(0.99) - dist.quantile(0.01) + 1.0;
            let error = (sum / n as f64 - dist.mean()).abs() / scale;
            assert!(
                error < 1e-3,
                "{text}: mean {} off by {error} of scale",
                dist.mean()
            );
        }
    }

    #[rustfmt::skip]
    const NEW_ERRORS: &[(&str, &[f64], &str)] = &[
        ("normal", &[0.0, -1.0], "normal(mean, sd) needs sd > 0, got -1"),
        ("lognormal", &[0.0, 0.0], "lognormal(mu, sigma) needs sigma > 0, got 0"),
        ("uniform", &[2.0, 1.0], "uniform(low, high) needs low < high, got 2 and 1"),
        ("uniform", &[1.0, 1.0], "uniform(low, high) needs low < high, got 1 and 1"),
        ("triangular", &[0.0, 2.0, 1.0], "triangular(low, mode, high) needs low <= mode <= high, got 0, 2 and 1"),
        ("triangular", &[1.0, 1.0, 1.0], "triangular(low, mode, high) needs low < high, got 1 and 1"),
        ("pert", &[0.0, -1.0, 1.0], "pert(low, mode, high) needs low <= mode <= high, got 0, -1 and 1"),
        ("beta", &[2.0, 0.0], "beta(alpha, beta) needs beta > 0, got 0"),
        ("beta", &[-2.0, 1.0], "beta(alpha, beta) needs alpha > 0, got -2"),
        ("beta", &[2.0, 1e6], "beta(alpha, beta) needs beta <= 100000, got 1000000; for so narrow a distribution use normal(mean, sd)"),
        ("normal", &[0.0, 1.0, 2.0], "normal takes 2 arguments (mean, sd), got 3"),
        ("fixed", &[], "fixed takes 1 argument (value), got 0"),
        ("normal", &[f64::NAN, 1.0], "normal(mean, sd) needs finite numbers, got NaN for mean"),
        ("fixed", &[f64::INFINITY], "fixed(value) needs finite numbers, got inf for value"),
        ("lognormal", &[0.0, 100.0], "lognormal(mu, sigma) with these numbers reaches values too large to compute with"),
        ("normall", &[0.0, 1.0], "unknown distribution `normall`; did you mean `normal`?"),
        ("Normal", &[0.0, 1.0], "unknown distribution `Normal`; did you mean `normal`?"),
        ("tri", &[0.0], "unknown distribution `tri`; the distributions are fixed, normal, lognormal, uniform, triangular, beta, pert"),
        ("", &[], "expected a distribution name such as `normal`"),
    ];

    #[test]
    fn new_reports_errors() {
        for &(name, args, message) in NEW_ERRORS {
            assert_eq!(
                Distribution::new(name, args),
                Err(message.to_string()),
                "{name}{args:?}"
            );
        }
    }

    #[test]
    fn never_panics_on_garbage() {
        let pieces = [
            "normal", "pert", "(", ")", ",", " ", "-", ".", "e", "1", "1e308", "NaN", "inf", "é",
            "→", "\u{0}", "\u{a0}", "beta", "fixed", "0", "x", "_", "((", "1e-320",
        ];
        for chunk in uniforms(7, 60_000).chunks(6) {
            let text: String = chunk
                .iter()
                .map(|u| pieces[(u * pieces.len() as f64) as usize])
                .collect();
            if let Err((offset, message)) = Distribution::parse(&text) {
                assert!(
                    text.is_char_boundary(offset) && !message.is_empty(),
                    "{text:?}"
                );
            }
            Distribution::looks_like_call(&text);
        }
        let values = [
            f64::NAN,
            f64::INFINITY,
            -1e308,
            -1.0,
            -0.0,
            1e-320,
            1.0,
            1e308,
        ];
        for name in KINDS.map(|(name, _)| name).iter().chain(&["x"]) {
            for i in 0..values.len().pow(4) {
                let digits = [1, 8, 64, 512].map(|place| i / place % values.len());
                let args = digits.map(|j| values[j]);
                for n in 0..=4 {
                    if let Ok(dist) = Distribution::new(name, &args[..n]) {
                        for u in [0.0, 0.5, 1.0] {
                            assert!(dist.quantile(u).is_finite(), "{dist} at {u}");
                        }
                    }
                }
            }
        }
        // Any u, even outside [0, 1], is clamped into the open interval; NaN stays NaN.
        for text in ALL {
            let dist = d(text);
            for u in [f64::NEG_INFINITY, -1.0, -0.0, 2.0, f64::INFINITY] {
                assert!(dist.quantile(u).is_finite(), "{text} at {u}");
            }
            assert!(
                dist.quantile(f64::NAN).is_nan() && dist.cdf(f64::NAN).is_nan(),
                "{text}"
            );
        }
        // Invalid values built by hand give NaN rather than a panic.
        let bad = [
            Distribution::Normal {
                mean: 0.0,
                sd: -1.0,
            },
            Distribution::Beta {
                alpha: 0.0,
                beta: 1.0,
            },
            Distribution::Pert {
                low: 1.0,
                mode: 0.0,
                high: 2.0,
            },
            Distribution::Triangular {
                low: 1.0,
                mode: 1.0,
                high: 1.0,
            },
        ];
        for dist in bad {
            assert!(
                dist.quantile(0.5).is_nan() && dist.cdf(0.5).is_nan(),
                "{dist:?}"
            );
        }
    }
}
