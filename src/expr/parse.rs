//! Parser for the expression language of scenario files (metric definitions and event
//! conditions). It turns text into an [`Ast`] whose nodes carry byte [`Span`]s, so that a later
//! pass can resolve names, check types and put a caret under the offending token. Nothing here
//! knows which names or functions exist: `share("x", "y")` and `foo(1)` are both just calls.
//! The tokens come from `lex.rs`.

use super::lex::{Lexer, Tok, Token};

/// Byte range into the expression text, half-open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// Offset of the first byte.
    pub start: usize,
    /// Offset one past the last byte.
    pub end: usize,
}

/// A prefix operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    /// `-x`.
    Neg,
    /// `not x`.
    Not,
}

/// An infix operator, loosest first: `or`, `and`, comparisons, `+ -`, `* /`, `^`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    /// `+`.
    Add,
    /// `-`.
    Sub,
    /// `*`.
    Mul,
    /// `/`.
    Div,
    /// `^`, power (right-associative).
    Pow,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
    /// `==`.
    Eq,
    /// `!=`.
    Ne,
    /// `and`.
    And,
    /// `or`.
    Or,
}

impl BinaryOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Pow => "^",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::And => "and",
            BinaryOp::Or => "or",
        }
    }
}

/// An expression as written, names unresolved; every node knows its span.
#[derive(Debug, Clone, PartialEq)]
pub enum Ast {
    /// A number literal.
    Number {
        /// Its value.
        value: f64,
        /// Where it is written.
        span: Span,
    },
    /// `span` includes the quotes.
    Str {
        /// The text between the quotes (single or double; there are no escapes).
        value: String,
        /// Where it is written.
        span: Span,
    },
    /// Bare names such as `year`, `true`, `false`.
    Ident {
        /// The name as written.
        name: String,
        /// Where it is written.
        span: Span,
    },
    /// `span` runs from the start of the name through the closing `)`.
    Call {
        /// The function's name as written, such as `share`.
        name: String,
        /// Where the name is written.
        name_span: Span,
        /// The arguments, in order.
        args: Vec<Ast>,
        /// Where the call is written, name to `)`.
        span: Span,
    },
    /// A prefix operator and its operand.
    Unary {
        /// The operator.
        op: UnaryOp,
        /// What it applies to.
        operand: Box<Ast>,
        /// From the operator through the operand.
        span: Span,
    },
    /// A comparison or a `^`, which do not chain.
    Binary {
        /// The operator.
        op: BinaryOp,
        /// The left operand.
        lhs: Box<Ast>,
        /// The right operand.
        rhs: Box<Ast>,
        /// From the left operand's start to the right one's end.
        span: Span,
    },
    /// Operands joined by operators of one precedence level (`+ -`, `* /`, `and`, `or`),
    /// applied left to right: `a - b + c` is `(a - b) + c`. Each link is the operator, its span
    /// and the operand after it. A chain is one level of nesting however long it is.
    Chain {
        /// The first operand.
        first: Box<Ast>,
        /// Each further operator, its span and the operand after it.
        rest: Vec<(BinaryOp, Span, Ast)>,
        /// From the first operand's start to the last one's end.
        span: Span,
    },
}

impl Ast {
    /// Where the node is written, in the expression's text.
    pub fn span(&self) -> Span {
        match self {
            Ast::Number { span, .. }
            | Ast::Str { span, .. }
            | Ast::Ident { span, .. }
            | Ast::Call { span, .. }
            | Ast::Unary { span, .. }
            | Ast::Binary { span, .. }
            | Ast::Chain { span, .. } => *span,
        }
    }

    /// The expression with every bare name `ident` replaced by the string `value`, written at
    /// the name's place; `None` when `ident` does not occur (a leader metric's `actor`).
    pub fn with_name_as_string(&self, ident: &str, value: &str) -> Option<Ast> {
        let mut found = false;
        let replaced = self.replace(ident, value, &mut found);
        found.then_some(replaced)
    }

