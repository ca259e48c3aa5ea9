package deploy

// The Grafana dashboard is generated from the typed description below:
// `go test ./deploy/ -run TestDashboardGenerated -update` rewrites
// grafana/windrose-dashboard.json, and the test fails while the committed
// JSON differs. The live Prometheus test (live_test.go) then evaluates
// every query of the JSON file an operator imports.

// Percentile panels read the recording rules of prometheus/recording.yaml
// (series named level:metric:operation); load them with the alerts.

type dsRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

var promDS = dsRef{Type: "prometheus", UID: "${datasource}"}

type gridPos struct {
	H int `json:"h"`
	W int `json:"w"`
	X int `json:"x"`
	Y int `json:"y"`
}

type target struct {
	Datasource   dsRef  `json:"datasource"`
	Expr         string `json:"expr"`
	LegendFormat string `json:"legendFormat"`
	RefID        string `json:"refId"`
	Range        bool   `json:"range,omitempty"`
	Instant      bool   `json:"instant,omitempty"`
	Format       string `json:"format,omitempty"`
}

type fieldDefaults struct {
	Unit     string         `json:"unit,omitempty"`
	Min      *float64       `json:"min,omitempty"`
	Max      *float64       `json:"max,omitempty"`
	Mappings []any          `json:"mappings,omitempty"`
	Custom   map[string]any `json:"custom,omitempty"`
}

type fieldConfig struct {
	Defaults  fieldDefaults `json:"defaults"`
	Overrides []any         `json:"overrides"`
}

type panel struct {
	Type        string         `json:"type"`
	Title       string         `json:"title"`
	Description string         `json:"description,omitempty"`
	ID          int            `json:"id"`
	Collapsed   *bool          `json:"collapsed,omitempty"`
	Datasource  *dsRef         `json:"datasource,omitempty"`
	GridPos     gridPos        `json:"gridPos"`
	FieldConfig *fieldConfig   `json:"fieldConfig,omitempty"`
	Options     map[string]any `json:"options,omitempty"`
	Targets     []target       `json:"targets,omitempty"`
	Panels      []panel        `json:"panels,omitempty"`
}

type variable struct {
	Name       string         `json:"name"`
	Label      string         `json:"label"`
	Type       string         `json:"type"`
	Datasource *dsRef         `json:"datasource,omitempty"`
	Definition string         `json:"definition,omitempty"`
	Query      any            `json:"query"`
	Refresh    int            `json:"refresh"`
	IncludeAll bool           `json:"includeAll"`
	Multi      bool           `json:"multi"`
	AllValue   string         `json:"allValue,omitempty"`
	Current    map[string]any `json:"current"`
	Sort       int            `json:"sort,omitempty"`
	Hide       int            `json:"hide"`
}

type dashboard struct {
	Title         string   `json:"title"`
	UID           string   `json:"uid"`
	Description   string   `json:"description"`
	Tags          []string `json:"tags"`
	Timezone      string   `json:"timezone"`
	Editable      bool     `json:"editable"`
	GraphTooltip  int      `json:"graphTooltip"`
	SchemaVersion int      `json:"schemaVersion"`
	Version       int      `json:"version"`
	Refresh       string   `json:"refresh"`
	Time          struct {
		From string `json:"from"`
		To   string `json:"to"`
	} `json:"time"`
	Templating struct {
		List []variable `json:"list"`
	} `json:"templating"`
	Annotations map[string]any `json:"annotations"`
	Links       []any          `json:"links"`
	Panels      []panel        `json:"panels"`
}

// q is one query with its legend.
type q struct{ expr, legend string }

// spec is one panel before layout.
type spec struct {
	kind, title, desc, unit string
	stack                   bool
	queries                 []q
}

// row is a titled row of panels, laid out two per line.
type row struct {
	title  string
	panels []spec
}

// Filters every query carries, so the variables narrow every panel.
const (
	fDep   = `provider=~"$provider", deployment=~"$deployment"`
	fModel = `model=~"$model"`
)

func quantiles(metric, by, filter, legendPrefix string) []q {
	var out []q
	for _, p := range []string{"0.5", "0.95", "0.99"} {
		out = append(out, q{
			`histogram_quantile(` + p + `, sum by (` + by + `le) (` + metric + `{` + filter + `}))`,
			legendPrefix + "p" + map[string]string{"0.5": "50", "0.95": "95", "0.99": "99"}[p],
		})
	}
	return out
}

