//! Parameter distributions: the uncertain numbers of a scenario.
//!
//! A [`Distribution`] is a small validated value: [`Distribution::new`] and
//! [`Distribution::parse`] are the only ways in from user input, and both refuse anything the
//! engine could not draw from (a negative sd, `low > high`, a NaN, numbers so wide that the
//! extreme draws overflow). The inline form of scenario files, `normal(-0.03, 0.01)`, is parsed
//! here and printed back by `Display`, so `parse(&d.to_string()) == Ok(d)`.
//!
//! Parameters are drawn through the quantile function, `x = quantile(u)` for a uniform `u` in
//! (0, 1), rather than by a distribution-specific sampler. Each run owns its `u`, so a changed
//! distribution keeps every run at the same quantile: comparing two versions of a scenario
//! compares like with like, run by run, instead of reshuffling all the draws. For that to hold
//! the quantile must be non-decreasing in `u` and finite, and it is made so by construction:
//! uniform and triangular are closed forms; normal and lognormal use statrs's inverse CDF at
//! fixed knots in `u` with linear interpolation between them; beta and PERT search a fixed
//! bisection tree over statrs's beta CDF (see `beta_quantile`, about 5 µs a draw).

use statrs::distribution::{
    Beta as BetaDist, ContinuousCDF, LogNormal as LogNormalDist, Normal as NormalDist,
};

/// An uncertain number. The variants are public to be matched on; build them with
/// [`Distribution::new`] or [`Distribution::parse`], which validate. A value built by hand with
/// invalid fields (say a negative `sd`) makes `quantile` and `cdf` return NaN, never panic.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Distribution {
    /// Always `value`.
    Fixed {
        value: f64,
    },
    Normal {
        mean: f64,
        sd: f64,
    },
    /// `exp` of a normal with mean `mu` and standard deviation `sigma`.
    LogNormal {
        mu: f64,
        sigma: f64,
    },
    Uniform {
        low: f64,
        high: f64,
    },
    Triangular {
        low: f64,
        mode: f64,
        high: f64,
    },
    Beta {
        alpha: f64,
        beta: f64,
    },
    /// PERT with λ = 4: `Beta(1 + 4(m-a)/(b-a), 1 + 4(b-m)/(b-a))` scaled to `[a, b]`.
    Pert {
        low: f64,
        mode: f64,
        high: f64,
    },
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

    /// Parses the inline form used in scenario files: `normal(-0.03, 0.01)`, `pert(0, 0.03, 0.08)`,
    /// `fixed(2)`. Spaces are allowed around every token; numbers use Rust's float syntax
    /// (`-1`, `.5`, `1e-3`).
    ///
    /// On error returns the byte offset within `text` where the problem is (for a caret under
    /// it) and a one-sentence message.
    pub fn parse(text: &str) -> Result<Distribution, (usize, String)> {
        let mut cur = Cursor { text, pos: 0 };
        cur.skip_ws();
        let name_start = cur.pos;
        let name = cur.ident();
        if name.is_empty() {
            let message = match cur.peek() {
                None => "expected a distribution such as `normal(0, 1)`, found nothing".to_string(),
                Some(c) => format!("expected a distribution name such as `normal`, found `{c}`"),
            };
            return Err((cur.pos, message));
        }
        if params_of(name).is_none() {
            return Err((name_start, unknown_name(name)));
        }
        cur.skip_ws();
        if !cur.eat('(') {
            return Err((
                cur.pos,
                format!("expected `(` after `{name}`, found {}", cur.describe_next()),
            ));
        }

        let mut args: Vec<(usize, f64)> = Vec::new();
        cur.skip_ws();
        let close = if cur.eat(')') {
            cur.pos - 1
        } else {
            loop {
                cur.skip_ws();
                let start = cur.pos;
                let token = cur.number_token();
                if token.is_empty() {
                    return Err((
                        start,
                        format!("expected a number, found {}", cur.describe_next()),
                    ));
                }
                match token.parse::<f64>() {
                    Ok(value) => args.push((start, value)),
                    Err(_) => return Err((start, format!("`{token}` is not a number"))),
                }
                cur.skip_ws();
                if cur.eat(',') {
                    continue;
                }
                let at = cur.pos;
                if cur.eat(')') {
                    break at;
                }
                return Err((
                    at,
                    match cur.peek() {
                        None => format!("missing `)` to close `{name}(`"),
                        Some(c) => format!("expected `,` or `)` after a number, found `{c}`"),
                    },
                ));
            }
        };
        cur.skip_ws();
        if let Some(c) = cur.peek() {
            return Err((cur.pos, format!("unexpected `{c}` after the closing `)`")));
        }

        let values: Vec<f64> = args.iter().map(|&(_, v)| v).collect();
        build(name, &values).map_err(|(blame, message)| {
            let offset = match blame {
                Blame::Name | Blame::Whole => name_start,
                Blame::Arg(i) => args.get(i).map_or(name_start, |&(start, _)| start),
                // Too many: point at the first extra argument; too few: at the `)`.
                Blame::Arity(expected) => args.get(expected).map_or(close, |&(start, _)| start),
            };
            (offset, message)
        })
    }

    /// True if `text` looks like an attempt at the inline form, an identifier followed by `(`
    /// (spaces allowed), so the caller can tell a distribution, even a misspelt one, from a
    /// parameter name.
    pub fn looks_like_call(text: &str) -> bool {
        let mut cur = Cursor { text, pos: 0 };
        cur.skip_ws();
        if cur.ident().is_empty() {
            return false;
        }
        cur.skip_ws();
        cur.peek() == Some('(')
    }

    /// The quantile function (inverse CDF): the value below which a share `u` of the
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
        }
    }

    pub fn mean(&self) -> f64 {
        match *self {
            Distribution::Fixed { value } => value,
            Distribution::Normal { mean, .. } => mean,
            Distribution::LogNormal { mu, sigma } => (mu + sigma * sigma / 2.0).exp(),
            Distribution::Uniform { low, high } => low / 2.0 + high / 2.0,
            Distribution::Triangular { low, mode, high } => low / 3.0 + mode / 3.0 + high / 3.0,
            Distribution::Beta { alpha, beta } => alpha / (alpha + beta),
            Distribution::Pert { low, mode, high } => low / 6.0 + mode * (4.0 / 6.0) + high / 6.0,
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
        }
    }
}

