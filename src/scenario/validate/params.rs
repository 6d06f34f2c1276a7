//! `[params]`: the named assumptions, each a fixed value or a distribution drawn once per run.
//! They are declared before any other section's numbers are read, since those may name them.

use indexmap::IndexMap;
use toml::Spanned;

use super::number::is_expression;
use super::{Validator, text as text_of};
use crate::distribution::Distribution;
use crate::scenario::raw::{Name, RawNumber, RawParam};
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
                    Some(dist) => (dist, table.description, table.source),
                    None => {
                        self.error_hint(
                            span,
                            format!("parameter `{}` has no `dist`", name.get_ref()),
                            "add dist = \"normal(0, 1)\" (or another distribution)",
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
            if let Some(after) = later[i + 1..]
                .iter()
                .find(|n| text.contains(&format!("\"{n}\"")) || text.contains(&format!("'{n}'")))
            {
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
}
