//! Renderers: pure functions from a [`Summary`](crate::summary::Summary) to text. They return
//! strings; writing them anywhere is the caller's business.

pub mod charts;
pub mod compare;
pub mod csv;
pub mod discover;
pub mod explain;
pub mod html;
pub mod json;
pub mod sensitivity;
pub mod sweep;
pub mod table;
