//! The catalog of services and the business settings (docs/dynamodb.md: service, settings).

use async_trait::async_trait;
use booking_core::{
    Error,
    catalog::Service,
    ids::ServiceId,
    ports::{CatalogStore, SettingsStore},
    settings::Settings,
};

use super::{
    ATTEMPTS, Attempts, Item, PutNew, Table, doc, from_doc, is_condition_failed, key, query_docs,
    s, sdk_err, store_err,
};

fn service_key(id: ServiceId) -> Item {
    key(format!("SERVICE#{id}"), "SERVICE")
}

fn service_item(service: &Service) -> Result<Item, Error> {
    let mut item = service_key(service.id);
    item.insert("doc".into(), doc(service)?);
    item.insert("updatedAt".into(), s(service.updated_at.to_string()));
    item.insert("GSI3PK".into(), s("SERVICES"));
    item.insert("GSI3SK".into(), s(service.id.to_string()));
    Ok(item)
}

fn changed_meanwhile() -> Error {
    Error::Conflict {
        field: "id",
        reason: "the service changed meanwhile; read it again and retry".into(),
    }
}

/// [`CatalogStore`] on the booking table: one item per service, listed through GSI3.
#[derive(Clone, Debug)]
pub struct DynamoCatalog {
    table: Table,
}

impl DynamoCatalog {
    pub fn new(table: Table) -> Self {
        DynamoCatalog { table }
    }

    async fn get_item(&self, id: ServiceId) -> Result<Option<Item>, Error> {
        let out = self.table.get(service_key(id)).await?;
        Ok(out)
    }
}

#[async_trait]
impl CatalogStore for DynamoCatalog {
    #[tracing::instrument(skip_all, fields(service_id = %service.id))]
    async fn insert(&self, service: &Service) -> Result<(), Error> {
        match self.table.put_new(service_item(service)?).await? {
            PutNew::Written => Ok(()),
            PutNew::Exists(_) => Err(Error::Conflict {
                field: "id",
                reason: "already exists".into(),
            }),
        }
    }

    #[tracing::instrument(skip_all, fields(service_id = %id))]
    async fn get(&self, id: ServiceId) -> Result<Option<Service>, Error> {
        self.get_item(id)
            .await?
            .map(|item| from_doc(&item))
            .transpose()
    }

    #[tracing::instrument(skip_all, fields(include_inactive = include_inactive))]
    async fn list(&self, include_inactive: bool) -> Result<Vec<Service>, Error> {
        let query = self
            .table
            .query()
            .index_name("GSI3")
            .key_condition_expression("GSI3PK = :pk")
            .expression_attribute_values(":pk", s("SERVICES"));
        let mut services: Vec<Service> = query_docs(query).await?;
        services.retain(|s| include_inactive || s.active);
        Ok(services)
    }

    /// Compares the stored service with `current` as a whole (as the in-memory adapter
    /// does), then writes `next` on condition that the stored JSON is still the one read:
    /// a change in between is never overwritten, and a change of the JSON's shape between
    /// releases cannot make a fresh `current` look stale.
    #[tracing::instrument(skip_all, fields(service_id = %current.id))]
    async fn replace(&self, current: &Service, next: &Service) -> Result<(), Error> {
        if next.id != current.id {
            return Err(store_err(anyhow::anyhow!(
                "a replacement must keep the service id"
            )));
        }
        let item = service_item(next)?;
        let mut attempts = Attempts::new("service replace", ATTEMPTS);
        loop {
            let Some(stored) = self.get_item(current.id).await? else {
                return Err(Error::NotFound("service"));
            };
            if from_doc::<Service>(&stored)? != *current {
                return Err(changed_meanwhile());
            }
            let raw = stored
                .get("doc")
                .cloned()
                .ok_or_else(|| store_err(anyhow::anyhow!("service item without a doc")))?;
            let result = self
                .table
                .put_item()
                .set_item(Some(item.clone()))
                .condition_expression("#doc = :read")
                .expression_attribute_names("#doc", "doc")
                .expression_attribute_values(":read", raw)
                .send()
                .await;
            match result {
                Ok(_) => return Ok(()),
                // Changed (or gone) since the read: read again to say which; the last
                // attempt says it changed.
                Err(e) if is_condition_failed(&e) && !attempts.last() => {
                    attempts.again("the stored service changed").await?;
                }
                Err(e) if is_condition_failed(&e) => return Err(changed_meanwhile()),
                Err(e) => return Err(sdk_err(e)),
            }
        }
    }
}

fn settings_key() -> Item {
    key("SETTINGS", "SETTINGS")
}

/// [`SettingsStore`] on the booking table: the one settings item.
#[derive(Clone, Debug)]
pub struct DynamoSettings {
    table: Table,
}

impl DynamoSettings {
    pub fn new(table: Table) -> Self {
        DynamoSettings { table }
    }
}

#[async_trait]
impl SettingsStore for DynamoSettings {
    #[tracing::instrument(skip_all)]
    async fn get(&self) -> Result<Option<Settings>, Error> {
        let out = self.table.get(settings_key()).await?;
        out.map(|item| from_doc(&item)).transpose()
    }

    #[tracing::instrument(skip_all)]
    async fn put(&self, settings: &Settings) -> Result<(), Error> {
        let mut item = settings_key();
        item.insert("doc".into(), doc(settings)?);
        self.table
            .put_item()
            .set_item(Some(item))
            .send()
            .await
            .map_err(sdk_err)?;
        Ok(())
    }
}