/// Renders the canonical inline form, e.g. `normal(-0.03, 0.01)`. Numbers use `{}`, which is
/// the shortest text that reads back as the same `f64`, so `parse` inverts it exactly.
impl std::fmt::Display for Distribution {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
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

fn params_of(name: &str) -> Option<&'static [&'static str]> {
    KINDS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|&(_, params)| params)
}

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
        .map(|&(kind, _)| (levenshtein(&lower, kind), kind))
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

/// Edit distance (insertions, deletions, substitutions) between two strings, by chars.
fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

/// Closed-form triangular quantile. With width `w = high - low` and `F(mode) = (mode-low)/w`,
/// `x = low + w·sqrt(u·F(mode))` below the mode and `x = high - w·sqrt((1-u)(1-F(mode)))`
/// above it. Each branch is built from monotone operations, and the clamps to the mode keep
/// rounding from crossing the branches, so the result is non-decreasing in `u`.
fn triangular_quantile(low: f64, mode: f64, high: f64, u: f64) -> f64 {
    if !(low < high && low <= mode && mode <= high) {
        return f64::NAN;
    }
    let width = high - low;
    let below = (mode - low) / width;
    if u < below {
        (low + width * (u * below).sqrt()).clamp(low, mode)
    } else {
        let above = (high - mode) / width;
        (high - width * ((1.0 - u) * above).sqrt()).clamp(mode, high)
    }
}

/// Closed-form triangular CDF: `(x-low)²/(w·(mode-low))` below the mode,
/// `1 - (high-x)²/(w·(high-mode))` from the mode on.
fn triangular_cdf(low: f64, mode: f64, high: f64, x: f64) -> f64 {
    if !(low < high && low <= mode && mode <= high) {
        return f64::NAN;
    }
    let width = high - low;
    if x <= low {
        0.0
    } else if x >= high {
        1.0
    } else if x < mode {
        ((x - low) / width) * ((x - low) / (mode - low))
    } else {
        1.0 - ((high - x) / width) * ((high - x) / (high - mode))
    }
}

