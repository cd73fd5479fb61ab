//! The README's two commands must work word for word on a fresh clone
//! (issue 14): this test reads them from the README and checks what can be
//! checked without a release build; `.ci/run` then runs the run command
//! itself (`<run command> -- --help`) and the test command.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The commands of the README's "The two commands" block, without comments.
fn readme_commands() -> Vec<String> {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let section = readme
        .split("## The two commands")
        .nth(1)
        .expect("README has a section \"The two commands\"");
    let block = section
        .split("```sh\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the section opens with a ```sh block");
    block
        .lines()
        .map(|line| line.split('#').next().unwrap().trim().to_owned())
        .filter(|line| !line.is_empty())
        .collect()
}

#[test]
fn the_readme_names_two_commands_a_run_and_a_test() {
    let commands = readme_commands();
    assert_eq!(commands.len(), 2, "{commands:?}");
    assert!(commands[0].starts_with("cargo run"), "{commands:?}");
    assert!(commands[1].starts_with("cargo test"), "{commands:?}");
}

#[test]
fn ci_runs_both_readme_commands_word_for_word() {
    let ci = std::fs::read_to_string(root().join(".ci/run")).unwrap();
    let commands = readme_commands();
    let run = format!("{} -- --help", commands[0]);
    assert!(ci.contains(&run), ".ci/run does not run `{run}`");
    let test = &commands[1];
    let runs_test = ci
        .lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .any(|line| line.trim_end().ends_with(test.as_str()));
    assert!(runs_test, ".ci/run does not run `{test}`");
}

/// What `cargo run` needs to pick a binary without `--bin`: the default
/// members build exactly one (cargo refuses to guess among several).
#[test]
fn the_run_command_resolves_to_the_api_binary() {
    let run = &readme_commands()[0];
    assert!(
        !run.contains("--bin") && !run.contains("-p "),
        "the check below is for a bare `cargo run`: {run}"
    );
    let output = Command::new(env!("CARGO"))
        .args(["metadata", "--no-deps", "--format-version", "1"])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let defaults: Vec<&str> = metadata["workspace_default_members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| id.as_str().unwrap())
        .collect();
    let binaries: Vec<&str> = metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|package| defaults.contains(&package["id"].as_str().unwrap()))
        .flat_map(|package| package["targets"].as_array().unwrap())
        .filter(|target| {
            target["kind"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k == "bin")
        })
        .map(|target| target["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        binaries,
        ["api"],
        "`{run}` would have to choose among {binaries:?}"
    );
}
