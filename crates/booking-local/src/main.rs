//! The embedded default: every router of the API in one process on 127.0.0.1, over
//! in-memory adapters, with demo data. Nothing to install but cargo.
#![allow(clippy::print_stdout)] // a binary: its banner goes to the terminal

use std::{net::SocketAddr, sync::Arc};

use booking_api::JwtConfig;
use booking_core::{accounts::AccountsConfig, booking::BookingConfig, ports::SystemClock};
use booking_local::{
    Local, demo, dev, router,
    server::{self, Limits},
};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let addr: SocketAddr = var("BOOKING_ADDR")
        .unwrap_or_else(|| "127.0.0.1:3000".into())
        .parse()
        .map_err(|e| format!("BOOKING_ADDR must be host:port: {e}"))?;
    let jwt = JwtConfig::from_vars(
        var,
        Some(demo::random_secret().map_err(|e| format!("no OS randomness: {e}"))?),
    )?;
    let outbox = dev::Outbox::default();
    let config = BookingConfig::from_vars(var)?;
    let trusted_proxy = match var("BOOKING_TRUSTED_PROXY") {
        Some(v) => Some(
            v.parse::<std::net::IpAddr>()
                .map_err(|e| format!("BOOKING_TRUSTED_PROXY must be an IP address: {e}"))?,
        ),
        None => None,
    };
    let gateway = booking_local::gateway(&var)?;
    let payments = booking_api::PaymentsConfig::from_vars(gateway.kind(), var)?;
    let mut local = Local::in_memory(
        gateway.clone(),
        jwt,
        Arc::new(outbox.clone()),
        config,
        1.0,
        Arc::new(SystemClock),
    )
    .with_trusted_proxy(trusted_proxy)
    .with_payments(payments);
    local.auth = local.auth.with_accounts(AccountsConfig::from_vars(var)?);
    let accounts = demo::seed(&local, &var).await?;

    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    println!("booking-local listening on http://{bound}");
    match gateway.kind() {
        booking_core::payment::GatewayKind::Stripe => println!("  payments: Stripe"),
        booking_core::payment::GatewayKind::Simulated => {
            println!("  payments: the simulated gateway (set STRIPE_SECRET_KEY for Stripe)")
        }
    }
    for (role, email, password) in &accounts {
        println!("  {role}: {email} / {password}");
    }
    tracing::info!(addr = %bound, "ready");
    server::serve(
        listener,
        router(&local, outbox),
        Limits::default(),
        shutdown(),
    )
    .await?;
    Ok(())
}

async fn shutdown() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => return std::future::pending().await,
            };
        tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
