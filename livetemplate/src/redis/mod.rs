//! Redis for several instances (feature `redis`): a [`Bus`](crate::cluster::Bus)
//! over pub/sub, so pushes reach connections on every instance, and a
//! [`Store`](crate::Store) for persisted fields, so a reconnect to another
//! instance (or a restarted one) restores them.
//!
//! One URL is one Redis server; several, comma-separated, are the nodes of
//! a Redis Cluster (any of them will do to find the rest), e.g.
//! `redis://10.0.0.1:7001,redis://10.0.0.2:7002`. On a cluster the bus
//! uses sharded pub/sub (`SPUBLISH`/`SSUBSCRIBE`, Redis 7+), so a channel
//! lives on the one master that owns its slot.
//!
//! ```no_run
//! use livetemplate::{redis::Redis, LiveTemplate, Templates};
//! # async fn run() -> Result<(), livetemplate::redis::RedisError> {
//! let redis = Redis::connect("redis://127.0.0.1:6379").await?;
//! let live = LiveTemplate::builder(Templates::from_dir("templates"))
//!     .instance_name("a")
//!     .bus(redis.bus())
//!     .store(redis.store())
//!     .build();
//! # Ok(()) }
//! ```

mod bus;
mod link;
mod store;

pub use bus::RedisBus;
pub use store::RedisStore;

use std::sync::Arc;
use std::time::Duration;

use ::redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use ::redis::cluster::ClusterClientBuilder;
use ::redis::cluster_async::ClusterConnection;
use ::redis::{Client, Cmd, Pipeline, RedisFuture, Value};
use tokio::runtime::Handle;

/// How long a command or a connection attempt may take before it counts as failed.
const TIMEOUT: Duration = Duration::from_secs(2);

/// A connection to one Redis server or to a Redis Cluster, shared by its
/// bus and store.
#[derive(Clone)]
pub struct Redis {
    nodes: Nodes,
    commands: Commands,
    link: Arc<link::Link>,
    /// The URL without its password, for status pages and logs.
    shown: String,
    runtime: Handle,
}

/// Redis could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RedisError {
    /// The URL is not a Redis URL.
    #[error("invalid Redis URL {url:?}")]
    Url {
        /// The URL, without its password.
        url: String,
        /// What the Redis client said of it.
        #[source]
        source: ::redis::RedisError,
    },
    /// The server did not answer.
    #[error("Redis at {url} is unreachable")]
    Unreachable {
        /// The URL, without its password.
        url: String,
        /// What failed.
        #[source]
        source: ::redis::RedisError,
    },
}

/// Where Redis is.
#[derive(Clone)]
pub(crate) enum Nodes {
    /// One server.
    Single(Client),
    /// The nodes of a Redis Cluster given in the URL.
    Cluster(Vec<String>),
}

/// A connection for commands, to one server or to a cluster (which routes
/// each command to the node owning its key's slot).
#[derive(Clone)]
pub(crate) enum Commands {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

impl ConnectionLike for Commands {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Commands::Single(c) => c.req_packed_command(cmd),
            Commands::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Commands::Single(c) => c.req_packed_commands(pipeline, offset, count),
            Commands::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Commands::Single(c) => c.get_db(),
            Commands::Cluster(c) => c.get_db(),
        }
    }
}

impl std::fmt::Debug for Redis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redis")
            .field("url", &self.shown)
            .finish_non_exhaustive()
    }
}

