//! The one home of randomness: every random component of a run draws from its own stream,
//! keyed by (seed, run, component name).
//!
//! Keying by name gives common random numbers: two scenarios that share a component (a
//! parameter, a noise series, a driver, an event) see the same numbers for it in every run, and
//! adding a component disturbs no other. Keying by run makes a run's numbers independent of
//! which thread, batch or machine simulates it. The generator is Xoshiro256++, whose output is
//! fixed by its published definition (unlike `StdRng`, which may change between versions).

use rand_core::{Rng, SeedableRng};
use rand_distr::{Distribution, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;

/// A random stream of one component in one run.
pub type Stream = Xoshiro256PlusPlus;

/// A component's name, hashed once when the scenario is compiled (FNV-1a, 64 bits: stable,
/// specified, and plenty to tell a scenario's few hundred names apart).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ComponentKey(u64);

impl ComponentKey {
    /// The key of the component called `name` (such as `param/russia_trend` or
    /// `noise/TARGET/CHANNEL/ACTOR`): the FNV-1a hash of its bytes.
    pub fn new(name: &str) -> ComponentKey {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in name.bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
        ComponentKey(hash)
    }

    /// The hash itself, for seeding generators outside this module's streams (designs).
    pub fn value(self) -> u64 {
        self.0
    }
}

/// The stream of `component` in run `run` under master seed `seed`.
pub fn stream(seed: u64, run: u64, component: ComponentKey) -> Stream {
    // SplitMix64 chained over the three keys decorrelates nearby seeds and runs; its outputs
    // then fill the generator's 256-bit state (never all zero: SplitMix64 is a bijection of a
    // counter that we advance by a non-zero constant).
    let mut state = splitmix64(seed ^ 0x5354_4550_5045_0001);
    state = splitmix64(state ^ component.0);
    state = splitmix64(state ^ run);
    let mut bytes = [0u8; 32];
    for chunk in bytes.chunks_exact_mut(8) {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        chunk.copy_from_slice(&splitmix64(state).to_le_bytes());
    }
    Stream::from_seed(bytes)
}

/// A uniform number strictly inside (0, 1): the 53 high bits of one output, centred in their
/// interval, so a quantile function never sees 0 or 1.
pub fn uniform(stream: &mut Stream) -> f64 {
    ((stream.next_u64() >> 11) as f64 + 0.5) * (1.0 / (1u64 << 53) as f64)
}

/// A standard normal number (ziggurat method of `rand_distr`).
pub fn standard_normal(stream: &mut Stream) -> f64 {
    StandardNormal.sample(stream)
}

/// A keyed 64-bit mixing function (the SplitMix64 finaliser: a bijection that scatters
/// nearby inputs), for designs that derive a permutation or a scramble from a key.
pub fn mix(x: u64) -> u64 {
    splitmix64(x)
}

fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_differ_by_each_key_and_repeat_exactly() {
        let key = ComponentKey::new("event/coercion");
        let a = stream(1, 7, key).next_u64();
        assert_eq!(a, stream(1, 7, key).next_u64());
        assert_ne!(a, stream(2, 7, key).next_u64());
        assert_ne!(a, stream(1, 8, key).next_u64());
        assert_ne!(
            a,
            stream(1, 7, ComponentKey::new("event/corridor")).next_u64()
        );
    }

    #[test]
    fn fnv1a_matches_published_test_vector() {
        // FNV-1a 64 of "a" from the reference test suite (isthe.com/chongo/tech/comp/fnv).
        assert_eq!(ComponentKey::new("a").0, 0xaf63_dc4c_8601_ec8c);
        assert_eq!(ComponentKey::new("").0, 0xcbf2_9ce4_8422_2325);
    }

    #[test]
    fn uniform_stays_strictly_inside_unit_interval() {
        let mut s = stream(0, 0, ComponentKey::new("u"));
        let n = 100_000;
        let mut sum = 0.0;
        for _ in 0..n {
            let u = uniform(&mut s);
            assert!(u > 0.0 && u < 1.0);
            sum += u;
        }
        // Mean of U(0,1) is 1/2 with standard error sqrt(1/12/n) ≈ 0.00091; allow 5 s.e.
        assert!((sum / n as f64 - 0.5).abs() < 5.0 * (1.0f64 / 12.0 / n as f64).sqrt());
    }
}
