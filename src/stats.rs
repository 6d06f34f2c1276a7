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
        // One value says nothing about its own spread.
        return (mean, f64::NAN);
    }
    let ss: f64 = values.iter().map(|v| (v - mean) * (v - mean)).sum();
    (mean, (ss / (n - 1) as f64 / n as f64).sqrt())
}

/// Standard error of an estimate made of R independent replicate estimates θ_r, each with a
/// weight w_r (its share of the runs): the estimate is θ = Σ w_r·θ_r / Σ w_r and its standard
/// error √(R/(R − 1) · Σ (w_r/Σw)² (θ_r − θ)²) — for equal weights the standard deviation of
/// the θ_r over √R. Replicates of weight 0 or with a NaN estimate are left out; NaN with fewer
/// than two left.
pub fn replicate_se(estimates: &[(f64, f64)]) -> f64 {
    let usable: Vec<(f64, f64)> = estimates
        .iter()
        .copied()
        .filter(|(w, theta)| *w > 0.0 && theta.is_finite())
        .collect();
    let r = usable.len() as f64;
    if usable.len() < 2 {
        return f64::NAN;
    }
    let total: f64 = usable.iter().map(|(w, _)| w).sum();
    let theta = usable.iter().map(|(w, t)| w * t).sum::<f64>() / total;
    let sum: f64 = usable
        .iter()
        .map(|(w, t)| (w / total).powi(2) * (t - theta).powi(2))
        .sum();
    (r / (r - 1.0) * sum).sqrt()
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

/// The median first year of a `first` metric: the smallest year by which at least half the
/// runs have seen the condition, or `None` if fewer than half ever do. `values` are calendar
/// years, NaN for "never".
pub fn median_first_year(values: &[f64]) -> Option<i32> {
    let mut years: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    years.sort_by(f64::total_cmp);
    let needed = values.len().div_ceil(2).max(1);
    years.get(needed - 1).map(|y| *y as i32)
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

/// Kolmogorov–Smirnov distance between two samples, `sup |F_a − F_b|` of their empirical
/// distribution functions. Both slices sorted ascending; ±∞ allowed.
pub fn ks_distance(a: &[f64], b: &[f64]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return f64::NAN;
    }
    let (na, nb) = (a.len() as f64, b.len() as f64);
    let (mut i, mut j, mut distance) = (0, 0, 0.0f64);
    while i < a.len() && j < b.len() {
        // Step past every copy of the smaller value in both samples, then compare. NaN has
        // no place in a distribution function: stop rather than loop on it.
        let x = a[i].min(b[j]);
        if x.is_nan() {
            break;
        }
        while i < a.len() && a[i] <= x {
            i += 1;
        }
        while j < b.len() && b[j] <= x {
            j += 1;
        }
        distance = distance.max((i as f64 / na - j as f64 / nb).abs());
    }
    distance
}

/// Wasserstein-1 (earth mover's) distance between two samples, `∫ |F_a − F_b|`. Both slices
/// sorted ascending and finite.
pub fn wasserstein1(a: &[f64], b: &[f64]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return f64::NAN;
    }
    let (na, nb) = (a.len() as f64, b.len() as f64);
    let (mut i, mut j) = (0, 0);
    let mut previous = a[0].min(b[0]);
    let mut area = 0.0;
    while i < a.len() || j < b.len() {
        let x = match (a.get(i), b.get(j)) {
            (Some(&x), Some(&y)) => x.min(y),
            (Some(&x), None) => x,
            (None, Some(&y)) => y,
            (None, None) => break,
        };
        // Between `previous` and `x` both distribution functions are flat.
        area += (x - previous) * (i as f64 / na - j as f64 / nb).abs();
        while i < a.len() && a[i] <= x {
            i += 1;
        }
        while j < b.len() && b[j] <= x {
            j += 1;
        }
        previous = x;
    }
    area
}

/// Run-by-run comparison of `b` with `a` (same runs, same order): the mean difference with its
/// paired standard error, the unpaired standard error the same difference would have from
/// independent samples, and the fraction of runs where `b` exceeds `a`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Paired {
    /// Mean of `b − a` over the runs.
    pub difference: f64,
    /// Standard error of that mean from the run-by-run differences.
    pub se_paired: f64,
    /// Standard error the same difference would have with independent samples: √(se_a² + se_b²).
    pub se_unpaired: f64,
    /// Fraction of runs where `b > a` (0 when there are no runs).
    pub p_greater: f64,
}

