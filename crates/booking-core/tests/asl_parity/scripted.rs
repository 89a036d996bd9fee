//! The task functions and the queue as a script: each call's outcome is set in advance
//! per action, and every call is logged with its arguments.

use std::{
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex},
};

use async_trait::async_trait;
use booking_core::{
    Error,
    booking::{
        AuthorizeOutput, AuthorizeStatus, BookingRequest, CancelRequest, HoldOutput, NotifyOutput,
        RefundOutput, ReleaseOutput, TaskError, TaskFailure, VoidOutput,
    },
    ids::ReservationId,
    notify::{Notification, NotificationEvent},
    ports::NotificationQueue,
    user::Email,
    workflow::BookingTasks,
};
use jiff::Timestamp;

/// What one call of a task does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Returns a plausible output.
    Ok,
    /// Release and Revoke only: succeed without a failure notification (the reservation
    /// did not become FAILED).
    OkWithoutNotice,
    /// Hold only: the service is paid at the venue (`prepaid: false`).
    AtVenue,
    /// Authorize only: the card asks for 3-D Secure (`requires_action` with a client secret).
    RequiresAction,
    /// The task function fails with this error name (a [`TaskError`]).
    Fails(&'static str),
    /// The Lambda service fails before the function runs (`Lambda.ServiceException`, ...).
    /// Only the ASL interpreter has a Lambda service; the runner calls functions directly.
    LambdaFault(&'static str),
}

pub use Step::{AtVenue, Fails, LambdaFault, OkWithoutNotice, RequiresAction};

/// The [`BookingTasks`] and the [`NotificationQueue`], their outcomes scripted per action
/// (hold, authorize, confirm, capture, void, refund, release, revoke, cancel, send); a call
/// with nothing scripted succeeds. Every call is logged with its arguments. Clones share
/// the script and the log.
#[derive(Clone)]
pub struct ScriptedTasks {
    script: Arc<Mutex<HashMap<&'static str, VecDeque<Step>>>>,
    pub calls: Arc<Mutex<Vec<String>>>,
}

impl ScriptedTasks {
    pub fn new(script: &[(&'static str, Step)]) -> Self {
        let mut queues: HashMap<&'static str, VecDeque<Step>> = HashMap::new();
        for (action, step) in script {
            queues.entry(action).or_default().push_back(*step);
        }
        ScriptedTasks {
            script: Arc::new(Mutex::new(queues)),
            calls: Arc::default(),
        }
    }

    pub fn next(&self, action: &str) -> Step {
        self.script
            .lock()
            .unwrap()
            .get_mut(action)
            .and_then(VecDeque::pop_front)
            .unwrap_or(Step::Ok)
    }

    /// Takes the next step of `action` when it is a Lambda service fault.
    pub fn lambda_fault(&self, action: &str) -> Option<&'static str> {
        let mut script = self.script.lock().unwrap();
        let queue = script.get_mut(action)?;
        match queue.front() {
            Some(LambdaFault(name)) => {
                let name = *name;
                queue.pop_front();
                Some(name)
            }
            _ => None,
        }
    }

    /// Logs the call, then plays the script: `Ok(true)` for a plain success, `Ok(false)`
    /// for the one other success `action` knows (`other`: a release without notice, a
    /// hold at the venue, an authorisation awaiting 3-D Secure). A step scripted for the
    /// wrong action is a mistake in the test.
    pub fn play(
        &self,
        action: &'static str,
        other: Option<Step>,
        call: String,
    ) -> Result<bool, TaskError> {
        self.calls.lock().unwrap().push(call);
        match self.next(action) {
            Step::Ok => Ok(true),
            Fails(name) => Err(task_error(name)),
            LambdaFault(name) => {
                panic!("{action}: the in-process runner has no Lambda service to raise {name}")
            }
            step if Some(step) == other => Ok(false),
            step => panic!("{action} cannot play {step:?}"),
        }
    }
}

/// The [`TaskError`] whose `name()` is `name`.
pub fn task_error(name: &str) -> TaskError {
    let e = TaskFailure {
        error: name.to_owned(),
        cause: format!("start: scripted {name}"),
    }
    .to_error();
    assert_eq!(e.name(), name, "no TaskError is named {name}");
    e
}

pub fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// The charge Capture answers for `id`.
pub fn charge_of(id: ReservationId) -> String {
    format!("ch_{id}")
}

/// The client secret Authorize answers for `id` when the card asks for 3-D Secure.
pub fn client_secret_of(id: ReservationId) -> String {
    format!("pi_{id}_secret")
}

/// The message of `event`; `charged` says whether the payment was captured (Confirm's
/// confirmation has no charge yet, Capture's has).
pub fn notice(id: ReservationId, event: NotificationEvent, charged: bool) -> Notification {
    Notification {
        event,
        reservation_id: id,
        customer_email: Email::parse("ana@example.com").unwrap(),
        customer_name: "Ana".into(),
        service_name: "Haircut".into(),
        start: at("2030-03-01T10:00:00Z"),
        end: at("2030-03-01T10:30:00Z"),
        time_zone: "Europe/Madrid".into(),
        amount_minor: 2500,
        currency: "EUR".into(),
        payment_reference: charged.then(|| charge_of(id)),
        refund_minor: (event == NotificationEvent::Cancelled).then_some(2500),
        reason: (event == NotificationEvent::Failed).then(|| "your card was declined".into()),
    }
}

pub fn describe(error: Option<&TaskFailure>) -> String {
    error.map_or("no error".into(), |e| {
        format!("{} ({})", e.error, e.message())
    })
}

#[async_trait]
impl BookingTasks for ScriptedTasks {
    async fn hold(&self, request: &BookingRequest) -> Result<HoldOutput, TaskError> {
        let id = request.reservation_id;
        let call = format!("hold {id} key={}", request.idempotency_key);
        let prepaid = self.play("hold", Some(AtVenue), call)?;
        Ok(HoldOutput {
            reservation_id: id,
            hold_expires_at: at("2030-02-01T09:05:00Z"),
            prepaid,
        })
    }

    async fn authorize(&self, id: ReservationId) -> Result<AuthorizeOutput, TaskError> {
        let authorized = self.play("authorize", Some(RequiresAction), format!("authorize {id}"))?;
        Ok(if authorized {
            AuthorizeOutput {
                status: AuthorizeStatus::Authorized,
                client_secret: None,
            }
        } else {
            AuthorizeOutput {
                status: AuthorizeStatus::RequiresAction,
                client_secret: Some(client_secret_of(id)),
            }
        })
    }

    async fn confirm(&self, id: ReservationId) -> Result<NotifyOutput, TaskError> {
        self.play("confirm", None, format!("confirm {id}"))?;
        Ok(NotifyOutput {
            notification: notice(id, NotificationEvent::Confirmed, false),
        })
    }

    async fn capture(&self, id: ReservationId) -> Result<NotifyOutput, TaskError> {
        self.play("capture", None, format!("capture {id}"))?;
        Ok(NotifyOutput {
            notification: notice(id, NotificationEvent::Confirmed, true),
        })
    }

    async fn void(&self, id: ReservationId) -> Result<VoidOutput, TaskError> {
        self.play("void", None, format!("void {id}"))?;
        Ok(VoidOutput { voided: true })
    }

    async fn refund(&self, id: ReservationId) -> Result<RefundOutput, TaskError> {
        self.play("refund", None, format!("refund {id}"))?;
        Ok(RefundOutput {
            refunded_minor: 2500,
            refund_reference: Some(format!("re_{id}")),
        })
    }

    async fn release(
        &self,
        id: ReservationId,
        error: Option<&TaskFailure>,
    ) -> Result<ReleaseOutput, TaskError> {
        let call = format!("release {id}: {}", describe(error));
        let with_notice = self.play("release", Some(OkWithoutNotice), call)?;
        Ok(ReleaseOutput {
            notification: with_notice.then(|| notice(id, NotificationEvent::Failed, false)),
        })
    }

    async fn revoke(
        &self,
        id: ReservationId,
        error: &TaskFailure,
    ) -> Result<ReleaseOutput, TaskError> {
        let call = format!("revoke {id}: {}", describe(Some(error)));
        let with_notice = self.play("revoke", Some(OkWithoutNotice), call)?;
        Ok(ReleaseOutput {
            notification: with_notice.then(|| notice(id, NotificationEvent::Failed, false)),
        })
    }

    async fn cancel(&self, request: &CancelRequest) -> Result<NotifyOutput, TaskError> {
        let id = request.reservation_id;
        self.play(
            "cancel",
            None,
            format!("cancel {id} by {:?}", request.actor),
        )?;
        Ok(NotifyOutput {
            notification: notice(id, NotificationEvent::Cancelled, true),
        })
    }
}

/// A queue fails as storage does: a scripted failure is an [`Error::Store`], which the
/// runner reports as `StoreUnavailable`. The log shows the charge the message carries.
#[async_trait]
impl NotificationQueue for ScriptedTasks {
    async fn send(&self, notification: &Notification) -> Result<(), Error> {
        let n = notification;
        let charge = n.payment_reference.as_deref().unwrap_or("no charge");
        let call = format!("send {} {} ({charge})", n.event.as_str(), n.reservation_id);
        self.play("send", None, call)
            .map_err(|e| Error::Store(e.into()))?;
        Ok(())
    }
}
