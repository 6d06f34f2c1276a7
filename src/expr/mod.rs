//! The expression language of metrics and event conditions.
//!
//! `parse` turns text into an [`parse::Ast`] with spans (from the tokens of `lex`); `compile`
//! resolves every name to an index and checks types, giving an [`Expr`] that evaluates against
//! any [`Context`] without looking anything up by name. Text is parsed once, when a scenario
//! is loaded.
//!
//! `start(x)`, the value of `x` at the run's first point, is compiled in two parts: `x` itself
//! goes into a scenario-wide list (each distinct `x` once, see [`compile`]), and the call
//! becomes [`Expr::Start`] with its place in that list. Whoever runs the scenario evaluates
//! the list once per run at the first point and answers [`Context::start`] from it.

mod compile;
mod lex;
pub mod parse;

pub use compile::{CompileError, FUNCTIONS, History, Names, Type, Window, WindowKind, compile};
pub use parse::{BinaryOp, Span};

/// What an expression can see of one run at one step. The engine's state implements it.
pub trait Context {
    /// Share of `slot` (an actor's index, or the autonomy slot after them) in one target and channel.
    fn share(&self, target: usize, channel: usize, slot: usize) -> f64;
    /// Composite share of `slot` in `target`: the channel-weighted mean of its shares.
    fn composite(&self, target: usize, slot: usize) -> f64;
    /// Regional share of `slot`: the target-weighted mean of its composites.
    fn region(&self, slot: usize) -> f64;
    /// The state `driver`'s regime chain is in, as an index into its states.
    fn regime(&self, driver: usize) -> usize;
    /// The value of factor driver `driver`.
    fn factor(&self, driver: usize) -> f64;
    /// This run's value of parameter `param` (an index into the scenario's parameters).
    fn param(&self, param: usize) -> f64;
    /// This run's value of derived parameter `derived` (an index into the scenario's derived
    /// parameters).
    fn derived(&self, derived: usize) -> f64;
    /// Whether event `event` has fired so far in this run.
    fn fired(&self, event: usize) -> bool;
    /// The time (in years, as `year`) of the step at which event `event` first fired in this
    /// run, NaN while it has not. Contexts without events keep the default, NaN.
    fn fired_year(&self, _event: usize) -> f64 {
        f64::NAN
    }
    /// The value of window `slot` (see [`Window`]) at this point, NaN until it has its
    /// points. Contexts without a run's past keep the default, NaN.
    fn window(&self, _slot: usize) -> f64 {
        f64::NAN
    }
    /// The time of the step, in years (`start + k·dt`).
    fn year(&self) -> f64;
    /// `start(x)`: this run's value, at its first point, of the expression registered in slot
    /// `slot` of the scenario's list of start expressions (see [`compile`]).
    fn start(&self, slot: usize) -> f64;
}

/// A compiled expression. Conditions evaluate to 1.0 (true) or 0.0 (false).
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A number written in the expression (`true` and `false` are 1 and 0).
    Const(f64),
    /// `share("t", "a", "c")`: a share in one target and channel.
    Share {
        /// The target's index.
        target: usize,
        /// The channel's index.
        channel: usize,
        /// The actor's index, or the autonomy slot after the actors.
        slot: usize,
    },
    /// `share("t", "a")`: a composite share in one target.
    Composite {
        /// The target's index.
        target: usize,
        /// The actor's index, or the autonomy slot after the actors.
        slot: usize,
    },
    /// `region("a")`: a regional composite share.
    Region {
        /// The actor's index, or the autonomy slot after the actors.
        slot: usize,
    },
    /// `regime("d") == "s"`: whether a regime driver is in a state (`!=` compiles to its `Not`).
    RegimeIs {
        /// The driver's index.
        driver: usize,
        /// The state's index among the driver's states.
        state: usize,
    },
    /// `factor("d")`: the value of a factor driver.
    Factor {
        /// The driver's index.
        driver: usize,
    },
    /// `param("p")`: this run's value of a parameter.
    Param {
        /// The parameter's index.
        param: usize,
    },
    /// `param("p")` of a derived parameter: its value in this run.
    Derived {
        /// The derived parameter's index.
        derived: usize,
    },
    /// `if(condition, then, else)`.
    If(Box<[Expr; 3]>),
    /// `fired("e")`: whether an event has fired so far.
    Fired {
        /// The event's index.
        event: usize,
    },
    /// `fired_year("e")`: when an event first fired (NaN before, so every comparison with it
    /// is false).
    FiredYear {
        /// The event's index.
        event: usize,
    },
    /// `year`: the time of the step, in years.
    Year,
    /// `lag(x, n)` and the window functions: this run's value of the scenario's window in
    /// this slot, at this point (NaN until the window has its points).
    Window(usize),
    /// `start(x)`: the value of `x` at the run's first point; `x` is the scenario's start
    /// expression in this slot (a number or a condition, as `x` is).
    Start(usize),
    /// Unary `-`.
    Neg(Box<Expr>),
    /// `not`: 1 where the operand is 0, else 0.
    Not(Box<Expr>),
    /// `a op b`: one binary operation (`and` and `or` short-circuit).
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    /// `first op₁ e₁ op₂ e₂ …`, applied left to right, as `((first op₁ e₁) op₂ e₂) …` — one
    /// node for a chain of one precedence level, however long (`+ -`, `* /`, `and`, `or`).
    Chain(Box<Expr>, Vec<(BinaryOp, Expr)>),
    /// A function of one argument: `abs(x)`, `exp(x)`, …
    Call(Function, Box<Expr>),
    /// `min(a, b, …)`.
    Min(Vec<Expr>),
    /// `max(a, b, …)`.
    Max(Vec<Expr>),
    /// 1 when `values[index]` is the largest of `values` (the first of equal largest ones), 0
    /// when another is, and 0 when any value is not a number: one category of a leader metric.
    Leads {
        /// Every category's value, in the metric's order.
        values: Vec<Expr>,
        /// The category this node asks about.
        index: usize,
    },
}

