//! The client reference (docs/API.md) and `sample.env` keep up with the
//! code: every operation of the OpenAPI document, the committed one and the
//! one the code generates, is in the reference, and every setting
//! `config.rs` reads has a row in its settings table and a line in
//! `sample.env`. Needs no database or Redis.

use std::collections::BTreeSet;

use serde_json::Value;

/// Read by env_logger, not by `config.rs`, and documented all the same.
const SETTINGS_READ_ELSEWHERE: [&str; 1] = ["RUST_LOG"];

fn repository_file(path: &str) -> String {
    let full = format!("{}/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).unwrap_or_else(|error| panic!("{full}: {error}"))
}

/// `GET /me`, `DELETE /sessions/{id}`…: each operation as the reference
/// writes it.
fn operations(document: &str) -> BTreeSet<String> {
    let spec: Value = serde_json::from_str(document).expect("the OpenAPI document is JSON");
    let paths = spec["paths"].as_object().expect("the document has paths");
    let mut operations = BTreeSet::new();
    for (path, item) in paths {
        for method in ["get", "head", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                operations.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    assert!(!operations.is_empty(), "no operations found");
    operations
}

fn missing_operations(reference: &str, document: &str) -> Vec<String> {
    operations(document)
        .into_iter()
        .filter(|operation| !reference.contains(&format!("`{operation}`")))
        .collect()
}

/// The setting names in the first column of the reference's settings table
/// (the rows of its `## Settings` section).
fn settings_table(reference: &str) -> BTreeSet<String> {
    reference
        .split("\n## ")
        .find(|section| section.starts_with("Settings\n"))
        .expect("docs/API.md has a `## Settings` section")
        .lines()
        .filter_map(|line| line.strip_prefix("| `")?.split_once('`'))
        .map(|(name, _)| name.to_owned())
        .collect()
}

/// Names `sample.env` sets, or shows commented out (`# NAME=…`).
fn sample_env_names(sample: &str) -> BTreeSet<String> {
    sample
        .lines()
        .map(|line| line.trim_start_matches('#').trim_start())
        .filter_map(|line| line.split_once('='))
        .map(|(name, _)| name.to_owned())
        .filter(|name| {
            !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        })
        .collect()
}

#[test]
fn every_openapi_operation_is_in_the_reference() {
    let reference = repository_file("docs/API.md");
    for (name, document) in [
        (
            "openapi/openapi.json",
            repository_file("openapi/openapi.json"),
        ),
        (
            "the generated document",
            status_api::startup::openapi_document(),
        ),
    ] {
        let missing = missing_operations(&reference, &document);
        assert!(
            missing.is_empty(),
            "docs/API.md does not describe these operations of {name}: {missing:?}"
        );
    }
}

#[test]
fn every_setting_is_in_the_reference_and_nothing_else_is() {
    let documented = settings_table(&repository_file("docs/API.md"));
    let read = status_api::config::setting_names();
    let missing: Vec<_> = read
        .iter()
        .filter(|name| !documented.contains(*name))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/API.md's settings table lacks {missing:?}"
    );
    let unknown: Vec<_> = documented
        .iter()
        .filter(|name| !read.contains(*name) && !SETTINGS_READ_ELSEWHERE.contains(&name.as_str()))
        .collect();
    assert!(
        unknown.is_empty(),
        "docs/API.md's settings table lists {unknown:?}, which the service does not read"
    );
}

#[test]
fn every_setting_is_in_sample_env() {
    let sample = sample_env_names(&repository_file("sample.env"));
    let missing: Vec<_> = status_api::config::setting_names()
        .into_iter()
        .chain(SETTINGS_READ_ELSEWHERE.map(str::to_owned))
        .filter(|name| !sample.contains(name))
        .collect();
    assert!(missing.is_empty(), "sample.env lacks {missing:?}");
}

/// `make run` copies `sample.env` to `.env`, which the service reads with
/// dotenvy: every line must parse (a value with a space needs quotes).
#[test]
fn sample_env_parses_as_a_dot_env_file() {
    let path = format!("{}/sample.env", env!("CARGO_MANIFEST_DIR"));
    let mut names = 0;
    for item in dotenvy::from_filename_iter(&path).expect("sample.env") {
        item.unwrap_or_else(|error| panic!("sample.env: {error}"));
        names += 1;
    }
    assert!(names > 0);
}

#[test]
fn the_checks_see_what_they_look_for() {
    let document = r#"{"paths": {"/a": {"get": {}, "delete": {}}, "/a/{id}": {"post": {}}}}"#;
    assert_eq!(
        missing_operations("`GET /a` and `POST /a/{id}`", document),
        ["DELETE /a"]
    );
    let reference = "# X\n\n## Settings\n\n| name | default |\n|---|---|\n| `ONE` | `1` |\n\n## Next\n\n| `TWO` | x |\n";
    assert_eq!(
        settings_table(reference),
        BTreeSet::from(["ONE".to_owned()])
    );
    let sample = "# A comment = not a name\nONE=1\n# TWO=\nthree=3\n";
    assert_eq!(
        sample_env_names(sample),
        BTreeSet::from(["ONE".to_owned(), "TWO".to_owned()])
    );
}
