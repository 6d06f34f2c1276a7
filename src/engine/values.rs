//! Mergeable aggregates of one per-run value (a metric, a parameter's draw) over many runs,
//! in memory that does not grow with the number of runs.
//!
//! The finite values go into a [`Sketch`]: counts per bin of a grid of width 2^k, where k is
//! the *smallest* power of two at which the values occupy at most [`BINS`] bins. While at most
//! `BINS` distinct values occur, k is that of the smallest double and every distinct value has
//! its own bin: every statistic is exact. Beyond, the bins are the coarsest needed, so a bin is
//! narrower than `2 · (max − min) / BINS` wherever the values lie — the same resolution for
//! `1000 + 0.001·z` as for `0.001·z` — and a quantile is within that of the exact one. Exact
//! sums (a superaccumulator) give the mean and variance, and the extremes are kept exactly.
//!
//! Every part merges by addition or min/max, and the grid is a function of the multiset of
//! values alone (coarser grids nest in finer ones, and the number of occupied bins only falls
//! as the grid coarsens, so the smallest admissible k of a union is found from the parts'):
//! the result is the same bit for bit however runs are split over threads or machines, and in
//! whatever order the parts merge.

use serde::{Deserialize, Serialize};

/// Most bins a sketch holds (beyond, it coarsens its grid).
pub const BINS: usize = 1 << 15;
/// Values buffered before they are binned (binning a batch at once keeps pushes cheap; the
/// result does not depend on it).
const PENDING: usize = 16_384;
/// Grid exponents: at 2^−1074 every double is its own bin; at 2^1024 every finite value falls
/// into the bin of +0 or −0.
const FINEST: i16 = -1074;
const COARSEST: i16 = 1024;

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
    pub runs: u64,
    pub nan: u64,
    pub nonzero: u64,
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
        let finite = self.sketch.count;
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

    pub fn n(&self) -> u64 {
        self.n
    }

    pub fn nan(&self) -> u64 {
        self.nan
    }

    pub fn nonzero(&self) -> u64 {
        self.nonzero
    }

    /// Exact counts of the finite values, ascending, while every distinct value has its own
    /// bin (at most [`BINS`] distinct values).
    pub fn counts(&self) -> Option<Vec<(f64, u64)>> {
        let sketch = self.sketch.flushed();
        sketch.is_exact().then(|| sketch.bins.clone())
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

/// The finite values: counts per bin of a power-of-two grid (see the module documentation),
/// exact sums of the values and of their squares, and the exact extremes.
///
/// A bin of the grid of width w = 2^k is keyed by sign(x)·⌊|x| / w⌋·w: `[b, b + w)` for a key
/// b ≥ +0 and `(b − w, b]` for a key b ≤ −0, so +0 and −0 stay apart and no key overflows.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(into = "SketchData", try_from = "SketchData")]
pub struct Sketch {
    /// k: the grid's bins are 2^k wide.
    exponent: i16,
    /// (key, count), ascending by key, counts above 0; at most `BINS` once flushed.
    bins: Vec<(f64, u64)>,
    /// Values not yet binned.
    pending: Vec<f64>,
    count: u64,
    sum: ExactSum,
    sum_of_squares: ExactSum,
    min: f64,
    max: f64,
}

impl PartialEq for Sketch {
    fn eq(&self, other: &Sketch) -> bool {
        SketchData::from(self.clone()) == SketchData::from(other.clone())
    }
}

impl Sketch {
    /// Bytes held at most between flushes: the bins (their vector's capacity can reach
    /// `BINS + PENDING`), the buffer and the exact sums.
    const MAX_BYTES: usize = (BINS + PENDING) * 16 + PENDING * 8 + 2 * EXPONENTS * 16;
    /// Bytes a flush holds on top: the buffer's keys and bins, and the merged bins.
    const FLUSH_BYTES: usize = (BINS + 2 * PENDING) * 16 + PENDING * 8;

    fn new() -> Sketch {
        Sketch {
            exponent: FINEST,
            bins: Vec::new(),
            pending: Vec::new(),
            count: 0,
            sum: ExactSum::default(),
            sum_of_squares: ExactSum::default(),
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        }
    }

    fn push(&mut self, x: f64) {
        self.count += 1;
        self.sum.add(x);
        self.sum_of_squares.add_product(x, x);
        self.extremes(x, x);
        self.pending.push(x);
        if self.pending.len() >= PENDING {
            self.flush();
        }
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

    /// Bins the buffered values, then coarsens the grid as far as needed.
    fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let exponent = self.exponent;
        // Keys as integers in the doubles' total order, for a fast sort.
        let mut keys: Vec<u64> = self
            .pending
            .drain(..)
            .map(|x| ordered(key(x, exponent)))
            .collect();
        keys.sort_unstable();
        let mut batch: Vec<(f64, u64)> = Vec::new();
        for k in keys {
            let k = unordered(k);
            match batch.last_mut() {
                Some(last) if last.0.to_bits() == k.to_bits() => last.1 += 1,
                _ => batch.push((k, 1)),
            }
        }
        self.bins = merge_bins(&self.bins, &batch);
        self.coarsen();
    }

    /// This sketch with every value binned.
    fn flushed(&self) -> std::borrow::Cow<'_, Sketch> {
        if self.pending.is_empty() {
            std::borrow::Cow::Borrowed(self)
        } else {
            let mut copy = self.clone();
            copy.flush();
            std::borrow::Cow::Owned(copy)
        }
    }

    /// Moves to the finest grid, no finer than the current one, with at most `BINS` bins.
    fn coarsen(&mut self) {
        if self.bins.len() <= BINS {
            return;
        }
        let occupied = |k: i16| {
            let mut n = 0;
            let mut last: Option<u64> = None;
            for &(b, _) in &self.bins {
                let bits = key(b, k).to_bits();
                if last != Some(bits) {
                    n += 1;
                    last = Some(bits);
                }
            }
            n
        };
        // The number of occupied bins never rises as the grid coarsens: bisect for the first
        // exponent that fits.
        let (mut fits, mut too_fine) = (COARSEST, self.exponent);
        while fits - too_fine > 1 {
            let mid = too_fine + (fits - too_fine) / 2;
            if occupied(mid) <= BINS {
                fits = mid;
            } else {
                too_fine = mid;
            }
        }
        self.regrid(fits);
    }

    /// Re-bins onto the coarser grid `2^exponent` (bins nest, so this is exact).
    fn regrid(&mut self, exponent: i16) {
        if exponent <= self.exponent {
            return;
        }
        self.exponent = exponent;
        self.bins = rebinned(&self.bins, exponent);
    }

    fn merge(&mut self, other: &Sketch) {
        self.flush();
        let other = other.flushed();
        // Neither part's grid can be finer than the union's.
        let exponent = self.exponent.max(other.exponent);
        self.regrid(exponent);
        let theirs = if other.exponent < exponent {
            rebinned(&other.bins, exponent)
        } else {
            other.bins.clone()
        };
        self.bins = merge_bins(&self.bins, &theirs);
        self.coarsen();
        self.count += other.count;
        self.sum.merge(&other.sum);
        self.sum_of_squares.merge(&other.sum_of_squares);
        self.extremes(other.min, other.max);
    }

    /// Values counted.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Whether every distinct value has its own bin, so that every statistic is exact.
    pub fn is_exact(&self) -> bool {
        self.exponent == FINEST
    }

    /// The width of the bins: 0 while every distinct value has its own bin.
    pub fn resolution(&self) -> f64 {
        let sketch = self.flushed();
        if sketch.is_exact() {
            0.0
        } else {
            width(sketch.exponent)
        }
    }

    /// The smallest value (NaN when there is none).
    pub fn min(&self) -> f64 {
        if self.count == 0 { f64::NAN } else { self.min }
    }

    /// The largest value (NaN when there is none).
    pub fn max(&self) -> f64 {
        if self.count == 0 { f64::NAN } else { self.max }
    }

    /// The mean (the exact sum, rounded, over n), and the variance (n − 1 in the denominator):
    /// Σ(x − m)² = Σx² − 2m·Σx + n·m² evaluated exactly for the rounded mean m (squares and
    /// products are split exactly into two doubles), so no cancellation is lost.
    pub fn mean_and_variance(&self) -> (f64, f64) {
        let n = self.count as f64;
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

    /// The range of values a bin can hold, within the observed extremes.
    fn range(&self, key: f64) -> (f64, f64) {
        if self.is_exact() {
            return (key, key);
        }
        let (lo, hi) = if self.exponent >= COARSEST {
            (self.min, self.max)
        } else if key.is_sign_positive() {
            (key, next_down(key + width(self.exponent)))
        } else {
            (-next_down(-key + width(self.exponent)), key)
        };
        let lo = if lo.total_cmp(&self.min).is_lt() {
            self.min
        } else {
            lo
        };
        let hi = if hi.total_cmp(&self.max).is_gt() {
            self.max
        } else {
            hi
        };
        (lo, hi)
    }

    /// Every bin's value (exact) or centre, and its count, ascending.
    pub fn bins(&self) -> Vec<(f64, u64)> {
        let sketch = self.flushed();
        sketch
            .bins
            .iter()
            .map(|&(b, c)| {
                let (lo, hi) = sketch.range(b);
                (lo + 0.5 * (hi - lo), c)
            })
            .collect()
    }

    /// The `q` quantile by the rule of [`crate::stats::quantile_sorted`] (linear between the
    /// values of ranks ⌊h⌋ and ⌊h⌋ + 1, h = (n − 1)·q). A rank's value is exact while every
    /// distinct value has its own bin; else it is read off its bin as if the bin's values were
    /// spread evenly over it (within the extremes), so it lies in the bin of the exact value.
    pub fn quantile(&self, q: f64) -> f64 {
        let sketch = self.flushed();
        let n = sketch.count;
        if n == 0 {
            return f64::NAN;
        }
        let h = (n - 1) as f64 * q.clamp(0.0, 1.0);
        let lo = (h.floor() as u64).min(n - 1);
        let hi = (lo + 1).min(n - 1);
        let (a, b) = (sketch.value_at(lo), sketch.value_at(hi));
        if a == b {
            return a;
        }
        a + (h - lo as f64) * (b - a)
    }

    /// The value of rank `rank` (0-based) among the values.
    fn value_at(&self, rank: u64) -> f64 {
        if rank == 0 {
            return self.min;
        }
        if rank + 1 >= self.count {
            return self.max;
        }
        let mut before = 0;
        for &(b, c) in &self.bins {
            if rank < before + c {
                let (lo, hi) = self.range(b);
                if lo == hi {
                    return lo;
                }
                let within = ((rank - before) as f64 + 0.5) / c as f64;
                return (lo + within * (hi - lo)).clamp(lo, hi);
            }
            before += c;
        }
        self.max
    }
}

/// The serialised form of a sketch: every value binned, doubles as bits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct SketchData {
    exponent: i16,
    /// (key bits, count), ascending.
    bins: Vec<(u64, u64)>,
    count: u64,
    sum: ExactSum,
    sum_of_squares: ExactSum,
    min: u64,
    max: u64,
}

