//! Mergeable aggregates of the composite-share series: for every step and series (a target's or
//! the region's composite share of one actor or autonomy), a fine fixed-bin histogram on [0, 1],
//! fixed-point sums for the mean and variance (of the values rounded to 2⁻³², and of their
//! squares exactly), and the exact minimum and maximum.
//!
//! Memory does not grow with the number of runs, and merging is integer addition (and min/max),
//! which is associative and commutative: the result is the same bit for bit whatever the order
//! in which threads (or, later, machines) merge their parts.

/// Default number of histogram bins: quantiles resolve to 1/2000 = 0.0005 before interpolation.
pub const DEFAULT_BINS: usize = 2000;

/// Fixed-point scale of the sums: values in [0, 1] are rounded to integers V of 2⁻³² units and
/// summed exactly and order-independently — ΣV in a u64 (2³² · 10⁹ runs fit) and ΣV² in a
/// u128 — so the variance of the rounded values is computed exactly: 0 when every run gives
/// the same value, whose mean is then that value itself (the minimum), not its rounding.
const SCALE: f64 = 4_294_967_296.0;

/// The composite-share series of a simulation aggregated over its runs: per point and series, a
/// histogram on [0, 1], exact fixed-point sums and the extremes. Merges exactly.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SeriesAccumulator {
    /// Points recorded per run: the steps `0..=n_steps`.
    pub n_points: usize,
    /// Series per point: targets then the region, each with every actor then autonomy.
    pub n_series: usize,
    /// Histogram bins on [0, 1] ([`DEFAULT_BINS`] unless configured).
    pub bins: usize,
    /// `counts[(point * n_series + series) * bins + bin]`.
    counts: Vec<u32>,
    sums: Vec<u64>,
    /// Serialised as (high, low) halves: JSON readers without 128-bit numbers keep them.
    #[serde(with = "halves")]
    sums_of_squares: Vec<u128>,
    mins: Vec<f64>,
    maxs: Vec<f64>,
    runs: u64,
    /// Under a design of R ≥ 2 replicates: `replicate_sums[r * cells + cell]`, the fixed-point
    /// sums of each replicate's runs, and each replicate's run count (empty otherwise).
    #[serde(default)]
    replicate_sums: Vec<u64>,
    #[serde(default)]
    replicate_runs: Vec<u64>,
    /// The replicate of the run being recorded.
    #[serde(skip)]
    replicate: usize,
}

impl SeriesAccumulator {
    /// An empty accumulator of `n_points` points of `n_series` series, each a histogram of `bins` bins.
    pub fn new(n_points: usize, n_series: usize, bins: usize) -> SeriesAccumulator {
        let cells = n_points * n_series;
        SeriesAccumulator {
            n_points,
            n_series,
            bins,
            counts: vec![0; cells * bins],
            sums: vec![0; cells],
            sums_of_squares: vec![0; cells],
            mins: vec![f64::INFINITY; cells],
            maxs: vec![f64::NEG_INFINITY; cells],
            runs: 0,
            replicate_sums: Vec::new(),
            replicate_runs: Vec::new(),
            replicate: 0,
        }
    }

    /// Keeps each of `replicates` replicates' sums too (for the standard errors of a design).
    pub fn set_replicates(&mut self, replicates: u64) {
        if replicates > 1 {
            let cells = self.n_points * self.n_series;
            self.replicate_sums = vec![0; replicates as usize * cells];
            self.replicate_runs = vec![0; replicates as usize];
        }
    }

    /// The replicate the next run belongs to.
    pub fn set_replicate(&mut self, replicate: u64) {
        self.replicate = replicate as usize;
    }

    /// Bytes held, for memory estimates.
    pub fn bytes(n_points: usize, n_series: usize, bins: usize) -> usize {
        n_points * n_series * (bins * 4 + 40)
    }

    /// Adds one run's values of every series at one point; `values.len() == n_series`.
    #[inline]
    pub fn record(&mut self, point: usize, values: &[f64]) {
        let base = point * self.n_series;
        let bins = self.bins;
        for (series, &value) in values.iter().enumerate() {
            let i = base + series;
            let v = value.clamp(0.0, 1.0);
            let bin = ((v * bins as f64) as usize).min(bins - 1);
            self.counts[i * bins + bin] += 1;
            let fixed = (v * SCALE).round() as u64;
            self.sums[i] += fixed;
            if !self.replicate_runs.is_empty() {
                let cells = self.n_points * self.n_series;
                self.replicate_sums[self.replicate * cells + i] += fixed;
            }
            self.sums_of_squares[i] += u128::from(fixed) * u128::from(fixed);
            self.mins[i] = self.mins[i].min(v);
            self.maxs[i] = self.maxs[i].max(v);
        }
    }

