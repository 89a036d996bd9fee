//! Users with their unique emails, and the attempt counters of the throttle
//! (docs/dynamodb.md: user, email uniqueness, throttle window).

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{ConditionCheck, TransactWriteItem, Update};
use booking_core::{
    Error,
    ids::UserId,
    ports::{Admission, Attempt, Page, Quota, Throttle, UserStore},
    user::{Email, Role, User, check_role_change},
};
use jiff::Timestamp;

use super::{
    ATTEMPTS, Attempts, Item, Table, cancellation_reasons, doc, from_doc, get_n, get_s,
    is_condition_failed, key, n, query_items, s, sdk_err, store_err, transact_put_new,
};

fn user_key(id: UserId) -> Item {
    key(format!("USER#{id}"), "USER")
}

fn email_key(email: &Email) -> Item {
    key(format!("EMAIL#{email}"), "EMAIL")
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

        let mut attempts = Attempts::new("user insert", ATTEMPTS);
        loop {
            let result = self
                .table
                .client
                .transact_write_items()
                // Makes the SDK's own retries idempotent: a retry of a write that succeeded
                // succeeds, instead of finding the email taken by itself.
                .client_request_token(ulid::Ulid::generate().to_string())
                .transact_items(transact_put_new(&self.table.name, user_item.clone())?)
                .transact_items(transact_put_new(&self.table.name, email_item.clone())?)
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
            // Only a lost race (TransactionConflict) is worth another try; the last one
            // lost is answered with DynamoDB's own error.
            let conflict = reasons.iter().flatten().any(|c| c == "TransactionConflict");
            if !conflict || attempts.last() {
                return Err(sdk_err(e));
            }
            attempts.again("TransactionConflict").await?;
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
            .query()
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

    #[tracing::instrument(skip_all, fields(actor_id = %actor, user_id = %id, role = role.as_str()))]
    async fn set_role(&self, actor: UserId, id: UserId, role: Role) -> Result<User, Error> {
        let mut attempts = Attempts::new("role change", ATTEMPTS);
        loop {
            let Some(target_item) = self.get_item(user_key(id)).await? else {
                return Err(Error::NotFound("user"));
            };
            let actor_item = self.get_item(user_key(actor)).await?;
            let mut user: User = from_doc(&target_item)?;
            let actor_user: Option<User> = actor_item.as_ref().map(from_doc).transpose()?;
            check_role_change(actor_user.as_ref(), &user)?;
            let (Some(actor_item), Some(old)) = (actor_item, target_item.get("doc").cloned())
            else {
                return Err(store_err(anyhow::anyhow!("user item without a doc")));
            };
            let actor_doc = actor_item
                .get("doc")
                .cloned()
                .ok_or_else(|| store_err(anyhow::anyhow!("user item without a doc")))?;
            user.role = role;
            // Both users as just read, or nothing: an actor demoted meanwhile (by the user
            // they are demoting, say) fails the check, and the decision is taken again.
            let check = ConditionCheck::builder()
                .table_name(&self.table.name)
                .set_key(Some(user_key(actor)))
                .condition_expression("#doc = :actor")
                .expression_attribute_names("#doc", "doc")
                .expression_attribute_values(":actor", actor_doc)
                .build()
                .map_err(store_err)?;
            let update = Update::builder()
                .table_name(&self.table.name)
                .set_key(Some(user_key(id)))
                .update_expression("SET #doc = :new")
                .condition_expression("#doc = :old")
                .expression_attribute_names("#doc", "doc")
                .expression_attribute_values(":new", doc(&user)?)
                .expression_attribute_values(":old", old)
                .build()
                .map_err(store_err)?;
            let result = self
                .table
                .client
                .transact_write_items()
                .transact_items(TransactWriteItem::builder().condition_check(check).build())
                .transact_items(TransactWriteItem::builder().update(update).build())
                .send()
                .await;
            // A lost race is decided again on what is read next; the last one lost is
            // answered with DynamoDB's own error.
            match result {
                Ok(_) => return Ok(user),
                Err(e) if cancellation_reasons(&e).is_some() && !attempts.last() => {
                    attempts.again("the transaction was cancelled").await?;
                }
                Err(e) => return Err(sdk_err(e)),
            }
        }
    }
}

/// [`Throttle`] on the booking table: one item per key holding its current window
/// (`windowStart`, `windowEnd`, epoch ms) and `count`. Counting is one conditional update
/// whose condition holds the window and the limit (`windowEnd > now AND count < limit`);
/// a closed or missing window is replaced by a conditional put. `ttl` only sweeps old
/// items: DynamoDB deletes by TTL hours late, and correctness never depends on it.
#[derive(Clone, Debug)]
pub struct DynamoThrottle {
    table: Table,
}

impl DynamoThrottle {
    pub fn new(table: Table) -> Self {
        DynamoThrottle { table }
    }
}

/// How long a window's item outlives the window before TTL may sweep it (seconds).
const THROTTLE_TTL_SECS: i64 = 24 * 60 * 60;

fn throttle_key(name: &str) -> Item {
    key(format!("THROTTLE#{name}"), "THROTTLE")
}

fn ms_to_ts(ms: i64) -> Result<Timestamp, Error> {
    Timestamp::from_millisecond(ms).map_err(store_err)
}

#[async_trait]
impl Throttle for DynamoThrottle {
    #[tracing::instrument(skip_all)]
    async fn admit(&self, key: &str, quota: Quota, now: Timestamp) -> Result<Admission, Error> {
        use aws_sdk_dynamodb::types::{ReturnValue, ReturnValuesOnConditionCheckFailure};
        let now_ms = now.as_millisecond();
        let end_ms = now_ms.saturating_add(quota.window.as_millis().try_into().unwrap_or(i64::MAX));
        let mut attempts = Attempts::new("throttle admit", ATTEMPTS);
        loop {
            // Count in the open window, if it has room.
            let counted = self
                .table
                .update_item()
                .set_key(Some(throttle_key(key)))
                .update_expression("SET #count = #count + :one")
                .condition_expression("#end > :now AND #count < :limit")
                .expression_attribute_names("#count", "count")
                .expression_attribute_names("#end", "windowEnd")
                .expression_attribute_values(":one", n(1))
                .expression_attribute_values(":now", n(now_ms))
                .expression_attribute_values(":limit", n(quota.limit))
                .return_values(ReturnValue::AllNew)
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                )
                .send()
                .await;
            let old = match counted {
                Ok(out) => {
                    let start = out
                        .attributes
                        .as_ref()
                        .and_then(|a| get_n(a, "windowStart"))
                        .ok_or_else(|| store_err(anyhow::anyhow!("window without a start")))?;
                    return Ok(Admission::Counted(Attempt {
                        key: key.to_owned(),
                        window_start: ms_to_ts(start)?,
                    }));
                }
                Err(e) if is_condition_failed(&e) => match e.into_service_error() {
                    aws_sdk_dynamodb::operation::update_item::UpdateItemError::ConditionalCheckFailedException(c) => c.item,
                    _ => None,
                },
                Err(e) => return Err(sdk_err(e)),
            };
            // An open window that refused: it is full.
            if let Some(old) = &old
                && get_n(old, "windowEnd").is_some_and(|end| end > now_ms)
            {
                let start = get_n(old, "windowStart")
                    .ok_or_else(|| store_err(anyhow::anyhow!("window without a start")))?;
                return Ok(Admission::Full {
                    window_start: ms_to_ts(start)?,
                });
            }
            // No window, or a closed one: open a new one with this attempt in it, unless
            // a concurrent attempt opened it first (then count in that one).
            let opened = self
                .table
                .put_item()
                .set_item(Some(throttle_key(key)))
                .item("windowStart", n(now_ms))
                .item("windowEnd", n(end_ms))
                .item("count", n(1))
                .item("ttl", n(end_ms / 1000 + THROTTLE_TTL_SECS))
                .condition_expression("attribute_not_exists(PK) OR #end <= :now")
                .expression_attribute_names("#end", "windowEnd")
                .expression_attribute_values(":now", n(now_ms))
                .send()
                .await;
            match opened {
                Ok(_) => {
                    return Ok(Admission::Counted(Attempt {
                        key: key.to_owned(),
                        window_start: ms_to_ts(now_ms)?,
                    }));
                }
                Err(e) if is_condition_failed(&e) => {
                    attempts.again("the window kept changing").await?;
                }
                Err(e) => return Err(sdk_err(e)),
            }
        }
    }

    #[tracing::instrument(skip_all)]
    async fn give_back(&self, attempt: &Attempt) -> Result<(), Error> {
        let result = self
            .table
            .update_item()
            .set_key(Some(throttle_key(&attempt.key)))
            .update_expression("SET #count = #count - :one")
            .condition_expression("windowStart = :start AND #count > :zero")
            .expression_attribute_names("#count", "count")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":start", n(attempt.window_start.as_millisecond()))
            .send()
            .await;
        match result {
            // A later window (or none) owes this attempt nothing.
            Ok(_) => Ok(()),
            Err(e) if is_condition_failed(&e) => Ok(()),
            Err(e) => Err(sdk_err(e)),
        }
    }
}
