-- Prints wrk's latency percentiles as one JSON line (wrk's --latency omits p95).
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'JSON {"p50_ms": %.4f, "p90_ms": %.4f, "p95_ms": %.4f, "p99_ms": %.4f, "mean_ms": %.4f, ' ..
    '"requests": %d, "errors": %d, "duration_s": %.4f}\n',
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.mean / 1000, summary.requests,
    e.connect + e.read + e.write + e.status + e.timeout, summary.duration / 1e6))
end
