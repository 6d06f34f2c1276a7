//! Mergeable aggregates of one per-run value (a metric, a parameter's draw) over many runs,
//! in memory that does not grow with the number of runs.
//!
//! Up to [`EXACT_RUNS`] runs every value is kept, so every statistic is exact. Beyond, the
//! values go into a logarithmic sketch (relative error at most [`RELATIVE_ERROR`] on any
//! quantile, the DDSketch of Masson et al., 2019) with exact sums (a superaccumulator, so the
//! mean and variance are exact whatever the order) and the exact minimum and maximum. While at
//! most [`DISTINCT`] distinct values occur, their exact counts are kept as well, so first-year
//! metrics and conditions stay exact at any run count.
//!
//! Every part merges by addition, union or min/max, and the choice between exact and sketched
//! depends only on the merged run count: the result is a function of the multiset of values,
//! the same bit for bit however runs are split over threads or machines.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Runs up to which every value is kept.
pub const EXACT_RUNS: u64 = 16_384;
/// Distinct values up to which their exact counts are kept.
pub const DISTINCT: usize = 256;
/// Relative error bound of the sketch's quantiles.
pub const RELATIVE_ERROR: f64 = 1e-4;
/// Below this magnitude a value counts as zero in the sketch.
const TINY: f64 = 1e-300;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValuesAccumulator {
    /// Values seen, NaN and infinities included.
    n: u64,
    /// NaN values (a `first` metric's "never").
    nan: u64,
    /// Values other than 0 (NaN included), for conditions.
    nonzero: u64,
    /// Every value, in no particular order, while `n <= EXACT_RUNS` (as bits when
    /// serialised: NaN and infinities included).
    #[serde(with = "bits::values")]
    exact: Option<Vec<f64>>,
    /// Exact counts by value bits while at most `DISTINCT` distinct values occurred.
    distinct: Option<BTreeMap<u64, u64>>,
    /// The finite values' sketch and sums, once `exact` is gone.
    sketch: Option<Sketch>,
}

impl Default for ValuesAccumulator {
    fn default() -> Self {
        ValuesAccumulator::new()
    }
}

impl ValuesAccumulator {
    pub fn new() -> ValuesAccumulator {
        ValuesAccumulator {
            n: 0,
            nan: 0,
            nonzero: 0,
            exact: Some(Vec::new()),
            distinct: Some(BTreeMap::new()),
            sketch: None,
        }
    }

    /// An accumulator for part of a set of `total` runs: when the whole set will be sketched
    /// anyway (`total > EXACT_RUNS`) it sketches from the start, which keeps memory small and
    /// changes nothing in the merged result.
    pub fn for_total(total: u64) -> ValuesAccumulator {
        let mut acc = ValuesAccumulator::new();
        if total > EXACT_RUNS {
            acc.start_sketch();
        }
        acc
    }

    /// Bytes held at most, for memory estimates.
    pub fn max_bytes() -> usize {
        EXACT_RUNS as usize * 8 + DISTINCT * 48 + Sketch::TYPICAL_BYTES
    }

    pub fn push(&mut self, x: f64) {
        self.n += 1;
        self.nan += u64::from(x.is_nan());
        self.nonzero += u64::from(x != 0.0);
        if let Some(distinct) = &mut self.distinct {
            *distinct.entry(x.to_bits()).or_insert(0) += 1;
            if distinct.len() > DISTINCT {
                self.distinct = None;
            }
        }
        match &mut self.exact {
            Some(values) => {
                values.push(x);
                if self.n > EXACT_RUNS {
                    self.start_sketch();
                }
            }
            None => {
                if x.is_finite() {
                    self.sketch.get_or_insert_with(Sketch::new).push(x);
                }
            }
        }
    }

    /// Drops the kept values for the sketch.
    fn start_sketch(&mut self) {
        let sketch = self.sketch.get_or_insert_with(Sketch::new);
        for x in self.exact.take().unwrap_or_default() {
            if x.is_finite() {
                sketch.push(x);
            }
        }
    }

