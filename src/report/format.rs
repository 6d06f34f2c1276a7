//! Numbers as text: every renderer (terminal tables, `explain`, charts, CSV) formats its
//! numbers here, so that one quantity reads the same wherever it is shown and a change of
//! style is made once.
//!
//! A number that is not finite (a metric with no valid run, a missing value) is shown as `–`
//! by every function that returns something to read; CSV wants an empty field instead
//! ([`exact_or_empty`]).

/// What every formatter shows for a number that is not finite.
pub const MISSING: &str = "–";

/// A count with thousands separators: `10,000`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A share (0–1) as a percentage with `decimals` decimals: `41.7%`.
pub fn percent(share: f64, decimals: usize) -> String {
    if share.is_finite() {
        format!("{:.decimals$}%", share * 100.0)
    } else {
        MISSING.to_string()
    }
}

/// A probability estimated from `runs` runs, with its standard error — or, when it held in
/// none or all of them (where the standard error is 0 and says nothing), the one-sided 95 %
/// bound an observation of 0 in n allows: p < 1 − 0.05^(1/n), about 3/n (the "rule of three").
pub fn probability(p: f64, se: f64, runs: u64) -> String {
    let bound = if runs > 0 {
        1.0 - 0.05f64.powf(1.0 / runs as f64)
    } else {
        f64::NAN
    };
    if p == 0.0 && runs > 0 {
        format!(
            "0% in {} runs (95 % upper bound {})",
            thousands(runs),
            percent_bound(bound)
        )
    } else if p == 1.0 && runs > 0 {
        format!(
            "100% in {} runs (95 % lower bound {})",
            thousands(runs),
            percent_bound(1.0 - bound)
        )
    } else {
        format!("{} ± {}", percent(p, 2), percent(se, 2))
    }
}

/// A bound as a percentage with two significant digits (0.15%, 0.0030%, 99.85%).
fn percent_bound(share: f64) -> String {
    let pct = share * 100.0;
    if pct >= 99.0 {
        // How close to 100 % matters: as many decimals as the gap needs.
        let gap = 100.0 - pct;
        let decimals = (-gap.log10().floor() as i32 + 1).clamp(2, 8) as usize;
        format!("{pct:.decimals$}%")
    } else {
        let decimals = (-pct.log10().floor() as i32 + 1).clamp(0, 8) as usize;
        format!("{pct:.decimals$}%")
    }
}

/// A share as a percentage with up to two decimals and no trailing zeros (`75%`, `12.5%`,
/// `0.25%`): for assumptions as written, where a small change must still show.
pub fn percent_trimmed(share: f64) -> String {
    let text = format!("{:.2}", share * 100.0);
    format!("{}%", text.trim_end_matches('0').trim_end_matches('.'))
}

/// A share as percentage points with one decimal and no unit (`41.7`), for columns whose
/// heading says `%`.
pub fn points(share: f64) -> String {
    if share.is_finite() {
        format!("{:.1}", share * 100.0)
    } else {
        MISSING.to_string()
    }
}

/// A difference of shares in percentage points, with its sign: `+1.3`, `-0.4`.
pub fn signed_points(difference: f64) -> String {
    if difference.is_finite() {
        format!("{:+.1}", difference * 100.0)
    } else {
        MISSING.to_string()
    }
}

/// Four significant digits, without an exponent for everyday magnitudes (1e-4 to 1e6):
/// `0.2301`, `12.35`, `1.235e7`.
pub fn significant(v: f64) -> String {
    if !v.is_finite() {
        return MISSING.to_string();
    }
    if v == 0.0 {
        return "0".to_string();
    }
    let magnitude = v.abs().log10().floor() as i32;
    if (-4..6).contains(&magnitude) {
        let decimals = (3 - magnitude).max(0) as usize;
        format!("{v:.decimals$}")
    } else {
        format!("{v:.3e}")
    }
}

/// A standard error: two significant digits are all it can carry (`0.0071`, `1.3`).
pub fn error(se: f64) -> String {
    // Rounding noise of a value that is the same in every run is no error at all.
    if !se.is_finite() || se.abs() < 1e-12 {
        return significant(if se.is_finite() { 0.0 } else { se });
    }
    let magnitude = se.abs().log10().floor() as i32;
    let decimals = (1 - magnitude).max(0) as usize;
    format!("{se:.decimals$}")
}

