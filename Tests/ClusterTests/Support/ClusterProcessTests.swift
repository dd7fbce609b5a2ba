// The suites that start whole processes, run one test at a time.

import Testing

/// Every suite of this target is nested here, so that their tests run one after another, never two clusters at once:
/// on a 2-core machine parallel clusters only add noise (timeouts, slow health checks) to tests that already
/// measure what real processes do, while the in-process suites of the other targets still run in parallel.
@Suite(.serialized) enum ClusterProcessTests {}