var rows = []row{
	{"Traffic", []spec{
		{"timeseries", "Requests by model and status", "Client requests per second (windrose_requests_total) by model alias and HTTP status. 499 is a client that hung up.", "reqps", true,
			[]q{{`sum by (model, code) (rate(windrose_requests_total{` + fModel + `}[$__rate_interval]))`, "{{model}} {{code}}"}}},
		{"timeseries", "Upstream attempts by deployment and outcome", "Attempts sent to each deployment (windrose_upstream_requests_total): success or the error kind.", "reqps", true,
			[]q{{`sum by (provider, deployment, outcome) (rate(windrose_upstream_requests_total{` + fDep + `}[$__rate_interval]))`, "{{provider}}/{{deployment}} {{outcome}}"}}},
		{"timeseries", "Attempts by result", "What became of each attempt (windrose_attempts_total): success, retried, failed_over, failed, hedge_won, hedge_lost, canceled.", "reqps", true,
			[]q{{`sum by (deployment, result) (rate(windrose_attempts_total{` + fModel + `, deployment=~"$deployment"}[$__rate_interval]))`, "{{deployment}} {{result}}"}}},
		{"table", "Running versions", "Replicas per windrose and Go version (windrose_build_info): a rollout shows two rows.", "short", false,
			[]q{{`count by (version, go_version) (windrose_build_info)`, "{{version}} {{go_version}}"}}},
	}},
	{"Latency and time to first token", []spec{
		{"timeseries", "Client request latency percentiles", "To the last byte, over 5m (recording rule model_le:windrose_request_duration_seconds_bucket:rate5m).", "s", false,
			quantiles("model_le:windrose_request_duration_seconds_bucket:rate5m", "", fModel, "")},
		{"timeseries", "Time to first token percentiles by deployment", "From sending a streamed attempt to its first content, over 5m (recording rule provider_deployment_le:windrose_upstream_ttft_seconds_bucket:rate5m).", "s", false,
			quantiles("provider_deployment_le:windrose_upstream_ttft_seconds_bucket:rate5m", "deployment, ", fDep, "{{deployment}} ")},
		{"timeseries", "Upstream attempt duration p95 by deployment", "One attempt to its last byte, over 5m (recording rule provider_deployment_le:windrose_upstream_duration_seconds_bucket:rate5m).", "s", false,
			[]q{{`histogram_quantile(0.95, sum by (deployment, le) (provider_deployment_le:windrose_upstream_duration_seconds_bucket:rate5m{` + fDep + `}))`, "{{deployment}}"}}},
	}},
	{"Errors and failovers", []spec{
		{"timeseries", "5xx share by model", "Share of client requests answered with a 5xx (alert WindroseHigh5xxShare above 5%).", "percentunit", false,
			[]q{{`sum by (model) (rate(windrose_requests_total{` + fModel + `, code=~"5.."}[$__rate_interval])) / sum by (model) (rate(windrose_requests_total{` + fModel + `}[$__rate_interval]))`, "{{model}}"}}},
		{"timeseries", "Upstream errors by kind", "Failed attempts by error kind (outcome of windrose_upstream_requests_total other than success).", "reqps", true,
			[]q{{`sum by (deployment, outcome) (rate(windrose_upstream_requests_total{` + fDep + `, outcome!="success"}[$__rate_interval]))`, "{{deployment}} {{outcome}}"}}},
		{"timeseries", "Failovers by reason", "Moves to the next deployment (windrose_failovers_total), by the failed attempt's error kind.", "reqps", true,
			[]q{{`sum by (model, reason) (rate(windrose_failovers_total{` + fModel + `}[$__rate_interval]))`, "{{model}} {{reason}}"}}},
		{"timeseries", "Region rejections", "Requests refused with a 503 because no deployment satisfied a region rule (windrose_region_rejections_total).", "reqps", true,
			[]q{{`sum by (model, rule) (rate(windrose_region_rejections_total{` + fModel + `}[$__rate_interval]))`, "{{model}} {{rule}}"}}},
		{"timeseries", "Model mismatches", "Answers whose model id differs from the deployment's configured one (windrose_model_mismatch_total): an alias such as mistral-medium-latest moved. See X-Windrose-Model-Version and windrose_tokens_total{model_version}.", "short", true,
			[]q{{`sum by (deployment) (increase(windrose_model_mismatch_total{deployment=~"$deployment"}[$__rate_interval]))`, "{{deployment}}"}}},
	}},
	{"Tokens and cost", []spec{
		{"timeseries", "Cost USD per hour by provider", "USD per hour over 5m: the provider's own figure where it reports one, else tokens times the price table (recording rule provider_deployment_model:windrose_cost_usd:rate5m_per_hour).", "currencyUSD", true,
			[]q{{`sum by (provider) (provider_deployment_model:windrose_cost_usd:rate5m_per_hour{` + fDep + `, ` + fModel + `})`, "{{provider}}"}}},
		{"timeseries", "Cost USD per hour by deployment", "The same, per deployment.", "currencyUSD", true,
			[]q{{`sum by (provider, deployment) (provider_deployment_model:windrose_cost_usd:rate5m_per_hour{` + fDep + `, ` + fModel + `})`, "{{provider}}/{{deployment}}"}}},
		{"timeseries", "Tokens per second by provider and type", "Input and output tokens as the providers report them, over 5m (recording rule provider_deployment_model_type:windrose_tokens:rate5m).", "short", true,
			[]q{{`sum by (provider, type) (provider_deployment_model_type:windrose_tokens:rate5m{` + fDep + `, ` + fModel + `})`, "{{provider}} {{type}}"}}},
		{"timeseries", "Usage missing and cost unknown", "Attempts whose usage or price is unknown, so tokens and cost undercount (alerts WindroseUsageMissing, WindroseCostUnknown).", "short", false,
			[]q{
				{`sum by (provider, deployment) (increase(windrose_usage_missing_total{` + fDep + `}[$__rate_interval]))`, "usage missing {{provider}}/{{deployment}}"},
				{`sum by (provider, deployment) (increase(windrose_cost_unknown_total{` + fDep + `, ` + fModel + `}[$__rate_interval]))`, "cost unknown {{provider}}/{{deployment}}"},
			}},
		{"timeseries", "Cost USD per hour by key", "USD per hour by named client key (windrose_key_cost_usd_total), and refusals by a key's limits (windrose_key_refusals_total).", "currencyUSD", true,
			[]q{
				{`sum by (key) (rate(windrose_key_cost_usd_total{` + fModel + `}[$__rate_interval])) * 3600`, "{{key}}"},
				{`sum by (key, reason) (rate(windrose_key_refusals_total[$__rate_interval]))`, "refused {{key}} {{reason}}"},
			}},
	}},
	{"Breakers and cooldowns", []spec{
		{"state-timeline", "Circuit breaker state by deployment", "windrose_deployment_state: 0 closed, 1 half-open, 2 open (alert WindroseBreakerOpen after 5m).", "", false,
			[]q{{`max by (deployment) (windrose_deployment_state{` + fDep + `})`, "{{deployment}}"}}},
		{"timeseries", "Cooldowns by deployment", "Cooldowns started by a provider's Retry-After (windrose_cooldowns_total).", "short", true,
			[]q{{`sum by (deployment) (increase(windrose_cooldowns_total{deployment=~"$deployment"}[$__rate_interval]))`, "{{deployment}}"}}},
		{"timeseries", "Hedges by result", "Hedged second attempts (windrose_hedges_total): started, won, over_budget.", "reqps", true,
			[]q{{`sum by (model, result) (rate(windrose_hedges_total{` + fModel + `}[$__rate_interval]))`, "{{model}} {{result}}"}}},
		{"timeseries", "Stream resumes by result", "Broken streams resumed on another deployment (windrose_stream_resumes_total): resumed, replayed, diverged, refused, failed.", "reqps", true,
			[]q{{`sum by (model, deployment, result) (rate(windrose_stream_resumes_total{` + fModel + `}[$__rate_interval]))`, "{{model}} {{deployment}} {{result}}"}}},
	}},
	{"Gateway overhead", []spec{
		{"timeseries", "Time spent inside windrose per request", "windrose_overhead_seconds: request time minus time waiting on the provider. The number that shows the gateway is not the bottleneck.", "s", false,
			[]q{
				{`histogram_quantile(0.5, sum by (le) (rate(windrose_overhead_seconds_bucket[$__rate_interval])))`, "p50"},
				{`histogram_quantile(0.99, sum by (le) (rate(windrose_overhead_seconds_bucket[$__rate_interval])))`, "p99"},
			}},
		{"timeseries", "Requests in flight", "Client requests by model (windrose_in_flight) and attempts by deployment (windrose_upstream_in_flight) being served now.", "short", false,
			[]q{
				{`sum by (model) (windrose_in_flight{` + fModel + `})`, "client {{model}}"},
				{`sum by (deployment) (windrose_upstream_in_flight{deployment=~"$deployment"})`, "upstream {{deployment}}"},
			}},
	}},
	{"Config reloads", []spec{
		{"timeseries", "Config reloads by result", "windrose_config_reloads_total: SIGHUP or file change; an error keeps the old config serving.", "short", true,
			[]q{{`sum by (result) (increase(windrose_config_reloads_total[$__rate_interval]))`, "{{result}}"}}},
		{"timeseries", "Time since the last successful reload", "time() - windrose_config_last_reload_success_timestamp_seconds, per replica.", "s", false,
			[]q{{`time() - max by (instance) (windrose_config_last_reload_success_timestamp_seconds)`, "{{instance}}"}}},
	}},
}

