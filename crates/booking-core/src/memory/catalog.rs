//! The catalog of services and the business settings in memory.

use std::{collections::BTreeMap, sync::Mutex};

use async_trait::async_trait;

use crate::{
    Error,
    catalog::Service,
    ids::ServiceId,
    ports::{CatalogStore, SettingsStore},
    settings::Settings,
    sync::lock,
};

#[derive(Debug, Default)]
pub struct MemoryCatalog {
    inner: Mutex<BTreeMap<ServiceId, Service>>,
}

#[async_trait]
impl CatalogStore for MemoryCatalog {
    async fn insert(&self, service: &Service) -> Result<(), Error> {
        let mut g = lock(&self.inner);
        if g.contains_key(&service.id) {
            return Err(Error::Conflict {
                field: "id",
                reason: "already exists".into(),
            });
        }
        g.insert(service.id, service.clone());
        Ok(())
    }

    async fn get(&self, id: ServiceId) -> Result<Option<Service>, Error> {
        Ok(lock(&self.inner).get(&id).cloned())
    }

    async fn list(&self, include_inactive: bool) -> Result<Vec<Service>, Error> {
        Ok(lock(&self.inner)
            .values()
            .filter(|s| include_inactive || s.active)
            .cloned()
            .collect())
    }

    async fn replace(&self, current: &Service, next: &Service) -> Result<(), Error> {
        let mut g = lock(&self.inner);
        match g.get_mut(&current.id) {
            Some(stored) if stored == current => {
                *stored = next.clone();
                Ok(())
            }
            Some(_) => Err(Error::Conflict {
                field: "id",
                reason: "the service changed meanwhile; read it again and retry".into(),
            }),
            None => Err(Error::NotFound("service")),
        }
    }
}

#[derive(Debug, Default)]
pub struct MemorySettings {
    inner: Mutex<Option<Settings>>,
}

#[async_trait]
impl SettingsStore for MemorySettings {
    async fn get(&self) -> Result<Option<Settings>, Error> {
        Ok(lock(&self.inner).clone())
    }

    async fn put(&self, settings: &Settings) -> Result<(), Error> {
        *lock(&self.inner) = Some(settings.clone());
        Ok(())
    }
}
