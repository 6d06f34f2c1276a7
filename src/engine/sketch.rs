//! The sketch of a metric's or parameter's finite values: counts per bin of a grid on the
//! doubles' own bits, the finest admissible one, with exact sums of the values and their
//! squares and the exact extremes.
//!
//! A value's bin is its IEEE-754 bits (mapped to an integer in the doubles' order) with the
//! lowest `shift` bits cleared. At shift 0 every double is its own bin; each step up halves the
//! precision of the significand, so below shift 52 a bin holds values within a relative width
//! of 2^(shift − 52) of each other — whatever their location: the same relative precision for
//! 1000 + 0.001·z as for a lognormal spread over ten orders of magnitude. The shift is the
//! smallest at which the values occupy at most [`BINS`] bins: while at most `BINS` distinct
//! values occur it is 0 and every statistic is exact; beyond, it grows only as far as the
//! values' spread in binades needs (values over D binades need about D·2^(52 − shift) ≤ BINS
//! bins, so even D = 1,000 keeps a relative width below 2⁻⁵).
//!
//! Grids nest (a coarser bin is a union of finer ones) and the number of occupied bins only
//! falls as the shift grows, so the grid is a function of the multiset of values alone and a
//! merge, in any order, gives the same bits.

use serde::{Deserialize, Serialize};

use super::exact_sum::{EXPONENTS, ExactSum, two_product};

/// Most bins a sketch holds (beyond, it coarsens its grid).
pub const BINS: usize = 1 << 15;
/// Values buffered before they are binned (binning a batch at once keeps pushes cheap; the
/// result does not depend on it).
pub(super) const PENDING: usize = 16_384;
/// The coarsest grid: every double in one bin.
pub(super) const COARSEST: u32 = 64;

/// The finite values: counts per bin of a grid on their bits (see the module documentation),
/// exact sums of the values and of their squares, and the exact extremes.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(into = "SketchData", try_from = "SketchData")]
pub struct Sketch {
    /// Low bits of the ordered bits cleared to make a bin's key.
    shift: u32,
    /// (key, count), ascending by key (ordered bits, low `shift` bits clear), counts above 0;
    /// at most `BINS` once flushed.
    pub(super) bins: Vec<(u64, u64)>,
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
    pub(super) const MAX_BYTES: usize = (BINS + PENDING) * 16 + PENDING * 8 + 2 * EXPONENTS * 16;
    /// Bytes a flush holds on top: the buffer's keys and bins, and the merged bins.
    pub(super) const FLUSH_BYTES: usize = (BINS + 2 * PENDING) * 16 + PENDING * 8;

    pub(super) fn new() -> Sketch {
        Sketch {
            shift: 0,
            bins: Vec::new(),
            pending: Vec::new(),
            count: 0,
            sum: ExactSum::default(),
            sum_of_squares: ExactSum::default(),
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        }
    }

    pub(super) fn push(&mut self, x: f64) {
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
    pub(super) fn extremes(&mut self, low: f64, high: f64) {
        if low.total_cmp(&self.min).is_lt() {
            self.min = low;
        }
        if high.total_cmp(&self.max).is_gt() {
            self.max = high;
        }
    }

    /// Bins the buffered values, then coarsens the grid as far as needed.
    pub(super) fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let shift = self.shift;
        let mut keys: Vec<u64> = self.pending.drain(..).map(|x| key(x, shift)).collect();
        keys.sort_unstable();
        let mut batch: Vec<(u64, u64)> = Vec::new();
        for k in keys {
            match batch.last_mut() {
                Some(last) if last.0 == k => last.1 += 1,
                _ => batch.push((k, 1)),
            }
        }
        self.bins = merge_bins(&self.bins, &batch);
        self.coarsen();
    }

