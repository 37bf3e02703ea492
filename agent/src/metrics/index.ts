/** The agent's Prometheus metrics (docs/METRICS.md); the daemon imports it only when metrics.listen is set. */
export { createAgentMetrics, type AgentMetrics, type AgentMetricSources } from './agent-metrics.js';