    fn replace(&self, ident: &str, value: &str, found: &mut bool) -> Ast {
        let mut go = |a: &Ast| a.replace(ident, value, found);
        match self {
            Ast::Ident { name, span } if name == ident => {
                *found = true;
                Ast::Str {
                    value: value.to_string(),
                    span: *span,
                }
            }
            Ast::Number { .. } | Ast::Str { .. } | Ast::Ident { .. } => self.clone(),
            Ast::Call {
                name,
                name_span,
                args,
                span,
            } => Ast::Call {
                name: name.clone(),
                name_span: *name_span,
                args: args.iter().map(go).collect(),
                span: *span,
            },
            Ast::Unary { op, operand, span } => Ast::Unary {
                op: *op,
                operand: Box::new(go(operand)),
                span: *span,
            },
            Ast::Binary { op, lhs, rhs, span } => Ast::Binary {
                op: *op,
                lhs: Box::new(go(lhs)),
                rhs: Box::new(go(rhs)),
                span: *span,
            },
            Ast::Chain { first, rest, span } => Ast::Chain {
                first: Box::new(go(first)),
                rest: rest.iter().map(|(op, s, a)| (*op, *s, go(a))).collect(),
                span: *span,
            },
        }
    }

    /// The first thing the expression reads that changes during a run — a share, a regime, a
    /// factor, an event, the year — or that is known only once the run has started
    /// (`start(...)`), as its name and where it is written; `None` when it reads only numbers
    /// and parameters.
    pub fn first_state_read(&self) -> Option<(&str, Span)> {
        match self {
            Ast::Number { .. } | Ast::Str { .. } => None,
            Ast::Ident { name, span } => (name == "year").then_some((name.as_str(), *span)),
            Ast::Call {
                name,
                name_span,
                args,
                ..
            } => {
                if matches!(
                    name.as_str(),
                    "share"
                        | "region"
                        | "regime"
                        | "factor"
                        | "fired"
                        | "fired_year"
                        | "start"
                        | "lag"
                        | "mean_over"
                        | "min_over"
                        | "max_over"
                ) {
                    Some((name.as_str(), *name_span))
                } else {
                    args.iter().find_map(Ast::first_state_read)
                }
            }
            Ast::Unary { operand, .. } => operand.first_state_read(),
            Ast::Binary { lhs, rhs, .. } => {
                lhs.first_state_read().or_else(|| rhs.first_state_read())
            }
            Ast::Chain { first, rest, .. } => first
                .first_state_read()
                .or_else(|| rest.iter().find_map(|(_, _, e)| e.first_state_read())),
        }
    }
}

/// Why the text is not an expression, and where.
#[derive(Debug, Clone, PartialEq)]
pub struct ParseError {
    /// Where the problem is, in the expression's text.
    pub span: Span,
    /// What is wrong, in one sentence.
    pub message: String,
}

/// Deepest nesting of parentheses/operators accepted; deeper input is an error, never a stack
/// overflow.
///
/// Every parenthesis pair, call, unary operator, comparison and `^` between the root and the
/// innermost operand counts as one level. A chain of one precedence level (`a + b - c`,
/// `a and b and c`) is a single node, so it counts as one level however long it is: a flat
/// chain is not nesting. `^` is right-associative, `2^3^2` is `2^(3^2)`, so each `^` is a
/// level. The limit bounds the height of the returned tree, so callers may walk it
/// recursively.
pub const MAX_DEPTH: usize = 256;

/// Parses `text` as exactly one expression.
pub fn parse(text: &str) -> Result<Ast, ParseError> {
    let mut parser = Parser::new(text)?;
    let parsed = parser.expression()?;
    match parser.current.kind {
        Tok::Eof => Ok(parsed.ast),
        Tok::RParen => Err(parser.error_here("unexpected `)` with no matching `(`")),
        _ => Err(parser.error_here(format!(
            "unexpected {} after a complete expression; expected an operator",
            parser.found()
        ))),
    }
}

pub(super) type PResult<T> = Result<T, ParseError>;

pub(super) fn error(start: usize, end: usize, message: impl Into<String>) -> ParseError {
    ParseError {
        span: Span { start, end },
        message: message.into(),
    }
}

