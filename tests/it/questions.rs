//! `--metric`: questions asked from the command line — defined there, or named from the file —
//! on `run` and `compare`.

use crate::common::{repo_file, stderr, stdout, steppe};

/// The baseline with two more metrics written in the file, in a directory of its own.
fn baseline_asking(dir: &std::path::Path) -> String {
    let mut text = std::fs::read_to_string(repo_file("scenarios/baseline.toml")).unwrap();
    text.push_str(
        "\n[metrics.ahead]\nkind = \"at\"\nyear = 2030\nexpr = 'region(\"china\") > region(\"russia\")'\n\
         \n[metrics.lead_kz]\nkind = \"leader\"\nexpr = 'share(\"kazakhstan\", actor)'\n\
         \n[metrics.squeezes]\nkind = \"count\"\nevent = \"energy_pressure\"\n",
    );
    let path = dir.join("asking.toml");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn json(args: &[&str]) -> serde_json::Value {
    let out = steppe(args);
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_str(&stdout(&out)).unwrap()
}

#[test]
fn a_question_defined_on_the_command_line_is_the_one_written_in_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = baseline_asking(dir.path());
    let common = ["--runs", "400", "--json", "--quiet"];
    let written = json(
        &[
            &["run", &file, "--metric", "ahead", "--metric", "lead_kz"][..],
            &["--metric", "squeezes"],
            &common,
        ]
        .concat(),
    );
    let baseline = repo_file("scenarios/baseline.toml");
    let asked = json(
        &[
            &["run", &baseline][..],
            &[
                "--metric",
                "ahead = at@2030: region(\"china\") > region(\"russia\")",
            ],
            &["--metric", "lead_kz=leader:share(\"kazakhstan\", actor)"],
            &["--metric", "squeezes=count: energy_pressure"],
            &common,
        ]
        .concat(),
    );
    // Only what was asked, in the order asked, and the same numbers either way.
    let names: Vec<&str> = asked["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["ahead", "lead_kz", "squeezes"]);
    assert_eq!(written["metrics"], asked["metrics"]);
    assert_eq!(written["series"], asked["series"]);
    assert_eq!(asked["metrics"][1]["type"], "categorical");
    assert_eq!(
        asked["metrics"][1]["categories"].as_array().unwrap().len(),
        5
    );
}

#[test]
fn a_mistaken_question_is_shown_on_the_flag_where_it_is_wrong() {
    let baseline = repo_file("scenarios/baseline.toml");
    for (question, place, message) in [
        (
            "x=alway: true",
            "--metric:1:3:",
            "unknown metric kind `alway`",
        ),
        (
            "y=count: nope",
            "--metric:1:10:",
            "there is no event `nope`",
        ),
        (
            "z=region(\"chna\") > 0.3",
            "--metric:1:10:",
            "unknown actor `chna`",
        ),
        (
            "w=at@2050: year > 1",
            "--metric:1:6:",
            "year 2050 is outside",
        ),
        (
            "coercion_ever=ever: fired(\"coercion\")",
            "--metric:1:1:",
            "already has a metric",
        ),
        (
            "9lives=ever: true",
            "--metric:1:1:",
            "`9lives` is not a valid name",
        ),
        (
            "l=leader: region(\"china\")",
            "--metric:1:11:",
            "does not name `actor`",
        ),
        (
            "coercion_evr",
            "--metric: baseline has no metric",
            "did you mean `coercion_ever`",
        ),
        (
            "leads_region_2035.chna",
            "--metric:",
            "leads_region_2035.china",
        ),
    ] {
        let out = steppe(&["run", &baseline, "--runs", "10", "--metric", question]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{question}: {err}");
        assert!(
            err.contains(place) && err.contains(message),
            "{question}: {err}"
        );
    }
    let out = steppe(&["run", &baseline, "--runs", "10", "--metric", "region:china"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("every composite share is in the table"));
}

#[test]
fn compare_compares_what_is_asked_and_first_years_as_the_chance_by_each_year() {
    let (baseline, other) = (
        repo_file("scenarios/baseline.toml"),
        repo_file("scenarios/china_ascendant.toml"),
    );
    let common = ["--runs", "500", "--seed", "3", "--json", "--quiet"];
    let compared = json(
        &[
            &["compare", &baseline, &other, "--years", "2030,2035"][..],
            &[
                "--metric",
                "china_overtakes_russia_kz",
                "--metric",
                "leads_region_2035",
            ],
            &[
                "--metric",
                "region:china",
                "--metric",
                "ahead=region(\"china\") > 0.25",
            ],
            &common,
        ]
        .concat(),
    );
    let quantities = compared["quantities"].as_array().unwrap();
    let mut names: Vec<&str> = quantities
        .iter()
        .map(|q| q["name"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    let mut expected = vec![
        "ahead",
        "china_overtakes_russia_kz",
        "china_overtakes_russia_kz@2030",
        "china_overtakes_russia_kz@2035",
        "leads_region_2035.china",
        "leads_region_2035.russia",
        "leads_region_2035.turkey",
        "leads_region_2035.west",
        "region:china@2030",
        "region:china@2035",
    ];
    expected.sort_unstable();
    assert_eq!(names, expected);
    // P(by year) of each scenario is its own run's cumulative first-year probability.
    for (s, file) in [&baseline, &other].into_iter().enumerate() {
        let run = json(&[&["run", file][..], &common].concat());
        let first = run["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == "china_overtakes_russia_kz")
            .unwrap();
        for year in [2030, 2035] {
            let by = first["by_year"]
                .as_array()
                .unwrap()
                .iter()
                .find(|y| y["year"] == year)
                .unwrap()["cumulative"]
                .as_f64()
                .unwrap();
            let name = format!("china_overtakes_russia_kz@{year}");
            let q = quantities.iter().find(|q| q["name"] == name).unwrap();
            let mean = q["per_scenario"][s]["mean"].as_f64().unwrap();
            assert!((mean - by).abs() < 1e-12, "{name} {s}: {mean} vs {by}");
        }
    }
}
