//! Mergeable aggregates of one per-run value (a metric, a parameter's draw) over many runs,
//! in memory that does not grow with the number of runs.
//!
//! The finite values go into a [`Sketch`] (`sketch.rs`): counts per bin of a grid on the
//! values' own bits, exact while at most [`BINS`] distinct values occur and within a relative
//! width of the values beyond, wherever they lie. Exact sums (`exact_sum.rs`) give the mean
//! and variance, and the extremes are kept exactly. Every part merges by addition or min/max,
//! and the grid is a function of the multiset of values alone: the result is the same bit for
//! bit however runs are split over threads or machines, and in whatever order the parts merge.

use serde::{Deserialize, Serialize};

use super::exact_sum::{EXPONENTS, ExactSum};
pub use super::sketch::{BINS, Sketch};

/// One metric's values, or one parameter's draws, over the runs of a simulation: counts, a
/// sketch of the finite values and, under a design, each replicate's part. Merges exactly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValuesAccumulator {
    /// Values seen, NaN and infinities included.
    n: u64,
    /// NaN values (a `first` metric's "never").
    nan: u64,
    /// Values other than 0 (NaN included), for conditions.
    nonzero: u64,
    /// The finite values.
    sketch: Sketch,
    /// Per replicate of a randomised design (empty otherwise), what its estimates need.
    #[serde(default)]
    replicates: Vec<Replicate>,
}

/// What one replicate of a design contributes: its runs, NaN and non-zero values, and the
/// exact sum of its finite values.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Replicate {
    /// Its runs.
    pub runs: u64,
    /// Its NaN values (a `first` metric's "never").
    pub nan: u64,
    /// Its values other than 0 (NaN included).
    pub nonzero: u64,
    /// Its finite values.
    pub finite: u64,
    sum: ExactSum,
}

impl Replicate {
    /// The mean of its finite values (NaN if there are none).
    pub fn mean(&self) -> f64 {
        self.sum.value() / self.finite as f64
    }
}

impl Default for ValuesAccumulator {
    fn default() -> Self {
        ValuesAccumulator::new()
    }
}

impl ValuesAccumulator {
    /// An empty accumulator, without replicates.
    pub fn new() -> ValuesAccumulator {
        ValuesAccumulator {
            n: 0,
            nan: 0,
            nonzero: 0,
            sketch: Sketch::new(),
            replicates: Vec::new(),
        }
    }

    /// An accumulator that also keeps what each of `replicates` replicates of a design
    /// contributes (none for 1).
    pub fn with_replicates(replicates: u64) -> ValuesAccumulator {
        let mut acc = ValuesAccumulator::new();
        if replicates > 1 {
            acc.replicates = vec![Replicate::default(); replicates as usize];
        }
        acc
    }

    /// Adds a value of a run of replicate `replicate` (ignored without replicates).
    pub fn push_in(&mut self, x: f64, replicate: u64) {
        self.push(x);
        if let Some(r) = self.replicates.get_mut(replicate as usize) {
            r.runs += 1;
            r.nan += u64::from(x.is_nan());
            r.nonzero += u64::from(x != 0.0);
            if x.is_finite() {
                r.finite += 1;
                r.sum.add(x);
            }
        }
    }

    /// Whether an accumulator read from a file is consistent in itself: its counts within its
    /// values, and its replicates (if any) adding up to them. (The sketch checks its own bins
    /// when it is read.)
    pub fn check(&self) -> Result<(), String> {
        let finite = self.sketch.count();
        let within = self.nan <= self.n
            && self.nonzero <= self.n
            && finite.checked_add(self.nan).is_some_and(|c| c <= self.n);
        let sum = |f: fn(&Replicate) -> u64| {
            self.replicates
                .iter()
                .try_fold(0u64, |t, r| t.checked_add(f(r)))
        };
        let replicates_add_up = self.replicates.is_empty()
            || (self.replicates.len() > 1
                && sum(|r| r.runs) == Some(self.n)
                && sum(|r| r.nan) == Some(self.nan)
                && sum(|r| r.nonzero) == Some(self.nonzero)
                && sum(|r| r.finite) == Some(finite)
                && self
                    .replicates
                    .iter()
                    .all(|r| r.nan <= r.runs && r.nonzero <= r.runs && r.finite + r.nan <= r.runs));
        if within && replicates_add_up {
            Ok(())
        } else {
            Err(format!(
                "a value summary whose counts do not add up ({} values, {} NaN, {} non-zero, {finite} finite, {} replicates)",
                self.n,
                self.nan,
                self.nonzero,
                self.replicates.len()
            ))
        }
    }

