//! The metalog distribution (Keelin 2016, "The Metalog Distributions", Decision Analysis
//! 13(4)): a distribution through quantiles as an analyst gives them — "5 % 0.1, 50 % 0.25,
//! 95 % 0.5" — with k = 3 to 5 terms fitted exactly through k quantiles, optionally bounded
//! below, above or both (the log- and logit-metalogs). Its quantile function is a closed form,
//! increasing when the fit is feasible, which [`Metalog::fit`] checks.

/// Most quantiles a metalog is fitted through.
pub const MAX_TERMS: usize = 5;

/// A metalog through the quantiles given, with its fitted coefficients.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Metalog {
    /// The quantiles as written: (percent, value), percents increasing; the first `n`.
    pub given: [(f64, f64); MAX_TERMS],
    /// How many quantiles (and terms).
    pub n: usize,
    /// The lower bound, or −∞.
    pub low: f64,
    /// The upper bound, or +∞.
    pub high: f64,
    /// The coefficients a₁…aₙ of M(y).
    a: [f64; MAX_TERMS],
}

impl Metalog {
    /// Fits the metalog through `given` (percent, value) within `(low, high)` (either may be
    /// infinite), or says in one sentence why it cannot.
    pub fn fit(given: &[(f64, f64)], low: f64, high: f64) -> Result<Metalog, String> {
        let n = given.len();
        if !(3..=MAX_TERMS).contains(&n) {
            return Err(format!(
                "quantiles(...) needs 3 to {MAX_TERMS} quantiles such as 5% = 0.1, got {n}"
            ));
        }
        if low.partial_cmp(&high) != Some(std::cmp::Ordering::Less) {
            return Err(format!(
                "quantiles(...) needs low < high, got {low} and {high}"
            ));
        }
        for (i, &(p, q)) in given.iter().enumerate() {
            if !(p > 0.0 && p < 100.0) {
                return Err(format!(
                    "a quantile's percent must be within (0, 100), got {p}%"
                ));
            }
            if !q.is_finite() || q <= low || q >= high {
                return Err(format!(
                    "the {p}% quantile {q} must lie strictly within the bounds ({low}, {high})"
                ));
            }
            if i > 0 && (p <= given[i - 1].0 || q <= given[i - 1].1) {
                return Err(
                    "the quantiles must be given in increasing order, percents and values both"
                        .to_string(),
                );
            }
        }
        // M(yᵢ) = zᵢ for each given quantile: a linear system in the coefficients.
        let mut matrix = [[0.0; MAX_TERMS]; MAX_TERMS];
        let mut z = [0.0; MAX_TERMS];
        for (i, &(p, q)) in given.iter().enumerate() {
            let y = p / 100.0;
            for (j, cell) in matrix[i][..n].iter_mut().enumerate() {
                *cell = basis(j, y);
            }
            z[i] = forward(q, low, high);
        }
        let a = solve(&mut matrix, &mut z, n).ok_or("these quantiles give no metalog")?;
        let mut given_all = [(0.0, 0.0); MAX_TERMS];
        given_all[..n].copy_from_slice(given);
        let metalog = Metalog {
            given: given_all,
            n,
            low,
            high,
            a,
        };
        if let Some(y) = metalog.first_decrease() {
            return Err(format!(
                "no metalog through these quantiles is a distribution: its quantile function would decrease near {}%; they are too lopsided — move the middle one toward the centre of the others{}",
                trim(format!("{:.3}", y * 100.0)),
                if n > 3 {
                    ", or give 3 of them"
                } else {
                    ", or give bounds (low = …, high = …) if the quantity has them"
                }
            ));
        }
        Ok(metalog)
    }

    /// The quantile at `u` in (0, 1).
    pub fn quantile(&self, u: f64) -> f64 {
        let m: f64 = (0..self.n).map(|j| self.a[j] * basis(j, u)).sum();
        backward(m, self.low, self.high)
    }

