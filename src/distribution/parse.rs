//! Reading the inline form of a distribution, `normal(-0.03, 0.01)`: the text to a validated
//! [`Distribution`], or the byte offset of the problem and a message, for a caret under it.

use super::{Blame, Distribution, Metalog, build, params_of, unknown_name};

impl Distribution {
    /// Parses the inline form used in scenario files: `normal(-0.03, 0.01)`, `pert(0, 0.03, 0.08)`,
    /// `fixed(2)`. Spaces are allowed around every token; numbers use Rust's float syntax
    /// (`-1`, `.5`, `1e-3`).
    ///
    /// On error returns the byte offset within `text` where the problem is (for a caret under
    /// it) and a one-sentence message.
    pub fn parse(text: &str) -> Result<Distribution, (usize, String)> {
        let mut cur = Cursor { text, pos: 0 };
        cur.skip_ws();
        let name_start = cur.pos;
        let name = cur.ident();
        if name.is_empty() {
            let message = match cur.peek() {
                None => "expected a distribution such as `normal(0, 1)`, found nothing".to_string(),
                Some(c) => format!("expected a distribution name such as `normal`, found `{c}`"),
            };
            return Err((cur.pos, message));
        }
        if name == "quantiles" {
            return quantiles(&mut cur);
        }
        if params_of(name).is_none() {
            return Err((name_start, unknown_name(name)));
        }
        cur.skip_ws();
        if !cur.eat('(') {
            return Err((
                cur.pos,
                format!("expected `(` after `{name}`, found {}", cur.describe_next()),
            ));
        }

        let mut args: Vec<(usize, f64)> = Vec::new();
        cur.skip_ws();
        let close = if cur.eat(')') {
            cur.pos - 1
        } else {
            loop {
                cur.skip_ws();
                let start = cur.pos;
                let token = cur.number_token();
                if token.is_empty() {
                    return Err((
                        start,
                        format!("expected a number, found {}", cur.describe_next()),
                    ));
                }
                match token.parse::<f64>() {
                    Ok(value) => args.push((start, value)),
                    Err(_) => return Err((start, format!("`{token}` is not a number"))),
                }
                cur.skip_ws();
                if cur.eat(',') {
                    continue;
                }
                let at = cur.pos;
                if cur.eat(')') {
                    break at;
                }
                return Err((
                    at,
                    match cur.peek() {
                        None => format!("missing `)` to close `{name}(`"),
                        Some(c) => format!("expected `,` or `)` after a number, found `{c}`"),
                    },
                ));
            }
        };
        cur.skip_ws();
        if let Some(c) = cur.peek() {
            return Err((cur.pos, format!("unexpected `{c}` after the closing `)`")));
        }

        let values: Vec<f64> = args.iter().map(|&(_, v)| v).collect();
        build(name, &values).map_err(|(blame, message)| {
            let offset = match blame {
                Blame::Name | Blame::Whole => name_start,
                Blame::Arg(i) => args.get(i).map_or(name_start, |&(start, _)| start),
                // Too many: point at the first extra argument; too few: at the `)`.
                Blame::Arity(expected) => args.get(expected).map_or(close, |&(start, _)| start),
            };
            (offset, message)
        })
    }

    /// True if `text` looks like an attempt at the inline form, an identifier followed by `(`
    /// (spaces allowed), so the caller can tell a distribution, even a misspelt one, from a
    /// parameter name.
    pub fn looks_like_call(text: &str) -> bool {
        let mut cur = Cursor { text, pos: 0 };
        cur.skip_ws();
        if cur.ident().is_empty() {
            return false;
        }
        cur.skip_ws();
        cur.peek() == Some('(')
    }
}

