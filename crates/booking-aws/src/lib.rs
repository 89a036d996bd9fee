//! AWS adapters for the ports of booking-core (DynamoDB stores, the SQS notification queue,
//! the SES mailer, the Step Functions workflow, the Secrets Manager JWT secret), the glue
//! between Lambda and the workflow tasks, and the SDK's HTTPS client. A separate crate, so
//! that the AWS SDK never slows down the build of the core or of the embedded local server.

pub mod dynamo;
pub mod env;
pub mod http;
pub mod secrets;
pub mod ses;
pub mod sfn;
pub mod sqs;
pub mod task;
pub mod tls;
