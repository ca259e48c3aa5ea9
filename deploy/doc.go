// Package deploy holds windrose's deployment files: the container default
// config, Kubernetes manifests (a kustomize base and a sidecar example), a
// Helm chart, a Grafana dashboard and Prometheus alert rules. Its tests check
// that they parse, that every windrose config in them validates, and that
// every metric and label their queries use is one windrose exports.
package deploy
