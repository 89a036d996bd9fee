//! A Lambda service in front of the scripted task functions, as Step Functions calls them
//! on AWS: what fails there before a function runs.

use async_trait::async_trait;
use booking_core::{
    asl,
    booking::TaskFailure,
    workflow::{SQS_SEND_MESSAGE, run_resource},
};
use serde_json::{Value, json};

use crate::scripted::ScriptedTasks;

/// What the Lambda service raises before a function runs, and `States.Timeout`: every task
/// is idempotent, so each must be retried (a Confirm that committed and then timed out must
/// run again, not be compensated as if it had failed).
pub const LAMBDA_SERVICE_ERRORS: &[&str] = &[
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
    "States.Timeout",
];

/// The runner's Resources with a Lambda service in front of the two task functions: a
/// scripted [`LambdaFault`](crate::scripted::Step::LambdaFault) fails the call before the
/// function runs, as on AWS, where the runner itself calls the functions directly and has
/// no such failure.
pub struct LambdaService(pub ScriptedTasks);

#[async_trait]
impl asl::Resources for LambdaService {
    async fn invoke(&self, _: &str, resource: &str, input: Value) -> Result<Value, TaskFailure> {
        let action = input["action"].as_str().unwrap_or_default();
        if resource != SQS_SEND_MESSAGE
            && let Some(fault) = self.0.lambda_fault(action)
        {
            let cause = json!({"errorType": fault, "errorMessage": "scripted Lambda fault"});
            return Err(TaskFailure {
                error: fault.to_owned(),
                cause: cause.to_string(),
            });
        }
        run_resource(&self.0, &self.0, resource, input)
            .await
            .map_err(|e| e.failure())
    }
}
