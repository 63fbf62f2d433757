//! Central reporting across halls. Each hall stays autonomous on its own SQLite; its uplink
//! (`uplink`) ships committed events, stripped of anything personal (`fact`), to a central
//! PostgreSQL (`schema`, written by `ingest`), where `hallq central serve` answers cross-hall
//! reports (`report`) for its own accounts (`accounts`); its routes are in `http::central`.
//!
//! The only place besides `store/` with SQL, and it speaks only to PostgreSQL.

pub mod accounts;
pub mod batch;
pub mod fact;
pub mod ingest;
pub mod pct;
pub mod report;
pub mod rollup;
pub mod schema;
pub mod stages;
pub mod uplink;
pub mod wire;

use std::future::Future;
use std::sync::Arc;

use anyhow::Context;
use tokio_postgres::Client;

/// The central server's handle on its database: one pipelined connection, reopened when it
/// drops.
pub struct Central {
    url: String,
    client: tokio::sync::Mutex<Option<Arc<Client>>>,
}

/// Open a connection to `url` and drive it in the background.
pub async fn connect(url: &str) -> Result<Client, tokio_postgres::Error> {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    tokio::spawn(async move {
        if let Err(e) = conn.await {
            tracing::debug!(error = %e, "central connection ended");
        }
    });
    Ok(client)
}

impl Central {
    /// Connect and migrate the schema.
    pub async fn open(url: &str) -> anyhow::Result<Central> {
        let mut client = connect(url)
            .await
            .context("connecting to the central database")?;
        schema::migrate(&mut client)
            .await
            .context("migrating the central database")?;
        Ok(Central {
            url: url.to_string(),
            client: tokio::sync::Mutex::new(Some(Arc::new(client))),
        })
    }

    /// A live client, reconnecting if the last one closed.
    pub async fn client(&self) -> Result<Arc<Client>, tokio_postgres::Error> {
        let mut slot = self.client.lock().await;
        if let Some(c) = slot.as_ref().filter(|c| !c.is_closed()) {
            return Ok(Arc::clone(c));
        }
        let c = Arc::new(connect(&self.url).await?);
        *slot = Some(Arc::clone(&c));
        Ok(c)
    }

    /// Add a central account (argon2 hash made off the async workers); `false` if taken.
    pub async fn add_user(
        &self,
        username: &str,
        name: &str,
        role: &str,
        password: &str,
    ) -> anyhow::Result<bool> {
        anyhow::ensure!(
            accounts::ROLES.contains(&role),
            "--role must be manager or admin, not {role:?}"
        );
        let password = password.to_string();
        let hash = tokio::task::spawn_blocking(move || crate::auth::hash_password(&password))
            .await?
            .map_err(anyhow::Error::msg)?;
        let client = self.client().await?;
        Ok(accounts::add_user(&client, username, name, role, &hash).await?)
    }
}

/// Serve the central API and page on `listener` until `shutdown` resolves, over HTTPS when
/// `tls` is given (HSTS, a `Secure` cookie). The hall's listener serves it: the same header and
/// idle timeouts, per-address cap and TLS handshakes.
pub async fn serve(
    central: Arc<Central>,
    listener: tokio::net::TcpListener,
    tls: Option<Arc<tokio_rustls::rustls::ServerConfig>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let roller = tokio::spawn(roll_forever(central.url.clone()));
    let app = crate::http::central::router(central, tls.is_some());
    let http = crate::config::HttpSection::default();
    let served = crate::net::serve(listener, app, &http, tls, shutdown)
        .await
        .context("serving HTTP");
    roller.abort();
    served
}

/// How often the central server looks for rollups behind their events.
const ROLL_EVERY: std::time::Duration = std::time::Duration::from_secs(2);

/// Bring every hall's tickets and rollups up to its events, for as long as the central server
/// runs, on a connection of its own. Each hall's uplink does this after shipping; this finishes
/// what an uplink left behind (it stopped between the two, or the rollups were rebuilt), and a
/// hall an uplink is rolling up just now is passed over (`ingest::materialize`).
async fn roll_forever(url: String) {
    let mut client: Option<Client> = None;
    loop {
        let ready = match client.take().filter(|c| !c.is_closed()) {
            Some(c) => Ok(c),
            None => connect(&url).await,
        };
        match ready {
            Ok(mut c) => {
                if let Err(e) = roll_all(&mut c).await {
                    tracing::warn!(error = %e, "central rollups: no list of halls");
                }
                client = Some(c);
            }
            Err(e) => tracing::debug!(error = %e, "central rollups: no connection"),
        }
        tokio::time::sleep(ROLL_EVERY).await;
    }
}

/// One pass of `roll_forever`: every hall behind, each to its events (or until another
/// process holds it). A hall whose rollups fail is logged and passed over, not the rest;
/// returns how many failed.
pub async fn roll_all(client: &mut Client) -> Result<usize, tokio_postgres::Error> {
    let mut failed = 0;
    for m in ingest::marks(client, &[]).await? {
        if !m.behind() {
            continue;
        }
        if let Err(e) = roll_hall(client, &m.hall_id).await {
            tracing::warn!(hall = %m.hall_id, error = %e, "central rollups");
            failed += 1;
        }
    }
    Ok(failed)
}

async fn roll_hall(client: &mut Client, hall_id: &str) -> Result<(), ingest::IngestError> {
    while ingest::materialize(client, hall_id, uplink::ROLL_BATCH, None).await?
        == uplink::ROLL_BATCH
    {}
    Ok(())
}

/// Bring `halls` up to the events they held when this was called, waiting out another
/// process that holds one (a hall's uplink rolling it up), for at most `patience`; the halls
/// still short of that then.
pub async fn roll_up(
    client: &mut Client,
    halls: &[String],
    patience: std::time::Duration,
) -> Result<Vec<String>, ingest::IngestError> {
    let deadline = std::time::Instant::now() + patience;
    let targets = ingest::marks(client, halls).await?;
    loop {
        let now = ingest::marks(client, halls).await?;
        let short: Vec<String> = targets
            .iter()
            .filter(|t| {
                now.iter()
                    .find(|m| m.hall_id == t.hall_id)
                    .is_some_and(|m| m.rolled_seq < t.last_seq)
            })
            .map(|t| t.hall_id.clone())
            .collect();
        if short.is_empty() || std::time::Instant::now() >= deadline {
            return Ok(short);
        }
        let mut moved = false;
        for h in &short {
            moved |= ingest::materialize(client, h, uplink::ROLL_BATCH, None).await? > 0;
        }
        if !moved {
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    }
}

/// The uplink for a hall with `[uplink]` configured, ready to spawn.
pub fn uplink_for(
    section: &crate::config::UplinkSection,
    plan: &crate::domain::Plan,
    db: &std::path::Path,
    status: Arc<uplink::UplinkStatus>,
) -> uplink::Uplink {
    uplink::Uplink {
        url: section.url.clone(),
        hall: ingest::HallInfo::from_plan(&section.hall_id, plan),
        reader: crate::store::Reader::new(db),
        db: db.to_path_buf(),
        status,
    }
}
