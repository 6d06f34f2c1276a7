//! A Dirichlet around given means — a transition row with `concentration`, or an initial cell
//! with one — as beta "sticks": the first positive entry is a beta draw, each next one a beta
//! fraction of what the earlier ones leave, the last positive entry the rest. Entry `i` is then
//! `Beta(c·mᵢ, c·(1 − mᵢ))` at the margin, and each fraction is a parameter of its own, named
//! after the entry (`drivers.war.transitions.stalemate.ceasefire`,
//! `initial.kazakhstan.transport.russia`), an input of every analysis.

use super::Validator;
use crate::distribution::Distribution;
use crate::scenario::Param;

impl Validator<'_> {
    /// The stick of each entry — its fraction's parameter, `None` for an entry of mean 0 and
    /// for the last positive one, which takes what is left — for the Dirichlet of
    /// `concentration` around `means` (summing to 1), entries named `owner.NAME`.
    pub(super) fn dirichlet_sticks(
        &mut self,
        owner: &str,
        names: &[&str],
        means: &[f64],
        concentration: f64,
    ) -> Vec<Option<usize>> {
        let last = means.iter().rposition(|&m| m > 0.0);
        let mut sticks = Vec::with_capacity(means.len());
        for (i, (&m, name)) in means.iter().zip(names).enumerate() {
            if m <= 0.0 || Some(i) == last {
                sticks.push(None);
                continue;
            }
            // The means of the entries after this one, summed (not 1 minus those before: a
            // running difference could reach 0 before the last positive entry).
            let after: f64 = means[i + 1..].iter().filter(|&&m| m > 0.0).sum();
            let (alpha, beta) = (concentration * m, concentration * after);
            self.params.push(Param {
                name: format!("{owner}.{name}"),
                distribution: Distribution::Beta { alpha, beta },
                description: String::new(),
                source: String::new(),
                inline: true,
            });
            sticks.push(Some(self.params.len() - 1));
        }
        sticks
    }
}
