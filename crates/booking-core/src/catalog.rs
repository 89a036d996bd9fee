//! The catalog of services and the use cases that manage it.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::{
    Error, FieldError,
    availability::{self, DateRange, MAX_BLOCK_MINUTES, Slot},
    error::Problems,
    ids::ServiceId,
    money::Currency,
    payment::Prepayment,
    ports::{CatalogStore, ClaimQuery, ClaimReader, Clock, SettingsStore},
    settings::{Settings, SettingsDoc},
    user::parse_name,
};

/// How much of the price comes back when a customer cancels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CancellationPolicy {
    /// Cancelling at least this many hours before the start refunds everything.
    pub full_refund_hours_before: u32,
    /// Percentage refunded when cancelling later than that (but before the start).
    pub late_refund_percent: u8,
}

impl Default for CancellationPolicy {
    fn default() -> Self {
        CancellationPolicy {
            full_refund_hours_before: 24,
            late_refund_percent: 0,
        }
    }
}

/// A bookable service as the catalog stores and publishes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Service {
    pub id: ServiceId,
    pub name: String,
    pub description: String,
    pub duration_minutes: u32,
    /// Time blocked after each appointment (cleaning, notes); not sold.
    pub buffer_minutes: u32,
    pub price_minor: i64,
    pub currency: Currency,
    /// Customers served at once in the same slot.
    pub capacity: u32,
    pub min_notice_minutes: u32,
    pub max_advance_days: u32,
    pub cancellation: CancellationPolicy,
    /// Paid online when booked, or at the venue.
    #[serde(default)]
    pub prepayment: Prepayment,
    pub active: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A new service as a client asks for it, before the catalog's rules are checked.
#[derive(Debug, Clone)]
pub struct NewService {
    pub name: String,
    pub description: String,
    pub duration_minutes: u32,
    pub buffer_minutes: u32,
    pub price_minor: i64,
    pub currency: String,
    pub capacity: u32,
    pub min_notice_minutes: u32,
    pub max_advance_days: u32,
    pub cancellation: CancellationPolicy,
    pub prepayment: Prepayment,
    pub active: bool,
}

/// The capacity of a service created without one.
const DEFAULT_CAPACITY: u32 = 1;
/// How far ahead a service created without a limit can be booked.
const DEFAULT_MAX_ADVANCE_DAYS: u32 = 90;

impl NewService {
    /// A new active service with the defaults for what the client left out: no
    /// description or buffer, [`DEFAULT_CAPACITY`], no notice, [`DEFAULT_MAX_ADVANCE_DAYS`]
    /// and the default cancellation policy.
    pub fn new(name: &str, duration_minutes: u32, price_minor: i64, currency: &str) -> Self {
        NewService {
            name: name.to_owned(),
            description: String::new(),
            duration_minutes,
            buffer_minutes: 0,
            price_minor,
            currency: currency.to_owned(),
            capacity: DEFAULT_CAPACITY,
            min_notice_minutes: 0,
            max_advance_days: DEFAULT_MAX_ADVANCE_DAYS,
            cancellation: CancellationPolicy::default(),
            prepayment: Prepayment::Required,
            active: true,
        }
    }
}

/// Changes to a service: only the fields present change.
#[derive(Debug, Clone, Default)]
pub struct ServicePatch {
    pub name: Option<String>,
    pub description: Option<String>,
    pub duration_minutes: Option<u32>,
    pub buffer_minutes: Option<u32>,
    pub price_minor: Option<i64>,
    pub currency: Option<String>,
    pub capacity: Option<u32>,
    pub min_notice_minutes: Option<u32>,
    pub max_advance_days: Option<u32>,
    pub cancellation: Option<CancellationPolicy>,
    pub prepayment: Option<Prepayment>,
    pub active: Option<bool>,
}

const MAX_PRICE_MINOR: i64 = 10_000_000_000;

