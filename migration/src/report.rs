//! What a migration command did, as the lines both command lines print
//! (`api migrate …` and this crate's own `migration …`).

use sea_orm_migration::MigratorTrait;

use crate::{Migrator, SchemaState};

/// This build's migration names, oldest first.
fn names() -> Vec<String> {
    Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect()
}

/// An empty database's state: every migration pending.
#[must_use]
pub fn every_pending() -> SchemaState {
    SchemaState {
        pending: names(),
        unknown: Vec::new(),
    }
}

/// This build's migrations that `state` has applied, oldest first.
#[must_use]
pub fn applied(state: &SchemaState) -> Vec<String> {
    names()
        .into_iter()
        .filter(|name| !state.pending.contains(name))
        .collect()
}

/// One line per migration (applied or pending; then those applied that this
/// build does not know), and a summary line.
#[must_use]
pub fn status(state: &SchemaState) -> String {
    let mut out = String::new();
    for name in names() {
        let status = if state.pending.contains(&name) {
            "pending"
        } else {
            "applied"
        };
        out.push_str(&format!("{status}  {name}\n"));
    }
    for name in &state.unknown {
        out.push_str(&format!(
            "applied  {name}  (not in this build: a newer build's)\n"
        ));
    }
    out.push_str(&format!(
        "{} applied, {} pending",
        applied(state).len(),
        state.pending.len()
    ));
    if !state.unknown.is_empty() {
        out.push_str(&format!(", {} unknown to this build", state.unknown.len()));
    }
    out.push('\n');
    out
}

/// The migrations `up` applied between `before` and `after`.
#[must_use]
pub fn applied_between(before: &SchemaState, after: &SchemaState) -> String {
    let done: Vec<&String> = before
        .pending
        .iter()
        .filter(|name| !after.pending.contains(name))
        .collect();
    if done.is_empty() {
        return format!(
            "nothing to apply: all {} migrations are applied\n",
            applied(after).len()
        );
    }
    done.iter()
        .map(|name| format!("applied  {name}\n"))
        .collect()
}

/// The migrations `down` reverted between `before` and `after`, newest first.
#[must_use]
pub fn reverted_between(before: &SchemaState, after: &SchemaState) -> String {
    let done: Vec<String> = applied(before)
        .into_iter()
        .rev()
        .filter(|name| after.pending.contains(name))
        .collect();
    if done.is_empty() {
        return "nothing to revert: no migration is applied\n".to_owned();
    }
    done.iter()
        .map(|name| format!("reverted {name}\n"))
        .collect()
}