impl Redis {
    /// Connects to the server at `url` (`redis://[:password@]host:port[/db]`),
    /// or to a Redis Cluster when `url` lists several nodes separated by
    /// commas, and checks that it answers. Must run inside a Tokio runtime,
    /// whose tasks then carry the bus and the store's writes.
    pub async fn connect(url: &str) -> Result<Redis, RedisError> {
        let urls: Vec<&str> = url
            .split(',')
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .collect();
        if urls.len() > 1 {
            return Redis::connect_cluster(&urls).await;
        }
        let url = urls.first().copied().unwrap_or(url);
        let shown = without_password(url);
        let client = Client::open(url).map_err(|source| RedisError::Url {
            url: shown.clone(),
            source,
        })?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(TIMEOUT))
            .set_response_timeout(Some(TIMEOUT))
            .set_number_of_retries(1);
        let unreachable = |source: ::redis::RedisError| RedisError::Unreachable {
            url: shown.clone(),
            source,
        };
        let mut commands = client
            .get_connection_manager_with_config(config)
            .await
            .map_err(unreachable)?;
        ::redis::cmd("PING")
            .query_async::<()>(&mut commands)
            .await
            .map_err(unreachable)?;
        let commands = Commands::Single(commands);
        Ok(Redis {
            nodes: Nodes::Single(client),
            link: Arc::new(link::Link::start(commands.clone())),
            commands,
            shown,
            runtime: Handle::current(),
        })
    }

    /// Connects to the Redis Cluster that `urls` are nodes of.
    async fn connect_cluster(urls: &[&str]) -> Result<Redis, RedisError> {
        let shown = urls
            .iter()
            .map(|u| without_password(u))
            .collect::<Vec<_>>()
            .join(",");
        let nodes: Vec<String> = urls.iter().map(|u| u.to_string()).collect();
        let client = ClusterClientBuilder::new(nodes.clone())
            .connection_timeout(TIMEOUT)
            .response_timeout(TIMEOUT)
            .retries(1)
            .build()
            .map_err(|source| RedisError::Url {
                url: shown.clone(),
                source,
            })?;
        let unreachable = |source: ::redis::RedisError| RedisError::Unreachable {
            url: shown.clone(),
            source,
        };
        let mut commands = client.get_async_connection().await.map_err(unreachable)?;
        ::redis::cmd("PING")
            .query_async::<()>(&mut commands)
            .await
            .map_err(unreachable)?;
        let commands = Commands::Cluster(commands);
        Ok(Redis {
            nodes: Nodes::Cluster(nodes),
            link: Arc::new(link::Link::start(commands.clone())),
            commands,
            shown,
            runtime: Handle::current(),
        })
    }

    /// Whether this is a Redis Cluster (several URLs were given).
    pub fn is_cluster(&self) -> bool {
        matches!(self.nodes, Nodes::Cluster(_))
    }

    /// A bus over the channel `lvt:bus`, for [`Builder::bus`](crate::Builder::bus).
    pub fn bus(&self) -> RedisBus {
        RedisBus::new(self)
    }

    /// A store under the keys `lvt:store:*`, for [`Builder::store`](crate::Builder::store).
    pub fn store(&self) -> RedisStore {
        RedisStore::new(self)
    }

    /// A random secret that every instance using this Redis shares: the
    /// first to ask creates it (under `lvt:secret:<name>`). For signing
    /// cookies that any instance must accept.
    pub async fn shared_secret(&self, name: &str) -> Result<Vec<u8>, RedisError> {
        let key = format!("lvt:secret:{name}");
        let fresh = hex::encode(crate::random::bytes::<32>());
        let mut commands = self.commands.clone();
        let (secret,): (String,) = ::redis::pipe()
            .cmd("SET")
            .arg(&key)
            .arg(&fresh)
            .arg("NX")
            .ignore()
            .cmd("GET")
            .arg(&key)
            .query_async(&mut commands)
            .await
            .map_err(|source| RedisError::Unreachable {
                url: self.shown.clone(),
                source,
            })?;
        Ok(secret.into_bytes())
    }

    /// The server's URL (or the cluster's, comma-separated) without passwords.
    pub fn url(&self) -> &str {
        &self.shown
    }
}

/// `url` with any password replaced by `***`.
fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, path) = rest
        .split_once('/')
        .map_or((rest, None), |(a, p)| (a, Some(p)));
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{user}:***@{host}"),
            None => format!("{userinfo}@{host}"),
        },
        None => authority.to_string(),
    };
    match path {
        Some(path) => format!("{scheme}://{authority}/{path}"),
        None => format!("{scheme}://{authority}"),
    }
}

#[cfg(test)]
mod tests {
    use super::without_password;

    #[test]
    fn urls_are_shown_without_their_password() {
        assert_eq!(
            without_password("redis://:hunter2@h:6379/0"),
            "redis://:***@h:6379/0"
        );
        assert_eq!(without_password("redis://ana:pw@h"), "redis://ana:***@h");
        assert_eq!(without_password("redis://h:6379"), "redis://h:6379");
    }
}
