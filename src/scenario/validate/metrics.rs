//! `[metrics]`: the questions asked of every run — an expression, and the kind that says what
//! is kept of it (its value in a year, the first year it holds, whether it ever or always
//! holds, for how long, an event's firings, which actor leads, its least or greatest value).

use std::ops::Range;

use indexmap::IndexMap;
use toml::Spanned;

use super::{Horizon, Validator, text};
use crate::diagnostic::unknown_name_hint;
use crate::expr::{Names, Type};
use crate::scenario::raw::{Name, RawMetric};
use crate::scenario::{AUTONOMY, Category, Metric, MetricKind};

/// The metric kinds, as written.
const KINDS: [&str; 9] = [
    "at", "first", "ever", "always", "duration", "count", "leader", "min", "max",
];

/// In a leader metric's expression, the bare name that stands for each category in turn.
const PLACEHOLDER: &str = "actor";

impl Validator<'_> {
    pub(super) fn metrics(
        &mut self,
        metrics: IndexMap<Name, Spanned<RawMetric>>,
        names: &Names,
        horizon: &Horizon,
    ) -> Vec<Metric> {
        let mut out = Vec::new();
        for (name, metric) in metrics {
            self.identifier(&name);
            let span = metric.span();
            let metric: RawMetric = metric.into_inner();
            let mname = name.into_inner();
            let kind = metric.kind.as_ref().map(|k| k.get_ref().as_str());
            if kind == Some("count") {
                out.extend(self.count_metric(mname, &metric, span, names));
                continue;
            }
            if let Some(event) = &metric.event {
                self.error_hint(
                    event.span(),
                    "`event` is only for metrics of kind \"count\"",
                    "remove it, or set kind = \"count\"",
                );
            }
            if kind == Some("leader") {
                out.extend(self.leader_metric(mname, &metric, span, names, horizon));
            } else {
                out.extend(self.metric(mname, &metric, span, names, horizon));
            }
        }
        out
    }

    /// A metric of any kind but `count` and `leader`, named `mname`, its table at `span`.
    fn metric(
        &mut self,
        mname: String,
        metric: &RawMetric,
        span: Range<usize>,
        names: &Names,
        horizon: &Horizon,
    ) -> Option<Metric> {
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
                "`year` is only for metrics of kind \"at\" or \"leader\"",
                "remove it, or set kind = \"at\"",
            );
        }
        self.no_among(metric);
        let (expr, ty) = compiled?;
        let kind = self.metric_kind(&mname, metric, expr_text.span(), span, ty, horizon)?;
        Some(Metric {
            name: mname,
            description: text(metric.description.clone()),
            source: text(metric.source.clone()),
            kind,
            expr,
            expr_text: expr_text.get_ref().clone(),
            category: None,
        })
    }

    /// `among` given to a metric that is not a leader.
    fn no_among(&mut self, metric: &RawMetric) {
        if let Some(among) = &metric.among {
            self.error_hint(
                among.span(),
                "`among` is only for metrics of kind \"leader\"",
                "remove it, or set kind = \"leader\"",
            );
        }
    }

    /// The year of an `at` or `leader` metric (default: the end) with its step, or a located
    /// error when it is outside the scenario's years.
    fn metric_year(&mut self, metric: &RawMetric, horizon: &Horizon) -> Option<(i32, usize)> {
        let year = match &metric.year {
            None => horizon.end,
            Some(y)
                if (i64::from(horizon.start)..=i64::from(horizon.end)).contains(y.get_ref()) =>
            {
                *y.get_ref() as i32
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
                return None;
            }
        };
        let step = (year - horizon.start) as usize * horizon.step.per_year() as usize;
        Some((year, step))
    }

    /// `kind = "leader"`: which category — an actor, or autonomy — has the largest value of
    /// `expr` in `year`, where `expr` names the category as the bare name `actor`. Loaded as
    /// one yes/no metric per category, `NAME.CATEGORY` (see [`Category`]).
    fn leader_metric(
        &mut self,
        mname: String,
        metric: &RawMetric,
        span: Range<usize>,
        names: &Names,
        horizon: &Horizon,
    ) -> Vec<Metric> {
        let categories = self.categories(metric, names);
        let year = self.metric_year(metric, horizon);
        let Some(written) = &metric.expr else {
            self.error_hint(
                span,
                format!("metric `{mname}` of kind \"leader\" has no `expr`"),
                "add expr = 'region(actor)': `actor` stands for each actor in turn",
            );
            return Vec::new();
        };
        let Some(ast) = self.parsed(written) else {
            return Vec::new();
        };
        if ast.with_name_as_string(PLACEHOLDER, "").is_none() {
            self.error_hint(
                written.span(),
                format!("the expression of leader metric `{mname}` does not name `{PLACEHOLDER}`"),
                "write the bare name `actor` where each actor's name goes, e.g. region(actor) or share(\"kazakhstan\", actor)",
            );
            return Vec::new();
        }
        let (Some(categories), Some((year, step))) = (categories, year) else {
            return Vec::new();
        };
        // Compiled once per category; a mistake is the same for every category, so it is
        // reported once, from the first.
        let mut values = Vec::new();
        for category in &categories {
            let ast = ast
                .with_name_as_string(PLACEHOLDER, category)
                .expect("the placeholder occurs: checked above");
            let Some((expr, ty)) = self.compiled(written, &ast, names) else {
                return Vec::new();
            };
            if ty != Type::Number {
                self.error_hint(
                    written.span(),
                    "a metric of kind \"leader\" compares numbers, but this is a condition",
                    "give the value compared, e.g. region(actor)",
                );
                return Vec::new();
            }
            values.push(expr);
        }
        let of = categories.len();
        categories
            .into_iter()
            .enumerate()
            .map(|(index, category)| Metric {
                name: format!("{mname}.{category}"),
                description: text(metric.description.clone()),
                source: text(metric.source.clone()),
                kind: MetricKind::At {
                    year,
                    step,
                    condition: true,
                },
                expr: crate::expr::Expr::Leads {
                    values: values.clone(),
                    index,
                },
                expr_text: written.get_ref().clone(),
                category: Some(Category {
                    leader: mname.clone(),
                    name: category,
                    index,
                    of,
                }),
            })
            .collect()
    }

    /// A leader metric's categories: `among` (actors or autonomy, at least two, each once),
    /// or every actor and then autonomy.
    fn categories(&mut self, metric: &RawMetric, names: &Names) -> Option<Vec<String>> {
        let mut known = names.actors.clone();
        known.push(AUTONOMY.to_string());
        let Some(among) = &metric.among else {
            return Some(known);
        };
        let mut out: Vec<String> = Vec::new();
        let mut ok = true;
        for name in among.get_ref() {
            if !known.contains(name.get_ref()) {
                let hint = unknown_name_hint(
                    name.get_ref(),
                    "the actors and autonomy",
                    known.iter().map(String::as_str),
                );
                self.error_hint(
                    name.span(),
                    format!("unknown actor `{}`", name.get_ref()),
                    hint,
                );
                ok = false;
            } else if out.contains(name.get_ref()) {
                self.error_hint(
                    name.span(),
                    format!("`{}` is listed twice in `among`", name.get_ref()),
                    "list each category once",
                );
                ok = false;
            } else {
                out.push(name.get_ref().clone());
            }
        }
        if ok && out.len() < 2 {
            self.error_hint(
                among.span(),
                "a leader metric needs at least two categories to compare",
                "list two or more actors (or \"autonomy\"), or leave `among` out for all of them",
            );
            ok = false;
        }
        ok.then_some(out)
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
            Some("at") => self
                .metric_year(metric, horizon)
                .map(|(year, step)| MetricKind::At {
                    year,
                    step,
                    condition: ty == Type::Condition,
                }),
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
                    "add kind = \"at\", \"first\", \"ever\", \"always\", \"duration\", \"count\", \"leader\", \"min\" or \"max\"",
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
        self.no_among(metric);
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
            category: None,
        })
    }
}
