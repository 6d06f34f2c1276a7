//! Rank correlations between parameters, imposed by the Iman–Conover method: each
//! parameter's draws are *reordered* among the runs so that their ranks follow a set of
//! normal scores with the requested correlation. The draws themselves — hence every marginal
//! distribution — are unchanged.
//!
//! Also the matrix algebra it needs (Cholesky factor, symmetric eigen decomposition, nearest
//! valid correlation matrix), small and dense: a scenario correlates a handful of parameters.

// Dense matrix algebra reads closest to its textbook form with explicit indices.
#![allow(clippy::needless_range_loop)]

use crate::rng::{self, ComponentKey};
use statrs::distribution::{ContinuousCDF, Normal};

/// A dense square matrix, row-major: `m[row][column]`.
pub type Matrix = Vec<Vec<f64>>;

/// Lower-triangular `L` with `L·Lᵀ = a`, or `None` if `a` is not positive definite.
pub fn cholesky(a: &Matrix) -> Option<Matrix> {
    let n = a.len();
    let mut l = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in 0..=i {
            let sum: f64 = (0..j).map(|k| l[i][k] * l[j][k]).sum();
            if i == j {
                let d = a[i][i] - sum;
                if d <= 1e-12 {
                    return None;
                }
                l[i][j] = d.sqrt();
            } else {
                l[i][j] = (a[i][j] - sum) / l[j][j];
            }
        }
    }
    Some(l)
}

/// Eigenvalues and eigenvectors (columns of the second) of a symmetric matrix, by cyclic
/// Jacobi rotations.
pub fn symmetric_eigen(a: &Matrix) -> (Vec<f64>, Matrix) {
    let n = a.len();
    let mut a = a.clone();
    let mut v: Matrix = (0..n)
        .map(|i| (0..n).map(|j| if i == j { 1.0 } else { 0.0 }).collect())
        .collect();
    for _ in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[i][j] * a[i][j])
            .sum();
        if off < 1e-24 {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                if a[p][q].abs() < 1e-300 {
                    continue;
                }
                let theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q]);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let (akp, akq) = (a[k][p], a[k][q]);
                    a[k][p] = c * akp - s * akq;
                    a[k][q] = s * akp + c * akq;
                }
                for k in 0..n {
                    let (apk, aqk) = (a[p][k], a[q][k]);
                    a[p][k] = c * apk - s * aqk;
                    a[q][k] = s * apk + c * aqk;
                }
                for row in v.iter_mut() {
                    let (vkp, vkq) = (row[p], row[q]);
                    row[p] = c * vkp - s * vkq;
                    row[q] = s * vkp + c * vkq;
                }
            }
        }
    }
    ((0..n).map(|i| a[i][i]).collect(), v)
}

/// Smallest eigenvalue of a repaired matrix: positive definite with room to spare for the
/// Cholesky factor Iman–Conover needs.
const MIN_EIGENVALUE: f64 = 1e-8;

/// The nearest correlation matrix to `a` in the Frobenius norm (among those whose eigenvalues
/// are at least 10⁻⁸, `MIN_EIGENVALUE`), by Higham's (2002) alternating projections with Dykstra's
/// correction: project onto the positive semidefinite matrices (eigenvalues clipped) and onto
/// the unit-diagonal ones in turn, carrying the correction of the first projection so that the
/// iteration converges to the nearest point of the intersection rather than to any point of
/// it. Returns it with the largest change of any entry.
pub fn nearest_correlation(a: &Matrix) -> (Matrix, f64) {
    let n = a.len();
    let mut y = a.clone();
    let mut correction = vec![vec![0.0; n]; n];
    let mut previous_x: Option<Matrix> = None;
    let norm = |m: &Matrix| m.iter().flatten().map(|v| v * v).sum::<f64>().sqrt();
    let difference = |p: &Matrix, q: &Matrix| {
        p.iter()
            .flatten()
            .zip(q.iter().flatten())
            .map(|(u, v)| (u - v) * (u - v))
            .sum::<f64>()
            .sqrt()
    };
    for _ in 0..10_000 {
        let r: Matrix = (0..n)
            .map(|i| (0..n).map(|j| y[i][j] - correction[i][j]).collect())
            .collect();
        let x = clip_eigenvalues(&r, MIN_EIGENVALUE);
        for i in 0..n {
            for j in 0..n {
                correction[i][j] = x[i][j] - r[i][j];
            }
        }
        let mut next = x.clone();
        for (i, row) in next.iter_mut().enumerate() {
            row[i] = 1.0;
        }
        let scale = norm(&next).max(1.0);
        let moved_x = previous_x
            .as_ref()
            .map_or(f64::INFINITY, |p| difference(&x, p));
        let moved_y = difference(&next, &y);
        let apart = difference(&next, &x);
        y = next;
        if moved_x.max(moved_y).max(apart) <= 1e-14 * scale {
            break;
        }
        previous_x = Some(x);
    }
    // Symmetric to the last bit, and positive definite even if the iteration stopped short
    // (then move toward the identity just far enough).
    for i in 0..n {
        for j in 0..i {
            let mean = 0.5 * (y[i][j] + y[j][i]);
            y[i][j] = mean;
            y[j][i] = mean;
        }
    }
    let converged = y.clone();
    let mut t: f64 = 1e-9;
    while cholesky(&y).is_none() && t < 1.0 {
        for i in 0..n {
            for j in 0..n {
                if i != j {
                    y[i][j] = converged[i][j] * (1.0 - t);
                }
            }
        }
        t *= 2.0;
    }
    let change = (0..n)
        .flat_map(|i| (0..n).map(move |j| (i, j)))
        .map(|(i, j)| (y[i][j] - a[i][j]).abs())
        .fold(0.0, f64::max);
    (y, change)
}