    /// This sketch with every value binned.
    pub(super) fn flushed(&self) -> std::borrow::Cow<'_, Sketch> {
        if self.pending.is_empty() {
            std::borrow::Cow::Borrowed(self)
        } else {
            let mut copy = self.clone();
            copy.flush();
            std::borrow::Cow::Owned(copy)
        }
    }

    /// Moves to the finest grid, no finer than the current one, with at most `BINS` bins.
    pub(super) fn coarsen(&mut self) {
        if self.bins.len() <= BINS {
            return;
        }
        let occupied = |shift: u32| {
            let mut n = 0;
            let mut last: Option<u64> = None;
            for &(b, _) in &self.bins {
                let k = clear_low(b, shift);
                if last != Some(k) {
                    n += 1;
                    last = Some(k);
                }
            }
            n
        };
        // The number of occupied bins never rises as the grid coarsens: bisect for the first
        // shift that fits (at COARSEST one bin holds everything).
        let (mut fits, mut too_fine) = (COARSEST, self.shift);
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

    /// Re-bins onto the coarser grid of `shift` (bins nest, so this is exact).
    pub(super) fn regrid(&mut self, shift: u32) {
        if shift <= self.shift {
            return;
        }
        self.shift = shift;
        self.bins = rebinned(&self.bins, shift);
    }

    pub(super) fn merge(&mut self, other: &Sketch) {
        self.flush();
        let other = other.flushed();
        // Neither part's grid can be finer than the union's.
        let shift = self.shift.max(other.shift);
        self.regrid(shift);
        let theirs = if other.shift < shift {
            rebinned(&other.bins, shift)
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
        self.shift == 0
    }

    /// The bins' relative width r: the values of a bin lie within a factor 1 + r of each
    /// other (0 while every distinct value has its own bin; below shift 52, r = 2^(shift − 52);
    /// beyond, bins join whole binades).
    pub fn resolution(&self) -> f64 {
        let sketch = self.flushed();
        match sketch.shift {
            0 => 0.0,
            shift if shift <= 52 => 2f64.powi(shift as i32 - 52),
            shift => 2f64.powf(2f64.powi(shift as i32 - 52)) - 1.0,
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
    pub(super) fn range(&self, key: u64) -> (f64, f64) {
        let lo = unordered(key);
        if self.is_exact() {
            return (lo, lo);
        }
        let hi = unordered(key | low_mask(self.shift));
        // The ends of a wide bin may be NaN or infinite patterns: the extremes bound it.
        let lo = if !lo.is_finite() || lo.total_cmp(&self.min).is_lt() {
            self.min
        } else {
            lo
        };
        let hi = if !hi.is_finite() || hi.total_cmp(&self.max).is_gt() {
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
    pub(super) fn value_at(&self, rank: u64) -> f64 {
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
                let value = lo + within * (hi - lo);
                // Rounding may leave the bin by an ulp; stay inside it.
                return if value < lo {
                    lo
                } else if value > hi {
                    hi
                } else {
                    value
                };
            }
            before += c;
        }
        self.max
    }
}

/// The serialised form of a sketch: every value binned, doubles as bits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct SketchData {
    shift: u32,
    /// (key, count), ascending.
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
            shift: s.shift,
            bins: s.bins,
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

    /// Accepts only what a sketch can be: a shift in range, keys on its grid and of finite
    /// values in strictly ascending order, positive counts that add up to the count.
    fn try_from(d: SketchData) -> Result<Sketch, String> {
        let ascending = d.bins.windows(2).all(|w| w[0].0 < w[1].0);
        let on_grid = d.bins.iter().all(|&(b, c)| {
            c > 0 && clear_low(b, d.shift) == b && (d.shift > 0 || unordered(b).is_finite())
        });
        let total = d.bins.iter().try_fold(0u64, |t, (_, c)| t.checked_add(*c));
        if d.shift > COARSEST
            || !ascending
            || !on_grid
            || d.bins.len() > BINS
            || total != Some(d.count)
        {
            return Err("a value sketch whose bins are out of order, off its grid or do not add up to its count".into());
        }
        Ok(Sketch {
            shift: d.shift,
            bins: d.bins,
            pending: Vec::new(),
            count: d.count,
            sum: d.sum,
            sum_of_squares: d.sum_of_squares,
            min: f64::from_bits(d.min),
            max: f64::from_bits(d.max),
        })
    }
}

/// The key of `x` on the grid of `shift`: its ordered bits with the lowest `shift` cleared.
pub(super) fn key(x: f64, shift: u32) -> u64 {
    clear_low(ordered(x), shift)
}

/// `bits` with its lowest `shift` bits cleared (all of them at 64).
fn clear_low(bits: u64, shift: u32) -> u64 {
    bits & !low_mask(shift)
}

/// The lowest `shift` bits set.
fn low_mask(shift: u32) -> u64 {
    if shift >= 64 {
        u64::MAX
    } else {
        (1u64 << shift) - 1
    }
}

/// The bits of a double as an integer in the doubles' total order (negatives reversed).
pub(super) fn ordered(x: f64) -> u64 {
    let bits = x.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    }
}

/// The inverse of [`ordered`].
pub(super) fn unordered(k: u64) -> f64 {
    f64::from_bits(if k >> 63 == 1 { k & !(1 << 63) } else { !k })
}

/// Bins (ascending) moved onto the coarser grid of `shift`, equal keys joined.
pub(super) fn rebinned(bins: &[(u64, u64)], shift: u32) -> Vec<(u64, u64)> {
    let mut out: Vec<(u64, u64)> = Vec::with_capacity(bins.len());
    for &(b, c) in bins {
        let k = clear_low(b, shift);
        match out.last_mut() {
            Some(last) if last.0 == k => last.1 += c,
            _ => out.push((k, c)),
        }
    }
    out
}

/// Two ascending bin lists on the same grid, joined.
pub(super) fn merge_bins(a: &[(u64, u64)], b: &[(u64, u64)]) -> Vec<(u64, u64)> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::values::tests::mixed_values;

    #[test]
    fn keys_follow_the_order_of_doubles_and_nest() {
        let mut values = mixed_values(2_000, 12);
        values.extend([0.0, -0.0, 5e-324, -5e-324, f64::MAX, -f64::MAX, 1.0, -1.0]);
        values.sort_by(f64::total_cmp);
        for shift in [0, 1, 20, 40, 52, 53, 60, 63, 64] {
            for w in values.windows(2) {
                assert!(
                    key(w[0], shift) <= key(w[1], shift),
                    "order at shift {shift}"
                );
            }
            for &x in &values {
                // A value lies in its bin; a coarser key is the finer key's coarser key.
                let k = key(x, shift);
                assert!(k <= ordered(x) && ordered(x) <= k | low_mask(shift));
                if shift < 64 {
                    assert_eq!(clear_low(k, shift + 3), key(x, shift + 3));
                }
            }
        }
        // Shift 0 is exact; below 52 a bin is a relative width 2^(shift − 52) of its values.
        assert_eq!(unordered(key(0.1, 0)).to_bits(), 0.1f64.to_bits());
        let k = key(1000.0009, 30);
        let (lo, hi) = (unordered(k), unordered(k | low_mask(30)));
        assert!(lo <= 1000.0009 && 1000.0009 <= hi);
        assert!((hi - lo) / lo <= 2f64.powi(30 - 52), "{lo} {hi}");
    }

    #[test]
    fn a_bin_narrower_than_an_ulp_of_its_values_gives_them_back() {
        // Values spread over many orders of magnitude (the reviewer's reproducer: a share
        // drawn with drifts down to −20 a year) put some bins below one ulp of their values;
        // reading a rank off such a bin must not cross its ends.
        let mut sketch = Sketch::new();
        let mut state = 1u64;
        for _ in 0..100_000 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let u = (state >> 11) as f64 / (1u64 << 53) as f64;
            sketch.push((-200.0 * u).exp() * 0.5);
        }
        for q in [0.0, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 1.0] {
            assert!(sketch.quantile(q).is_finite());
        }
    }
}