    /// Counts one finished run (call once per run, after its points are recorded).
    pub fn finish_run(&mut self) {
        self.runs += 1;
        if let Some(r) = self.replicate_runs.get_mut(self.replicate) {
            *r += 1;
        }
        self.replicate = 0;
    }

    /// Adds `other`'s runs to these (same shape and design, or it panics): integer sums and
    /// extremes, so the order of merges never changes a bit.
    pub fn merge(&mut self, other: &SeriesAccumulator) {
        assert_eq!(
            (self.n_points, self.n_series, self.bins),
            (other.n_points, other.n_series, other.bins),
            "merging accumulators of different shapes"
        );
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        for (a, b) in self.sums.iter_mut().zip(&other.sums) {
            *a += b;
        }
        for (a, b) in self.sums_of_squares.iter_mut().zip(&other.sums_of_squares) {
            *a += b;
        }
        for (a, b) in self.mins.iter_mut().zip(&other.mins) {
            *a = a.min(*b);
        }
        for (a, b) in self.maxs.iter_mut().zip(&other.maxs) {
            *a = a.max(*b);
        }
        self.runs += other.runs;
        assert_eq!(
            self.replicate_runs.len(),
            other.replicate_runs.len(),
            "merging accumulators of different designs"
        );
        for (a, b) in self.replicate_sums.iter_mut().zip(&other.replicate_sums) {
            *a += b;
        }
        for (a, b) in self.replicate_runs.iter_mut().zip(&other.replicate_runs) {
            *a += b;
        }
    }

    /// Runs counted so far.
    pub fn runs(&self) -> u64 {
        self.runs
    }

    /// Whether an accumulator read from a file is consistent: its arrays have its shape and
    /// every point of every series counted each of its `runs` runs exactly once.
    pub fn check(&self, runs: u64) -> Result<(), String> {
        let cells = self.n_points.checked_mul(self.n_series);
        let shape = cells.and_then(|c| c.checked_mul(self.bins).map(|n| (c, n)));
        let Some((cells, n_counts)) = shape.filter(|_| self.bins > 0) else {
            return Err(format!(
                "its series shape {} × {} × {} bins is not one steppe writes",
                self.n_points, self.n_series, self.bins
            ));
        };
        let lengths = [
            self.counts.len(),
            self.sums.len() * self.bins,
            self.sums_of_squares.len() * self.bins,
            self.mins.len() * self.bins,
            self.maxs.len() * self.bins,
        ];
        if lengths.iter().any(|n| *n != n_counts) {
            return Err(format!(
                "its series arrays are not of its shape ({cells} cells of {} bins)",
                self.bins
            ));
        }
        if self.runs != runs {
            return Err(format!("its series count {} runs, not {runs}", self.runs));
        }
        let replicates = self.replicate_runs.len();
        if replicates == 1
            || cells.checked_mul(replicates) != Some(self.replicate_sums.len())
            || (replicates > 0
                && self
                    .replicate_runs
                    .iter()
                    .try_fold(0u64, |t, r| t.checked_add(*r))
                    != Some(runs))
        {
            return Err(format!(
                "its series replicate sums are not of its shape ({replicates} replicates of {cells} cells, {runs} runs)"
            ));
        }
        if let Some(cell) = self
            .counts
            .chunks_exact(self.bins)
            .position(|c| c.iter().map(|n| u64::from(*n)).sum::<u64>() != runs)
        {
            return Err(format!(
                "its series histogram {} of {cells} does not count each of its {runs} runs once",
                cell + 1
            ));
        }
        Ok(())
    }

    /// Mean and its Monte Carlo standard error.
    pub fn mean(&self, point: usize, series: usize) -> (f64, f64) {
        let i = point * self.n_series + series;
        if self.runs == 0 {
            return (f64::NAN, f64::NAN);
        }
        if self.mins[i] == self.maxs[i] {
            // Every run gave this value: it is the mean, and nothing varies.
            return (self.mins[i], 0.0);
        }
        let n = u128::from(self.runs);
        let (s1, s2) = (u128::from(self.sums[i]), self.sums_of_squares[i]);
        // With S1 = q·n + r: Σ(V − S1/n)² = S2 − S1²/n = (S2 − q²·n − 2·q·r) − r²/n, the first
        // term an exact integer (at least r²/n, by Cauchy–Schwarz).
        let (q, r) = (s1 / n, s1 % n);
        let whole = s2.saturating_sub(q * q * n + 2 * q * r);
        let centred = (whole as f64 - (r * r) as f64 / n as f64).max(0.0);
        let n = self.runs as f64;
        let mean = (q as f64 + r as f64 / n) / SCALE;
        if !self.replicate_runs.is_empty() {
            // Under a design: the spread of the replicates' means.
            let cells = self.n_points * self.n_series;
            let estimates: Vec<(f64, f64)> = self
                .replicate_runs
                .iter()
                .enumerate()
                .map(|(k, &runs)| {
                    let sum = self.replicate_sums[k * cells + i] as f64;
                    (runs as f64, sum / SCALE / runs as f64)
                })
                .collect();
            return (mean, crate::stats::replicate_se(&estimates));
        }
        let variance = centred / (SCALE * SCALE) / (n - 1.0).max(1.0);
        (mean, (variance / n).sqrt())
    }

