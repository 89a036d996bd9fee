//! The NotificationQueue port on SQS: one message per notification, its body the JSON the
//! notify function reads.

use async_trait::async_trait;
use aws_sdk_sqs::Client;
use booking_core::{Error, notify::Notification, ports::NotificationQueue};

use crate::dynamo::store_err;

#[derive(Debug)]
pub struct SqsQueue {
    client: Client,
    url: String,
}

impl SqsQueue {
    pub fn new(sdk: &aws_config::SdkConfig, url: String) -> Self {
        SqsQueue {
            client: Client::new(sdk),
            url,
        }
    }
}

#[async_trait]
impl NotificationQueue for SqsQueue {
    async fn send(&self, notification: &Notification) -> Result<(), Error> {
        let body = serde_json::to_string(notification).map_err(store_err)?;
        self.client
            .send_message()
            .queue_url(&self.url)
            .message_body(body)
            .send()
            .await
            .map_err(|e| store_err(anyhow::Error::new(e).context("SQS SendMessage")))?;
        Ok(())
    }
}
