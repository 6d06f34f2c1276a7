//! Tidy CSV for spreadsheets, R and pandas: one row per observation, written by the `csv`
//! crate so that any name (an inline parameter's is `dynamics[a,b;all;all].drift`) is quoted
//! as RFC 4180 asks. Numeric columns hold numbers only: a missing or non-finite value is an
//! empty field, never a word, so `pandas.read_csv` gives a float column with NaN there.

use crate::compare::Comparison;
use crate::engine::Outcome;
// A numeric field: the exact number, or empty when there is none.
use crate::report::format::exact_or_empty as number;
use crate::scenario::{MetricKind, Scenario};
use crate::sensitivity::{Indices, Tornado};
use crate::summary::{MetricResult, Summary};
use crate::sweep::Sweep;

/// `scenario,step,time,target,actor,statistic,value`: every series at every step.
pub fn series(summary: &Summary) -> String {
    let mut out = Table::new(&[
        "scenario",
        "step",
        "time",
        "target",
        "actor",
        "statistic",
        "value",
    ]);
    let name = &summary.scenario.name;
    for series in &summary.series {
        for p in &series.points {
            for (statistic, value) in [
                ("mean", p.mean),
                ("se", p.se),
                ("p05", p.p05),
                ("p25", p.p25),
                ("p50", p.p50),
                ("p75", p.p75),
                ("p95", p.p95),
            ] {
                out.row([
                    name.clone(),
                    p.step.to_string(),
                    p.time.to_string(),
                    series.target.clone(),
                    series.actor.clone(),
                    statistic.to_string(),
                    number(value),
                ]);
            }
        }
    }
    out.finish()
}

/// `scenario,metric,kind,statistic,year,value`: every metric's summary statistics; `year` is
/// filled for the per-year probabilities of `first` metrics.
pub fn metrics(summary: &Summary) -> String {
    let mut out = Table::new(&["scenario", "metric", "kind", "statistic", "year", "value"]);
    let name = &summary.scenario.name;
    for metric in &summary.metrics {
        let mut row = |statistic: &str, year: Option<i32>, value: f64| {
            out.row([
                name.clone(),
                metric.name.clone(),
                metric.kind.to_string(),
                statistic.to_string(),
                year.map(|y| y.to_string()).unwrap_or_default(),
                number(value),
            ]);
        };
        match &metric.result {
            MetricResult::Number(d) => {
                for (statistic, value) in [
                    ("mean", d.mean),
                    ("se", d.se),
                    ("sd", d.sd),
                    ("min", d.min),
                    ("p05", d.p05),
                    ("p25", d.p25),
                    ("p50", d.p50),
                    ("p75", d.p75),
                    ("p95", d.p95),
                    ("max", d.max),
                    ("invalid_runs", d.invalid_runs as f64),
                ] {
                    row(statistic, None, value);
                }
            }
            MetricResult::Probability { probability, se } => {
                row("probability", None, *probability);
                row("se", None, *se);
            }
            MetricResult::Categorical {
                categories,
                undefined,
            } => {
                for c in categories {
                    row(&format!("probability:{}", c.name), None, c.probability);
                    row(&format!("se:{}", c.name), None, c.se);
                }
                row("undefined", None, *undefined);
            }
            MetricResult::FirstYear {
                never,
                never_se,
                by_year,
                ..
            } => {
                row("never", None, *never);
                row("never_se", None, *never_se);
                for y in by_year {
                    row("first_in_year", Some(y.year), y.probability);
                    row("by_year", Some(y.year), y.cumulative);
                }
            }
        }
    }
    out.finish()
}

/// `run,<param>...,<metric>...`: each run's parameter draws and metric values, for analyses of
/// one's own. A `first` metric's column holds the year, empty when the condition never held,
/// and is followed by `<metric>_never` (`true`/`false`), so the year column stays numeric. A
/// `leader` metric has one column, the leading category's name (empty when none leads).
pub fn runs(scenario: &Scenario, outcome: &Outcome) -> String {
    let mut header = vec!["run".to_string()];
    header.extend(scenario.params.iter().map(|p| p.name.clone()));
    for m in &scenario.metrics {
        match &m.category {
            Some(c) if c.index == 0 => header.push(c.leader.clone()),
            Some(_) => {}
            None => header.push(m.name.clone()),
        }
        if m.kind == MetricKind::First {
            header.push(format!("{}_never", m.name));
        }
    }
    let mut out = Table::new(&header);
    let mut record = Vec::with_capacity(header.len());
    for run in 0..outcome.runs as usize {
        record.clear();
        record.push(run.to_string());
        record.extend(outcome.params.iter().map(|values| number(values[run])));
        let mut leader = None;
        for (metric, values) in scenario.metrics.iter().zip(&outcome.metrics) {
            let v = values[run];
            let Some(c) = &metric.category else {
                record.push(number(v));
                if metric.kind == MetricKind::First {
                    record.push(v.is_nan().to_string());
                }
                continue;
            };
            if v != 0.0 {
                leader = Some(c.name.clone());
            }
            if c.index + 1 == c.of {
                record.push(leader.take().unwrap_or_default());
            }
        }
        out.row(&record);
    }
    out.finish()
}