/// Compares `b` with `a` run by run (see [`Paired`]); both must be the same runs in the same order.
pub fn paired(a: &[f64], b: &[f64]) -> Paired {
    let differences: Vec<f64> = a.iter().zip(b).map(|(x, y)| y - x).collect();
    let (difference, se_paired) = mean_and_se(&differences);
    let (_, se_a) = mean_and_se(a);
    let (_, se_b) = mean_and_se(b);
    let greater = a.iter().zip(b).filter(|(x, y)| y > x).count();
    Paired {
        difference,
        se_paired,
        se_unpaired: (se_a * se_a + se_b * se_b).sqrt(),
        p_greater: greater as f64 / a.len().max(1) as f64,
    }
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
    fn ks_and_wasserstein_match_scipy() {
        // /work/scratch/venv/bin/python -c "from scipy import stats;
        //   a=[0.12,0.5,0.33,0.91,0.47,0.05,0.62,0.28]; b=[0.4,0.71,0.22,0.95,0.66,0.58,0.13,0.84,0.49];
        //   print(stats.ks_2samp(a,b).statistic, stats.wasserstein_distance(a,b))"
        // → 0.3194444444444444 0.14527777777777778; and for c=[1,2,2,3,7], d=[2,2,4,5,9]
        // (ties across samples) → 0.4 1.4   (scipy 1.x)
        let sorted = |v: &[f64]| {
            let mut v = v.to_vec();
            v.sort_by(f64::total_cmp);
            v
        };
        let a = sorted(&[0.12, 0.5, 0.33, 0.91, 0.47, 0.05, 0.62, 0.28]);
        let b = sorted(&[0.4, 0.71, 0.22, 0.95, 0.66, 0.58, 0.13, 0.84, 0.49]);
        assert!((ks_distance(&a, &b) - 0.3194444444444444).abs() < 1e-12);
        assert!((wasserstein1(&a, &b) - 0.14527777777777778).abs() < 1e-12);
        let c = [1.0, 2.0, 2.0, 3.0, 7.0];
        let d = [2.0, 2.0, 4.0, 5.0, 9.0];
        assert!((ks_distance(&c, &d) - 0.4).abs() < 1e-12);
        assert!((wasserstein1(&c, &d) - 1.4).abs() < 1e-12);
        assert_eq!(ks_distance(&a, &a), 0.0);
        assert_eq!(wasserstein1(&a, &a), 0.0);
    }

    #[test]
    fn paired_differences_of_a_shift_have_zero_paired_error() {
        let a = [1.0, 4.0, 2.0, 8.0];
        let b = [1.5, 4.5, 2.5, 8.5];
        let p = paired(&a, &b);
        assert_eq!(p.difference, 0.5);
        assert_eq!(p.se_paired, 0.0);
        assert!(p.se_unpaired > 1.0);
        assert_eq!(p.p_greater, 1.0);
    }

    #[test]
    fn median_first_year_is_the_year_half_the_runs_have_reached() {
        let never = f64::NAN;
        assert_eq!(median_first_year(&[2030.0, 2031.0]), Some(2030));
        assert_eq!(median_first_year(&[2030.0, 2031.0, 2032.0]), Some(2031));
        assert_eq!(median_first_year(&[2021.0, never]), Some(2021));
        assert_eq!(median_first_year(&[2021.0, never, never]), None);
        assert_eq!(median_first_year(&[]), None);
    }

    #[test]
    fn ks_distance_stops_on_nan() {
        assert!(ks_distance(&[f64::NAN], &[f64::NAN]).is_finite());
    }

    #[test]
    fn replicate_se_is_the_spread_of_the_replicates_over_root_r() {
        // Equal weights, estimates 1, 2, 3, 4: sd = √(5/3), s.e. = sd/2.
        let equal = [(5.0, 1.0), (5.0, 2.0), (5.0, 3.0), (5.0, 4.0)];
        assert!((replicate_se(&equal) - (5.0f64 / 3.0).sqrt() / 2.0).abs() < 1e-15);
        // Weights 1 and 3, estimates 0 and 4: θ = 3, s.e.² = 2·((1/4)²·9 + (3/4)²·1) = 9/8 + 9/8.
        let unequal = [(1.0, 0.0), (3.0, 4.0)];
        assert!((replicate_se(&unequal) - 2.25f64.sqrt()).abs() < 1e-15);
        assert!(replicate_se(&[(1.0, 2.0)]).is_nan());
        assert!(replicate_se(&[(1.0, 2.0), (0.0, 9.0), (1.0, f64::NAN)]).is_nan());
    }

    #[test]
    fn proportion_se() {
        let (p, se) = proportion(25, 100);
        assert_eq!(p, 0.25);
        assert!((se - (0.25f64 * 0.75 / 100.0).sqrt()).abs() < 1e-15);
    }
}