impl NewService {
    /// Checks every rule and builds the service; `slot_minutes` is the business's grid.
    fn build(self, id: ServiceId, slot_minutes: u16, now: Timestamp) -> Result<Service, Error> {
        let mut p = Problems::default();
        let name = p.check(parse_name("name", &self.name));
        let description = self.description.trim().to_owned();
        if description.chars().count() > 2000 {
            p.push(FieldError::new(
                "description",
                "must be at most 2000 characters long",
            ));
        }
        let slot = u32::from(slot_minutes);
        let duration_fits = (5..=MAX_BLOCK_MINUTES).contains(&self.duration_minutes);
        if !duration_fits {
            p.push(FieldError::new(
                "durationMinutes",
                format!("must be between 5 and {MAX_BLOCK_MINUTES}"),
            ));
        } else if !self.duration_minutes.is_multiple_of(slot) {
            p.push(FieldError::new(
                "durationMinutes",
                format!("must be a multiple of the {slot}-minute slot size"),
            ));
        }
        if self.buffer_minutes > 240 || !self.buffer_minutes.is_multiple_of(5) {
            p.push(FieldError::new(
                "bufferMinutes",
                "must be a multiple of 5 between 0 and 240",
            ));
        } else if duration_fits && self.duration_minutes + self.buffer_minutes > MAX_BLOCK_MINUTES {
            // The duration alone fits, so the buffer is what takes the block past the cap.
            p.push(FieldError::new(
                "bufferMinutes",
                format!(
                    "durationMinutes + bufferMinutes must be at most {MAX_BLOCK_MINUTES} \
                     minutes, and durationMinutes is {}",
                    self.duration_minutes
                ),
            ));
        }
        if !(0..=MAX_PRICE_MINOR).contains(&self.price_minor) {
            p.push(FieldError::new(
                "priceMinor",
                "must be a whole number of minor units between 0 and 10000000000",
            ));
        }
        let currency = p.check(Currency::parse("currency", &self.currency));
        if !(1..=1000).contains(&self.capacity) {
            p.push(FieldError::new("capacity", "must be between 1 and 1000"));
        }
        if self.min_notice_minutes > 525_600 {
            p.push(FieldError::new(
                "minNoticeMinutes",
                "must be at most 525600 (a year)",
            ));
        }
        if !(1..=730).contains(&self.max_advance_days) {
            p.push(FieldError::new(
                "maxAdvanceDays",
                "must be between 1 and 730",
            ));
        }
        if self.cancellation.full_refund_hours_before > 8760 {
            p.push(FieldError::new(
                "cancellation.fullRefundHoursBefore",
                "must be at most 8760 (a year)",
            ));
        }
        if self.cancellation.late_refund_percent > 100 {
            p.push(FieldError::new(
                "cancellation.lateRefundPercent",
                "must be between 0 and 100",
            ));
        }
        p.into_result()?;
        let (Some(name), Some(currency)) = (name, currency) else {
            return Err(Error::invalid("name", "is invalid"));
        };
        Ok(Service {
            id,
            name,
            description,
            duration_minutes: self.duration_minutes,
            buffer_minutes: self.buffer_minutes,
            price_minor: self.price_minor,
            currency,
            capacity: self.capacity,
            min_notice_minutes: self.min_notice_minutes,
            max_advance_days: self.max_advance_days,
            cancellation: self.cancellation,
            prepayment: self.prepayment,
            active: self.active,
            created_at: now,
            updated_at: now,
        })
    }
}

impl Service {
    fn to_new(&self) -> NewService {
        NewService {
            name: self.name.clone(),
            description: self.description.clone(),
            duration_minutes: self.duration_minutes,
            buffer_minutes: self.buffer_minutes,
            price_minor: self.price_minor,
            currency: self.currency.code().to_owned(),
            capacity: self.capacity,
            min_notice_minutes: self.min_notice_minutes,
            max_advance_days: self.max_advance_days,
            cancellation: self.cancellation,
            prepayment: self.prepayment,
            active: self.active,
        }
    }
}

/// The catalog use cases, over the ports they need.
pub struct Catalog<'a> {
    pub services: &'a dyn CatalogStore,
    pub settings: &'a dyn SettingsStore,
    pub claims: &'a dyn ClaimReader,
    pub clock: &'a dyn Clock,
}

