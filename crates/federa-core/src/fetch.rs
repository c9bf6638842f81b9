//! Outbound HTTP (issue 5: "one client with timeouts, response size limits and an allow-list"):
//! fetching an SP's metadata or JWKS, a client's JWKS, an upstream IdP's tokens and keys. One
//! long-lived client (connection pool, TLS configuration built once) whose DNS resolver refuses
//! addresses outside the allow-list (loopback, private, link-local and other special ranges
//! unless configured) for every connection it opens, so the address connected to is the one
//! checked (no DNS rebinding between check and use); literal addresses are checked up front.
//! A total timeout, no redirects, no proxy, and a cap on the body size.

use async_trait::async_trait;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// Why a fetch failed.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The URL is not an http(s) URL with a host.
    #[error("not a fetchable URL: {0}")]
    BadUrl(String),
    /// The host resolves to an address the allow-list refuses.
    #[error("{0} resolves to an address outbound requests may not reach")]
    Forbidden(String),
    /// Resolution, connection, timeout or TLS failed.
    #[error("request to {0} failed: {1}")]
    Network(String, String),
    /// A status other than 200.
    #[error("{0} answered HTTP {1}")]
    Status(String, u16),
    /// The body exceeded the cap.
    #[error("{0} sent more than {1} bytes")]
    TooLarge(String, usize),
}

/// The port: GET a URL, or POST a form, and return the body.
#[async_trait]
pub trait Fetch: Send + Sync {
    /// GETs `url` and returns at most `max_bytes` of body (more is an error).
    async fn get(&self, url: &str, max_bytes: usize) -> Result<Vec<u8>, FetchError>;
    /// POSTs `form` (`application/x-www-form-urlencoded`) with optional HTTP Basic
    /// credentials; returns the status and at most `max_bytes` of body, whatever the status
    /// (an OAuth token endpoint answers errors as JSON bodies).
    async fn post_form(
        &self,
        url: &str,
        basic: Option<(&str, &str)>,
        form: &[(&str, &str)],
        max_bytes: usize,
    ) -> Result<(u16, Vec<u8>), FetchError>;
}

/// Which addresses outbound requests may reach.
#[derive(Debug, Clone, Copy)]
pub struct FetchPolicy {
    /// Loopback addresses (the demo and the tests, where all orgs run on one machine).
    pub allow_loopback: bool,
    /// Private, link-local, unique-local and shared address ranges.
    pub allow_private: bool,
    /// Total time for one request.
    pub timeout: Duration,
}

impl Default for FetchPolicy {
    fn default() -> Self {
        Self {
            allow_loopback: false,
            allow_private: false,
            timeout: Duration::from_secs(5),
        }
    }
}

fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_private()
                || v4.is_link_local()
                || (o[0] == 100 && (o[1] & 0xc0) == 64) // 100.64/10 shared
                || o[0] == 0
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            (s[0] & 0xfe00) == 0xfc00 // unique local
                || (s[0] & 0xffc0) == 0xfe80 // link local
                || v6.to_ipv4_mapped().is_some_and(|v4| is_private(IpAddr::V4(v4)))
        }
    }
}

fn is_special(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_unspecified() || v4.is_broadcast() || v4.is_multicast(),
        IpAddr::V6(v6) => v6.is_unspecified() || v6.is_multicast(),
    }
}

fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

impl FetchPolicy {
    /// Whether `ip` may be reached.
    pub fn allows(&self, ip: IpAddr) -> bool {
        if is_special(ip) {
            return false;
        }
        if is_loopback(ip) {
            return self.allow_loopback;
        }
        if is_private(ip) {
            return self.allow_private;
        }
        true
    }
}

