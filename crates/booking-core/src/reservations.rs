//! The reservation use cases: book (idempotently, through the workflow), read, list,
//! cancel, record a visit and a customer's history, with who may see what. Handlers decode
//! the request, call one of these and encode the answer.

use jiff::Timestamp;

use crate::{
    Error,
    booking::{BookingRequest, CancelRequest, TaskError},
    idempotency::IdempotencyKey,
    ids::{ReservationId, ServiceId, UserId},
    payment::{LedgerEntry, PaymentLedger, PaymentMethod},
    ports::{
        Clock, KeyBinding, Page, ReservationCursor, ReservationFilter, ReservationStore, Visit,
    },
    reports::{Ledgered, with_ledger},
    reservation::{Actor, Reservation, Status},
    user::Role,
    workflow::{Outcome, Workflow},
};

/// Why a booking or a cancellation did not go through: an error of ours or the caller's,
/// or what the workflow decided (named as the state machine names it).
#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    #[error(transparent)]
    Core(#[from] Error),
    #[error(transparent)]
    Task(#[from] TaskError),
}

/// Who is asking: customers see their own reservations, staff and admins everyone's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Viewer {
    pub id: UserId,
    pub role: Role,
}

impl Viewer {
    fn sees_everyone(self) -> bool {
        self.role != Role::Customer
    }

    fn actor(self) -> Actor {
        Actor::User {
            id: self.id,
            role: self.role,
        }
    }
}

/// A booking request as the client sent it, already parsed.
#[derive(Debug, Clone)]
pub struct NewBooking {
    pub service: ServiceId,
    pub start: Timestamp,
    /// `None` for a service paid at the venue.
    pub method: Option<PaymentMethod>,
    pub idempotency_key: IdempotencyKey,
}

/// What a booking request came to.
#[derive(Debug, Clone)]
pub enum Booked {
    /// Settled: CONFIRMED, with the ledger's entries.
    Done(WithLedger),
    /// Waiting for the customer to authenticate (3-D Secure): the reservation is
    /// PENDING_PAYMENT; the client completes the challenge with `client_secret`, then
    /// repeats the request with the same Idempotency-Key.
    ActionRequired {
        reservation: Reservation,
        client_secret: String,
    },
}

/// Which part of a history: from now on, or before now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    Upcoming,
    Past,
}

impl When {
    /// `upcoming` or `past`; `field` names the input in errors.
    pub fn parse(field: &str, s: &str) -> Result<Self, crate::FieldError> {
        match s {
            "upcoming" => Ok(When::Upcoming),
            "past" => Ok(When::Past),
            _ => Err(crate::FieldError::new(field, "must be upcoming or past")),
        }
    }
}

/// A reservation with every movement of its money.
pub type WithLedger = (Reservation, Vec<LedgerEntry>);

/// The use cases, over the ports they need.
pub struct Reservations<'a> {
    pub store: &'a dyn ReservationStore,
    pub ledger: &'a dyn PaymentLedger,
    pub workflow: &'a dyn Workflow,
    pub clock: &'a dyn Clock,
}