fn too_deep(at: Span) -> ParseError {
    ParseError {
        span: at,
        message: format!("expression nested deeper than {MAX_DEPTH} levels"),
    }
}

/// A subtree and its nesting depth, carried upwards so the depth limit is enforced while the
/// tree is built instead of by walking it again.
struct Parsed {
    ast: Ast,
    depth: usize,
}

/// Depth of a construct wrapping a child of depth `inner`, or the too-deep error at `at`.
fn deeper(inner: usize, at: Span) -> PResult<usize> {
    if inner >= MAX_DEPTH {
        Err(too_deep(at))
    } else {
        Ok(inner + 1)
    }
}

fn binary(op: BinaryOp, lhs: Parsed, rhs: Parsed, op_span: Span) -> PResult<Parsed> {
    let depth = deeper(lhs.depth.max(rhs.depth), op_span)?;
    let span = Span {
        start: lhs.ast.span().start,
        end: rhs.ast.span().end,
    };
    let ast = Ast::Binary {
        op,
        lhs: Box::new(lhs.ast),
        rhs: Box::new(rhs.ast),
        span,
    };
    Ok(Parsed { ast, depth })
}

fn comparison_op(tok: &Tok) -> Option<BinaryOp> {
    match tok {
        Tok::Lt => Some(BinaryOp::Lt),
        Tok::Le => Some(BinaryOp::Le),
        Tok::Gt => Some(BinaryOp::Gt),
        Tok::Ge => Some(BinaryOp::Ge),
        Tok::EqEq => Some(BinaryOp::Eq),
        Tok::Ne => Some(BinaryOp::Ne),
        _ => None,
    }
}

type Rule<'a> = fn(&mut Parser<'a>) -> PResult<Parsed>;