/// `a` with its eigenvalues raised to at least `floor`: the nearest such symmetric matrix in
/// the Frobenius norm.
fn clip_eigenvalues(a: &Matrix, floor: f64) -> Matrix {
    let n = a.len();
    let (values, vectors) = symmetric_eigen(a);
    let clipped: Vec<f64> = values.iter().map(|v| v.max(floor)).collect();
    let mut b = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in 0..n {
            b[i][j] = (0..n)
                .map(|k| vectors[i][k] * clipped[k] * vectors[j][k])
                .sum();
        }
    }
    b
}

/// What Iman–Conover imposes for a Spearman target: normal scores with Pearson correlation
/// r = 2·sin(π·ρ/6) have Spearman correlation ρ; when the converted matrix is not positive
/// definite (it can lose definiteness at extreme values), its nearest correlation matrix is
/// used instead. Returns the Pearson matrix of the scores, and the Spearman correlations it
/// implies, (6/π)·asin(r/2) — the rank correlations actually imposed (in expectation).
pub fn imposed(spearman_target: &Matrix) -> (Matrix, Matrix) {
    let pearson: Matrix = spearman_target
        .iter()
        .map(|row| {
            row.iter()
                .map(|rho| 2.0 * (std::f64::consts::PI * rho / 6.0).sin())
                .collect()
        })
        .collect();
    let pearson = if cholesky(&pearson).is_some() {
        pearson
    } else {
        nearest_correlation(&pearson).0
    };
    let spearman = pearson
        .iter()
        .map(|row| {
            row.iter()
                .map(|r| 6.0 / std::f64::consts::PI * (r / 2.0).clamp(-0.5, 0.5).asin())
                .collect()
        })
        .collect();
    (pearson, spearman)
}

/// Reorders the columns `columns[j]` (one value per run) so that their Spearman rank
/// correlations follow `spearman_target`, a valid correlation matrix. Deterministic given
/// `seed`.
pub fn iman_conover(columns: &mut [Vec<f64>], spearman_target: &Matrix, seed: u64) {
    // Normal scores with Pearson correlation r have Spearman correlation (6/π)·asin(r/2), so
    // ask the scores for r = 2·sin(π·ρ/6), repaired if the conversion cost definiteness.
    let (target, _) = imposed(spearman_target);
    let target = &target;
    let k = columns.len();
    let n = columns.first().map_or(0, Vec::len);
    if k < 2 || n < 3 {
        return;
    }
    let standard = Normal::new(0.0, 1.0).expect("valid normal");
    let scores: Vec<f64> = (0..n)
        .map(|i| standard.inverse_cdf((i as f64 + 1.0) / (n as f64 + 1.0)))
        .collect();
    // Independent random orders of the scores, one column per parameter.
    let mut s: Vec<Vec<f64>> = (0..k)
        .map(|j| {
            let mut stream = rng::stream(seed, j as u64, ComponentKey::new("design/iman-conover"));
            let mut column = scores.clone();
            for i in (1..n).rev() {
                let r = ((rng::uniform(&mut stream) * (i + 1) as f64) as usize).min(i);
                column.swap(i, r);
            }
            column
        })
        .collect();
    // Remove the scores' own chance correlation (E = F·Fᵀ), then impose the target (C = P·Pᵀ):
    // T = S·(F⁻¹)ᵀ·Pᵀ.
    let e = correlation_matrix(&s);
    let (Some(f), Some(p)) = (cholesky(&e), cholesky(target)) else {
        return;
    };
    let f_inverse = lower_inverse(&f);
    let mut m = vec![vec![0.0; k]; k]; // (F⁻¹)ᵀ·Pᵀ
    for (a, row) in m.iter_mut().enumerate() {
        for (b, cell) in row.iter_mut().enumerate() {
            *cell = (0..k).map(|c| f_inverse[c][a] * p[b][c]).sum();
        }
    }
    let t: Vec<Vec<f64>> = (0..k)
        .map(|b| {
            (0..n)
                .map(|i| (0..k).map(|a| s[a][i] * m[a][b]).sum())
                .collect()
        })
        .collect();
    s.clear();
    for (column, scores) in columns.iter_mut().zip(&t) {
        let mut sorted = column.clone();
        sorted.sort_by(f64::total_cmp);
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
        // The run with the r-th smallest score gets the r-th smallest value.
        for (rank, &run) in order.iter().enumerate() {
            column[run] = sorted[rank];
        }
    }
}