    /// The probability of a draw ≤ `x`, by bisection on the quantile function.
    pub fn cdf(&self, x: f64) -> f64 {
        let (mut lo, mut hi) = (1e-15, 1.0 - 1e-15);
        if x <= self.quantile(lo) {
            return 0.0;
        }
        if x >= self.quantile(hi) {
            return 1.0;
        }
        for _ in 0..100 {
            let mid = 0.5 * (lo + hi);
            if self.quantile(mid) <= x {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        0.5 * (lo + hi)
    }

    /// The mean, as the integral of the quantile function (midpoints of 20,000 equal slices;
    /// the tails' share beyond them is below 10⁻⁴ of a quantile's scale for any feasible fit).
    pub fn mean(&self) -> f64 {
        let n = 20_000;
        (0..n)
            .map(|i| self.quantile((i as f64 + 0.5) / n as f64))
            .sum::<f64>()
            / n as f64
    }

    /// The first `y` where M(y) stops increasing, on a grid dense in the middle and
    /// geometric in the tails; `None` when it increases throughout.
    fn first_decrease(&self) -> Option<f64> {
        let mut ys: Vec<f64> = (1..2000).map(|i| i as f64 / 2000.0).collect();
        for k in 4..=15 {
            let t = 10f64.powi(-k);
            ys.push(t);
            ys.push(1.0 - t);
        }
        ys.sort_by(f64::total_cmp);
        ys.into_iter()
            .find(|&y| (0..self.n).map(|j| self.a[j] * slope(j, y)).sum::<f64>() <= 0.0)
    }
}

/// A number written with 3 decimals, without trailing zeros.
fn trim(text: String) -> String {
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Basis function `j` (0-based) of the metalog at `y`: 1, L, (y − ½)L, y − ½, (y − ½)², with
/// L = ln(y / (1 − y)).
fn basis(j: usize, y: f64) -> f64 {
    let logit = (y / (1.0 - y)).ln();
    match j {
        0 => 1.0,
        1 => logit,
        2 => (y - 0.5) * logit,
        3 => y - 0.5,
        _ => (y - 0.5) * (y - 0.5),
    }
}

/// The derivative in `y` of basis function `j`.
fn slope(j: usize, y: f64) -> f64 {
    let inverse = 1.0 / (y * (1.0 - y));
    match j {
        0 => 0.0,
        1 => inverse,
        2 => (y / (1.0 - y)).ln() + (y - 0.5) * inverse,
        3 => 1.0,
        _ => 2.0 * (y - 0.5),
    }
}

/// The value on the scale the metalog is linear in: as is, log above a lower bound, log below
/// an upper one, logit between both.
fn forward(q: f64, low: f64, high: f64) -> f64 {
    match (low.is_finite(), high.is_finite()) {
        (false, false) => q,
        (true, false) => (q - low).ln(),
        (false, true) => -(high - q).ln(),
        (true, true) => ((q - low) / (high - q)).ln(),
    }
}

/// The inverse of [`forward`].
fn backward(m: f64, low: f64, high: f64) -> f64 {
    match (low.is_finite(), high.is_finite()) {
        (false, false) => m,
        (true, false) => low + m.exp(),
        (false, true) => high - (-m).exp(),
        (true, true) => {
            // The logistic, written so that neither side overflows.
            if m >= 0.0 {
                let e = (-m).exp();
                (low * e + high) / (1.0 + e)
            } else {
                let e = m.exp();
                (low + high * e) / (1.0 + e)
            }
        }
    }
}

/// Solves the first `n` rows and columns of `matrix · a = z` by Gaussian elimination with
/// partial pivoting; `None` when singular.
fn solve(
    matrix: &mut [[f64; MAX_TERMS]; MAX_TERMS],
    z: &mut [f64; MAX_TERMS],
    n: usize,
) -> Option<[f64; MAX_TERMS]> {
    for col in 0..n {
        let pivot =
            (col..n).max_by(|&a, &b| matrix[a][col].abs().total_cmp(&matrix[b][col].abs()))?;
        if matrix[pivot][col].abs() < 1e-300 {
            return None;
        }
        matrix.swap(col, pivot);
        z.swap(col, pivot);
        let pivot_row = matrix[col];
        for row in col + 1..n {
            let factor = matrix[row][col] / pivot_row[col];
            for (x, p) in matrix[row][col..n].iter_mut().zip(&pivot_row[col..n]) {
                *x -= factor * p;
            }
            z[row] -= factor * z[col];
        }
    }
    let mut a = [0.0; MAX_TERMS];
    for row in (0..n).rev() {
        let known: f64 = (row + 1..n).map(|k| matrix[row][k] * a[k]).sum();
        a[row] = (z[row] - known) / matrix[row][row];
    }
    a.iter().all(|v| v.is_finite()).then_some(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_goes_through_every_quantile_given() {
        for (given, low, high) in [
            (
                vec![(5.0, 0.1), (50.0, 0.25), (95.0, 0.5)],
                f64::NEG_INFINITY,
                f64::INFINITY,
            ),
            (vec![(5.0, 0.1), (50.0, 0.25), (95.0, 0.5)], 0.0, 1.0),
            (
                vec![(10.0, 2.0), (50.0, 3.0), (90.0, 7.0)],
                0.0,
                f64::INFINITY,
            ),
            (
                vec![
                    (5.0, -1.0),
                    (25.0, 0.0),
                    (50.0, 0.4),
                    (75.0, 1.0),
                    (95.0, 3.0),
                ],
                f64::NEG_INFINITY,
                f64::INFINITY,
            ),
        ] {
            let m = Metalog::fit(&given, low, high).unwrap();
            for (p, q) in given {
                let got = m.quantile(p / 100.0);
                assert!((got - q).abs() < 1e-12, "{p}%: {got} against {q}");
                assert!((m.cdf(q) - p / 100.0).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn symmetric_quantiles_of_a_normal_give_nearly_that_normal() {
        // Three quantiles of normal(0, 1) at 10/50/90 %: a₃ = 0 by symmetry, and the logistic
        // shape matches the normal's within 0.05 in between (a closed-form comparison).
        let z90 = 1.2815515655446004;
        let m = Metalog::fit(
            &[(10.0, -z90), (50.0, 0.0), (90.0, z90)],
            f64::NEG_INFINITY,
            f64::INFINITY,
        )
        .unwrap();
        assert!(m.a[2].abs() < 1e-12);
        assert!((m.quantile(0.75) - 0.6744897501960817).abs() < 0.05);
        assert!(m.mean().abs() < 1e-9);
    }

    #[test]
    fn the_bounded_form_stays_within_its_bounds_and_infeasible_fits_are_refused() {
        let m = Metalog::fit(&[(5.0, 0.02), (50.0, 0.1), (95.0, 0.4)], 0.0, 1.0).unwrap();
        for u in [1e-15, 1e-6, 0.5, 1.0 - 1e-6, 1.0 - 1e-15] {
            let x = m.quantile(u);
            assert!(x > 0.0 && x < 1.0, "{u}: {x}");
        }
        // A median far off-centre between tight tails bends the quantile function back.
        let bent = Metalog::fit(
            &[(5.0, 0.0), (50.0, 0.95), (95.0, 1.0)],
            f64::NEG_INFINITY,
            f64::INFINITY,
        );
        assert!(bent.unwrap_err().contains("would decrease"));
        assert!(
            Metalog::fit(
                &[(50.0, 1.0), (5.0, 0.0), (95.0, 2.0)],
                f64::NEG_INFINITY,
                f64::INFINITY
            )
            .is_err()
        );
        assert!(
            Metalog::fit(&[(5.0, 0.0), (95.0, 2.0)], f64::NEG_INFINITY, f64::INFINITY).is_err()
        );
    }
}