/// `x` moved strictly inside `(low, high)`: onto the nearest double inside if it is on or beyond
/// an end (monotone, so a quantile stays non-decreasing). NaN stays NaN; an interval with no
/// double inside gives `low`.
fn inside(x: f64, low: f64, high: f64) -> f64 {
    let (first, last) = (low.next_up(), high.next_down());
    if x.is_nan() || first > last {
        return if x.is_nan() { x } else { low };
    }
    x.clamp(first, last)
}

/// The shapes of the beta on [0, 1] that a PERT scales to `[low, high]`, or None for invalid
/// fields.
fn pert_shapes(low: f64, mode: f64, high: f64) -> Option<(f64, f64)> {
    if !(low < high && low <= mode && mode <= high) {
        return None;
    }
    let width = high - low;
    Some((
        1.0 + 4.0 * (mode - low) / width,
        1.0 + 4.0 * (high - mode) / width,
    ))
}

fn beta_cdf(alpha: f64, beta: f64, x: f64) -> f64 {
    BetaDist::new(alpha, beta).map_or(f64::NAN, |d| d.cdf(x).clamp(0.0, 1.0))
}

/// Spacing of the knots of [`standard_normal_quantile`], in units in the last place of `u`:
/// 2^20 ulps is a relative step between 2^-33 and 2^-32.
const NORMAL_KNOT: u64 = 1 << 20;

/// The standard normal quantile, for `u` in `[U_MIN, U_MAX]`, non-decreasing by construction.
///
/// statrs's `inverse_cdf` is a piecewise rational approximation good to a few ulps, but those
/// few ulps go up and down: on its own it is not monotone. So it is only evaluated at knots, a
/// relative step of about 2^-32 apart in `u`, where consecutive values differ by thousands of
/// ulps (at least ~8000, at the 1e-15 clamp), and `u` between two knots is interpolated
/// linearly (an error below 1e-19). The upper half mirrors the lower one: `z(u) = -z(1-u)`,
/// where `1 - u` is exact.
fn standard_normal_quantile(u: f64) -> f64 {
    if u > 0.5 {
        -lower_normal_quantile(1.0 - u)
    } else {
        lower_normal_quantile(u)
    }
}

/// [`standard_normal_quantile`] for `u` in `[U_MIN, 0.5]`; never positive.
fn lower_normal_quantile(u: f64) -> f64 {
    let normal = NormalDist::standard();
    // Knots share the exponent of `u`; 0.5 is a knot, so `u_high <= 0.5`.
    let low_bits = u.to_bits() & !(NORMAL_KNOT - 1);
    let u_low = f64::from_bits(low_bits);
    let u_high = f64::from_bits(low_bits + NORMAL_KNOT);
    let z_low = normal.inverse_cdf(u_low);
    let z = if u == u_low {
        z_low
    } else {
        let z_high = normal.inverse_cdf(u_high);
        let t = (u - u_low) / (u_high - u_low);
        (z_low + t * (z_high - z_low)).max(z_low).min(z_high)
    };
    z.min(0.0)
}

/// Depth of the search tree of [`beta_quantile`]: its leaves are about 2^-22 wide relative
/// to their distance from the nearer end of [0, 1].
const BETA_DEPTH: u32 = 33;

