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
        BookingRequest, CancelRequest, ChargeOutput, HoldOutput, NotifyOutput, RefundOutput,
        ReleaseOutput, TaskError, TaskFailure,
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
    /// Release only: succeeds without a failure notification (the reservation was not FAILED).
    OkWithoutNotice,
    /// The task function fails with this error name (a [`TaskError`]).
    Fails(&'static str),
    /// The Lambda service fails before the function runs (`Lambda.ServiceException`, ...).
    /// Only the ASL interpreter has a Lambda service; the runner calls functions directly.
    LambdaFault(&'static str),
}

pub use Step::{Fails, LambdaFault, OkWithoutNotice};

/// The [`BookingTasks`] and the [`NotificationQueue`], their outcomes scripted per action
/// (hold, charge, confirm, refund, release, cancel, send); a call with nothing scripted
/// succeeds. Every call is logged with its arguments. Clones share the script and the log.
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

    /// Logs the call, then plays the script: `Ok(true)` for a plain success, `Ok(false)` for
    /// a success without notice.
    pub fn play(&self, action: &'static str, call: String) -> Result<bool, TaskError> {
        self.calls.lock().unwrap().push(call);
        match self.next(action) {
            Step::Ok => Ok(true),
            OkWithoutNotice => Ok(false),
            Fails(name) => Err(task_error(name)),
            LambdaFault(name) => {
                panic!("{action}: the in-process runner has no Lambda service to raise {name}")
            }
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

pub fn notice(id: ReservationId, event: NotificationEvent) -> Notification {
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
        payment_reference: (event != NotificationEvent::Failed).then(|| format!("ch_{id}")),
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
        self.play("hold", format!("hold {id} key={}", request.idempotency_key))?;
        Ok(HoldOutput {
            reservation_id: id,
            hold_expires_at: at("2030-02-01T09:05:00Z"),
        })
    }

    async fn charge(&self, id: ReservationId) -> Result<ChargeOutput, TaskError> {
        self.play("charge", format!("charge {id}"))?;
        Ok(ChargeOutput {
            payment_reference: format!("ch_{id}"),
        })
    }

    async fn confirm(
        &self,
        id: ReservationId,
        payment_reference: &str,
    ) -> Result<NotifyOutput, TaskError> {
        self.play("confirm", format!("confirm {id} with {payment_reference}"))?;
        Ok(NotifyOutput {
            notification: notice(id, NotificationEvent::Confirmed),
        })
    }

    async fn refund(&self, id: ReservationId) -> Result<RefundOutput, TaskError> {
        self.play("refund", format!("refund {id}"))?;
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
        let with_notice = self.play("release", format!("release {id}: {}", describe(error)))?;
        Ok(ReleaseOutput {
            notification: with_notice.then(|| notice(id, NotificationEvent::Failed)),
        })
    }

    async fn cancel(&self, request: &CancelRequest) -> Result<NotifyOutput, TaskError> {
        let id = request.reservation_id;
        self.play("cancel", format!("cancel {id} by {:?}", request.actor))?;
        Ok(NotifyOutput {
            notification: notice(id, NotificationEvent::Cancelled),
        })
    }
}

/// A queue fails as storage does: a scripted failure is an [`Error::Store`], which the
/// runner reports as `StoreUnavailable`.
#[async_trait]
impl NotificationQueue for ScriptedTasks {
    async fn send(&self, notification: &Notification) -> Result<(), Error> {
        let n = notification;
        self.play(
            "send",
            format!("send {} {}", n.event.as_str(), n.reservation_id),
        )
        .map_err(|e| Error::Store(e.into()))?;
        Ok(())
    }
}
