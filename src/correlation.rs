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

/// A valid correlation matrix near `a`: eigenvalues clipped to a small positive floor, then
/// rescaled to a unit diagonal. Returns it with the largest change of any entry.
pub fn nearest_correlation(a: &Matrix) -> (Matrix, f64) {
    let n = a.len();
    let (values, vectors) = symmetric_eigen(a);
    let clipped: Vec<f64> = values.iter().map(|v| v.max(1e-6)).collect();
    let mut b = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in 0..n {
            b[i][j] = (0..n)
                .map(|k| vectors[i][k] * clipped[k] * vectors[j][k])
                .sum();
        }
    }
    let d: Vec<f64> = (0..n).map(|i| b[i][i].sqrt()).collect();
    let mut change = 0.0f64;
    for i in 0..n {
        for j in 0..n {
            b[i][j] = if i == j { 1.0 } else { b[i][j] / (d[i] * d[j]) };
            change = change.max((b[i][j] - a[i][j]).abs());
        }
    }
    (b, change)
}

/// Reorders the columns `columns[j]` (one value per run) so that their Spearman rank
/// correlations follow `spearman_target`, a valid correlation matrix. Deterministic given
/// `seed`.
pub fn iman_conover(columns: &mut [Vec<f64>], spearman_target: &Matrix, seed: u64) {
    // Normal scores with Pearson correlation r have Spearman correlation (6/π)·asin(r/2), so
    // ask the scores for r = 2·sin(π·ρ/6) (the conversion can cost definiteness at extreme
    // values; then the nearest valid matrix is used).
    let pearson: Matrix = spearman_target
        .iter()
        .map(|row| {
            row.iter()
                .map(|rho| 2.0 * (std::f64::consts::PI * rho / 6.0).sin())
                .collect()
        })
        .collect();
    let target = if cholesky(&pearson).is_some() {
        pearson
    } else {
        nearest_correlation(&pearson).0
    };
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
    fn the_nearest_correlation_matrix_is_valid_and_close() {
        let bad = vec![
            vec![1.0, -0.9, -0.9],
            vec![-0.9, 1.0, -0.9],
            vec![-0.9, -0.9, 1.0],
        ];
        let (fixed, change) = nearest_correlation(&bad);
        assert!(cholesky(&fixed).is_some());
        assert!((0..3).all(|i| fixed[i][i] == 1.0));
        // The closest valid equicorrelation is −0.5; clipping lands near it.
        assert!(change < 0.45 && fixed[0][1] < -0.45, "{fixed:?}");
    }
}
