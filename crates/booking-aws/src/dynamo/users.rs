//! Users with their unique emails, and failed logins (docs/dynamodb.md: user, email
//! uniqueness, failed login).

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
use booking_core::{
    Error,
    ids::UserId,
    ports::{LoginAttempts, Page, UserStore},
    user::{Email, Role, User},
};
use jiff::Timestamp;

use super::{
    Item, MAX_ATTEMPTS, Table, backoff, cancellation_reasons, delete_keys, doc, from_doc, get_s,
    is_condition_failed, n, padded_ms, query_items, s, sdk_err, store_err,
};

/// Failed logins older than this are of no interest to the lockout; DynamoDB's TTL removes
/// them.
const FAILURE_TTL_SECS: i64 = 24 * 60 * 60;
/// At most this many recent failures are read back, as the in-memory adapter keeps.
const MAX_FAILURES_READ: usize = 64;

fn user_key(id: UserId) -> Item {
    Item::from([
        ("PK".into(), s(format!("USER#{id}"))),
        ("SK".into(), s("USER")),
    ])
}

fn email_key(email: &Email) -> Item {
    Item::from([
        ("PK".into(), s(format!("EMAIL#{email}"))),
        ("SK".into(), s("EMAIL")),
    ])
}

fn login_pk(email: &Email) -> String {
    format!("LOGIN#{email}")
}

fn put_new(table: &Table, item: Item) -> Result<TransactWriteItem, Error> {
    let put = Put::builder()
        .table_name(&table.name)
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(PK)")
        .build()
        .map_err(store_err)?;
    Ok(TransactWriteItem::builder().put(put).build())
}

/// [`UserStore`] on the booking table: one item per user, and one per email that makes the
/// email unique (both written in one transaction).
#[derive(Clone, Debug)]
pub struct DynamoUsers {
    table: Table,
}

impl DynamoUsers {
    pub fn new(table: Table) -> Self {
        DynamoUsers { table }
    }

    async fn get_item(&self, key: Item) -> Result<Option<Item>, Error> {
        let out = self.table.get(key).await?;
        Ok(out)
    }
}

#[async_trait]
impl UserStore for DynamoUsers {
    #[tracing::instrument(skip_all, fields(user_id = %user.id))]
    async fn insert(&self, user: &User) -> Result<(), Error> {
        let mut user_item = user_key(user.id);
        user_item.insert("doc".into(), doc(user)?);
        user_item.insert("GSI3PK".into(), s("USERS"));
        user_item.insert("GSI3SK".into(), s(user.id.to_string()));
        let mut email_item = email_key(&user.email);
        email_item.insert("userId".into(), s(user.id.to_string()));

        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = self
                .table
                .client
                .transact_write_items()
                // Makes the SDK's own retries idempotent: a retry of a write that succeeded
                // succeeds, instead of finding the email taken by itself.
                .client_request_token(ulid::Ulid::generate().to_string())
                .transact_items(put_new(&self.table, user_item.clone())?)
                .transact_items(put_new(&self.table, email_item.clone())?)
                .send()
                .await;
            let Err(e) = result else {
                return Ok(());
            };
            let Some(reasons) = cancellation_reasons(&e) else {
                return Err(sdk_err(e));
            };
            let failed = |i: usize| {
                reasons
                    .get(i)
                    .and_then(Option::as_deref)
                    .is_some_and(|c| c == "ConditionalCheckFailed")
            };
            if failed(1) {
                return Err(Error::Conflict {
                    field: "email",
                    reason: "is already registered".into(),
                });
            }
            if failed(0) {
                return Err(Error::Conflict {
                    field: "id",
                    reason: "already exists".into(),
                });
            }
            // Only a lost race (TransactionConflict) is worth another try.
            let conflict = reasons.iter().flatten().any(|c| c == "TransactionConflict");
            if !conflict || attempt >= MAX_ATTEMPTS {
                return Err(sdk_err(e));
            }
            tracing::debug!(attempt, "user insert lost a transaction race; retrying");
            backoff(attempt).await;
        }
    }

    #[tracing::instrument(skip_all, fields(user_id = %id))]
    async fn get(&self, id: UserId) -> Result<Option<User>, Error> {
        self.get_item(user_key(id))
            .await?
            .map(|item| from_doc(&item))
            .transpose()
    }

    #[tracing::instrument(skip_all)]
    async fn find_by_email(&self, email: &Email) -> Result<Option<User>, Error> {
        let Some(item) = self.get_item(email_key(email)).await? else {
            return Ok(None);
        };
        let id = get_s(&item, "userId")
            .and_then(|id| UserId::parse("userId", id).ok())
            .ok_or_else(|| store_err(anyhow::anyhow!("email item without a valid userId")))?;
        self.get(id).await
    }

    #[tracing::instrument(skip_all, fields(limit = limit))]
    async fn list(&self, after: Option<UserId>, limit: usize) -> Result<Page<User>, Error> {
        // One more than asked tells whether there is a next page.
        let want = limit.saturating_add(1);
        let mut query = self
            .table
            .client
            .query()
            .table_name(&self.table.name)
            .index_name("GSI3")
            .limit(i32::try_from(want).unwrap_or(i32::MAX))
            .expression_attribute_values(":pk", s("USERS"));
        query = match after {
            Some(after) => query
                .key_condition_expression("GSI3PK = :pk AND GSI3SK > :after")
                .expression_attribute_values(":after", s(after.to_string())),
            None => query.key_condition_expression("GSI3PK = :pk"),
        };
        let items = query_items(query, Some(want))
            .await?
            .iter()
            .map(from_doc)
            .collect::<Result<Vec<User>, Error>>()?;
        Ok(Page::from_overfetch(items, limit, |u| u.id.to_string()))
    }

    #[tracing::instrument(skip_all, fields(user_id = %id, role = role.as_str()))]
    async fn set_role(&self, id: UserId, role: Role) -> Result<Option<User>, Error> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let Some(item) = self.get_item(user_key(id)).await? else {
                return Ok(None);
            };
            let mut user: User = from_doc(&item)?;
            let old = item
                .get("doc")
                .cloned()
                .ok_or_else(|| store_err(anyhow::anyhow!("user item without a doc")))?;
            user.role = role;
            // Conditioned on the doc just read: a concurrent change is never overwritten.
            let result = self
                .table
                .client
                .update_item()
                .table_name(&self.table.name)
                .set_key(Some(user_key(id)))
                .update_expression("SET #doc = :new")
                .condition_expression("#doc = :old")
                .expression_attribute_names("#doc", "doc")
                .expression_attribute_values(":new", doc(&user)?)
                .expression_attribute_values(":old", old)
                .send()
                .await;
            match result {
                Ok(_) => return Ok(Some(user)),
                Err(e) if is_condition_failed(&e) && attempt < MAX_ATTEMPTS => {
                    backoff(attempt).await;
                }
                Err(e) => return Err(sdk_err(e)),
            }
        }
    }
}

