//! AWS adapters for the ports of booking-core: DynamoDB stores, the SQS notification queue,
//! the SES mailer and the Step Functions workflow. Empty until the AWS issue lands; it is a
//! separate crate so that the AWS SDK never slows down the build of the core or of the
//! embedded local server.