    pub fn merge(&mut self, other: &ValuesAccumulator) {
        self.n += other.n;
        self.nan += other.nan;
        self.nonzero += other.nonzero;
        self.distinct = match (self.distinct.take(), &other.distinct) {
            (Some(mut a), Some(b)) => {
                for (bits, count) in b {
                    *a.entry(*bits).or_insert(0) += count;
                }
                (a.len() <= DISTINCT).then_some(a)
            }
            _ => None,
        };
        if let (Some(a), Some(b)) = (&mut self.exact, &other.exact)
            && self.n <= EXACT_RUNS
            && self.sketch.is_none()
        {
            a.extend_from_slice(b);
            return;
        }
        self.start_sketch();
        let sketch = self.sketch.get_or_insert_with(Sketch::new);
        match (&other.exact, &other.sketch) {
            (Some(values), _) => {
                for &x in values {
                    if x.is_finite() {
                        sketch.push(x);
                    }
                }
            }
            (None, Some(s)) => sketch.merge(s),
            (None, None) => {}
        }
    }

    pub fn n(&self) -> u64 {
        self.n
    }

    pub fn nan(&self) -> u64 {
        self.nan
    }

    pub fn nonzero(&self) -> u64 {
        self.nonzero
    }

    /// Every value, when they are all kept.
    pub fn values(&self) -> Option<&[f64]> {
        self.exact.as_deref()
    }

    /// Exact counts of the values, ascending, when at most `DISTINCT` distinct values occurred.
    pub fn counts(&self) -> Option<Vec<(f64, u64)>> {
        let distinct = self.distinct.as_ref()?;
        let mut counts: Vec<(f64, u64)> = distinct
            .iter()
            .map(|(bits, count)| (f64::from_bits(*bits), *count))
            .collect();
        counts.sort_by(|a, b| a.0.total_cmp(&b.0));
        Some(counts)
    }

    /// The sketch of the finite values, once they are no longer all kept.
    pub fn sketch(&self) -> Option<&Sketch> {
        self.sketch.as_ref()
    }

    /// The finite values with their multiplicities, ascending: exact when kept, else each
    /// sketch bin's representative value (for pictures).
    pub fn weighted(&self) -> Vec<(f64, u64)> {
        if let Some(values) = &self.exact {
            let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
            v.sort_by(f64::total_cmp);
            return v.into_iter().map(|x| (x, 1)).collect();
        }
        self.sketch.as_ref().map_or_else(Vec::new, Sketch::bins)
    }
}

/// A logarithmic sketch of finite values: counts per bin `[γ^(i−1), γ^i)` of the magnitude
/// (separately for positive and negative values, and a count of zeros), with exact sums of the
/// values and their squares and the exact extremes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sketch {
    positive: Bins,
    negative: Bins,
    zeros: u64,
    sum: ExactSum,
    sum_of_squares: ExactSum,
    #[serde(with = "bits::value")]
    min: f64,
    #[serde(with = "bits::value")]
    max: f64,
}

impl Sketch {
    /// Bytes of a sketch of values spanning about two orders of magnitude.
    const TYPICAL_BYTES: usize = 24 * 1024 * 8;

    fn new() -> Sketch {
        Sketch {
            positive: Bins::default(),
            negative: Bins::default(),
            zeros: 0,
            sum: ExactSum::default(),
            sum_of_squares: ExactSum::default(),
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        }
    }

    fn gamma() -> f64 {
        (1.0 + RELATIVE_ERROR) / (1.0 - RELATIVE_ERROR)
    }

    fn index(magnitude: f64) -> i64 {
        (magnitude.ln() / Self::gamma().ln()).ceil() as i64
    }

    /// The value a bin stands for: within `RELATIVE_ERROR` of every magnitude in it.
    fn representative(index: i64) -> f64 {
        let gamma = Self::gamma();
        2.0 * gamma.powf(index as f64) / (gamma + 1.0)
    }

    fn push(&mut self, x: f64) {
        if x.abs() < TINY {
            self.zeros += 1;
        } else if x > 0.0 {
            self.positive.add(Self::index(x), 1);
        } else {
            self.negative.add(Self::index(-x), 1);
        }
        self.sum.add(x);
        self.sum_of_squares.add_product(x, x);
        self.extremes(x, x);
    }

