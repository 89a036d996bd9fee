//! AWS adapters for the ports of booking-core (DynamoDB stores, the SQS notification queue,
//! the SES mailer, the Step Functions workflow, the Secrets Manager JWT secret) and the
//! SDK's HTTPS client. It knows booking-core alone: the functions are composed in
//! booking-lambda. A separate crate, so
//! that the AWS SDK never slows down the build of the core or of the embedded local server.

pub mod dynamo;
pub mod env;
pub mod secrets;
pub mod ses;
pub mod sfn;
pub mod sqs;
pub mod tls;