impl From<Sketch> for SketchData {
    fn from(mut s: Sketch) -> SketchData {
        s.flush();
        SketchData {
            exponent: s.exponent,
            bins: s.bins.iter().map(|(b, c)| (b.to_bits(), *c)).collect(),
            count: s.count,
            sum: s.sum,
            sum_of_squares: s.sum_of_squares,
            min: s.min.to_bits(),
            max: s.max.to_bits(),
        }
    }
}

impl TryFrom<SketchData> for Sketch {
    type Error = String;

    /// Accepts only what a sketch can be: an exponent in range, keys on its grid in strictly
    /// ascending order, positive counts that add up to the count.
    fn try_from(d: SketchData) -> Result<Sketch, String> {
        let bins: Vec<(f64, u64)> = d
            .bins
            .iter()
            .map(|(b, c)| (f64::from_bits(*b), *c))
            .collect();
        let ordered = bins.windows(2).all(|w| w[0].0.total_cmp(&w[1].0).is_lt());
        let on_grid = bins
            .iter()
            .all(|&(b, c)| b.is_finite() && c > 0 && key(b, d.exponent).to_bits() == b.to_bits());
        let total = bins.iter().try_fold(0u64, |t, (_, c)| t.checked_add(*c));
        if !(FINEST..=COARSEST).contains(&d.exponent)
            || !ordered
            || !on_grid
            || bins.len() > BINS
            || total != Some(d.count)
        {
            return Err("a value sketch whose bins are out of order, off its grid or do not add up to its count".into());
        }
        Ok(Sketch {
            exponent: d.exponent,
            bins,
            pending: Vec::new(),
            count: d.count,
            sum: d.sum,
            sum_of_squares: d.sum_of_squares,
            min: f64::from_bits(d.min),
            max: f64::from_bits(d.max),
        })
    }
}

