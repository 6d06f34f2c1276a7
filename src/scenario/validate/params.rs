//! `[params]`: the named assumptions, each a fixed value or a distribution drawn once per run.
//! They are declared before any other section's numbers are read, since those may name them.

use indexmap::IndexMap;
use toml::Spanned;

use super::{Validator, text};
use crate::distribution::Distribution;
use crate::scenario::Param;
use crate::scenario::raw::{Name, RawNumber, RawParam};

impl Validator<'_> {
    /// Declares the named parameters, in file order, in `self.params`.
    pub(super) fn named_params(&mut self, params: IndexMap<Name, Spanned<RawParam>>) {
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
                description: text(description),
                source: text(source),
                inline: false,
            });
        }
    }
}
