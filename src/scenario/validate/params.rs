//! `[params]`: the named assumptions, each a fixed value or a distribution drawn once per run.
//! They are declared before any other section's numbers are read, since those may name them.

use indexmap::IndexMap;
use toml::Spanned;

use std::ops::Range;

use super::number::{is_distribution, is_expression};
use super::{Validator, text as text_of};
use crate::distribution::{Distribution, Expert};
use crate::scenario::raw::{Name, RawExpert, RawNumber, RawParam};
use crate::scenario::{Derived, Param};

impl Validator<'_> {
    /// Declares the named parameters, in file order, in `self.params`; then those computed
    /// from others, in file order, in `self.derived`.
    pub(super) fn named_params(&mut self, params: IndexMap<Name, Spanned<RawParam>>) {
        let mut deferred = Vec::new();
        for (name, param) in params {
            self.identifier(&name);
            let span = param.span();
            let (number, description, source) = match param.into_inner() {
                RawParam::Short(number) => (Spanned::new(span.clone(), number), None, None),
                RawParam::Full(table) => match table.dist {
                    Some(dist) if table.pool.is_none() => (dist, table.description, table.source),
                    Some(dist) => {
                        self.error_hint(
                            dist.span(),
                            format!("parameter `{}` has both `dist` and `pool`", name.get_ref()),
                            "give one: a distribution, or a pool of experts' distributions",
                        );
                        continue;
                    }
                    None if table.pool.is_some() => {
                        let pool = table.pool.expect("checked");
                        let distribution = self.pool(name.get_ref(), pool.get_ref(), pool.span());
                        self.param_spans.push(pool.span());
                        self.params.push(Param {
                            name: name.into_inner(),
                            distribution: distribution
                                .unwrap_or(Distribution::Fixed { value: 0.0 }),
                            description: text_of(table.description),
                            source: text_of(table.source),
                            inline: false,
                        });
                        continue;
                    }
                    None => {
                        self.error_hint(
                            span,
                            format!("parameter `{}` has no `dist`", name.get_ref()),
                            "add dist = \"normal(0, 1)\" (or another distribution), or a pool of experts: pool = [{ dist = \"...\", weight = 1, source = \"...\" }, ...]",
                        );
                        continue;
                    }
                },
            };
            if let RawNumber::Text(t) = number.get_ref()
                && is_expression(t)
            {
                deferred.push((name, number, description, source));
                continue;
            }
            let distribution = match number.get_ref() {
                RawNumber::Constant(v) if v.is_finite() => Distribution::Fixed { value: *v },
                RawNumber::Constant(v) => {
                    self.error(
                        number.span(),
                        format!("a parameter must be finite, got {v}"),
                    );
                    continue;
                }
                // A broken distribution is reported here; the name still resolves, so that
                // its uses do not each report an unknown parameter as well.
                RawNumber::Text(t) => self
                    .distribution(t, number.span())
                    .unwrap_or(Distribution::Fixed { value: 0.0 }),
            };
            self.param_spans.push(number.span());
            self.params.push(Param {
                name: name.into_inner(),
                distribution,
                description: text_of(description),
                source: text_of(source),
                inline: false,
            });
        }
        let later: Vec<String> = deferred.iter().map(|(n, ..)| n.get_ref().clone()).collect();
        for (i, (name, number, description, source)) in deferred.into_iter().enumerate() {
            let RawNumber::Text(text) = number.get_ref() else {
                continue;
            };
            let what = format!("parameter `{}`", name.get_ref());
            if let Some(after) = later[i..]
                .iter()
                .find(|n| text.contains(&format!("\"{n}\"")) || text.contains(&format!("'{n}'")))
            {
                if *after == later[i] {
                    self.error(number.span(), format!("{what} reads itself"));
                    continue;
                }
                self.error_hint(
                    number.span(),
                    format!("{what} reads `{after}`, which is computed after it"),
                    format!("parameters computed from others are computed in file order: declare `{after}` above `{}`", name.get_ref()),
                );
                continue;
            }
            let Some(expr) = self.derived_expression(text, number.span(), &what, true) else {
                continue;
            };
            self.derived.push(Derived {
                name: name.into_inner(),
                expr,
                text: text.clone(),
                description: text_of(description),
                source: text_of(source),
                inline: false,
            });
        }
    }

    /// A pool of experts: each a distribution (or a constant) with a positive weight (1 when
    /// not given), the weights normalised.
    fn pool(
        &mut self,
        name: &str,
        pool: &[Spanned<RawExpert>],
        span: Range<usize>,
    ) -> Option<Distribution> {
        if pool.is_empty() {
            self.error_hint(
                span,
                format!("the pool of `{name}` has no experts"),
                "give each expert's judgement: pool = [{ dist = \"pert(0, 0.02, 0.05)\", weight = 1, source = \"…\" }, …]",
            );
            return None;
        }
        let mut experts = Vec::new();
        let mut ok = true;
        for expert in pool {
            let expert_span = expert.span();
            let expert = expert.get_ref();
            let weight = match &expert.weight {
                None => 1.0,
                Some(w) if *w.get_ref() > 0.0 && w.get_ref().is_finite() => *w.get_ref(),
                Some(w) => {
                    self.error(
                        w.span(),
                        format!("an expert's weight must be > 0, got {}", w.get_ref()),
                    );
                    ok = false;
                    continue;
                }
            };
            let distribution = match &expert.dist {
                None => {
                    self.error_hint(
                        expert_span,
                        format!("an expert in the pool of `{name}` has no `dist`"),
                        "add dist = \"pert(0, 0.02, 0.05)\" (or another distribution)",
                    );
                    None
                }
                Some(number) => match number.get_ref() {
                    RawNumber::Constant(v) if v.is_finite() => {
                        Some(Distribution::Fixed { value: *v })
                    }
                    RawNumber::Text(t) if is_distribution(t) => self.distribution(t, number.span()),
                    _ => {
                        self.error_hint(
                            number.span(),
                            "an expert's `dist` must be a distribution or a number",
                            "e.g. dist = \"pert(0, 0.02, 0.05)\"; a pool mixes distributions, not parameters",
                        );
                        None
                    }
                },
            };
            match distribution {
                Some(distribution) => experts.push(Expert {
                    weight,
                    distribution,
                    source: expert
                        .source
                        .as_ref()
                        .map(|s| s.get_ref().clone())
                        .unwrap_or_default(),
                }),
                None => ok = false,
            }
        }
        if !ok {
            return None;
        }
        let total: f64 = experts.iter().map(|e| e.weight).sum();
        for e in &mut experts {
            e.weight /= total;
        }
        Some(Distribution::Pool(experts.into()))
    }
}