/// The key of `x` on the grid of width 2^exponent: sign(x)·⌊|x| / 2^exponent⌋·2^exponent,
/// exactly (from the bits: no division, no rounding, no overflow).
fn key(x: f64, exponent: i16) -> f64 {
    let bits = x.to_bits();
    let sign = bits & (1 << 63);
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let fraction = bits & ((1 << 52) - 1);
    // |x| = m · 2^e with an integer m.
    let (m, e) = if biased == 0 {
        (fraction, -1074)
    } else {
        (fraction | (1 << 52), biased - 1075)
    };
    let k = i32::from(exponent);
    if e >= k {
        return x;
    }
    let shift = (k - e) as u32;
    let q = if shift >= 64 { 0 } else { m >> shift };
    // q > 0 means 2^k ≤ |x|, so 2^k is a finite double and q·2^k is exact.
    let magnitude = if q == 0 {
        0.0
    } else {
        q as f64 * width(exponent)
    };
    f64::from_bits(magnitude.to_bits() | sign)
}

/// The bits of a double as an integer in the doubles' total order (negatives reversed).
fn ordered(x: f64) -> u64 {
    let bits = x.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    }
}

/// The inverse of [`ordered`].
fn unordered(k: u64) -> f64 {
    f64::from_bits(if k >> 63 == 1 { k & !(1 << 63) } else { !k })
}

