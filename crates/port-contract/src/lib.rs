//! The storage ports' contract: what `domain::ports::{UserRepository,
//! SessionRepository, TodoRepository, LoginAttempts, DatabaseProbe,
//! SchemaStatus, StorePruner, AccountTokenRepository, Outbox,
//! PersonalTokenRepository, SecondFactorRepository}` promise in
//! their docs, written once as tests and run
//! against every adapter (SQLite and PostgreSQL through `infra-sea`, the
//! in-memory store, any store to come).
//!
//! The tests speak only the ports and the domain's types: no SQL, no
//! connection, no adapter type. Time is never read from a clock: every
//! `now`/`at` a port takes is a fixed instant ([`support::BASE`] plus an
//! offset), with microsecond precision, and nothing sleeps.
//!
//! # Running the suite against an adapter
//!
//! Add this crate (and `tokio`, with `macros` and `rt-multi-thread`) to the
//! adapter crate's `[dev-dependencies]`, implement [`Backend`] for a type
//! that makes a fresh, empty store, and write, in a test file of the adapter
//! crate (e.g. `tests/contract.rs`), the one line:
//!
//! ```ignore
//! port_contract::suite!(MemoryBackend);
//! ```
//!
//! with, for example:
//!
//! ```ignore
//! struct MemoryBackend;
//!
//! impl port_contract::Backend for MemoryBackend {
//!     async fn fresh() -> port_contract::Fixture {
//!         let store = infra_memory::MemoryStore::new();
//!         // Whatever must live as long as the test (a temporary directory,
//!         // a database guard) goes in the second argument; `()` if nothing.
//!         port_contract::Fixture::new(store.repositories(), ())
//!     }
//! }
//! ```
//!
//! [`suite!`] expands to one `#[tokio::test]` per contract test, in one
//! module per port (`users`, `sessions`, `todos`, `login_attempts`, `probe`,
//! `pruning`, `schema`, `outbox`, `account_tokens`, `personal_tokens`,
//! `second_factors`, and `fixture` for
//! [`Backend::fresh`] itself), so a failure names
//! the port and the rule: `users::email_is_unique_case_insensitively`.
//! To run it against two backends in one file, put each invocation in its
//! own module (`mod sqlite { port_contract::suite!(SqliteBackend); }`).
//!
//! # A failing contract test is a bug in the adapter
//!
//! Every adapter passes every test here. When one fails for one adapter,
//! that adapter breaks a promise the rest of the service relies on: fix the
//! adapter. Do not skip, weaken or special-case the test for it. If the test
//! itself asks more than the port's docs promise, change the docs and the
//! test together, for every adapter. Tests of one adapter's own machinery
//! (its SQL, its pool, its error mapping) belong in that adapter's crate,
//! not here.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::any::Any;
use std::future::Future;

use domain::ports::Repositories;

pub mod account_tokens;
pub mod fixture;
pub mod login_attempts;
pub mod outbox;
pub mod personal_tokens;
pub mod probe;
pub mod pruning;
pub mod schema;
pub mod second_factors;
pub mod sessions;
pub mod support;
pub mod todos;
pub mod users;

/// How the suite gets a store: one type per adapter (and per configuration
/// of it, e.g. SQLite and PostgreSQL).
pub trait Backend: Send + Sync + 'static {
    /// A fresh, empty, migrated store for one test, not shared with any
    /// other `fresh()` store; cleaned up when the fixture is dropped (also
    /// when the test panics). Panics when no store can be made: the test
    /// fails, naming why.
    fn fresh() -> impl Future<Output = Fixture> + Send;
}

/// One test's store: its ports, and whatever keeps it alive until the test
/// ends (dropped, and so cleaned up, after the test's ports).
pub struct Fixture {
    pub ports: Repositories,
    _keep: Box<dyn Any + Send + Sync>,
}

impl Fixture {
    /// The ports of a store, and `keep`: anything that must outlive the test
    /// (a database that is dropped with it, a temporary directory), or `()`.
    pub fn new(ports: Repositories, keep: impl Any + Send + Sync) -> Self {
        Self {
            ports,
            _keep: Box::new(keep),
        }
    }
}

impl std::fmt::Debug for Fixture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fixture").finish_non_exhaustive()
    }
}

/// Runs one contract test on a fresh store of `B`: what each test that
/// [`suite!`] generates does.
pub async fn run<B, F, Fut>(test: F)
where
    B: Backend,
    F: FnOnce(Repositories) -> Fut,
    Fut: Future<Output = ()>,
{
    let fixture = B::fresh().await;
    test(fixture.ports.clone()).await;
    drop(fixture);
}

