//! The check that a caller's credential is live, as a condition of the very
//! statement that does the work it allows (`domain::LiveCredential`).
//!
//! One text for both kinds of credential, so that the statements whose text
//! is cached ([`crate::cached_sql`]) have one text each:
//! `EXISTS (<the session>) OR EXISTS (<the personal access token>)`, the
//! id of the kind not presented bound as 0, which no row has (ids start at
//! 1). Neither subquery depends on the outer row, so PostgreSQL makes each
//! an InitPlan, evaluated only when the `OR` needs it: for an access
//! token's caller the session's `EXISTS` is true and the token's never
//! runs; a personal access token's caller pays one more primary-key probe
//! (of id 0) first.

use domain::{Credential, LiveCredential, PersonalTokenId, SessionId};
use sea_orm::Value;
use sea_orm::sea_query::{ExprTrait as _, SimpleExpr};

use crate::personal_token_repository::personal_token_holds;
use crate::session_repository::{session_holds, session_holds_values};

/// Ids no row has: the credential not presented.
const NO_SESSION: SessionId = SessionId(0);
const NO_TOKEN: PersonalTokenId = PersonalTokenId(0);

fn ids(check: LiveCredential) -> (SessionId, PersonalTokenId) {
    match check.credential {
        Credential::Session(session) => (session, NO_TOKEN),
        Credential::PersonalToken(token) => (NO_SESSION, token),
    }
}

/// `check`'s credential is live: its session, or its personal access token.
pub(crate) fn credential_holds(check: LiveCredential) -> SimpleExpr {
    let (session, token) = ids(check);
    session_holds(check.user, session, check.at)
        .or(personal_token_holds(check.user, token, check.at))
}

/// The values of [`credential_holds`]`(check)`, in the order its SQL binds
/// them (for statements whose text is cached).
pub(crate) fn credential_holds_values(check: LiveCredential) -> [Value; 10] {
    let (session, token) = ids(check);
    let [a, b, c, d, e] = session_holds_values(check.user, session, check.at);
    [
        a,
        b,
        c,
        d,
        e,
        Value::from(1_i32),
        Value::from(token.0),
        Value::from(check.user.0),
        Value::from(true),
        Value::from(check.at),
    ]
}

#[cfg(test)]
mod tests {
    use domain::UserId;
    use sea_orm::sea_query::{PostgresQueryBuilder, Query, SqliteQueryBuilder};

    use super::*;

    #[test]
    fn the_values_are_the_built_ones_in_order_for_both_kinds() {
        let at = domain::time::SystemClock::now();
        for credential in [
            Credential::Session(SessionId(11)),
            Credential::PersonalToken(PersonalTokenId(7)),
        ] {
            let check = LiveCredential {
                user: UserId(3),
                credential,
                at,
            };
            let select = Query::select().expr(credential_holds(check)).to_owned();
            for (_, values) in [
                select.build(PostgresQueryBuilder),
                select.build(SqliteQueryBuilder),
            ] {
                assert_eq!(values.0, credential_holds_values(check).to_vec());
            }
        }
    }

    #[test]
    fn the_credential_not_presented_is_bound_as_id_0() {
        let at = domain::time::SystemClock::now();
        let token = LiveCredential {
            user: UserId(3),
            credential: Credential::PersonalToken(PersonalTokenId(7)),
            at,
        };
        let values = credential_holds_values(token);
        assert_eq!(
            (&values[1], &values[6]),
            (&Value::from(0_i64), &Value::from(7_i64))
        );
        let session = LiveCredential {
            credential: Credential::Session(SessionId(11)),
            ..token
        };
        let values = credential_holds_values(session);
        assert_eq!(
            (&values[1], &values[6]),
            (&Value::from(11_i64), &Value::from(0_i64))
        );
    }
}