/// 2^exponent, exactly (infinite from 2^1024).
fn width(exponent: i16) -> f64 {
    let k = i32::from(exponent);
    if k >= 1024 {
        f64::INFINITY
    } else if k >= -1022 {
        f64::from_bits(((k + 1023) as u64) << 52)
    } else {
        f64::from_bits(1u64 << (k + 1074))
    }
}

/// The largest double below a positive `x` (`f64::MAX` below infinity).
fn next_down(x: f64) -> f64 {
    if x == f64::INFINITY {
        f64::MAX
    } else {
        f64::from_bits(x.to_bits() - 1)
    }
}

/// Bins (ascending) moved onto the coarser grid `2^exponent`, equal keys joined.
fn rebinned(bins: &[(f64, u64)], exponent: i16) -> Vec<(f64, u64)> {
    let mut out: Vec<(f64, u64)> = Vec::with_capacity(bins.len());
    for &(b, c) in bins {
        let k = key(b, exponent);
        match out.last_mut() {
            Some(last) if last.0.to_bits() == k.to_bits() => last.1 += c,
            _ => out.push((k, c)),
        }
    }
    out
}

/// Two ascending bin lists on the same grid, joined.
fn merge_bins(a: &[(f64, u64)], b: &[(f64, u64)]) -> Vec<(f64, u64)> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].0.total_cmp(&b[j].0) {
            std::cmp::Ordering::Less => {
                out.push(a[i]);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                out.push(b[j]);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                out.push((a[i].0, a[i].1 + b[j].1));
                i += 1;
                j += 1;
            }
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

/// An exact, order-independent sum of doubles: each value's 53-bit significand is added, as an
/// integer, into the bucket of its binary exponent (`i128` holds 2⁷⁴ additions). The buckets
/// depend only on the multiset of values, so the rounded result does too. They are held
/// densely, one per exponent (32 KB once anything is added), so that adding is a few
/// instructions; serialised, only the non-zero ones are written.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(into = "SparseSum", try_from = "SparseSum")]
struct ExactSum {
    /// The sum of significands of each biased exponent (0 and 1 share 1's scale).
    buckets: Option<Box<[i128]>>,
}

/// The serialised form of an [`ExactSum`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct SparseSum {
    /// (exponent, high and low 64 bits of the sum of significands scaled by 2^exponent),
    /// ascending, none zero — halves, so that JSON readers without 128-bit numbers keep them.
    buckets: Vec<(i16, i64, u64)>,
}

const EXPONENTS: usize = 2048;

impl From<ExactSum> for SparseSum {
    fn from(sum: ExactSum) -> SparseSum {
        SparseSum {
            buckets: sum
                .nonzero()
                .map(|(e, a)| (e, (a >> 64) as i64, a as u64))
                .collect(),
        }
    }
}

impl TryFrom<SparseSum> for ExactSum {
    type Error = String;

