//! Charts as SVG text, pure functions of the results: fan charts of composite shares over time
//! and each metric's distribution (`run --out DIR` writes them under `DIR/charts/`), comparison
//! charts and overlays (`compare`, `report`), tornado and Sobol charts (`sensitivity`).
//!
//! One chart per file; what they share — the document, scales, axes, ticks, legends, the marks
//! of a series over time — is in `svg.rs`, their colours in `palette.rs`, and their numbers are
//! formatted by `report::format`.

mod compared;
mod fan;
mod metric;
mod overlay;
mod palette;
mod sobol;
mod svg;
mod tornado;

pub use compared::compared;
pub use fan::fan;
pub use metric::metric;
pub use overlay::overlay;
pub use palette::{AUTONOMY_COLOUR, PALETTE, colour};
pub use sobol::{sobol, sobol_over_time};
pub use tornado::tornado;
