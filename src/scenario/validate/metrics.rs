//! `[metrics]`: the questions asked of every run — an expression, and the kind that says what
//! is kept of it (its value in a year, the first year it holds, whether it ever holds, its
//! least or greatest value).

use std::ops::Range;

use indexmap::IndexMap;
use toml::Spanned;

use super::{Horizon, Validator, text};
use crate::diagnostic::unknown_name_hint;
use crate::expr::{Names, Type};
use crate::scenario::raw::{Name, RawMetric};
use crate::scenario::{Metric, MetricKind};

impl Validator<'_> {
    pub(super) fn metrics(
        &mut self,
        metrics: IndexMap<Name, Spanned<RawMetric>>,
        names: &Names,
        horizon: &Horizon,
    ) -> Vec<Metric> {
        let mut out = Vec::new();
        for (name, metric) in metrics {
            if let Some(metric) = self.metric(name, metric, names, horizon) {
                out.push(metric);
            }
        }
        out
    }

    fn metric(
        &mut self,
        name: Name,
        metric: Spanned<RawMetric>,
        names: &Names,
        horizon: &Horizon,
    ) -> Option<Metric> {
        self.identifier(&name);
        let span = metric.span();
        let metric: RawMetric = metric.into_inner();
        let mname = name.into_inner();
        let Some(expr_text) = &metric.expr else {
            self.error_hint(
                span,
                format!("metric `{mname}` has no `expr`"),
                "add expr = 'share(\"kazakhstan\", \"russia\")'",
            );
            return None;
        };
        let compiled = self.expression(expr_text, names);
        let kind_name = metric.kind.as_ref().map(|k| k.get_ref().as_str());
        if let (Some(year), false) = (&metric.year, kind_name == Some("at")) {
            self.error_hint(
                year.span(),
                "`year` is only for metrics of kind \"at\"",
                "remove it, or set kind = \"at\"",
            );
        }
        let (expr, ty) = compiled?;
        let kind = self.metric_kind(&mname, &metric, expr_text.span(), span, ty, horizon)?;
        Some(Metric {
            name: mname,
            description: text(metric.description),
            source: text(metric.source),
            kind,
            expr,
            expr_text: expr_text.get_ref().clone(),
        })
    }

    /// The kind of metric `mname`, which must suit its expression's type `ty` (the expression
    /// is at `expr_span`, the metric's table at `span`).
    fn metric_kind(
        &mut self,
        mname: &str,
        metric: &RawMetric,
        expr_span: Range<usize>,
        span: Range<usize>,
        ty: Type,
        horizon: &Horizon,
    ) -> Option<MetricKind> {
        match metric.kind.as_ref().map(|k| k.get_ref().as_str()) {
            Some("at") => {
                let year = match &metric.year {
                    None => Some(horizon.end),
                    Some(y)
                        if (i64::from(horizon.start)..=i64::from(horizon.end))
                            .contains(y.get_ref()) =>
                    {
                        Some(*y.get_ref() as i32)
                    }
                    Some(y) => {
                        self.error(
                            y.span(),
                            format!(
                                "year {} is outside the scenario's years {}–{}",
                                y.get_ref(),
                                horizon.start,
                                horizon.end
                            ),
                        );
                        None
                    }
                };
                year.map(|year| MetricKind::At {
                    year,
                    step: (year - horizon.start) as usize * horizon.step.per_year() as usize,
                    condition: ty == Type::Condition,
                })
            }
            Some(k @ ("first" | "ever")) => {
                if ty == Type::Condition {
                    Some(if k == "first" {
                        MetricKind::First
                    } else {
                        MetricKind::Ever
                    })
                } else {
                    self.error_hint(
                        expr_span,
                        format!("a metric of kind \"{k}\" needs a condition, but this is a number"),
                        "compare it, e.g. share(\"kazakhstan\", \"china\") > 0.3",
                    );
                    None
                }
            }
            Some(k @ ("min" | "max")) => {
                if ty == Type::Number {
                    Some(if k == "min" {
                        MetricKind::Min
                    } else {
                        MetricKind::Max
                    })
                } else {
                    self.error_hint(
                        expr_span,
                        format!("a metric of kind \"{k}\" needs a number, but this is a condition"),
                        "use kind = \"ever\" for whether a condition ever holds",
                    );
                    None
                }
            }
            Some(other) => {
                let hint =
                    unknown_name_hint(other, "metric kinds", ["at", "first", "ever", "min", "max"]);
                let kind_span = metric.kind.as_ref().map_or(span, Spanned::span);
                self.error_hint(kind_span, format!("unknown metric kind `{other}`"), hint);
                None
            }
            None => {
                self.error_hint(
                    span,
                    format!("metric `{mname}` has no `kind`"),
                    "add kind = \"at\", \"first\", \"ever\", \"min\" or \"max\"",
                );
                None
            }
        }
    }
}