    fn try_from(sparse: SparseSum) -> Result<ExactSum, String> {
        let mut sum = ExactSum::default();
        for (e, high, low) in sparse.buckets {
            let a = (i128::from(high) << 64) | i128::from(low);
            if !(1..EXPONENTS as i16 - 1).contains(&e) {
                return Err(format!("an exact sum with a bucket at exponent {e}"));
            }
            sum.add_bucket(e, a);
        }
        Ok(sum)
    }
}

impl PartialEq for ExactSum {
    fn eq(&self, other: &ExactSum) -> bool {
        self.nonzero().eq(other.nonzero())
    }
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

    /// The non-zero buckets, ascending by exponent.
    fn nonzero(&self) -> impl DoubleEndedIterator<Item = (i16, i128)> + '_ {
        self.buckets
            .iter()
            .flat_map(|b| b.iter().enumerate())
            .filter(|(_, a)| **a != 0)
            .map(|(e, a)| (e as i16, *a))
    }

    /// The sum as exact doubles: each bucket split into a high and a low part.
    fn terms(&self) -> Vec<f64> {
        let mut terms = Vec::new();
        for (e, a) in self.nonzero() {
            let low = a.rem_euclid(1 << 53);
            let high = (a - low) >> 53;
            terms.push(scaled(high as f64, e.saturating_add(53)));
            terms.push(scaled(low as f64, e));
        }
        terms
    }

    fn add_bucket(&mut self, exponent: i16, amount: i128) {
        let buckets = self
            .buckets
            .get_or_insert_with(|| vec![0; EXPONENTS].into_boxed_slice());
        buckets[exponent as usize] += amount;
    }

    fn merge(&mut self, other: &ExactSum) {
        for (e, a) in other.nonzero() {
            self.add_bucket(e, a);
        }
    }

    /// The sum, rounded deterministically: every bucket split into two doubles (its rounded
    /// value and the exact remainder), added from the largest exponent down with Neumaier's
    /// compensation. A function of the buckets alone, so of the multiset of values.
    fn value(&self) -> f64 {
        let (mut sum, mut compensation) = (0.0f64, 0.0f64);
        for (e, a) in self.nonzero().rev() {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng;

    fn normals(n: usize, seed: u64) -> Vec<f64> {
        let mut stream = rng::stream(seed, 0, rng::ComponentKey::new("values/test"));
        (0..n).map(|_| rng::standard_normal(&mut stream)).collect()
    }

    fn mixed_values(n: usize, seed: u64) -> Vec<f64> {
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
    /// guaranteed bound (the bin width, below 2·(max − min)/BINS) on the way.
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
        let (min, max) = (sorted[0], sorted[n - 1]);
        let width = sketch.resolution();
        assert!(
            width > 0.0 && width < 2.0 * (max - min) / BINS as f64,
            "width {width}"
        );
        let mut worst = 0.0f64;
        for q in [0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99] {
            let exact = crate::stats::quantile_sorted(&sorted, q);
            let got = sketch.quantile(q);
            assert!(
                (got - exact).abs() <= width,
                "q {q}: {got} vs {exact}, width {width}"
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
        // A heavy right tail (lognormal, σ = 1.5: values over five orders of magnitude).
        let worst = worst_error(400_000, |z| (1.5 * z).exp(), |z| 1.5 * (1.5 * z).exp());
        assert!(
            worst < 0.05,
            "lognormal: an error of {worst:.3} standard errors"
        );
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
    fn keys_are_exact_floors_on_the_grid_and_nest() {
        for (x, k, want) in [
            (1000.0009765625, -10, 1000.0009765625),
            (1000.0009, -10, 1000.0),
            (-1000.0009, -10, -1000.0),
            (0.75, 0, 0.0),
            (-0.75, 0, -0.0),
            (5e-324, -1074, 5e-324),
            (3.0 * 5e-324, -1073, 2.0 * 5e-324),
            (f64::MAX, 1023, 2f64.powi(1023)),
            (-f64::MAX, 1024, -0.0),
        ] {
            assert_eq!(key(x, k).to_bits(), f64::to_bits(want), "key({x}, {k})");
        }
        for x in mixed_values(1_000, 12) {
            for k in [-60, -20, -3, 0, 4] {
                assert_eq!(key(key(x, k), k + 3).to_bits(), key(x, k + 3).to_bits());
            }
        }
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