/// Resolves `name` and checks every address against `policy`: a name that points anywhere
/// the policy refuses is refused altogether. `*.localhost` is loopback by definition
/// (RFC 6761 §6.3), whatever DNS says.
async fn resolve_allowed(policy: FetchPolicy, name: &str) -> Result<Vec<SocketAddr>, FetchError> {
    let name = name.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<SocketAddr> = if name.eq_ignore_ascii_case("localhost")
        || name.to_ascii_lowercase().ends_with(".localhost")
    {
        vec![SocketAddr::from(([127, 0, 0, 1], 0))]
    } else if let Ok(ip) = name.parse::<IpAddr>() {
        vec![SocketAddr::new(ip, 0)]
    } else {
        tokio::time::timeout(policy.timeout, tokio::net::lookup_host((name, 0)))
            .await
            .map_err(|_| FetchError::Network(name.into(), "name resolution timed out".into()))?
            .map_err(|e| FetchError::Network(name.into(), e.to_string()))?
            .collect()
    };
    if addrs.is_empty() {
        return Err(FetchError::Network(name.into(), "no address".into()));
    }
    if addrs.iter().any(|a| !policy.allows(a.ip())) {
        return Err(FetchError::Forbidden(name.into()));
    }
    Ok(addrs)
}

/// The client's resolver: every new connection resolves through the policy, so the address
/// connected to is one that was checked (no DNS rebinding between check and use). Pooled
/// connections stay on the address checked when they were opened.
struct PolicyResolver(FetchPolicy);