    /// Min and max by total order, so that −0 and +0 are told apart whatever the order.
    fn extremes(&mut self, low: f64, high: f64) {
        if low.total_cmp(&self.min).is_lt() {
            self.min = low;
        }
        if high.total_cmp(&self.max).is_gt() {
            self.max = high;
        }
    }

    fn merge(&mut self, other: &Sketch) {
        self.positive.merge(&other.positive);
        self.negative.merge(&other.negative);
        self.zeros += other.zeros;
        self.sum.merge(&other.sum);
        self.sum_of_squares.merge(&other.sum_of_squares);
        self.extremes(other.min, other.max);
    }

    /// Values counted.
    pub fn count(&self) -> u64 {
        self.positive.total() + self.negative.total() + self.zeros
    }

    /// The smallest value (NaN when there is none).
    pub fn min(&self) -> f64 {
        if self.count() == 0 {
            f64::NAN
        } else {
            self.min
        }
    }

    /// The largest value (NaN when there is none).
    pub fn max(&self) -> f64 {
        if self.count() == 0 {
            f64::NAN
        } else {
            self.max
        }
    }

    /// The mean (the exact sum, rounded, over n), and the variance (n − 1 in the denominator):
    /// Σ(x − m)² = Σx² − 2m·Σx + n·m² evaluated exactly for the rounded mean m (squares and
    /// products are split exactly into two doubles), so no cancellation is lost.
    pub fn mean_and_variance(&self) -> (f64, f64) {
        let n = self.count() as f64;
        let mean = self.sum.value() / n;
        let mut centred = self.sum_of_squares.clone();
        for term in self.sum.terms() {
            centred.add_product(-2.0 * mean, term);
        }
        let (square, square_low) = two_product(mean, mean);
        centred.add_product(n, square);
        centred.add_product(n, square_low);
        let variance = (centred.value() / (n - 1.0)).max(0.0);
        (mean, variance)
    }

    /// Every bin's representative value and count, ascending.
    pub fn bins(&self) -> Vec<(f64, u64)> {
        let mut out: Vec<(f64, u64)> = self
            .negative
            .iter()
            .rev()
            .map(|(i, c)| (-Self::representative(i), c))
            .collect();
        if self.zeros > 0 {
            out.push((0.0, self.zeros));
        }
        out.extend(
            self.positive
                .iter()
                .map(|(i, c)| (Self::representative(i), c)),
        );
        // The extremes are known exactly.
        if let Some(first) = out.first_mut() {
            first.0 = first.0.max(self.min);
        }
        if let Some(last) = out.last_mut() {
            last.0 = last.0.min(self.max);
        }
        out
    }

    /// The `q` quantile by the same rule as [`crate::stats::quantile_sorted`] (linear between
    /// the values of ranks ⌊h⌋ and ⌊h⌋ + 1, h = (n − 1)·q), each rank's value read off its bin.
    pub fn quantile(&self, q: f64) -> f64 {
        let n = self.count();
        if n == 0 {
            return f64::NAN;
        }
        let h = (n - 1) as f64 * q.clamp(0.0, 1.0);
        let lo = h.floor() as u64;
        let hi = (lo + 1).min(n - 1);
        let bins = self.bins();
        let at = |rank: u64| {
            if rank == 0 {
                return self.min;
            }
            if rank == n - 1 {
                return self.max;
            }
            let mut seen = 0;
            for &(value, count) in &bins {
                seen += count;
                if rank < seen {
                    return value.clamp(self.min, self.max);
                }
            }
            self.max
        };
        let (a, b) = (at(lo), at(hi));
        a + (h - lo as f64) * (b - a)
    }
}

/// Counts per integer bin index, stored densely from the lowest index seen.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Bins {
    offset: i64,
    counts: Vec<u64>,
}

impl Bins {
    fn add(&mut self, index: i64, count: u64) {
        if self.counts.is_empty() {
            self.offset = index;
            self.counts.push(0);
        }
        if index < self.offset {
            let grow = (self.offset - index) as usize;
            self.counts.splice(0..0, std::iter::repeat_n(0, grow));
            self.offset = index;
        }
        let i = (index - self.offset) as usize;
        if i >= self.counts.len() {
            self.counts.resize(i + 1, 0);
        }
        self.counts[i] += count;
    }

