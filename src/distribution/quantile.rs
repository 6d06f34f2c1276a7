//! The numerics behind [`Distribution::quantile`] and [`Distribution::cdf`], each family's
//! quantile non-decreasing in `u` by construction: closed forms for the triangular, statrs's
//! normal inverse at fixed knots with linear interpolation between them, and a fixed
//! bisection tree over statrs's beta cdf for the beta and PERT.
//!
//! [`Distribution::quantile`]: super::Distribution::quantile
//! [`Distribution::cdf`]: super::Distribution::cdf

use statrs::distribution::{Beta as BetaDist, ContinuousCDF, Normal as NormalDist};

/// Closed-form triangular quantile. With width `w = high - low` and `F(mode) = (mode-low)/w`,
/// `x = low + w·sqrt(u·F(mode))` below the mode and `x = high - w·sqrt((1-u)(1-F(mode)))`
/// above it. Each branch is built from monotone operations, and the clamps to the mode keep
/// rounding from crossing the branches, so the result is non-decreasing in `u`.
pub(super) fn triangular_quantile(low: f64, mode: f64, high: f64, u: f64) -> f64 {
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
pub(super) fn triangular_cdf(low: f64, mode: f64, high: f64, x: f64) -> f64 {
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
pub(super) fn inside(x: f64, low: f64, high: f64) -> f64 {
    let (first, last) = (low.next_up(), high.next_down());
    if x.is_nan() || first > last {
        return if x.is_nan() { x } else { low };
    }
    x.clamp(first, last)
}

/// The shapes of the beta on [0, 1] that a PERT scales to `[low, high]`, or None for invalid
/// fields.
pub(super) fn pert_shapes(low: f64, mode: f64, high: f64) -> Option<(f64, f64)> {
    if !(low < high && low <= mode && mode <= high) {
        return None;
    }
    let width = high - low;
    Some((
        1.0 + 4.0 * (mode - low) / width,
        1.0 + 4.0 * (high - mode) / width,
    ))
}

pub(super) fn beta_cdf(alpha: f64, beta: f64, x: f64) -> f64 {
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
pub(super) fn standard_normal_quantile(u: f64) -> f64 {
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
pub(super) fn beta_quantile(alpha: f64, beta: f64, u: f64) -> f64 {
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

#[cfg(test)]
mod tests {
    use statrs::distribution::LogNormal as LogNormalDist;

    use super::*;
    use crate::distribution::samples::{ALL, d, u_grid, uniforms};
    use crate::distribution::{U_MAX, U_MIN};

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
}
