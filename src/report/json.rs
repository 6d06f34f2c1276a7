//! The result as one JSON document (schema in docs/json.md).

use crate::summary::Summary;

/// The summary as pretty-printed JSON, ending with a newline.
pub fn render(summary: &Summary) -> String {
    let mut text = serde_json::to_string_pretty(summary).expect("a summary always serialises");
    text.push('\n');
    text
}