/// The beta quantile for `u` in `[U_MIN, U_MAX]`, by bisection on statrs's `cdf`.
///
/// statrs's own `inverse_cdf` (AS 109) is not used: it can be far off for small shapes, is not
/// monotone, and can panic, or loop for milliseconds, on some inputs. Instead a fixed binary tree is searched,
/// whose nodes do not depend on `u` and whose branch test, "cdf at the node < u", can only turn
/// from false to true as `u` grows. Two values of `u` therefore follow the same path until they
/// part, the smaller one going left: the quantile is non-decreasing in `u` whatever the
/// rounding errors of the cdf. Within a leaf `u` is interpolated linearly. The price is
/// `BETA_DEPTH` cdf evaluations, about 5 µs, where statrs's inverse takes about 1 µs.
///
/// The nodes are points of [0, 1] ordered by the bits of `x` below 1/2 and of `1 - x` above,
/// so the search resolves both tails in relative terms; on each side of the mean the branch
/// test uses the tail probability that is small there (cdf below, survival function above).
fn beta_quantile(alpha: f64, beta: f64, u: f64) -> f64 {
    let (Ok(lower), Ok(upper)) = (BetaDist::new(alpha, beta), BetaDist::new(beta, alpha)) else {
        return f64::NAN;
    };
    let mean = alpha / (alpha + beta);
    let half = 0.5f64.to_bits();
    let node = |k: u64| -> BetaNode {
        if k <= half {
            let x = f64::from_bits(k);
            let (p, is_cdf) = if x <= mean {
                (lower.cdf(x), true)
            } else {
                (lower.sf(x), false)
            };
            BetaNode {
                coord: x,
                p,
                is_cdf,
            }
        } else {
            // `upper` is the mirrored beta, of 1 - x, taken at the exact tail coordinate.
            let y = f64::from_bits(2 * half - k);
            let (p, is_cdf) = if 1.0 - y <= mean {
                (upper.sf(y), true)
            } else {
                (upper.cdf(y), false)
            };
            BetaNode {
                coord: y,
                p,
                is_cdf,
            }
        }
    };
    let (mut k_low, mut k_high) = (0, 2 * half);
    let mut low = BetaNode {
        coord: 0.0,
        p: 0.0,
        is_cdf: true,
    };
    let mut high = BetaNode {
        coord: 0.0,
        p: 0.0,
        is_cdf: false,
    };
    for _ in 0..BETA_DEPTH {
        let k = k_low + (k_high - k_low) / 2;
        let probe = node(k);
        if probe.below(u) {
            (k_low, low) = (k, probe);
        } else {
            (k_high, high) = (k, probe);
        }
    }
    // Where u lies between the leaf's ends, in the tail probability both ends computed if
    // they agree (so that a tail is not lost in `1 - p`), else in the cdf.
    let (offset, span) = if !low.is_cdf && !high.is_cdf {
        (low.p - (1.0 - u), low.p - high.p)
    } else {
        (u - low.cdf(), high.cdf() - low.cdf())
    };
    // Non-decreasing in u; constant when the leaf's probabilities are out of order (rounding)
    // or NaN, so that it stays monotone.
    let t = if span > 0.0 && offset > 0.0 {
        (offset / span).min(1.0)
    } else {
        0.0
    };
    if k_high <= half {
        (low.coord + t * (high.coord - low.coord))
            .max(low.coord)
            .min(high.coord)
    } else {
        let y = (low.coord - t * (low.coord - high.coord))
            .min(low.coord)
            .max(high.coord);
        (1.0 - y).clamp(0.0, 1.0)
    }
}

/// A node of [`beta_quantile`]'s search: `coord` is x below 1/2 and 1 - x above, `p` the cdf
/// if `is_cdf`, else the survival function.
#[derive(Clone, Copy)]
struct BetaNode {
    coord: f64,
    p: f64,
    is_cdf: bool,
}

impl BetaNode {
    /// Whether the cdf at the node is below `u`; it turns from false to true as `u` grows.
    fn below(&self, u: f64) -> bool {
        if self.is_cdf {
            self.p < u
        } else {
            self.p > 1.0 - u
        }
    }

    fn cdf(&self) -> f64 {
        if self.is_cdf { self.p } else { 1.0 - self.p }
    }
}