/// A function of one number (`abs`, `exp`, `ln`, `sqrt`, `sin`, `cos`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    /// `abs(x)`.
    Abs,
    /// `exp(x)`.
    Exp,
    /// `ln(x)`: the natural logarithm (NaN below 0, −∞ at 0).
    Ln,
    /// `sqrt(x)` (NaN below 0).
    Sqrt,
    /// `sin(x)`, `x` in radians.
    Sin,
    /// `cos(x)`, `x` in radians.
    Cos,
}

impl Expr {
    /// The expression's value in the state `ctx`; a condition gives 1.0 (true) or 0.0 (false).
    pub fn eval<C: Context>(&self, ctx: &C) -> f64 {
        match self {
            Expr::Const(v) => *v,
            Expr::Share {
                target,
                channel,
                slot,
            } => ctx.share(*target, *channel, *slot),
            Expr::Composite { target, slot } => ctx.composite(*target, *slot),
            Expr::Region { slot } => ctx.region(*slot),
            Expr::RegimeIs { driver, state } => truth(ctx.regime(*driver) == *state),
            Expr::Factor { driver } => ctx.factor(*driver),
            Expr::Param { param } => ctx.param(*param),
            Expr::Derived { derived } => ctx.derived(*derived),
            Expr::If(parts) => {
                let [condition, then, otherwise] = &**parts;
                if condition.eval(ctx) != 0.0 {
                    then.eval(ctx)
                } else {
                    otherwise.eval(ctx)
                }
            }
            Expr::Fired { event } => truth(ctx.fired(*event)),
            Expr::FiredYear { event } => ctx.fired_year(*event),
            Expr::Window(slot) => ctx.window(*slot),
            Expr::Year => ctx.year(),
            Expr::Start(slot) => ctx.start(*slot),
            Expr::Neg(e) => -e.eval(ctx),
            Expr::Not(e) => truth(e.eval(ctx) == 0.0),
            Expr::Binary(op, lhs, rhs) => apply(*op, lhs.eval(ctx), rhs, ctx),
            Expr::Chain(first, rest) => rest
                .iter()
                .fold(first.eval(ctx), |acc, (op, e)| apply(*op, acc, e, ctx)),
            Expr::Call(function, e) => {
                let x = e.eval(ctx);
                match function {
                    Function::Abs => x.abs(),
                    Function::Exp => x.exp(),
                    Function::Ln => x.ln(),
                    Function::Sqrt => x.sqrt(),
                    Function::Sin => x.sin(),
                    Function::Cos => x.cos(),
                }
            }
            Expr::Min(args) => args
                .iter()
                .map(|e| e.eval(ctx))
                .fold(f64::INFINITY, f64::min),
            Expr::Max(args) => args
                .iter()
                .map(|e| e.eval(ctx))
                .fold(f64::NEG_INFINITY, f64::max),
            Expr::Leads { values, index } => {
                let (mut best, mut top) = (0, f64::NEG_INFINITY);
                for (i, e) in values.iter().enumerate() {
                    let v = e.eval(ctx);
                    if v.is_nan() {
                        return 0.0;
                    }
                    if i == 0 || v > top {
                        (best, top) = (i, v);
                    }
                }
                truth(best == *index)
            }
        }
    }