/// Pearson correlation matrix of columns.
pub fn correlation_matrix(columns: &[Vec<f64>]) -> Matrix {
    let k = columns.len();
    let n = columns.first().map_or(0, Vec::len) as f64;
    let means: Vec<f64> = columns.iter().map(|c| c.iter().sum::<f64>() / n).collect();
    let mut m = vec![vec![0.0; k]; k];
    for a in 0..k {
        for b in 0..k {
            let cov: f64 = columns[a]
                .iter()
                .zip(&columns[b])
                .map(|(x, y)| (x - means[a]) * (y - means[b]))
                .sum();
            let va: f64 = columns[a].iter().map(|x| (x - means[a]).powi(2)).sum();
            let vb: f64 = columns[b].iter().map(|y| (y - means[b]).powi(2)).sum();
            m[a][b] = cov / (va * vb).sqrt();
        }
    }
    m
}

/// Spearman rank correlation of two columns (no ties expected: continuous draws).
pub fn spearman(a: &[f64], b: &[f64]) -> f64 {
    let ranks = |v: &[f64]| {
        let mut order: Vec<usize> = (0..v.len()).collect();
        order.sort_by(|&i, &j| v[i].total_cmp(&v[j]));
        let mut r = vec![0.0; v.len()];
        for (rank, i) in order.into_iter().enumerate() {
            r[i] = rank as f64;
        }
        r
    };
    correlation_matrix(&[ranks(a), ranks(b)])[0][1]
}

