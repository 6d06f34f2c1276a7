//! `[scenario]`: the scenario's name, its years, its step, and the default run count and seed.

use std::ops::Range;

use toml::Spanned;

use super::{Validator, text};
use crate::diagnostic::unknown_name_hint;
use crate::scenario::Step;
use crate::scenario::raw::RawHeader;

/// Largest run count a file may ask for; more is surely a typo.
const MAX_RUNS: i64 = 1_000_000_000;
/// Longest horizon, in years.
const MAX_YEARS: i64 = 1000;

/// `[scenario]` checked. A missing or impossible year is `None`: without both the scenario
/// cannot be built, but the other sections are still checked.
pub(super) struct Header {
    pub(super) name: String,
    pub(super) title: String,
    pub(super) description: String,
    pub(super) start: Option<i32>,
    pub(super) end: Option<i32>,
    pub(super) step: Step,
    pub(super) runs: u64,
    pub(super) seed: u64,
}

impl Validator<'_> {
    pub(super) fn header(&mut self, header: Spanned<RawHeader>) -> Header {
        let header_span = header.span();
        let header = header.into_inner();
        let name = match header.name {
            Some(name) => {
                self.identifier(&name);
                name.into_inner()
            }
            None => {
                self.error_hint(
                    header_span.clone(),
                    "missing key `name` in [scenario]",
                    "add name = \"my_scenario\"",
                );
                String::new()
            }
        };
        let start = self.year_key(header.start, "start", &header_span);
        let end = self.year_key(header.end, "end", &header_span);
        if let (Some(s), Some(e)) = (&start, &end) {
            if e.1 <= s.1 {
                self.error(
                    e.0.clone(),
                    format!("`end` ({}) must be after `start` ({})", e.1, s.1),
                );
            } else if i64::from(e.1 - s.1) > MAX_YEARS {
                self.error(
                    e.0.clone(),
                    format!(
                        "a horizon of {} years is more than the limit of {MAX_YEARS}",
                        e.1 - s.1
                    ),
                );
            }
        }
        Header {
            name,
            title: text(header.title),
            description: text(header.description),
            start: start.map(|s| s.1),
            end: end.map(|e| e.1),
            step: self.step(&header.step),
            runs: self.runs(header.runs),
            seed: self.seed(header.seed),
        }
    }

    fn year_key(
        &mut self,
        value: Option<Spanned<i64>>,
        key: &str,
        header: &Range<usize>,
    ) -> Option<(Range<usize>, i32)> {
        match value {
            None => {
                self.error_hint(
                    header.clone(),
                    format!("missing key `{key}` in [scenario]"),
                    format!("add {key} = 2022 (a year)"),
                );
                None
            }
            Some(v) if (-100_000..=100_000).contains(v.get_ref()) => {
                Some((v.span(), *v.get_ref() as i32))
            }
            Some(v) => {
                self.error(
                    v.span(),
                    format!("`{key}` must be a year, got {}", v.get_ref()),
                );
                None
            }
        }
    }

    fn step(&mut self, step: &Option<Spanned<String>>) -> Step {
        match step {
            None => Step::Year,
            Some(s) => match s.get_ref().as_str() {
                "year" => Step::Year,
                "quarter" => Step::Quarter,
                "month" => Step::Month,
                other => {
                    let hint = unknown_name_hint(other, "steps", ["year", "quarter", "month"]);
                    self.error_hint(s.span(), format!("unknown step `{other}`"), hint);
                    Step::Year
                }
            },
        }
    }

    fn runs(&mut self, runs: Option<Spanned<i64>>) -> u64 {
        match runs {
            None => 10_000,
            Some(r) if (1..=MAX_RUNS).contains(r.get_ref()) => *r.get_ref() as u64,
            Some(r) => {
                self.error(
                    r.span(),
                    format!(
                        "`runs` must be between 1 and {MAX_RUNS}, got {}",
                        r.get_ref()
                    ),
                );
                1
            }
        }
    }

    fn seed(&mut self, seed: Option<Spanned<i64>>) -> u64 {
        match seed {
            None => 0,
            Some(s) if *s.get_ref() >= 0 => *s.get_ref() as u64,
            Some(s) => {
                self.error(s.span(), format!("`seed` must be ≥ 0, got {}", s.get_ref()));
                0
            }
        }
    }
}
