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

/// The metric kinds, as written.
const KINDS: [&str; 8] = [
    "at", "first", "ever", "always", "duration", "count", "min", "max",
];

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
        if metric.kind.as_ref().map(|k| k.get_ref().as_str()) == Some("count") {
            return self.count_metric(mname, &metric, span, names);
        }
        if let Some(event) = &metric.event {
            self.error_hint(
                event.span(),
                "`event` is only for metrics of kind \"count\"",
                "remove it, or set kind = \"count\"",
            );
        }
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
            Some(k @ ("first" | "ever" | "always" | "duration")) => {
                if ty == Type::Condition {
                    Some(match k {
                        "first" => MetricKind::First,
                        "ever" => MetricKind::Ever,
                        "always" => MetricKind::Always,
                        _ => MetricKind::Duration,
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
                let hint = unknown_name_hint(other, "metric kinds", KINDS);
                let kind_span = metric.kind.as_ref().map_or(span, Spanned::span);
                self.error_hint(kind_span, format!("unknown metric kind `{other}`"), hint);
                None
            }
            None => {
                self.error_hint(
                    span,
                    format!("metric `{mname}` has no `kind`"),
                    "add kind = \"at\", \"first\", \"ever\", \"always\", \"duration\", \"count\", \"min\" or \"max\"",
                );
                None
            }
        }
    }

    /// `kind = "count"`: the firings of the event named by `event` (no `expr`, no `year`).
    fn count_metric(
        &mut self,
        mname: String,
        metric: &RawMetric,
        span: Range<usize>,
        names: &Names,
    ) -> Option<Metric> {
        for (key, given) in [
            ("expr", metric.expr.as_ref().map(Spanned::span)),
            ("year", metric.year.as_ref().map(Spanned::span)),
        ] {
            if let Some(at) = given {
                self.error_hint(
                    at,
                    format!("a metric of kind \"count\" takes no `{key}`"),
                    "name the event: event = \"coercion\"",
                );
            }
        }
        let Some(event) = &metric.event else {
            self.error_hint(
                span,
                format!("metric `{mname}` of kind \"count\" has no `event`"),
                "add event = \"NAME\": the event whose firings are counted",
            );
            return None;
        };
        let Some(index) = names.events.iter().position(|e| e == event.get_ref()) else {
            let hint = unknown_name_hint(
                event.get_ref(),
                "the events",
                names.events.iter().map(String::as_str),
            );
            self.error_hint(
                event.span(),
                format!("there is no event `{}`", event.get_ref()),
                hint,
            );
            return None;
        };
        if metric.expr.is_some() || metric.year.is_some() {
            return None;
        }
        Some(Metric {
            name: mname,
            description: text(metric.description.clone()),
            source: text(metric.source.clone()),
            kind: MetricKind::Count { event: index },
            expr: crate::expr::Expr::Const(0.0),
            expr_text: format!("firings of {}", event.get_ref()),
        })
    }
}