func labelVar(name, label, def string) variable {
	return variable{
		Name: name, Label: label, Type: "query", Datasource: &promDS, Definition: def,
		Query:   map[string]any{"query": def, "refId": "PrometheusVariableQueryEditor-VariableQuery"},
		Refresh: 2, IncludeAll: true, Multi: true, AllValue: ".*", Sort: 1,
		Current: map[string]any{"selected": true, "text": []string{"All"}, "value": []string{"$__all"}},
	}
}

// buildDashboard lays the rows out on Grafana's 24-column grid.
func buildDashboard() dashboard {
	d := dashboard{
		Title: "windrose", UID: "windrose-overview",
		Description: "windrose LLM gateway: traffic, latency and time to first token, errors and failovers, tokens and cost, breakers and cooldowns, gateway overhead, config reloads. Needs deploy/prometheus/recording.yaml.",
		Tags:        []string{"windrose", "llm"}, Timezone: "browser", Editable: true, GraphTooltip: 1,
		SchemaVersion: 39, Version: 1, Refresh: "30s",
		Annotations: map[string]any{"list": []any{map[string]any{
			"builtIn": 1, "datasource": map[string]any{"type": "grafana", "uid": "-- Grafana --"},
			"enable": true, "hide": true, "iconColor": "rgba(0, 211, 255, 1)", "name": "Annotations & Alerts", "type": "dashboard",
		}}},
		Links: []any{},
	}
	d.Time.From, d.Time.To = "now-6h", "now"
	d.Templating.List = []variable{
		{Name: "datasource", Label: "Data source", Type: "datasource", Query: "prometheus", Refresh: 1, Current: map[string]any{}},
		labelVar("provider", "Provider", "label_values(windrose_upstream_requests_total, provider)"),
		labelVar("deployment", "Deployment", `label_values(windrose_upstream_requests_total{provider=~"$provider"}, deployment)`),
		labelVar("model", "Model", "label_values(windrose_requests_total, model)"),
	}
	id, y := 1, 0
	for _, r := range rows {
		collapsed := false
		d.Panels = append(d.Panels, panel{Type: "row", Title: r.title, ID: id, Collapsed: &collapsed, GridPos: gridPos{H: 1, W: 24, Y: y}})
		id++
		y++
		for i, s := range r.panels {
			p := panel{
				Type: s.kind, Title: s.title, Description: s.desc, ID: id, Datasource: &promDS,
				GridPos:     gridPos{H: 8, W: 12, X: 12 * (i % 2), Y: y + 8*(i/2)},
				FieldConfig: &fieldConfig{Defaults: fieldDefaults{Unit: s.unit}, Overrides: []any{}},
			}
			id++
			for j, qq := range s.queries {
				t := target{Datasource: promDS, Expr: qq.expr, LegendFormat: qq.legend, RefID: string(rune('A' + j)), Range: true}
				if s.kind == "table" {
					t.Range, t.Instant, t.Format = false, true, "table"
				}
				p.Targets = append(p.Targets, t)
			}
			styleOf(&p, s)
			d.Panels = append(d.Panels, p)
		}
		y += 8 * ((len(r.panels) + 1) / 2)
	}
	return d
}

