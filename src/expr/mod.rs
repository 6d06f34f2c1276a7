//! The expression language of metrics and event conditions.
//!
//! `parse` turns text into an [`parse::Ast`] with spans; `compile` resolves every name to an
//! index and checks types, giving an [`Expr`] that evaluates against any [`Context`] without
//! looking anything up by name. Text is parsed once, when a scenario is loaded.

mod compile;
pub mod parse;

pub use compile::{CompileError, Names, Type, compile};
pub use parse::{BinaryOp, Span};

/// What an expression can see of one run at one step. The engine's state implements it.
pub trait Context {
    fn share(&self, target: usize, channel: usize, slot: usize) -> f64;
    fn composite(&self, target: usize, slot: usize) -> f64;
    fn region(&self, slot: usize) -> f64;
    fn regime(&self, driver: usize) -> usize;
    fn factor(&self, driver: usize) -> f64;
    fn param(&self, param: usize) -> f64;
    fn fired(&self, event: usize) -> bool;
    fn year(&self) -> f64;
}

/// A compiled expression. Conditions evaluate to 1.0 (true) or 0.0 (false).
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Const(f64),
    Share {
        target: usize,
        channel: usize,
        slot: usize,
    },
    Composite {
        target: usize,
        slot: usize,
    },
    Region {
        slot: usize,
    },
    RegimeIs {
        driver: usize,
        state: usize,
    },
    Factor {
        driver: usize,
    },
    Param {
        param: usize,
    },
    Fired {
        event: usize,
    },
    Year,
    Neg(Box<Expr>),
    Not(Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    Call(Function, Box<Expr>),
    Min(Vec<Expr>),
    Max(Vec<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    Abs,
    Exp,
    Ln,
    Sqrt,
    Sin,
    Cos,
}

impl Expr {
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
            Expr::Fired { event } => truth(ctx.fired(*event)),
            Expr::Year => ctx.year(),
            Expr::Neg(e) => -e.eval(ctx),
            Expr::Not(e) => truth(e.eval(ctx) == 0.0),
            Expr::Binary(op, lhs, rhs) => {
                // `and`/`or` short-circuit: the right side may be costly and never matters.
                match op {
                    BinaryOp::And => return truth(lhs.eval(ctx) != 0.0 && rhs.eval(ctx) != 0.0),
                    BinaryOp::Or => return truth(lhs.eval(ctx) != 0.0 || rhs.eval(ctx) != 0.0),
                    _ => {}
                }
                let (a, b) = (lhs.eval(ctx), rhs.eval(ctx));
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
        }
    }

    /// Whether the expression reads anything that changes during a run.
    pub fn depends_on_state(&self) -> bool {
        match self {
            Expr::Const(_) | Expr::Param { .. } => false,
            Expr::Neg(e) | Expr::Not(e) | Expr::Call(_, e) => e.depends_on_state(),
            Expr::Binary(_, a, b) => a.depends_on_state() || b.depends_on_state(),
            Expr::Min(args) | Expr::Max(args) => args.iter().any(Expr::depends_on_state),
            _ => true,
        }
    }
}

fn truth(b: bool) -> f64 {
    if b { 1.0 } else { 0.0 }
}