impl reqwest::dns::Resolve for PolicyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.0;
        let name = name.as_str().to_string();
        Box::pin(async move {
            let addrs = resolve_allowed(policy, &name).await?;
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The reqwest implementation: one client per fetcher (one connection pool, TLS set up once),
/// whose resolver enforces the policy; URLs with a literal address are checked before the
/// request, since they are never resolved.
#[derive(Clone, Default)]
pub struct HttpFetcher {
    policy: FetchPolicy,
    client: Arc<OnceLock<Result<reqwest::Client, String>>>,
}

impl std::fmt::Debug for HttpFetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpFetcher")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl HttpFetcher {
    /// A fetcher with this policy.
    pub fn new(policy: FetchPolicy) -> Self {
        Self {
            policy,
            client: Arc::default(),
        }
    }

    fn client(&self, host: &str) -> Result<&reqwest::Client, FetchError> {
        let policy = self.policy;
        self.client
            .get_or_init(|| {
                reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .timeout(policy.timeout)
                    .connect_timeout(policy.timeout)
                    // A proxy would resolve the name itself, past the policy.
                    .no_proxy()
                    .pool_idle_timeout(Duration::from_secs(60))
                    .dns_resolver(PolicyResolver(policy))
                    .build()
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(|e| FetchError::Network(host.into(), e.clone()))
    }

    /// Checks the URL (http(s), a host, no credentials; a literal address against the
    /// policy); the URL, the host for messages and the client.
    fn prepare(&self, raw: &str) -> Result<(url::Url, String, &reqwest::Client), FetchError> {
        let url = url::Url::parse(raw).map_err(|_| FetchError::BadUrl(raw.into()))?;
        if !matches!(url.scheme(), "http" | "https")
            || !url.username().is_empty()
            || url.password().is_some()
            || url.port_or_known_default().is_none()
        {
            return Err(FetchError::BadUrl(raw.into()));
        }
        let host = match url.host() {
            Some(url::Host::Ipv4(ip)) => {
                self.check_literal(IpAddr::V4(ip))?;
                ip.to_string()
            }
            Some(url::Host::Ipv6(ip)) => {
                self.check_literal(IpAddr::V6(ip))?;
                format!("[{ip}]")
            }
            Some(url::Host::Domain(d)) => d.to_string(),
            None => return Err(FetchError::BadUrl(raw.into())),
        };
        let client = self.client(&host)?;
        Ok((url, host, client))
    }

    fn check_literal(&self, ip: IpAddr) -> Result<(), FetchError> {
        if self.policy.allows(ip) {
            Ok(())
        } else {
            Err(FetchError::Forbidden(ip.to_string()))
        }
    }
}

/// A request error as a [`FetchError`]: the resolver's refusal keeps its meaning.
fn send_error(host: String, e: reqwest::Error) -> FetchError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    while let Some(err) = source {
        if let Some(FetchError::Forbidden(_)) = err.downcast_ref::<FetchError>() {
            return FetchError::Forbidden(host);
        }
        source = err.source();
    }
    FetchError::Network(host, e.to_string())
}

async fn read_capped(
    mut res: reqwest::Response,
    host: String,
    max_bytes: usize,
) -> Result<Vec<u8>, FetchError> {
    if res.content_length().is_some_and(|l| l > max_bytes as u64) {
        return Err(FetchError::TooLarge(host, max_bytes));
    }
    let mut body = Vec::new();
    while let Some(chunk) = res
        .chunk()
        .await
        .map_err(|e| FetchError::Network(host.clone(), e.to_string()))?
    {
        if body.len() + chunk.len() > max_bytes {
            return Err(FetchError::TooLarge(host, max_bytes));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[async_trait]
impl Fetch for HttpFetcher {
    async fn get(&self, raw: &str, max_bytes: usize) -> Result<Vec<u8>, FetchError> {
        let (url, host, client) = self.prepare(raw)?;
        let res = client
            .get(url)
            .send()
            .await
            .map_err(|e| send_error(host.clone(), e))?;
        if res.status().as_u16() != 200 {
            return Err(FetchError::Status(host, res.status().as_u16()));
        }
        read_capped(res, host, max_bytes).await
    }

    async fn post_form(
        &self,
        raw: &str,
        basic: Option<(&str, &str)>,
        form: &[(&str, &str)],
        max_bytes: usize,
    ) -> Result<(u16, Vec<u8>), FetchError> {
        let (url, host, client) = self.prepare(raw)?;
        let mut req = client.post(url).form(form);
        if let Some((user, password)) = basic {
            // RFC 6749 §2.3.1: form-urlencode both parts before Basic encoding.
            let enc =
                |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
            req = req.basic_auth(enc(user), Some(enc(password)));
        }
        let res = req.send().await.map_err(|e| send_error(host.clone(), e))?;
        let status = res.status().as_u16();
        Ok((status, read_capped(res, host, max_bytes).await?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    #[test]
    fn default_policy_refuses_internal_addresses() {
        let p = FetchPolicy::default();
        for ip in [
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V4(Ipv4Addr::new(10, 1, 2, 3)),
            IpAddr::V4(Ipv4Addr::new(192, 168, 0, 1)),
            IpAddr::V4(Ipv4Addr::new(169, 254, 169, 254)),
            IpAddr::V4(Ipv4Addr::new(100, 64, 0, 1)),
            IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            IpAddr::V6(Ipv6Addr::LOCALHOST),
            IpAddr::V6("fe80::1".parse().unwrap_or(Ipv6Addr::LOCALHOST)),
            IpAddr::V6("fd00::1".parse().unwrap_or(Ipv6Addr::LOCALHOST)),
            IpAddr::V6("::ffff:127.0.0.1".parse().unwrap_or(Ipv6Addr::LOCALHOST)),
        ] {
            assert!(!p.allows(ip), "{ip} must be refused");
        }
        assert!(p.allows(IpAddr::V4(Ipv4Addr::new(93, 184, 216, 34))));
        let lo = FetchPolicy {
            allow_loopback: true,
            ..FetchPolicy::default()
        };
        assert!(lo.allows(IpAddr::V4(Ipv4Addr::LOCALHOST)));
        assert!(!lo.allows(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1))));
    }

    #[tokio::test]
    async fn loopback_fetch_is_refused_by_default_and_capped_when_allowed() {
        let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
            Ok(l) => l,
            Err(e) => panic!("bind: {e}"),
        };
        let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
        tokio::spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            while let Ok((mut s, _)) = listener.accept().await {
                let mut buf = [0u8; 1024];
                let _ = s.read(&mut buf).await;
                let body = "x".repeat(5000);
                let _ = s
                    .write_all(
                        format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len())
                            .as_bytes(),
                    )
                    .await;
            }
        });
        let url = format!("http://127.0.0.1:{}/jwks", addr.port());
        let strict = HttpFetcher::default();
        assert!(matches!(
            strict.get(&url, 10_000).await,
            Err(FetchError::Forbidden(_))
        ));
        let lo = HttpFetcher::new(FetchPolicy {
            allow_loopback: true,
            ..FetchPolicy::default()
        });
        assert_eq!(lo.get(&url, 10_000).await.map(|b| b.len()).ok(), Some(5000));
        assert!(matches!(
            lo.get(&url, 100).await,
            Err(FetchError::TooLarge(_, 100))
        ));
        assert!(matches!(
            lo.get("file:///etc/passwd", 100).await,
            Err(FetchError::BadUrl(_))
        ));
    }
    /// A server that answers every request on a connection with `body` (keep-alive) and counts
    /// the connections it accepts.
    async fn keep_alive_server(
        body: &'static str,
    ) -> (SocketAddr, Arc<std::sync::atomic::AtomicUsize>) {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
            Ok(l) => l,
            Err(e) => panic!("bind: {e}"),
        };
        let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = accepted.clone();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    let mut seen = Vec::new();
                    let mut buf = [0u8; 2048];
                    loop {
                        let Ok(n) = s.read(&mut buf).await else {
                            return;
                        };
                        if n == 0 {
                            return;
                        }
                        seen.extend_from_slice(&buf[..n]);
                        while let Some(end) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
                            seen.drain(..end + 4);
                            let reply = format!(
                                "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{body}",
                                body.len()
                            );
                            if s.write_all(reply.as_bytes()).await.is_err() {
                                return;
                            }
                        }
                    }
                });
            }
        });
        (addr, accepted)
    }

    #[tokio::test]
    async fn one_client_reuses_its_connection() {
        let (addr, accepted) = keep_alive_server("{\"keys\":[]}").await;
        let lo = HttpFetcher::new(FetchPolicy {
            allow_loopback: true,
            ..FetchPolicy::default()
        });
        let url = format!("http://127.0.0.1:{}/jwks", addr.port());
        for _ in 0..3 {
            assert_eq!(
                lo.get(&url, 1000).await.ok().as_deref(),
                Some(&b"{\"keys\":[]}"[..])
            );
        }
        // A clone shares the client (the server's context holds one fetcher, cloned freely).
        let again = lo.clone();
        assert!(again.get(&url, 1000).await.is_ok());
        assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn names_and_literals_that_reach_refused_addresses_are_refused() {
        let (addr, accepted) = keep_alive_server("ok").await;
        let port = addr.port();
        let strict = HttpFetcher::default();
        for url in [
            // Resolved by the client's resolver (names).
            format!("http://localhost:{port}/"),
            format!("http://idp.LOCALHOST:{port}/"),
            // Checked before the request (literals, in the forms the URL parser normalises).
            format!("http://127.0.0.1:{port}/"),
            format!("http://[::ffff:127.0.0.1]:{port}/"),
            format!("http://[::1]:{port}/"),
            format!("http://2130706433:{port}/"),
            format!("http://0x7f.1:{port}/"),
        ] {
            assert!(
                matches!(strict.get(&url, 100).await, Err(FetchError::Forbidden(_))),
                "{url} must be refused"
            );
            assert!(
                matches!(
                    strict.post_form(&url, None, &[("a", "b")], 100).await,
                    Err(FetchError::Forbidden(_))
                ),
                "POST {url} must be refused"
            );
        }
        assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 0);
        // Credentials in the URL are not sent anywhere.
        let lo = HttpFetcher::new(FetchPolicy {
            allow_loopback: true,
            ..FetchPolicy::default()
        });
        for url in [
            format!("http://user@127.0.0.1:{port}/"),
            format!("http://user:pw@127.0.0.1:{port}/"),
            format!("http://:pw@127.0.0.1:{port}/"),
        ] {
            assert!(
                matches!(lo.get(&url, 100).await, Err(FetchError::BadUrl(_))),
                "{url}"
            );
        }
        // The same names are fine where loopback is allowed.
        assert!(
            lo.get(&format!("http://localhost:{port}/"), 100)
                .await
                .is_ok()
        );
        assert!(
            lo.get(&format!("http://a.localhost:{port}/"), 100)
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn the_resolver_refuses_a_name_with_any_refused_address() {
        let lo = FetchPolicy {
            allow_loopback: true,
            ..FetchPolicy::default()
        };
        assert!(resolve_allowed(lo, "localhost").await.is_ok());
        assert!(matches!(
            resolve_allowed(FetchPolicy::default(), "localhost").await,
            Err(FetchError::Forbidden(_))
        ));
        assert!(matches!(
            resolve_allowed(lo, "10.0.0.1").await,
            Err(FetchError::Forbidden(_))
        ));
        assert!(matches!(
            resolve_allowed(lo, "[fd00::1]").await,
            Err(FetchError::Forbidden(_))
        ));
    }
}
