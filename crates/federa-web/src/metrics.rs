//! HTTP metrics without a global recorder: request counts and latency histograms by route,
//! method and status, rendered in the Prometheus text exposition format (version 0.0.4).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds (seconds) of the latency buckets.
pub const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

#[derive(Debug, Default, Clone)]
struct Series {
    count: u64,
    sum: f64,
    buckets: [u64; BUCKETS.len()],
}

/// The registry.
#[derive(Debug, Default)]
pub struct Metrics {
    series: Mutex<BTreeMap<(String, String, u16), Series>>,
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl Metrics {
    /// Records one request.
    pub fn observe(&self, route: &str, method: &str, status: u16, elapsed: Duration) {
        let secs = elapsed.as_secs_f64();
        let mut map = match self.series.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        let s = map
            .entry((route.to_string(), method.to_string(), status))
            .or_default();
        s.count += 1;
        s.sum += secs;
        for (i, le) in BUCKETS.iter().enumerate() {
            if secs <= *le {
                s.buckets[i] += 1;
            }
        }
    }

    /// The text exposition.
    pub fn render(&self) -> String {
        let map = match self.series.lock() {
            Ok(m) => m.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        let mut out = String::new();
        out.push_str(
            "# HELP federa_http_requests_total HTTP requests by route, method and status.\n",
        );
        out.push_str("# TYPE federa_http_requests_total counter\n");
        for ((route, method, status), s) in &map {
            let _ = writeln!(
                out,
                "federa_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{status}\"}} {}",
                escape(route),
                escape(method),
                s.count
            );
        }
        out.push_str("# HELP federa_http_request_duration_seconds HTTP request latency.\n");
        out.push_str("# TYPE federa_http_request_duration_seconds histogram\n");
        for ((route, method, status), s) in &map {
            let labels = format!(
                "route=\"{}\",method=\"{}\",status=\"{status}\"",
                escape(route),
                escape(method)
            );
            for (i, le) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "federa_http_request_duration_seconds_bucket{{{labels},le=\"{le}\"}} {}",
                    s.buckets[i]
                );
            }
            let _ = writeln!(
                out,
                "federa_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                s.count
            );
            let _ = writeln!(
                out,
                "federa_http_request_duration_seconds_sum{{{labels}}} {}",
                s.sum
            );
            let _ = writeln!(
                out,
                "federa_http_request_duration_seconds_count{{{labels}}} {}",
                s.count
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative() {
        let m = Metrics::default();
        m.observe("/x", "GET", 200, Duration::from_millis(3));
        m.observe("/x", "GET", 200, Duration::from_millis(30));
        let text = m.render();
        assert!(
            text.contains(
                "federa_http_requests_total{route=\"/x\",method=\"GET\",status=\"200\"} 2"
            ),
            "{text}"
        );
        assert!(text.contains("le=\"0.005\"} 1"), "{text}");
        assert!(text.contains("le=\"0.05\"} 2"), "{text}");
        assert!(text.contains("le=\"+Inf\"} 2"), "{text}");
    }
}