/// The rest of `quantiles(P% = V, …, low = L, high = H)` after its name: a metalog through
/// the quantiles, within the bounds.
fn quantiles(cur: &mut Cursor) -> Result<Distribution, (usize, String)> {
    cur.skip_ws();
    if !cur.eat('(') {
        return Err((
            cur.pos,
            format!(
                "expected `(` after `quantiles`, found {}",
                cur.describe_next()
            ),
        ));
    }
    let start = cur.pos;
    let (mut given, mut low, mut high) = (Vec::new(), f64::NEG_INFINITY, f64::INFINITY);
    loop {
        cur.skip_ws();
        let at = cur.pos;
        let key = cur.take_while(|_, c| !c.is_whitespace() && !matches!(c, '=' | ',' | ')'));
        cur.skip_ws();
        if !cur.eat('=') {
            return Err((
                cur.pos,
                format!(
                    "expected `=` after `{key}` (quantiles are written 5% = 0.1), found {}",
                    cur.describe_next()
                ),
            ));
        }
        cur.skip_ws();
        let value_at = cur.pos;
        let token = cur.number_token();
        let Ok(value) = token.parse::<f64>() else {
            return Err((value_at, format!("`{token}` is not a number")));
        };
        match key {
            "low" => low = value,
            "high" => high = value,
            _ => match key.strip_suffix('%').map(str::parse::<f64>) {
                Some(Ok(percent)) => given.push((percent, value)),
                _ => {
                    return Err((
                        at,
                        format!("expected a percent such as `5%`, `low` or `high`, found `{key}`"),
                    ));
                }
            },
        }
        cur.skip_ws();
        if cur.eat(',') {
            continue;
        }
        let close = cur.pos;
        if !cur.eat(')') {
            return Err((
                close,
                match cur.peek() {
                    None => "missing `)` to close `quantiles(`".to_string(),
                    Some(c) => format!("expected `,` or `)`, found `{c}`"),
                },
            ));
        }
        break;
    }
    cur.skip_ws();
    if let Some(c) = cur.peek() {
        return Err((cur.pos, format!("unexpected `{c}` after the closing `)`")));
    }
    Metalog::fit(&given, low, high)
        .map(|m| Distribution::Metalog(Box::new(m)))
        .map_err(|message| (start, message))
}