    /// Each replicate's contribution, when the runs form replicates of a design.
    pub fn replicates(&self) -> &[Replicate] {
        &self.replicates
    }

    /// Bytes held at most between pushes, for memory estimates (with `replicates`
    /// replicates' exact sums).
    pub fn max_bytes(replicates: u64) -> usize {
        Sketch::MAX_BYTES + replicates as usize * (EXPONENTS * 16 + 64)
    }

    /// Bytes a flush needs on top, while it bins the buffer (one flush at a time per thread).
    pub fn flush_bytes() -> usize {
        Sketch::FLUSH_BYTES
    }

    /// Adds one run's value: NaN and infinities are counted, only finite values enter the sketch.
    pub fn push(&mut self, x: f64) {
        self.n += 1;
        self.nan += u64::from(x.is_nan());
        self.nonzero += u64::from(x != 0.0);
        if x.is_finite() {
            self.sketch.push(x);
        }
    }

    /// Bins every buffered value (reads do it on a copy otherwise).
    pub fn flush(&mut self) {
        self.sketch.flush();
    }

    /// Adds `other`'s values to these: counts and sums add, so merges in any order agree bit for bit.
    pub fn merge(&mut self, other: &ValuesAccumulator) {
        self.n += other.n;
        self.nan += other.nan;
        self.nonzero += other.nonzero;
        self.sketch.merge(&other.sketch);
        if self.replicates.len() < other.replicates.len() {
            self.replicates
                .resize(other.replicates.len(), Replicate::default());
        }
        for (a, b) in self.replicates.iter_mut().zip(&other.replicates) {
            a.runs += b.runs;
            a.nan += b.nan;
            a.nonzero += b.nonzero;
            a.finite += b.finite;
            a.sum.merge(&b.sum);
        }
    }

    /// Values seen, NaN and infinities included.
    pub fn n(&self) -> u64 {
        self.n
    }

    /// NaN values seen (for a `first` metric, the runs where it never happens).
    pub fn nan(&self) -> u64 {
        self.nan
    }

    /// Values other than 0 seen, NaN included (for a condition, the runs where it holds).
    pub fn nonzero(&self) -> u64 {
        self.nonzero
    }

    /// Exact counts of the finite values, ascending, while every distinct value has its own
    /// bin (at most [`BINS`] distinct values).
    pub fn counts(&self) -> Option<Vec<(f64, u64)>> {
        let sketch = self.sketch.flushed();
        sketch.is_exact().then(|| {
            sketch
                .bins
                .iter()
                .map(|&(k, c)| (super::sketch::unordered(k), c))
                .collect()
        })
    }

