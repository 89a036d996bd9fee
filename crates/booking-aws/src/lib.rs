//! AWS adapters for the ports of booking-core and the glue between Lambda and the workflow
//! tasks. The DynamoDB, SQS, SES and Step Functions adapters arrive with the AWS issue; the
//! crate is separate so that the AWS SDK never slows down the build of the core or of the
//! embedded local server.

pub mod dynamo;
pub mod task;
