//! `[correlations]`: rank correlations between named parameters, checked pair by pair and
//! assembled into a valid (positive definite) matrix, or repaired to the nearest one when the
//! file says `repair = true`.

use std::ops::Range;

use indexmap::IndexMap;
use toml::Spanned;

use super::Validator;
use crate::distribution::Distribution;
use crate::scenario::Correlations;
use crate::scenario::raw::{Name, RawCorrelation, RawRho};

/// The correlations of `[correlations]` gathered so far.
#[derive(Default)]
struct Gathered {
    /// `(a, b, rho, span of rho)` with `a < b`, each pair once.
    pairs: Vec<(usize, usize, f64, Range<usize>)>,
    /// The correlated parameters, in the order first met: the matrix's order.
    involved: Vec<usize>,
    /// Parameters fixed over their correlations: each with the partners it loses.
    dropped: Vec<(usize, Vec<String>)>,
}

impl Validator<'_> {
    /// `[correlations]`: a valid rank-correlation matrix over named parameters. A parameter
    /// fixed by a layer that wins over the correlation's (`--set params.x=0.1`, an extending
    /// file) leaves the matrix, with a warning; fixed where the correlation is written, it is
    /// an error.
    pub(super) fn correlations(
        &mut self,
        raw: &IndexMap<Name, Spanned<RawCorrelation>>,
    ) -> Option<Correlations> {
        let mut repair = false;
        let mut gathered = Gathered::default();
        let mut ok = true;
        for (name, entry) in raw {
            match entry.get_ref() {
                RawCorrelation::Flag(flag) if name.get_ref() == "repair" => repair = *flag,
                RawCorrelation::Flag(_) => {
                    self.error_hint(
                        entry.span(),
                        format!("`{}` needs a table of correlations", name.get_ref()),
                        format!("write {} = {{ other_parameter = 0.5 }}", name.get_ref()),
                    );
                    ok = false;
                }
                RawCorrelation::Row(row) => {
                    let Some(a) = self.named_param(name) else {
                        ok = false;
                        continue;
                    };
                    for (other, rho) in row {
                        ok &= self.correlation_entry(name, a, other, rho, &mut gathered);
                    }
                }
            }
        }
        self.warn_dropped(&gathered.dropped);
        if !ok || gathered.pairs.is_empty() {
            return None;
        }
        self.correlation_matrix(gathered, repair)
    }

    /// The entry `other = rho` in the row of parameter `name` (index `a`), into `gathered`;
    /// whether it is right.
    fn correlation_entry(
        &mut self,
        name: &Name,
        a: usize,
        other: &Name,
        rho: &Spanned<RawRho>,
        gathered: &mut Gathered,
    ) -> bool {
        let Some(value) = self.rho(other, rho) else {
            return false;
        };
        let Some(b) = self.named_param(other) else {
            return false;
        };
        if a == b {
            self.error(
                other.span(),
                "a parameter's correlation with itself is 1 and is not written",
            );
            return false;
        }
        if !(-1.0..=1.0).contains(&value) {
            self.error(
                rho.span(),
                format!("a correlation must be within [-1, 1], got {value}"),
            );
            return false;
        }
        let fixed: Vec<(usize, &Name)> = [(a, name), (b, other)]
            .into_iter()
            .filter(|(p, _)| matches!(self.params[*p].distribution, Distribution::Fixed { .. }))
            .collect();
        if let Some((_, written)) = fixed
            .iter()
            .find(|(p, _)| !self.outranks(&self.param_spans[*p], &rho.span()))
        {
            self.fixed_correlated(written);
            return false;
        }
        if !fixed.is_empty() {
            for (p, _) in &fixed {
                let partner = if *p == a { other } else { name };
                match gathered.dropped.iter_mut().find(|(q, _)| q == p) {
                    Some((_, partners)) => partners.push(partner.get_ref().clone()),
                    None => gathered.dropped.push((*p, vec![partner.get_ref().clone()])),
                }
            }
            return true;
        }
        let mut ok = true;
        if let Some((_, _, earlier, _)) = gathered
            .pairs
            .iter()
            .find(|(x, y, _, _)| (*x, *y) == (a.min(b), a.max(b)))
        {
            if *earlier != value {
                self.error(
                    rho.span(),
                    format!(
                        "the correlation of `{}` and `{}` is also given as {earlier}",
                        name.get_ref(),
                        other.get_ref()
                    ),
                );
                ok = false;
            }
        } else {
            gathered.pairs.push((a.min(b), a.max(b), value, rho.span()));
        }
        for index in [a, b] {
            if !gathered.involved.contains(&index) {
                gathered.involved.push(index);
            }
        }
        ok
    }

    /// One warning per parameter fixed over its correlations, naming the partners it loses.
    fn warn_dropped(&mut self, dropped: &[(usize, Vec<String>)]) {
        for (p, partners) in dropped {
            let warning = format!(
                "{}: `{}` is fixed here, so its {} with {} {} dropped",
                self.place_of(self.param_spans[*p].start),
                self.params[*p].name,
                if partners.len() == 1 {
                    "correlation"
                } else {
                    "correlations"
                },
                partners
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                if partners.len() == 1 { "is" } else { "are" },
            );
            self.warnings.push(warning);
        }
    }

    /// The matrix of the gathered pairs, when it is valid or may be repaired.
    fn correlation_matrix(&mut self, gathered: Gathered, repair: bool) -> Option<Correlations> {
        let Gathered {
            pairs, involved, ..
        } = gathered;
        let n = involved.len();
        let mut matrix = vec![vec![0.0; n]; n];
        for (i, row) in matrix.iter_mut().enumerate() {
            row[i] = 1.0;
        }
        let at = |p: usize| involved.iter().position(|x| *x == p).expect("involved");
        for &(a, b, value, _) in &pairs {
            matrix[at(a)][at(b)] = value;
            matrix[at(b)][at(a)] = value;
        }
        if crate::correlation::cholesky(&matrix).is_some() {
            return Some(Correlations {
                params: involved,
                matrix,
                repaired: None,
            });
        }
        if repair {
            let (matrix, change) = crate::correlation::nearest_correlation(&matrix);
            return Some(Correlations {
                params: involved,
                matrix,
                repaired: Some(change),
            });
        }
        self.error_hint(
            pairs[0].3.clone(),
            "these correlations cannot hold together (the matrix is not positive definite)",
            "loosen them, or add `repair = true` to [correlations] to use the nearest valid matrix (explain reports the change)",
        );
        None
    }

    /// A named parameter in `[correlations]`, by its index.
    fn named_param(&mut self, name: &Name) -> Option<usize> {
        let names: Vec<String> = self
            .params
            .iter()
            .filter(|p| !p.inline)
            .map(|p| p.name.clone())
            .collect();
        self.lookup(name, "parameter", &names)
    }

    /// A fixed parameter correlated where it is fixed (or in a layer below): reported once.
    fn fixed_correlated(&mut self, name: &Name) {
        let message = format!(
            "parameter `{}` is fixed, so it cannot be correlated",
            name.get_ref()
        );
        let span = name.span();
        if !self
            .diagnostics
            .iter()
            .any(|d| d.span == span && d.message == message)
        {
            self.error_hint(
                span,
                message,
                "correlate parameters that have a distribution",
            );
        }
    }

    /// The number of an entry `other = rho` in a row of `[correlations]`.
    fn rho(&mut self, other: &Name, rho: &Spanned<RawRho>) -> Option<f64> {
        let removal = match rho.get_ref() {
            RawRho::Number(v) => return Some(*v),
            RawRho::Flag(_) => other.get_ref() == "remove",
            RawRho::Text(t) => t == "remove",
        };
        if removal {
            self.error_hint(
                rho.span(),
                "nothing to remove: this scenario extends no other",
                "\"remove\" drops a correlation inherited through `extends`",
            );
            return None;
        }
        match rho.get_ref() {
            RawRho::Text(t) if t.trim().parse::<f64>().is_ok() => self.error_hint(
                rho.span(),
                format!("a correlation must be a number, not the text \"{t}\""),
                format!("remove the quotes: {} = {}", other.get_ref(), t.trim()),
            ),
            RawRho::Text(t) => self.error(
                rho.span(),
                format!("a correlation must be a number within [-1, 1], got \"{t}\""),
            ),
            _ => self.error(rho.span(), "a correlation must be a number within [-1, 1]"),
        }
        None
    }
}