/// `scenario,quantity,type,target,actor,year,statistic,value`, one row per number; the
/// differences carry the scenario they compare with the reference.
pub fn comparison(comparison: &Comparison) -> String {
    let mut out = Table::new(&[
        "scenario",
        "quantity",
        "type",
        "target",
        "actor",
        "year",
        "statistic",
        "value",
    ]);
    for q in &comparison.quantities {
        let target = q.target.clone().unwrap_or_default();
        let actor = q.actor.clone().unwrap_or_default();
        let year = q.year.map(|y| y.to_string()).unwrap_or_default();
        let mut row = |scenario: &str, statistic: &str, value: Option<f64>| {
            out.row([
                scenario,
                &q.name,
                q.kind,
                &target,
                &actor,
                &year,
                statistic,
                &value.map(number).unwrap_or_default(),
            ]);
        };
        for d in &q.per_scenario {
            for (statistic, value) in [
                ("mean", d.mean),
                ("p05", d.p05),
                ("p50", d.p50),
                ("p95", d.p95),
            ] {
                row(&d.scenario, statistic, Some(value));
            }
            if d.never.is_some() {
                row(&d.scenario, "never", d.never);
            }
            if let Some(median) = d.median_year {
                row(&d.scenario, "median_year", median.map(f64::from));
            }
        }
        for d in &q.differences {
            for (statistic, value) in [
                ("difference", Some(d.difference)),
                ("ci_low", Some(d.ci_low)),
                ("ci_high", Some(d.ci_high)),
                ("se_paired", Some(d.se_paired)),
                ("se_unpaired", Some(d.se_unpaired)),
                ("pairing_gain", d.pairing_gain),
                ("p_greater", Some(d.p_greater)),
                ("ks", Some(d.ks)),
                ("w1", d.w1),
            ] {
                row(&d.scenario, statistic, value);
            }
            if let Some(shift) = d.median_year_shift {
                row(&d.scenario, "median_year_shift", shift.map(f64::from));
            }
        }
    }
    out.finish()
}

/// `scenario,<varied>...,metric,statistic,value,se`: every metric's headline at every grid
/// point, a column per varied assumption holding its value.
pub fn sweep(sweep: &Sweep) -> String {
    let mut header = vec!["scenario".to_string()];
    header.extend(sweep.vary.iter().map(|v| v.name.clone()));
    header.extend(["metric", "statistic", "value", "se"].map(String::from));
    let mut out = Table::new(&header);
    for p in &sweep.points {
        for h in &p.metrics {
            let mut record = vec![sweep.scenario.clone()];
            record.extend(p.values.iter().map(|v| number(*v)));
            record.extend([
                h.name.clone(),
                h.statistic.to_string(),
                number(h.value),
                number(h.se),
            ]);
            out.row(&record);
        }
    }
    out.finish()
}

/// `output,input,statistic,value`: the tornado's bars and every Sobol index with its interval.
pub fn sensitivity(tornado: Option<&Tornado>, sobol: &[Indices]) -> String {
    let mut out = Table::new(&["output", "input", "statistic", "value"]);
    if let Some(t) = tornado {
        out.row([&t.output, "", "tornado_base", &number(t.base)]);
        out.row([&t.output, "", "value", &number(t.value)]);
        out.row([&t.output, "", "value_se", &number(t.value_se)]);
        for b in &t.bars {
            for (statistic, value) in [
                ("tornado_low_value", b.low_value),
                ("tornado_high_value", b.high_value),
                ("tornado_at_low", b.at_low),
                ("tornado_at_high", b.at_high),
                ("tornado_swing", b.swing),
            ] {
                out.row([&t.output, &b.param, statistic, &number(value)]);
            }
        }
    }
    for r in sobol {
        for i in &r.inputs {
            for (statistic, value) in [
                ("first", i.first),
                ("first_low", i.first_low),
                ("first_high", i.first_high),
                ("total", i.total),
                ("total_low", i.total_low),
                ("total_high", i.total_high),
            ] {
                out.row([&r.output, &i.input, statistic, &number(value)]);
            }
        }
    }
    out.finish()
}

/// A CSV document being written into memory: a header, then rows of as many fields.
struct Table {
    writer: csv::Writer<Vec<u8>>,
}

impl Table {
    fn new<S: AsRef<str>>(header: &[S]) -> Table {
        let mut table = Table {
            writer: csv::WriterBuilder::new()
                .terminator(csv::Terminator::Any(b'\n'))
                .from_writer(Vec::new()),
        };
        table.row(header.iter().map(AsRef::as_ref));
        table
    }

    fn row<I, F>(&mut self, fields: I)
    where
        I: IntoIterator<Item = F>,
        F: AsRef<[u8]>,
    {
        // Writing into a Vec cannot fail, and every row has the header's field count (the
        // writer would refuse a row of another length, which the tests would catch).
        self.writer
            .write_record(fields)
            .expect("a CSV row of the header's length written into memory");
    }

    fn finish(self) -> String {
        let bytes = self
            .writer
            .into_inner()
            .expect("flushing a CSV written into memory");
        String::from_utf8(bytes).expect("CSV of UTF-8 fields is UTF-8")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_with_commas_and_quotes_is_one_field() {
        let mut t = Table::new(&["name", "value"]);
        t.row(["dynamics[a,b;all;all].drift", "0.5"]);
        t.row(["say \"hi\"", ""]);
        let text = t.finish();
        assert_eq!(
            text,
            "name,value\n\"dynamics[a,b;all;all].drift\",0.5\n\"say \"\"hi\"\"\",\n"
        );
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(&rows[0][0], "dynamics[a,b;all;all].drift");
        assert_eq!(&rows[1][0], "say \"hi\"");
    }

    #[test]
    fn non_finite_numbers_are_empty() {
        assert_eq!(number(f64::NAN), "");
        assert_eq!(number(f64::INFINITY), "");
        assert_eq!(number(0.1), "0.1");
    }
}