struct Parser<'a> {
    lexer: Lexer<'a>,
    current: Token,
    /// Span of the last consumed token, for messages like "expected ... after `+`".
    previous: Option<Span>,
    /// Constructs enclosing the current position. The depth in `Parsed` is only known on the
    /// way back up, by which time deep input would already have overflowed the stack, so this
    /// is checked on the way down. It never exceeds the final depth, so the two agree.
    level: usize,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> PResult<Self> {
        let mut lexer = Lexer::new(text);
        let current = lexer.next_token()?;
        Ok(Parser {
            lexer,
            current,
            previous: None,
            level: 0,
        })
    }

    /// Consumes the current token. Its successor is lexed right away, so a lexing error only
    /// surfaces once everything before it has been accepted: errors come out left to right.
    fn bump(&mut self) -> PResult<Token> {
        let next = self.lexer.next_token()?;
        let token = std::mem::replace(&mut self.current, next);
        self.previous = Some(token.span);
        Ok(token)
    }

    fn nested<T>(
        &mut self,
        opened_at: Span,
        inner: impl FnOnce(&mut Self) -> PResult<T>,
    ) -> PResult<T> {
        if self.level >= MAX_DEPTH {
            return Err(too_deep(opened_at));
        }
        self.level += 1;
        let result = inner(self);
        self.level -= 1;
        result
    }

    fn expression(&mut self) -> PResult<Parsed> {
        self.left_assoc(Self::conjunction, |tok| {
            (*tok == Tok::Or).then_some(BinaryOp::Or)
        })
    }

    fn conjunction(&mut self) -> PResult<Parsed> {
        self.left_assoc(Self::logical_not, |tok| {
            (*tok == Tok::And).then_some(BinaryOp::And)
        })
    }

    fn logical_not(&mut self) -> PResult<Parsed> {
        self.prefix(&Tok::Not, UnaryOp::Not, Self::comparison)
    }

    fn comparison(&mut self) -> PResult<Parsed> {
        let lhs = self.sum()?;
        let Some(op) = comparison_op(&self.current.kind) else {
            return Ok(lhs);
        };
        let op_span = self.bump()?.span;
        let rhs = self.nested(op_span, Self::sum)?;
        // `a < b < c` means something different in every language that accepts it.
        if comparison_op(&self.current.kind).is_some() {
            return Err(self.error_here("comparisons cannot be chained; use `and` to combine them"));
        }
        binary(op, lhs, rhs, op_span)
    }

    fn sum(&mut self) -> PResult<Parsed> {
        self.left_assoc(Self::product, |tok| match tok {
            Tok::Plus => Some(BinaryOp::Add),
            Tok::Minus => Some(BinaryOp::Sub),
            _ => None,
        })
    }

    fn product(&mut self) -> PResult<Parsed> {
        self.left_assoc(Self::negation, |tok| match tok {
            Tok::Star => Some(BinaryOp::Mul),
            Tok::Slash => Some(BinaryOp::Div),
            _ => None,
        })
    }

    fn negation(&mut self) -> PResult<Parsed> {
        self.prefix(&Tok::Minus, UnaryOp::Neg, Self::power)
    }

    fn power(&mut self) -> PResult<Parsed> {
        let base = self.primary()?;
        if self.current.kind != Tok::Caret {
            return Ok(base);
        }
        let op_span = self.bump()?.span;
        // Going back up to `negation` makes `2^-1` legal and `2^3^2` nest to the right, while
        // `-2^2` stays `-(2^2)` because the base is only a primary.
        let exponent = self.nested(op_span, Self::negation)?;
        binary(BinaryOp::Pow, base, exponent, op_span)
    }

    /// A loop rather than recursion, and one `Chain` node rather than a tree: a flat chain
    /// costs no stack and is one level deep however long it is.
    fn left_assoc(
        &mut self,
        operand: Rule<'a>,
        operator: fn(&Tok) -> Option<BinaryOp>,
    ) -> PResult<Parsed> {
        let first = operand(self)?;
        let Some(op) = operator(&self.current.kind) else {
            return Ok(first);
        };
        let first_op_span = self.current.span;
        let mut depth = first.depth;
        let mut rest = Vec::new();
        let mut next = Some(op);
        while let Some(op) = next {
            let op_span = self.bump()?.span;
            let rhs = self.nested(op_span, operand)?;
            depth = depth.max(rhs.depth);
            rest.push((op, op_span, rhs.ast));
            next = operator(&self.current.kind);
        }
        let span = Span {
            start: first.ast.span().start,
            end: rest
                .last()
                .map_or(first.ast.span().end, |(_, _, a)| a.span().end),
        };
        Ok(Parsed {
            depth: deeper(depth, first_op_span)?,
            ast: Ast::Chain {
                first: Box::new(first.ast),
                rest,
                span,
            },
        })
    }

    fn prefix(&mut self, token: &Tok, op: UnaryOp, operand: Rule<'a>) -> PResult<Parsed> {
        if self.current.kind != *token {
            return operand(self);
        }
        let op_span = self.bump()?.span;
        let inner = self.nested(op_span, |p| p.prefix(token, op, operand))?;
        let ast = Ast::Unary {
            op,
            span: Span {
                start: op_span.start,
                end: inner.ast.span().end,
            },
            operand: Box::new(inner.ast),
        };
        Ok(Parsed {
            ast,
            depth: deeper(inner.depth, op_span)?,
        })
    }

    fn primary(&mut self) -> PResult<Parsed> {
        let span = self.current.span;
        let ast = match &mut self.current.kind {
            Tok::Number(value) => {
                let value = *value;
                self.bump()?;
                Ast::Number { value, span }
            }
            Tok::Str(value) => {
                let value = std::mem::take(value);
                self.bump()?;
                Ast::Str { value, span }
            }
            Tok::Ident(name) => {
                let name = std::mem::take(name);
                self.bump()?;
                if self.current.kind == Tok::LParen {
                    return self.call(name, span);
                }
                Ast::Ident { name, span }
            }
            Tok::LParen => {
                self.bump()?;
                return self.nested(span, |p| p.parenthesised(span));
            }
            _ => return Err(self.expected_expression()),
        };
        Ok(Parsed { ast, depth: 0 })
    }

    fn parenthesised(&mut self, open: Span) -> PResult<Parsed> {
        let inner = self.expression()?;
        if self.current.kind != Tok::RParen {
            return Err(self.error_here(format!(
                "expected `)` to close `(` opened at byte {}, found {}",
                open.start,
                self.found()
            )));
        }
        self.bump()?;
        // No node is left behind, but the parentheses still count, or `((((…))))` would recurse
        // without limit.
        Ok(Parsed {
            depth: deeper(inner.depth, open)?,
            ast: inner.ast,
        })
    }

    fn call(&mut self, name: String, name_span: Span) -> PResult<Parsed> {
        let open = self.bump()?.span;
        self.nested(open, |p| p.arguments(name, name_span, open))
    }

    fn arguments(&mut self, name: String, name_span: Span, open: Span) -> PResult<Parsed> {
        let mut args = Vec::new();
        let mut depth = 0;
        if self.current.kind != Tok::RParen {
            loop {
                let arg = self.expression()?;
                depth = depth.max(arg.depth);
                args.push(arg.ast);
                match self.current.kind {
                    Tok::Comma => {
                        self.bump()?;
                    }
                    Tok::RParen => break,
                    _ => {
                        return Err(self.error_here(format!(
                            "expected `,` or `)` in the call to `{name}`, found {}",
                            self.found()
                        )));
                    }
                }
            }
        }
        let close = self.bump()?.span;
        let span = Span {
            start: name_span.start,
            end: close.end,
        };
        Ok(Parsed {
            depth: deeper(depth, open)?,
            ast: Ast::Call {
                name,
                name_span,
                args,
                span,
            },
        })
    }

    fn expected_expression(&self) -> ParseError {
        let after = match self.previous {
            Some(prev) => format!(" after `{}`", &self.lexer.text[prev.start..prev.end]),
            None => String::new(),
        };
        self.error_here(format!(
            "expected an expression{after}, found {}",
            self.found()
        ))
    }

    /// The current token as it reads in the source, for "found …" in messages.
    fn found(&self) -> String {
        match self.current.kind {
            Tok::Eof => "end of input".to_owned(),
            _ => {
                let Span { start, end } = self.current.span;
                format!("`{}`", &self.lexer.text[start..end])
            }
        }
    }

    fn error_here(&self, message: impl Into<String>) -> ParseError {
        ParseError {
            span: self.current.span,
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sexpr(ast: &Ast) -> String {
        match ast {
            Ast::Number { value, .. } => value.to_string(),
            Ast::Str { value, .. } => format!("{value:?}"),
            Ast::Ident { name, .. } => name.clone(),
            Ast::Call { name, args, .. } => {
                let parts: Vec<String> = std::iter::once(name.clone())
                    .chain(args.iter().map(sexpr))
                    .collect();
                format!("({})", parts.join(" "))
            }
            Ast::Unary { op, operand, .. } => {
                let op = match op {
                    UnaryOp::Neg => "neg",
                    UnaryOp::Not => "not",
                };
                format!("({op} {})", sexpr(operand))
            }
            Ast::Chain { first, rest, .. } => {
                // Shown as the left-nested tree it stands for.
                let mut out = sexpr(first);
                for (op, _, operand) in rest {
                    out = format!("({} {out} {})", op.symbol(), sexpr(operand));
                }
                out
            }
            Ast::Binary { op, lhs, rhs, .. } => {
                format!("({} {} {})", op.symbol(), sexpr(lhs), sexpr(rhs))
            }
        }
    }

    /// Pre-order spans of every node; a call contributes its span then its name span.
    fn spans(ast: &Ast, out: &mut Vec<(usize, usize)>) {
        let Span { start, end } = ast.span();
        out.push((start, end));
        match ast {
            Ast::Call {
                name_span, args, ..
            } => {
                out.push((name_span.start, name_span.end));
                args.iter().for_each(|arg| spans(arg, out));
            }
            Ast::Unary { operand, .. } => spans(operand, out),
            Ast::Binary { lhs, rhs, .. } => {
                spans(lhs, out);
                spans(rhs, out);
            }
            Ast::Chain { first, rest, .. } => {
                spans(first, out);
                rest.iter().for_each(|(_, _, operand)| spans(operand, out));
            }
            _ => {}
        }
    }

    #[test]
    fn precedence_and_associativity() {
        let cases = [
            ("1 + 2 * 3", "(+ 1 (* 2 3))"),
            ("1 - 2 - 3", "(- (- 1 2) 3)"),
            ("8 / 4 / 2", "(/ (/ 8 4) 2)"),
            ("(1 + 2) * 3", "(* (+ 1 2) 3)"),
            ("2 ^ 3 ^ 2", "(^ 2 (^ 3 2))"),
            ("-2 ^ 2", "(neg (^ 2 2))"),
            ("2 ^ -1", "(^ 2 (neg 1))"),
            ("2^-x^2", "(^ 2 (neg (^ x 2)))"),
            ("-x * y", "(* (neg x) y)"),
            ("- - 1", "(neg (neg 1))"),
            ("a or b and c", "(or a (and b c))"),
            ("a and b or c", "(or (and a b) c)"),
            ("a or b or c", "(or (or a b) c)"),
            ("not a == b", "(not (== a b))"),
            ("not a and b", "(and (not a) b)"),
            ("not not a", "(not (not a))"),
            ("a + b < c * d", "(< (+ a b) (* c d))"),
            ("(a <= b) != c", "(!= (<= a b) c)"),
            ("f()", "(f)"),
            ("f (1)", "(f 1)"),
            ("\t1\n+\r2 ", "(+ 1 2)"),
            (".5 + 1e-3 + 2.5E+4 + 1.", "(+ (+ (+ 0.5 0.001) 25000) 1)"),
            ("android or notable", "(or android notable)"),
            ("true and _x1", "(and true _x1)"),
            (
                r#"share("kazakhstan", "china") > share("kazakhstan", "russia")"#,
                r#"(> (share "kazakhstan" "china") (share "kazakhstan" "russia"))"#,
            ),
            (
                r#"region('russia') < 0.25 and regime("war") == "setback""#,
                r#"(and (< (region "russia") 0.25) (== (regime "war") "setback"))"#,
            ),
            (
                r#"not fired("coercion") or year >= 2030"#,
                r#"(or (not (fired "coercion")) (>= year 2030))"#,
            ),
            (
                r#"max(share("kazakhstan","china"), 0.1) ^ 2 * -3.5e-1 / 2"#,
                r#"(/ (* (^ (max (share "kazakhstan" "china") 0.1) 2) (neg 0.35)) 2)"#,
            ),
            (
                r#"exp(param("x")) - ln(2) + sqrt(4) + abs(-1) + sin(0) + cos(0)"#,
                r#"(+ (+ (+ (+ (- (exp (param "x")) (ln 2)) (sqrt 4)) (abs (neg 1))) (sin 0)) (cos 0))"#,
            ),
            (r#"'it"s' + "é""#, r#"(+ "it\"s" "é")"#),
        ];
        for (input, expected) in cases {
            match parse(input) {
                Ok(ast) => assert_eq!(sexpr(&ast), expected, "input: {input:?}"),
                Err(e) => panic!("{input:?} failed to parse: {e:?}"),
            }
        }
    }

    #[test]
    fn errors() {
        let cases = [
            ("", (0, 0), "expected an expression, found end of input"),
            ("   ", (3, 3), "found end of input"),
            ("1 +", (3, 3), "an expression after `+`, found end of input"),
            ("+1", (0, 1), "expected an expression, found `+`"),
            ("()", (1, 2), "expected an expression after `(`, found `)`"),
            ("1 2", (2, 3), "unexpected `2` after a complete expression"),
            ("1 2 @", (2, 3), "unexpected `2`"),
            ("1)", (1, 2), "unexpected `)` with no matching `(`"),
            ("(1 + 2", (6, 6), "opened at byte 0, found end of input"),
            ("((1) 2)", (5, 6), "close `(` opened at byte 0, found `2`"),
            ("f(1", (3, 3), "`,` or `)` in the call to `f`, found end of"),
            ("f(1 2)", (4, 5), "`,` or `)` in the call to `f`, found `2`"),
            ("f(1,)", (4, 5), "an expression after `,`, found `)`"),
            ("f(,1)", (2, 3), "an expression after `(`, found `,`"),
            ("a < b < c", (6, 7), "cannot be chained; use `and`"),
            ("a == b != c", (7, 9), "comparisons cannot be chained"),
            ("not a < b >= c", (10, 12), "comparisons cannot be chained"),
            ("a = 1", (2, 3), "`=` is not an operator; use `==` to"),
            ("a =< 1", (2, 3), "use `==`"),
            ("a && b", (2, 4), "use `and`"),
            ("a || b", (2, 4), "use `or`"),
            ("!a", (0, 1), "use `not`"),
            ("2 ** 3", (2, 4), "use `^`"),
            ("2 ^ not x", (4, 7), "expression after `^`, found `not`"),
            ("and", (0, 3), "found `and`"),
            ("1 # 2", (2, 3), "unexpected character `#`"),
            ("1 + é", (4, 6), "unexpected character `é`"),
            ("€", (0, 3), "unexpected character `€`"),
            (".", (0, 1), "unexpected character `.`"),
            ("\"abc", (0, 4), "expected a closing `\"`"),
            ("'ab\" + 1", (0, 8), "expected a closing `'`"),
            ("1e999", (0, 5), "too large"),
            ("\"a\nb", (0, 4), "unterminated string"),
            ("1e", (0, 2), "malformed number `1e`"),
            ("1e+ 2", (0, 2), "malformed number `1e`"),
            ("1.2.3", (0, 5), "malformed number `1.2.3`"),
            ("2x", (0, 2), "malformed number `2x`"),
        ];
        for (input, (start, end), needle) in cases {
            match parse(input) {
                Ok(ast) => panic!("{input:?} parsed as {}", sexpr(&ast)),
                Err(e) => {
                    assert_eq!(e.span, Span { start, end }, "span for {input:?}: {e:?}");
                    assert!(e.message.contains(needle), "message for {input:?}: {e:?}");
                }
            }
        }
    }

    #[test]
    fn node_spans() {
        let cases: [(&str, &[(usize, usize)]); 6] = [
            (
                r#"share("a", "b") > 0.5"#,
                &[(0, 21), (0, 15), (0, 5), (6, 9), (11, 14), (18, 21)],
            ),
            ("1 + -x", &[(0, 6), (0, 1), (4, 6), (5, 6)]),
            ("not  a", &[(0, 6), (5, 6)]),
            ("(1 + 2)", &[(1, 6), (1, 2), (5, 6)]),
            ("(1) * 2", &[(1, 7), (1, 2), (6, 7)]),
            (r#""é" + f()"#, &[(0, 10), (0, 4), (7, 10), (7, 8)]),
        ];
        for (input, expected) in cases {
            let ast = parse(input).unwrap_or_else(|e| panic!("{input:?}: {e:?}"));
            let mut got = Vec::new();
            spans(&ast, &mut got);
            assert_eq!(got, expected, "spans for {input:?}");
        }
    }

    #[test]
    fn depth_limit_is_exact_for_every_kind_of_nesting() {
        type Shape = (&'static str, fn(usize) -> String);
        let shapes: [Shape; 11] = [
            ("parens", |n| format!("{}1{}", "(".repeat(n), ")".repeat(n))),
            ("calls", |n| format!("{}1{}", "f(".repeat(n), ")".repeat(n))),
            ("negation", |n| format!("{}1", "-".repeat(n))),
            ("not", |n| format!("{}x", "not ".repeat(n))),
            ("right chain", |n| format!("2{}", "^2".repeat(n))),
            // A chain is one level, entered after the brackets around it.
            ("chain in parens", |n| {
                format!("{}1 + 1 - 1{}", "(".repeat(n - 1), ")".repeat(n - 1))
            }),
            ("chain in calls", |n| {
                format!("{}1 * 1{}", "f(".repeat(n - 1), ")".repeat(n - 1))
            }),
            ("chain first in parens", |n| {
                format!("{}1{} + 1", "(".repeat(n - 1), ")".repeat(n - 1))
            }),
            ("negated chain", |n| {
                format!("{}(1 - 1 - 1)", "-".repeat(n - 2))
            }),
            // Chains in chains: each bracketed chain is two levels, the bracket and the chain.
            ("nested sums", |n| {
                let (k, odd) = (n / 2, n % 2);
                let (open, close) = ("(".repeat(odd), ")".repeat(odd));
                format!("{open}{}1{}{close}", "1 + (".repeat(k), ")".repeat(k))
            }),
            ("nested comparisons", |n| {
                let (k, odd) = (n / 2, n % 2);
                let (open, close) = ("(".repeat(odd), ")".repeat(odd));
                format!("{open}{}1{}{close}", "(1 < ".repeat(k), ")".repeat(k))
            }),
        ];
        let message = format!("expression nested deeper than {MAX_DEPTH} levels");
        for (shape, make) in shapes {
            assert!(parse(&make(MAX_DEPTH)).is_ok(), "{shape} at the limit");
            for n in [MAX_DEPTH + 1, 1_000, 10_000] {
                match parse(&make(n)) {
                    Ok(_) => panic!("{shape} x{n} parsed"),
                    Err(e) => assert_eq!(e.message, message, "{shape} x{n}"),
                }
            }
        }
    }

    #[test]
    fn a_flat_chain_is_one_level_however_long() {
        for n in [MAX_DEPTH, MAX_DEPTH + 1, 10_000, 200_000] {
            for (first, link) in [
                ("1", " + 1"),
                ("a", " or a"),
                ("2", " * 2 / 2"),
                ("1", "-1"),
            ] {
                let input = format!("{first}{}", link.repeat(n));
                let ast = parse(&input).unwrap_or_else(|e| panic!("{n} links of {link:?}: {e:?}"));
                assert_eq!(
                    ast.span(),
                    Span {
                        start: 0,
                        end: input.len()
                    }
                );
            }
        }
        // Inside the deepest brackets allowed, a chain still fits.
        let input = format!(
            "{}1{}{}",
            "(".repeat(MAX_DEPTH - 1),
            " + 1".repeat(1000),
            ")".repeat(MAX_DEPTH - 1)
        );
        assert!(parse(&input).is_ok());
    }

    #[test]
    fn wide_but_shallow_input_is_not_mistaken_for_deep() {
        let args = vec!["-(x) * not_(y)"; 1_000].join(", ");
        let input = format!("f({args}) and g() < h(1)");
        assert!(parse(&input).is_ok());
    }

    #[test]
    fn very_deep_parens_fail_cleanly_on_a_default_stack() {
        let input = format!("{}1{}", "(".repeat(100_000), ")".repeat(100_000));
        let result = std::thread::Builder::new()
            .stack_size(2 * 1024 * 1024)
            .spawn(move || parse(&input))
            .expect("spawning a test thread")
            .join()
            .expect("parser thread panicked or overflowed");
        let e = result.expect_err("100,000 nested parens must be rejected");
        assert!(e.message.contains("nested deeper"), "{e:?}");
    }

    #[test]
    fn short_inputs_never_panic_and_spans_stay_on_char_boundaries() {
        // The brief's alphabet plus `é` (multi-byte) and `.` (number edge cases).
        let alphabet = [
            '(', ')', '1', 'a', '"', '+', '-', '<', '=', 'n', 'o', 't', ',', ' ', 'é', '.',
        ];
        let mut layer = vec![String::new()];
        let mut count = 0;
        for _ in 0..=3 {
            for input in &layer {
                let span = match parse(input) {
                    Ok(ast) => ast.span(),
                    Err(e) => e.span,
                };
                assert!(
                    span.start <= span.end
                        && input.is_char_boundary(span.start)
                        && input.is_char_boundary(span.end),
                    "{input:?} gave {span:?}"
                );
                count += 1;
            }
            layer = layer
                .iter()
                .flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}")))
                .collect();
        }
        assert_eq!(count, 1 + 16 + 16 * 16 + 16 * 16 * 16);
    }
}