debug_by_name!(Reservations<'_>);

impl Reservations<'_> {
    /// Books and pays once per (customer, idempotency key): the key is bound to a
    /// reservation id and the request's fingerprint, first writer wins; the same key with
    /// another request is refused; a replay of a settled booking answers from the stored
    /// state without running the workflow again.
    pub async fn book(&self, customer: UserId, new: NewBooking) -> Result<Booked, FlowError> {
        let fingerprint =
            BookingRequest::fingerprint_of(new.service, new.start, new.method.as_ref());
        let proposed = KeyBinding {
            id: ReservationId::new(),
            fingerprint: fingerprint.to_string(),
        };
        let key = new.idempotency_key.as_str();
        let bound = self.store.claim_key(customer, key, &proposed).await?;
        if bound.fingerprint != proposed.fingerprint {
            return Err(TaskError::InvalidRequest(
                "the Idempotency-Key was already used with a different request".into(),
            )
            .into());
        }
        let id = bound.id;
        let settled = self.store.get(id).await?;
        let mut client_secret = None;
        if settled.is_none_or(|r| r.status == Status::PendingPayment) {
            let request = BookingRequest {
                reservation_id: id,
                customer_id: customer,
                service_id: new.service,
                start: new.start,
                payment_method: new.method,
                idempotency_key: new.idempotency_key,
                fingerprint,
            };
            match self.workflow.book(&request).await? {
                Outcome::Failed(f) => return Err(f.to_error().into()),
                Outcome::ActionRequired { client_secret: s } => client_secret = Some(s),
                Outcome::Succeeded => {}
            }
        }
        let r = self
            .store
            .get(id)
            .await?
            .ok_or(Error::NotFound("reservation"))?;
        if let (Status::Failed, Some(f)) = (r.status, &r.failure) {
            return Err(f.to_error().into());
        }
        match client_secret {
            Some(client_secret) if r.status == Status::PendingPayment => {
                Ok(Booked::ActionRequired {
                    reservation: r,
                    client_secret,
                })
            }
            _ => Ok(Booked::Done(self.ledgered(r).await?)),
        }
    }

    /// The reservation if `viewer` may see it: its customer, staff or an admin. Anyone else
    /// learns nothing, not even that it exists.
    pub async fn get(&self, viewer: Viewer, id: ReservationId) -> Result<WithLedger, Error> {
        let r = self.visible(viewer, id).await?;
        self.ledgered(r).await
    }

    /// Reservations by start: a customer's own, everyone's for staff and admins.
    pub async fn list(
        &self,
        viewer: Viewer,
        mut filter: ReservationFilter,
        after: Option<ReservationCursor>,
        limit: usize,
    ) -> Result<Page<Reservation>, Error> {
        if !viewer.sees_everyone() {
            filter.customer = Some(viewer.id);
        }
        self.store.list(&filter, after, limit).await
    }

    /// Runs the cancellation workflow (cancel, free the slot, refund by policy, notify) on
    /// a reservation `viewer` may see.
    pub async fn cancel(&self, viewer: Viewer, id: ReservationId) -> Result<WithLedger, FlowError> {
        self.visible(viewer, id).await?;
        let request = CancelRequest {
            reservation_id: id,
            actor: viewer.actor(),
        };
        if let Outcome::Failed(f) = self.workflow.cancel(&request).await? {
            return Err(f.to_error().into());
        }
        let r = self.visible(viewer, id).await?;
        Ok(self.ledgered(r).await?)
    }

    /// Staff and admins record the outcome of a visit.
    pub async fn record_visit(
        &self,
        viewer: Viewer,
        id: ReservationId,
        outcome: Status,
    ) -> Result<WithLedger, Error> {
        if !viewer.sees_everyone() {
            return Err(Error::Forbidden);
        }
        let now = self.clock.now();
        let visit = Visit {
            outcome,
            actor: viewer.actor(),
        };
        let r = self.store.record_visit(id, visit, now).await?;
        self.ledgered(r).await
    }

    /// A customer's reservations by start with their payments: the viewer's own, or any
    /// customer's for staff and admins. Returns whose history it is and the instant `when`
    /// was measured against.
    pub async fn history(
        &self,
        viewer: Viewer,
        customer: Option<UserId>,
        when: Option<When>,
        after: Option<ReservationCursor>,
        limit: usize,
    ) -> Result<(UserId, Timestamp, Page<Ledgered>), Error> {
        let customer = match customer {
            Some(c) if c != viewer.id && !viewer.sees_everyone() => return Err(Error::Forbidden),
            Some(c) => c,
            None => viewer.id,
        };
        let now = self.clock.now();
        let (from, to) = match when {
            None => (None, None),
            Some(When::Upcoming) => (Some(now), None),
            Some(When::Past) => (None, Some(now)),
        };
        let filter = ReservationFilter {
            customer: Some(customer),
            from,
            to,
            ..ReservationFilter::default()
        };
        let page = self.store.list(&filter, after, limit).await?;
        let items = with_ledger(self.ledger, page.items).await?;
        Ok((
            customer,
            now,
            Page {
                items,
                next: page.next,
            },
        ))
    }

    async fn visible(&self, viewer: Viewer, id: ReservationId) -> Result<Reservation, Error> {
        match self.store.get(id).await? {
            Some(r) if r.customer_id == viewer.id || viewer.sees_everyone() => Ok(r),
            _ => Err(Error::NotFound("reservation")),
        }
    }

    async fn ledgered(&self, r: Reservation) -> Result<WithLedger, Error> {
        let entries = self.ledger.entries(r.id).await?;
        Ok((r, entries))
    }
}