/// [`LoginAttempts`] on the booking table: one item per failure under the email, which
/// DynamoDB's TTL removes a day later.
#[derive(Clone, Debug)]
pub struct DynamoLoginAttempts {
    table: Table,
}

impl DynamoLoginAttempts {
    pub fn new(table: Table) -> Self {
        DynamoLoginAttempts { table }
    }
}

#[async_trait]
impl LoginAttempts for DynamoLoginAttempts {
    #[tracing::instrument(skip_all)]
    async fn failures_since(
        &self,
        email: &Email,
        since: Timestamp,
    ) -> Result<Vec<Timestamp>, Error> {
        // The key narrows to the millisecond; the exact `at` decides "strictly after".
        let query = self
            .table
            .client
            .query()
            .table_name(&self.table.name)
            .consistent_read(true)
            .key_condition_expression("PK = :pk AND SK > :since")
            .expression_attribute_values(":pk", s(login_pk(email)))
            .expression_attribute_values(":since", s(format!("FAIL#{}", padded_ms(since))))
            .scan_index_forward(false)
            .limit(i32::try_from(MAX_FAILURES_READ).unwrap_or(i32::MAX));
        let mut failures = query_items(query, Some(MAX_FAILURES_READ))
            .await?
            .iter()
            .map(|item| {
                get_s(item, "at")
                    .and_then(|at| at.parse::<Timestamp>().ok())
                    .ok_or_else(|| store_err(anyhow::anyhow!("failed login without a valid at")))
            })
            .collect::<Result<Vec<_>, Error>>()?;
        failures.retain(|at| *at > since);
        failures.sort();
        Ok(failures)
    }

    #[tracing::instrument(skip_all)]
    async fn record_failure(&self, email: &Email, at: Timestamp) -> Result<(), Error> {
        let sk = format!("FAIL#{}#{}", padded_ms(at), ulid::Ulid::generate());
        self.table
            .client
            .put_item()
            .table_name(&self.table.name)
            .item("PK", s(login_pk(email)))
            .item("SK", s(sk))
            .item("at", s(at.to_string()))
            .item("ttl", n(at.as_second().saturating_add(FAILURE_TTL_SECS)))
            .send()
            .await
            .map_err(sdk_err)?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn clear(&self, email: &Email) -> Result<(), Error> {
        let query = self
            .table
            .client
            .query()
            .table_name(&self.table.name)
            .consistent_read(true)
            .key_condition_expression("PK = :pk")
            .expression_attribute_values(":pk", s(login_pk(email)))
            .projection_expression("PK, SK");
        let keys = query_items(query, None).await?;
        delete_keys(&self.table, keys).await
    }
}
