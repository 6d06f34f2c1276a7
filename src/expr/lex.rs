//! The tokens of the expression language, and the lexer that cuts text into them for
//! `parse`: numbers, strings in either quote, names and keywords (`and`, `or`, `not`),
//! operators — and, for a common slip from other languages (`!`, `&&`, `||`, `=`), a message
//! that says what to write instead.

use super::parse::{PResult, ParseError, Span, error};

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    Number(f64),
    Str(String),
    Ident(String),
    LParen,
    RParen,
    Comma,
    Plus,
    Minus,
    Star,
    Slash,
    Caret,
    Lt,
    Le,
    Gt,
    Ge,
    EqEq,
    Ne,
    And,
    Or,
    Not,
    Eof,
}

#[derive(Debug)]
pub(super) struct Token {
    pub(super) kind: Tok,
    pub(super) span: Span,
}

pub(super) struct Lexer<'a> {
    /// The whole expression, which messages quote from.
    pub(super) text: &'a str,
    /// Always on a char boundary: only ASCII bytes and whole tokens are ever skipped.
    pos: usize,
}

impl<'a> Lexer<'a> {
    pub(super) fn new(text: &'a str) -> Lexer<'a> {
        Lexer { text, pos: 0 }
    }

    pub(super) fn next_token(&mut self) -> PResult<Token> {
        let bytes = self.text.as_bytes();
        while matches!(bytes.get(self.pos), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
        let start = self.pos;
        let Some(&first) = bytes.get(start) else {
            return Ok(Token {
                kind: Tok::Eof,
                span: Span { start, end: start },
            });
        };
        let (kind, len) = match (first, bytes.get(start + 1).copied()) {
            (b'0'..=b'9', _) | (b'.', Some(b'0'..=b'9')) => return self.number(start),
            (b'"' | b'\'', _) => return self.string(start, first),
            (b'a'..=b'z' | b'A'..=b'Z' | b'_', _) => return Ok(self.word(start)),
            (b'(', _) => (Tok::LParen, 1),
            (b')', _) => (Tok::RParen, 1),
            (b',', _) => (Tok::Comma, 1),
            (b'+', _) => (Tok::Plus, 1),
            (b'-', _) => (Tok::Minus, 1),
            (b'*', Some(b'*')) => {
                return Err(error(
                    start,
                    start + 2,
                    "`**` is not an operator; use `^` for powers",
                ));
            }
            (b'*', _) => (Tok::Star, 1),
            (b'/', _) => (Tok::Slash, 1),
            (b'^', _) => (Tok::Caret, 1),
            (b'<', Some(b'=')) => (Tok::Le, 2),
            (b'<', _) => (Tok::Lt, 1),
            (b'>', Some(b'=')) => (Tok::Ge, 2),
            (b'>', _) => (Tok::Gt, 1),
            (b'=', Some(b'=')) => (Tok::EqEq, 2),
            (b'!', Some(b'=')) => (Tok::Ne, 2),
            // Habits from other languages: say what to write instead of "unexpected character".
            (b'=', _) => {
                return Err(error(
                    start,
                    start + 1,
                    "`=` is not an operator; use `==` to compare",
                ));
            }
            (b'!', _) => return Err(error(start, start + 1, "`!` is not an operator; use `not`")),
            (b'&', Some(b'&')) => {
                return Err(error(
                    start,
                    start + 2,
                    "`&&` is not an operator; use `and`",
                ));
            }
            (b'|', Some(b'|')) => {
                return Err(error(start, start + 2, "`||` is not an operator; use `or`"));
            }
            (b'&', _) => return Err(error(start, start + 1, "`&` is not an operator; use `and`")),
            (b'|', _) => return Err(error(start, start + 1, "`|` is not an operator; use `or`")),
            _ => return Err(self.unexpected_char(start)),
        };
        self.pos = start + len;
        Ok(Token {
            kind,
            span: Span {
                start,
                end: self.pos,
            },
        })
    }

    fn number(&mut self, start: usize) -> PResult<Token> {
        let bytes = self.text.as_bytes();
        let is_digit = |i: usize| bytes.get(i).is_some_and(u8::is_ascii_digit);
        let skip_digits = |mut i: usize| {
            while is_digit(i) {
                i += 1;
            }
            i
        };
        let mut end = skip_digits(start);
        if bytes.get(end) == Some(&b'.') {
            end = skip_digits(end + 1);
        }
        if matches!(bytes.get(end), Some(b'e' | b'E')) {
            let mut exponent = end + 1;
            if matches!(bytes.get(exponent), Some(b'+' | b'-')) {
                exponent += 1;
            }
            if is_digit(exponent) {
                end = skip_digits(exponent);
            }
        }
        // Anything word-like glued on (`1e`, `1.2.3`, `2x`) is reported as one bad number:
        // splitting it into a number and a stray token would blame the wrong thing.
        let glued = |i: usize| {
            bytes
                .get(i)
                .is_some_and(|&b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
        };
        if glued(end) {
            while glued(end) {
                end += 1;
            }
            let literal = &self.text[start..end];
            return Err(error(start, end, format!("malformed number `{literal}`")));
        }
        self.pos = end;
        let literal = &self.text[start..end];
        match literal.parse::<f64>() {
            Ok(value) if value.is_finite() => Ok(Token {
                kind: Tok::Number(value),
                span: Span { start, end },
            }),
            Ok(_) => Err(error(
                start,
                end,
                format!("number `{literal}` is too large for a 64-bit float"),
            )),
            Err(_) => Err(error(start, end, format!("malformed number `{literal}`"))),
        }
    }

    fn string(&mut self, start: usize, quote: u8) -> PResult<Token> {
        let body = start + 1;
        // The quote is ASCII, so a byte search can never stop inside a multi-byte character.
        let close = self.text.as_bytes()[body..]
            .iter()
            .position(|&b| b == quote)
            .map(|offset| body + offset);
        let Some(close) = close else {
            return Err(error(
                start,
                self.text.len(),
                format!(
                    "unterminated string; expected a closing `{}`",
                    char::from(quote)
                ),
            ));
        };
        self.pos = close + 1;
        Ok(Token {
            kind: Tok::Str(self.text[body..close].to_owned()),
            span: Span {
                start,
                end: self.pos,
            },
        })
    }

    fn word(&mut self, start: usize) -> Token {
        let bytes = self.text.as_bytes();
        let mut end = start;
        while bytes
            .get(end)
            .is_some_and(|&b| b.is_ascii_alphanumeric() || b == b'_')
        {
            end += 1;
        }
        self.pos = end;
        let kind = match &self.text[start..end] {
            "and" => Tok::And,
            "or" => Tok::Or,
            "not" => Tok::Not,
            name => Tok::Ident(name.to_owned()),
        };
        Token {
            kind,
            span: Span { start, end },
        }
    }

    fn unexpected_char(&self, start: usize) -> ParseError {
        // Cover the whole character so a caret renderer never splits a UTF-8 sequence.
        let ch = self.text[start..].chars().next().unwrap_or('\u{fffd}');
        error(
            start,
            (start + ch.len_utf8()).min(self.text.len()),
            format!("unexpected character `{}`", ch.escape_debug()),
        )
    }
}
