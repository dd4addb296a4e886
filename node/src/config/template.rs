//! The standard `node.toml` of a city whose PKI has the layout `lianluo tls` and
//! `lianluo demo` write (`<dir>/pki/…` next to `<dir>/<city>/node.toml`). One template
//! for the demo and for tests, so they cannot drift from what `load` accepts.

use std::net::SocketAddr;

/// What varies between cities' configs.
#[derive(Debug, Clone)]
pub struct NodeToml<'a> {
    /// The node's city.
    pub city: &'a str,
    /// `data_dir`, relative to the config file.
    pub data_dir: &'a str,
    /// Client API address.
    pub api: SocketAddr,
    /// Federation address.
    pub federation: SocketAddr,
    /// Loopback HTTP address (web dashboard, metrics, health), if any.
    pub http: Option<SocketAddr>,
    /// The other cities and their federation addresses.
    pub peers: &'a [(&'a str, SocketAddr)],
}

impl NodeToml<'_> {
    /// The config text, commented for the city's IT staff.
    pub fn render(&self) -> String {
        let NodeToml {
            city,
            data_dir,
            api,
            federation,
            ..
        } = self;
        let http = self
            .http
            .map(|a| {
                format!(
                    "\n[http]\n# Web dashboard (http://{a}/), metrics and health, plain HTTP on \
                     loopback.\n# On any other address set tls = true: HTTPS with a user \
                     certificate of\n# {city} that has a role below.\nlisten = \"{a}\"\n"
                )
            })
            .unwrap_or_default();
        let peers: String = self
            .peers
            .iter()
            .map(|(c, a)| format!("\n[[peers]]\ncity = \"{c}\"\naddress = \"{a}\"\n"))
            .collect();
        format!(
            r#"# Lianluo node for {city}. Paths are relative to this file.
city = "{city}"
data_dir = "{data_dir}"

[api]
# Client API (gRPC over mutual TLS with {city}'s user certificates).
listen = "{api}"

[federation]
# Node-to-node replication (mutual TLS with node certificates from the root CA).
listen = "{federation}"
# How far ahead of this machine's clock a peer's event time is followed (default 300 s).
# max_clock_skew_secs = 300
{http}
[tls]
ca = "../pki/root-ca.pem"
cert = "../pki/{city}/node.pem"
key = "../pki/{city}/node.key"
user_ca = "../pki/{city}/user-ca.pem"
crls = ["../pki/{city}/user-ca.crl.pem", "../pki/root-ca.crl.pem"]
signer_cert = "../pki/{city}/signer.pem"
signer_key = "../pki/{city}/signer.key"

# Roles of {city}'s users on this node (admin, coordinator, viewer); others are refused.
[users]
admin = "admin"
coordinator = "coordinator"
viewer = "viewer"

[log]
format = "text"
level = "info"

# Limits against overload (the defaults shown; README, config reference).
[limits]
# max_request_bytes = 1048576
# calls_per_caller = 16
# http_connections = 256
# connections_per_source = 32
# idle_secs = 60
# handshakes_per_source = 32
# calls_per_second = 200
# calls_per_peer = 8
# tls_connections = 512

# Storage (the defaults shown): the page cache in MiB; the free space in MiB kept on the
# data dir's file system (writes are refused below it until space is freed; 0: off); and
# a ballast file in MiB the node gives up to keep serving reads on a full disk (0: none).
[store]
# cache_mb = 64
# reserve_mb = 64
# ballast_mb = 16

# The other cities' nodes (federation addresses).
{peers}"#
        )
    }
}