/// A position in the text being parsed; `pos` is always on a char boundary.
struct Cursor<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    /// Advances over the longest run of chars satisfying `keep` and returns it.
    fn take_while(&mut self, keep: impl Fn(usize, char) -> bool) -> &'a str {
        let start = self.pos;
        for (i, c) in self.text[start..].char_indices() {
            if !keep(i, c) {
                break;
            }
            self.pos = start + i + c.len_utf8();
        }
        &self.text[start..self.pos]
    }

    fn skip_ws(&mut self) {
        self.take_while(|_, c| c.is_whitespace());
    }

    /// An ASCII identifier: a letter or `_`, then letters, digits or `_`.
    fn ident(&mut self) -> &'a str {
        self.take_while(|i, c| c.is_ascii_alphabetic() || c == '_' || (i > 0 && c.is_ascii_digit()))
    }

    /// Everything up to the next space, comma or parenthesis.
    fn number_token(&mut self) -> &'a str {
        self.take_while(|_, c| !c.is_whitespace() && !matches!(c, ',' | '(' | ')'))
    }

    fn describe_next(&self) -> String {
        match self.peek() {
            Some(c) => format!("`{c}`"),
            None => "the end of the text".to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::distribution::samples::{ALL, d};

    #[test]
    fn parses_valid_forms() {
        use Distribution::*;
        let cases = [
            (
                "normal(-0.03, 0.01)",
                Normal {
                    mean: -0.03,
                    sd: 0.01,
                },
            ),
            (
                "  normal ( -0.03 ,0.01 )  ",
                Normal {
                    mean: -0.03,
                    sd: 0.01,
                },
            ),
            (
                "pert(0, 0.03, 0.08)",
                Pert {
                    low: 0.0,
                    mode: 0.03,
                    high: 0.08,
                },
            ),
            ("fixed(2)", Fixed { value: 2.0 }),
            ("fixed(-.5)", Fixed { value: -0.5 }),
            ("fixed(+5.)", Fixed { value: 5.0 }),
            (
                "lognormal(1e-3, 2.5E-1)",
                LogNormal {
                    mu: 0.001,
                    sigma: 0.25,
                },
            ),
            (
                "uniform(-1e2,1e+2)",
                Uniform {
                    low: -100.0,
                    high: 100.0,
                },
            ),
            (
                "triangular(\t1,\n1, 2)",
                Triangular {
                    low: 1.0,
                    mode: 1.0,
                    high: 2.0,
                },
            ),
            (
                "beta(2, 18)",
                Beta {
                    alpha: 2.0,
                    beta: 18.0,
                },
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(Distribution::parse(text), Ok(expected), "{text}");
        }
    }

    #[test]
    fn display_round_trips() {
        let extra = [
            "normal(0.1, 0.30000000000000004)",
            "uniform(-1e-300, 1e300)",
            "fixed(-0)",
        ];
        for text in ALL.iter().chain(&extra) {
            let dist = d(text);
            let shown = dist.to_string();
            let back = Distribution::parse(&shown);
            assert_eq!(back, Ok(dist.clone()), "{text} shown as {shown}");
            // Bit for bit, which `==` is not for -0.
            let bits = |d: Distribution| d.args().0.map(f64::to_bits);
            assert_eq!(bits(back.unwrap()), bits(dist), "{text} shown as {shown}");
        }
        assert_eq!(
            d("normal( -0.03 , 0.01 )").to_string(),
            "normal(-0.03, 0.01)"
        );
        assert_eq!(d("fixed(2.0)").to_string(), "fixed(2)");
        assert_eq!(d("pert(0, 3e-2, 0.08)").to_string(), "pert(0, 0.03, 0.08)");
    }

    #[rustfmt::skip]
    const PARSE_ERRORS: &[(&str, usize, &str)] = &[
        ("", 0, "expected a distribution such as `normal(0, 1)`, found nothing"),
        ("   ", 3, "expected a distribution such as `normal(0, 1)`, found nothing"),
        ("0.5", 0, "expected a distribution name such as `normal`, found `0`"),
        ("normall(0, 1)", 0, "unknown distribution `normall`; did you mean `normal`?"),
        ("  gauss(0, 1)", 2, "unknown distribution `gauss`; the distributions are fixed, normal, lognormal, uniform, triangular, beta, pert"),
        ("normal", 6, "expected `(` after `normal`, found the end of the text"),
        ("normal[0, 1]", 6, "expected `(` after `normal`, found `[`"),
        ("normal(0, 1", 11, "missing `)` to close `normal(`"),
        ("normal(0 1)", 9, "expected `,` or `)` after a number, found `1`"),
        ("normal(0, )", 10, "expected a number, found `)`"),
        ("normal(0,", 9, "expected a number, found the end of the text"),
        ("normal(0, x)", 10, "`x` is not a number"),
        ("normal(0, 1e)", 10, "`1e` is not a number"),
        ("normal(0, 1) + 2", 13, "unexpected `+` after the closing `)`"),
        ("normal(0, -1)", 10, "normal(mean, sd) needs sd > 0, got -1"),
        ("uniform(2, 1)", 11, "uniform(low, high) needs low < high, got 2 and 1"),
        ("triangular(0, 2, 1)", 14, "triangular(low, mode, high) needs low <= mode <= high, got 0, 2 and 1"),
        ("normal(0, 1, 2)", 13, "normal takes 2 arguments (mean, sd), got 3"),
        ("pert(0, 1)", 9, "pert takes 3 arguments (low, mode, high), got 2"),
        ("fixed()", 6, "fixed takes 1 argument (value), got 0"),
        ("normal(0, inf)", 10, "normal(mean, sd) needs finite numbers, got inf for sd"),
        ("normal(NaN, 1)", 7, "normal(mean, sd) needs finite numbers, got NaN for mean"),
        ("uniform(-1e308, 1e308)", 0, "uniform(low, high) with these numbers reaches values too large to compute with"),
        // Multi-byte text: offsets are in bytes, on char boundaries.
        ("normal(é, 1)", 7, "`é` is not a number"),
        ("normal(0, 1)→", 12, "unexpected `→` after the closing `)`"),
        ("normal(0,\u{a0}−1)", 11, "`−1` is not a number"),
        ("é(1)", 0, "expected a distribution name such as `normal`, found `é`"),
    ];

    #[test]
    fn parse_reports_errors_with_offsets() {
        for &(text, offset, message) in PARSE_ERRORS {
            let got = Distribution::parse(text);
            assert_eq!(got, Err((offset, message.to_string())), "{text:?}");
        }
    }

    #[test]
    fn tells_calls_from_names() {
        for text in ["normal(0, 1)", " pert (", "normall(", "f(x"] {
            assert!(Distribution::looks_like_call(text), "{text}");
        }
        for text in ["russia_decline", "", "(1)", "0.5(", "normal", "a b(", "é("] {
            assert!(!Distribution::looks_like_call(text), "{text}");
        }
    }
}
