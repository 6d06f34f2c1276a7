//! What a user reads when a scenario is wrong: the exact message, its place, the offending
//! line with a caret, and the hint. Each case runs `steppe validate` on a file in a temporary
//! directory and compares the whole of stderr.

fn validate(text: &str) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.toml"), text).unwrap();
    let out = crate::common::command()
        .args(["validate", "bad.toml"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    (out.status.code(), String::from_utf8(out.stderr).unwrap())
}

fn assert_stderr(text: &str, expected: &str) {
    let (code, stderr) = validate(text);
    assert_eq!(code, Some(2), "{stderr}");
    assert_eq!(
        stderr, expected,
        "\n--- got ---\n{stderr}\n--- expected ---\n{expected}"
    );
}

const HEAD: &str = "[scenario]\nname = \"bad\"\nstart = 2022\nend = 2030\n[actors]\nrussia = {}\nchina = {}\n[targets]\nkazakhstan = {}\n[channels]\nsecurity = {}\n[initial.kazakhstan.security]\nrussia = 0.5\nchina = 0.2\n";

#[test]
fn unknown_key_suggests_the_nearest() {
    assert_stderr(
        "[scenario]\nname = \"bad\"\nstart = 2022\nend = 2030\nstpe = \"year\"\n",
        "bad.toml:5:1: unknown key `stpe`
  |
5 | stpe = \"year\"
  | ^^^^
  = help: did you mean `step`? valid keys here: `name`, `title`, `description`, `start`, `end`, `step`, `runs`, `seed`

error: 1 problem found
",
    );
}

#[test]
fn toml_syntax_error_points_at_the_place() {
    assert_stderr(
        "[scenario]\nname = \"bad\n",
        "bad.toml:2:12: invalid basic string, expected `\"`
  |
2 | name = \"bad
  |            ^

error: 1 problem found
",
    );
}

#[test]
fn every_semantic_problem_is_reported_at_once() {
    let text = format!(
        "{HEAD}[[dynamics]]\nactors = [\"rusia\"]\ndrift = 0.1\n\
         [events.e]\nhazard = 1.5\n[[events.e.effects]]\njump = 0.2\n\
         [drivers.war]\ntype = \"regime\"\nstates = [\"a\", \"b\"]\ninitial = \"a\"\n\
         [drivers.war.transitions]\na = {{ a = 0.5, b = 0.4 }}\nb = {{ a = 0.5, b = 0.5 }}\n\
         [metrics.m]\nkind = \"at\"\nexpr = 'share(\"kazakhstan\", \"russia\") > > 0.3'\n\
         [metrics.n]\nkind = \"ever\"\nexpr = 'share(\"kazakstan\", \"china\") > 0.3'\n"
    );
    assert_stderr(
        &text,
        "bad.toml:16:11: unknown actor `rusia`
   |
16 | actors = [\"rusia\"]
   |           ^^^^^^^
   = help: did you mean `russia`? declared actors: `russia`, `china`

bad.toml:19:10: `hazard` must be a probability within [0, 1], got 1.5
   |
19 | hazard = 1.5
   |          ^^^

bad.toml:27:5: the row of `a` sums to 0.9, not 1
   |
27 | a = { a = 0.5, b = 0.4 }
   |     ^^^^^^^^^^^^^^^^^^^^
   = help: each row gives where the chain is one year later, so its probabilities must sum to 1

bad.toml:31:41: expected an expression after `>`, found `>`
   |
31 | expr = 'share(\"kazakhstan\", \"russia\") > > 0.3'
   |                                         ^

bad.toml:34:15: unknown target `kazakstan`
   |
34 | expr = 'share(\"kazakstan\", \"china\") > 0.3'
   |               ^^^^^^^^^^^
   = help: did you mean `kazakhstan`? declared targets: `kazakhstan`

error: 5 problems found
",
    );
}

#[test]
fn initial_shares_over_one_leave_no_autonomy() {
    let text = HEAD.replace("china = 0.2", "china = 0.6");
    assert_stderr(
        &text,
        "bad.toml:12:1: initial shares of kazakhstan/security sum to 1.1, leaving no autonomy
   |
12 | [initial.kazakhstan.security]
   | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
   = help: the actors' shares must sum to less than 1; autonomy is the remainder

error: 1 problem found
",
    );
}

#[test]
fn a_parameter_whose_distribution_leaves_the_range_is_refused() {
    let text = format!(
        "{HEAD}[params]\nh = \"normal(0.1, 0.05)\"\n[events.e]\nhazard = \"h\"\n[[events.e.effects]]\njump = \"normall(0, 1)\"\n"
    );
    assert_stderr(
        &text,
        "bad.toml:18:10: `hazard` must be a probability within [0, 1], but parameter `h` = normal(0.1, 0.05) reaches -0.297067 to 0.497072
   |
18 | hazard = \"h\"
   |          ^^^
   = help: choose a distribution whose support lies in the allowed range (e.g. beta or pert for a probability)

bad.toml:20:9: unknown distribution `normall`; did you mean `normal`?
   |
20 | jump = \"normall(0, 1)\"
   |         ^^^^^^^
   = help: distributions: fixed(v), normal(mean, sd), lognormal(mu, sigma), uniform(low, high), triangular(low, mode, high), beta(alpha, beta), pert(low, mode, high), quantiles(5% = a, 50% = b, 95% = c[, low = l, high = h])

error: 2 problems found
",
    );
}

#[test]
fn type_errors_in_expressions_say_what_was_found() {
    let text = format!(
        "{HEAD}[metrics.m]\nkind = \"first\"\nexpr = 'share(\"kazakhstan\", \"china\") + 1'\n\
         [metrics.d]\nkind = \"at\"\nexpr = 'share(\"kazakhstan\", \"china\") / 0'\n\
         [metrics.r]\nkind = \"ever\"\nexpr = 'regime(\"war\") == \"x\"'\n"
    );
    assert_stderr(
        &text,
        "bad.toml:17:8: a metric of kind \"first\" needs a condition, but this is a number
   |
17 | expr = 'share(\"kazakhstan\", \"china\") + 1'
   |        ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
   = help: compare it, e.g. share(\"kazakhstan\", \"china\") > 0.3

bad.toml:20:40: division by zero
   |
20 | expr = 'share(\"kazakhstan\", \"china\") / 0'
   |                                        ^

bad.toml:23:16: unknown regime driver `war`
   |
23 | expr = 'regime(\"war\") == \"x\"'
   |                ^^^^^
   = help: declared regime drivers: none

error: 3 problems found
",
    );
}

#[test]
fn a_missing_file_is_a_usage_error() {
    let out = crate::common::command()
        .args(["validate", "nope.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.starts_with("error: cannot read nope.toml: "),
        "{stderr}"
    );
}

#[test]
fn impossible_bounds_and_reserved_names_are_refused() {
    let cases = [
        (
            format!(
                "{HEAD}[[dynamics]]\nactors = [\"russia\"]\nfloor = 0.6\n[[dynamics]]\nactors = [\"russia\"]\nceiling = \"uniform(0.3, 0.5)\"\n"
            ),
            "bad.toml:20:11: the ceiling of russia in kazakhstan/security (0.3) is not above its floor (0.6)",
        ),
        (
            format!(
                "{HEAD}[[dynamics]]\nactors = [\"russia\", \"china\"]\nceiling = 0.3\n[[dynamics]]\nactors = [\"autonomy\"]\nceiling = 0.3\n"
            ),
            "bad.toml:20:11: ceilings in kazakhstan/security add up to 0.9 (at least), less than the whole",
        ),
        (
            format!(
                "{HEAD}[events.e]\nhazard = 1\nrepeat = true\n[[events.e.effects]]\njump = 0.1\n"
            ),
            "bad.toml:16:10: `hazard` of a repeatable event must be within [0, 1) (1 would mean it happens infinitely often), got 1",
        ),
        (
            HEAD.replace("kazakhstan = {}", "region = {}")
                .replace("[initial.kazakhstan.security]", "[initial.region.security]"),
            "bad.toml:9:1: `region` is reserved and cannot be the name of a target",
        ),
    ];
    for (text, expected) in cases {
        let (code, stderr) = validate(&text);
        assert_eq!(code, Some(2));
        assert!(
            stderr.starts_with(expected),
            "expected {expected:?}, got:\n{stderr}"
        );
    }
}

#[test]
fn a_flat_chain_is_not_nesting_but_deep_brackets_are() {
    // 300 terms in a row: one level, accepted (docs/reliability.md).
    let chain = format!(
        "share(\"kazakhstan\", \"russia\"){}",
        " + 0.001".repeat(299)
    );
    let text = format!("{HEAD}[metrics.m]\nkind = \"at\"\nexpr = '{chain}'\n");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ok.toml"), text).unwrap();
    let out = crate::common::command()
        .args(["validate", "ok.toml"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // 257 brackets: too deep.
    let deep = format!("{}1{}", "(".repeat(257), ")".repeat(257));
    let text = format!("{HEAD}[metrics.m]\nkind = \"at\"\nexpr = '{deep}'\n");
    let (code, stderr) = validate(&text);
    assert_eq!(code, Some(2));
    assert!(
        stderr.starts_with("bad.toml:17:265: expression nested deeper than 256 levels\n"),
        "{stderr}"
    );
}