// styleOf sets the per-type display options.
func styleOf(p *panel, s spec) {
	switch s.kind {
	case "timeseries":
		custom := map[string]any{"drawStyle": "line", "lineWidth": 1, "fillOpacity": 10, "showPoints": "never", "spanNulls": false}
		if s.stack {
			custom["fillOpacity"] = 60
			custom["stacking"] = map[string]any{"mode": "normal", "group": "A"}
		}
		p.FieldConfig.Defaults.Custom = custom
		p.Options = map[string]any{
			"legend":  map[string]any{"displayMode": "table", "placement": "bottom", "calcs": []string{"mean", "max"}},
			"tooltip": map[string]any{"mode": "multi", "sort": "desc"},
		}
	case "state-timeline":
		zero, two := 0.0, 2.0
		p.FieldConfig.Defaults.Min, p.FieldConfig.Defaults.Max = &zero, &two
		p.FieldConfig.Defaults.Mappings = []any{map[string]any{"type": "value", "options": map[string]any{
			"0": map[string]any{"text": "closed", "color": "green", "index": 0},
			"1": map[string]any{"text": "half-open", "color": "yellow", "index": 1},
			"2": map[string]any{"text": "open", "color": "red", "index": 2},
		}}}
		p.Options = map[string]any{"showValue": "never", "mergeValues": true, "rowHeight": 0.9}
	case "table":
		p.Options = map[string]any{"showHeader": true}
	}
}