    fn merge(&mut self, other: &Bins) {
        for (i, c) in other.iter() {
            self.add(i, c);
        }
    }

    fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// Non-empty bins, ascending by index.
    fn iter(&self) -> impl DoubleEndedIterator<Item = (i64, u64)> + '_ {
        self.counts
            .iter()
            .enumerate()
            .filter(|(_, c)| **c > 0)
            .map(|(i, c)| (self.offset + i as i64, *c))
    }
}

/// An exact, order-independent sum of doubles: each value's 53-bit significand is added, as an
/// integer, into the bucket of its binary exponent (`i128` holds 2⁷⁴ additions). The buckets
/// depend only on the multiset of values, so the rounded result does too.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct ExactSum {
    /// (exponent, sum of significands scaled by 2^exponent), sorted by exponent.
    buckets: Vec<(i16, i128)>,
}

impl ExactSum {
    fn add(&mut self, x: f64) {
        if x == 0.0 || !x.is_finite() {
            return;
        }
        let bits = x.to_bits();
        let exponent = ((bits >> 52) & 0x7ff) as i16;
        let fraction = (bits & ((1 << 52) - 1)) as i128;
        // Normal numbers carry the implicit leading 1; subnormals share exponent 1's scale.
        let (exponent, significand) = if exponent == 0 {
            (1, fraction)
        } else {
            (exponent, fraction | (1 << 52))
        };
        let signed = if x < 0.0 { -significand } else { significand };
        self.add_bucket(exponent, signed);
    }

    /// Adds `a · b` exactly (as the two doubles of its exact product).
    fn add_product(&mut self, a: f64, b: f64) {
        let (high, low) = two_product(a, b);
        self.add(high);
        self.add(low);
    }

    /// The sum as exact doubles: each bucket split into a high and a low part.
    fn terms(&self) -> Vec<f64> {
        let mut terms = Vec::with_capacity(2 * self.buckets.len());
        for &(e, a) in &self.buckets {
            let low = a.rem_euclid(1 << 53);
            let high = (a - low) >> 53;
            terms.push(scaled(high as f64, e.saturating_add(53)));
            terms.push(scaled(low as f64, e));
        }
        terms
    }

    fn add_bucket(&mut self, exponent: i16, amount: i128) {
        match self.buckets.binary_search_by_key(&exponent, |b| b.0) {
            Ok(i) => self.buckets[i].1 += amount,
            Err(i) => self.buckets.insert(i, (exponent, amount)),
        }
    }

    fn merge(&mut self, other: &ExactSum) {
        for &(e, a) in &other.buckets {
            self.add_bucket(e, a);
        }
    }

    /// The sum, rounded deterministically: every bucket split into two doubles (its rounded
    /// value and the exact remainder), added from the largest exponent down with Neumaier's
    /// compensation. A function of the buckets alone, so of the multiset of values.
    fn value(&self) -> f64 {
        let (mut sum, mut compensation) = (0.0f64, 0.0f64);
        for &(e, a) in self.buckets.iter().rev() {
            let high = a as f64;
            let low = (a - high as i128) as f64;
            for term in [scaled(high, e), scaled(low, e)] {
                let t = sum + term;
                compensation += if sum.abs() >= term.abs() {
                    (sum - t) + term
                } else {
                    (term - t) + sum
                };
                sum = t;
            }
        }
        sum + compensation
    }
}

/// `a · b` as the rounded product and its exact error (fused multiply-add).
fn two_product(a: f64, b: f64) -> (f64, f64) {
    let high = a * b;
    (high, a.mul_add(b, -high))
}

/// `m · 2^(e − 1075)`: a significand sum at a biased binary exponent, scaled in steps that
/// neither overflow nor underflow on the way.
fn scaled(m: f64, e: i16) -> f64 {
    let mut x = m;
    let mut k = i32::from(e) - 1075;
    while k > 1000 {
        x *= 2f64.powi(1000);
        k -= 1000;
    }
    while k < -1000 {
        x *= 2f64.powi(-1000);
        k += 1000;
    }
    x * 2f64.powi(k)
}

