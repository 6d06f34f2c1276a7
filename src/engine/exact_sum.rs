//! An exact, order-independent sum of doubles (a superaccumulator), for the means and
//! variances of value sketches: the rounded result depends only on the multiset of values.

use serde::{Deserialize, Serialize};

/// An exact, order-independent sum of doubles: each value's 53-bit significand is added, as an
/// integer, into the bucket of its binary exponent (`i128` holds 2⁷⁴ additions). The buckets
/// depend only on the multiset of values, so the rounded result does too. They are held
/// densely, one per exponent (32 KB once anything is added), so that adding is a few
/// instructions; serialised, only the non-zero ones are written.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(into = "SparseSum", try_from = "SparseSum")]
pub(super) struct ExactSum {
    /// The sum of significands of each biased exponent (0 and 1 share 1's scale).
    buckets: Option<Box<[i128]>>,
}

/// The serialised form of an [`ExactSum`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct SparseSum {
    /// (exponent, high and low 64 bits of the sum of significands scaled by 2^exponent),
    /// ascending, none zero — halves, so that JSON readers without 128-bit numbers keep them.
    buckets: Vec<(i16, i64, u64)>,
}

pub(super) const EXPONENTS: usize = 2048;

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
    pub(super) fn add(&mut self, x: f64) {
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
    pub(super) fn add_product(&mut self, a: f64, b: f64) {
        let (high, low) = two_product(a, b);
        self.add(high);
        self.add(low);
    }

    /// The non-zero buckets, ascending by exponent.
    pub(super) fn nonzero(&self) -> impl DoubleEndedIterator<Item = (i16, i128)> + '_ {
        self.buckets
            .iter()
            .flat_map(|b| b.iter().enumerate())
            .filter(|(_, a)| **a != 0)
            .map(|(e, a)| (e as i16, *a))
    }

    /// The sum as exact doubles: each bucket split into a high and a low part.
    pub(super) fn terms(&self) -> Vec<f64> {
        let mut terms = Vec::new();
        for (e, a) in self.nonzero() {
            let low = a.rem_euclid(1 << 53);
            let high = (a - low) >> 53;
            terms.push(scaled(high as f64, e.saturating_add(53)));
            terms.push(scaled(low as f64, e));
        }
        terms
    }

    pub(super) fn add_bucket(&mut self, exponent: i16, amount: i128) {
        let buckets = self
            .buckets
            .get_or_insert_with(|| vec![0; EXPONENTS].into_boxed_slice());
        buckets[exponent as usize] += amount;
    }

    pub(super) fn merge(&mut self, other: &ExactSum) {
        for (e, a) in other.nonzero() {
            self.add_bucket(e, a);
        }
    }

    /// The sum, rounded deterministically: every bucket split into two doubles (its rounded
    /// value and the exact remainder), added from the largest exponent down with Neumaier's
    /// compensation. A function of the buckets alone, so of the multiset of values.
    pub(super) fn value(&self) -> f64 {
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
pub(super) fn two_product(a: f64, b: f64) -> (f64, f64) {
    let high = a * b;
    (high, a.mul_add(b, -high))
}

/// `m · 2^(e − 1075)`: a significand sum at a biased binary exponent, scaled in steps that
/// neither overflow nor underflow on the way.
pub(super) fn scaled(m: f64, e: i16) -> f64 {
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

    #[test]
    pub(super) fn exact_sum_cancels_exactly() {
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
}
