//! The Mailer port on Amazon SES (v1 SendEmail): a text and an HTML part, from the
//! configured, verified sender.

use async_trait::async_trait;
use aws_sdk_ses::{
    Client,
    types::{Body, Content, Destination, Message},
};
use booking_core::{
    Error,
    notify::{Mailer, OutgoingEmail},
};

use crate::dynamo::store_err;

#[derive(Debug)]
pub struct SesMailer {
    client: Client,
    sender: String,
}

impl SesMailer {
    pub fn new(sdk: &aws_config::SdkConfig, sender: String) -> Self {
        SesMailer {
            client: Client::new(sdk),
            sender,
        }
    }
}

fn utf8(text: &str) -> Result<Content, Error> {
    Content::builder()
        .data(text)
        .charset("UTF-8")
        .build()
        .map_err(store_err)
}

#[async_trait]
impl Mailer for SesMailer {
    async fn send(&self, email: &OutgoingEmail) -> Result<(), Error> {
        let body = Body::builder()
            .text(utf8(&email.text)?)
            .html(utf8(&email.html)?)
            .build();
        let message = Message::builder()
            .subject(utf8(&email.subject)?)
            .body(body)
            .build();
        self.client
            .send_email()
            .source(&self.sender)
            .destination(Destination::builder().to_addresses(&email.to).build())
            .message(message)
            .send()
            .await
            .map_err(|e| store_err(anyhow::Error::new(e).context("SES SendEmail")))?;
        Ok(())
    }
}