/// A position in the text being parsed; `pos` is always on a char boundary.
struct Cursor<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    /// Advances over the longest run of chars satisfying `keep` and returns it.
    fn take_while(&mut self, keep: impl Fn(usize, char) -> bool) -> &'a str {
        let start = self.pos;
        for (i, c) in self.text[start..].char_indices() {
            if !keep(i, c) {
                break;
            }
            self.pos = start + i + c.len_utf8();
        }
        &self.text[start..self.pos]
    }

    fn skip_ws(&mut self) {
        self.take_while(|_, c| c.is_whitespace());
    }

    /// An ASCII identifier: a letter or `_`, then letters, digits or `_`.
    fn ident(&mut self) -> &'a str {
        self.take_while(|i, c| c.is_ascii_alphabetic() || c == '_' || (i > 0 && c.is_ascii_digit()))
    }

    /// Everything up to the next space, comma or parenthesis.
    fn number_token(&mut self) -> &'a str {
        self.take_while(|_, c| !c.is_whitespace() && !matches!(c, ',' | '(' | ')'))
    }

    fn describe_next(&self) -> String {
        match self.peek() {
            Some(c) => format!("`{c}`"),
            None => "the end of the text".to_string(),
        }
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    /// A distribution known to be valid.
    fn d(text: &str) -> Distribution {
        Distribution::parse(text).unwrap_or_else(|e| panic!("{text}: {e:?}"))
    }

    /// One of each variant, plus the shapes that stress the formulas: degenerate triangular
    /// and PERT modes, U- and J-shaped betas, a skewed lognormal, a tiny PERT.
    const ALL: [&str; 15] = [
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
    fn u_grid() -> Vec<f64> {
        let mut us = vec![0.0, 1e-300, 1e-16, 1e-15, 1e-12, 1e-9, 1e-6];
        us.extend((1..1000).map(|i| f64::from(i) / 1000.0));
        us.extend([1e-6, 1e-9, 1e-12, 1e-15, 1e-16, 0.0].map(|v| 1.0 - v));
        us
    }

    /// A deterministic stream of uniforms in (0, 1) (SplitMix64), so as to need no other crate.
    fn uniforms(seed: u64, n: usize) -> Vec<f64> {
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

    #[test]
    fn bounded_draws_are_strictly_inside_the_support() {
        // beta(0.1, 0.1) has P(X > 1 − 10⁻¹⁶) = 1.2 % (its upper tail is
        // 1 − F(1 − ε) ≈ ε^0.1 / (0.1·B(0.1, 0.1)) = 0.0126 at ε = 10⁻¹⁶, B = 19.71): those
        // quantiles round to 1.0, and ln(1 − x) to −∞, unless moved inside.
        let skewed = d("beta(0.1, 0.1)");
        let us = uniforms(17, 100_000);
        let near_one = us
            .iter()
            .filter(|&&u| skewed.quantile(u) >= 1.0 - 1e-15)
            .count();
        assert!(
            (800..=1_700).contains(&near_one),
            "{near_one} of 100,000 draws within 1e-15 of 1"
        );
        for text in ALL
            .iter()
            .chain(&["beta(0.1, 0.1)", "beta(0.02, 3)", "lognormal(-800, 1)"])
        {
            let dist = d(text);
            let (low, high) = dist.support();
            if low == high {
                continue;
            }
            for &u in u_grid().iter().chain(&us) {
                let x = dist.quantile(u);
                assert!(low < x && x < high, "{text}: quantile({u}) = {x}");
            }
        }
        for u in us {
            let x = skewed.quantile(u);
            assert!(
                (1.0 - x).ln().is_finite() && x.ln().is_finite(),
                "u {u}: {x}"
            );
        }
    }

    #[test]
    fn quantiles_match_closed_forms() {
        let e = std::f64::consts::E;
        let cases = [
            ("normal(0, 1)", 0.975, 1.959963984540054),
            ("normal(0, 1)", 0.5, 0.0),
            ("normal(2, 3)", 0.025, 2.0 - 3.0 * 1.959963984540054),
            ("lognormal(0.7, 0.4)", 0.5, e.powf(0.7)),
            ("lognormal(-2, 3)", 0.5, e.powf(-2.0)),
            ("uniform(2, 6)", 0.25, 3.0),
            ("uniform(-1, 1)", 0.9, 0.8),
            // triangular(0, 1, 4): width 4, F(mode) = 1/4.
            // u = 0.0625 < 1/4: 0 + sqrt(0.0625 · 4 · 1) = sqrt(0.25) = 0.5
            ("triangular(0, 1, 4)", 0.0625, 0.5),
            // u = 1/4: the mode
            ("triangular(0, 1, 4)", 0.25, 1.0),
            // u = 0.5 > 1/4: 4 - sqrt((1 - 0.5) · 4 · 3) = 4 - sqrt(6) = 1.5505102572168221
            ("triangular(0, 1, 4)", 0.5, 1.5505102572168221),
            // u = 0.9: 4 - sqrt(0.1 · 4 · 3) = 4 - sqrt(1.2) = 2.904554884989668
            ("triangular(0, 1, 4)", 0.9, 2.904554884989668),
            // triangular(1, 1, 2) is 2 - sqrt(1 - u): at u = 0.75, 2 - 0.5 = 1.5
            ("triangular(1, 1, 2)", 0.75, 1.5),
            // triangular(1, 2, 2) is 1 + sqrt(u): at u = 0.25, 1 + 0.5 = 1.5
            ("triangular(1, 2, 2)", 0.25, 1.5),
            ("beta(2, 2)", 0.5, 0.5),
            // beta(2, 2) has cdf 3x² - 2x³: at x = 1/4, 3/16 - 2/64 = 0.15625
            ("beta(2, 2)", 0.15625, 0.25),
            ("beta(1, 1)", 0.1, 0.1),
            ("beta(1, 1)", 0.73, 0.73),
            // beta(0.5, 0.5) is the arcsine law, x = sin²(πu/2): at u = 1/3, sin²(π/6) = 1/4
            ("beta(0.5, 0.5)", 1.0 / 3.0, 0.25),
            // pert(0, 0.5, 1) is beta(1 + 4·0.5, 1 + 4·0.5) = beta(3, 3), symmetric
            ("pert(0, 0.5, 1)", 0.5, 0.5),
            // pert(10, 15, 20) is 10 + 10·beta(3, 3)
            ("pert(10, 15, 20)", 0.5, 15.0),
        ];
        for (text, u, expected) in cases {
            let got = d(text).quantile(u);
            assert!(
                (got - expected).abs() < 1e-9,
                "{text} at {u}: {got} != {expected}"
            );
        }
        // PERT is its beta scaled, away from the symmetric middle too.
        // pert(2, 3, 7): alpha = 1 + 4·(3-2)/5 = 1.8, beta = 1 + 4·(7-3)/5 = 4.2
        for u in [1e-9, 0.01, 0.2, 0.37, 0.8, 0.99, 1.0 - 1e-9] {
            for (pert, beta, low, width) in [
                ("pert(0, 0.5, 1)", "beta(3, 3)", 0.0, 1.0),
                ("pert(2, 3, 7)", "beta(1.8, 4.2)", 2.0, 5.0),
            ] {
                let (got, scaled) = (d(pert).quantile(u), low + width * d(beta).quantile(u));
                assert!(
                    (got - scaled).abs() < 1e-12,
                    "{pert} at {u}: {got} != {scaled}"
                );
            }
        }
    }

    /// Betas whose quantile has a closed form, checked over the whole grid, tails included:
    /// the bisection must be as exact as the numbers allow, not just close in probability.
    #[test]
    fn beta_quantiles_match_closed_forms_everywhere() {
        let pi = std::f64::consts::PI;
        let cases: [(&str, &dyn Fn(f64) -> f64); 4] = [
            ("beta(0.5, 0.5)", &|u| (pi * u / 2.0).sin().powi(2)),
            ("beta(2.5, 1)", &|u| u.powf(1.0 / 2.5)),
            ("beta(1, 3)", &|u| 1.0 - (1.0 - u).powf(1.0 / 3.0)),
            ("beta(1, 1)", &|u| u),
        ];
        for (text, exact) in cases {
            let dist = d(text);
            for u in u_grid().into_iter().map(|u| u.clamp(U_MIN, U_MAX)) {
                let (got, want) = (dist.quantile(u), exact(u));
                // Relative to the distance from the nearer end, down to a few ulps of 1.
                let tolerance = 1e-11 * want.min(1.0 - want) + 4e-16;
                assert!(
                    (got - want).abs() <= tolerance,
                    "{text} at {u:e}: {got:e} != {want:e}"
                );
            }
        }
    }

    /// The knots of `standard_normal_quantile` cost no accuracy against statrs's inverse.
    #[test]
    fn normal_quantiles_agree_with_statrs() {
        let normal = NormalDist::new(2.0, 3.0).unwrap();
        let lognormal = LogNormalDist::new(-1.0, 0.5).unwrap();
        let (n, ln) = (d("normal(2, 3)"), d("lognormal(-1, 0.5)"));
        for u in u_grid().into_iter().map(|u| u.clamp(U_MIN, U_MAX)) {
            let (got, want) = (n.quantile(u), normal.inverse_cdf(u));
            assert!(
                (got - want).abs() <= 1e-13 * want.abs().max(1.0),
                "normal at {u}: {got}"
            );
            let (got, want) = (ln.quantile(u), lognormal.inverse_cdf(u));
            assert!(
                (got - want).abs() <= 1e-13 * want,
                "lognormal at {u}: {got} != {want}"
            );
        }
    }

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
    fn quantile_is_monotone_finite_and_in_support() {
        // A fine grid too, to catch a crossing between branches or a solver's jitter.
        let mut us = u_grid();
        us.extend((0..=100_000).map(|i| f64::from(i) / 100_000.0));
        us.sort_by(f64::total_cmp);
        for text in ALL {
            let dist = d(text);
            let (lo, hi) = dist.support();
            let mut previous = f64::NEG_INFINITY;
            for &u in &us {
                let x = dist.quantile(u);
                assert!(x.is_finite() && lo <= x && x <= hi, "{text} at {u}: {x}");
                assert!(
                    x >= previous,
                    "{text} decreases at {u}: {previous} then {x}"
                );
                previous = x;
            }
        }
    }

    /// statrs's normal quantile on its own steps back by an ulp here and there (near the clamp
    /// at 1e-15, for one); sweep every ulp around the seams of its piecewise approximation.
    #[test]
    fn normal_quantile_is_monotone_ulp_by_ulp() {
        let normal = d("normal(0, 1)");
        let seams = [1e-15, 6.17e-5, 0.125, 0.25, 0.5];
        for seam in seams.into_iter().flat_map(|u: f64| [u, 1.0 - u]) {
            let mut u = f64::from_bits(seam.to_bits() - 300_000);
            let mut previous = normal.quantile(u);
            for _ in 0..600_000 {
                u = f64::from_bits(u.to_bits() + 1);
                let z = normal.quantile(u);
                assert!(z >= previous, "decreases at {u:e}: {previous:e} then {z:e}");
                previous = z;
            }
        }
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

    #[test]
    fn kolmogorov_smirnov_pert_and_triangular() {
        let n = 20_000;
        let bound = 1.36 / (n as f64).sqrt();
        for text in [
            "pert(0, 0.03, 0.08)",
            "pert(5, 6, 6)",
            "triangular(0, 1, 4)",
            "triangular(1, 1, 2)",
        ] {
            let dist = d(text);
            let mut xs: Vec<f64> = uniforms(42, n)
                .into_iter()
                .map(|u| dist.quantile(u))
                .collect();
            xs.sort_by(f64::total_cmp);
            let distance = xs.iter().enumerate().fold(0.0, |worst: f64, (i, &x)| {
                let f = dist.cdf(x);
                worst
                    .max(f - i as f64 / n as f64)
                    .max((i + 1) as f64 / n as f64 - f)
            });
            assert!(
                distance < bound,
                "{text}: KS distance {distance} >= {bound}"
            );
        }
    }

    #[test]
    fn parses_valid_forms() {
        use Distribution::*;
        let cases = [
            (
                "normal(-0.03, 0.01)",
                Normal {
                    mean: -0.03,
                    sd: 0.01,
                },
            ),
            (
                "  normal ( -0.03 ,0.01 )  ",
                Normal {
                    mean: -0.03,
                    sd: 0.01,
                },
            ),
            (
                "pert(0, 0.03, 0.08)",
                Pert {
                    low: 0.0,
                    mode: 0.03,
                    high: 0.08,
                },
            ),
            ("fixed(2)", Fixed { value: 2.0 }),
            ("fixed(-.5)", Fixed { value: -0.5 }),
            ("fixed(+5.)", Fixed { value: 5.0 }),
            (
                "lognormal(1e-3, 2.5E-1)",
                LogNormal {
                    mu: 0.001,
                    sigma: 0.25,
                },
            ),
            (
                "uniform(-1e2,1e+2)",
                Uniform {
                    low: -100.0,
                    high: 100.0,
                },
            ),
            (
                "triangular(\t1,\n1, 2)",
                Triangular {
                    low: 1.0,
                    mode: 1.0,
                    high: 2.0,
                },
            ),
            (
                "beta(2, 18)",
                Beta {
                    alpha: 2.0,
                    beta: 18.0,
                },
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(Distribution::parse(text), Ok(expected), "{text}");
        }
    }

    #[test]
    fn display_round_trips() {
        let extra = [
            "normal(0.1, 0.30000000000000004)",
            "uniform(-1e-300, 1e300)",
            "fixed(-0)",
        ];
        for text in ALL.iter().chain(&extra) {
            let dist = d(text);
            let shown = dist.to_string();
            let back = Distribution::parse(&shown);
            assert_eq!(back, Ok(dist), "{text} shown as {shown}");
            // Bit for bit, which `==` is not for -0.
            let bits = |d: Distribution| d.args().0.map(f64::to_bits);
            assert_eq!(bits(back.unwrap()), bits(dist), "{text} shown as {shown}");
        }
        assert_eq!(
            d("normal( -0.03 , 0.01 )").to_string(),
            "normal(-0.03, 0.01)"
        );
        assert_eq!(d("fixed(2.0)").to_string(), "fixed(2)");
        assert_eq!(d("pert(0, 3e-2, 0.08)").to_string(), "pert(0, 0.03, 0.08)");
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

    #[rustfmt::skip]
    const PARSE_ERRORS: &[(&str, usize, &str)] = &[
        ("", 0, "expected a distribution such as `normal(0, 1)`, found nothing"),
        ("   ", 3, "expected a distribution such as `normal(0, 1)`, found nothing"),
        ("0.5", 0, "expected a distribution name such as `normal`, found `0`"),
        ("normall(0, 1)", 0, "unknown distribution `normall`; did you mean `normal`?"),
        ("  gauss(0, 1)", 2, "unknown distribution `gauss`; the distributions are fixed, normal, lognormal, uniform, triangular, beta, pert"),
        ("normal", 6, "expected `(` after `normal`, found the end of the text"),
        ("normal[0, 1]", 6, "expected `(` after `normal`, found `[`"),
        ("normal(0, 1", 11, "missing `)` to close `normal(`"),
        ("normal(0 1)", 9, "expected `,` or `)` after a number, found `1`"),
        ("normal(0, )", 10, "expected a number, found `)`"),
        ("normal(0,", 9, "expected a number, found the end of the text"),
        ("normal(0, x)", 10, "`x` is not a number"),
        ("normal(0, 1e)", 10, "`1e` is not a number"),
        ("normal(0, 1) + 2", 13, "unexpected `+` after the closing `)`"),
        ("normal(0, -1)", 10, "normal(mean, sd) needs sd > 0, got -1"),
        ("uniform(2, 1)", 11, "uniform(low, high) needs low < high, got 2 and 1"),
        ("triangular(0, 2, 1)", 14, "triangular(low, mode, high) needs low <= mode <= high, got 0, 2 and 1"),
        ("normal(0, 1, 2)", 13, "normal takes 2 arguments (mean, sd), got 3"),
        ("pert(0, 1)", 9, "pert takes 3 arguments (low, mode, high), got 2"),
        ("fixed()", 6, "fixed takes 1 argument (value), got 0"),
        ("normal(0, inf)", 10, "normal(mean, sd) needs finite numbers, got inf for sd"),
        ("normal(NaN, 1)", 7, "normal(mean, sd) needs finite numbers, got NaN for mean"),
        ("uniform(-1e308, 1e308)", 0, "uniform(low, high) with these numbers reaches values too large to compute with"),
        // Multi-byte text: offsets are in bytes, on char boundaries.
        ("normal(é, 1)", 7, "`é` is not a number"),
        ("normal(0, 1)→", 12, "unexpected `→` after the closing `)`"),
        ("normal(0,\u{a0}−1)", 11, "`−1` is not a number"),
        ("é(1)", 0, "expected a distribution name such as `normal`, found `é`"),
    ];

    #[test]
    fn parse_reports_errors_with_offsets() {
        for &(text, offset, message) in PARSE_ERRORS {
            let got = Distribution::parse(text);
            assert_eq!(got, Err((offset, message.to_string())), "{text:?}");
        }
    }

    #[test]
    fn tells_calls_from_names() {
        for text in ["normal(0, 1)", " pert (", "normall(", "f(x"] {
            assert!(Distribution::looks_like_call(text), "{text}");
        }
        for text in ["russia_decline", "", "(1)", "0.5(", "normal", "a b(", "é("] {
            assert!(!Distribution::looks_like_call(text), "{text}");
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
