/**
 * Apache's metric names in Prometheus, as the JMX exporter rules for Connect write them (Confluent's and Aiven's
 * `kafka.connect<type=GROUP, connector=C, task=T><>NAME` → `kafka_connect_GROUP_NAME{connector="C",task="T"}`,
 * lower case, every character Prometheus does not allow in a name made `_`):
 * `connect-worker-metrics` / `connector-count` → `kafka_connect_connect_worker_metrics_connector_count`.
 *
 * Ferry's own groups (named `ferry-...`, beyond Apache's) are not under `kafka_connect_`:
 * `ferry-auto-restart` / `attempts-total` → `ferry_auto_restart_attempts_total`.
 */
export function prometheusName(group: string, metric: string): string {
  const name = group.startsWith('ferry-') ? `${group}_${metric}` : `kafka_connect_${group}_${metric}`
  return name.toLowerCase().replace(/[^a-z0-9_]/g, '_')
}

/**
 * A string-valued attribute (`status`, `connector-class`, `leader-name`) becomes a label of a sample whose value is
 * 1, as the exporters' `value: 1` rules do: `kafka_connect_connector_metrics_status{connector="c",status="running"} 1`.
 */
export function prometheusLabel(attribute: string): string {
  return attribute.toLowerCase().replace(/[^a-z0-9_]/g, '_')
}
