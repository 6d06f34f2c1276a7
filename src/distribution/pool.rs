//! A pool of experts: one parameter's distribution as a weighted mixture of several experts'
//! distributions (linear opinion pooling, the usual way to combine elicited judgements —
//! O'Hagan et al. 2006, "Uncertain Judgements", ch. 9). Its quantile function inverts the
//! mixture's cdf by bisection, so that it is non-decreasing in `u` as every other quantile
//! function here: a design's stratification of `u` then stratifies the pooled value.

use std::sync::Arc;

use super::Distribution;

/// One expert's judgement in a pool.
#[derive(Debug, Clone, PartialEq)]
pub struct Expert {
    /// Its weight, normalised so that the pool's weights sum to 1.
    pub weight: f64,
    /// The expert's distribution.
    pub distribution: Distribution,
    /// Who said so: `source` as written (empty when not given).
    pub source: String,
}

/// The experts of a pool, shared (a distribution is cloned wherever it goes).
pub type Experts = Arc<[Expert]>;

/// Bisection steps: each halves the bracket, so 200 reach adjacent doubles for any bracket.
const STEPS: usize = 200;

/// The pool's cdf at `x`.
pub(super) fn cdf(experts: &[Expert], x: f64) -> f64 {
    experts
        .iter()
        .map(|e| e.weight * e.distribution.cdf(x))
        .sum::<f64>()
        .clamp(0.0, 1.0)
}

/// The pool's quantile at `u` in [1e-15, 1 − 1e-15]: the least `x` (to the last double) of the
/// experts' joint range with cdf(x) ≥ u.
pub(super) fn quantile(experts: &[Expert], u: f64) -> f64 {
    let mut lo = experts
        .iter()
        .map(|e| e.distribution.quantile(0.0))
        .fold(f64::INFINITY, f64::min);
    let mut hi = experts
        .iter()
        .map(|e| e.distribution.quantile(1.0))
        .fold(f64::NEG_INFINITY, f64::max);
    if lo.is_nan() || hi.is_nan() || lo > hi {
        return f64::NAN;
    }
    for _ in 0..STEPS {
        let mid = lo + 0.5 * (hi - lo);
        if mid <= lo || mid >= hi {
            break;
        }
        if cdf(experts, mid) < u {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    hi
}

/// The pool's mean: the weighted mean of the experts' means.
pub(super) fn mean(experts: &[Expert]) -> f64 {
    experts
        .iter()
        .map(|e| e.weight * e.distribution.mean())
        .sum()
}

/// The pool's support: from the lowest expert's to the highest's.
pub(super) fn support(experts: &[Expert]) -> (f64, f64) {
    experts
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), e| {
            let (a, b) = e.distribution.support();
            (lo.min(a), hi.max(b))
        })
}
