//! Name resolution and type checking: [`Ast`] → [`Expr`].
//!
//! Every error carries a span within the expression text, so the scenario loader can point at
//! the exact token inside the TOML string.

use super::parse::{Ast, BinaryOp, Span, UnaryOp};
use super::{Expr, Function};
use crate::diagnostic::unknown_name_hint;
use crate::scenario::AUTONOMY;

/// The names an expression may refer to, in the order that gives their indices.
#[derive(Debug, Clone, Default)]
pub struct Names {
    /// Targets, in the scenario's order.
    pub targets: Vec<String>,
    /// Actors; `autonomy` is accepted too and maps to the slot after the last actor.
    pub actors: Vec<String>,
    /// Channels, in the scenario's order.
    pub channels: Vec<String>,
    /// Drivers with their states (`None` for a factor).
    pub drivers: Vec<(String, Option<Vec<String>>)>,
    /// Named parameters.
    pub params: Vec<String>,
    /// Derived parameters (expressions of others), read with `param` too.
    pub derived: Vec<String>,
    /// Events, in the scenario's order.
    pub events: Vec<String>,
}

/// The functions of the expression language, by name (`log` is also `ln`).
pub const FUNCTIONS: [&str; 21] = [
    "share",
    "region",
    "regime",
    "factor",
    "param",
    "fired",
    "fired_year",
    "start",
    "lag",
    "mean_over",
    "min_over",
    "max_over",
    "if",
    "min",
    "max",
    "abs",
    "exp",
    "ln",
    "sqrt",
    "sin",
    "cos",
];

/// What an expression gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    /// A number, such as a share or `param("x") * 2`.
    Number,
    /// A condition (true or false; evaluates to 1.0 or 0.0), such as `fired("e")` or `a < b`.
    Condition,
}

/// A problem with an expression's names or types.
#[derive(Debug, Clone, PartialEq)]
pub struct CompileError {
    /// Where it is, in the expression's text.
    pub span: Span,
    /// What is wrong, in one sentence.
    pub message: String,
    /// What would be right (such as the nearest known name), when it can say.
    pub hint: Option<String>,
}

/// What expressions read of a run's past, shared by every expression of a scenario: the
/// `x` of each `start(x)`, and the windows of `lag`, `mean_over`, `min_over` and `max_over`.
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    /// Start expressions: the `x` of each `start(x)`, each distinct one once.
    pub starts: Vec<Expr>,
    /// Windows over the last points of an expression, each distinct one once.
    pub windows: Vec<Window>,
    /// Steps per year of the scenario, to turn a window's years into points.
    pub per_year: u32,
}

impl Default for History {
    fn default() -> History {
        History {
            starts: Vec::new(),
            windows: Vec::new(),
            per_year: 1,
        }
    }
}

/// `lag(x, n)`, `mean_over(x, n)`, `min_over(x, n)` or `max_over(x, n)`: what is kept of the
/// last points of `x`.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    /// Which summary of the points.
    pub kind: WindowKind,
    /// The expression whose past is kept.
    pub expr: Expr,
    /// For `lag`, how many points back; for the others, how many points (the current one
    /// included) the window holds. At least 1.
    pub points: usize,
}

/// What a [`Window`] gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowKind {
    /// The value `points` points ago.
    Lag,
    /// The mean of the last `points` points.
    Mean,
    /// Their least value.
    Min,
    /// Their greatest value.
    Max,
}

/// Resolves and type-checks `ast`. Returns every error found, not only the first.
///
/// `history` is shared by every expression of the scenario: each `start(x)` adds the compiled
/// `x` to its start expressions (unless an equal one is there already) and compiles to
/// [`Expr::Start`] with its index; each window function adds its [`Window`] likewise and
/// compiles to [`Expr::Window`]. An expression refused adds nothing. `start(start(x))` and a
/// window inside `start` or another window are refused.
pub fn compile(
    ast: &Ast,
    names: &Names,
    history: &mut History,
) -> Result<(Expr, Type), Vec<CompileError>> {
    let (starts, windows) = (history.starts.len(), history.windows.len());
    let mut compiler = Compiler {
        names,
        errors: Vec::new(),
        history,
        in_start: false,
    };
    let typed = compiler.expr(ast);
    let result = compiler.finish(typed, ast);
    if result.is_err() {
        history.starts.truncate(starts);
        history.windows.truncate(windows);
    }
    result
}

