//! Mergeable aggregates of the composite-share series: for every step and series (a target's or
//! the region's composite share of one actor or autonomy), a fine fixed-bin histogram on [0, 1],
//! fixed-point sums for the mean and variance, and the exact minimum and maximum.
//!
//! Memory does not grow with the number of runs, and merging is integer addition (and min/max),
//! which is associative and commutative: the result is the same bit for bit whatever the order
//! in which threads (or, later, machines) merge their parts.

/// Default number of histogram bins: quantiles resolve to 1/2000 = 0.0005 before interpolation.
pub const DEFAULT_BINS: usize = 2000;

/// Fixed-point scale of the sums: values in [0, 1] are summed as integers of 2⁻³² units, exact
/// and order-independent; 2³² · 10⁹ runs still fits in a u64.
const SCALE: f64 = 4_294_967_296.0;

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SeriesAccumulator {
    pub n_points: usize,
    pub n_series: usize,
    pub bins: usize,
    /// `counts[(point * n_series + series) * bins + bin]`.
    counts: Vec<u32>,
    sums: Vec<u64>,
    sums_of_squares: Vec<u64>,
    mins: Vec<f64>,
    maxs: Vec<f64>,
    runs: u64,
}

impl SeriesAccumulator {
    pub fn new(n_points: usize, n_series: usize, bins: usize) -> SeriesAccumulator {
        let cells = n_points * n_series;
        SeriesAccumulator {
            n_points,
            n_series,
            bins,
            counts: vec![0; cells * bins],
            sums: vec![0; cells],
            sums_of_squares: vec![0; cells],
            mins: vec![f64::INFINITY; cells],
            maxs: vec![f64::NEG_INFINITY; cells],
            runs: 0,
        }
    }

    /// Bytes held, for memory estimates.
    pub fn bytes(n_points: usize, n_series: usize, bins: usize) -> usize {
        n_points * n_series * (bins * 4 + 32)
    }

    /// Adds one run's values of every series at one point; `values.len() == n_series`.
    #[inline]
    pub fn record(&mut self, point: usize, values: &[f64]) {
        let base = point * self.n_series;
        let bins = self.bins;
        for (series, &value) in values.iter().enumerate() {
            let i = base + series;
            let v = value.clamp(0.0, 1.0);
            let bin = ((v * bins as f64) as usize).min(bins - 1);
            self.counts[i * bins + bin] += 1;
            let fixed = (v * SCALE).round() as u64;
            self.sums[i] += fixed;
            self.sums_of_squares[i] += (v * v * SCALE).round() as u64;
            self.mins[i] = self.mins[i].min(v);
            self.maxs[i] = self.maxs[i].max(v);
        }
    }

    /// Counts one finished run (call once per run, after its points are recorded).
    pub fn finish_run(&mut self) {
        self.runs += 1;
    }

    pub fn merge(&mut self, other: &SeriesAccumulator) {
        assert_eq!(
            (self.n_points, self.n_series, self.bins),
            (other.n_points, other.n_series, other.bins),
            "merging accumulators of different shapes"
        );
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        for (a, b) in self.sums.iter_mut().zip(&other.sums) {
            *a += b;
        }
        for (a, b) in self.sums_of_squares.iter_mut().zip(&other.sums_of_squares) {
            *a += b;
        }
        for (a, b) in self.mins.iter_mut().zip(&other.mins) {
            *a = a.min(*b);
        }
        for (a, b) in self.maxs.iter_mut().zip(&other.maxs) {
            *a = a.max(*b);
        }
        self.runs += other.runs;
    }

    pub fn runs(&self) -> u64 {
        self.runs
    }

    /// Whether an accumulator read from a file is consistent: its arrays have its shape and
    /// every point of every series counted each of its `runs` runs exactly once.
    pub fn check(&self, runs: u64) -> Result<(), String> {
        let cells = self.n_points.checked_mul(self.n_series);
        let shape = cells.and_then(|c| c.checked_mul(self.bins).map(|n| (c, n)));
        let Some((cells, n_counts)) = shape.filter(|_| self.bins > 0) else {
            return Err(format!(
                "its series shape {} × {} × {} bins is not one steppe writes",
                self.n_points, self.n_series, self.bins
            ));
        };
        let lengths = [
            self.counts.len(),
            self.sums.len() * self.bins,
            self.sums_of_squares.len() * self.bins,
            self.mins.len() * self.bins,
            self.maxs.len() * self.bins,
        ];
        if lengths.iter().any(|n| *n != n_counts) {
            return Err(format!(
                "its series arrays are not of its shape ({cells} cells of {} bins)",
                self.bins
            ));
        }
        if self.runs != runs {
            return Err(format!("its series count {} runs, not {runs}", self.runs));
        }
        if let Some(cell) = self
            .counts
            .chunks_exact(self.bins)
            .position(|c| c.iter().map(|n| u64::from(*n)).sum::<u64>() != runs)
        {
            return Err(format!(
                "its series histogram {} of {cells} does not count each of its {runs} runs once",
                cell + 1
            ));
        }
        Ok(())
    }

    /// Mean and its Monte Carlo standard error.
    pub fn mean(&self, point: usize, series: usize) -> (f64, f64) {
        let i = point * self.n_series + series;
        let n = self.runs as f64;
        if self.runs == 0 {
            return (f64::NAN, f64::NAN);
        }
        let mean = self.sums[i] as f64 / SCALE / n;
        let mean_sq = self.sums_of_squares[i] as f64 / SCALE / n;
        let variance = (mean_sq - mean * mean).max(0.0) * n / (n - 1.0).max(1.0);
        (mean, (variance / n).sqrt())
    }

    /// Quantile `q` in [0, 1], interpolated linearly within the bin that holds it and clamped to
    /// the exact observed range (so a series that is the same in every run gives that value).
    pub fn quantile(&self, point: usize, series: usize, q: f64) -> f64 {
        let i = point * self.n_series + series;
        let counts = &self.counts[i * self.bins..(i + 1) * self.bins];
        let (lo, hi) = (self.mins[i], self.maxs[i]);
        crate::stats::histogram_quantile(counts, q).clamp(lo, hi)
    }
}
