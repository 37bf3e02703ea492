/** The controller's Prometheus metrics (docs/METRICS.md). */
export { createControllerMetrics, type ControllerMetrics, type ControllerMetricsOptions } from './controller-metrics.js';