    /// Every derived parameter the expression reads, directly (not inside a `start(x)`,
    /// whose `x` is in the scenario's list of start expressions).
    pub fn derived_read(&self, out: &mut Vec<usize>) {
        self.visit(&mut |e| {
            if let Expr::Derived { derived } = e {
                out.push(*derived);
            }
        });
    }

    /// Every parameter the expression reads, directly (not inside a `start(x)`, whose `x` is
    /// in the scenario's list of start expressions).
    pub fn params_read(&self, out: &mut Vec<usize>) {
        self.visit(&mut |e| {
            if let Expr::Param { param } = e {
                out.push(*param);
            }
        });
    }

    /// Calls `f` on this node and every node below it.
    fn visit(&self, f: &mut impl FnMut(&Expr)) {
        f(self);
        match self {
            Expr::Neg(e) | Expr::Not(e) | Expr::Call(_, e) => e.visit(f),
            Expr::Binary(_, a, b) => {
                a.visit(f);
                b.visit(f);
            }
            Expr::Chain(first, rest) => {
                first.visit(f);
                rest.iter().for_each(|(_, e)| e.visit(f));
            }
            Expr::Min(args) | Expr::Max(args) | Expr::Leads { values: args, .. } => {
                args.iter().for_each(|e| e.visit(f));
            }
            Expr::If(parts) => parts.iter().for_each(|e| e.visit(f)),
            _ => {}
        }
    }

    /// Whether the expression reads anything that changes during a run.
    pub fn depends_on_state(&self) -> bool {
        match self {
            Expr::Const(_) | Expr::Param { .. } | Expr::Derived { .. } => false,
            Expr::If(parts) => parts.iter().any(Expr::depends_on_state),
            Expr::Neg(e) | Expr::Not(e) | Expr::Call(_, e) => e.depends_on_state(),
            Expr::Binary(_, a, b) => a.depends_on_state() || b.depends_on_state(),
            Expr::Chain(first, rest) => {
                first.depends_on_state() || rest.iter().any(|(_, e)| e.depends_on_state())
            }
            Expr::Min(args) | Expr::Max(args) | Expr::Leads { values: args, .. } => {
                args.iter().any(Expr::depends_on_state)
            }
            _ => true,
        }
    }
}

/// `a op b`, where `a` is already evaluated; `and`/`or` short-circuit, as the right side may
/// be costly and then never matters.
fn apply<C: Context>(op: BinaryOp, a: f64, rhs: &Expr, ctx: &C) -> f64 {
    match op {
        BinaryOp::And => return truth(a != 0.0 && rhs.eval(ctx) != 0.0),
        BinaryOp::Or => return truth(a != 0.0 || rhs.eval(ctx) != 0.0),
        _ => {}
    }
    let b = rhs.eval(ctx);
    match op {
        BinaryOp::Add => a + b,
        BinaryOp::Sub => a - b,
        BinaryOp::Mul => a * b,
        BinaryOp::Div => a / b,
        BinaryOp::Pow => a.powf(b),
        BinaryOp::Lt => truth(a < b),
        BinaryOp::Le => truth(a <= b),
        BinaryOp::Gt => truth(a > b),
        BinaryOp::Ge => truth(a >= b),
        BinaryOp::Eq => truth(a == b),
        BinaryOp::Ne => truth(a != b),
        BinaryOp::And | BinaryOp::Or => unreachable!("handled above"),
    }
}

