//! Derived parameters: numbers computed from the run's parameter draws once per run, before
//! the first step (`russia_gain = '-param("armenia_pivot")'`). They are not inputs of their
//! own — designs, sensitivity and discovery see the parameters they read — and they are
//! computed in order, each from the parameters and the derived ones before it.

use crate::expr::{Context, Expr};

/// A parameter computed from others.
#[derive(Debug, Clone)]
pub struct Derived {
    /// Its name under `[params]`, or, written inline in a number's place, that place
    /// (`events.route.hazard`).
    pub name: String,
    /// The expression; it reads parameters only, and only derived ones before it.
    pub expr: Expr,
    /// The expression as written.
    pub text: String,
    /// `description`; empty when not given (and for inline ones).
    pub description: String,
    /// `source`; empty when not given (and for inline ones).
    pub source: String,
    /// Written inline in a number's place.
    pub inline: bool,
}

/// Computes every derived value into `out` (indexed like `derived`) from the run's parameter
/// values, in order.
pub fn derive(derived: &[Derived], params: &[f64], out: &mut [f64]) {
    for (j, d) in derived.iter().enumerate() {
        let (before, rest) = out.split_at_mut(j);
        rest[0] = d.expr.eval(&Inputs {
            params,
            derived: before,
        });
    }
}

/// What a derived parameter's expression sees: the parameters, and the derived values so far.
/// Validation keeps these expressions from reading the state of a run.
struct Inputs<'a> {
    params: &'a [f64],
    derived: &'a [f64],
}

impl Context for Inputs<'_> {
    fn share(&self, _: usize, _: usize, _: usize) -> f64 {
        f64::NAN
    }
    fn composite(&self, _: usize, _: usize) -> f64 {
        f64::NAN
    }
    fn region(&self, _: usize) -> f64 {
        f64::NAN
    }
    fn regime(&self, _: usize) -> usize {
        usize::MAX
    }
    fn factor(&self, _: usize) -> f64 {
        f64::NAN
    }
    fn param(&self, param: usize) -> f64 {
        self.params[param]
    }
    fn derived(&self, derived: usize) -> f64 {
        self.derived.get(derived).copied().unwrap_or(f64::NAN)
    }
    fn fired(&self, _: usize) -> bool {
        false
    }
    fn year(&self) -> f64 {
        f64::NAN
    }
    /// Not known before the run: validation refuses `start(...)` here, as it refuses shares.
    fn start(&self, _: usize) -> f64 {
        f64::NAN
    }
}
