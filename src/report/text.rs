//! Words in columns: wrapping text to the terminal's width and cutting labels that would not
//! fit their column. Shared by every terminal renderer and by chart legends.

/// Width of every terminal output.
pub const WIDTH: usize = 80;

/// Word-wraps `text` to `width` columns, each line starting with `indent`, continuation lines
/// indented two more. Ends with a newline.
pub fn wrap(text: &str, indent: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = String::from(indent);
    for word in text.split_whitespace() {
        let fits = line.chars().count() + 1 + word.chars().count() <= width;
        if line.len() > indent.len() && !fits {
            out.push_str(line.trim_end());
            out.push('\n');
            line = format!("{indent}  ");
        }
        if line.len() > indent.len() && !line.ends_with(' ') {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push_str(line.trim_end());
    out.push('\n');
    out
}

/// `label` if it has at most `max` characters, otherwise its first `max − 1` and `…`.
pub fn truncate(label: &str, max: usize) -> String {
    if label.chars().count() <= max {
        label.to_string()
    } else {
        let cut: String = label.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

/// A name for a column `width` wide: itself if it fits; else it goes on a line of its own
/// (after `indent`), whole, and the row's numbers follow on the next line under a blank name —
/// an inline parameter's name (`drivers.war.transitions.stalemate.ceasefire`) says where it is
/// written, and cut short it would say nothing.
pub fn own_line<'a>(out: &mut String, name: &'a str, width: usize, indent: &str) -> &'a str {
    if name.chars().count() < width {
        return name;
    }
    out.push_str(indent);
    out.push_str(name);
    out.push('\n');
    ""
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_indents_continuation_lines() {
        assert_eq!(
            wrap("one two three four", "  ", 12),
            "  one two\n    three\n    four\n"
        );
        assert_eq!(wrap("", "", 80), "\n");
    }

    #[test]
    fn a_long_label_is_cut_to_its_width() {
        assert_eq!(truncate("Kazakhstan", 14), "Kazakhstan");
        assert_eq!(truncate("West (EU + US + UK)", 14), "West (EU + US…");
        assert_eq!(truncate("West (EU + US + UK)", 14).chars().count(), 14);
    }
}