/// Up to four significant digits with trailing zeros cut (`0.01136`, `-0.035`, `1`): a value
/// derived from the assumptions (a quantile, a sum) without float noise. Integer digits are
/// never cut (`12346`).
pub fn trimmed(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let magnitude = v.abs().log10().floor() as i32;
    let decimals = (3 - magnitude).clamp(0, 12) as usize;
    let text = format!("{v:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// A result in the metric's own unit: four decimals (`0.2301`), an exponent for magnitudes
/// below 0.001 or from 1000 on (`5.000e-4`).
pub fn decimal(v: f64) -> String {
    if !v.is_finite() {
        MISSING.to_string()
    } else if v != 0.0 && (v.abs() >= 1000.0 || v.abs() < 0.001) {
        format!("{v:.3e}")
    } else {
        format!("{v:.4}")
    }
}

/// A difference in the metric's own unit, with its sign: four decimals (`+0.0123`), an
/// exponent below 0.0001 or from 1000 on. (Differences sit nearer zero than the values they
/// compare, so the exponent starts a decade lower than in [`decimal`].)
pub fn signed_decimal(v: f64) -> String {
    if !v.is_finite() {
        MISSING.to_string()
    } else if v != 0.0 && (v.abs() >= 1000.0 || v.abs() < 0.0001) {
        format!("{v:+.3e}")
    } else {
        format!("{v:+.4}")
    }
}

/// A cell of a grid of results (`sweep`): four decimals, `0`, or a short exponent below
/// 0.0001 or from 1000 on (`1.23e4`), to keep columns narrow.
pub fn compact(v: f64) -> String {
    if !v.is_finite() {
        return MISSING.to_string();
    }
    if v == 0.0 {
        return "0".to_string();
    }
    if v.abs() >= 1000.0 || v.abs() < 0.0001 {
        format!("{v:.2e}")
    } else {
        format!("{v:.4}")
    }
}

/// A number with a fixed number of decimals: an index in [0, 1] (`0.412`), a statistic, an
/// axis label.
pub fn fixed(v: f64, decimals: usize) -> String {
    if v.is_finite() {
        format!("{v:.decimals$}")
    } else {
        MISSING.to_string()
    }
}

/// A p-value: three decimals, or two significant digits in an exponent below 0.001.
pub fn p_value(p: f64) -> String {
    if p < 1e-3 {
        format!("{p:.1e}")
    } else {
        format!("{p:.3}")
    }
}

/// The shortest text that reads back as the same number (`0.1`, `-0.035`, `1`): a number as
/// the user wrote it, so that any change shows.
pub fn exact(v: f64) -> String {
    format!("{v}")
}

/// [`exact`], or an empty field for a number that is not finite (CSV: pandas reads NaN, R NA).
pub fn exact_or_empty(v: f64) -> String {
    if v.is_finite() {
        exact(v)
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_probability_seen_in_no_run_or_every_run_gets_its_95_percent_bound() {
        // 1 − 0.05^(1/n): the largest p for which P(no success in n runs) = (1 − p)^n ≥ 0.05.
        // n = 2,000: 0.0014967… (3/n = 0.0015).
        assert_eq!(
            probability(0.0, 0.0, 2000),
            "0% in 2,000 runs (95 % upper bound 0.15%)"
        );
        assert_eq!(
            probability(1.0, 0.0, 2000),
            "100% in 2,000 runs (95 % lower bound 99.85%)"
        );
        assert_eq!(
            probability(0.0, 0.0, 10),
            "0% in 10 runs (95 % upper bound 26%)"
        );
        assert_eq!(
            probability(1.0, 0.0, 1_000_000),
            "100% in 1,000,000 runs (95 % lower bound 99.99970%)"
        );
        assert_eq!(probability(0.25, 0.01, 2000), "25.00% ± 1.00%");
    }

    #[test]
    fn counts_get_thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn percentages() {
        assert_eq!(percent(0.417, 1), "41.7%");
        assert_eq!(percent(0.41704, 2), "41.70%");
        assert_eq!(percent(0.5, 0), "50%");
        assert_eq!(percent(f64::NAN, 1), "–");
        assert_eq!(percent_trimmed(0.75), "75%");
        assert_eq!(percent_trimmed(0.125), "12.5%");
        assert_eq!(percent_trimmed(0.0025), "0.25%");
        assert_eq!(points(0.401), "40.1");
        assert_eq!(signed_points(0.013), "+1.3");
        assert_eq!(signed_points(-0.004), "-0.4");
    }

    #[test]
    fn significant_digits() {
        assert_eq!(significant(0.230_14), "0.2301");
        assert_eq!(significant(12.345), "12.35");
        assert_eq!(significant(0.0), "0");
        assert_eq!(significant(12_345_678.0), "1.235e7");
        assert_eq!(error(0.007_14), "0.0071");
        assert_eq!(error(1e-15), "0");
        assert_eq!(trimmed(0.011_362), "0.01136");
        assert_eq!(trimmed(-0.035), "-0.035");
        assert_eq!(trimmed(1.0), "1");
        assert_eq!(trimmed(12_345.6), "12346");
        assert_eq!(trimmed(0.1 + 0.2), "0.3");
    }

    #[test]
    fn results_in_their_own_unit() {
        assert_eq!(decimal(0.23), "0.2300");
        assert_eq!(decimal(0.0005), "5.000e-4");
        assert_eq!(decimal(0.0), "0.0000");
        assert_eq!(decimal(f64::NAN), "–");
        assert_eq!(signed_decimal(0.0005), "+0.0005");
        assert_eq!(signed_decimal(-0.00005), "-5.000e-5");
        assert_eq!(compact(0.0), "0");
        assert_eq!(compact(12_345.0), "1.23e4");
        assert_eq!(fixed(0.4123, 3), "0.412");
        assert_eq!(p_value(0.0001), "1.0e-4");
        assert_eq!(p_value(0.04), "0.040");
        assert_eq!(exact(0.1), "0.1");
        assert_eq!(exact_or_empty(f64::INFINITY), "");
    }
}
