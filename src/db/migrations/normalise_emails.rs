//! Migration 3: stores the emails of accounts registered before
//! normalisation (trimmed and lowercased only) in their normalised form.
//!
//! An account whose normalised form another account already has keeps its
//! stored address, and so does one whose address has no valid normalised
//! form: two accounts are never merged, and each can still log in with
//! exactly the address it registered (see `users::find_credentials`). These
//! are reported with `log::warn!` by user id only: the addresses are
//! personal data, and the id is enough to look them up.

use std::future::Future;
use std::pin::Pin;

use mysql_async::Transaction;
use mysql_async::prelude::*;

use crate::db::DbError;
use crate::domain::Email;

/// Rows read at a time, so that a large table is never held in memory.
const BATCH_ROWS: u64 = 1000;

/// The step `migrations` runs, inside its transaction.
pub fn run<'t>(
    transaction: &'t mut Transaction<'_>,
) -> Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send + 't>> {
    Box::pin(normalise_all(transaction))
}

#[derive(Default)]
struct Tally {
    rewritten: u64,
    kept: u64,
}

/// Goes through the rows in id order, so that when two old accounts
/// normalise to one form, the older one gets it.
async fn normalise_all(transaction: &mut Transaction<'_>) -> anyhow::Result<()> {
    let mut tally = Tally::default();
    let mut after_id = 0;
    loop {
        let rows: Vec<(u64, String)> = transaction
            .exec(
                "SELECT id, email FROM users WHERE id > ? ORDER BY id LIMIT ?",
                (after_id, BATCH_ROWS),
            )
            .await?;
        let Some(&(last_id, _)) = rows.last() else {
            break;
        };
        for (id, stored) in rows {
            normalise_row(transaction, id, &stored, &mut tally).await?;
        }
        after_id = last_id;
    }
    log::info!(
        "normalised the stored emails: {} rewritten, {} kept as registered",
        tally.rewritten,
        tally.kept
    );
    Ok(())
}

async fn normalise_row(
    transaction: &mut Transaction<'_>,
    id: u64,
    stored: &str,
    tally: &mut Tally,
) -> anyhow::Result<()> {
    let Ok(email) = Email::parse(stored) else {
        log::warn!("user {id} keeps its stored email: it has no valid normalised form");
        tally.kept += 1;
        return Ok(());
    };
    if email.as_str() == stored {
        return Ok(());
    }
    // The unique key decides whether the form is free, rows rewritten
    // earlier in this run included; a refused row only undoes its own
    // statement, not the transaction.
    let update = transaction
        .exec_drop(
            "UPDATE users SET email = ? WHERE id = ?",
            (email.as_str(), id),
        )
        .await;
    match update.map_err(DbError::from) {
        Ok(()) => tally.rewritten += 1,
        Err(DbError::Duplicate) => {
            let holder: Option<u64> = transaction
                .exec_first("SELECT id FROM users WHERE email = ?", (email.as_str(),))
                .await?;
            let holder =
                holder.map_or_else(|| "another user".to_owned(), |id| format!("user {id}"));
            log::warn!(
                "user {id} keeps its stored email: its normalised form is {holder}'s; \
                 both accounts log in with the address each registered"
            );
            tally.kept += 1;
        }
        Err(other) => return Err(other.into()),
    }
    Ok(())
}