    /// The sketch of the finite values.
    pub fn sketch(&self) -> std::borrow::Cow<'_, Sketch> {
        self.sketch.flushed()
    }

    /// The finite values with their multiplicities, ascending: exact while every distinct
    /// value has its own bin, else each bin's centre (for pictures).
    pub fn weighted(&self) -> Vec<(f64, u64)> {
        self.sketch.flushed().bins()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::rng;

    pub(crate) fn normals(n: usize, seed: u64) -> Vec<f64> {
        let mut stream = rng::stream(seed, 0, rng::ComponentKey::new("values/test"));
        (0..n).map(|_| rng::standard_normal(&mut stream)).collect()
    }

    pub(crate) fn mixed_values(n: usize, seed: u64) -> Vec<f64> {
        // Positive, negative and zero values, over several orders of magnitude.
        normals(n, seed)
            .into_iter()
            .enumerate()
            .map(|(i, z)| match i % 10 {
                0 => -(0.3 * z).exp(),
                1 => 0.0,
                _ => (1.5 * z).exp(),
            })
            .collect()
    }

    fn accumulate(values: &[f64]) -> ValuesAccumulator {
        let mut acc = ValuesAccumulator::new();
        for &x in values {
            acc.push(x);
        }
        acc
    }

    /// Everything a summary reads, as bits.
    fn fingerprint(acc: &ValuesAccumulator) -> Vec<u64> {
        let mut out = vec![acc.n(), acc.nan(), acc.nonzero()];
        let s = acc.sketch();
        let (m, v) = s.mean_and_variance();
        out.extend([
            m.to_bits(),
            v.to_bits(),
            s.min().to_bits(),
            s.max().to_bits(),
            s.resolution().to_bits(),
        ]);
        for q in [0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0] {
            out.push(s.quantile(q).to_bits());
        }
        out.extend(s.bins().iter().flat_map(|(v, c)| [v.to_bits(), *c]));
        out.extend(serde_json::to_string(acc).unwrap().bytes().map(u64::from));
        out
    }

    #[test]
    fn merging_in_any_split_and_order_gives_the_same_bits() {
        for n in [1_000, BINS + 1, 60_000, 200_000] {
            let values = mixed_values(n, 3);
            let whole = fingerprint(&accumulate(&values));
            for parts in [2, 3, 7] {
                // Contiguous chunks, and values dealt round-robin (each part a different
                // spread of values, so parts reach different grids before they merge).
                let chunks: Vec<ValuesAccumulator> =
                    values.chunks(n.div_ceil(parts)).map(accumulate).collect();
                let dealt: Vec<ValuesAccumulator> = (0..parts)
                    .map(|p| {
                        let mine: Vec<f64> =
                            values.iter().skip(p).step_by(parts).copied().collect();
                        accumulate(&mine)
                    })
                    .collect();
                for split in [&chunks, &dealt] {
                    let mut forward = ValuesAccumulator::new();
                    for c in split.iter() {
                        forward.merge(c);
                    }
                    let mut backward = ValuesAccumulator::new();
                    for c in split.iter().rev() {
                        backward.merge(c);
                    }
                    // A tree: pairs first.
                    let mut pairs: Vec<ValuesAccumulator> = split
                        .chunks(2)
                        .map(|pair| {
                            let mut a = pair[0].clone();
                            if let Some(b) = pair.get(1) {
                                a.merge(b);
                            }
                            a
                        })
                        .collect();
                    let mut tree = pairs.pop().unwrap();
                    for p in &pairs {
                        tree.merge(p);
                    }
                    assert_eq!(fingerprint(&forward), whole, "n {n}, {parts} parts");
                    assert_eq!(fingerprint(&backward), whole, "n {n}, {parts} reversed");
                    assert_eq!(fingerprint(&tree), whole, "n {n}, {parts} as a tree");
                }
            }
        }
    }

    #[test]
    fn every_statistic_is_exact_while_every_distinct_value_has_its_own_bin() {
        let values = mixed_values(BINS - 10, 4);
        let acc = accumulate(&values);
        let sketch = acc.sketch();
        assert!(sketch.is_exact() && sketch.resolution() == 0.0);
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        for q in [0.0, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1.0] {
            let exact = crate::stats::quantile_sorted(&sorted, q);
            assert_eq!(sketch.quantile(q), exact, "q {q}");
        }
    }

    /// The Monte Carlo standard error of the sample `q` quantile of n draws from a density
    /// that is `density` at the quantile: √(q(1 − q)/n) / f.
    fn quantile_se(q: f64, n: usize, density: f64) -> f64 {
        (q * (1.0 - q) / n as f64).sqrt() / density
    }

    /// Largest |sketch − exact| over a few quantiles, in units of each quantile's Monte Carlo
    /// standard error (for values `location + scale·z`, z standard normal), checking the
    /// guaranteed bound (within the bins' relative width) on the way.
    fn worst_error_in_standard_errors(location: f64, scale: f64, n: usize) -> f64 {
        worst_error(n, |z| location + scale * z, |_| scale)
    }

    /// The same for values `transform(z)` (increasing), `slope(z)` its derivative.
    fn worst_error(n: usize, transform: impl Fn(f64) -> f64, slope: impl Fn(f64) -> f64) -> f64 {
        use statrs::distribution::{Continuous, ContinuousCDF, Normal};
        let standard = Normal::new(0.0, 1.0).unwrap();
        let values: Vec<f64> = normals(n, 8).into_iter().map(&transform).collect();
        let acc = accumulate(&values);
        let sketch = acc.sketch();
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        // The guarantee: a quantile lies within the relative width of the bins of its ranks.
        let relative = sketch.resolution();
        assert!(relative > 0.0 && relative <= 2f64.powi(-8), "{relative}");
        let mut worst = 0.0f64;
        for q in [0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99] {
            let exact = crate::stats::quantile_sorted(&sorted, q);
            let got = sketch.quantile(q);
            assert!(
                (got - exact).abs() <= relative * got.abs().max(exact.abs()),
                "q {q}: {got} vs {exact}, relative width {relative}"
            );
            let z = standard.inverse_cdf(q);
            let density = standard.pdf(z) / slope(z);
            worst = worst.max((got - exact).abs() / quantile_se(q, n, density));
        }
        worst
    }

    #[test]
    fn sketched_quantiles_are_far_within_their_monte_carlo_error_at_any_location_and_spread() {
        // The cases: a metric 1000 + 0.001·z (every quantile was the minimum) and a
        // share with sd 0.00027 (its median 22 standard errors off at 10⁵ runs); and spreads
        // from 10⁻⁹ to 10⁶ around 0 and far from it.
        for (location, scale) in [
            (1000.0, 0.001),
            (0.3, 0.00027),
            (0.0, 1.0),
            (0.0, 1e-9),
            (1e6, 1.0),
            (-5.0, 1e6),
            (1e-3, 1e-12),
        ] {
            for n in [100_000, 400_000] {
                let worst = worst_error_in_standard_errors(location, scale, n);
                assert!(
                    worst < 0.05,
                    "{location} + {scale}·z, {n} values: an error of {worst:.3} standard errors"
                );
            }
        }
        // Heavy right tails: lognormals with σ = 1.5 (values over five orders of magnitude)
        // and σ = 4 at 10⁶ values (over sixteen: a grid of equal widths reported p05 25 times
        // too large there).
        for (sigma, n) in [(1.5, 400_000), (4.0, 1_000_000)] {
            let worst = worst_error(n, |z| (sigma * z).exp(), |z| sigma * (sigma * z).exp());
            assert!(
                worst < 0.05,
                "lognormal σ = {sigma}: an error of {worst:.3} standard errors"
            );
        }
    }

    #[test]
    fn sketch_mean_and_variance_are_exact_sums() {
        let values = mixed_values(50_000, 7);
        let acc = accumulate(&values);
        let (mean, variance) = acc.sketch().mean_and_variance();
        // Compare with a compensated two-pass computation.
        let n = values.len() as f64;
        let mut sorted = values.clone();
        sorted.sort_by(|a, b| a.abs().total_cmp(&b.abs()));
        let reference_mean = sorted.iter().sum::<f64>() / n;
        let reference_variance = sorted
            .iter()
            .map(|x| (x - reference_mean).powi(2))
            .sum::<f64>()
            / (n - 1.0);
        assert!((mean - reference_mean).abs() <= 1e-13 * reference_mean.abs());
        assert!((variance - reference_variance).abs() <= 1e-9 * reference_variance);
    }

    #[test]
    fn survives_json_with_nan_and_infinities_and_refuses_a_broken_sketch() {
        let mut small = accumulate(&[1.0, f64::NAN, f64::INFINITY, -2.5, -0.0]);
        let big = accumulate(&mixed_values(50_000, 9));
        assert!(!big.sketch().is_exact());
        for acc in [&small.clone(), &big] {
            let text = serde_json::to_string(acc).unwrap();
            let back: ValuesAccumulator = serde_json::from_str(&text).unwrap();
            assert_eq!(fingerprint(&back), fingerprint(acc));
            assert_eq!(&back, acc);
        }
        small.merge(&big);
        let text = serde_json::to_string(&small).unwrap();
        let back: ValuesAccumulator = serde_json::from_str(&text).unwrap();
        assert_eq!(fingerprint(&back), fingerprint(&small));
        // Through a JSON reader without 128-bit numbers (serde_json::Value): the exact sums'
        // buckets beyond 2⁶³ (here 1.5·2⁵²·4096 = 1.5·2⁶⁴) survive as halves.
        let large = accumulate(&vec![1.5; 4096]);
        let value = serde_json::to_value(&large).unwrap();
        let back: ValuesAccumulator = serde_json::from_value(value).unwrap();
        assert_eq!(back, large);
        // Bins out of order, or counts that do not add up, are refused rather than misread.
        let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
        value["sketch"]["bins"].as_array_mut().unwrap().swap(0, 1);
        assert!(serde_json::from_value::<ValuesAccumulator>(value.clone()).is_err());
        value["sketch"]["bins"].as_array_mut().unwrap().swap(0, 1);
        value["sketch"]["count"] = serde_json::json!(3);
        assert!(serde_json::from_value::<ValuesAccumulator>(value).is_err());
    }

    #[test]
    fn replicates_add_up_and_a_tampered_summary_is_refused() {
        let mut acc = ValuesAccumulator::with_replicates(3);
        for (i, x) in mixed_values(300, 13).into_iter().enumerate() {
            acc.push_in(if i % 50 == 0 { f64::NAN } else { x }, (i % 3) as u64);
        }
        assert!(acc.check().is_ok());
        let runs: Vec<u64> = acc.replicates().iter().map(|r| r.runs).collect();
        assert_eq!(runs, vec![100, 100, 100]);
        let mut value = serde_json::to_value(&acc).unwrap();
        value["replicates"][0]["runs"] = serde_json::json!(99);
        let tampered: ValuesAccumulator = serde_json::from_value(value).unwrap();
        assert!(tampered.check().is_err());
        let mut value = serde_json::to_value(&acc).unwrap();
        value["nan"] = serde_json::json!(301);
        let tampered: ValuesAccumulator = serde_json::from_value(value).unwrap();
        assert!(tampered.check().is_err());
    }

    #[test]
    fn sketched_variance_keeps_its_digits_under_a_large_offset_and_for_constants() {
        let n = 20_000;
        let offset: Vec<f64> = (0..n).map(|k| 1e7 + 0.01 * f64::from(k % 100)).collect();
        let acc = accumulate(&offset);
        let (mean, variance) = acc.sketch().mean_and_variance();
        // Closed form: 0.01 × (0, 1, …, 99), each 200 times, above 1e7 (doubles there are
        // 1.9e-9 apart).
        let sd = 0.01 * (833.25 * f64::from(n) / f64::from(n - 1)).sqrt();
        assert!((mean - (1e7 + 0.495)).abs() <= 4e-9, "{mean}");
        assert!((variance.sqrt() - sd).abs() <= 1e-7 * sd, "{variance}");
        let constant = accumulate(&vec![0.1; n as usize]);
        assert_eq!(constant.sketch().mean_and_variance(), (0.1, 0.0));
    }

    #[test]
    fn signed_zeros_and_empty_sketches_do_not_depend_on_order() {
        let mut values = mixed_values(50_000, 11);
        values.extend([0.0, -0.0]);
        let forward = fingerprint(&accumulate(&values));
        values.reverse();
        assert_eq!(fingerprint(&accumulate(&values)), forward);
        let nan = accumulate(&vec![f64::NAN; 20_000]);
        let sketch = nan.sketch();
        assert!(sketch.min().is_nan() && sketch.max().is_nan() && sketch.quantile(0.5).is_nan());
    }

    #[test]
    fn few_distinct_values_stay_counted_exactly_at_any_run_count() {
        let values: Vec<f64> = (0..50_000)
            .map(|i| {
                if i % 7 == 0 {
                    f64::NAN
                } else {
                    f64::from(2025 + i % 11)
                }
            })
            .collect();
        let acc = accumulate(&values);
        let counts = acc.counts().unwrap();
        assert_eq!(
            acc.nan(),
            values.iter().filter(|v| v.is_nan()).count() as u64
        );
        let total: u64 = counts.iter().map(|c| c.1).sum();
        assert_eq!(total, 50_000 - acc.nan());
        let y2030 = counts.iter().find(|c| c.0 == 2030.0).unwrap().1;
        assert_eq!(
            y2030,
            values.iter().filter(|v| **v == 2030.0).count() as u64
        );
        // More distinct values than bins: no exact counts.
        let many = accumulate(&(0..BINS as u32 + 1).map(f64::from).collect::<Vec<_>>());
        assert!(many.counts().is_none());
    }
}
