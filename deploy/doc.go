// Package deploy holds windrose's deployment files: the container default
// config, Kubernetes manifests (a kustomize base and a sidecar example), a
// Helm chart, a Grafana dashboard and Prometheus alert and recording rules.
//
// Its tests prove them with the real tools: Helm (pinned in .ci/helm) lints
// and renders the chart for every values file under helm/windrose/ci,
// kubectl kustomize builds the kustomizations, every rendered object is
// decoded strictly into the Kubernetes API types, promtool checks and
// unit-tests the rules and lints windrose's /metrics, and a live Prometheus
// scraping a gateway under load evaluates every dashboard query and rule.
// Every windrose config in here is validated as "windrose serve" would.
package deploy