/// Doubles serialised as their bits, so that NaN and infinities survive JSON.
mod bits {
    pub mod value {
        use serde::{Deserialize, Deserializer, Serializer};

        pub fn serialize<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_u64(x.to_bits())
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
            u64::deserialize(d).map(f64::from_bits)
        }
    }

    pub mod values {
        use serde::{Deserialize, Deserializer, Serialize, Serializer};

        pub fn serialize<S: Serializer>(v: &Option<Vec<f64>>, s: S) -> Result<S::Ok, S::Error> {
            v.as_ref()
                .map(|v| v.iter().map(|x| x.to_bits()).collect::<Vec<u64>>())
                .serialize(s)
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<f64>>, D::Error> {
            Option::<Vec<u64>>::deserialize(d)
                .map(|v| v.map(|v| v.into_iter().map(f64::from_bits).collect()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng;

    fn lognormal_values(n: usize, seed: u64) -> Vec<f64> {
        let mut stream = rng::stream(seed, 0, rng::ComponentKey::new("values/test"));
        (0..n)
            .map(|i| {
                let z = rng::standard_normal(&mut stream);
                // Positive, negative and zero values, over several orders of magnitude.
                match i % 10 {
                    0 => -(0.3 * z).exp(),
                    1 => 0.0,
                    _ => (1.5 * z).exp(),
                }
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
        if let Some(s) = acc.sketch() {
            let (m, v) = s.mean_and_variance();
            out.extend([
                m.to_bits(),
                v.to_bits(),
                s.min().to_bits(),
                s.max().to_bits(),
            ]);
            for q in [0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0] {
                out.push(s.quantile(q).to_bits());
            }
            out.extend(s.bins().iter().flat_map(|(v, c)| [v.to_bits(), *c]));
        }
        if let Some(v) = acc.values() {
            let mut v = v.to_vec();
            v.sort_by(f64::total_cmp);
            out.extend(v.iter().map(|x| x.to_bits()));
        }
        if let Some(c) = acc.counts() {
            out.extend(c.iter().flat_map(|(v, c)| [v.to_bits(), *c]));
        }
        out
    }

    #[test]
    fn merging_in_any_split_and_order_gives_the_same_bits() {
        for n in [1_000, EXACT_RUNS as usize, 60_000] {
            let values = lognormal_values(n, 3);
            let whole = fingerprint(&accumulate(&values));
            for parts in [2, 3, 7] {
                let chunks: Vec<ValuesAccumulator> =
                    values.chunks(n.div_ceil(parts)).map(accumulate).collect();
                let mut forward = ValuesAccumulator::new();
                for c in &chunks {
                    forward.merge(c);
                }
                let mut backward = ValuesAccumulator::new();
                for c in chunks.iter().rev() {
                    backward.merge(c);
                }
                assert_eq!(fingerprint(&forward), whole, "n {n}, {parts} parts");
                // Parts that know the total and sketch from the start: the same result.
                let mut early = ValuesAccumulator::new();
                for chunk in values.chunks(n.div_ceil(parts)) {
                    let mut part = ValuesAccumulator::for_total(n as u64);
                    for &x in chunk {
                        part.push(x);
                    }
                    early.merge(&part);
                }
                assert_eq!(fingerprint(&early), whole, "n {n}, {parts} early parts");
                assert_eq!(
                    fingerprint(&backward),
                    whole,
                    "n {n}, {parts} parts reversed"
                );
            }
        }
    }

    #[test]
    fn sketch_quantiles_are_within_the_relative_error_of_the_exact_ones() {
        let values = lognormal_values(100_000, 5);
        let acc = accumulate(&values);
        let sketch = acc.sketch().expect("sketched beyond EXACT_RUNS");
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        for q in [0.0, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1.0] {
            let exact = crate::stats::quantile_sorted(&sorted, q);
            let h = (sorted.len() - 1) as f64 * q;
            let scale = sorted[h.floor() as usize]
                .abs()
                .max(sorted[(h.floor() as usize + 1).min(sorted.len() - 1)].abs());
            let got = sketch.quantile(q);
            assert!(
                (got - exact).abs() <= RELATIVE_ERROR * scale * (1.0 + 1e-9),
                "q {q}: sketch {got}, exact {exact}"
            );
        }
        assert_eq!(sketch.min(), sorted[0]);
        assert_eq!(sketch.max(), *sorted.last().unwrap());
    }

    #[test]
    fn sketch_mean_and_variance_are_exact_sums() {
        let values = lognormal_values(50_000, 7);
        let acc = accumulate(&values);
        let (mean, variance) = acc.sketch().unwrap().mean_and_variance();
        // Reference: the sum of the sorted values in long double-free exact arithmetic is not
        // at hand, so compare with a compensated two-pass computation.
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
    fn survives_json_with_nan_and_infinities() {
        let mut small = accumulate(&[1.0, f64::NAN, f64::INFINITY, -2.5]);
        let big = accumulate(&lognormal_values(20_000, 9));
        for acc in [&small.clone(), &big] {
            let text = serde_json::to_string(acc).unwrap();
            let back: ValuesAccumulator = serde_json::from_str(&text).unwrap();
            assert_eq!(fingerprint(&back), fingerprint(acc));
        }
        small.merge(&big);
        let text = serde_json::to_string(&small).unwrap();
        let back: ValuesAccumulator = serde_json::from_str(&text).unwrap();
        assert_eq!(fingerprint(&back), fingerprint(&small));
    }

    #[test]
    fn sketched_variance_keeps_its_digits_under_a_large_offset_and_for_constants() {
        let n = 20_000;
        let offset: Vec<f64> = (0..n).map(|k| 1e7 + 0.01 * f64::from(k % 100)).collect();
        let acc = accumulate(&offset);
        let (mean, variance) = acc.sketch().unwrap().mean_and_variance();
        // Closed form: 0.01 × (0, 1, …, 99), each 200 times, above 1e7 (doubles there are
        // 1.9e-9 apart).
        let sd = 0.01 * (833.25 * f64::from(n) / f64::from(n - 1)).sqrt();
        assert!((mean - (1e7 + 0.495)).abs() <= 4e-9, "{mean}");
        assert!((variance.sqrt() - sd).abs() <= 1e-7 * sd, "{variance}");
        let constant = accumulate(&vec![0.1; n as usize]);
        assert_eq!(constant.sketch().unwrap().mean_and_variance(), (0.1, 0.0));
    }

    #[test]
    fn signed_zeros_and_empty_sketches_do_not_depend_on_order() {
        let mut values = lognormal_values(20_000, 11);
        values.extend([0.0, -0.0]);
        let forward = fingerprint(&accumulate(&values));
        values.reverse();
        assert_eq!(fingerprint(&accumulate(&values)), forward);
        let nan = accumulate(&vec![f64::NAN; 20_000]);
        let sketch = nan.sketch().unwrap();
        assert!(sketch.min().is_nan() && sketch.max().is_nan());
    }

    #[test]
    fn exact_sum_cancels_exactly() {
        let mut sum = ExactSum::default();
        for x in [1e16, 1.0, -1e16, 0.1, -0.1, 3.0] {
            sum.add(x);
        }
        assert_eq!(sum.value(), 4.0);
        let mut tenths = ExactSum::default();
        for _ in 0..10 {
            tenths.add(0.1);
        }
        // 10 × the double nearest 0.1, rounded once: 1.0000000000000000555 → 1.0.
        assert_eq!(tenths.value(), 1.0);
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
        assert!(acc.values().is_none());
        let counts = acc.counts().unwrap();
        assert_eq!(
            acc.nan(),
            values.iter().filter(|v| v.is_nan()).count() as u64
        );
        let total: u64 = counts.iter().map(|c| c.1).sum();
        assert_eq!(total, 50_000);
        let y2030 = counts.iter().find(|c| c.0 == 2030.0).unwrap().1;
        assert_eq!(
            y2030,
            values.iter().filter(|v| **v == 2030.0).count() as u64
        );
        // Distinct values beyond the bound drop the counts.
        let many = accumulate(&(0..1000).map(f64::from).collect::<Vec<_>>());
        assert!(many.counts().is_none() && many.values().is_some());
    }
}