debug_by_name!(Catalog<'_>);

impl Catalog<'_> {
    pub async fn settings(&self) -> Result<Settings, Error> {
        self.settings.current().await
    }

    /// Replaces the settings; refused when an existing service would fall off the new grid.
    pub async fn put_settings(&self, doc: SettingsDoc) -> Result<Settings, Error> {
        let settings = Settings::try_from(doc)?;
        let slot = u32::from(settings.slot_minutes());
        let services = self.services.list(true).await?;
        if let Some(s) = services.iter().find(|s| s.duration_minutes % slot != 0) {
            return Err(Error::invalid(
                "slotMinutes",
                format!(
                    "service {} lasts {} minutes, which is not a multiple of {slot}",
                    s.id, s.duration_minutes
                ),
            ));
        }
        self.settings.put(&settings).await?;
        Ok(settings)
    }

    pub async fn create(&self, new: NewService) -> Result<Service, Error> {
        let settings = self.settings().await?;
        let service = new.build(ServiceId::new(), settings.slot_minutes(), self.clock.now())?;
        self.services.insert(&service).await?;
        Ok(service)
    }

    /// A service by id; inactive ones are visible to managers only.
    pub async fn get(&self, id: ServiceId, include_inactive: bool) -> Result<Service, Error> {
        match self.services.get(id).await? {
            Some(s) if s.active || include_inactive => Ok(s),
            _ => Err(Error::NotFound("service")),
        }
    }

    /// The catalog in name order, as a customer reads it.
    pub async fn list(&self, include_inactive: bool) -> Result<Vec<Service>, Error> {
        let mut services = self.services.list(include_inactive).await?;
        services.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
        Ok(services)
    }

    pub async fn update(&self, id: ServiceId, patch: ServicePatch) -> Result<Service, Error> {
        let current = self.get(id, true).await?;
        let mut new = current.to_new();
        macro_rules! apply {
            ($($f:ident),*) => { $(if let Some(v) = patch.$f { new.$f = v; })* };
        }
        apply!(
            name,
            description,
            duration_minutes,
            buffer_minutes,
            price_minor,
            currency,
            capacity,
            min_notice_minutes,
            max_advance_days,
            cancellation,
            prepayment,
            active
        );
        let settings = self.settings().await?;
        let mut service = new.build(id, settings.slot_minutes(), self.clock.now())?;
        service.created_at = current.created_at;
        self.services.replace(&current, &service).await?;
        Ok(service)
    }

    /// Takes a service off the catalog; it stays stored so history keeps its name and price.
    pub async fn deactivate(&self, id: ServiceId) -> Result<Service, Error> {
        self.update(
            id,
            ServicePatch {
                active: Some(false),
                ..Default::default()
            },
        )
        .await
    }

    /// Bookable starts of an active service in a local date range of the business zone.
    pub async fn availability(
        &self,
        id: ServiceId,
        range: DateRange,
    ) -> Result<(Settings, Vec<Slot>), Error> {
        let service = self.get(id, false).await?;
        let settings = self.settings().await?;
        let now = self.clock.now();
        let (from, to) = availability::window(&settings, range)?;
        let query = ClaimQuery {
            service: id,
            units: from..to,
        };
        let claims = self.claims.claims(&query, now).await?;
        let slots = availability::slots(&settings, &service, range, now, &claims);
        Ok((settings, slots))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::invalid_fields as fields;

    fn new_service(duration_minutes: u32) -> NewService {
        NewService::new("Cut", duration_minutes, 2500, "EUR")
    }

    #[test]
    fn new_takes_the_defaults() {
        let s = new_service(30)
            .build(ServiceId::new(), 15, Timestamp::UNIX_EPOCH)
            .unwrap();
        assert_eq!((s.capacity, s.max_advance_days, s.active), (1, 90, true));
        assert_eq!(s.cancellation, CancellationPolicy::default());
    }

    #[test]
    fn a_duration_off_the_slot_grid_is_rejected() {
        let err = new_service(40)
            .build(ServiceId::new(), 15, Timestamp::UNIX_EPOCH)
            .unwrap_err();
        assert_eq!(fields(err), ["durationMinutes"]);
    }

    #[test]
    fn a_service_blocks_at_most_450_minutes_with_its_buffer() {
        let build = |duration: u32, buffer: u32| {
            NewService {
                buffer_minutes: buffer,
                ..NewService::new("Long", duration, 10, "EUR")
            }
            .build(ServiceId::new(), 5, Timestamp::UNIX_EPOCH)
        };
        // Up to 450 minutes in all is a service
        assert!(build(450, 0).is_ok());
        assert!(build(445, 5).is_ok());
        assert!(build(210, 240).is_ok());
        // Past it, the buffer is named when the duration alone fits, the duration otherwise
        let Err(Error::Invalid(errors)) = build(450, 5) else {
            panic!("450 + 5 minutes is a service");
        };
        assert_eq!(errors[0].field, "bufferMinutes");
        assert!(
            errors[0].reason.contains("at most 450 minutes"),
            "{errors:?}"
        );
        assert_eq!(fields(build(480, 0).unwrap_err()), ["durationMinutes"]);
        assert_eq!(fields(build(455, 15).unwrap_err()), ["durationMinutes"]);
    }

    #[test]
    fn every_broken_rule_is_reported_at_once() {
        let err = NewService {
            buffer_minutes: 7,
            capacity: 0,
            max_advance_days: 0,
            cancellation: CancellationPolicy {
                full_refund_hours_before: 24,
                late_refund_percent: 101,
            },
            ..NewService::new(" ", 500, -1, "eur")
        }
        .build(ServiceId::new(), 15, Timestamp::UNIX_EPOCH)
        .unwrap_err();
        assert_eq!(
            fields(err),
            [
                "name",
                "durationMinutes",
                "bufferMinutes",
                "priceMinor",
                "currency",
                "capacity",
                "maxAdvanceDays",
                "cancellation.lateRefundPercent"
            ]
        );
    }
}