/// Instantiates the whole contract suite for a [`Backend`]: one
/// `#[tokio::test]` per contract test, in a module per port. Needs `tokio`
/// (features `macros`, `rt-multi-thread`) among the calling crate's
/// dependencies.
///
/// ```ignore
/// mod sqlite {
///     port_contract::suite!(super::SqliteBackend);
/// }
/// ```
#[macro_export]
macro_rules! suite {
    ($backend:ty) => {
        $crate::__suite! {
            $backend;
            users {
                create_returns_the_stored_user_with_a_new_id,
                email_is_unique_case_insensitively,
                username_is_unique_case_insensitively,
                a_non_ascii_email_differing_only_in_case_is_a_conflict_on_create_and_update,
                find_by_login_matches_a_non_ascii_email_in_any_case,
                a_user_colliding_on_both_email_and_username_is_a_conflict_on_email,
                find_by_id_of_a_missing_user_is_none,
                find_by_login_matches_email_or_username_case_insensitively,
                list_is_ordered_by_id_with_total_and_offset,
                list_after_an_id_reads_the_users_above_it_whether_or_not_it_still_exists,
                update_writes_only_the_patched_fields_and_updated_at,
                update_to_a_taken_email_or_username_is_a_conflict_and_changes_nothing,
                update_may_change_the_case_of_its_own_username,
                update_of_a_missing_user_is_none,
                set_password_replaces_the_hash_and_updated_at_only,
                set_password_of_a_missing_user_is_false,
                delete_reports_whether_a_user_was_deleted,
                delete_deletes_the_users_todos,
                delete_deletes_the_users_sessions_and_refresh_tokens,
                concurrent_creates_of_one_username_give_one_success_and_conflicts (multi_thread),
                concurrent_creates_of_one_email_give_one_success_and_conflicts (multi_thread),
                concurrent_updates_to_one_username_give_one_success_and_a_conflict (multi_thread),
                timestamps_round_trip_to_the_microsecond,
                text_round_trips_exactly,
            }
            sessions {
                create_stores_it_with_its_current_first_token,
                find_refresh_token_of_an_unknown_hash_is_none,
                rotate_spends_the_token_stores_the_successor_and_moves_last_used_at,
                rotating_a_spent_token_again_is_false_and_writes_nothing,
                rotating_under_another_session_id_is_false,
                concurrent_rotations_of_one_token_let_exactly_one_win (multi_thread),
                revoke_ends_the_users_own_session_but_not_another_users,
                revoke_of_an_expired_session_is_false,
                revoke_all_ends_every_live_session_of_the_user_except_the_kept_one,
                revoke_all_neither_counts_nor_touches_expired_sessions,
                list_active_is_newest_first_and_leaves_out_revoked_and_expired_sessions,
                find_authenticated_returns_the_user_of_a_live_session,
                find_authenticated_is_none_for_an_ended_session_or_the_wrong_user,
                find_authenticated_is_none_from_the_instant_the_session_expires,
                find_authenticated_is_none_once_the_user_is_deactivated_or_deleted,
                client_info_round_trips_unicode_and_a_512_character_user_agent,
                absent_client_info_round_trips,
            }
            todos {
                create_returns_the_stored_todo_and_find_by_id_reads_it,
                create_without_description_stores_none,
                ids_are_never_reused,
                find_by_id_of_a_missing_todo_is_none,
                text_round_trips_exactly,
                list_is_newest_first_and_filters_completed,
                todos_created_at_the_same_instant_are_listed_by_id_descending,
                list_pagination_has_the_total_and_honours_the_offset,
                keyset_pages_walk_the_list_in_order_without_gaps_or_repeats,
                keyset_pages_keep_the_filter_and_continue_below_a_deleted_position,
                list_shows_only_the_owners,
                update_changes_only_the_patched_fields,
                update_with_description_set_to_none_clears_it,
                update_of_a_missing_todo_is_none,
                delete_reports_whether_a_todo_was_deleted,
                update_and_delete_by_someone_else_change_nothing,
                update_not_later_than_the_stored_updated_at_changes_nothing,
                timestamps_round_trip_to_the_microsecond,
                nothing_is_done_unless_the_session_is_live,
                nothing_is_done_for_a_deleted_user,
                everything_works_through_a_live_session,
                find_owned_of_someone_elses_todo_is_none,
                a_personal_token_reaches_the_todos_only_while_live,
                a_deactivated_users_personal_token_reaches_nothing,
            }
            login_attempts {
                recent_is_newest_first_and_at_most_limit_long,
                recent_counts_only_events_since_the_window_start,
                keys_are_counted_apart_and_account_names_ignore_case,
                clear_forgets_only_that_key,
                recording_no_keys_does_nothing,
                an_overlong_key_is_still_counted_and_cleared,
                unicode_account_names_are_counted,
                concurrent_records_of_one_key_all_count (multi_thread),
            }
            probe {
                current_time_is_close_to_now,
            }
            pruning {
                a_pass_deletes_ended_sessions_with_their_tokens_and_nothing_live,
                a_pass_deletes_login_events_before_the_instant_and_keeps_the_rest,
                a_second_pass_finds_nothing_left,
                a_pass_leaves_other_tables_alone,
                a_pass_deletes_mail_finished_before_the_instant_and_never_a_pending_one,
                a_pass_deletes_account_tokens_ended_before_the_instant_and_keeps_the_rest,
            }
            schema {
                a_fresh_store_has_no_pending_migrations,
            }
            outbox {
                a_queued_message_is_claimed_whole_with_its_first_attempt,
                a_message_is_not_due_before_the_instant_it_was_queued_at,
                claim_takes_the_oldest_due_messages_first_up_to_the_limit,
                a_claimed_message_is_not_claimed_again_before_its_lease_ends_but_is_after,
                a_sent_message_is_never_claimed_again,
                retry_at_makes_it_due_at_that_instant_and_not_before,
                a_failed_message_is_given_up_on,
                release_restores_the_attempt_count_and_makes_it_due_now,
                stats_count_messages_by_status_with_the_oldest_pending,
                concurrent_claims_never_return_one_message_twice (multi_thread),
            }
            account_tokens {
                issue_stores_a_live_token_found_by_its_hash_and_kind,
                issue_queues_its_mail_in_the_same_step,
                issue_revokes_the_previous_live_token_of_the_same_kind_only,
                find_live_refuses_used_revoked_expired_other_kind_and_unknown_tokens,
                redeem_password_reset_replaces_the_hash_and_ends_every_session_of_the_user,
                redeem_password_reset_queues_the_notice_and_leaves_other_kinds_live,
                concurrent_redemptions_of_one_token_give_exactly_one_true (multi_thread),
                a_redemption_after_the_expiry_is_false_and_writes_nothing,
                a_used_revoked_or_verification_token_redeems_nothing,
                revoke_all_revokes_and_counts_the_live_tokens_of_the_kind,
                deleting_a_user_deletes_their_tokens,
                redeem_email_verification_verifies_the_user_once,
                a_verification_redeems_nothing_once_the_address_changed_or_with_a_reset_token,
                an_update_that_unverifies_the_email_clears_email_verified_and_others_keep_it,
                concurrent_verifications_of_one_token_give_exactly_one_user (multi_thread),
            }
            personal_tokens {
                create_returns_the_stored_token_and_find_live_finds_it_by_hash,
                a_token_is_live_until_it_expires_or_is_revoked,
                nobody_else_may_revoke_or_hold_a_token,
                a_deactivated_users_tokens_are_not_live_until_reactivated,
                list_is_newest_first_without_revoked_tokens_and_only_the_users,
                revoke_all_revokes_and_counts_only_the_unrevoked_tokens,
                touch_moves_last_used_at_at_most_once_per_interval,
                concurrent_touches_write_exactly_once (multi_thread),
                deleting_a_user_deletes_their_tokens,
            }
            second_factors {
                a_user_without_a_factor_has_none_and_no_codes,
                save_pending_stores_a_pending_factor,
                every_byte_of_a_sealed_secret_round_trips,
                save_pending_for_a_missing_user_is_an_error,
                a_new_enrolment_replaces_a_pending_factor_and_its_last_step,
                a_confirmed_factor_is_never_replaced_by_an_enrolment,
                confirm_confirms_the_pending_factor_with_its_unused_codes,
                confirm_of_another_secret_or_of_no_factor_writes_nothing,
                accept_step_accepts_only_a_later_step,
                concurrent_acceptances_of_one_step_let_exactly_one_win (multi_thread),
                a_recovery_code_is_used_once_and_only_by_its_owner,
                concurrent_uses_of_one_recovery_code_let_exactly_one_win (multi_thread),
                remove_deletes_the_factor_and_every_code,
                a_pending_factor_is_removed_too,
                reseal_replaces_the_secret_only_if_it_is_still_the_old_one,
                deleting_a_user_deletes_their_factor_and_codes,
            }
        }
        mod fixture {
            #[::tokio::test]
            async fn fresh_stores_are_independent() {
                $crate::fixture::fresh_stores_are_independent::<super::PortContractBackend>().await;
            }
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __suite {
    ($backend:ty; $( $module:ident { $( $test:ident $( ($flavor:ident) )? ),* $(,)? } )*) => {
        /// The backend this module's contract tests run on.
        type PortContractBackend = $backend;
        $(
            mod $module {
                $( $crate::__test!($module, $test $(, $flavor)?); )*
            }
        )*
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __test {
    ($module:ident, $test:ident) => {
        #[::tokio::test]
        async fn $test() {
            $crate::run::<super::PortContractBackend, _, _>($crate::$module::$test).await;
        }
    };
    ($module:ident, $test:ident, multi_thread) => {
        #[::tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $test() {
            $crate::run::<super::PortContractBackend, _, _>($crate::$module::$test).await;
        }
    };
}
