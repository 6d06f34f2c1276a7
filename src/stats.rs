//! Statistics as pure functions over slices: means with Monte Carlo standard errors, sample
//! quantiles, quantiles of fixed-bin histograms, probabilities. Each is tested against a closed
//! form below.

/// Mean and standard error of the mean (sample standard deviation / √n) of finite values.
pub fn mean_and_se(values: &[f64]) -> (f64, f64) {
    let n = values.len();
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    if n == 1 {
        return (mean, 0.0);
    }
    let ss: f64 = values.iter().map(|v| (v - mean) * (v - mean)).sum();
    (mean, (ss / (n - 1) as f64 / n as f64).sqrt())
}

/// Quantile of sorted data by linear interpolation between order statistics (Hyndman & Fan
/// type 7, the default of R and numpy).
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        1 => sorted[0],
        n => {
            let h = (n - 1) as f64 * q.clamp(0.0, 1.0);
            let lo = h.floor() as usize;
            let hi = (lo + 1).min(n - 1);
            sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
        }
    }
}

/// Probability estimate from a count of successes, with its standard error √(p(1−p)/n).
pub fn proportion(successes: u64, n: u64) -> (f64, f64) {
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let p = successes as f64 / n as f64;
    (p, (p * (1.0 - p) / n as f64).sqrt())
}

/// Quantile `q` of values on [0, 1] binned into `counts.len()` equal bins, assuming values
/// spread evenly within a bin.
pub fn histogram_quantile(counts: &[u32], q: f64) -> f64 {
    let total: u64 = counts.iter().map(|&c| u64::from(c)).sum();
    if total == 0 {
        return f64::NAN;
    }
    let bins = counts.len() as f64;
    let target = q.clamp(0.0, 1.0) * total as f64;
    let mut cumulative = 0u64;
    for (bin, &count) in counts.iter().enumerate() {
        if count == 0 {
            continue;
        }
        let next = cumulative + u64::from(count);
        if next as f64 >= target {
            let within = (target - cumulative as f64) / f64::from(count);
            return (bin as f64 + within.clamp(0.0, 1.0)) / bins;
        }
        cumulative = next;
    }
    1.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_and_se_of_known_data() {
        // 1..=5: mean 3, sample variance 2.5, s.e. = sqrt(2.5/5).
        let (m, se) = mean_and_se(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(m, 3.0);
        assert!((se - 0.5f64.sqrt()).abs() < 1e-15);
    }

    #[test]
    fn type7_quantiles_match_numpy() {
        // numpy.quantile([1, 2, 4, 8], [0, .25, .5, .9, 1]) = [1, 1.75, 3, 6.8, 8]
        let data = [1.0, 2.0, 4.0, 8.0];
        for (q, want) in [(0.0, 1.0), (0.25, 1.75), (0.5, 3.0), (0.9, 6.8), (1.0, 8.0)] {
            assert!((quantile_sorted(&data, q) - want).abs() < 1e-12, "q={q}");
        }
    }

    #[test]
    fn histogram_quantile_of_uniform_counts_is_linear() {
        // Equal counts in every bin: the quantile function of U(0, 1), q itself.
        let counts = vec![7u32; 100];
        for q in [0.0, 0.05, 0.333, 0.5, 0.95, 1.0] {
            assert!((histogram_quantile(&counts, q) - q).abs() < 1e-12, "q={q}");
        }
    }

    #[test]
    fn histogram_quantile_of_single_bin_stays_in_bin() {
        let mut counts = vec![0u32; 10];
        counts[3] = 5;
        for q in [0.0, 0.5, 1.0] {
            let v = histogram_quantile(&counts, q);
            assert!((0.3..=0.4).contains(&v), "q={q} gave {v}");
        }
    }

    #[test]
    fn proportion_se() {
        let (p, se) = proportion(25, 100);
        assert_eq!(p, 0.25);
        assert!((se - (0.25f64 * 0.75 / 100.0).sqrt()).abs() < 1e-15);
    }
}
