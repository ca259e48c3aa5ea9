package telemetry

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/windrose-gw/windrose/internal/config"
)

// Tracing is a tracer exporting over OTLP/HTTP, or nothing when off.
type Tracing struct {
	Tracer     trace.Tracer // nil when tracing is off
	Propagator propagation.TextMapPropagator
	provider   *sdktrace.TracerProvider
}

// NewTracing builds the exporter of cfg; with no endpoint it returns a
// Tracing whose Tracer is nil, and callers skip every span.
func NewTracing(cfg config.Tracing, version string) (*Tracing, error) {
	t := &Tracing{Propagator: propagation.TraceContext{}}
	if !cfg.Enabled() {
		return t, nil
	}
	headers := map[string]string{}
	for k, v := range cfg.Headers {
		headers[k] = v.Value()
	}
	exp, err := otlptracehttp.New(context.Background(), otlptracehttp.WithEndpointURL(cfg.TracesURL()), otlptracehttp.WithHeaders(headers))
	if err != nil {
		return nil, err
	}
	res := resource.NewSchemaless(attribute.String("service.name", cfg.Service()), attribute.String("service.version", version))
	t.provider = sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp),
		sdktrace.WithResource(res),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(cfg.Ratio()))),
	)
	t.Tracer = t.provider.Tracer("github.com/windrose-gw/windrose")
	return t, nil
}

// Shutdown flushes the spans still queued and stops the exporter.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if t == nil || t.provider == nil {
		return nil
	}
	return t.provider.Shutdown(ctx)
}

// GenAISystem is the gen_ai.system value of a windrose provider kind.
func GenAISystem(provider string) string {
	switch provider {
	case "mistral":
		return "mistral_ai"
	case "bedrock":
		return "aws.bedrock"
	case "azure":
		return "az.ai.inference"
	case "vertex":
		return "gcp.vertex_ai"
	case "watsonx":
		return "ibm.watsonx.ai"
	}
	return provider // openai, openrouter
}