fn lower_inverse(l: &Matrix) -> Matrix {
    let n = l.len();
    let mut inv = vec![vec![0.0; n]; n];
    for i in 0..n {
        inv[i][i] = 1.0 / l[i][i];
        for j in 0..i {
            let sum: f64 = (j..i).map(|k| l[i][k] * inv[k][j]).sum();
            inv[i][j] = -sum / l[i][i];
        }
    }
    inv
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cholesky_reconstructs_and_refuses_indefinite_matrices() {
        let a = vec![vec![4.0, 2.0], vec![2.0, 3.0]];
        let l = cholesky(&a).unwrap();
        // L = [[2, 0], [1, √2]]
        assert!(
            (l[0][0] - 2.0).abs() < 1e-12
                && (l[1][0] - 1.0).abs() < 1e-12
                && (l[1][1] - 2f64.sqrt()).abs() < 1e-12
        );
        let bad = vec![
            vec![1.0, -0.9, -0.9],
            vec![-0.9, 1.0, -0.9],
            vec![-0.9, -0.9, 1.0],
        ];
        assert!(cholesky(&bad).is_none());
    }

    #[test]
    fn eigen_of_a_known_matrix() {
        // [[2, 1], [1, 2]] has eigenvalues 1 and 3.
        let (mut values, _) = symmetric_eigen(&vec![vec![2.0, 1.0], vec![1.0, 2.0]]);
        values.sort_by(f64::total_cmp);
        assert!((values[0] - 1.0).abs() < 1e-12 && (values[1] - 3.0).abs() < 1e-12);
    }

    #[test]
    fn the_nearest_correlation_matrix_is_highams() {
        // Higham (2002), section 4: A = [1 1 0; 1 1 1; 0 1 1] has the nearest correlation
        // matrix with off-diagonals 0.7607, 0.1573, 0.7607 (to 4 digits in the paper); an
        // independent numpy implementation of the same algorithm (eigh, Dykstra, 10⁻¹⁴) gives
        // 0.7606898534 and 0.1572981061. Ours keeps eigenvalues at 10⁻⁸ or more (the paper's
        // has one at 0), which moves entries by about that much: tolerance 10⁻⁶.
        let a = vec![
            vec![1.0, 1.0, 0.0],
            vec![1.0, 1.0, 1.0],
            vec![0.0, 1.0, 1.0],
        ];
        let (x, change) = nearest_correlation(&a);
        for (i, j, want) in [
            (0, 1, 0.7606898534),
            (1, 2, 0.7606898534),
            (0, 2, 0.1572981061),
        ] {
            assert!((x[i][j] - want).abs() < 1e-6, "x[{i}][{j}] = {}", x[i][j]);
            assert_eq!(x[i][j], x[j][i]);
        }
        assert!((0..3).all(|i| x[i][i] == 1.0));
        assert!(cholesky(&x).is_some());
        assert!((change - (1.0 - 0.7606898534)).abs() < 1e-6, "{change}");
        // A 4 × 4 with eigenvalue −0.385; numpy reference (same algorithm):
        let b = vec![
            vec![1.0, 0.9, 0.7, -0.5],
            vec![0.9, 1.0, 0.3, 0.6],
            vec![0.7, 0.3, 1.0, -0.8],
            vec![-0.5, 0.6, -0.8, 1.0],
        ];
        let want = [
            [1.0, 0.7190991015, 0.7523522525, -0.3394941588],
            [0.7190991015, 1.0, 0.2347708106, 0.4000149867],
            [0.7523522525, 0.2347708106, 1.0, -0.742124854],
            [-0.3394941588, 0.4000149867, -0.742124854, 1.0],
        ];
        let (y, _) = nearest_correlation(&b);
        for i in 0..4 {
            for j in 0..4 {
                assert!(
                    (y[i][j] - want[i][j]).abs() < 1e-6,
                    "y[{i}][{j}] = {}",
                    y[i][j]
                );
            }
        }
    }

    #[test]
    fn three_pairwise_minus_point_nine_are_repaired_to_minus_one_half() {
        // The nearest correlation matrix to the equicorrelation −0.9 is, by symmetry and
        // convexity, an equicorrelation, and the most negative valid one is −1/2.
        let bad = vec![
            vec![1.0, -0.9, -0.9],
            vec![-0.9, 1.0, -0.9],
            vec![-0.9, -0.9, 1.0],
        ];
        let (fixed, change) = nearest_correlation(&bad);
        assert!(cholesky(&fixed).is_some());
        for (i, j) in [(0, 1), (0, 2), (1, 2)] {
            assert!((fixed[i][j] + 0.5).abs() < 1e-7, "{fixed:?}");
        }
        assert!((change - 0.4).abs() < 1e-7);
    }

    #[test]
    fn a_second_repair_of_the_normal_scores_is_reported_in_what_is_imposed() {
        // Three rank correlations of −0.49 are valid, but their normal scores would need
        // Pearson correlations 2·sin(−0.49π/6) = −0.5075, below the −1/2 three equicorrelated
        // variables allow: the scores get −1/2 (the nearest valid matrix), whose rank
        // correlation is (6/π)·asin(−1/4) = −0.48258.
        let minus = |rho: f64| {
            vec![
                vec![1.0, rho, rho],
                vec![rho, 1.0, rho],
                vec![rho, rho, 1.0],
            ]
        };
        assert!(cholesky(&minus(-0.49)).is_some());
        let (pearson, spearman) = imposed(&minus(-0.49));
        let want = 6.0 / std::f64::consts::PI * (-0.25f64).asin();
        assert!((pearson[0][1] + 0.5).abs() < 1e-7, "{pearson:?}");
        assert!((spearman[0][1] - want).abs() < 1e-7, "{spearman:?}");
    }

    #[test]
    fn what_is_imposed_is_the_target_when_its_scores_are_valid() {
        let target = vec![vec![1.0, 0.6], vec![0.6, 1.0]];
        let (pearson, spearman) = imposed(&target);
        // r = 2·sin(0.1π) = 0.6180; back to ρ exactly (to rounding).
        assert!((pearson[0][1] - 2.0 * (0.1 * std::f64::consts::PI).sin()).abs() < 1e-15);
        assert!((spearman[0][1] - 0.6).abs() < 1e-12);
    }
}