/// The hint for the bare name `actor` where no leader metric gives it a meaning.
const ACTOR_OUTSIDE_LEADER: &str = "`actor` stands for each actor in turn only in a metric of kind \"leader\"; elsewhere name one in quotes, e.g. region(\"china\")";

/// Intermediate results: strings and regimes exist only as arguments and comparison operands.
enum Typed {
    Value(Expr, Type),
    Str(String),
    Regime(usize),
}

impl Typed {
    fn describe(&self) -> &'static str {
        match self {
            Typed::Value(_, Type::Number) => "a number",
            Typed::Value(_, Type::Condition) => "a condition",
            Typed::Str(_) => "a string",
            Typed::Regime(_) => "a regime",
        }
    }
}

struct Compiler<'a> {
    names: &'a Names,
    errors: Vec<CompileError>,
    /// The scenario's start expressions and windows, which `start(x)`, `lag(x, n)` and the
    /// window functions add to.
    history: &'a mut History,
    /// Whether the argument of a `start(...)` or of a window is being compiled.
    in_start: bool,
}

impl Compiler<'_> {
    /// The result of compiling `ast` as a whole, once `typed` is its compiled form.
    fn finish(self, typed: Option<Typed>, ast: &Ast) -> Result<(Expr, Type), Vec<CompileError>> {
        match (typed, self.errors.is_empty()) {
            (Some(Typed::Value(expr, ty)), true) => Ok((expr, ty)),
            (Some(typed), true) => Err(vec![CompileError {
                span: ast.span(),
                message: format!("{} cannot stand alone here", typed.describe()),
                hint: Some(
                    "compare a regime with a state, e.g. regime(\"war\") == \"ceasefire\"".into(),
                ),
            }]),
            _ => Err(self.errors),
        }
    }

    fn error(&mut self, span: Span, message: impl Into<String>, hint: Option<String>) {
        self.errors.push(CompileError {
            span,
            message: message.into(),
            hint,
        });
    }

    fn expr(&mut self, ast: &Ast) -> Option<Typed> {
        match ast {
            Ast::Number { value, .. } => Some(Typed::Value(Expr::Const(*value), Type::Number)),
            Ast::Str { value, .. } => Some(Typed::Str(value.clone())),
            Ast::Ident { name, span } => match name.as_str() {
                "year" => Some(Typed::Value(Expr::Year, Type::Number)),
                "true" => Some(Typed::Value(Expr::Const(1.0), Type::Condition)),
                "false" => Some(Typed::Value(Expr::Const(0.0), Type::Condition)),
                _ => {
                    let hint = if self.names.params.iter().any(|p| p == name) {
                        format!("parameters are read with param(\"{name}\")")
                    } else if name == "actor" {
                        ACTOR_OUTSIDE_LEADER.to_string()
                    } else {
                        "names in expressions are `year`, `true`, `false`; everything else is a function call such as share(\"kazakhstan\", \"russia\")".to_string()
                    };
                    self.error(*span, format!("unknown name `{name}`"), Some(hint));
                    None
                }
            },
            Ast::Call {
                name,
                name_span,
                args,
                span,
            } => self.call(name, *name_span, args, *span),
            Ast::Unary { op, operand, span } => {
                let inner = self.expr(operand)?;
                match (op, inner) {
                    (UnaryOp::Neg, Typed::Value(e, Type::Number)) => {
                        Some(Typed::Value(Expr::Neg(Box::new(e)), Type::Number))
                    }
                    (UnaryOp::Not, Typed::Value(e, Type::Condition)) => {
                        Some(Typed::Value(Expr::Not(Box::new(e)), Type::Condition))
                    }
                    (UnaryOp::Neg, other) => {
                        self.error(
                            *span,
                            format!("`-` needs a number, found {}", other.describe()),
                            None,
                        );
                        None
                    }
                    (UnaryOp::Not, other) => {
                        self.error(
                            *span,
                            format!("`not` needs a condition, found {}", other.describe()),
                            None,
                        );
                        None
                    }
                }
            }
            Ast::Binary { op, lhs, rhs, span } => {
                let (a, b) = (self.expr(lhs), self.expr(rhs));
                self.binary(*op, a?, b?, lhs.span(), rhs, *span)
            }
            Ast::Chain { first, rest, .. } => self.chain(first, rest),
        }
    }

    /// A chain `a op b op c …`, checked link by link as the left-nested tree it stands for
    /// (the same messages), but built as one `Expr::Chain`, so that a long chain is as flat
    /// to evaluate as it was to parse. Every operand is compiled, for its own errors, even
    /// after a link fails.
    fn chain(&mut self, first: &Ast, rest: &[(BinaryOp, Span, Ast)]) -> Option<Typed> {
        let start = first.span().start;
        let mut head: Option<Expr> = None;
        let mut links: Vec<(BinaryOp, Expr)> = Vec::new();
        // What the chain so far is: the first operand, then the type of the links' result.
        let mut so_far = self.expr(first);
        for (op, _, operand) in rest {
            let next = self.expr(operand);
            let (Some(lhs), Some(rhs)) = (so_far.take(), next) else {
                continue;
            };
            let span = Span {
                start,
                end: operand.span().end,
            };
            // Past the first link, the left side stands in by its type alone: `binary` only
            // judges types, and a shallow stand-in keeps the chain flat.
            let lhs = match (&head, lhs) {
                (Some(_), Typed::Value(_, ty)) => Typed::Value(Expr::Const(0.0), ty),
                (_, lhs) => lhs,
            };
            let Some(Typed::Value(Expr::Binary(_, x, y), ty)) =
                self.binary(*op, lhs, rhs, first.span(), operand, span)
            else {
                continue;
            };
            if head.is_none() {
                head = Some(*x);
            }
            links.push((*op, *y));
            so_far = Some(Typed::Value(Expr::Const(0.0), ty));
        }
        let (Some(head), Some(Typed::Value(_, ty))) = (head, so_far) else {
            return None;
        };
        if links.len() < rest.len() {
            return None;
        }
        let expr = match <[_; 1]>::try_from(links) {
            Ok([(op, y)]) => Expr::Binary(op, Box::new(head), Box::new(y)),
            Err(links) => Expr::Chain(Box::new(head), links),
        };
        Some(Typed::Value(expr, ty))
    }

    fn binary(
        &mut self,
        op: BinaryOp,
        a: Typed,
        b: Typed,
        lhs_span: Span,
        rhs: &Ast,
        span: Span,
    ) -> Option<Typed> {
        use BinaryOp::*;
        match (op, a, b) {
            // regime("war") == "setback" and its mirror.
            (Eq | Ne, Typed::Regime(driver), Typed::Str(state))
            | (Eq | Ne, Typed::Str(state), Typed::Regime(driver)) => {
                let states = self.names.drivers[driver].1.as_deref().unwrap_or_default();
                let Some(index) = states.iter().position(|s| *s == state) else {
                    let hint =
                        unknown_name_hint(&state, "its states", states.iter().map(String::as_str));
                    self.error(
                        span,
                        format!(
                            "regime `{}` has no state `{state}`",
                            self.names.drivers[driver].0
                        ),
                        Some(hint),
                    );
                    return None;
                };
                let is = Expr::RegimeIs {
                    driver,
                    state: index,
                };
                let expr = if op == Eq {
                    is
                } else {
                    Expr::Not(Box::new(is))
                };
                Some(Typed::Value(expr, Type::Condition))
            }
            (And | Or, Typed::Value(x, Type::Condition), Typed::Value(y, Type::Condition)) => Some(
                Typed::Value(Expr::Binary(op, Box::new(x), Box::new(y)), Type::Condition),
            ),
            (
                Add | Sub | Mul | Div | Pow,
                Typed::Value(x, Type::Number),
                Typed::Value(y, Type::Number),
            ) => {
                if op == Div && y == Expr::Const(0.0) {
                    self.error(rhs.span(), "division by zero", None);
                    return None;
                }
                Some(Typed::Value(
                    Expr::Binary(op, Box::new(x), Box::new(y)),
                    Type::Number,
                ))
            }
            // A condition times a number counts as 1 where it holds, 0 elsewhere:
            // `0.1 * (regime("war") == "gains")`.
            (Mul, Typed::Value(x, Type::Number), Typed::Value(y, Type::Condition))
            | (Mul, Typed::Value(x, Type::Condition), Typed::Value(y, Type::Number)) => Some(
                Typed::Value(Expr::Binary(op, Box::new(x), Box::new(y)), Type::Number),
            ),
            (
                Lt | Le | Gt | Ge | Eq | Ne,
                Typed::Value(x, Type::Number),
                Typed::Value(y, Type::Number),
            ) => Some(Typed::Value(
                Expr::Binary(op, Box::new(x), Box::new(y)),
                Type::Condition,
            )),
            (op, a, b) => {
                let symbol = op.symbol();
                let needs = match op {
                    And | Or => "conditions",
                    _ => "numbers",
                };
                let hint = match (&a, &b) {
                    (Typed::Regime(_), _) | (_, Typed::Regime(_)) => {
                        Some("a regime can only be compared with == or != to a state name in quotes".to_string())
                    }
                    (Typed::Str(_), _) | (_, Typed::Str(_)) => {
                        Some("strings are only names given to functions, or states compared with regime(...)".to_string())
                    }
                    (Typed::Value(_, Type::Condition), _) | (_, Typed::Value(_, Type::Condition))
                        if needs == "numbers" =>
                    {
                        Some("a condition counts as 1 or 0 only when multiplied by a number, e.g. 0.1 * (regime(\"war\") == \"gains\"); or write if(condition, then, else)".to_string())
                    }
                    _ => None,
                };
                let _ = lhs_span;
                self.error(
                    span,
                    format!(
                        "`{symbol}` needs {needs}, found {} and {}",
                        a.describe(),
                        b.describe()
                    ),
                    hint,
                );
                None
            }
        }
    }

    fn call(&mut self, name: &str, name_span: Span, args: &[Ast], span: Span) -> Option<Typed> {
        let function = match name {
            "abs" => Some(Function::Abs),
            "exp" => Some(Function::Exp),
            "ln" | "log" => Some(Function::Ln),
            "sqrt" => Some(Function::Sqrt),
            "sin" => Some(Function::Sin),
            "cos" => Some(Function::Cos),
            _ => None,
        };
        if let Some(function) = function {
            let [arg] = args else {
                self.error(
                    span,
                    format!("{name}(x) takes 1 argument, got {}", args.len()),
                    None,
                );
                return None;
            };
            let x = self.number(arg)?;
            return Some(Typed::Value(
                Expr::Call(function, Box::new(x)),
                Type::Number,
            ));
        }
        match name {
            "min" | "max" => {
                if args.is_empty() {
                    self.error(
                        span,
                        format!("{name}(...) needs at least one argument"),
                        None,
                    );
                    return None;
                }
                let values: Vec<Option<Expr>> = args.iter().map(|a| self.number(a)).collect();
                let values: Vec<Expr> = values.into_iter().collect::<Option<_>>()?;
                let expr = if name == "min" {
                    Expr::Min(values)
                } else {
                    Expr::Max(values)
                };
                Some(Typed::Value(expr, Type::Number))
            }
            "share" => {
                if !(2..=3).contains(&args.len()) {
                    self.error(
                        span,
                        format!(
                            "share(target, actor [, channel]) takes 2 or 3 arguments, got {}",
                            args.len()
                        ),
                        None,
                    );
                    return None;
                }
                let target = self.name_arg(&args[0], "target", &self.names.targets.clone());
                let slot = self.actor_arg(&args[1]);
                if args.len() == 3 {
                    let channel = self.name_arg(&args[2], "channel", &self.names.channels.clone());
                    let (target, slot, channel) = (target?, slot?, channel?);
                    Some(Typed::Value(
                        Expr::Share {
                            target,
                            channel,
                            slot,
                        },
                        Type::Number,
                    ))
                } else {
                    let (target, slot) = (target?, slot?);
                    Some(Typed::Value(Expr::Composite { target, slot }, Type::Number))
                }
            }
            "region" => {
                let [arg] = args else {
                    self.error(
                        span,
                        format!("region(actor) takes 1 argument, got {}", args.len()),
                        None,
                    );
                    return None;
                };
                let slot = self.actor_arg(arg)?;
                Some(Typed::Value(Expr::Region { slot }, Type::Number))
            }
            "regime" | "factor" => {
                let [arg] = args else {
                    self.error(
                        span,
                        format!("{name}(driver) takes 1 argument, got {}", args.len()),
                        None,
                    );
                    return None;
                };
                let wanted_regime = name == "regime";
                let candidates: Vec<String> = self
                    .names
                    .drivers
                    .iter()
                    .filter(|(_, states)| states.is_some() == wanted_regime)
                    .map(|(n, _)| n.clone())
                    .collect();
                let kind = if wanted_regime {
                    "regime driver"
                } else {
                    "factor driver"
                };
                // A driver of the other kind deserves a precise message, not "unknown".
                if let Ast::Str { value, span } = arg
                    && !candidates.contains(value)
                    && let Some((_, states)) = self.names.drivers.iter().find(|(n, _)| n == value)
                {
                    let (is, hint) = match states {
                        Some(states) => (
                            "a regime driver",
                            format!(
                                "compare its state: regime(\"{value}\") == \"{}\"",
                                states.first().map_or("", String::as_str)
                            ),
                        ),
                        None => (
                            "a factor driver",
                            format!("read its value with factor(\"{value}\")"),
                        ),
                    };
                    self.error(
                        *span,
                        format!(
                            "`{value}` is {is}, not a {}",
                            if wanted_regime { "regime" } else { "factor" }
                        ),
                        Some(hint),
                    );
                    return None;
                }
                let index = self.name_arg(arg, kind, &candidates)?;
                let driver = self
                    .names
                    .drivers
                    .iter()
                    .position(|(n, _)| *n == candidates[index])?;
                if wanted_regime {
                    Some(Typed::Regime(driver))
                } else {
                    Some(Typed::Value(Expr::Factor { driver }, Type::Number))
                }
            }
            "param" => {
                let [arg] = args else {
                    self.error(
                        span,
                        format!("param(name) takes 1 argument, got {}", args.len()),
                        None,
                    );
                    return None;
                };
                if let Ast::Str { value, .. } = arg
                    && let Some(derived) = self.names.derived.iter().position(|d| d == value)
                {
                    return Some(Typed::Value(Expr::Derived { derived }, Type::Number));
                }
                let mut all = self.names.params.clone();
                all.extend(self.names.derived.iter().cloned());
                let param = self.name_arg(arg, "parameter", &all)?;
                Some(Typed::Value(Expr::Param { param }, Type::Number))
            }
            "if" => {
                let [condition, then, otherwise] = args else {
                    self.error(
                        span,
                        format!(
                            "if(condition, then, else) takes 3 arguments, got {}",
                            args.len()
                        ),
                        None,
                    );
                    return None;
                };
                let condition = self.condition(condition);
                let (then, otherwise) = (self.number(then), self.number(otherwise));
                let parts = [condition?, then?, otherwise?];
                Some(Typed::Value(Expr::If(Box::new(parts)), Type::Number))
            }
            "start" => self.start(args, span),
            "lag" | "mean_over" | "min_over" | "max_over" => self.window(name, args, span),
            "fired" | "fired_year" => {
                let [arg] = args else {
                    self.error(
                        span,
                        format!("{name}(event) takes 1 argument, got {}", args.len()),
                        None,
                    );
                    return None;
                };
                let event = self.name_arg(arg, "event", &self.names.events.clone())?;
                Some(if name == "fired" {
                    Typed::Value(Expr::Fired { event }, Type::Condition)
                } else {
                    Typed::Value(Expr::FiredYear { event }, Type::Number)
                })
            }
            _ => {
                let hint = unknown_name_hint(name, "functions", FUNCTIONS.iter().copied());
                self.error(name_span, format!("unknown function `{name}`"), Some(hint));
                None
            }
        }
    }

    /// `start(x)`: `x` compiled (a number or a condition), registered in the scenario's start
    /// expressions once, and read by its index.
    fn start(&mut self, args: &[Ast], span: Span) -> Option<Typed> {
        let [arg] = args else {
            self.error(
                span,
                format!("start(x) takes 1 argument, got {}", args.len()),
                Some("e.g. start(region(\"russia\")): the value of region(\"russia\") at the start year".into()),
            );
            return None;
        };
        if self.in_start {
            self.error(
                span,
                "start(...) inside start(...): the inner one is already the value at the start",
                Some("write start(x) once".into()),
            );
            return None;
        }
        self.in_start = true;
        let inner = self.expr(arg);
        self.in_start = false;
        let (inner, ty) = match inner? {
            Typed::Value(e, ty) => (e, ty),
            other => {
                self.error(
                    arg.span(),
                    format!("start(x) needs a number or a condition, found {}", other.describe()),
                    Some("e.g. start(share(\"kazakhstan\", \"russia\")), or start(regime(\"war\") == \"gains\")".into()),
                );
                return None;
            }
        };
        let slot = match self.history.starts.iter().position(|e| *e == inner) {
            Some(slot) => slot,
            None => {
                self.history.starts.push(inner);
                self.history.starts.len() - 1
            }
        };
        Some(Typed::Value(Expr::Start(slot), ty))
    }

    /// `lag(x, n)`, `mean_over(x, n)`, `min_over(x, n)`, `max_over(x, n)`: `x` a number, `n`
    /// a plain number of years on the step grid (at least one step), registered once.
    fn window(&mut self, name: &str, args: &[Ast], span: Span) -> Option<Typed> {
        let kind = match name {
            "lag" => WindowKind::Lag,
            "mean_over" => WindowKind::Mean,
            "min_over" => WindowKind::Min,
            _ => WindowKind::Max,
        };
        let example = format!("e.g. {name}(region(\"russia\"), 3): over 3 years");
        let [arg, years] = args else {
            self.error(
                span,
                format!("{name}(x, years) takes 2 arguments, got {}", args.len()),
                Some(example),
            );
            return None;
        };
        let Ast::Number { value, .. } = years else {
            self.error(
                years.span(),
                format!("the years of {name}(x, years) must be a plain number"),
                Some(example),
            );
            return None;
        };
        let per_year = f64::from(self.history.per_year);
        let steps = value * per_year;
        if !(steps >= 1.0 && (steps - steps.round()).abs() < 1e-9 && steps <= 1e6) {
            self.error(
                years.span(),
                format!(
                    "{value} years is not a whole number of steps (at least one) at {} a year",
                    self.history.per_year
                ),
                Some(format!("use a multiple of {}", 1.0 / per_year)),
            );
            return None;
        }
        if self.in_start {
            self.error(
                span,
                format!("{name}(...) inside start(...) or another window"),
                Some("write the window on its own".into()),
            );
            return None;
        }
        self.in_start = true;
        let inner = self.number(arg);
        self.in_start = false;
        let window = Window {
            kind,
            expr: inner?,
            points: steps.round() as usize,
        };
        let slot = match self.history.windows.iter().position(|w| *w == window) {
            Some(slot) => slot,
            None => {
                self.history.windows.push(window);
                self.history.windows.len() - 1
            }
        };
        Some(Typed::Value(Expr::Window(slot), Type::Number))
    }

    fn condition(&mut self, ast: &Ast) -> Option<Expr> {
        match self.expr(ast)? {
            Typed::Value(e, Type::Condition) => Some(e),
            other => {
                self.error(
                    ast.span(),
                    format!("expected a condition, found {}", other.describe()),
                    Some("e.g. regime(\"war\") == \"gains\", or share(\"t\", \"a\") > 0.3".into()),
                );
                None
            }
        }
    }

    fn number(&mut self, ast: &Ast) -> Option<Expr> {
        match self.expr(ast)? {
            Typed::Value(e, Type::Number) => Some(e),
            other => {
                self.error(
                    ast.span(),
                    format!("expected a number, found {}", other.describe()),
                    None,
                );
                None
            }
        }
    }

    /// A string literal naming one of `candidates`; returns its index.
    fn name_arg(&mut self, ast: &Ast, kind: &str, candidates: &[String]) -> Option<usize> {
        let Ast::Str { value, span } = ast else {
            let hint = match ast {
                Ast::Ident { name, .. } if name == "actor" => ACTOR_OUTSIDE_LEADER.to_string(),
                _ => format!("write the {kind}'s name in quotes"),
            };
            let a = if kind.starts_with(['a', 'e', 'i', 'o', 'u']) {
                "an"
            } else {
                "a"
            };
            self.error(
                ast.span(),
                format!("expected {a} {kind} name in quotes"),
                Some(hint),
            );
            return None;
        };
        match candidates.iter().position(|c| c == value) {
            Some(i) => Some(i),
            None => {
                let hint = unknown_name_hint(
                    value,
                    &format!("declared {kind}s"),
                    candidates.iter().map(String::as_str),
                );
                self.error(*span, format!("unknown {kind} `{value}`"), Some(hint));
                None
            }
        }
    }

    /// An actor name or `autonomy`; returns its slot.
    fn actor_arg(&mut self, ast: &Ast) -> Option<usize> {
        let mut actors = self.names.actors.clone();
        actors.push(AUTONOMY.to_string());
        self.name_arg(ast, "actor", &actors)
    }
}