    /// Quantile `q` in [0, 1], interpolated linearly within the bin that holds it and clamped to
    /// the exact observed range (so a series that is the same in every run gives that value).
    pub fn quantile(&self, point: usize, series: usize, q: f64) -> f64 {
        let i = point * self.n_series + series;
        let counts = &self.counts[i * self.bins..(i + 1) * self.bins];
        let (lo, hi) = (self.mins[i], self.maxs[i]);
        crate::stats::histogram_quantile(counts, q).clamp(lo, hi)
    }
}

/// `u128`s as pairs of `u64`s.
mod halves {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(v: &[u128], s: S) -> Result<S::Ok, S::Error> {
        v.iter()
            .map(|x| ((x >> 64) as u64, *x as u64))
            .collect::<Vec<_>>()
            .serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u128>, D::Error> {
        let pairs = Vec::<(u64, u64)>::deserialize(d)?;
        Ok(pairs
            .into_iter()
            .map(|(high, low)| (u128::from(high) << 64) | u128::from(low))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accumulate(values: &[f64]) -> SeriesAccumulator {
        let mut acc = SeriesAccumulator::new(1, 1, 100);
        for &v in values {
            acc.record(0, &[v]);
            acc.finish_run();
        }
        acc
    }

    #[test]
    fn replicate_sums_of_another_shape_are_refused() {
        let mut acc = SeriesAccumulator::new(2, 1, 10);
        acc.set_replicates(3);
        for run in 0..9 {
            acc.set_replicate(run % 3);
            acc.record(0, &[0.5]);
            acc.record(1, &[0.25]);
            acc.finish_run();
        }
        assert!(acc.check(9).is_ok());
        let mut value = serde_json::to_value(&acc).unwrap();
        value["replicate_sums"].as_array_mut().unwrap().pop();
        let short: SeriesAccumulator = serde_json::from_value(value).unwrap();
        assert!(short.check(9).is_err());
        let mut value = serde_json::to_value(&acc).unwrap();
        value["replicate_runs"][0] = serde_json::json!(2);
        let miscounted: SeriesAccumulator = serde_json::from_value(value).unwrap();
        assert!(miscounted.check(9).is_err());
    }

    #[test]
    fn a_constant_series_has_its_exact_value_and_no_error() {
        // 0.3 is not a multiple of 2⁻³²: a fixed-point mean would be 0.30000000004656613.
        let acc = accumulate(&[0.3; 1000]);
        assert_eq!(acc.mean(0, 0), (0.3, 0.0));
        assert_eq!(acc.quantile(0, 0, 0.5), 0.3);
    }

    #[test]
    fn mean_and_error_match_the_closed_form_and_do_not_depend_on_the_split() {
        // 0.25 and 0.75 alternating: mean 1/2, sample variance (1/16)·n/(n − 1).
        let n = 1000;
        let values: Vec<f64> = (0..n)
            .map(|i| if i % 2 == 0 { 0.25 } else { 0.75 })
            .collect();
        let whole = accumulate(&values);
        let (mean, se) = whole.mean(0, 0);
        let want = (0.0625 * n as f64 / (n as f64 - 1.0) / n as f64).sqrt();
        assert_eq!(mean, 0.5);
        assert!((se - want).abs() <= 1e-15 * want, "{se} vs {want}");
        // One value δ = 2⁻²⁰ above 999 equal ones: Σ(x − m)² = δ²(1 − 1/n), so the standard
        // error is δ/n — the spread of the values, with no rounding noise (δ is 2¹² units).
        let mut nearly = vec![0.3; 999];
        nearly.push(0.3 + 2f64.powi(-20));
        let (_, se) = accumulate(&nearly).mean(0, 0);
        let want = 2f64.powi(-20) / 1000.0;
        assert!((se - want).abs() <= 1e-9 * want, "{se} vs {want}");
        let mut merged = accumulate(&values[600..]);
        merged.merge(&accumulate(&values[..600]));
        assert_eq!(merged, whole);
    }
}
