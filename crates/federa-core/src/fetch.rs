//! Outbound HTTP (issue 5: "one client with timeouts, response size limits and an allow-list"):
//! fetching an SP's metadata or JWKS, a client's JWKS. Every fetch resolves the host first,
//! refuses addresses outside the allow-list (loopback, private, link-local and other special
//! ranges unless configured), then connects to exactly the checked address (no DNS rebinding
//! between check and use), with a total timeout, no redirects, and a cap on the body size.

use async_trait::async_trait;
use std::net::{IpAddr, SocketAddr};
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

/// The reqwest implementation.
#[derive(Debug, Clone, Default)]
pub struct HttpFetcher {
    policy: FetchPolicy,
}

impl HttpFetcher {
    /// A fetcher with this policy.
    pub fn new(policy: FetchPolicy) -> Self {
        Self { policy }
    }
}

impl HttpFetcher {
    /// Checks the URL and its addresses against the policy; a client pinned to the checked
    /// address, the URL and the host for messages.
    async fn client_for(
        &self,
        raw: &str,
    ) -> Result<(reqwest::Client, url::Url, String), FetchError> {
        let url = url::Url::parse(raw).map_err(|_| FetchError::BadUrl(raw.into()))?;
        if !matches!(url.scheme(), "http" | "https") || !url.username().is_empty() {
            return Err(FetchError::BadUrl(raw.into()));
        }
        let host = url
            .host_str()
            .ok_or_else(|| FetchError::BadUrl(raw.into()))?
            .to_string();
        let port = url
            .port_or_known_default()
            .ok_or_else(|| FetchError::BadUrl(raw.into()))?;
        let name = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        // `*.localhost` names are loopback by definition (RFC 6761 §6.3), whatever DNS says.
        let addrs: Vec<SocketAddr> = if name == "localhost" || name.ends_with(".localhost") {
            vec![SocketAddr::from(([127, 0, 0, 1], port))]
        } else {
            tokio::time::timeout(
                self.policy.timeout,
                tokio::net::lookup_host((name.as_str(), port)),
            )
            .await
            .map_err(|_| FetchError::Network(host.clone(), "name resolution timed out".into()))?
            .map_err(|e| FetchError::Network(host.clone(), e.to_string()))?
            .collect()
        };
        let addr = addrs
            .iter()
            .find(|a| self.policy.allows(a.ip()))
            .copied()
            .ok_or_else(|| FetchError::Forbidden(host.clone()))?;
        if addrs.iter().any(|a| !self.policy.allows(a.ip())) {
            // A name that also points somewhere forbidden is refused altogether.
            return Err(FetchError::Forbidden(host));
        }
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(self.policy.timeout)
            .resolve(&name, addr)
            .build()
            .map_err(|e| FetchError::Network(host.clone(), e.to_string()))?;
        Ok((client, url, host))
    }
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
        let (client, url, host) = self.client_for(raw).await?;
        let res = client
            .get(url)
            .send()
            .await
            .map_err(|e| FetchError::Network(host.clone(), e.to_string()))?;
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
        let (client, url, host) = self.client_for(raw).await?;
        let mut req = client.post(url).form(form);
        if let Some((user, password)) = basic {
            // RFC 6749 §2.3.1: form-urlencode both parts before Basic encoding.
            let enc =
                |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
            req = req.basic_auth(enc(user), Some(enc(password)));
        }
        let res = req
            .send()
            .await
            .map_err(|e| FetchError::Network(host.clone(), e.to_string()))?;
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
}