fn truth(b: bool) -> f64 {
    if b { 1.0 } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A state where nothing is set: only constants and `year` matter. It stays the same, so
    /// its start is itself: `start(x)` evaluates `x` in it.
    struct Empty<'a> {
        starts: &'a [Expr],
    }
    impl Context for Empty<'_> {
        fn share(&self, _: usize, _: usize, _: usize) -> f64 {
            0.0
        }
        fn composite(&self, _: usize, _: usize) -> f64 {
            0.0
        }
        fn region(&self, _: usize) -> f64 {
            0.0
        }
        fn regime(&self, _: usize) -> usize {
            0
        }
        fn factor(&self, _: usize) -> f64 {
            0.0
        }
        fn param(&self, _: usize) -> f64 {
            0.0
        }
        fn derived(&self, _: usize) -> f64 {
            0.0
        }
        fn fired(&self, _: usize) -> bool {
            false
        }
        fn year(&self) -> f64 {
            2030.0
        }
        fn start(&self, slot: usize) -> f64 {
            self.starts[slot].eval(self)
        }
    }

    fn value(text: &str) -> Result<f64, Vec<CompileError>> {
        let ast = parse::parse(text).expect("parses");
        let mut history = History::default();
        let (e, _) = compile(&ast, &Names::default(), &mut history)?;
        Ok(e.eval(&Empty {
            starts: &history.starts,
        }))
    }

    /// The compiled expression, its type and the start expressions it registered.
    fn compiled(text: &str) -> Result<(Expr, Type, Vec<Expr>), Vec<CompileError>> {
        let ast = parse::parse(text).expect("parses");
        let mut history = History::default();
        compile(&ast, &Names::default(), &mut history).map(|(e, ty)| (e, ty, history.starts))
    }

    #[test]
    fn start_registers_each_distinct_expression_once_and_reads_it_by_slot() {
        let (e, ty, starts) = compiled("start(year) + start(year) * start(year + 1)").unwrap();
        assert_eq!(ty, Type::Number);
        assert_eq!(
            starts,
            [
                Expr::Year,
                Expr::Binary(
                    BinaryOp::Add,
                    Box::new(Expr::Year),
                    Box::new(Expr::Const(1.0))
                )
            ]
        );
        assert_eq!(e.eval(&Empty { starts: &starts }), 2030.0 + 2030.0 * 2031.0);
        // A condition stays one.
        let (_, ty, _) = compiled("start(year > 2000)").unwrap();
        assert_eq!(ty, Type::Condition);
        assert_eq!(value("start(year > 2000) and year < 2040").unwrap(), 1.0);
    }

    #[test]
    fn start_with_a_wrong_argument_is_refused_where_it_is_written_and_registers_nothing() {
        let message = |text: &str| -> Vec<(usize, usize, String)> {
            compiled(text)
                .unwrap_err()
                .into_iter()
                .map(|e| (e.span.start, e.span.end, e.message))
                .collect()
        };
        assert_eq!(
            message("1 + start()"),
            [(4, 11, "start(x) takes 1 argument, got 0".to_string())]
        );
        assert_eq!(
            message("start(1, 2)"),
            [(0, 11, "start(x) takes 1 argument, got 2".to_string())]
        );
        assert_eq!(
            message("start(2 * start(year))"),
            [(
                10,
                21,
                "start(...) inside start(...): the inner one is already the value at the start"
                    .to_string()
            )]
        );
        assert_eq!(
            message("start(\"russia\")"),
            [(
                6,
                14,
                "start(x) needs a number or a condition, found a string".to_string()
            )]
        );
        // The shared list keeps only what expressions that compiled registered.
        let mut history = History {
            starts: vec![Expr::Const(7.0)],
            ..History::default()
        };
        let ast = parse::parse("start(year) + start(1, 2)").unwrap();
        assert!(compile(&ast, &Names::default(), &mut history).is_err());
        assert_eq!(history.starts, [Expr::Const(7.0)]);
    }

    #[test]
    fn chains_evaluate_left_to_right() {
        assert_eq!(value("1 - 2 + 3").unwrap(), 2.0);
        assert_eq!(value("8 / 4 / 2 * 3").unwrap(), 3.0);
        assert_eq!(value("1 - 2 - 3 - 4").unwrap(), -8.0);
        assert_eq!(value("year > 2000 and year < 2040 and true").unwrap(), 1.0);
        assert_eq!(value("false or false or year == 2030").unwrap(), 1.0);
    }

    #[test]
    fn a_long_chain_compiles_and_evaluates_on_a_small_stack() {
        let sum = format!("1{}", " + 1".repeat(199_999));
        let both = format!("true{}", " and true".repeat(99_999));
        let result = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || (value(&sum).unwrap(), value(&both).unwrap()))
            .unwrap()
            .join()
            .expect("no stack overflow");
        assert_eq!(result, (200_000.0, 1.0));
    }

    #[test]
    fn a_mistake_in_a_chain_is_reported_as_in_the_tree_it_stands_for() {
        let errors = value("1 + 2 + (year > 1) + 4 / 0").unwrap_err();
        let messages: Vec<(usize, usize, &str)> = errors
            .iter()
            .map(|e| (e.span.start, e.span.end, e.message.as_str()))
            .collect();
        assert_eq!(
            messages,
            [
                (0, 17, "`+` needs numbers, found a number and a condition"),
                (25, 26, "division by zero"),
            ]
        );
    }
}
